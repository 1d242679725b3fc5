"""read_tflite(file) -> ModelInfo: a TensorFlow Lite model's signatures, quantisation, subgraphs and ops, without
TensorFlow or a runtime.

How: the file is memory-mapped and read with the FlatBuffers schema's generated Python. We use LiteRT's own copy
(`ai_edge_litert.schema_py_generated`) rather than the `tflite` PyPI package: it ships with the runtime that runs
the model, so it knows every type and op that runtime knows (the `tflite` package stops at TF 2.18's schema: no
INT2, UINT4 or FLOAT8 types), and it is one dependency instead of two. Weight buffers are never touched; only
tables, the tensors signatures name, and the small `signature_defs_metadata` buffer are read, so listing signatures
costs about a millisecond at any model size (bench/tflite.py).

Trust nothing: every vector length is checked against the file size before it is walked, and whatever a truncated
or garbled FlatBuffer makes the generated code raise becomes a ModelReadError (tests/core/test_tflite.py fuzzes it).
"""
from __future__ import annotations

import functools
import mmap
import os
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import dtypes
from .errors import ModelReadError
from .signature import Quantization, Signature, TensorSpec

FINGERPRINT_SOURCE = "sha256 of the size, first and last MiB"

IDENTIFIER = b"TFL3"
# TF Serving's tflite session reads SignatureDefs (a FlexBuffer map: key -> serialized SignatureDef) from here when
# the converter predates SignatureDefs in the schema (saved_model_half_plus_two_tflite_with_sigdef).
SIGNATURE_METADATA = "signature_defs_metadata"
MAX_METADATA_BYTES = 1 << 20
MAX_OPS_COUNTED = 1_000_000  # more operators than any real model; beyond it only the total is reported
MAX_TENSORS_SCANNED = 200_000
MAX_ENTRIES = 100_000  # subgraphs, signatures, inputs, op codes, metadata: far beyond any real model
MAX_RANK = 254  # TensorFlow's own limit on a shape's rank
# Where a model's signatures came from, as `inspect` and the summary say it.
FROM_SIGNATURE_DEFS, FROM_METADATA, FROM_SUBGRAPH = "SignatureDefs", "signature_defs_metadata", "subgraph"


@dataclass(frozen=True)
class Subgraph:
    """One subgraph: its name, tensor and operator counts, and its input/output tensor names."""

    index: int
    name: str
    tensors: int
    operators: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "tensors": self.tensors, "operators": self.operators,
                "inputs": list(self.inputs), "outputs": list(self.outputs)}


@dataclass(frozen=True)
class TfliteFacts:
    """What a .tflite file holds beyond its signatures: subgraphs, ops, and what a runtime must provide."""

    file: str
    schema_version: int
    description: str
    min_runtime_version: str
    signature_source: str  # FROM_SIGNATURE_DEFS, FROM_METADATA or FROM_SUBGRAPH
    subgraphs: tuple[Subgraph, ...]
    op_counts: dict[str, int]  # op name -> how many operators use it (all subgraphs)
    custom_ops: tuple[str, ...]  # custom ops that are not Flex: the runtime must register them
    flex_ops: tuple[str, ...]  # SELECT_TF_OPS ("Flex..."): the runtime must link the Flex delegate
    quantized: bool  # an input or output carries scale/zero-point (the runner converts real values)
    quantization_kind: str = "float"  # "float", "dynamic-range", "full integer", "integer inside", "float16 weights"
    notes: tuple[str, ...] = field(default=())

    @property
    def op_count(self) -> int:
        return sum(self.op_counts.values())

    def needs(self) -> list[str]:
        """What a runtime must have beyond LiteRT's builtin ops, in plain words (empty when nothing)."""
        out = []
        if self.flex_ops:
            out.append(f"TensorFlow Select ops (the Flex delegate, SELECT_TF_OPS): {', '.join(self.flex_ops)}. "
                       "Plain LiteRT cannot run them; link the Flex delegate (TensorFlow's tf.lite.Interpreter "
                       "has it) or convert without SELECT_TF_OPS.")
        if self.custom_ops:
            out.append(f"custom ops: {', '.join(self.custom_ops)}. The runtime must register them "
                       "(e.g. TF Serving registers ParseExampleV2); stock LiteRT will refuse the model.")
        return out

    def to_dict(self) -> dict:
        return {"file": self.file, "schema_version": self.schema_version, "description": self.description,
                "min_runtime_version": self.min_runtime_version, "signature_source": self.signature_source,
                "subgraphs": [s.to_dict() for s in self.subgraphs], "op_count": self.op_count,
                "op_counts": dict(self.op_counts), "custom_ops": list(self.custom_ops),
                "flex_ops": list(self.flex_ops), "quantized": self.quantized,
                "quantization_kind": self.quantization_kind, "needs": self.needs(),
                "notes": list(self.notes)}


class _Corrupt(Exception):
    """The FlatBuffer breaks its own rules (a length or offset beyond the file)."""


def is_tflite_file(path: Path) -> bool:
    """A .tflite by name, or any file whose FlatBuffer identifier says TFL3."""
    if path.suffix.lower() == ".tflite":
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(8)[4:8] == IDENTIFIER
    except OSError:
        return False


def read_tflite(model_file: Path, given: Path | None = None, versions=(), version=None, skipped=None):
    """Read a .tflite file into a ModelInfo (file_format "tflite", ModelInfo.tflite filled); raise ModelReadError."""
    from .savedmodel import SERVE, MetaGraph, ModelInfo

    given = given or model_file
    try:
        size = model_file.stat().st_size
        if size == 0:
            raise ModelReadError(model_file, f"{model_file} is empty (0 bytes): the conversion did not finish or "
                                             "the copy failed.", fix="Convert or copy the model again.")
        with open(model_file, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            signatures, facts = decode(mm, model_file)
            fingerprint = _fingerprint(mm)
    except PermissionError as exc:
        raise ModelReadError(model_file, f"{model_file} cannot be read (permission denied).") from exc
    except OSError as exc:
        raise ModelReadError(model_file, f"{model_file} cannot be read: {exc.strerror or exc}.") from exc
    meta = MetaGraph(tags=SERVE, signatures=signatures)
    return ModelInfo(
        path=str(given), model_dir=str(model_file.parent), versions=tuple(versions), version=version,
        meta_graphs=(meta,), tag_set=SERVE, file_format="tflite", fingerprint=fingerprint,
        fingerprint_source=FINGERPRINT_SOURCE, saved_model_bytes=size, variables_bytes=0,
        assets_bytes=0, skipped_versions=dict(skipped or {}), tflite=facts,
    )


def decode(buf, where: Path | str = "model.tflite") -> tuple[dict[str, Signature], TfliteFacts]:
    """Signatures and facts of a TFLite FlatBuffer (bytes or mmap); ModelReadError for anything that is not one."""
    if len(buf) < 8 or bytes(buf[4:8]) != IDENTIFIER:
        raise ModelReadError(where, f"{where} is not a TensorFlow Lite model: its FlatBuffer identifier is not "
                                    "TFL3 (truncated, or another kind of file).",
                             fix="Open a .tflite written by the TFLite converter, or a SavedModel folder.")
    try:
        return _decode(buf, where)
    except (_Corrupt, struct.error, IndexError, ValueError, TypeError, OverflowError, UnicodeDecodeError,
            RecursionError, MemoryError, AttributeError) as exc:
        raise ModelReadError(where, f"{where} is truncated or corrupted: it is not a complete TensorFlow Lite "
                                    "FlatBuffer.", details=f"{type(exc).__name__}: {exc}",
                             fix="Convert or copy the model again.") from None


def _schema():
    from ai_edge_litert import schema_py_generated  # ~80 ms (flatbuffers pulls numpy): only when a .tflite opens

    return schema_py_generated


@functools.lru_cache(maxsize=1)
def _names() -> tuple[dict[int, str], dict[int, str]]:
    """The schema's enums by number: TensorType and BuiltinOperator (built once; 200-odd ops)."""
    s = _schema()
    return ({v: k for k, v in vars(s.TensorType).items() if not k.startswith("_")},
            {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")})


def _decode(buf, where) -> tuple[dict[str, Signature], TfliteFacts]:
    s = _schema()
    limit = len(buf) // 4  # no vector of 4-byte (or wider) elements can hold more than this
    model = s.Model.GetRootAsModel(buf, 0)

    def count(n: int, cap: int = MAX_ENTRIES) -> int:
        # Bounded by the file (a 4-byte element each) and by what a real model has: a garbled length in a large
        # file must not turn into minutes of Python loops.
        if not 0 <= n <= min(limit, cap):
            raise _Corrupt(f"a vector claims {n} elements in a {len(buf)}-byte file (at most {cap} expected)")
        return n

    type_names, op_names = _names()
    subgraphs, tables, quantized = [], [], False
    for g in range(count(model.SubgraphsLength())):
        sub = model.Subgraphs(g)
        n_tensors, n_ops = count(sub.TensorsLength(), limit), count(sub.OperatorsLength(), limit)
        ins = [sub.Inputs(i) for i in range(count(sub.InputsLength()))]
        outs = [sub.Outputs(i) for i in range(count(sub.OutputsLength()))]
        cache: dict[int, TensorSpec] = {}

        def tensor(index: int, key: str | None = None, _sub=sub, _n=n_tensors, _cache=cache) -> TensorSpec:
            if not 0 <= index < _n:
                raise _Corrupt(f"tensor index {index} outside 0..{_n - 1}")
            if index not in _cache:
                _cache[index] = _tensor(s, _sub.Tensors(index), index, type_names, count)
            spec = _cache[index]
            return spec if key is None else replace(spec, key=key)

        for i in ins + outs:
            quantized |= tensor(i).quantization is not None
        name = _text(sub.Name())
        subgraphs.append(Subgraph(g, name, n_tensors, n_ops, tuple(tensor(i).name for i in ins),
                                  tuple(tensor(i).name for i in outs)))
        tables.append((sub, tensor, ins, outs))

    op_counts, custom, flex = _operators(model, tables, op_names, count)
    kind = _quantization_kind(s, tables, quantized, op_counts)
    meta = _metadata(model, count)
    notes = []
    signatures = _signature_defs(model, tables, count)
    source = FROM_SIGNATURE_DEFS
    if not signatures and SIGNATURE_METADATA in meta:
        signatures, note = _metadata_signatures(meta[SIGNATURE_METADATA], tables)
        source = FROM_METADATA
        notes.append(note)
    if not signatures and tables:
        _, tensor, ins, outs = tables[0]
        signatures = {"serving_default": Signature(
            key="serving_default", method_name="",
            inputs=dict(sorted((tensor(i).name, tensor(i, tensor(i).name)) for i in ins)),
            outputs=dict(sorted((tensor(i).name, tensor(i, tensor(i).name)) for i in outs)))}
        source = FROM_SUBGRAPH
        notes.append("This model has no SignatureDefs (an older converter wrote it): its main subgraph's inputs "
                     "and outputs are shown as one pseudo-signature, serving_default, keyed by tensor name.")
    facts = TfliteFacts(
        file=str(where), schema_version=model.Version(), description=_text(model.Description()),
        min_runtime_version=_text(meta.get("min_runtime_version", b"").rstrip(b"\0")),
        signature_source=source, subgraphs=tuple(subgraphs), op_counts=op_counts, custom_ops=tuple(custom),
        flex_ops=tuple(flex), quantized=quantized, quantization_kind=kind, notes=tuple(notes))
    return dict(sorted(signatures.items())), facts


def _tensor(s, t, index: int, type_names: dict, count) -> TensorSpec:
    shape = tuple(int(t.Shape(i)) for i in range(count(t.ShapeLength(), MAX_RANK)))
    signature = tuple(int(t.ShapeSignature(i)) for i in range(count(t.ShapeSignatureLength(), MAX_RANK))) or shape
    dtype = dtypes.from_tflite(type_names.get(t.Type(), str(t.Type())))
    return TensorSpec(key=_text(t.Name()), dtype=dtype, shape=signature, name=_text(t.Name()),
                      quantization=_quantization(t.Quantization(), dtype, count), allocated_shape=shape, index=index)


def _quantization(q, dtype: str, count) -> Quantization | None:
    """Scale/zero-point of an integer tensor; None for float tensors (whose q-params, if any, are min/max only)."""
    if q is None or dtype not in ("DT_INT8", "DT_UINT8", "DT_INT16", "DT_INT32"):
        return None
    n = count(q.ScaleLength(), 1 << 20)  # per-axis: one per channel
    if n == 0:
        return None
    scales = tuple(float(q.Scale(i)) for i in range(n))
    zeros = tuple(int(q.ZeroPoint(i)) for i in range(count(q.ZeroPointLength(), 1 << 20))) or (0,) * n
    if dtype == "DT_INT32" and len(scales) > 1:
        return None  # biases: per-axis int32 inside the graph, never a user's input or output
    return Quantization(storage=dtype, scale=scales, zero_point=zeros, axis=int(q.QuantizedDimension()))


def _operators(model, tables, op_names: dict, count) -> tuple[dict[str, int], list[str], list[str]]:
    codes = []
    for i in range(count(model.OperatorCodesLength())):
        code = model.OperatorCodes(i)
        # The schema moved builtin codes past 127 to a new field; readers take the larger (TFLite's GetBuiltinCode).
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            name = _text(code.CustomCode()) or "CUSTOM"
        codes.append(name)
    counts: dict[str, int] = {}
    seen = 0
    for sub, _, _, _ in tables:
        for i in range(sub.OperatorsLength()):
            seen += 1
            if seen > MAX_OPS_COUNTED:
                break
            k = sub.Operators(i).OpcodeIndex()
            if not 0 <= k < len(codes):
                raise _Corrupt(f"operator {i} uses opcode {k} of {len(codes)}")
            counts[codes[k]] = counts.get(codes[k], 0) + 1
    builtin_names = set(op_names.values())
    custom = sorted({c for c in codes if c not in builtin_names and not c.startswith("BUILTIN_")})
    flex = [c for c in custom if c.startswith("Flex")]
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), [c for c in custom if c not in flex], flex




def _quantization_kind(s, tables, io_quantized: bool, op_counts: dict) -> str:
    """How the converter quantised, told from tensor types (a name users know from TFLiteConverter's options)."""
    if io_quantized:
        return "full integer"
    integer, half, seen = False, False, 0
    for sub, _, _, _ in tables:
        for i in range(sub.TensorsLength()):
            seen += 1
            if seen > MAX_TENSORS_SCANNED:
                break
            t = sub.Tensors(i).Type()
            integer |= t in (s.TensorType.INT8, s.TensorType.UINT8, s.TensorType.INT4)
            half |= t == s.TensorType.FLOAT16
    if integer:
        return "integer inside" if "QUANTIZE" in op_counts else "dynamic-range"
    return "float16 weights" if half else "float"


def _metadata(model, count) -> dict[str, bytes]:
    """Metadata entries by name; only small buffers are copied (min_runtime_version, signature_defs_metadata)."""
    out = {}
    n_buffers = count(model.BuffersLength(), 1 << 40)  # only the file size bounds it
    for i in range(count(model.MetadataLength())):
        entry = model.Metadata(i)
        b = entry.Buffer()
        if not 0 <= b < n_buffers:
            continue
        buffer = model.Buffers(b)
        n = buffer.DataLength()
        if 0 < n <= MAX_METADATA_BYTES:
            count(n // 4, 1 << 40)
            out[_text(entry.Name())] = buffer.DataAsNumpy().tobytes()
    return out


def _signature_defs(model, tables, count) -> dict[str, Signature]:
    out = {}
    for i in range(count(model.SignatureDefsLength())):
        sd = model.SignatureDefs(i)
        g = sd.SubgraphIndex()
        if not 0 <= g < len(tables):
            raise _Corrupt(f"signature {i} names subgraph {g} of {len(tables)}")
        tensor = tables[g][1]
        key = _text(sd.SignatureKey()) or f"signature_{i}"
        inputs = {}
        for j in range(count(sd.InputsLength())):
            m = sd.Inputs(j)
            inputs[_text(m.Name())] = tensor(m.TensorIndex(), _text(m.Name()))
        outputs = {}
        for j in range(count(sd.OutputsLength())):
            m = sd.Outputs(j)
            outputs[_text(m.Name())] = tensor(m.TensorIndex(), _text(m.Name()))
        out[key] = Signature(key=key, method_name="", inputs=dict(sorted(inputs.items())),
                             outputs=dict(sorted(outputs.items())))
    return out


def _metadata_signatures(data: bytes, tables) -> tuple[dict[str, Signature], str]:
    """TF Serving's signature_defs_metadata: key -> SignatureDef proto; tensors matched to the subgraph by name."""
    from flatbuffers import flexbuffers

    from .savedmodel import signature_from_bytes

    try:
        root = flexbuffers.GetRoot(bytearray(data)).AsMap
        # TF writes each SignatureDef as a FlexBuffer string of proto bytes (a blob in some versions)
        entries = [(bytes(k.AsKeyBytes).decode("utf-8", "replace"),
                    bytes(v.AsBlob if v.IsBlob else v.AsStringBytes)) for k, v in zip(root.Keys, root.Values)]
    except Exception as exc:  # noqa: BLE001 - a garbled FlexBuffer must not make the model unreadable
        return {}, f"Its signature_defs_metadata could not be read ({type(exc).__name__}); shown from the subgraph."
    by_name = {}
    if tables:
        _, tensor, ins, outs = tables[0]
        by_name = {tensor(i).name: i for i in ins + outs}
    out = {}
    for key, blob in entries[:1000]:
        sig = signature_from_bytes(blob, key)
        if sig is None:
            continue

        def matched(specs):
            got = {}
            for k, spec in specs.items():
                index = by_name.get(spec.name, by_name.get(spec.name.removesuffix(":0")))
                got[k] = tables[0][1](index, k) if index is not None else spec
            return got

        out[key] = Signature(key=key, method_name=sig.method_name, inputs=matched(sig.inputs),
                             outputs=matched(sig.outputs))
    return out, ("Its signatures come from TF Serving's signature_defs_metadata (the converter wrote no "
                 "SignatureDefs); tensors are matched to the subgraph by name.")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def _fingerprint(buf) -> str:
    """Tells two files apart without reading gigabytes of weights: a converter's output differs in its tables
    (head) and its last buffers (tail), and a re-quantised model in its size."""
    import hashlib

    mib = 1 << 20
    digest = hashlib.sha256(str(len(buf)).encode())
    digest.update(buf[:mib])
    digest.update(buf[max(mib, len(buf) - mib):])
    return digest.hexdigest()[:16]


def tflite_file_in(folder: Path) -> Path | None:
    """The model of a folder holding a TFLite model: model.tflite (TF Serving's name), else the only *.tflite."""
    if os.path.isfile(folder / "model.tflite"):
        return folder / "model.tflite"
    try:
        found = [p for p in folder.iterdir() if p.suffix.lower() == ".tflite" and p.is_file()]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None
