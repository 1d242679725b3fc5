"""Workspaces: targets, form inputs and runs saved to one file and opened again; outputs exported as .npy/CSV.

A workspace file is a zip: `workspace.json` (schema-versioned, human-readable) plus one `.npz` per run for the
input and output arrays, so large tensors stay binary and exact. Writes go to a temporary file first and are
renamed into place, so an autosave interrupted by a crash never leaves a half-written file behind.
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SessionFileError

SCHEMA_VERSION = 1
SUFFIX = ".sigx"


ONE_TIME_COSTS = ("load", "import_tensorflow")  # timing_ms keys a run pays once per model or process


@dataclass(eq=False)
class RunRecord:
    """One run as it happened: where, which signature, what went in and came out, how long it took."""

    target: str
    engine: str
    signature: str
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    timing_ms: dict[str, float] = field(default_factory=dict)
    version: int | None = None
    notes: tuple[str, ...] = ()
    error: str = ""  # a failed run keeps its inputs and the message
    started_at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def batch(self) -> int | None:
        """Rows the request carried: the leading dimension of its first non-scalar input (None for scalars only)."""
        for array in self.inputs.values():
            shape = np.shape(array)
            if shape:
                return int(shape[0])
        return None

    @property
    def run_ms(self) -> float | None:
        """The run's own time: loading the model and TensorFlow's one-time import left out."""
        spent = [v for k, v in self.timing_ms.items() if k not in ONE_TIME_COSTS]
        return sum(spent) if spent else None

    @classmethod
    def from_prediction(cls, prediction, inputs: dict[str, np.ndarray]) -> "RunRecord":
        """A record of a core Prediction and the inputs that produced it."""
        return cls(target=prediction.target, engine=prediction.engine, signature=prediction.signature,
                   inputs=dict(inputs), outputs=dict(prediction.outputs), timing_ms=dict(prediction.timing_ms),
                   version=prediction.version, notes=tuple(prediction.notes))


@dataclass(eq=False)
class Workspace:
    """What a user had open: targets (folders or server URLs), per-signature form sources, runs, tolerances."""

    targets: list[str] = field(default_factory=list)
    current_target: str = ""
    signature: str = ""
    # signature key -> input key -> a JSON-able description of the form's source (sources.Source as a dict)
    sources: dict[str, dict[str, dict]] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    rtol: float = 1e-5
    atol: float = 1e-6
    extra: dict = field(default_factory=dict)  # room for the UI's own state, saved verbatim


def save_workspace(path: str | os.PathLike, ws: Workspace) -> Path:
    """Write `ws` atomically to `path` (the .sigx suffix is added when missing); returns the path written."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "app": "signature-explorer",
        "targets": list(ws.targets),
        "current_target": ws.current_target,
        "signature": ws.signature,
        "sources": ws.sources,
        "rtol": ws.rtol,
        "atol": ws.atol,
        "extra": ws.extra,
        "runs": [
            {"id": r.id, "target": r.target, "engine": r.engine, "signature": r.signature, "version": r.version,
             "timing_ms": r.timing_ms, "notes": list(r.notes), "error": r.error, "started_at": r.started_at,
             "arrays": f"runs/{r.id}.npz"}
            for r in ws.runs
        ],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sigx-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("workspace.json", json.dumps(doc, indent=2, default=_json_default))
                for r in ws.runs:
                    # Stored, not deflated: tensors of floats barely compress (97 MB -> 90 MB) and deflating
                    # them took 24 s, far too slow for an autosave after every run.
                    zf.writestr(f"runs/{r.id}.npz", _npz_bytes(r), compress_type=zipfile.ZIP_STORED)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise SessionFileError(f"Could not save the workspace to {path}: {exc.strerror or exc}.",
                               fix="Choose a folder you can write to.") from exc
    return path


MAX_ENTRIES = 10_000  # a workspace holds workspace.json and one .npz per run
MAX_TOTAL_BYTES = 2 * 1024**3  # uncompressed, all entries together
MAX_JSON_BYTES = 64 * 1024**2
MAX_RATIO = 200  # deflate reaches ~10x on our JSON and ~1x on tensors; 1000x is a zip bomb
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, TypeError, IndexError, AttributeError,
            NotImplementedError, RuntimeError, EOFError, OverflowError, RecursionError, zlib.error)


def load_workspace(path: str | os.PathLike) -> Workspace:
    """Read a workspace file; SessionFileError saying what is wrong for anything that is not a sound one (any bytes:
    sizes and entry counts are checked from the zip directory before anything is decompressed)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            _check_directory(path, zf)
            doc = _document(path, zf)
            ws = _workspace_of(path, doc)
            for r in doc.get("runs", []):
                inputs, outputs = _run_arrays(path, zf, r)
                ws.runs.append(RunRecord(
                    target=r["target"], engine=r["engine"], signature=r["signature"], inputs=inputs,
                    outputs=outputs, timing_ms=dict(r.get("timing_ms") or {}), version=r.get("version"),
                    notes=tuple(str(n) for n in r.get("notes") or ()), error=str(r.get("error") or ""),
                    started_at=float(r.get("started_at") or 0.0), id=r["id"]))
    except SessionFileError:
        raise
    except FileNotFoundError as exc:
        raise SessionFileError(f"{path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise SessionFileError(f"{path} is a folder, not a workspace file.") from exc
    except zipfile.BadZipFile as exc:
        raise SessionFileError(f"{path} is not a Signature Explorer workspace, or it is damaged (not a zip file: "
                               f"{exc}).", details=repr(exc)) from None
    except OSError as exc:
        raise SessionFileError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    except MemoryError:
        raise SessionFileError(f"{path} is too large to open in the memory available.") from None
    except _DAMAGED as exc:
        raise SessionFileError(f"{path} is not a Signature Explorer workspace, or it is damaged ({_why(exc)}).",
                               details=repr(exc)) from None
    return ws


def _why(exc: Exception) -> str:
    if isinstance(exc, NotImplementedError):
        return f"it uses a zip compression this tool cannot read: {exc}"
    if isinstance(exc, RuntimeError) and "encrypt" in str(exc).lower():
        return "it is encrypted"
    if isinstance(exc, zlib.error):
        return f"its compressed data is corrupt: {exc}"
    if isinstance(exc, RecursionError):
        return "its JSON nests too deeply"
    return f"{type(exc).__name__}: {exc}"


def _check_directory(path: Path, zf: zipfile.ZipFile) -> None:
    """Entry count, total uncompressed size, compression ratio and encryption, from the directory alone."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise SessionFileError(f"{path} holds {len(infos):,} entries, more than a workspace has (at most "
                               f"{MAX_ENTRIES:,}).", fix="This is not a workspace saved by Signature Explorer.")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise SessionFileError(f"{path} would unpack to {total / 1024**2:,.0f} MB, over the workspace limit of "
                               f"{MAX_TOTAL_BYTES / 1024**2:,.0f} MB.",
                               fix="This is not a workspace saved by Signature Explorer, or it holds runs too large "
                                   "to reopen.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise SessionFileError(f"{path} is encrypted ({info.filename}); workspaces never are.")
        if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SessionFileError(f"{path} is a zip bomb: {info.filename} would unpack {info.compress_size:,} bytes "
                                   f"into {info.file_size:,}.", fix="Do not open it; it is not a workspace.")


def _document(path: Path, zf: zipfile.ZipFile) -> dict:
    try:
        info = zf.getinfo("workspace.json")
    except KeyError:
        raise SessionFileError(f"{path} has no workspace.json: it is not a Signature Explorer workspace.") from None
    if info.file_size > MAX_JSON_BYTES:
        raise SessionFileError(f"{path}'s workspace.json is {info.file_size / 1024**2:,.0f} MB; a workspace's is "
                               "a few KB.")
    try:
        doc = json.loads(zf.read(info))
    except RecursionError:
        raise SessionFileError(f"{path}'s workspace.json nests too deeply to be a workspace.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionFileError(f"{path}'s workspace.json is not valid JSON ({exc}).") from None
    _expect(path, doc, dict, "the workspace", "an object")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(f"{path} has an invalid workspace format version ({json.dumps(version)}): expected a "
                               f"whole number from 1 to {SCHEMA_VERSION}.",
                               fix="The file was edited or damaged; this is not a version any release wrote.")
    if version > SCHEMA_VERSION:
        raise SessionFileError(f"{path} was saved by a newer Signature Explorer (workspace format {version}).",
                               fix="Update Signature Explorer to open it.")
    return doc


def _expect(path: Path, value, kind, where: str, want: str):
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        got = type(value).__name__ if value is not None else "null"
        got = {"str": "text", "list": "a list", "dict": "an object", "int": "a number", "float": "a number",
               "bool": "true/false"}.get(got, got)
        raise SessionFileError(f"{path} is damaged: {where} should be {want}, but is {got}.")
    return value


def _workspace_of(path: Path, doc: dict) -> Workspace:
    """The workspace's fields, each checked for its type (a hand-edited file must not break the app later)."""
    targets = _expect(path, doc.get("targets", []), list, "'targets'", "a list of text")
    for t in targets:
        _expect(path, t, str, "a target", "text")
    sources = _expect(path, doc.get("sources", {}), dict, "'sources'", "an object")
    for sig, inputs in sources.items():
        _expect(path, inputs, dict, f"the sources of '{sig}'", "an object")
        for key, source in inputs.items():
            _check_source(path, source, f"the source of input '{key}'")
    tolerances = {}
    for name, default in (("rtol", 1e-5), ("atol", 1e-6)):
        value = _expect(path, doc.get(name, default), (int, float), f"'{name}'", "a number")
        if not math.isfinite(value) or value < 0:
            raise SessionFileError(f"{path} is damaged: '{name}' is {value}, not a tolerance of 0 or more.")
        tolerances[name] = float(value)
    runs = _expect(path, doc.get("runs", []), list, "'runs'", "a list")
    for r in runs:
        _expect(path, r, dict, "a run", "an object")
        for name in ("id", "target", "engine", "signature", "arrays"):
            _expect(path, r.get(name), str, f"a run's '{name}'", "text")
        if r.get("version") is not None:
            _expect(path, r["version"], int, "a run's 'version'", "a number")
        _expect(path, r.get("timing_ms") or {}, dict, "a run's 'timing_ms'", "an object")
        _expect(path, r.get("notes") or [], list, "a run's 'notes'", "a list")
        _expect(path, r.get("started_at") or 0.0, (int, float), "a run's 'started_at'", "a number")
    return Workspace(targets=list(targets),
                     current_target=_expect(path, doc.get("current_target", ""), str, "'current_target'", "text"),
                     signature=_expect(path, doc.get("signature", ""), str, "'signature'", "text"),
                     sources=sources, runs=[], rtol=tolerances["rtol"], atol=tolerances["atol"],
                     extra=_expect(path, doc.get("extra", {}), dict, "'extra'", "an object"))


def _check_source(path: Path, source, where: str) -> None:
    """A form source as sources.Source.from_dict reads it: an object with a known kind and fields of their types."""
    from .sources import KINDS

    _expect(path, source, dict, where, "an object")
    if source.get("kind", "literal") not in KINDS:
        raise SessionFileError(f"{path} is damaged: {where} has the kind {json.dumps(source.get('kind'))}; "
                               f"expected one of {', '.join(KINDS)}.")
    for name in ("text", "fill", "path", "key"):
        if name in source:
            _expect(path, source[name], str, f"{where}'s '{name}'", "text")
    if "params" in source and source["params"] is not None:
        _expect(path, source["params"], dict, f"{where}'s 'params'", "an object")


def _run_arrays(path: Path, zf: zipfile.ZipFile, run: dict) -> tuple[dict, dict]:
    try:
        data = zf.read(run["arrays"])
    except KeyError:
        raise SessionFileError(f"{path} is damaged: run {run['id']}'s arrays ({run['arrays']}) are missing.") from None
    try:
        return _read_npz(data)
    except SessionFileError:
        raise
    except (*_DAMAGED, OSError) as exc:
        raise SessionFileError(f"{path} is damaged: run {run['id']}'s arrays cannot be read ({_why(exc)}).",
                               details=repr(exc)) from None


def export_outputs(outputs: dict[str, np.ndarray], folder: str | os.PathLike, fmt: str = "npy") -> list[Path]:
    """Write one file per output key (`KEY.npy` like `saved_model_cli run --outdir`, or `KEY.csv`); returns paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, array in outputs.items():
        array = np.asarray(array)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key) or "output"
        if fmt == "npy":
            target = folder / f"{safe}.npy"
            np.save(target, array, allow_pickle=array.dtype == object)
        elif fmt == "csv":
            target = folder / f"{safe}.csv"
            # One row per batch element; higher dims are flattened so the file opens in any spreadsheet.
            rows = array.reshape(1, -1) if array.ndim == 0 else array.reshape(array.shape[0], -1)
            if rows.dtype.kind in "OSU":
                rows = np.vectorize(lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))(rows)
                np.savetxt(target, rows, delimiter=",", fmt="%s")
            else:
                np.savetxt(target, rows, delimiter=",", fmt="%.9g")
        else:
            raise ValueError(f"unknown export format {fmt!r}: use npy or csv")
        written.append(target)
    return written


def _npz_bytes(run: RunRecord) -> bytes:
    arrays = {}
    for side, values in (("in", run.inputs), ("out", run.outputs)):
        for key, value in values.items():
            arrays.update(_encode_array(f"{side}/{key}", np.asarray(value)))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# String tensors (object arrays of bytes) are stored as one byte buffer plus lengths, never pickled: a workspace
# is a file users share, and loading pickles from it would run whatever code it contains.
_BYTES, _LENGTHS = "::bytes", "::lengths"


def _encode_array(name: str, array: np.ndarray) -> dict[str, np.ndarray]:
    if array.dtype.kind not in "OSU":
        return {name: array}
    items = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in array.reshape(-1)]
    return {name + _BYTES: np.frombuffer(b"".join(items), dtype=np.uint8),
            name + _LENGTHS: np.array([len(v) for v in items] + list(array.shape) + [array.ndim], dtype=np.int64)}


def _read_npz(data: bytes) -> tuple[dict, dict]:
    inputs, outputs = {}, {}
    with zipfile.ZipFile(io.BytesIO(data)) as inner:  # the run's .npz is a zip too: the same checks first
        _check_directory(Path("a run's arrays"), inner)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        for name in npz.files:
            if name.endswith(_LENGTHS):
                continue
            if name.endswith(_BYTES):
                base = name[: -len(_BYTES)]
                meta = npz[base + _LENGTHS]
                if meta.ndim != 1 or meta.dtype.kind not in "iu" or not meta.size:
                    raise ValueError(f"the lengths of {base!r} are not a list of whole numbers")
                ndim = int(meta[-1])
                if not 0 <= ndim < len(meta) or any(d < 0 for d in meta[:-1]):
                    raise ValueError(f"the lengths of {base!r} are inconsistent")
                shape = tuple(int(d) for d in meta[len(meta) - 1 - ndim:-1])
                lengths, raw = meta[: len(meta) - 1 - ndim], npz[name].tobytes()
                offsets = np.concatenate([[0], np.cumsum(lengths)])
                if offsets[-1] != len(raw):
                    raise ValueError(f"the lengths of {base!r} do not add up to its bytes")
                flat = np.empty(len(lengths), dtype=object)
                flat[:] = [raw[offsets[i]:offsets[i + 1]] for i in range(len(lengths))]
                value, name = flat.reshape(shape), base
            else:
                value = npz[name]
            side, _, key = name.partition("/")
            (inputs if side == "in" else outputs)[key] = value
    return inputs, outputs


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot save {type(value).__name__} in a workspace")
