"""The input a signature gets before the user types anything: one per input, always passing validate.check.

The window's form starts from default_sources(); the CLI builds the same request with default_input() when no
input is given. Deciding it once here keeps "the app's own default fails the app's own check" from coming back.
"""
from __future__ import annotations

import json

import numpy as np

from .example_features import default_example, is_example_input  # noqa: F401 - is_example_input: the form's too
from .signature import Signature, TensorSpec
from .sources import Source
from .tensor_values import concrete_shape
from .tensors import build_inputs

LITERAL_ROWS = 1024  # a default up to this many rows of up to LITERAL_COLUMNS values is shown value by value
LITERAL_COLUMNS = 64


def default_source(spec: TensorSpec, method: str = "predict", batch: int = 1, features=None) -> Source | None:
    """The Source an input starts from: zeros (or 0..1 noise for big float tensors) of the signature's shape with -1
    dims at `batch`; for string inputs, tf.Examples of the graph's `features` at zero (empty ones when they are not
    known) or empty strings; None for a dtype no value can be made of."""
    try:
        dt = spec.dt
    except KeyError:
        return None
    if spec.encoding != "dense":
        return None
    shape = concrete_shape(spec, batch)
    if dt.is_string:
        if (features or is_example_input(spec, method)) and len(shape) <= 1:
            count = shape[0] if shape else 1
            example = default_example(features or ())
            value = [example] * count if shape else example
            return Source("examples", text=json.dumps(value))
        return Source("literal", text=json.dumps(np.full(shape, "", dtype=object).tolist()))
    if not dt.numpy:
        return None  # quantized, resource, variant: nothing a user could type
    if dt.name in ("DT_COMPLEX64", "DT_COMPLEX128"):  # JSON has no complex numbers
        return Source("fill", fill="zeros")
    small = len(shape) <= 2 and (not shape or shape[0] <= LITERAL_ROWS) and (
        len(shape) < 2 or shape[1] <= LITERAL_COLUMNS)
    if small:
        zero = False if dt.name == "DT_BOOL" else 0
        return Source("literal", text=json.dumps(np.full(shape, zero, dtype=object).tolist()))
    return Source("fill", fill="uniform" if dt.is_float else "zeros", params={"seed": 0} if dt.is_float else {})


def default_sources(signature: Signature, batch: int = 1) -> dict[str, Source]:
    """A default Source for every input a value can be made for; the model's own default values where it has them."""
    method = signature.method_short or "predict"
    out: dict[str, Source] = {}
    for key, spec in signature.inputs.items():
        value = signature.defaults.get(key)
        if value is not None and not isinstance(value, dict):  # a dict is a summary of a default too large to read
            out[key] = Source("literal", text=json.dumps(value))
            continue
        source = default_source(spec, method, batch, signature.example_features.get(key))
        if source is not None:
            out[key] = source
    return out


def default_input(signature: Signature, batch: int = 1) -> dict[str, np.ndarray]:
    """The default request's arrays (default_sources built), which validate.check accepts without an error."""
    arrays, _notes = build_inputs(signature, default_sources(signature, batch), batch=batch)
    return arrays


def default_note(signature: Signature, sources: dict[str, Source]) -> str:
    """What the CLI says it sent when no input was given, true to `sources` (zeros, seeded noise for big float
    inputs, empty strings or tf.Examples), so nobody mistakes it for their data."""
    kinds: list[str] = []

    def add(kind):
        if kind not in kinds:
            kinds.append(kind)

    for key, source in sources.items():
        spec = signature.inputs.get(key)
        if source.kind == "examples":
            add("tf.Examples of the graph's features at zero" if key in signature.example_features else
                "empty tf.Examples")
        elif source.kind == "fill" and source.fill == "uniform":
            add("seeded noise in [0, 1) for large float inputs")
        elif spec is not None and spec.dtype == "DT_STRING":
            add("empty strings")
        elif key in signature.defaults:
            add("the model's own default values")
        else:
            add("zeros of its shapes")
    what = ", ".join(kinds) or "nothing"
    return f"No inputs given: the signature's default input ({what}, as the window's form starts) was sent."

