"""Runners: one protocol (base.Runner), four engines. Engines import TensorFlow or grpc only when used."""
