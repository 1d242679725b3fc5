"""Values to typed arrays for one TensorSpec: JSON nests, number tables, text lines and tf.Examples become arrays of
the spec's dtype (refusing lossy conversions the user did not ask for), fitted to its rank where that is unambiguous.
Literals, CSV and text carry no dtype of their own, so they take the spec's."""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from . import dtypes, examples as example_codec
from .errors import InputProblem
from .signature import TensorSpec, shape_text
from .sources import Source, param_flag


@dataclass(frozen=True, eq=False)
class Built:
    """An input array ready for a request, and what was done to get it."""

    array: np.ndarray
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- shapes

def concrete_shape(spec: TensorSpec, batch: int | None = None, dims: dict[int, int] | None = None) -> tuple[int, ...]:
    """The spec's shape with every -1 made concrete: dim 0 gets `batch` (default 1), others dims[i] (default 1).
    Unknown rank gives a batch vector (batch,); a dim the spec fixes is kept even when batch says otherwise."""
    dims = dims or {}
    shape = spec.known_shape  # no shape recorded: the graph Placeholder's shape, when the graph was read
    if shape is None:  # unknown rank, or nothing known: TF1 feeds any shape, so give a batch vector
        return (int(batch) if batch else 1,)
    out = []
    for i, d in enumerate(shape):
        if d is not None and d >= 0:
            out.append(int(d))
        elif i in dims:
            out.append(int(dims[i]))
        elif i == 0:
            out.append(int(batch) if batch else 1)
        else:
            out.append(1)
    if any(d < 0 for d in out):
        raise InputProblem(spec.key, f"{spec.key}: a dimension length cannot be negative ({tuple(out)}).",
                           fix="Give lengths of 0 or more.")
    return tuple(out)


def dtype_of(spec: TensorSpec) -> dtypes.DType:
    """The spec's DType; InputProblem for one no value can be built for (a resource, a variant)."""
    try:
        dt = spec.dt
        if not dt.is_string:
            dt.np  # noqa: B018 - raises for dtypes numpy cannot hold
    except (KeyError, TypeError) as exc:
        raise InputProblem(spec.key, f"{spec.key}: inputs of dtype {spec.dtype} cannot be built here.",
                           fix="This input needs a value TensorFlow makes itself (e.g. a resource); it cannot be fed.") from exc
    return dt


def from_value(spec: TensorSpec, value, batch, dims, loose: bool, origin: str) -> Built:
    """Nested lists (JSON) -> array of the spec's dtype; a scalar for a shaped spec is repeated to its shape."""
    key = spec.key
    if isinstance(value, dict) and "b64" not in value:
        if "instances" in value or "inputs" in value:
            raise InputProblem(key, f"{key}: this looks like a whole TF Serving request, not one input's value.",
                               fix="Give only this input's values, e.g. [[1.0], [2.0]].")
        raise InputProblem(key, f"{key}: a JSON object is not a tensor value.",
                           fix='Write a number, a list, or {"b64": "..."} for raw bytes.')
    shape, leaves = _nested(value, key)
    dt = dtype_of(spec)
    if loose:
        dt = dtypes.BY_NAME["DT_STRING"] if any(isinstance(v, (str, dict)) for v in leaves) else (
            dtypes.BY_NAME["DT_FLOAT"] if any(isinstance(v, float) for v in leaves) else dtypes.BY_NAME["DT_INT64"])
    flat = _leaves_to(dt, leaves, key)
    array = flat.reshape(shape)
    notes: list[str] = []
    if array.ndim == 0 and spec.shape and spec.has_shape and not loose:
        target = concrete_shape(spec, batch, dims)
        array = np.broadcast_to(array, target).copy()
        notes.append(f"{key}: the value {_short(leaves[0])} repeated to shape {shape_text(target)}.")
    return Built(array, tuple(notes))


def _nested(value, key: str) -> tuple[tuple[int, ...], list]:
    """Shape and flat leaves of nested lists; InputProblem for ragged rows."""
    shape: list[int] = []
    level = [value]
    while level and all(isinstance(v, list) for v in level):
        lengths = {len(v) for v in level}
        if len(lengths) > 1:
            raise InputProblem(key, f"{key}: rows have different lengths {sorted(lengths)} at depth {len(shape) + 1}; "
                                    "a tensor needs every row the same length.",
                               fix="Make every row the same length (pad short rows), or split the batch.")
        n = lengths.pop()
        shape.append(n)
        level = [x for v in level for x in v]
        if n == 0:
            break
    if any(isinstance(v, list) for v in level):
        raise InputProblem(key, f"{key}: values are nested to different depths (a number where a list was expected).",
                           fix="Give every row the same nesting, e.g. [[1], [2]] rather than [[1], 2].")
    return tuple(shape), level


def _leaves_to(dt: dtypes.DType, leaves: list, key: str) -> np.ndarray:
    if dt.is_string:
        out = np.empty(len(leaves), dtype=object)
        for i, v in enumerate(leaves):
            if isinstance(v, str):
                out[i] = v.encode("utf-8")
            elif isinstance(v, bytes):
                out[i] = v
            elif isinstance(v, dict) and "b64" in v:
                out[i] = example_codec._bytes(v, f"{key}: value {i}", key)
            else:
                raise InputProblem(key, f"{key} takes strings (DT_STRING) but value {i} is {_short(v)}.",
                                   fix='Put text in quotes, e.g. ["cat", "dog"]; serialized tf.Examples go in the '
                                       'Examples builder (CLI: --example).')
        return out
    texts = [v for v in leaves if isinstance(v, (str, dict)) or v is None]
    if texts:
        first = texts[0]
        try:
            quoted_number = isinstance(first, str) and bool(first.strip()) and float(first) is not None
        except ValueError:
            quoted_number = False
        # Only a number in quotes ("3") is fixed by removing quotes; a word typed into a grid cell never had any.
        fix = ("Remove the quotes around numbers." if quoted_number else f"Type a number in place of {_short(first)}.")
        raise InputProblem(key, f"{key} takes {dt.short} numbers but got {_short(first)}, which is not a number.",
                           fix=fix + " If this input should take text, the signature says otherwise.")
    return numbers_to(dt, leaves, key)


def numbers_to(dt: dtypes.DType, values, key: str) -> np.ndarray:
    """Numbers (list or array) -> array of dt, refusing lossy conversions the user did not ask for."""
    target = dt.np
    if dt.name == "DT_BOOL":
        arr = np.asarray(values)
        if arr.size and not np.isin(arr.astype(np.float64), (0, 1)).all():
            raise InputProblem(key, f"{key} takes booleans; give true/false or 0/1.", fix="Use true, false, 0 or 1.")
        return arr.astype(bool)
    if dt.is_integer:
        info = np.iinfo(target)
        if isinstance(values, list) and all(isinstance(v, (int, np.integer)) for v in values):
            # exact Python ints: JSON may hold values beyond int64, which float64 would silently round
            low, high = (min(values), max(values)) if values else (0, 0)
            arr = None
        else:
            arr = np.asarray(values, dtype=np.float64) if isinstance(values, list) else np.asarray(values)
            if arr.dtype.kind == "f" and arr.size:
                if not np.all(np.isfinite(arr)):
                    raise InputProblem(key, f"{key} takes {dt.short} integers; NaN and infinity have no integer value.",
                                       fix="Replace NaN/inf with numbers.")
                fractional = np.mod(arr, 1) != 0
                if fractional.any():
                    bad = float(arr[fractional][0])
                    raise InputProblem(key, f"{key} takes {dt.short} integers but got {bad:g}, not a whole number.",
                                       fix=f"Round the values first ({bad:g} would be cut to {math.trunc(bad)}).")
            low, high = (arr.min(), arr.max()) if arr.size else (0, 0)
        if low < info.min or high > info.max:
            raise InputProblem(key, f"{key} takes {dt.short}, whose range is {info.min}..{info.max}, but got "
                                    f"{low if low < info.min else high:g}.",
                               fix=f"Give values within {info.min}..{info.max}.")
        return np.array(values, dtype=target) if arr is None else arr.astype(target)
    arr = np.asarray(values, dtype=np.float64 if dt.name != "DT_COMPLEX128" and dt.name != "DT_COMPLEX64" else complex)
    with np.errstate(over="ignore", invalid="ignore"):
        out = arr.astype(target)
    if arr.size and dt.is_float:
        overflow = np.isinf(out) & np.isfinite(arr)  # isinf reads float16/32 as they are: no float64 copy
        if overflow.any():
            raise InputProblem(key, f"{key} takes {dt.short}; {arr[overflow][0]:g} is too large for it (becomes inf).",
                               fix="Scale the values down, or use a model input of a wider type.")
    return out


# ---- text (string lines, or a numeric table)

def from_text(spec: TensorSpec, text: str, params: dict, batch, dims, *, origin: str,
              delimiter: str | None = None, table: bool = False) -> Built:
    """Text lines (or table cells) as strings for a string spec, else a table of numbers (a header row skipped)."""
    key = spec.key
    dt = dtype_of(spec)
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if dt.is_string:
        if table and delimiter:
            import csv

            rows = list(csv.reader(lines, delimiter=delimiter))
            width = {len(r) for r in rows}
            if len(width) > 1:
                raise InputProblem(key, f"{key}: rows of {origin} have different numbers of cells {sorted(width)}.",
                                   fix="Give every row the same number of cells.")
            cells = [c for r in rows for c in r]
            shape = (len(rows), width.pop() if width else 0)
        else:
            cells, shape = lines, (len(lines),)
        if param_flag(params, "b64"):
            import base64
            import binascii

            try:
                values = [base64.b64decode(c.strip(), validate=True) for c in cells]
            except (binascii.Error, ValueError) as exc:
                raise InputProblem(key, f"{key}: a line of {origin} is not valid base64.",
                                   fix="Give one standard base64 value per line.") from exc
        else:
            values = [c.encode("utf-8") for c in cells]
        array = np.empty(len(values), dtype=object)
        array[:] = values
        array = array.reshape(shape)
        return fit_rank(spec, array, f"{len(values)} string(s) from {origin}")
    if not lines:
        raise InputProblem(key, f"{key}: {origin} has no values.", fix="Give at least one number.")
    notes: list[str] = []
    data = lines
    try:
        table_values = numeric_table(data, delimiter)
    except ValueError:
        try:
            table_values = numeric_table(data[1:], delimiter)
            notes.append(f"{key}: skipped the header row of {origin}: {data[0][:60]!r}.")
        except ValueError as exc:
            raise InputProblem(key, f"{key}: {origin} is not a table of numbers ({exc}).",
                               fix="Give one row per line, values separated by commas (or spaces in .txt).") from exc
    array = numbers_to(dt, table_values, key)
    built = fit_rank(spec, array, f"{origin}", batch=batch, dims=dims)
    return Built(built.array, tuple(notes) + built.notes)


def numeric_table(lines: list[str], delimiter: str | None) -> np.ndarray:
    """Lines of numbers -> a 2-D float64 array; ValueError when a line is not numbers."""
    if not lines:
        raise ValueError("no rows")
    return np.loadtxt(io.StringIO("\n".join(lines)), delimiter=delimiter, ndmin=2, dtype=np.float64)


def fit_rank(spec: TensorSpec, array: np.ndarray, what: str, batch=None, dims=None) -> Built:
    """Tables and line lists to the spec's rank where that is unambiguous; said in the note."""
    key = spec.key
    note = f"{key}: {what}, {shape_text(array.shape)}"
    if spec.shape is None or not spec.has_shape or spec.rank == array.ndim:
        return Built(array, (note + ".",))
    if spec.rank == 0 and array.size == 1:
        return Built(array.reshape(()), (note + ", as a scalar.",))
    if spec.rank == 1 and (array.ndim == 2 and 1 in array.shape):
        return Built(array.reshape(-1), (note + f", flattened to {shape_text((array.size,))}.",))
    if spec.rank == 2 and array.ndim == 1:
        want = spec.shape[1]
        if want in (-1, 1):
            return Built(array.reshape(-1, 1), (note + f", one value per row: {shape_text((array.size, 1))}.",))
    if spec.rank and spec.rank > array.ndim and array.ndim >= 1:
        inner = concrete_shape(spec, 1, dims)[1:]
        per = int(np.prod(inner)) if inner else 1
        if per and array.size % per == 0:
            shape = (array.size // per,) + inner
            return Built(array.reshape(shape), (note + f", reshaped to {shape_text(shape)}.",))
    return Built(array, (note + ".",))


# ---- tf.Examples

def from_examples(spec: TensorSpec, source: Source) -> Built:
    """tf.Example feature dicts (JSON) serialized into a string spec; InputProblem for a numeric one."""
    key = spec.key
    dt = dtype_of(spec)
    if not dt.is_string:
        raise InputProblem(key, f"{key} takes {dt.short} numbers, not tf.Examples; serialized tf.Examples go to string "
                                "inputs (such as a classify or regress signature's 'inputs').",
                           fix=f"Give {key} numbers, or pick the signature whose input is a string.")
    features = example_codec.parse_examples(source.text, key)
    array = example_codec.serialize_examples(features, key)
    kinds: dict[str, str] = {}
    for ex in features:
        for name, value in ex.items():
            kinds.setdefault(name, example_codec.feature_values(value, name=name, key=key)[0].replace("_list", ""))
    described = ", ".join(f"{k} {v}" for k, v in kinds.items()) or "no features"
    built = fit_rank(spec, array, f"{len(features)} serialized tf.Example(s) [{described}]")
    return built


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."
