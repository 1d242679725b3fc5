"""Build input arrays for a signature's tensor specs from what a user typed or chose: literals, fills, files, text,
tf.Examples. Every conversion that changes the data (resize, channels, scaling, repeats) is said in Built.notes.

A Source (sources.py) keeps what the user gave verbatim; build_input turns it into an array for one TensorSpec:
literals, fills, files and images here, values in tensor_values.py. Literals, CSV
and text carry no dtype of their own, so they become the spec's dtype; .npy/.npz arrays keep theirs, so that
validate.check can say "float64 but the signature wants float32" instead of casting behind the user's back.
File loads are cached by (path, mtime, size): a form that rebuilds on every keystroke never re-reads a file.
"""
from __future__ import annotations

import json
import math
import os
import threading
import traceback
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import dtypes, limits
from .errors import InputProblem
from .signature import Signature, TensorSpec, shape_text
from .sources import KINDS, Source, fill_name, param_flag, parse_params
from .tensor_values import (Built, concrete_shape, dtype_of, fit_rank, from_examples, from_text, from_value, numbers_to,
                            numeric_table)

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
        values, detail = _fill_values(name, dt, n, p)
    except (TypeError, ValueError) as exc:
        raise InputProblem(key, f"{key}: the {name} fill's parameters are wrong: {exc}.",
                           fix="Give numbers, e.g. fill:uniform?low=0&high=1&seed=3.") from exc
    notes = []
    if dt.is_integer and values.dtype.kind == "f":
        info = np.iinfo(dt.np)
        rounded = np.rint(values)
        clipped = np.clip(rounded, info.min, info.max)
        if (clipped != rounded).any():
            notes.append(f"{key}: values clipped to the {dt.short} range {info.min}..{info.max}.")
        values = clipped.astype(dt.np)
    elif dt.is_integer:
        info = np.iinfo(dt.np)
        clipped = np.clip(values, info.min, info.max)
        if (clipped != values).any():
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


def _fill_values(name: str, dt: dtypes.DType, n: int, p: dict):
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
            low, high = _param(p, "low", 0, int), _param(p, "high", 10, int)
            if high <= low:
                raise ValueError(f"high ({high}) must be above low ({low})")
            return rng.integers(low, high, n), f" integers in [{low}, {high}), seed {seed}"
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


# ---- files

_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def cached(tag: str, path: Path, extra: tuple, load):
    """load() once per (path, mtime, size, extra): edits to the file are seen, keystrokes are not re-reads."""
    stat = path.stat()
    ident = (tag, str(path.resolve()), stat.st_mtime_ns, stat.st_size) + extra
    with _CACHE_LOCK:
        if ident in _CACHE:
            _CACHE.move_to_end(ident)
            return _CACHE[ident]
    value = load()
    with _CACHE_LOCK:
        _CACHE[ident] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget cached file loads (tests, or a user asking to reload)."""
    with _CACHE_LOCK:
        _CACHE.clear()


TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})


def from_file(spec: TensorSpec, source: Source, batch, dims, loose: bool) -> Built:
    """The file (or folder of images) `source.path` names, read by its suffix; InputProblem saying what to give."""
    key = spec.key
    if not source.path:
        raise InputProblem(key, f"{key}: no file chosen.", fix="Choose a .npy, .npz, .csv, text or image file.")
    path = Path(os.path.expanduser(source.path))
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not images:
            raise InputProblem(key, f"{key}: the folder {source.path} holds no images.",
                               fix="Choose a file, or a folder of .png/.jpg images (one batch row per image).")
        return from_images(spec, source, images, batch, loose, folder=path)
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative to {os.getcwd()})"
        raise InputProblem(key, f"{key}: file not found: {source.path}{where}.",
                           fix="Check the path; it must name a file, not a folder.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        array = cached("npy", path, (), lambda: _load_npy(key, path))  # memory-mapped: the copy below is the only one
        limits.check_input_size(key, array.nbytes, f"{path.name} ({array.dtype} {shape_text(array.shape)})")
        return Built(np.array(array), (f"{key}: {path.name} holds {array.dtype} {shape_text(array.shape)}.",))
    if suffix == ".npz":
        return _from_npz(spec, source, path)
    if suffix in IMAGE_SUFFIXES:
        return from_images(spec, source, [path], batch, loose)
    if suffix == ".json":
        # Parsed JSON numbers are Python objects: ~4 bytes of memory per byte of text, measured with json.loads.
        limits.check_input_size(key, path.stat().st_size * 4, f"reading {path.name} ({_size_of(path)} of JSON)")
        text = cached("text", path, (), lambda: _read_text(key, path))
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputProblem(key, f"{key}: {path.name} is not valid JSON ({exc.msg} at line {exc.lineno}).",
                               fix="Fix the JSON, or save the values as .npy/.csv.") from exc
        if dtype_of(spec).is_string and isinstance(value, (list, dict)) and _looks_like_examples(value):
            return from_examples(spec, Source("examples", text=text))
        built = from_value(spec, value, batch, dims, loose, origin=path.name)
        return Built(built.array, (f"{key}: read {path.name} as JSON, {shape_text(built.array.shape)}.",) + built.notes)
    if suffix in TABLE_SUFFIXES:
        delimiter = "\t" if suffix == ".tsv" else ("," if suffix == ".csv" else None)
        if not dtype_of(spec).is_string:  # numbers: streamed by numpy's C reader from the file, no text copy
            return _from_table_file(spec, path, delimiter, batch, dims)
        limits.check_input_size(key, path.stat().st_size * 4, f"reading {path.name} ({_size_of(path)}) as strings")
        text = cached("text", path, (), lambda: _read_text(key, path))
        return from_text(spec, text, source.params, batch, dims, origin=path.name, delimiter=delimiter, table=suffix != ".txt")
    raise InputProblem(key, f"{key}: {path.name} has a file type this tool does not read ({suffix or 'no suffix'}).",
                       fix="Use .npy, .npz, .csv, .tsv, .txt, .json or an image (.png, .jpg, ...).")


def _size_of(path: Path) -> str:
    return limits.mb_text(path.stat().st_size)


def _load_npy(key: str, path: Path) -> np.ndarray:
    """A .npy file memory-mapped (read-only), after its header says it is one; never unpickled."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY":
        raise InputProblem(key, f"{key}: {path.name} is not a .npy file (it does not start with numpy's "
                                "\\x93NUMPY header).", fix="Write it with numpy.save, or give the file its real suffix.")
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as exc:
        pickled_fix = "Save a numeric or fixed-width string array: np.save(path, np.asarray(values, dtype=...))."
        if "memory-mapped" not in str(exc) and "mmap" not in str(exc):
            raise _numpy_file_problem(key, path, exc, ".npy", "numpy.save", pickled_fix) from exc
        try:  # object arrays cannot be mapped: np.load then refuses them as pickled, which they are
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as again:
            raise _numpy_file_problem(key, path, again, ".npy", "numpy.save", pickled_fix) from again
    except (OSError, EOFError) as exc:
        raise _numpy_file_problem(key, path, exc, ".npy", "numpy.save", "") from exc
    return array


def _npz_arrays(key: str, path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz, after its members' declared sizes passed the input limit; members that are not
    .npy arrays are named, not returned as bytes."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputProblem(key, f"{key}: {path.name} is not a valid .npz file (not a zip archive: {exc}).",
                           fix="Write it with numpy.savez.") from None
    limits.check_input_size(key, sum(i.file_size for i in infos), f"{path.name} ({len(infos)} arrays)")
    strays = [i.filename for i in infos if not i.filename.endswith(".npy")]
    if strays:
        raise InputProblem(key, f"{key}: {path.name} holds {strays[0]!r}, which is not a numpy array (.npy) member.",
                           fix="Write the file with numpy.savez, which stores every array as NAME.npy.")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (ValueError, OSError, EOFError, KeyError, NotImplementedError) as exc:
        raise _numpy_file_problem(key, path, exc, ".npz", "numpy.savez",
                                  "Save numeric or fixed-width string arrays with numpy.savez.") from exc


def _numpy_file_problem(key: str, path: Path, exc: Exception, suffix: str, writer: str, pickled_fix: str) -> InputProblem:
    """What np.load's failure means for the user: pickled objects refused, or not a valid/readable .npy/.npz file."""
    if isinstance(exc, ValueError):
        if "allow_pickle" in str(exc):
            return InputProblem(key, f"{key}: {path.name} holds Python objects (pickled), which are not loaded for safety.",
                                fix=pickled_fix)
        return InputProblem(key, f"{key}: {path.name} is not a valid {suffix} file ({exc}).",
                            fix=f"Write it with {writer}.", details=traceback.format_exc())
    return InputProblem(key, f"{key}: {path.name} could not be read as a {suffix} file ({exc}).",
                        fix=f"Write it with {writer}.", details=traceback.format_exc())


def npz_keys(path: str) -> list[str]:
    """Names of the arrays in an .npz (for a picker); InputProblem when the file is not one."""
    p = Path(os.path.expanduser(path))
    return list(cached("npz", p, (), lambda: _npz_arrays(None, p)))


def _from_npz(spec: TensorSpec, source: Source, path: Path) -> Built:
    key = spec.key
    arrays = cached("npz", path, (), lambda: _npz_arrays(key, path))
    names = list(arrays)
    chosen = source.key
    note = ""
    if not chosen:
        if key in arrays:
            chosen, note = key, " (named like the input)"
        elif len(names) == 1:
            chosen, note = names[0], " (its only array)"
        else:
            raise InputProblem(key, f"{key}: {path.name} holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                                    "say which one.", fix=f"Write {key}=@{source.path}:NAME with NAME one of: {', '.join(names)}.")
    if chosen not in arrays:
        import difflib

        near = difflib.get_close_matches(chosen, names, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise InputProblem(key, f"{key}: {path.name} has no array named {chosen!r}; it holds {', '.join(names) or 'none'}.{hint}",
                           fix=f"Use one of: {', '.join(names)}.")
    array = arrays[chosen]
    return Built(array.copy(), (f"{key}: {path.name}[{chosen!r}]{note} holds {array.dtype} {shape_text(array.shape)}.",))


def _read_text(key: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputProblem(key, f"{key}: {path.name} is not UTF-8 text.", fix="Save it as UTF-8.") from exc


def _looks_like_examples(value) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, dict) and "b64" not in v for v in items)


def _from_table_file(spec: TensorSpec, path: Path, delimiter: str | None, batch, dims) -> Built:
    """A numeric CSV/TSV/text table read by numpy's C reader straight from the file (one float64 array, no text
    copy), after its size was estimated from the file's length and its first rows."""
    key = spec.key
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    sample = head.decode("utf-8-sig", "replace").splitlines()
    if len(head) == size or len(sample) < 2:
        sample_lines = sample
    else:
        sample_lines = sample[:-1]  # the last sampled line may be cut in two
    cells = sum(len(line.split(delimiter)) for line in sample_lines if line.strip())
    sampled = sum(len(line) + 1 for line in sample_lines) or 1
    values = max(cells, 1) * size / sampled
    limits.check_input_size(key, int(values * 8), f"{path.name} ({limits.mb_text(size)}, about {values:,.0f} "
                                                  "numbers as float64)")
    lines = [line for line in sample if line.strip()]
    if not lines:
        raise InputProblem(key, f"{key}: {path.name} has no values.", fix="Give at least one number.")
    notes: list[str] = []
    skip = 0
    try:
        numeric_table(lines[:1], delimiter)
    except ValueError:
        skip = 1
        notes.append(f"{key}: skipped the header row of {path.name}: {lines[0][:60]!r}.")
    try:
        table = np.loadtxt(path, delimiter=delimiter, ndmin=2, dtype=np.float64, skiprows=skip, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputProblem(key, f"{key}: {path.name} is not a table of numbers ({exc}).",
                           fix="Give one row per line, values separated by commas (or spaces in .txt).") from None
    if table.size == 0:
        raise InputProblem(key, f"{key}: {path.name} has no values.", fix="Give at least one number.")
    array = numbers_to(dtype_of(spec), table, key)
    built = fit_rank(spec, array, path.name, batch=batch, dims=dims)
    return Built(built.array, tuple(notes) + built.notes)


# ---- images

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_MODE_WORDS = {"L": "grayscale", "RGB": "RGB", "RGBA": "RGBA", "P": "palette", "LA": "grayscale+alpha",
               "1": "black-and-white", "CMYK": "CMYK", "I;16": "16-bit grayscale", "I": "32-bit grayscale",
               "F": "float grayscale"}



def _image_layout(spec: TensorSpec):
    """(batch axis?, H, W, C or None for no channel axis, channels_first) from the spec, -1 where free."""
    shape = spec.shape
    if shape is None or not spec.has_shape:
        return True, -1, -1, -1, False
    r = len(shape)
    if r == 4:
        if shape[1] in (1, 3, 4) and shape[3] not in (1, 3, 4):
            return True, shape[2], shape[3], shape[1], True
        return True, shape[1], shape[2], shape[3], False
    if r == 3:
        if shape[0] == -1 and shape[2] not in (3, 4):
            return True, shape[1], shape[2], None, False
        return False, shape[0], shape[1], shape[2], False
    if r == 2:
        return False, shape[0], shape[1], None, False
    raise InputProblem(spec.key, f"{spec.key} has shape {spec.shape_text()}, which does not look like an image "
                                 "(an image input has 2 to 4 dimensions).",
                       fix="Load the pixels from .npy instead, or pick the image input of the signature.")


def from_images(spec: TensorSpec, source: Source, paths: list[Path], batch, loose: bool,
                folder: Path | None = None) -> Built:
    """One image, or a folder of images as one batch row each (sorted by name)."""
    key = spec.key
    dt = dtype_of(spec)
    many = folder is not None
    head = ([f"{key}: {len(paths)} image(s) from {folder.name}/, one row each, sorted by name: "
             + ", ".join(p.name for p in paths[:4]) + (", ..." if len(paths) > 4 else ".")] if many else [])
    if dt.is_string:
        blobs = [cached("bytes", p, (), p.read_bytes) for p in paths]
        array = np.empty(len(blobs), dtype=object)
        array[:] = blobs
        if not many and spec.shape is not None and spec.has_shape and spec.rank == 0:
            array = array.reshape(())
        said = (f"{key}: the encoded bytes of {paths[0].name} ({len(blobs[0]):,} B) as one string."
                if not many else f"{key}: the encoded bytes of each image, {len(blobs)} strings.")
        return Built(array, tuple(head) + (said,))
    batch_axis, h, w, c, channels_first = _image_layout(spec)
    if many and not batch_axis and len(paths) > 1:
        raise InputProblem(key, f"{key} takes one image {spec.shape_text()}, but the folder holds {len(paths)}.",
                           fix="Choose one image file, or a signature with a batch dimension.")
    mode = _MODES.get(c) if c not in (None, -1) else ("L" if c is None else "")
    if c not in (None, -1) and mode is None:
        raise InputProblem(key, f"{key} wants {c} channels; images have 1 (grayscale), 3 (RGB) or 4 (RGBA).",
                           fix="Load the pixels from .npy instead.")
    _check_image_sizes(key, paths, h, w, c, dt)
    loaded = [cached("image", p, (h, w, mode), lambda p=p: _load_image(key, p, h, w, mode)) for p in paths]
    sizes = {px.shape for px, _ in loaded}
    if len(sizes) > 1:
        raise InputProblem(key, f"{key}: the images have different sizes or channels {sorted(sizes)}, and the "
                                f"signature's shape {spec.shape_text()} does not fix them, so they cannot form one batch.",
                           fix="Resize the images to one size first, or load them one at a time.")
    notes = list(head)
    described = {n.replace(p.name, "\0", 1) for p, (_, image_notes) in zip(paths, loaded) for n in image_notes[:1]}
    if many and len(paths) > 1 and len(described) == 1:  # "digit_0.png is 28x28 grayscale." ten times says one thing
        notes.append(described.pop().replace("\0", f"each of the {len(paths)} images"))
        loaded_notes = [image_notes[1:] for _, image_notes in loaded]
    else:
        loaded_notes = [image_notes for _, image_notes in loaded]
    for image_notes in loaded_notes:
        notes.extend(n for n in image_notes if n not in notes)
    if len(notes) > 12:
        notes = notes[:11] + [f"{key}: ... and {len(notes) - 11} more notes like these."]
    array = np.stack([px for px, _ in loaded])  # a copy: the cached pixels are read-only and shared
    if array.ndim == 3 and c is not None:
        array = array[..., None]
    if dt.is_float:
        array = array.astype(dt.np)
        if param_flag(source.params, "normalize"):
            array /= np.asarray(255, dtype=dt.np)
            notes.append(f"{key}: scaled 0..255 to 0..1 (divided by 255), {dt.short}.")
        else:
            notes.append(f"{key}: pixel values 0..255 as {dt.short}, not scaled (add normalize=true to scale to 0..1).")
    elif dt.name != "DT_UINT8":
        array = numbers_to(dt, array, key) if dt.is_integer else array.astype(dt.np)
        notes.append(f"{key}: pixel values 0..255 as {dt.short}.")
    if channels_first:
        array = np.moveaxis(array, -1, 1)
        notes.append(f"{key}: channels moved first (C, H, W) as the signature's shape asks.")
    if not batch_axis:
        array = array[0]
    elif not many:
        n = 1
        if spec.shape is not None and spec.has_shape and spec.shape[0] > 0:
            n = spec.shape[0]
        elif batch:
            n = int(batch)
        array = np.repeat(array, n, axis=0)
        notes.append(f"{key}: added a batch axis: {shape_text(array.shape)}"
                     + (f" (the image repeated {n} times)." if n > 1 else "."))
    return Built(np.ascontiguousarray(array), tuple(notes))


def _check_image_sizes(key: str, paths: list[Path], h: int, w: int, c, dt: dtypes.DType) -> None:
    """Estimate the pixels from each image's header (no decoding) and refuse a batch over the input limit."""
    from PIL import Image

    total = 0
    itemsize = dt.np.itemsize if dt.numpy and not dt.is_string else 1
    for path in paths:
        try:
            with Image.open(path) as im:  # reads the header only
                ow, oh, bands = im.size[0], im.size[1], len(im.getbands())
        except Exception:  # noqa: BLE001 - _load_image says what is wrong with the file
            continue
        th, tw = (h if h and h > 0 else oh), (w if w and w > 0 else ow)
        channels = c if isinstance(c, int) and c > 0 else max(bands, 1)
        # decoded at full size (uint8, 4 bands at most) before any resize, then the tensor itself
        total += ow * oh * 4 + th * tw * channels * itemsize
    what = f"{len(paths)} images" if len(paths) > 1 else paths[0].name if paths else "the image"
    limits.check_input_size(key, total, f"{what} as pixels")


def _load_image(key: str, path: Path, h: int, w: int, mode: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            original_mode, (ow, oh) = im.mode, im.size
            notes = [f"{key}: {path.name} is {ow}x{oh} {_MODE_WORDS.get(im.mode, im.mode)}."]
            target_mode = mode or ("RGBA" if "A" in im.mode or im.mode == "P" and "transparency" in im.info
                                   else "L" if im.mode in ("L", "1", "I", "I;16", "F") else "RGB")
            if im.mode != target_mode:
                im = im.convert(target_mode)
                notes.append(f"{key}: converted {_MODE_WORDS.get(original_mode, original_mode)} -> "
                             f"{_MODE_WORDS.get(target_mode, target_mode)} ({len(target_mode)} channel"
                             f"{'s' if len(target_mode) > 1 else ''}).")
            th, tw = (h if h and h > 0 else oh), (w if w and w > 0 else ow)
            if (tw, th) != (ow, oh):
                im = im.resize((tw, th), Image.Resampling.BILINEAR)
                notes.append(f"{key}: resized {ow}x{oh} -> {tw}x{th} (bilinear, aspect ratio not kept).")
            pixels = np.asarray(im, dtype=np.uint8)
    except UnidentifiedImageError as exc:
        raise InputProblem(key, f"{key}: {path.name} is not an image Pillow can read.",
                           fix="Check the file: its name says image but its content is not PNG/JPEG/... data.",
                           details=str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise InputProblem(key, f"{key}: {path.name} could not be decoded as an image ({exc}).",
                           fix="Re-save the image as PNG or JPEG.", details=traceback.format_exc()) from exc
    pixels.setflags(write=False)
    return pixels, tuple(notes)
