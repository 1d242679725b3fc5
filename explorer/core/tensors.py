"""Build input arrays for a signature's tensor specs from what a user typed or chose: literals, fills, files, text,
tf.Examples. Every conversion that changes the data (resize, channels, scaling, repeats) is said in Built.notes.

A Source (sources.py) keeps what the user gave verbatim; build_input turns it into an array for one TensorSpec:
literals and fills here, values in tensor_values.py, files in input_files.py and input_images.py. Literals, CSV
and text carry no dtype of their own, so they become the spec's dtype; .npy/.npz arrays keep theirs, so that
validate.check can say "float64 but the signature wants float32" instead of casting behind the user's back.
"""
from __future__ import annotations

import json
import math
import traceback

import numpy as np

from . import dtypes, limits
from .errors import InputProblem
from .input_files import from_file
from .signature import Signature, TensorSpec, shape_text
from .sources import KINDS, Source, fill_name, parse_params
from .tensor_values import Built, concrete_shape, dtype_of, from_examples, from_text, from_value
from .validate import MIN_IMAGE_SIDE, looks_like_image

DEFAULT_SEED = 0
# How large an input may be is core/limits.py's to say (a share of available memory, or the user's setting); every
# builder below estimates the size first and asks it before allocating anything.


# ---------------------------------------------------------------- shapes

def _shape_for(spec: TensorSpec, source: Source, batch: int | None, dims: dict[int, int] | None) -> tuple[int, ...]:
    if "shape" in source.params:
        shape = source.params["shape"]
        if isinstance(shape, str):
            shape = parse_params(f"shape={shape}", spec.key)["shape"]
        shape = [int(d) for d in shape]
        bad = [d for d in shape if d < -1]
        if bad:
            raise InputProblem(spec.key, f"{spec.key}: shape={'x'.join(map(str, shape))} has a negative length "
                                         f"({bad[0]}); -1 means 'the batch size', other lengths must be 0 or more.",
                               fix="Give lengths of 0 or more, e.g. shape=5x1.")
        if any(d < 0 for d in shape):
            filler = TensorSpec(spec.key, spec.dtype, tuple(shape))
            return concrete_shape(filler, batch, dims)
        return tuple(shape)
    extra = source.params.get("dims")
    if isinstance(extra, dict):
        dims = {**{int(k): int(v) for k, v in extra.items()}, **(dims or {})}
    return concrete_shape(spec, batch, dims)


# ---------------------------------------------------------------- building

def build_input(spec: TensorSpec, source: Source, batch: int | None = None,
                dims: dict[int, int] | None = None) -> Built:
    """One input array for `spec` from `source`; InputProblem(key, message, fix=...) when it cannot be built."""
    try:
        return _build(spec, source, batch, dims, loose=False)
    except InputProblem:
        raise
    except Exception as exc:  # never let a bad input crash the form: wrap with the traceback behind details
        raise InputProblem(spec.key, f"{spec.key}: could not build the input from {source.describe()} ({exc}).",
                           details=traceback.format_exc(),
                           fix="Check the value or file; the details hold the technical reason.") from exc


def build_inputs(signature: Signature, sources: dict[str, Source],
                 batch: int | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Arrays for every given source, keyed by input; notes say what was done. Keys the signature lacks are built
    as given (check() then names them and suggests the nearest key); a key "" means the signature's only input.
    Fills follow the batch of the other inputs when no batch is given, so several inputs agree."""
    arrays: dict[str, np.ndarray] = {}
    notes: list[str] = []
    resolved: dict[str, Source] = {}
    for key, source in sources.items():
        if key == "":
            if len(signature.inputs) != 1:
                names = ", ".join(signature.inputs) or "none"
                raise InputProblem(None, f"A value was given without an input key, but signature "
                                         f"{signature.key!r} has {len(signature.inputs)} inputs ({names}).",
                                   fix="Write KEY=VALUE with one of the signature's input keys.")
            key = next(iter(signature.inputs))
        resolved[key] = source

    ordered = sorted(resolved.items(), key=lambda kv: kv[1].kind == "fill")  # fills last: they follow the others
    common = batch
    for key, source in ordered:
        spec = signature.inputs.get(key)
        if source.kind == "fill" and batch is None and common is not None and spec is not None:
            built = build_input(spec, source, common)
            if spec.shape and spec.shape[0] == -1:
                built = Built(built.array, built.notes + (f"{key}: batch {common} follows the other inputs.",))
        elif spec is None:
            try:
                built = _build(TensorSpec(key, _loose_dtype(source), None), source, batch, None, loose=True)
            except InputProblem:
                raise
            except Exception as exc:
                raise InputProblem(key, f"{key}: could not build the input from {source.describe()} ({exc}).",
                                   details=traceback.format_exc()) from exc
        else:
            built = build_input(spec, source, batch)
        arrays[key] = built.array
        notes.extend(built.notes)
        if common is None and spec is not None and spec.shape and spec.shape[0] == -1 and built.array.ndim:
            common = int(built.array.shape[0])
    from .example_features import empty_examples_note

    notes += [n for n in (empty_examples_note(signature, k, s) for k, s in resolved.items()) if n]
    return {k: arrays[k] for k in resolved}, notes


def _loose_dtype(source: Source) -> str:
    return "DT_STRING" if source.kind in ("text", "examples") else "DT_FLOAT"


def _build(spec: TensorSpec, source: Source, batch, dims, *, loose: bool) -> Built:
    kind = source.kind
    if kind == "literal":
        return _from_literal(spec, source, batch, dims, loose)
    if kind == "fill":
        return _from_fill(spec, source, batch, dims)
    if kind == "file":
        return from_file(spec, source, batch, dims, loose)
    if kind == "text":
        return from_text(spec, source.text, source.params, batch, dims, origin="text")
    if kind == "examples":
        return from_examples(spec, source)
    raise InputProblem(spec.key, f"{spec.key}: unknown kind of value {kind!r}.", fix="Use one of: " + ", ".join(KINDS) + ".")


# ---- literals

def _from_literal(spec: TensorSpec, source: Source, batch, dims, loose: bool) -> Built:
    key = spec.key
    text = source.text.strip()
    if not text:
        raise InputProblem(key, f"{key}: no value given.",
                           fix="Type a number or a nested list such as [[1.0], [2.0]], or choose a fill or a file.")
    dt = dtype_of(spec)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if dt.is_string:
            value = text  # bare text for a string input is what the user means
        else:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise InputProblem(
                key, f"{key}: {shown!r} is not a valid value ({exc.msg} at column {exc.colno}).",
                fix="Write a number, or a JSON nested list such as [[1.0, 2.0], [3.0, 4.0]]; text goes in quotes.",
            ) from exc
    return from_value(spec, value, batch, dims, loose, origin="literal")


# ---- fills

def _from_fill(spec: TensorSpec, source: Source, batch, dims) -> Built:
    key = spec.key
    name = fill_name(source.fill or "zeros", key)
    dt = dtype_of(spec)
    shape = _shape_for(spec, source, batch, dims)
    p = source.params
    n = math.prod(shape)  # Python ints: np.prod wraps around past 2^63 (a "negative dimensions" error followed)
    itemsize = len(str(p.get("value", ""))) + 64 if dt.is_string else (dt.np.itemsize if dt.numpy else 8)
    limits.check_input_size(key, n * itemsize, f"the {name} fill of shape {shape_text(shape)} ({n:,} values)")
    said = f"{key}: {name}"
    if dt.is_string:
        if name not in ("zeros", "constant"):
            raise InputProblem(key, f"{key} takes strings; the '{name}' fill makes numbers.",
                               fix="Use a constant text, text lines, or tf.Examples for this input.")
        value = str(p.get("value", "")) if name == "constant" else ""
        array = np.full(shape, value.encode("utf-8"), dtype=object)
        return Built(array, (f"{said} {value!r}, shape {shape_text(shape)}.",))
    if name in ("zeros", "ones") and dt.numpy and not dt.is_string:  # straight into the dtype: no float64 copy
        array = (np.zeros if name == "zeros" else np.ones)(shape, dtype=dt.np)
        return Built(array, (f"{said}, shape {shape_text(shape)}, {dt.short}.",))
    try:
        values, detail = _fill_values(name, dt, n, p, random_range(spec))
    except (TypeError, ValueError) as exc:
        raise InputProblem(key, f"{key}: the {name} fill's parameters are wrong: {exc}.",
                           fix="Give numbers, e.g. fill:uniform?low=0&high=1&seed=3.") from exc
    notes = []
    if dt.is_integer:
        info = np.iinfo(dt.np)
        whole = np.rint(values) if values.dtype.kind == "f" else values
        clipped = np.clip(whole, info.min, info.max)
        if (clipped != whole).any():
            notes.append(f"{key}: values clipped to the {dt.short} range {info.min}..{info.max}.")
        values = clipped.astype(dt.np)
    else:
        values = np.asarray(values).astype(dt.np)
    return Built(values.reshape(shape), (f"{said}{detail}, shape {shape_text(shape)}, {dt.short}.",) + tuple(notes))


def _param(params: dict, name: str, default, cast):
    raw = params.get(name, default)
    try:
        return cast(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={raw!r} is not a number") from None


# A random integer fill draws small numbers (ids, counts, class numbers: an embedding lookup of 200 would fail), but
# pixels over the dtype's natural range: 0..9 in a uint8 image is a black picture no model was trained on. Wider
# integer images (int32, int64, uint32, uint64) still hold bytes, so they draw 0..255 rather than 2^31 wide.
SMALL_INTEGERS = (0, 10)
BYTE_PIXELS = (0, 256)


def random_range(spec: TensorSpec) -> tuple[float, float, str]:
    """[low, high) a uniform fill of `spec` draws when no low/high is given, and why (empty for the plain ranges);
    the form shows these as its defaults so the window and `--input x=fill:random` draw the same values."""
    try:
        dt = dtype_of(spec)
    except InputProblem:
        return 0.0, 1.0, ""
    if not dt.is_integer:
        return 0.0, 1.0, ""
    # A side the signature leaves free (-1) is judged plausible: [None, None, None, 3] is an image of any size.
    probe = tuple(MIN_IMAGE_SIDE if d < 0 else d for d in spec.shape) if spec.has_shape and spec.shape else None
    if probe is None or not looks_like_image(spec.key, spec, probe):
        return SMALL_INTEGERS + ("",)
    info = np.iinfo(dt.np)
    if info.bits <= 16:
        return int(info.min), int(info.max) + 1, f", the {dt.short} pixel range (the input looks like an image)"
    return BYTE_PIXELS + (", the byte pixel range (the input looks like an image)",)


def _fill_values(name: str, dt: dtypes.DType, n: int, p: dict, integers: tuple = SMALL_INTEGERS + ("",)):
    if name == "zeros":
        return np.zeros(n), ""
    if name == "ones":
        return np.ones(n), ""
    if name == "constant":
        value = _param(p, "value", 0, float)
        return np.full(n, value), f" {value:g}"
    if name == "range":
        start, step = _param(p, "start", 0, float), _param(p, "step", 1, float)
        return start + step * np.arange(n), f" from {start:g} step {step:g}"
    if name == "linspace":
        start, stop = _param(p, "start", 0, float), _param(p, "stop", 1, float)
        return np.linspace(start, stop, n), f" {start:g}..{stop:g}"
    seed = _param(p, "seed", DEFAULT_SEED, int)
    rng = np.random.default_rng(seed)
    if name == "uniform":
        if dt.name == "DT_BOOL":
            return rng.random(n) < 0.5, f" true/false, seed {seed}"
        if dt.is_integer:
            low, high = _param(p, "low", integers[0], int), _param(p, "high", integers[1], int)
            if high <= low:
                raise ValueError(f"high ({high}) must be above low ({low})")
            why = integers[2] if (low, high) == tuple(integers[:2]) else ""
            return rng.integers(low, high, n), f" integers in [{low}, {high}){why}, seed {seed}"
        low, high = _param(p, "low", 0.0, float), _param(p, "high", 1.0, float)
        if dt.name in _COMPLEX:
            re, im = rng.uniform(low, high, (2, n))
            return re + 1j * im, f" in [{low:g}, {high:g}) for the real and imaginary parts, seed {seed}"
        return rng.uniform(low, high, n), f" in [{low:g}, {high:g}), seed {seed}"
    mean, std = _param(p, "mean", 0.0, float), _param(p, "std", 1.0, float)
    if std < 0:
        raise ValueError(f"std ({std:g}) must not be negative")
    if dt.name in _COMPLEX:  # compare and check draw random requests for every input: complex ones too
        re, im = rng.normal(mean, std, (2, n))
        return re + 1j * im, f" mean {mean:g} std {std:g} for the real and imaginary parts, seed {seed}"
    return rng.normal(mean, std, n), f" mean {mean:g} std {std:g}, seed {seed}"


_COMPLEX = ("DT_COMPLEX64", "DT_COMPLEX128")
