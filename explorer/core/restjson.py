"""TF Serving's REST JSON <-> numpy: encode predict/classify/regress bodies, decode responses; no HTTP, no Qt.

orjson (OPT_SERIALIZE_NUMPY) encodes arrays ~15x faster than json + tolist() (docs/ARCHITECTURE.md) with exact float32
values. Two things orjson cannot do are handled here: it writes NaN/Infinity as null (TF Serving wants its bare
NaN/Infinity tokens), and it rejects those tokens in responses -- both fall back to the stdlib json, which reads and
writes them. Decoding a nested list costs mostly in the per-row list objects the parser builds and numpy walks
afterwards (json + np.array: ~80% of the time for an image tensor), so a large single numeric output is read by
simdjson straight into one buffer (no Python floats at all); anything else takes the general path
(bench/serving.py measures both).
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import threading

import numpy as np

from . import dtypes, http
from .errors import ServingError
from .signature import Signature, TensorSpec

ROW, COLUMNAR = "row", "columnar"
BYTES_SUFFIX = "_bytes"  # TF Serving base64-wraps DT_STRING tensors whose name ends with this


# ---------------------------------------------------------------------------------------------------------------
# JSON text
# ---------------------------------------------------------------------------------------------------------------
def loads(body: bytes | str):
    """Parse a response body; accepts TF Serving's bare NaN/Infinity/-Infinity tokens. Raises ServingError (a
    ValueError is never raised: invalid or absurdly deep JSON both become ServingError)."""
    return http.parse_json(body, fix="Check the URL points at TF Serving's REST port, not a proxy or web page.")


# Exceptions a decoder meets when valid JSON has another structure than TF Serving's (a dict where a list was
# expected, a string where a number was, ...): each becomes a ServingError, never a traceback.
_STRUCTURE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError, OverflowError, binascii.Error)


def _guarded(expected: str):
    """Decorate a decoder: any structural surprise in the JSON becomes a ServingError saying what was expected."""
    def wrap(fn):
        @functools.wraps(fn)
        def decode(body, *args, **kwargs):
            try:
                return fn(body, *args, **kwargs)
            except ServingError:
                raise
            except RecursionError:
                raise ServingError(f"The server's answer nests JSON more than {http.MAX_JSON_DEPTH} levels deep; "
                                   "no TF Serving answer does.", details=_preview(body)) from None
            except _STRUCTURE_ERRORS as exc:
                raise _shape_error(f"expected {expected}, but it does not fit ({exc})", body) from None
        return decode
    return wrap


def _expect(value, kind: type, where: str, body=b""):
    """`value` if it is a `kind` (dict: object, list: array, str: string); else ServingError naming both."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    want = {dict: "a JSON object", list: "an array", str: "a string", int: "an integer"}.get(kind, kind.__name__)
    raise _shape_error(f"expected {want} as {where}, got {http.type_name(value)}", body)


def dumps(payload) -> bytes:
    """Serialise a request payload (numpy arrays allowed) to compact JSON with bare NaN/Infinity tokens."""
    import orjson

    if not _has_non_finite(payload):
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(_plain(payload), separators=(",", ":"), allow_nan=True).encode()


def _has_non_finite(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fc" and not np.isfinite(value).all()
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v) for v in value)
    return False


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------------------------
def choose_format(inputs: dict[str, np.ndarray]) -> str:
    """Row ("instances") when every input has the same leading (batch) dimension, else columnar ("inputs")."""
    sizes = {np.shape(a)[0] if np.ndim(a) else None for a in inputs.values()}
    return ROW if inputs and None not in sizes and len(sizes) == 1 else COLUMNAR


def wire_value(key: str, array) -> object:
    """One input as JSON-ready data: numeric arrays stay numpy (orjson writes them); strings become text or b64."""
    arr = np.asarray(array)
    if arr.dtype.kind == "U":
        return arr.tolist()
    if arr.dtype.kind in "OS":
        flat = [_string_value(key, v) for v in arr.reshape(-1).tolist()]
        return _nested(flat, arr.shape)
    if arr.ndim == 0:  # orjson serialises arrays of rank >= 1 only
        return arr.item()
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 2:  # orjson has no float16: widen (exact)
        return arr.astype(np.float32)
    if arr.dtype.kind == "c":
        raise ServingError(f"Input '{key}' is complex: TF Serving's REST API cannot carry complex numbers.",
                           fix="Use gRPC, or send the real and imaginary parts as separate inputs.")
    return np.ascontiguousarray(arr)  # orjson needs C order; views and transposes are not


def _string_value(key: str, value):
    """bytes -> {"b64": ...} when binary (or the key ends in _bytes, as TF Serving's own convention); else text."""
    if isinstance(value, str):
        return value
    if not isinstance(value, (bytes, bytearray)):
        return str(value)
    if not key.endswith(BYTES_SUFFIX):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return {"b64": base64.b64encode(value).decode("ascii")}


def _nested(flat: list, shape: tuple):
    if not shape:
        return flat[0]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr.reshape(shape).tolist()


def encode_predict(inputs: dict[str, np.ndarray], signature: str = "", fmt: str = "auto") -> tuple[bytes, str]:
    """A :predict body in row or columnar form ("auto" picks, see choose_format) -> (body, format used)."""
    if fmt not in ("auto", ROW, COLUMNAR):
        raise ValueError(f"unknown REST format {fmt!r}: use auto, row or columnar")
    chosen = choose_format(inputs) if fmt == "auto" else fmt
    if chosen == ROW and choose_format(inputs) != ROW:
        raise ServingError("The row format (\"instances\") needs every input to have the same batch size; "
                           f"these have leading dimensions {_leading(inputs)}.",
                           fix="Use the columnar format, or give every input the same first dimension.")
    payload: dict = {}
    if signature:
        payload["signature_name"] = signature
    values = {k: wire_value(k, v) for k, v in inputs.items()}
    if chosen == COLUMNAR:
        payload["inputs"] = values
    elif len(values) == 1:
        payload["instances"] = next(iter(values.values()))
    else:
        batch = np.shape(next(iter(inputs.values())))[0]
        payload["instances"] = [{k: v[i] for k, v in values.items()} for i in range(batch)]
    return dumps(payload), chosen


def _leading(inputs) -> str:
    return ", ".join(f"{k}: {np.shape(a)[0] if np.ndim(a) else 'scalar'}" for k, a in inputs.items())


def encode_examples(examples, context: dict | None = None, signature: str = "") -> bytes:
    """A :classify or :regress body: {"signature_name", "context", "examples"} with bytes features as b64."""
    payload: dict = {}
    if signature:
        payload["signature_name"] = signature
    if context:
        payload["context"] = _example_json(context)
    payload["examples"] = [_example_json(e) for e in examples]
    return dumps(payload)


def _example_json(example: dict) -> dict:
    out = {}
    for name, value in example.items():
        items = value.tolist() if isinstance(value, np.ndarray) else value
        if isinstance(items, (list, tuple)):
            out[name] = [_feature_value(v) for v in items]
        else:
            out[name] = _feature_value(items)
    return out


def _feature_value(value):
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---------------------------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------------------------
@_guarded('{"predictions": [...]} or {"outputs": ...} holding tensors')
def decode_predict(body: bytes | str, outputs: dict[str, TensorSpec] | None = None) -> dict[str, np.ndarray]:
    """{"predictions": ...} or {"outputs": ...} -> {output key: array}, typed by the signature's outputs if given.

    A single unnamed output takes the signature's only output key (TF Serving leaves it unnamed)."""
    specs = outputs or {}
    fast = _flat_numeric(body, specs)
    if fast is not None:
        return fast
    doc = _json_object(body)
    if "predictions" in doc:
        rows = doc["predictions"]
        _expect(rows, list, "'predictions'", body)
        if rows and isinstance(rows[0], dict) and not _is_b64(rows[0]):
            keys = list(rows[0])
            for i, row in enumerate(rows):
                if not isinstance(row, dict) or set(row) != set(keys):
                    raise _shape_error(f"row {i} of 'predictions' is {http.type_name(row)} with other keys: "
                                       f"expected an object with the keys {', '.join(keys)}, like row 0", body)
            return {k: to_array([r[k] for r in rows], specs.get(k), k) for k in sorted(keys)}
        key = _single_key(specs, "predictions")
        return {key: to_array(rows, specs.get(key), key)}
    if "outputs" in doc:
        value = doc["outputs"]
        if isinstance(value, dict) and not _is_b64(value):
            return {k: to_array(v, specs.get(k), k) for k, v in sorted(value.items())}
        key = _single_key(specs, "outputs")
        return {key: to_array(value, specs.get(key), key)}
    raise _shape_error("it has neither 'predictions' nor 'outputs'")


FLAT_PATH_MIN_BYTES = 32 * 1024
_PARSERS = threading.local()  # a simdjson parser is reused per thread: its documents live in the parser's buffers
_BUFFER_TYPES = {"f": ("d", np.float64), "i": ("i", np.int64), "u": ("u", np.uint64)}


def _flat_numeric(body, specs: dict[str, TensorSpec]) -> dict[str, np.ndarray] | None:
    """The fast path of decode_predict: one numeric output read straight into an array, or None for the general path.

    simdjson parses lazily and copies a nested numeric array into one buffer in C, so no Python float is ever made
    (json + np.array spend most of their time on those objects; bench/serving.py). NaN/Infinity tokens, strings,
    booleans, several outputs or ragged rows (a size that is not the product of the first rows' lengths) make it
    return None. Rows ragged yet summing to that size are not detected: TF Serving serialises tensors, which are
    rectangular by construction."""
    if len(specs) > 1 or not isinstance(body, (bytes, bytearray)) or len(body) < FLAT_PATH_MIN_BYTES:
        return None
    import simdjson

    parser = getattr(_PARSERS, "parser", None) or simdjson.Parser()
    _PARSERS.parser = parser
    try:
        doc = parser.parse(bytes(body))
    except (ValueError, RuntimeError):  # NaN/Infinity tokens (not JSON), malformed or too deep bodies: the general
        return None  # path reads or reports them
    if not isinstance(doc, simdjson.Object) or len(doc) != 1:
        return None
    name = next(iter(doc.keys()))
    value = doc[name]
    if name not in ("predictions", "outputs") or not isinstance(value, simdjson.Array):
        return None
    shape, node = [], value
    while isinstance(node, simdjson.Array):
        shape.append(len(node))
        if not len(node):
            return None
        node = node[0]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return None
    key = _single_key(specs, name)
    dt = _dtype_of(specs.get(key))
    kind = dt.np.kind if dt is not None and dt.numpy and not dt.is_string else ("i" if isinstance(node, int) else "f")
    if kind not in _BUFFER_TYPES:
        return None
    of_type, buffer_dtype = _BUFFER_TYPES[kind]
    try:
        flat = np.frombuffer(value.as_buffer(of_type=of_type), dtype=buffer_dtype)
    except (ValueError, TypeError, OverflowError):
        return None
    if flat.size != int(np.prod(shape)):
        return None
    target = dt.np if dt is not None and dt.numpy and not dt.is_string else buffer_dtype
    return {key: flat.astype(target, copy=False).reshape(shape)}


@_guarded('{"results": [...]} of classify ([[label, score], ...] per example) or regress (a number per example)')
def decode_results(body: bytes | str, method: str) -> dict[str, np.ndarray]:
    """{"results": ...} of :classify -> scores (n, k) and classes (n, k) if labelled; of :regress -> outputs (n,)."""
    doc = _json_object(body)
    if "results" not in doc or not isinstance(doc["results"], list):
        raise _shape_error("it has no 'results' list")
    results = doc["results"]
    if method == "regress":
        values = np.array(results, dtype=np.float32)
        if values.ndim > 1 and values.size != len(results):
            raise _shape_error("'results' holds more than one number per example: expected one per example", body)
        return {"outputs": values.reshape(-1)}
    for row in results:
        _expect(row, list, "a row of 'results'", body)
    width = max((len(r) for r in results), default=0)
    scores = np.full((len(results), width), np.nan, dtype=np.float32)
    classes = np.full((len(results), width), b"", dtype=object)
    for i, row in enumerate(results):
        for j, pair in enumerate(row):
            label, score = _expect(pair, list, "a class of 'results'", body)
            classes[i, j] = label.encode("utf-8") if isinstance(label, str) else bytes(label)
            scores[i, j] = score
    out = {"scores": scores}
    if any(v for v in classes.reshape(-1)):
        out["classes"] = classes
    return dict(sorted(out.items()))


def error_text(body: bytes | str) -> str | None:
    """The server's {"error": "..."} message, or None when the body is not such an object."""
    try:
        doc = loads(body)
    except ServingError:
        return None
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        return doc["error"]
    return None


def _json_object(body) -> dict:
    return _expect(loads(body), dict, "the whole answer", body)


def _shape_error(what: str, body=b"") -> ServingError:
    return ServingError(f"The server's answer is not a TF Serving response: {what}.",
                        fix="Check the URL points at TF Serving's REST port.", details=_preview(body))


def _preview(body) -> str:
    return http.preview(body)


def _single_key(specs: dict, fallback: str) -> str:
    return next(iter(specs)) if len(specs) == 1 else fallback


def _is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def to_array(value, spec: TensorSpec | None = None, key: str = "") -> np.ndarray:
    """Nested JSON values -> array: dtype from the spec (float32, exact int64, bytes for DT_STRING) or inferred."""
    dt = _dtype_of(spec)
    if dt is not None and dt.is_string or _has_strings(value):
        return _string_array(value)
    target = dt.np if dt is not None and dt.numpy and not dt.is_string else None
    try:
        array = np.array(value, dtype=target) if target is not None else np.array(value)
        if array.dtype == object:
            raise ValueError("its rows are ragged or it mixes numbers with lists or objects")
        return array
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ServingError(f"Output '{key}' in the server's answer cannot become a tensor: {exc}.",
                           fix="The server's JSON is ragged or mixes types; read it under 'details'.",
                           details=_preview(json.dumps(value)[:2000])) from None


def _dtype_of(spec: TensorSpec | None):
    if spec is None:
        return None
    try:
        return dtypes.lookup(spec.dtype)
    except KeyError:
        return None


def _has_strings(value) -> bool:
    while isinstance(value, list) and value:
        value = value[0]
    return isinstance(value, str) or _is_b64(value)


def _string_array(value) -> np.ndarray:
    shape, flat = [], []

    def walk(v, depth):
        if isinstance(v, list):
            if len(shape) == depth:
                shape.append(len(v))
            for item in v:
                walk(item, depth + 1)
        elif _is_b64(v):
            flat.append(base64.b64decode(v["b64"]))
        elif isinstance(v, str):
            flat.append(v.encode("utf-8"))
        else:
            flat.append(v)

    walk(value, 0)
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    try:
        return arr.reshape(shape)
    except ValueError:
        return arr


# ---------------------------------------------------------------------------------------------------------------
# Status and metadata
# ---------------------------------------------------------------------------------------------------------------
@_guarded('{"model_version_status": [{"version", "state", "status"}, ...]}')
def decode_status(body: bytes | str) -> list:
    """GET /v1/models/M -> [VersionStatus] newest first."""
    from .serving_status import VersionStatus

    doc = _json_object(body)
    if "model_version_status" not in doc:
        raise _shape_error("it has no 'model_version_status': expected a list of versions", body)
    entries = _expect(doc["model_version_status"], list, "'model_version_status'", body)
    out = []
    for item in entries:
        _expect(item, dict, "an entry of 'model_version_status'", body)
        status = _expect({} if item.get("status") is None else item["status"], dict, "a version's 'status'", body)
        version = item.get("version", 0)
        if isinstance(version, str) and version.strip().isdigit():
            version = int(version)
        _expect(version, int, "a version number", body)
        out.append(VersionStatus(version=version, state=str(item.get("state", "UNKNOWN")),
                                 error_code=str(status.get("error_code", "OK")),
                                 error_message=str(status.get("error_message", ""))))
    return sorted(out, key=lambda s: -s.version)


@_guarded('{"model_spec": {...}, "metadata": {"signature_def": {"signature_def": {KEY: SignatureDef}}}}')
def decode_metadata(body: bytes | str) -> tuple[dict[str, Signature], int | None]:
    """GET /v1/models/M/metadata -> ({key: Signature} sorted, served version), the Signatures read_model gives.

    The JSON is turned back into SignatureDef protobuf bytes (private schema) and read by the same decoder as a
    folder, so a server's signatures and a folder's compare equal: sizes written as strings, printed defaults,
    the doubled `signature_def` key and __saved_model_init_op (Signature.internal) all come out the same."""
    from google.protobuf import json_format

    from . import schema, wire
    from .savedmodel import _signature

    doc = _json_object(body)
    try:
        sig_map = doc["metadata"]["signature_def"]
        sig_map = sig_map.get("signature_def", sig_map)  # the unpacked SignatureDefMap nests the key once more
    except (KeyError, TypeError, AttributeError):
        raise _shape_error("it has no metadata.signature_def", body) from None
    _expect(sig_map, dict, "'metadata.signature_def'", body)
    for key, value in sig_map.items():
        _expect(value, dict, f"signature '{key}'", body)
    meta = schema.message_class("MetaGraphDef")()
    try:
        json_format.ParseDict({"signature_def": sig_map}, meta, ignore_unknown_fields=True)
    except (json_format.ParseError, AttributeError, TypeError, ValueError) as exc:
        raise ServingError(f"The server's signature metadata cannot be read: {exc}.",
                           details=_preview(body)) from None
    data = meta.SerializeToString()
    signatures = {}
    for n, w, v, _ in wire.fields(data):
        if n == 5 and w == wire.LEN:  # MetaGraphDef.signature_def
            key, span = wire.map_entry(data, v, strict=True)
            signatures[key] = _signature(data, span, key)
    spec = doc.get("model_spec")
    version = _expect({} if spec is None else spec, dict, "'model_spec'", body).get("version")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    if version not in (None, ""):
        _expect(version, int, "'model_spec.version'", body)
    return dict(sorted(signatures.items())), version if version not in (None, "") else None
