"""Input files: .npy (memory-mapped, never unpickled), .npz, JSON, CSV/TSV/text tables and lines, images and folders of
images, each size-checked against the input limit before it is read, and read through the file cache."""
from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

import numpy as np

from . import limits
from .errors import InputProblem
from .file_cache import cached
from .input_images import IMAGE_SUFFIXES, from_images
from .signature import TensorSpec, shape_text
from .sources import Source
from .tensor_values import Built, dtype_of, fit_rank, from_examples, from_text, from_value, numbers_to, numeric_table

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
