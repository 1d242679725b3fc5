"""The Open Inference Protocol (KServe V2: MLServer, KServe, Triton) <-> numpy and Signature; no HTTP, no gRPC, no Qt.

A V2 model has one "signature": its inputs and outputs. It becomes a Signature keyed `serving_default` with method
V2_METHOD, named and typed the way Triton's TensorFlow backend serves a SavedModel (the default signature's input and
output keys are the tensor names; dtypes through the dtype table's KServe column), so a local SavedModel and the same
model on a V2 server compare key for key.

REST bodies are JSON with flat row-major `data`, or -- the binary tensor data extension (KServe, Triton) -- a JSON
header followed by the raw little-endian bytes of each tensor (BYTES as 4-byte length + bytes per element). JSON goes
through orjson (numpy arrays without Python floats) and large numeric answers through simdjson straight into one
buffer, as for TF Serving (core/restjson.py; bench/serving_v2.py measures both against tritonclient and requests).
"""
from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from . import dtypes
from .errors import InputProblem, ServingError
from .signature import Signature, TensorSpec, default_key, user_signatures

V2_METHOD = "kserve/v2/infer"
V2_SIGNATURE = "serving_default"
BINARY_EXTENSION = "binary_tensor_data"
HEADER_LENGTH = "inference-header-content-length"
MAX_TENSORS = 4096  # a metadata or response naming more tensors than this is not a model's answer
MAX_HEADER_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ServerInfo:
    """GET /v2 or ServerMetadata: who answers ("mlserver" 1.7.1, "triton" 2.50.0, "kserve") and its extensions."""

    name: str
    version: str
    extensions: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """'MLServer 1.7.1' as a user reads it."""
        names = {"mlserver": "MLServer", "triton": "Triton", "kserve": "KServe"}
        return f"{names.get(self.name.lower(), self.name or 'a V2 server')} {self.version}".strip()

    @property
    def binary_data(self) -> bool:
        """Whether the server reads and writes the binary tensor data extension: Triton lists it among its
        extensions; KServe (0.16) implements it without listing it; MLServer (1.7) does neither."""
        return BINARY_EXTENSION in self.extensions or self.name.lower() == "kserve"

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "extensions": list(self.extensions)}


@dataclass(frozen=True)
class ModelMetadata:
    """GET /v2/models/M[/versions/V] or ModelMetadata: the model's versions (strings), platform and its signature."""

    name: str
    versions: tuple[str, ...]
    platform: str
    signature: Signature
    parameters: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "versions": list(self.versions), "platform": self.platform,
                "signature": self.signature.to_dict()}


# ---------------------------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------------------------
def tensor_spec(name: str, datatype: str, shape) -> TensorSpec:
    """One V2 tensor description -> TensorSpec (dtype through the KServe column; unknown datatypes kept visible)."""
    try:
        dtype = dtypes.lookup(str(datatype).upper()).name if datatype else "DT_INVALID"
    except KeyError:
        dtype = f"DT_UNKNOWN_{datatype}"
    dims = None if shape is None else tuple(int(d) for d in shape)
    return TensorSpec(key=str(name), dtype=dtype, shape=dims, name=str(name))


def signature_of(inputs, outputs) -> Signature:
    """V2 inputs/outputs (dicts with name, datatype, shape) -> the model's one Signature."""
    def specs(items, what):
        if not isinstance(items, (list, tuple)) or len(items) > MAX_TENSORS:
            raise _answer_error(f"its '{what}' is not a list of tensors")
        out = {}
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise _answer_error(f"an entry of '{what}' has no name")
            shape = item.get("shape")
            if shape is not None and (not isinstance(shape, (list, tuple)) or
                                      not all(isinstance(d, int) for d in shape)):
                raise _answer_error(f"the shape of '{item['name']}' is not a list of integers")
            out[item["name"]] = tensor_spec(item["name"], item.get("datatype", ""), shape)
        return dict(sorted(out.items()))

    return Signature(V2_SIGNATURE, V2_METHOD, specs(inputs or [], "inputs"), specs(outputs or [], "outputs"))


def decode_server_metadata(body: bytes) -> ServerInfo:
    """GET /v2 -> ServerInfo."""
    doc = _json_object(body)
    extensions = doc.get("extensions") or []
    return ServerInfo(str(doc.get("name", "")), str(doc.get("version", "")),
                      tuple(str(e) for e in extensions if isinstance(e, str)) if isinstance(extensions, list) else ())


def decode_model_metadata(body: bytes) -> ModelMetadata:
    """GET /v2/models/M -> ModelMetadata."""
    doc = _json_object(body)
    versions = doc.get("versions") or []
    if not isinstance(versions, list):
        versions = []
    return ModelMetadata(str(doc.get("name", "")), tuple(str(v) for v in versions[:MAX_TENSORS]),
                         str(doc.get("platform", "") or ""), signature_of(doc.get("inputs"), doc.get("outputs")),
                         doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {})


def is_v2(signatures: dict[str, Signature]) -> bool:
    """Whether a signature set is a V2 model's (one signature, method V2_METHOD)."""
    return any(s.method_name == V2_METHOD for s in signatures.values())


def as_served(signatures: dict[str, Signature], key: str | None = None) -> dict[str, Signature]:
    """A SavedModel's signatures as a V2 server would serve them, like Triton's TensorFlow backend: the one
    signature (serving_default unless `key` names another) with its input and output keys as the tensor names."""
    users = user_signatures(signatures)
    chosen = key or default_key(users)
    if chosen is None or chosen not in users:
        return {}
    sig = users[chosen]

    def renamed(specs):
        return {k: replace(s, key=k, name=k) for k, s in specs.items()}

    return {V2_SIGNATURE: Signature(V2_SIGNATURE, V2_METHOD, renamed(sig.inputs), renamed(sig.outputs))}


# ---------------------------------------------------------------------------------------------------------------
# Tensors
# ---------------------------------------------------------------------------------------------------------------
def datatype_of(key: str, array: np.ndarray, spec: TensorSpec | None = None) -> str:
    """The V2 datatype of an input: the signature's when known, else from the array's numpy dtype."""
    if spec is not None:
        try:
            name = spec.dt.kserve
        except KeyError:
            name = None
        if name:
            return name
    if array.dtype.kind in "OSU":
        return "BYTES"
    if array.dtype.name == "bfloat16":
        return "BF16"
    try:
        kserve = dtypes.from_numpy(array.dtype).kserve
    except KeyError:
        kserve = None
    if not kserve:
        raise InputProblem(key, f"Input '{key}' is {array.dtype}, which the V2 protocol has no datatype for.",
                           fix="Send a bool, integer, float (FP16/BF16/FP32/FP64) or string (BYTES) array.")
    return kserve


def _typed(key: str, array, datatype: str) -> np.ndarray:
    arr = np.asarray(array)
    if datatype == "BYTES":
        return arr
    want = dtypes.lookup(datatype).np
    if arr.dtype != want:
        arr = arr.astype(want)
    return np.ascontiguousarray(arr)


def _strings(key: str, arr: np.ndarray, binary_ok: bool) -> list:
    out = []
    for value in arr.reshape(-1).tolist():
        if isinstance(value, str):
            out.append(value)
            continue
        if not isinstance(value, (bytes, bytearray)):
            out.append(str(value))
            continue
        try:
            out.append(bytes(value).decode("utf-8"))
        except UnicodeDecodeError:
            if binary_ok:
                raise
            raise InputProblem(key, f"Input '{key}' holds bytes that are not text: V2 JSON carries BYTES as "
                                    "strings.", fix="Use the binary tensor data extension (KServe, Triton) or "
                                                    "gRPC, or send text.") from None
    return out


def encode_infer(inputs: dict[str, np.ndarray], specs: dict[str, TensorSpec] | None = None, *,
                 binary: bool = False, outputs: list[str] | None = None, request_id: str = "",
                 parameters: dict | None = None) -> tuple[bytes, int | None]:
    """An inference request body -> (body, JSON header length or None): JSON with flat row-major `data`, or with
    binary=True the binary tensor data extension (header, then each tensor's raw bytes; outputs asked as binary)."""
    from .restjson import dumps

    specs = specs or {}
    header_inputs, chunks = [], []
    for key, value in inputs.items():
        arr = np.asarray(value)
        datatype = datatype_of(key, arr, specs.get(key))
        arr = _typed(key, arr, datatype)
        entry = {"name": key, "shape": list(arr.shape), "datatype": datatype}
        if binary:
            raw = _bytes_of(key, arr) if datatype == "BYTES" else _raw(arr, datatype)
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        elif datatype == "BYTES":
            entry["data"] = _strings(key, arr, False)
        elif datatype in ("FP16", "BF16"):
            entry["data"] = arr.astype(np.float32).reshape(-1)  # orjson has no 16-bit floats; widening is exact
        else:
            entry["data"] = arr.reshape(-1)
        header_inputs.append(entry)
    payload: dict = {}
    if request_id:
        payload["id"] = request_id
    if parameters:
        payload["parameters"] = dict(parameters)
    payload["inputs"] = header_inputs
    if outputs:
        payload["outputs"] = [{"name": o, **({"parameters": {"binary_data": True}} if binary else {})}
                              for o in outputs]
    elif binary:
        payload.setdefault("parameters", {})["binary_data_output"] = True
    header = dumps(payload)
    if not binary:
        return header, None
    return b"".join([header, *chunks]), len(header)


def _raw(arr: np.ndarray, datatype: str):
    """The tensor's little-endian bytes as a buffer: a view of the array when it already is (the body's join is
    then the only copy), else a converted copy."""
    if datatype == "BOOL":
        arr = arr.astype(np.bool_, copy=False)
    arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    return memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else b""


def _bytes_of(key: str, arr: np.ndarray) -> bytes:
    """BYTES in the binary extension: each element as a 4-byte little-endian length and its bytes, row-major."""
    parts = []
    for value in arr.reshape(-1).tolist():
        data = value if isinstance(value, (bytes, bytearray)) else str(value).encode("utf-8")
        parts.append(struct.pack("<I", len(data)))
        parts.append(bytes(data))
    return b"".join(parts)


def decode_infer(body: bytes, header_length: int | None = None,
                 specs: dict[str, TensorSpec] | None = None) -> tuple[dict[str, np.ndarray], str | None, str]:
    """An inference response -> ({output name: array}, model_version or None, id). Reads JSON `data` and the binary
    extension's raw bytes (header length from the Inference-Header-Content-Length header)."""
    body = bytes(body) if not isinstance(body, bytes) else body
    if header_length is not None:
        if not 0 <= header_length <= min(len(body), MAX_HEADER_BYTES):
            raise _answer_error(f"its binary header length {header_length} does not fit the {len(body)} bytes sent")
        doc, rest = _json_object(body[:header_length]), memoryview(body)[header_length:]
    else:
        doc, rest = None, memoryview(b"")
        fast = _fast_outputs(body)
        if fast is not None:
            return fast
        doc = _json_object(body)
    items = doc.get("outputs")
    if not isinstance(items, list) or len(items) > MAX_TENSORS:
        raise _answer_error("it has no 'outputs' list")
    outputs, offset = {}, 0
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _answer_error("an output has no name")
        name, datatype = item["name"], str(item.get("datatype", "")).upper()
        shape = _shape(item.get("shape"), name)
        params = item.get("parameters") if isinstance(item.get("parameters"), dict) else {}
        size = params.get("binary_data_size")
        if size is not None:
            if not isinstance(size, int) or size < 0 or offset + size > len(rest):
                raise _answer_error(f"the binary data of output '{name}' runs past the end of the answer")
            outputs[name] = _from_raw(name, rest[offset:offset + size], datatype, shape)
            offset += size
        else:
            outputs[name] = _from_data(name, item.get("data"), datatype, shape)
    version = doc.get("model_version")
    return (dict(sorted(outputs.items())), str(version) if version not in (None, "") else None,
            str(doc.get("id") or ""))


def _shape(shape, name: str) -> tuple[int, ...]:
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise _answer_error(f"the shape of output '{name}' is not a list of sizes")
    return tuple(shape)


def _numpy_of(name: str, datatype: str) -> np.dtype:
    try:
        return dtypes.lookup(datatype).np
    except (KeyError, TypeError):
        raise _answer_error(f"output '{name}' has the datatype {datatype!r}, which is not a V2 datatype") from None


def _from_raw(name: str, raw: memoryview, datatype: str, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape)) if shape else 1
    if datatype == "BYTES":
        values, pos, data = [], 0, bytes(raw)
        while pos < len(data):
            if pos + 4 > len(data):
                raise _answer_error(f"the BYTES of output '{name}' are cut short")
            (length,) = struct.unpack_from("<I", data, pos)
            values.append(data[pos + 4:pos + 4 + length])
            pos += 4 + length
        if len(values) != count or pos != len(data):
            raise _answer_error(f"output '{name}' has {len(values)} BYTES elements for shape {list(shape)}")
        arr = np.empty(count, dtype=object)
        arr[:] = values
        return arr.reshape(shape)
    dtype = _numpy_of(name, datatype)
    if len(raw) != count * dtype.itemsize:
        raise _answer_error(f"output '{name}' has {len(raw)} bytes, not the {count * dtype.itemsize} its shape "
                            f"{list(shape)} and datatype {datatype} need")
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype, copy=False).reshape(shape)


def _from_data(name: str, data, datatype: str, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape)) if shape else 1
    if data is None:
        raise _answer_error(f"output '{name}' has neither 'data' nor binary data")
    if datatype == "BYTES":
        flat = _flatten(data)
        values = [v.encode("utf-8") if isinstance(v, str) else v for v in flat]
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    else:
        dtype = _numpy_of(name, datatype)
        try:
            arr = np.asarray(data, dtype=np.float64 if dtype.kind == "f" and dtype.itemsize < 4 else dtype)
        except (TypeError, ValueError, OverflowError):
            raise _answer_error(f"the data of output '{name}' are not {datatype} values") from None
        arr = arr.astype(dtype, copy=False).reshape(-1)
    if arr.size != count:
        raise _answer_error(f"output '{name}' has {arr.size} values for shape {list(shape)}")
    return arr.reshape(shape)


def _flatten(data) -> list:
    if not isinstance(data, list):
        return [data]
    if data and isinstance(data[0], list):  # the spec allows nested data; servers send it flat
        out = []
        for row in data:
            out.extend(_flatten(row))
        return out
    return data


FAST_MIN_BYTES = 32 * 1024
_PARSERS = threading.local()
_BUFFER = {"f": "d", "i": "i", "u": "u"}


def _fast_outputs(body: bytes):
    """Large numeric answers read by simdjson straight into arrays (no Python floats); None for the general path."""
    if len(body) < FAST_MIN_BYTES:
        return None
    import simdjson

    parser = getattr(_PARSERS, "parser", None) or simdjson.Parser()
    _PARSERS.parser = parser
    try:
        doc = parser.parse(body)
    except ValueError:
        return None
    if not isinstance(doc, simdjson.Object):
        return None
    items = doc.get("outputs")
    if not isinstance(items, simdjson.Array) or len(items) > MAX_TENSORS:
        return None
    outputs = {}
    for item in items:
        if not isinstance(item, simdjson.Object):
            return None
        name, datatype, shape, data = item.get("name"), str(item.get("datatype", "")).upper(), item.get("shape"), \
            item.get("data")
        if not isinstance(name, str) or not isinstance(data, simdjson.Array) or datatype in ("BYTES", "BOOL"):
            return None
        try:
            dtype = dtypes.lookup(datatype).np
            dims = tuple(int(d) for d in shape)
        except (KeyError, TypeError, ValueError):
            return None
        of_type = _BUFFER.get(dtype.kind)
        if of_type is None:
            return None
        try:
            flat = np.frombuffer(data.as_buffer(of_type=of_type), dtype={"d": np.float64, "i": np.int64,
                                                                          "u": np.uint64}[of_type])
        except (ValueError, TypeError, OverflowError):
            return None  # nested or mixed data: the general path reads it
        if flat.size != int(np.prod(dims)):
            return None
        outputs[name] = flat.astype(dtype, copy=False).reshape(dims)
    version = doc.get("model_version")
    return dict(sorted(outputs.items())), (str(version) if version not in (None, "") else None), \
        str(doc.get("id") or "")


# ---------------------------------------------------------------------------------------------------------------
# Errors and JSON
# ---------------------------------------------------------------------------------------------------------------
def error_text(body: bytes) -> str | None:
    """The server's own words from an error body: {"error": "..."} (MLServer, KServe, Triton) or FastAPI's
    {"detail": ...}; None when the body is neither."""
    from .restjson import loads

    try:
        doc = loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("error"), str):
        return doc["error"]
    detail = doc.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # pydantic validation errors: "loc: msg" each
        parts = []
        for d in detail[:5]:
            if isinstance(d, dict):
                loc = ".".join(str(x) for x in d.get("loc", []) if x != "body")
                parts.append(f"{loc}: {d.get('msg', '')}".strip(": "))
        return "; ".join(parts) or None
    return None


def _json_object(body) -> dict:
    from .restjson import loads

    try:
        doc = loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServingError(f"The server's answer is not valid JSON ({exc}).",
                           fix="Check the URL points at a KServe V2 server's REST port (MLServer/KServe 8080, "
                               "Triton 8000), not a proxy or web page.",
                           details=bytes(body[:2000]).decode("utf-8", "replace")) from None
    if not isinstance(doc, dict):
        raise _answer_error("it is not a JSON object")
    return doc


def _answer_error(what: str) -> ServingError:
    return ServingError(f"The server's answer is not a KServe V2 response: {what}.",
                        fix="Check the URL points at a KServe V2 server (MLServer, KServe, Triton).")
