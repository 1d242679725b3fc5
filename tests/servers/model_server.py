"""A stand-in for `tensorflow_model_server`: one process serving one model over TF Serving's REST and gRPC APIs.

No TF Serving binary can be installed here, so this models the real server closely enough for tests to trust it:
the same flags, the same URL grammar, the same JSON (row and columnar, b64, NaN/Infinity, six-digit floats), the
same error texts and HTTP status codes (from tensorflow/serving's http_rest_api_util.cc, json_tensor.cc,
predict_util.cc, classifier.cc, regressor.cc, server_core.cc; see tests/data/tfserving_rest/FIXTURES.md),
and the same gRPC services (the official tensorflow_serving.apis servicers). Models load the TF1 way, as TF Serving
does: `tf.compat.v1.saved_model.loader.load` into a Session fed by the signature's tensor names. It deliberately
imports nothing from explorer.core.runners: it stands for the real server, not for our client.

Test-only additions (TF Serving has none of them; a client never relies on them):
  --stall_ms N            delay every response by N ms (header `X-Test-Stall-Ms` does it per request)
  --fail_status CODE      answer every REST request with this HTTP status (header `X-Test-Fault: 500|malformed`)
  --fault MODE            a hostile REST server for every request (header `X-Test-Fault: MODE` per request):
                          drip (declares 1 MB, sends a byte every 0.2 s), huge (2 GB of JSON as fast as it can),
                          huge-unsized (the same without Content-Length), wrong-structure (valid JSON, not TF
                          Serving's: a list), deep (JSON nested 100,000 levels)
  --fault_switch          POST /test/fault with a mode (or nothing) turns hostile mid-session, for every client
  --require_header 'K: V' refuse REST/gRPC calls without this header/metadata (401 / UNAUTHENTICATED), like a proxy
  --version_labels L=N,.. version labels (TF Serving reads them from --model_config_file)
  --ssl_cert/--ssl_key    TLS for both REST and gRPC

Run: python tests/servers/model_server.py --model_name=default --model_base_path=DIR --port=P --rest_api_port=R
Prints one line "READY rest=R grpc=P" on stdout once both listeners accept connections.
"""
from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import signal
import ssl
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

# absl status code -> HTTP status (tensorflow_serving/model_servers/http_server.cc)
HTTP_STATUS = {
    "OK": 200, "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409, "ABORTED": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
    "DEADLINE_EXCEEDED": 504, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "UNAUTHENTICATED": 401,
    "CANCELLED": 499, "UNKNOWN": 500, "INTERNAL": 500, "DATA_LOSS": 500,
}
# TensorFlow error code numbers (tensorflow/core/protobuf/error_codes.proto) -> names
CODE_NAMES = {0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
              6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
              10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
              15: "DATA_LOSS", 16: "UNAUTHENTICATED"}

PREDICT_RE = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)", re.I)
STATUS_RE = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?", re.I)

PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
DEFAULT_SIGNATURE = "serving_default"
INT64_MAX = 2**63 - 1


class Status(Exception):
    """An absl-style error: code name and message, turned into HTTP or gRPC status at the edge."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Status:
    return Status("INVALID_ARGUMENT", message)


# ----------------------------------------------------------------------------------------------------------------
# Model loading and running (ServerCore + SavedModelBundle)
# ----------------------------------------------------------------------------------------------------------------
class Servable:
    """One loaded version: a TF1 Session and its MetaGraphDef, runs serialised like one bundle."""

    def __init__(self, version: int, path: str):
        import tensorflow as tf

        self.version = version
        self.path = path
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            self.meta_graph = tf.compat.v1.saved_model.loader.load(self.session, ["serve"], path)
        self.lock = threading.Lock()
        self._callables = {}

    @property
    def signatures(self):
        return self.meta_graph.signature_def

    def run(self, feeds: dict, fetches: list[str]) -> list:
        import tensorflow as tf

        try:
            with self.lock:
                # A callable runs through the C++ session like TF Serving's: Session.run's (and make_callable's) Python-side check of
                # feed shapes against placeholder shapes would reject what the real server accepts (FIXTURES 3).
                key = (tuple(feeds), tuple(fetches))
                if key not in self._callables:
                    from tensorflow.core.protobuf import config_pb2

                    options = config_pb2.CallableOptions(feed=list(feeds), fetch=list(fetches))
                    self._callables[key] = self.session._make_callable_from_options(options)
                return self._callables[key](*(np.asarray(v) for v in feeds.values()))
        except tf.errors.OpError as exc:
            raise Status(CODE_NAMES.get(exc.error_code, "UNKNOWN"), exc.message) from exc
        except (ValueError, TypeError) as exc:  # feeding a value the placeholder cannot take
            raise invalid(str(exc)) from exc


class ServerCore:
    """Versions of one model under a base path, chosen by a version policy, with optional labels."""

    def __init__(self, name: str, base_path: str, policy: str = "latest", labels: dict[str, int] | None = None):
        self.name = name
        self.base_path = os.path.abspath(base_path)
        self.policy = policy
        self.labels = dict(labels or {})
        self.servables: dict[int, Servable] = {}
        self.states: dict[int, tuple[str, str, str]] = {}  # version -> (state, error_code, error_message)

    def aspired_versions(self) -> list[int]:
        found = []
        for entry in os.listdir(self.base_path):
            if entry.isdigit() and os.path.isdir(os.path.join(self.base_path, entry)) and int(entry) <= INT64_MAX:
                found.append(int(entry))
        found.sort(reverse=True)
        if self.policy == "all":
            return found
        if self.policy.startswith("specific:"):
            wanted = {int(v) for v in self.policy.split(":", 1)[1].split(",") if v.strip()}
            return [v for v in found if v in wanted]
        return found[:1]  # latest (latest_num_versions = 1)

    def load(self) -> None:
        for version in self.aspired_versions():
            folder = os.path.join(self.base_path, next(e for e in os.listdir(self.base_path)
                                                       if e.isdigit() and int(e) == version))
            try:
                self.servables[version] = Servable(version, folder)
                self.states[version] = ("AVAILABLE", "OK", "")
            except Exception as exc:  # a version that fails to load ends, with the loader's error (as TF Serving)
                code = CODE_NAMES.get(getattr(exc, "error_code", 2), "UNKNOWN")
                message = getattr(exc, "message", None) or str(exc)
                self.states[version] = ("END", code, message)

    # ServerCore::ServableRequestFromModelSpec + BasicManager lookup
    def resolve(self, name: str, version: int | None = None, label: str | None = None) -> Servable:
        if not name:
            raise invalid("Missing ModelSpec name")
        if label is not None:
            if name != self.name or label not in self.labels:
                raise invalid(f"Unrecognized servable version label: {label}")
            version = self.labels[label]
        if version is None:
            request = f"Latest({name})"
            servable = self.servables[max(self.servables)] if self.servables and name == self.name else None
        else:
            request = f"Specific({name}, {version})"
            servable = self.servables.get(version) if name == self.name else None
        if servable is None:
            raise Status("NOT_FOUND", f"Servable not found for request: {request}")
        return servable

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list[tuple]:
        """GetModelStatusImpl: (version, state, error_code, error_message) newest first."""
        if label is not None:
            if name != self.name or label not in self.labels:
                raise invalid(f"Unrecognized servable version label: {label}")
            version = self.labels[label]
        if name != self.name or not self.states:
            raise Status("NOT_FOUND", f"Could not find any versions of model {name}")
        if version is not None:
            if version not in self.states:
                raise Status("NOT_FOUND", f"Could not find version {version} of model {name}")
            return [(version, *self.states[version])]
        return [(v, *self.states[v]) for v in sorted(self.states, reverse=True)]


def find_signature(servable: Servable, name: str):
    key = name or DEFAULT_SIGNATURE
    if key not in servable.signatures:
        raise Status("FAILED_PRECONDITION", f'Serving signature key "{key}" not found.')
    return key, servable.signatures[key]


def run_predict(servable: Servable, signature_name: str, inputs: dict, output_filter=()) -> tuple[str, dict]:
    """predict_util.cc RunPredict: check keys, feed by tensor name, fetch every (or the filtered) output."""
    key, sig = find_signature(servable, signature_name)
    if len(inputs) != len(sig.inputs):
        sent, expected = sorted(inputs), sorted(sig.inputs)
        raise invalid(
            f"input size does not match signature: {len(inputs)}!={len(sig.inputs)} len({{{','.join(sent)}}}) != "
            f"len({{{','.join(expected)}}}). Sent extra: {{{','.join(k for k in sent if k not in sig.inputs)}}}. "
            f"Missing but required: {{{','.join(k for k in expected if k not in inputs)}}}.")
    feeds = {}
    for alias, value in inputs.items():
        if alias not in sig.inputs:
            raise invalid(f"input tensor alias not found in signature: {alias}. Inputs expected to be in the set "
                          f"{{{','.join(sorted(sig.inputs))}}}.")
        feeds[sig.inputs[alias].name] = value
    names = sorted(output_filter) if output_filter else sorted(sig.outputs)
    for alias in names:
        if alias not in sig.outputs:
            raise invalid(f"output tensor alias not found in signature: {alias} Outputs expected to be in the set "
                          f"{{{','.join(sorted(sig.outputs))}}}.")
    if not names:
        return key, {}
    values = servable.run(feeds, [sig.outputs[a].name for a in names])
    return key, {a: np.asarray(v) for a, v in zip(names, values)}


def serialized_examples(input_proto) -> list[bytes]:
    """input_util.cc: examples, each with the context merged in (serialised context + example = proto merge)."""
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        out = [e.SerializeToString() for e in input_proto.example_list.examples]
    elif kind == "example_list_with_context":
        ctx = input_proto.example_list_with_context.context.SerializeToString()
        out = [ctx + e.SerializeToString() for e in input_proto.example_list_with_context.examples]
    else:
        out = []
    if not out:
        raise invalid("Input is empty.")
    return out


def _method_signature(servable: Servable, name: str, method: str, what: str):
    key = name or DEFAULT_SIGNATURE
    if key not in servable.signatures:
        raise invalid(f"No signature was found with the name: {key}")
    sig = servable.signatures[key]
    if sig.method_name != method:
        raise invalid(f"Expected {what} signature method_name to be {method}. Was: {sig.method_name}")
    if len(sig.inputs) != 1:
        raise invalid("Expected one input Tensor.")
    return key, sig


def _shape(a) -> str:
    return "[" + ",".join(str(d) for d in np.shape(a)) + "]"


def run_classify(servable: Servable, signature_name: str, examples: list[bytes]):
    """classifier.cc: feed serialized tf.Examples, read "classes" and/or "scores" as [batch, num_classes]."""
    key, sig = _method_signature(servable, signature_name, CLASSIFY_METHOD, "classification")
    names = [n for n in ("classes", "scores") if n in sig.outputs]
    if not names:
        raise invalid("Expected classification signature outputs to contain classes or scores.")
    feed = {next(iter(sig.inputs.values())).name: np.array(examples, dtype=object)}
    values = dict(zip(names, servable.run(feed, [sig.outputs[n].name for n in names])))
    rows = []
    for name, value in values.items():
        value = np.asarray(value)
        if value.ndim != 2:
            raise invalid(f"Expected Tensor shape: [batch_size num_classes] but got {_shape(value)}")
        if value.shape[0] != len(examples):
            raise invalid(f"Input batch size did not match output batch size: {len(examples)} vs. {value.shape[0]}")
        if name == "scores" and value.dtype != np.float32:
            raise invalid(f"Expected scores Tensor of DT_FLOAT. Got: {value.dtype}")
    classes, scores = values.get("classes"), values.get("scores")
    if classes is not None and scores is not None and np.shape(classes) != np.shape(scores):
        raise invalid(f"Tensors class and score should match in shape, but had shapes {_shape(classes)} and "
                      f"{_shape(scores)}")
    count = np.shape(scores if scores is not None else classes)[1]
    for i in range(len(examples)):
        row = []
        for j in range(count):
            label = classes[i][j] if classes is not None else b""
            row.append((label if isinstance(label, bytes) else str(label).encode(),
                        float(scores[i][j]) if scores is not None else 0.0))
        rows.append(row)
    return key, rows


def run_regress(servable: Servable, signature_name: str, examples: list[bytes]):
    """regressor.cc: feed serialized tf.Examples, read "outputs" as [batch] or [batch, 1]."""
    key, sig = _method_signature(servable, signature_name, REGRESS_METHOD, "regression")
    if "outputs" not in sig.outputs:
        raise invalid("No output tensor named outputs found in signature.")
    feed = {next(iter(sig.inputs.values())).name: np.array(examples, dtype=object)}
    (value,) = servable.run(feed, [sig.outputs["outputs"].name])
    value = np.asarray(value)
    if not (value.ndim == 1 or (value.ndim == 2 and value.shape[1] == 1)):
        raise invalid(f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
                      f"{_shape(value)}")
    if value.shape[0] != len(examples):
        raise invalid(f"Input batch size did not match output batch size: {len(examples)} vs. {value.shape[0]}")
    return key, [float(v) for v in value.reshape(-1)]


# ----------------------------------------------------------------------------------------------------------------
# JSON <-> tensors, as tensorflow_serving/util/json_tensor.cc does it
# ----------------------------------------------------------------------------------------------------------------
def _json_type(v) -> str:
    if v is None:
        return "Null"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, dict):
        return "Object"
    if isinstance(v, list):
        return "Array"
    if isinstance(v, str):
        return "String"
    return "Number"


def _json_text(v) -> str:
    if isinstance(v, float):
        return format_decimal(v, np.float64)
    return json.dumps(v, separators=(",", ":"), allow_nan=True)


def _is_b64(v) -> bool:
    return isinstance(v, dict) and len(v) == 1 and isinstance(v.get("b64"), str)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_FLOAT_MAX_INT = {"DT_FLOAT": (1 << 24) - 1, "DT_DOUBLE": (1 << 53) - 1}
_FLOAT_LIMIT = {"DT_FLOAT": float(np.finfo(np.float32).max), "DT_DOUBLE": float(np.finfo(np.float64).max)}
_INT_RANGE = {"DT_INT32": (-(2**31), 2**31 - 1), "DT_INT16": (-(2**31), 2**31 - 1), "DT_INT8": (-(2**31), 2**31 - 1),
              "DT_UINT8": (-(2**31), 2**31 - 1), "DT_INT64": (-(2**63), 2**63 - 1), "DT_UINT32": (0, 2**32 - 1),
              "DT_UINT64": (0, 2**64 - 1)}
_NUMPY = {"DT_FLOAT": np.float32, "DT_DOUBLE": np.float64, "DT_INT32": np.int32, "DT_INT16": np.int16,
          "DT_INT8": np.int8, "DT_UINT8": np.uint8, "DT_INT64": np.int64, "DT_UINT32": np.uint32,
          "DT_UINT64": np.uint64, "DT_BOOL": np.bool_, "DT_STRING": object}


def _add_value(v, dtype: str, out: list) -> None:
    """AddValueToTensor: exact type rules of the C++ codec (ints accepted for floats if lossless)."""
    if dtype in ("DT_FLOAT", "DT_DOUBLE"):
        if not _number(v):
            raise _type_error(v, dtype)
        if isinstance(v, int):
            lossless = abs(v) <= _FLOAT_MAX_INT[dtype]
        else:
            lossless = not math.isfinite(v) or abs(v) <= _FLOAT_LIMIT[dtype]
        if not lossless:
            raise invalid(f"Cannot convert JSON value: {_json_text(v)} to {'float' if dtype == 'DT_FLOAT' else 'double'}"
                          " without loss of precision.")
        out.append(v)
    elif dtype in _INT_RANGE:
        low, high = _INT_RANGE[dtype]
        if not (isinstance(v, int) and not isinstance(v, bool) and low <= v <= high):
            raise _type_error(v, dtype)
        out.append(v)
    elif dtype == "DT_STRING":
        if not isinstance(v, str):
            raise _type_error(v, dtype)
        out.append(v.encode("utf-8"))
    elif dtype == "DT_BOOL":
        if not isinstance(v, bool):
            raise _type_error(v, dtype)
        out.append(v)
    else:
        raise Status("UNIMPLEMENTED", f"Conversion of JSON Value: {_json_text(v)} to type: {_type_name(dtype)}")


def _type_name(dtype: str) -> str:  # DataTypeString: DT_FLOAT -> float
    return {"DT_STRING": "string", "DT_BOOL": "bool", "DT_HALF": "half", "DT_BFLOAT16": "bfloat16"}.get(
        dtype, dtype[3:].lower())


def _type_error(v, dtype: str) -> Status:
    return invalid(f"JSON Value: {_json_text(v)} Type: {_json_type(v)} is not of expected type: {_type_name(dtype)}")


def _dense_shape(v) -> list[int]:
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return shape


def _fill(v, level: int, shape: list[int], dtype: str, out: list) -> None:
    """FillTensorProto: every leaf at depth == rank, every list of the size its level expects."""
    if not isinstance(v, list):
        if level != len(shape):
            raise invalid(f"JSON Value: {_json_text(v)} found at incorrect level: {level + 1} in the JSON DOM. "
                          f"Expected at level: {len(shape)}")
        if isinstance(v, dict):
            if dtype != "DT_STRING":
                raise _type_error(v, dtype)
            if not _is_b64(v):
                raise invalid(f"JSON Value: {_json_text(v)} not formatted correctly for base64 data")
            try:
                out.append(base64.b64decode(v["b64"], validate=True))
            except ValueError:
                raise invalid("Unable to base64 decode") from None
            return
        _add_value(v, dtype, out)
        return
    if level >= len(shape):
        raise invalid(f"Encountered list at unexpected level: {level} expected < {len(shape)}")
    if len(v) != shape[level]:
        raise invalid(f"Encountered list at unexpected size: {len(v)} at level: {level} expected size: {shape[level]}")
    for item in v:
        _fill(item, level + 1, shape, dtype, out)


def json_to_array(v, dtype: str) -> np.ndarray:
    """One JSON value -> numpy array of the signature's dtype, with the C++ codec's checks and error texts."""
    shape = _dense_shape(v)
    if dtype in ("DT_FLOAT", "DT_DOUBLE") and shape and isinstance(v, list):
        fast = _fast_numeric(v, shape, dtype)
        if fast is not None:
            return fast
    out: list = []
    _fill(v, 0, shape, dtype, out)
    if dtype not in _NUMPY:
        raise Status("UNIMPLEMENTED", f"Conversion of JSON Value: {_json_text(v)} to type: {_type_name(dtype)}")
    if dtype == "DT_STRING":
        arr = np.empty(len(out), dtype=object)
        arr[:] = out
        return arr.reshape(shape)
    return np.array(out, dtype=_NUMPY[dtype]).reshape(shape)


def _fast_numeric(v, shape, dtype):
    """A vectorised path for big all-number tensors; None sends the value through the exact checks."""
    try:
        arr = np.array(v)
    except ValueError:
        return None
    if arr.dtype.kind not in "if" or list(arr.shape) != shape:
        return None
    if arr.dtype.kind == "i" and np.abs(arr).max(initial=0) > _FLOAT_MAX_INT[dtype]:
        return None
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if finite.size and np.abs(finite).max() > _FLOAT_LIMIT[dtype]:
            return None
    return arr.astype(_NUMPY[dtype])


def _tensor_info_dtype(info) -> str:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(info.dtype)


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def parse_json_body(body: bytes):
    """ParseJson: rapidjson's messages for the common parse errors; the document must be an object."""
    if not body:
        raise invalid("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        raise invalid("JSON Parse error: Invalid encoding in string. at offset: 0") from None
    except json.JSONDecodeError as exc:
        raise invalid(f"JSON Parse error: {_rapidjson_message(exc, body)} at offset: {exc.pos}") from None
    if not isinstance(doc, dict):
        raise invalid(f"JSON Value: {_json_text(doc)} Is not object")
    return doc


def _rapidjson_message(exc: json.JSONDecodeError, body: bytes) -> str:
    msg = exc.msg
    if msg.startswith("Expecting value"):
        return "Invalid value."
    if msg.startswith("Expecting property name"):
        return "Missing a name for object member."
    if msg.startswith("Expecting ':'"):
        return "Missing a colon after a name of object member."
    if msg.startswith("Expecting ','"):
        text = body.decode("utf-8", "replace")
        opener = "[" if text.rfind("[", 0, exc.pos) > text.rfind("{", 0, exc.pos) else "{"
        return ("Missing a comma or ']' after an array element." if opener == "["
                else "Missing a comma or '}' after an object member.")
    if msg.startswith("Extra data"):
        return "The document root must not be followed by other values."
    if msg.startswith("Unterminated string"):
        return "Missing a closing quotation mark in string."
    return msg + "."


def _signature_name(doc) -> str:
    if "signature_name" in doc:
        if not isinstance(doc["signature_name"], str):
            raise invalid(f"JSON Value: {_json_text(doc)} not formatted correctly. 'signature_name' key must be a "
                          "string value.")
        return doc["signature_name"]
    return ""


def predict_inputs_from_json(doc, tensorinfo: dict) -> tuple[dict, str]:
    """FillPredictRequestFromJson: -> ({alias: array}, "row" | "columnar")."""
    dtypes = {k: _tensor_info_dtype(v) for k, v in tensorinfo.items()}
    names = sorted(dtypes)
    if "instances" in doc:
        if "inputs" in doc:
            raise invalid(f"JSON Value: {_json_text(doc)} Not formatted correctly expecting only one of 'inputs' or "
                          "'instances' keys to exist ")
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise invalid(f"JSON Value: {_json_text(doc)} Excepting 'instances' to be an list/array")
        if not instances:
            raise invalid(f"JSON Value: {_json_text(doc)} No values in 'instances' array")
        return _from_instances(instances, dtypes, names), "row"
    if "inputs" in doc:
        return _from_inputs(doc["inputs"], dtypes, names), "columnar"
    raise invalid("Missing 'inputs' or 'instances' key")


def _is_element_object(v) -> bool:
    return isinstance(v, dict) and not _is_b64(v)


def _from_instances(instances: list, dtypes: dict, names: list) -> dict:
    if not isinstance(instances[0], dict) and len(dtypes) > 1:
        raise invalid("instances is a plain list, but expecting list of objects as multiple input tensors required "
                      "as per tensorinfo_map")
    objects = _is_element_object(instances[0])
    parts: dict[str, list] = {}
    shapes: dict[str, list] = {}

    def add(item, name, index):
        if name not in dtypes:
            raise invalid(f"JSON object: does not have named input: {name}")
        arr = json_to_array(item, dtypes[name])
        if name in shapes:
            if int(np.prod(shapes[name])) != arr.size:
                raise invalid(f"Expecting tensor size: {int(np.prod(shapes[name]))} but got: {arr.size}")
            if list(arr.shape) != shapes[name]:
                raise invalid(f"Expecting shape {_shape_text(shapes[name])} but got: {_shape_text(arr.shape)}")
        else:
            shapes[name] = list(arr.shape)
        parts.setdefault(name, []).append(arr)

    for index, elem in enumerate(instances):
        if objects:
            if not _is_element_object(elem):
                raise invalid(f"Expecting object but got list at item {index} of input list")
            for name, item in elem.items():
                try:
                    add(item, name, index)
                except Status as exc:
                    raise invalid(f"Failed to process element: {index} key: {name} of 'instances' list. Error: "
                                  f"{exc.code}: {exc.message}") from None
            if set(elem) != set(names):
                raise invalid(f"Failed to process element: {index} of 'instances' list. JSON object: "
                              f"{_json_text(elem)} keys must be equal to: {','.join(names)}")
        else:
            if _is_element_object(elem):
                raise invalid(f"Expecting value/list but got object at item {index} of input list")
            try:
                add(elem, names[0], index)
            except Status as exc:
                raise invalid(f"Failed to process element: {index} of 'instances' list. Error: "
                              f"{exc.code}: {exc.message}") from None
    return {name: np.stack(arrays) for name, arrays in parts.items()}


def _from_inputs(value, dtypes: dict, names: list) -> dict:
    if not isinstance(value, dict) or _is_b64(value):
        if len(dtypes) > 1:
            raise invalid("inputs is a plain value/list, but expecting an object as multiple input tensors required "
                          "as per tensorinfo_map")
        return {names[0]: json_to_array(value, dtypes[names[0]])}
    out = {}
    for name in names:
        if name not in value:
            raise invalid(f"Missing named input: {name} in 'inputs' object.")
        out[name] = json_to_array(value[name], dtypes[name])
    return out


def format_decimal(value, kind) -> str:
    """WriteDecimal: six significant digits unless that does not round-trip; '.0' on whole numbers; NaN/Infinity."""
    value = kind(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    text = f"{float(value):.6g}"
    if kind(float(text)) != value:
        text = f"{float(value):.{9 if kind is np.float32 else 17}g}"
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def _value_texts(arr: np.ndarray, as_bytes: bool) -> list[str]:
    flat = arr.reshape(-1)
    kind = arr.dtype
    if kind == np.float32 or kind == np.float16:
        return [format_decimal(v, np.float32) for v in flat.astype(np.float32).tolist()]
    if kind == np.float64:
        return [format_decimal(v, np.float64) for v in flat.tolist()]
    if kind == np.bool_:
        return ["true" if v else "false" for v in flat.tolist()]
    if kind.kind in "iu":
        return [str(v) for v in flat.tolist()]
    if kind.kind in "OSU":
        out = []
        for v in flat.tolist():
            raw = v if isinstance(v, bytes) else str(v).encode("utf-8")
            if as_bytes:
                out.append('{"b64": "' + base64.b64encode(raw).decode("ascii") + '"}')
            else:
                out.append(json.dumps(raw.decode("utf-8", "replace")))
        return out
    raise invalid(f"Failed to write JSON value for tensor type: {kind}")


def _nest(texts: list[str], shape: tuple, start: int = 0) -> str:
    if not shape:
        return texts[start]
    if len(shape) == 1:
        return "[" + ", ".join(texts[start:start + shape[0]]) + "]"
    step = int(np.prod(shape[1:]))
    return "[" + ", ".join(_nest(texts, shape[1:], start + i * step) for i in range(shape[0])) + "]"


def tensors_to_json(outputs: dict, fmt: str) -> str:
    """MakeJsonFromTensors: row -> {"predictions": [...]}, columnar -> {"outputs": ...}; *_bytes as b64."""
    if not outputs:
        raise invalid("Cannot convert empty tensor map to JSON")
    texts = {k: _value_texts(np.asarray(v), k.endswith("_bytes") and np.asarray(v).dtype.kind in "OSU")
             for k, v in outputs.items()}
    many = len(outputs) > 1
    if fmt == "columnar":
        parts = {k: _nest(texts[k], np.shape(v)) for k, v in outputs.items()}
        body = "{" + ", ".join(f"{json.dumps(k)}: {p}" for k, p in parts.items()) + "}" if many else \
            next(iter(parts.values()))
        return '{\n    "outputs": ' + body + "\n}"
    batch = -1
    for name, value in outputs.items():
        shape = np.shape(value)
        if not shape:
            raise invalid(f"Tensor name: {name} has no shape information ")
        if batch >= 0 and shape[0] != batch:
            raise invalid(f"Tensor name: {name} has inconsistent batch size: {shape[0]} expecting: {batch}")
        batch = shape[0]
    rows = []
    for i in range(batch):
        items = {}
        for name, value in outputs.items():
            inner = np.shape(value)[1:]
            step = int(np.prod(inner)) if inner else 1
            items[name] = _nest(texts[name], inner, i * step)
        rows.append("{" + ", ".join(f"{json.dumps(k)}: {p}" for k, p in items.items()) + "}" if many
                    else next(iter(items.values())))
    return '{\n    "predictions": [' + ", ".join(rows) + "]\n}"


def examples_from_json(doc, request) -> None:
    """FillClassifyRegressRequestFromJson: optional "context" plus "examples" -> request.input."""
    from tensorflow.core.example import feature_pb2

    has_context = "context" in doc
    if has_context:
        _example_from_json(doc["context"], request.input.example_list_with_context.context, feature_pb2)
    if "examples" not in doc:
        raise invalid(f"JSON Value: {_json_text(doc)} When method is classify, key 'examples' is expected and was "
                      "not found")
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise invalid(f"JSON Value: {_json_text(doc)} Expecting 'examples' value to be an list/array")
    if not examples:
        raise invalid(f"JSON Value: {_json_text(doc)} 'examples' value is an empty array")
    target = (request.input.example_list_with_context.examples if has_context
              else request.input.example_list.examples)
    for value in examples:
        _example_from_json(value, target.add(), feature_pb2)


def _example_from_json(value, example, feature_pb2) -> None:
    if not isinstance(value, dict):
        raise invalid(f"Example must be JSON object but got JSON {_json_type(value)}")
    for name, content in value.items():
        feature = feature_pb2.Feature()
        for item in content if isinstance(content, list) else [content]:
            _add_feature_value(item, name, feature)
        example.features.feature[name].CopyFrom(feature)


def _add_feature_value(v, name: str, feature) -> None:
    kind = feature.WhichOneof("kind")

    def want(k):
        if kind not in (None, k):
            raise invalid(f"Unexpected element type in feature: {name} expecting type: "
                          f"{ {'bytes_list': 'bytes', 'float_list': 'float', 'int64_list': 'int64'}[kind] }")

    if v is None or isinstance(v, list) or (isinstance(v, dict) and not _is_b64(v)):
        raise invalid(f"Feature: {name} has element with unexpected JSON type: {_json_type(v)}")
    if isinstance(v, bool):
        want("int64_list")
        feature.int64_list.value.append(int(v))
    elif isinstance(v, dict):
        want("bytes_list")
        try:
            feature.bytes_list.value.append(base64.b64decode(v["b64"], validate=True))
        except ValueError:
            raise invalid("Unable to base64 decode") from None
    elif isinstance(v, str):
        want("bytes_list")
        feature.bytes_list.value.append(v.encode("utf-8"))
    elif isinstance(v, float):
        want("float_list")
        if math.isfinite(v) and abs(v) > _FLOAT_LIMIT["DT_FLOAT"]:
            raise invalid(f"Cannot convert JSON value: {_json_text(v)} to float without loss of precision.")
        feature.float_list.value.append(v)
    else:
        want("int64_list")
        if v > INT64_MAX:
            raise invalid(f"Feature: {name} has uint64 element. Only int64 is supported.")
        feature.int64_list.value.append(v)


def classification_json(rows) -> str:
    """MakeJsonFromClassificationResult: one list of [label, score] per example."""
    if not rows:
        raise invalid("Cannot convert empty ClassificationResults to JSON")
    parts = []
    for row in rows:
        pairs = ", ".join(f"[{json.dumps(label.decode('utf-8', 'replace'))}, {format_decimal(score, np.float32)}]"
                          for label, score in row)
        parts.append(f"[{pairs}]")
    return '{\n    "results": [' + ", ".join(parts) + "]\n}"


def regression_json(values) -> str:
    if not values:
        raise invalid("Cannot convert empty RegressionResults to JSON")
    return '{\n    "results": [' + ", ".join(format_decimal(v, np.float32) for v in values) + "]\n}"


def error_json(message: str) -> str:
    """MakeJsonFromStatus: a pretty-written {"error": ...} object."""
    return json.dumps({"error": message}, indent=4)


# ----------------------------------------------------------------------------------------------------------------
# The REST API (http_rest_api_handler.cc)
# ----------------------------------------------------------------------------------------------------------------
class RestApi:
    """Dispatches one HTTP request to the core; returns (http status, JSON text)."""

    def __init__(self, core: ServerCore):
        self.core = core

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, str]:
        try:
            return 200, self._dispatch(method, path, body)
        except Status as exc:
            return HTTP_STATUS.get(exc.code, 500), error_json(exc.message)
        except Exception as exc:  # a bug here must still answer, as a 500, never drop the connection
            return 500, error_json(f"{type(exc).__name__}: {exc}")

    def _dispatch(self, method: str, path: str, body: bytes) -> str:
        from urllib.parse import unquote

        malformed = invalid(f"Malformed request: {method} {path}")
        match = None
        if method == "POST":
            match = PREDICT_RE.fullmatch(path)
        elif method == "GET":
            match = STATUS_RE.fullmatch(path)
        if not match:
            raise malformed
        name, version_text, label, verb = match.groups()
        name = unquote(name) if name else ""
        version = None
        if version_text:
            version = int(version_text)
            if version > INT64_MAX:
                raise invalid(f"Failed to convert version: {version_text} to numeric.")
        label = unquote(label) if label else None
        if method == "GET":
            if not name:
                raise invalid("Missing model name in request.")
            return self._metadata(name, version, label) if verb else self._status(name, version, label)
        doc_text = body
        if verb.lower() == "predict":
            return self._predict(name, version, label, doc_text)
        return self._classify_regress(verb.lower(), name, version, label, doc_text)

    def _status(self, name, version, label) -> str:
        from google.protobuf import json_format
        from tensorflow_serving.apis import get_model_status_pb2

        response = get_model_status_pb2.GetModelStatusResponse()
        fill_status(response, self.core.status(name, version, label))
        return json.dumps(json_format.MessageToDict(response, always_print_fields_with_no_presence=True), indent=1)

    def _metadata(self, name, version, label) -> str:
        from google.protobuf import json_format

        servable = self.core.resolve(name, version, label)
        spec, sig_map = metadata_parts(self.core, servable)
        opts = dict(preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        out = {"model_spec": json_format.MessageToDict(spec, **opts),
               "metadata": {"signature_def": json_format.MessageToDict(sig_map, **opts)}}
        return json.dumps(out, indent=1)

    def _predict(self, name, version, label, body) -> str:
        servable = self.core.resolve(name, version, label)
        doc = parse_json_body(body)
        signame = _signature_name(doc)
        key = signame or DEFAULT_SIGNATURE
        if key not in servable.signatures:  # GetInfoMap, which runs before predict_util's own lookup
            raise invalid(f'Serving signature name: "{key}" not found in signature def')
        inputs, fmt = predict_inputs_from_json(doc, servable.signatures[key].inputs)
        _, outputs = run_predict(servable, signame, inputs)
        return tensors_to_json(outputs, fmt)

    def _classify_regress(self, verb, name, version, label, body) -> str:
        from tensorflow_serving.apis import classification_pb2, regression_pb2

        request = (classification_pb2.ClassificationRequest() if verb == "classify"
                   else regression_pb2.RegressionRequest())
        doc = parse_json_body(body)
        request.model_spec.signature_name = _signature_name(doc)
        examples_from_json(doc, request)
        servable = self.core.resolve(name, version, label)
        serialized = serialized_examples(request.input)
        if verb == "classify":
            return classification_json(run_classify(servable, request.model_spec.signature_name, serialized)[1])
        return regression_json(run_regress(servable, request.model_spec.signature_name, serialized)[1])


def fill_status(response, rows) -> None:
    from tensorflow_serving.apis import get_model_status_pb2

    for version, state, code, message in rows:
        entry = response.model_version_status.add()
        entry.version = version
        entry.state = get_model_status_pb2.ModelVersionStatus.State.Value(state)
        entry.status.error_code = code_number(code)
        entry.status.error_message = message


def code_number(name: str) -> int:
    return next(n for n, c in CODE_NAMES.items() if c == name)


def metadata_parts(core: ServerCore, servable: Servable):
    """GetModelMetadataImpl: (ModelSpec, SignatureDefMap) of the resolved servable."""
    from tensorflow_serving.apis import get_model_metadata_pb2, model_pb2

    spec = model_pb2.ModelSpec(name=core.name)
    spec.version.value = servable.version
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in servable.signatures.items():
        sig_map.signature_def[key].CopyFrom(sig)
    return spec, sig_map


class RestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like TF Serving's evhttp server; every body is application/json."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers must not wait for the client's delayed ACK (~40 ms)
    server_version = "model_server_for_tests"
    api: RestApi
    options: argparse.Namespace

    def log_message(self, *args):  # quiet: tests read failures from responses, not logs
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.options.fault_switch and self.path == "/test/fault":
            self.options.fault = body.decode().strip()
            return self._send(200, b"{}")
        stall = int(self.headers.get("X-Test-Stall-Ms") or self.options.stall_ms or 0)
        if stall:
            time.sleep(stall / 1000)
        fault = self.headers.get("X-Test-Fault") or self.options.fault or (
            str(self.options.fail_status) if self.options.fail_status else "")
        if self.options.require_header:
            key, _, want = self.options.require_header.partition(":")
            if (self.headers.get(key.strip()) or "").strip() != want.strip():
                status, text = 401, error_json(f"Missing or wrong {key.strip()} header")
                return self._send(status, text.encode())
        if fault == "malformed":
            return self._send(200, b'{"predictions": [1.0, 2.0')
        if fault in HOSTILE:
            return HOSTILE[fault](self)
        if fault.isdigit():
            return self._send(int(fault), error_json(f"Injected fault: HTTP {fault}").encode())
        status, text = self.api.handle(method, self.path.split("?", 1)[0], body)
        self._send(status, text.encode("utf-8"))

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        # Headers and body in one write, as evhttp does: two small writes meet Nagle/delayed-ACK stalls.
        self._headers_buffer.extend([b"\r\n", payload])
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_DELETE(self):
        self._serve("DELETE")


HUGE_BYTES = 2 * 1024**3


def _hostile_headers(handler: RestHandler, length: int | None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if length is None:
        handler.send_header("Connection", "close")
    else:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.flush()


def _drip(handler: RestHandler) -> None:
    """Declare a 1 MB body (under any size cap), then send one byte every 0.2 s: per-read timeouts never fire."""
    _hostile_headers(handler, 1 << 20)
    try:
        handler.wfile.write(b'{"predictions": [')
        for _ in range(3000):  # 10 minutes at most
            handler.wfile.write(b"0")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass  # the client gave up, as it should
    handler.close_connection = True


def _huge(handler: RestHandler, sized: bool = True) -> None:
    """2 GB of valid-looking JSON as fast as the socket takes it."""
    _hostile_headers(handler, HUGE_BYTES if sized else None)
    block = b"0," * (1 << 19)
    try:
        handler.wfile.write(b'{"predictions": [')
        for _ in range(HUGE_BYTES // len(block)):
            handler.wfile.write(block)
    except OSError:
        pass
    handler.close_connection = True


def _wrong_structure(handler: RestHandler) -> None:
    handler._send(200, b'[{"model_version_status": {"version": "one"}}, "predictions"]')


def _deep(handler: RestHandler) -> None:
    handler._send(200, b"[" * 100_000 + b"]" * 100_000)


HOSTILE = {"drip": _drip, "huge": _huge, "huge-unsized": lambda h: _huge(h, sized=False),
           "wrong-structure": _wrong_structure, "deep": _deep}


# ----------------------------------------------------------------------------------------------------------------
# The gRPC API: the official servicers of tensorflow_serving.apis
# ----------------------------------------------------------------------------------------------------------------
def make_grpc_servicers(core: ServerCore, options):
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2, get_model_status_pb2,
                                         model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc,
                                         regression_pb2)

    def guarded(fn):
        def call(self, request, context):
            if options.stall_ms:
                time.sleep(options.stall_ms / 1000)
            if options.require_header:
                key, _, want = options.require_header.partition(":")
                meta = dict(context.invocation_metadata())
                if meta.get(key.strip().lower(), "").strip() != want.strip():
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, f"Missing or wrong {key.strip()} metadata")
            try:
                return fn(self, request, context)
            except Status as exc:
                context.abort(getattr(grpc.StatusCode, exc.code, grpc.StatusCode.UNKNOWN), exc.message)
        return call

    def resolve(spec):
        which = spec.WhichOneof("version_choice")
        return core.resolve(spec.name, spec.version.value if which == "version" else None,
                            spec.version_label if which == "version_label" else None)

    def filled_spec(target, servable, signature):
        target.name = core.name
        target.version.value = servable.version
        target.signature_name = signature

    class Prediction(prediction_service_pb2_grpc.PredictionServiceServicer):
        @guarded
        def Predict(self, request, context):
            servable = resolve(request.model_spec)
            inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
            key, outputs = run_predict(servable, request.model_spec.signature_name, inputs,
                                       tuple(request.output_filter))
            response = predict_pb2.PredictResponse()
            filled_spec(response.model_spec, servable, key)
            for alias, value in outputs.items():
                response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
            return response

        @guarded
        def Classify(self, request, context):
            servable = resolve(request.model_spec)
            key, rows = run_classify(servable, request.model_spec.signature_name, serialized_examples(request.input))
            response = classification_pb2.ClassificationResponse()
            filled_spec(response.model_spec, servable, key)
            for row in rows:
                entry = response.result.classifications.add()
                for label, score in row:
                    entry.classes.add(label=label.decode("utf-8", "replace"), score=score)
            return response

        @guarded
        def Regress(self, request, context):
            servable = resolve(request.model_spec)
            key, values = run_regress(servable, request.model_spec.signature_name, serialized_examples(request.input))
            response = regression_pb2.RegressionResponse()
            filled_spec(response.model_spec, servable, key)
            for value in values:
                response.result.regressions.add(value=value)
            return response

        @guarded
        def GetModelMetadata(self, request, context):
            if list(request.metadata_field) != ["signature_def"]:
                raise invalid("Metadata field signature_def is required.") if not request.metadata_field else \
                    invalid(f"Metadata field {request.metadata_field[0]} is not supported")
            servable = resolve(request.model_spec)
            spec, sig_map = metadata_parts(core, servable)
            response = get_model_metadata_pb2.GetModelMetadataResponse()
            response.model_spec.CopyFrom(spec)
            response.metadata["signature_def"].Pack(sig_map)
            return response

    class Models(model_service_pb2_grpc.ModelServiceServicer):
        @guarded
        def GetModelStatus(self, request, context):
            spec = request.model_spec
            which = spec.WhichOneof("version_choice")
            rows = core.status(spec.name, spec.version.value if which == "version" else None,
                               spec.version_label if which == "version_label" else None)
            response = get_model_status_pb2.GetModelStatusResponse()
            fill_status(response, rows)
            return response

    return Prediction(), Models(), prediction_service_pb2_grpc, model_service_pb2_grpc


def start_grpc(core: ServerCore, options):
    import grpc

    limit = int(options.max_message_mb * 1024 * 1024)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit),
        ("grpc.so_reuseport", 0)])
    prediction, models, ps_grpc, ms_grpc = make_grpc_servicers(core, options)
    ps_grpc.add_PredictionServiceServicer_to_server(prediction, server)
    ms_grpc.add_ModelServiceServicer_to_server(models, server)
    address = f"{options.host}:{options.port}"
    if options.ssl_cert:
        with open(options.ssl_cert, "rb") as c, open(options.ssl_key, "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    if not port:
        raise SystemExit(f"cannot bind gRPC port {address}")
    server.start()
    return server, port


def start_rest(core: ServerCore, options):
    handler = type("BoundRestHandler", (RestHandler,), {"api": RestApi(core), "options": options})
    ThreadingHTTPServer.allow_reuse_address = True
    httpd = ThreadingHTTPServer((options.host, options.rest_api_port), handler)
    httpd.daemon_threads = True
    if options.ssl_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.ssl_cert, options.ssl_key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="rest", daemon=True)
    thread.start()
    return httpd, httpd.server_address[1]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--port", type=int, default=8500, help="gRPC port (0: no gRPC)")
    p.add_argument("--rest_api_port", type=int, default=0, help="REST port (0: no REST, as TF Serving)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--model_name", default="default")
    p.add_argument("--model_base_path", required=True)
    p.add_argument("--model_version_policy", default="latest", help="latest | all | specific:N[,M]")
    p.add_argument("--version_labels", default="", help="LABEL=VERSION[,LABEL=VERSION]")
    p.add_argument("--rest_api_timeout_in_ms", type=int, default=30000, help="accepted for compatibility")
    p.add_argument("--stall_ms", type=int, default=0)
    p.add_argument("--max_message_mb", type=float, default=2000)
    p.add_argument("--fail_status", type=int, default=0)
    p.add_argument("--fault", default="", choices=["", "malformed", *HOSTILE], help="a hostile REST mode")
    p.add_argument("--fault_switch", action="store_true", help="enable POST /test/fault")
    p.add_argument("--require_header", default="")
    p.add_argument("--ssl_cert", default="")
    p.add_argument("--ssl_key", default="")
    return p.parse_args(argv)


def main(argv=None) -> int:
    options = parse_args(argv)
    labels = {}
    for item in filter(None, options.version_labels.split(",")):
        label, _, version = item.partition("=")
        labels[label.strip()] = int(version)
    core = ServerCore(options.model_name, options.model_base_path, options.model_version_policy, labels)
    core.load()
    grpc_server = rest_server = None
    grpc_port = rest_port = 0
    if options.port:
        grpc_server, grpc_port = start_grpc(core, options)
    if options.rest_api_port:
        rest_server, rest_port = start_rest(core, options)
    print(f"READY rest={rest_port} grpc={grpc_port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    if rest_server:
        rest_server.shutdown()
    if grpc_server:
        grpc_server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
