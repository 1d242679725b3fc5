"""Workspaces: targets, form inputs and runs saved to one file and opened again; outputs exported as .npy/CSV.

A workspace file is a zip: `workspace.json` (schema-versioned, human-readable) plus one `.npz` per run for the
input and output arrays, so large tensors stay binary and exact. Writes go to a temporary file first and are
renamed into place, so an autosave interrupted by a crash never leaves a half-written file behind.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import time
import uuid
import zipfile
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
    # signature key -> input key -> a JSON-able description of the form's source (tensors.Source as a dict)
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


def load_workspace(path: str | os.PathLike) -> Workspace:
    """Read a workspace file; raise SessionFileError with a readable message if it is not one."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read("workspace.json"))
            version = doc.get("schema_version")
            if not isinstance(version, int) or version > SCHEMA_VERSION:
                raise SessionFileError(
                    f"{path} was saved by a newer Signature Explorer (workspace format {version}).",
                    fix="Update Signature Explorer to open it.")
            runs = []
            for r in doc.get("runs", []):
                inputs, outputs = _read_npz(zf.read(r["arrays"]))
                runs.append(RunRecord(target=r["target"], engine=r["engine"], signature=r["signature"],
                                      inputs=inputs, outputs=outputs, timing_ms=r.get("timing_ms", {}),
                                      version=r.get("version"), notes=tuple(r.get("notes", ())),
                                      error=r.get("error", ""), started_at=r.get("started_at", 0.0), id=r["id"]))
    except FileNotFoundError as exc:
        raise SessionFileError(f"{path} does not exist.") from exc
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise SessionFileError(f"{path} is not a Signature Explorer workspace, or it is damaged.",
                               details=repr(exc)) from exc
    except OSError as exc:
        raise SessionFileError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    return Workspace(targets=list(doc.get("targets", [])), current_target=doc.get("current_target", ""),
                     signature=doc.get("signature", ""), sources=doc.get("sources", {}), runs=runs,
                     rtol=float(doc.get("rtol", 1e-5)), atol=float(doc.get("atol", 1e-6)),
                     extra=doc.get("extra", {}))


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
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        for name in npz.files:
            if name.endswith(_LENGTHS):
                continue
            if name.endswith(_BYTES):
                base = name[: -len(_BYTES)]
                meta = npz[base + _LENGTHS]
                ndim = int(meta[-1])
                shape = tuple(int(d) for d in meta[len(meta) - 1 - ndim:-1])
                lengths, raw = meta[: len(meta) - 1 - ndim], npz[name].tobytes()
                offsets = np.concatenate([[0], np.cumsum(lengths)])
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
