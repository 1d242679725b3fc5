"""Signature Explorer: inspect, run, check and compare TensorFlow SavedModels and TF Serving endpoints."""

__version__ = "0.1.0"
