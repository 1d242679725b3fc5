""""Show request": the exact wire request of a Request as code a user can paste -- curl or Python for REST, Python
for gRPC, or a saved_model_cli command for a local model. Large values go to .npy/.json files beside the code.

The REST body is made by restjson, the same encoder RestRunner sends, so the curl command is byte for byte what the
app sent. The gRPC snippet builds the same PredictRequest with tf.make_tensor_proto, as TF Serving's docs do.
"""
from __future__ import annotations

import io
import json
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ExplorerError
from .targets import host_port
from .request import Request

KINDS = ("curl", "python-rest", "python-grpc", "saved_model_cli", "python-litert", "v2-curl", "v2-requests",
         "v2-tritonclient")
INLINE_LIMIT = 4096  # bytes of JSON, or values of an array, shown inline; more goes to a file beside the code
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Snippet:
    """Code for one request: `text` to paste and run where `files` (name -> bytes) have been written."""

    kind: str  # one of KINDS
    language: str  # "shell" or "python"
    text: str
    files: dict[str, bytes] = field(default_factory=dict)

    def write_files(self, folder) -> list[Path]:
        """Write the files the code refers to into `folder`; returns their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in self.files.items():
            path = folder / name
            path.write_bytes(data)
            paths.append(path)
        return paths


# --- REST --------------------------------------------------------------------------------------------------------

def rest_body(request: Request, format: str = "auto") -> tuple[str, bytes]:
    """(":predict" | ":classify" | ":regress", the exact JSON body RestRunner sends for this request)."""
    from . import restjson
    from .runners.rest import _examples_of

    if request.method == "predict":
        body, _ = restjson.encode_predict(request.inputs, request.signature, format)
        return ":predict", body
    if request.method in ("classify", "regress"):
        return f":{request.method}", restjson.encode_examples(_examples_of(request), request.context,
                                                              request.signature)
    raise ExplorerError(f"Unknown method '{request.method}': use predict, classify or regress.")


def _rest_url(target, request: Request, ca_file: str | None) -> str:
    from .runners.rest import RestRunner

    runner = RestRunner(target, ca_file=ca_file)  # no connection is made: only its URL grammar is used
    return runner.base_url + runner.model_path()


def curl(request: Request, target, *, format: str = "auto", headers: dict[str, str] | None = None,
         ca_file: str | None = None, inline_limit: int = INLINE_LIMIT) -> Snippet:
    """A curl command posting exactly the body RestRunner sends (in request.json when it is large)."""
    verb, body = rest_body(request, format)
    url = _rest_url(target, request, ca_file) + verb
    args = ["curl", "-sS", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    if ca_file:
        args += ["--cacert", str(ca_file)]
    files = {}
    if len(body) > inline_limit or not _is_text(body):
        files["request.json"] = body
        args += ["--data-binary", "@request.json"]
    else:
        args += ["--data-binary", body.decode("utf-8")]
    return Snippet("curl", "shell", _shell(args), files)


def python_rest(request: Request, target, *, format: str = "auto", headers: dict[str, str] | None = None,
                ca_file: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                inline_limit: int = INLINE_LIMIT) -> Snippet:
    """Python (standard library only) posting the same body as curl; prints the server's JSON answer."""
    verb, body = rest_body(request, format)
    url = _rest_url(target, request, ca_file) + verb
    files = {}
    if len(body) > inline_limit or not _is_text(body):
        files["request.json"] = body
        body_line = 'body = open("request.json", "rb").read()'
    else:
        body_line = f"body = {body.decode('utf-8')!r}.encode()"
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    context = f"ssl.create_default_context(cafile={str(ca_file)!r})" if ca_file else "None"
    text = "\n".join([
        "import json",
        "import ssl",
        "import urllib.request",
        "",
        f"url = {url!r}",
        body_line,
        f"headers = {all_headers!r}",
        'request = urllib.request.Request(url, data=body, headers=headers, method="POST")',
        f"with urllib.request.urlopen(request, timeout={timeout!r}, context={context}) as response:",
        "    print(json.dumps(json.loads(response.read())))",
        "",
    ])
    return Snippet("python-rest", "python", text, files)


# --- gRPC --------------------------------------------------------------------------------------------------------

def python_grpc(request: Request, target, *, headers: dict[str, str] | None = None, ca_file: str | None = None,
                timeout: float = DEFAULT_TIMEOUT_S, max_message_mb: float | None = None,
                output_filter: list[str] | tuple[str, ...] | None = None,
                inline_limit: int = INLINE_LIMIT) -> Snippet:
    """Python with tensorflow_serving.apis: the same request GrpcRunner sends; prints the outputs as JSON."""
    from .runners.grpc import DEFAULT_MAX_MESSAGE_MB, endpoint_of

    endpoint = endpoint_of(target)
    limit = int((max_message_mb or DEFAULT_MAX_MESSAGE_MB) * 2**20)
    files: dict[str, bytes] = {}
    lines = ["import json", "", "import grpc", "import numpy as np", "import tensorflow as tf",
             "from tensorflow_serving.apis import (classification_pb2, predict_pb2, prediction_service_pb2_grpc,",
             "                                     regression_pb2)", ""]
    lines.append(f"options = [(\"grpc.max_send_message_length\", {limit}), "
                 f"(\"grpc.max_receive_message_length\", {limit})]")
    address = host_port(endpoint.host, endpoint.port)
    if ca_file or endpoint.tls:
        root = f"open({str(ca_file)!r}, \"rb\").read()" if ca_file else "None"
        lines.append(f"credentials = grpc.ssl_channel_credentials(root_certificates={root})")
        lines.append(f"channel = grpc.secure_channel({address!r}, credentials, options=options)")
    else:
        lines.append(f"channel = grpc.insecure_channel({address!r}, options=options)")
    lines.append("stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)")
    lines.append("")
    message = {"predict": "predict_pb2.PredictRequest", "classify": "classification_pb2.ClassificationRequest",
               "regress": "regression_pb2.RegressionRequest"}.get(request.method)
    if message is None:
        raise ExplorerError(f"Unknown method '{request.method}': use predict, classify or regress.")
    lines.append(f"request = {message}()")
    lines.append(f"request.model_spec.name = {endpoint.model!r}")
    if request.signature:
        lines.append(f"request.model_spec.signature_name = {request.signature!r}")
    if endpoint.version is not None:
        lines.append(f"request.model_spec.version.value = {endpoint.version}")
    elif endpoint.label:
        lines.append(f"request.model_spec.version_label = {endpoint.label!r}")
    if request.method == "predict":
        for key, array in request.inputs.items():
            value = _py_array(np.asarray(array), key, files, inline_limit)
            lines.append(f"request.inputs[{key!r}].CopyFrom(tf.make_tensor_proto({value}))")
        if output_filter:
            lines.append(f"request.output_filter.extend({list(output_filter)!r})")
    else:
        lines += _grpc_examples(request)
    metadata = [(k.lower(), v) for k, v in (headers or {}).items()]
    call = request.method.capitalize()
    lines.append(f"response = stub.{call}(request, timeout={timeout!r}"
                 + (f", metadata={metadata!r})" if metadata else ")"))
    lines.append("")
    if request.method == "predict":
        lines.append("outputs = {key: tf.make_ndarray(tensor) for key, tensor in response.outputs.items()}")
        lines.append("print(json.dumps({key: value.tolist() if value.dtype != object else "
                     "[v.decode('utf-8', 'replace') for v in value.reshape(-1)] for key, value in outputs.items()}))")
    elif request.method == "classify":
        lines.append("rows = response.result.classifications")
        lines.append('print(json.dumps({"scores": [[c.score for c in row.classes] for row in rows], '
                     '"classes": [[c.label for c in row.classes] for row in rows]}))')
    else:
        lines.append('print(json.dumps({"outputs": [r.value for r in response.result.regressions]}))')
    lines.append("")
    return Snippet("python-grpc", "python", "\n".join(lines), files)


def _grpc_examples(request: Request) -> list[str]:
    """Lines building request.input from the request's tf.Example feature dicts (kinds as examples.py infers)."""
    from .examples import feature_values

    if not request.examples:
        raise ExplorerError("This request has no tf.Example features to show.",
                            fix="Give the examples as feature dicts.")
    lines = ["", "def example(features):",
             "    message = tf.train.Example()",
             "    for name, (kind, values) in features.items():",
             "        getattr(message.features.feature[name], kind).value.extend(values)",
             "    return message", ""]
    holder = "request.input.example_list_with_context" if request.context else "request.input.example_list"
    for i, features in enumerate(request.examples):
        typed = {str(k): feature_values(v, name=str(k), index=i) for k, v in features.items()}
        lines.append(f"{holder}.examples.append(example({_py_literal(typed)}))")
    if request.context:
        typed = {str(k): feature_values(v, name=str(k)) for k, v in request.context.items()}
        lines.append(f"{holder}.context.CopyFrom(example({_py_literal(typed)}))")
    return lines


# --- saved_model_cli ---------------------------------------------------------------------------------------------

def saved_model_cli(request: Request, model_path, *, version: int | None = None, outdir: str | None = None,
                    inline_limit: int = INLINE_LIMIT) -> Snippet:
    """`saved_model_cli run` for a local model: --input_exprs for small finite numbers, --inputs .npy files for the
    rest, --input_examples for tf.Example features (context merged into each example, as TF Serving does)."""
    from .savedmodel import read_model

    info = read_model(model_path, version=version)
    signature = request.signature or info.default_signature or "serving_default"
    args = ["saved_model_cli", "run", "--dir", str(info.model_dir), "--tag_set", ",".join(info.tag_set),
            "--signature_def", signature]
    files: dict[str, bytes] = {}
    exprs, npys, examples = [], [], []
    for key, array in request.inputs.items():
        arr = np.asarray(array)
        literal = _cli_literal(arr, inline_limit)
        if literal is None:
            name = _file_name(key, files)
            files[name] = _npy(arr)
            npys.append(f"{key}={name}")
        else:
            exprs.append(f"{key}={literal}")
    if request.examples:
        sig = info.signatures.get(signature)
        strings = [k for k, spec in (sig.inputs.items() if sig else ()) if spec.dtype == "DT_STRING"]
        if len(strings) != 1:
            raise ExplorerError(f"Signature '{signature}' has no single string input to take tf.Examples.",
                                fix="Pick a classify/regress signature, or give the inputs as tensors.")
        literal = _cli_examples(request)
        if literal is None:  # text the flag cannot carry: the serialized tf.Examples go in a file instead
            from .examples import serialize_examples

            merged = [{**(request.context or {}), **e} for e in request.examples]
            name = _file_name(strings[0], files)
            files[name] = _npy(serialize_examples(merged))
            npys.append(f"{strings[0]}={name}")
        else:
            examples.append(f"{strings[0]}={literal}")
    if npys:
        args += ["--inputs", ";".join(npys)]
    if exprs:
        args += ["--input_exprs", ";".join(exprs)]
    if examples:
        args += ["--input_examples", ";".join(examples)]
    if outdir:
        args += ["--outdir", str(outdir), "--overwrite"]
    return Snippet("saved_model_cli", "shell", _shell(args), files)


def _cli_literal(arr: np.ndarray, inline_limit: int) -> str | None:
    """A Python literal saved_model_cli's literal_eval reads back to the same values, or None (use a file)."""
    if arr.dtype.kind not in "biuf" or arr.size > inline_limit // 8:
        return None  # strings may hold ';' (the flag's separator); large arrays read badly inline
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        return None  # literal_eval knows no nan/inf
    text = repr(arr.tolist()).replace(" ", "")
    return text if ";" not in text else None


def _cli_examples(request: Request) -> str | None:
    """tf.Examples as the literal --input_examples reads (context merged in), or None when it cannot carry them."""
    from .examples import feature_values

    out = []
    for i, features in enumerate(request.examples):
        merged = {**(request.context or {}), **features}  # an example's own feature wins, as in a proto merge
        parts = []
        for name, value in merged.items():
            kind, values = feature_values(value, name=str(name), index=i)
            if not values:
                continue  # saved_model_cli reads a feature's kind from its first value
            if kind == "bytes_list":
                try:
                    items = [json.dumps(bytes(v).decode("utf-8")) for v in values]
                except UnicodeDecodeError:
                    return None
            elif kind == "float_list":
                if not all(math.isfinite(float(v)) for v in values):
                    return None  # nan/inf are no Python literals
                items = [repr(float(v)) for v in values]
            else:
                items = [str(int(v)) for v in values]
            parts.append(f"{json.dumps(str(name))}:[{','.join(items)}]")
        out.append("{" + ",".join(parts) + "}")
    text = "[" + ",".join(out) + "]"
    return None if ";" in text else text  # ';' separates the flag's inputs


# --- LiteRT ------------------------------------------------------------------------------------------------------

def python_litert(request: Request, model_path, *, version: int | None = None,
                  inline_limit: int = INLINE_LIMIT) -> Snippet:
    """Python running a .tflite with ai_edge_litert as LiteRunner does: signature runner (or tensor indices for a
    model without SignatureDefs), real inputs quantised and quantised outputs dequantised with the same arithmetic."""
    from .savedmodel import read_model
    from .tflite import FROM_SIGNATURE_DEFS

    info = read_model(model_path, version=version)
    if info.tflite is None:
        raise ExplorerError(f"{model_path} is a SavedModel: choose saved_model_cli.")
    key = request.signature or info.default_signature or "serving_default"
    sig = info.signatures.get(key)
    if sig is None:
        raise ExplorerError(f"{model_path} has no signature '{key}'.")
    files: dict[str, bytes] = {}
    lines = ["import numpy as np", "from ai_edge_litert.interpreter import Interpreter", "",
             f"interpreter = Interpreter(model_path={info.model_file!r})"]
    by_signature = info.tflite.signature_source == FROM_SIGNATURE_DEFS
    if by_signature:
        lines.append(f"runner = interpreter.get_signature_runner({key!r})")
    lines.append("inputs = {}")
    for name, array in request.inputs.items():
        spec = sig.inputs.get(name)
        lines.append(f"inputs[{name!r}] = {_py_array(np.asarray(array), name, files, inline_limit)}")
        q = spec.quantization if spec is not None else None
        if q is not None and np.asarray(array).dtype != spec.storage_dt.np:
            storage = spec.storage_dt.short
            lines += [f"# {name} is quantised: real values -> {storage} with its scale and zero-point",
                      f"scale, zero_point = {q.scale[0]!r}, {q.zero_point[0]!r}",
                      f"info = np.iinfo(np.{storage})",
                      f"inputs[{name!r}] = np.clip(np.rint(inputs[{name!r}] / scale) + zero_point, info.min, "
                      f"info.max).astype(np.{storage})"]
    if by_signature:
        lines += ["outputs = runner(**inputs)"]
    else:
        lines += ["# no SignatureDefs: feed and fetch the subgraph's tensors by index, resizing -1 dimensions",
                  f"index = {_py_literal({k: s.index for k, s in sig.inputs.items() if k in request.inputs})}",
                  "for name, value in inputs.items():",
                  "    interpreter.resize_tensor_input(index[name], list(value.shape), strict=False)",
                  "interpreter.allocate_tensors()",
                  "for name, value in inputs.items():",
                  "    interpreter.set_tensor(index[name], value)",
                  "interpreter.invoke()",
                  f"outputs = {{name: interpreter.get_tensor(i) for name, i in "
                  f"{_py_literal({k: s.index for k, s in sig.outputs.items()})}.items()}}"]
    quantized = {k: (s.quantization.scale[0], s.quantization.zero_point[0]) for k, s in sig.outputs.items()
                 if s.quantization is not None}
    if quantized:
        lines += ["# quantised outputs: integers -> real values",
                  f"for name, (scale, zero_point) in {_py_literal(quantized)}.items():",
                  "    outputs[name] = ((outputs[name].astype(np.float64) - zero_point) * scale).astype(np.float32)"]
    lines += ["for name, value in sorted(outputs.items()):", "    print(name, value.dtype, value.shape)",
              "    print(value)"]
    return Snippet("python-litert", "python", "\n".join(lines) + "\n", files)


# --- KServe V2 ----------------------------------------------------------------------------------------------------

def v2_body(request: Request, binary: bool = False) -> tuple[bytes, int | None]:
    """(body, binary header length or None): the infer body V2RestRunner sends (v2protocol.encode_infer). Bytes
    that are not text cannot go as JSON: then the binary tensor data extension."""
    from . import v2protocol
    from .errors import InputProblem

    try:
        return v2protocol.encode_infer(request.inputs, binary=binary)
    except InputProblem:
        if binary:
            raise
        return v2protocol.encode_infer(request.inputs, binary=True)


def _v2_url(target, ca_file: str | None) -> str:
    from .targets import Target, parse_target, v2_model_path

    parsed = target if isinstance(target, Target) else parse_target(str(target))
    tls = parsed.tls or bool(ca_file)
    return f"{'https' if tls else 'http'}://{host_port(parsed.host, parsed.port)}{parsed.prefix}" + \
        v2_model_path(parsed.model, parsed.version) + "/infer"


def v2_curl(request: Request, target, *, headers: dict[str, str] | None = None, ca_file: str | None = None,
            binary: bool = False, inline_limit: int = INLINE_LIMIT, **_ignored) -> Snippet:
    """curl posting the infer body V2RestRunner sends: JSON (in request.json when large), or the binary extension."""
    body, header = v2_body(request, binary)
    args = ["curl", "-sS", "-X", "POST", _v2_url(target, ca_file)]
    if header is None:
        args += ["-H", "Content-Type: application/json"]
    else:
        args += ["-H", "Content-Type: application/octet-stream", "-H", f"Inference-Header-Content-Length: {header}"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    if ca_file:
        args += ["--cacert", str(ca_file)]
    files = {}
    if header is not None or len(body) > inline_limit or not _is_text(body):
        files["request.bin" if header is not None else "request.json"] = body
        args += ["--data-binary", "@" + next(iter(files))]
    else:
        args += ["--data-binary", body.decode("utf-8")]
    return Snippet("v2-curl", "shell", _shell(args), files)


_V2_PLAIN = ["def plain(array):",
             "    if array.dtype == object:  # BYTES",
             "        return [v.decode('utf-8', 'replace') if isinstance(v, bytes) else v for v in array.reshape(-1)]",
             "    return array.tolist()", ""]


def v2_requests(request: Request, target, *, headers: dict[str, str] | None = None, ca_file: str | None = None,
                timeout: float = DEFAULT_TIMEOUT_S, inline_limit: int = INLINE_LIMIT, **_ignored) -> Snippet:
    """Python with requests posting the same JSON infer body as curl; prints each output's flat data as JSON."""
    body, header = v2_body(request, False)
    files = {}
    if header is not None or len(body) > inline_limit or not _is_text(body):
        name = "request.bin" if header is not None else "request.json"
        files[name] = body
        body_line = f"body = open({name!r}, \"rb\").read()"
    else:
        body_line = f"body = {body.decode('utf-8')!r}.encode()"
    all_headers = ({"Content-Type": "application/json"} if header is None else
                   {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(header)})
    all_headers.update(headers or {})
    verify = repr(str(ca_file)) if ca_file else "True"
    text = "\n".join([
        "import json",
        "",
        "import requests",
        "",
        f"url = {_v2_url(target, ca_file)!r}",
        body_line,
        f"headers = {all_headers!r}",
        f"response = requests.post(url, data=body, headers=headers, timeout={timeout!r}, verify={verify})",
        "response.raise_for_status()",
        'print(json.dumps({output["name"]: output["data"] for output in response.json()["outputs"]}))',
        "",
    ])
    return Snippet("v2-requests", "python", text, files)


def v2_tritonclient(request: Request, target, *, headers: dict[str, str] | None = None, ca_file: str | None = None,
                    timeout: float = DEFAULT_TIMEOUT_S, binary: bool = False, inline_limit: int = INLINE_LIMIT,
                    **_ignored) -> Snippet:
    """Python with NVIDIA's tritonclient (http for v2://, grpc for v2+grpc://): the same inputs, the same model."""
    from . import v2protocol
    from .targets import Target, parse_target

    parsed = target if isinstance(target, Target) else parse_target(str(target))
    grpc = parsed.kind == "v2+grpc"
    module = "tritonclient.grpc" if grpc else "tritonclient.http"
    files: dict[str, bytes] = {}
    lines = ["import json", "", "import numpy as np", f"import {module} as client_module", ""] + _V2_PLAIN
    tls = parsed.tls or bool(ca_file)
    url = host_port(parsed.host, parsed.port) + ("" if grpc else parsed.prefix)
    if grpc:
        extra = f", ssl=True, root_certificates={str(ca_file)!r}" if ca_file else (", ssl=True" if tls else "")
        lines.append(f"client = client_module.InferenceServerClient(url={url!r}{extra})")
    else:
        extra = ""
        if tls:
            extra = ", ssl=True" + (f", ssl_context_factory=lambda: __import__('gevent.ssl').ssl.create_default_"
                                     f"context(cafile={str(ca_file)!r})" if ca_file else "")
        lines.append(f"client = client_module.InferenceServerClient(url={url!r}, "
                     f"network_timeout={timeout!r}{extra})")
    lines.append("inputs = []")
    for key, value in request.inputs.items():
        arr = np.asarray(value)
        datatype = v2protocol.datatype_of(key, arr)
        literal = _py_array(arr, key, files, inline_limit)
        lines.append(f"tensor = client_module.InferInput({key!r}, {list(arr.shape)!r}, {datatype!r})")
        binary_arg = "" if grpc else f", binary_data={bool(binary)!r}"
        lines.append(f"tensor.set_data_from_numpy({literal}{binary_arg})")
        lines.append("inputs.append(tensor)")
    version = f", model_version={str(parsed.version)!r}" if parsed.version not in (None, "") else ""
    sent = dict(headers or {})
    if not grpc and not binary:  # tritonclient.http sends JSON without a Content-Type; KServe then reads bytes
        sent = {"Content-Type": "application/json", **sent}
    head = f", headers={sent!r}" if sent else ""
    call_timeout = f", client_timeout={timeout!r}" if grpc else ""
    lines.append(f"result = client.infer({parsed.model!r}, inputs{version}{head}{call_timeout})")
    names = "[output.name for output in result.get_response().outputs]" if grpc else \
        "[output[\"name\"] for output in result.get_response()[\"outputs\"]]"
    lines.append(f"print(json.dumps({{name: plain(result.as_numpy(name)) for name in {names}}}))")
    lines.append("")
    return Snippet("v2-tritonclient", "python", "\n".join(lines), files)


# --- one entry point ---------------------------------------------------------------------------------------------

def for_target(request: Request, target, kind: str | None = None, **options) -> Snippet:
    """The snippet for where the request goes: folder -> saved_model_cli, rest -> curl (or python-rest),
    grpc -> python-grpc. `kind` picks another that fits the target."""
    from .targets import Target, parse_target

    parsed = target if isinstance(target, Target) else parse_target(str(target))
    fits = {"folder": ("saved_model_cli",), "rest": ("curl", "python-rest"), "grpc": ("python-grpc",),
            "v2": ("v2-curl", "v2-requests", "v2-tritonclient"), "v2+grpc": ("v2-tritonclient",)}[parsed.kind]
    if parsed.kind == "folder":
        from .savedmodel import read_model

        if read_model(parsed.path, version=options.get("version")).tflite is not None:
            fits = ("python-litert",)
    kind = kind or fits[0]
    if kind not in fits:
        raise ExplorerError(f"A {kind} snippet cannot reach {parsed.url()}.",
                            fix=f"For this target choose {' or '.join(fits)}.")
    if kind == "saved_model_cli":
        return saved_model_cli(request, parsed.path, **options)
    if kind == "python-litert":
        return python_litert(request, parsed.path, **options)
    return {"curl": curl, "python-rest": python_rest, "python-grpc": python_grpc, "v2-curl": v2_curl,
            "v2-requests": v2_requests, "v2-tritonclient": v2_tritonclient}[kind](request, parsed, **options)


# --- literals ----------------------------------------------------------------------------------------------------

_NUMPY_NAMES = {"float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "bool", "complex64", "complex128"}


def _py_array(arr: np.ndarray, key: str, files: dict[str, bytes], inline_limit: int) -> str:
    """Python source for `arr`: np.array(<literal>, dtype=...) when small, else np.load of a file added to files."""
    if arr.dtype.name in _NUMPY_NAMES and arr.size <= inline_limit // 8:
        return f"np.array({_py_literal(arr.tolist())}, dtype=np.{arr.dtype.name})"
    if arr.dtype.kind in "OSU" and arr.size <= inline_limit // 16:
        values = [v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1)]
        nested = np.empty(len(values), dtype=object)
        nested[:] = values
        literal = _py_literal(nested.reshape(arr.shape).tolist() if arr.ndim else values[0])
        return f"np.array({literal}, dtype=object)"
    name = _file_name(key, files)
    files[name] = _npy(arr)
    pickle = ", allow_pickle=True" if arr.dtype.kind == "O" else ""
    return f"np.load({name!r}{pickle})"


def _py_literal(value) -> str:
    """repr() that stays valid Python for nan/inf and numpy scalars."""
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, np.generic):
        return _py_literal(value.item())
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_py_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py_literal(k)}: {_py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _npy(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, arr, allow_pickle=arr.dtype.kind == "O")
    return buffer.getvalue()


def _file_name(key: str, files: dict) -> str:
    base = "input_" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("._") or "tensor")
    name, n = f"{base}.npy", 2
    while name in files:
        name, n = f"{base}_{n}.npy", n + 1
    return name


def _is_text(body: bytes) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def _shell(args: list[str]) -> str:
    """Arguments quoted for a POSIX shell, one option per line."""
    parts, line = [], [shlex.quote(args[0])]
    for arg in args[1:]:
        if arg.startswith("-") and len(line) > 1:
            parts.append(" ".join(line))
            line = []
        line.append(shlex.quote(arg))
    parts.append(" ".join(line))
    return " \\\n  ".join(parts)


def as_json(snippet: Snippet) -> str:
    """The snippet as JSON (files listed by name and size), for --json outputs."""
    return json.dumps({"kind": snippet.kind, "language": snippet.language, "text": snippet.text,
                       "files": {k: len(v) for k, v in snippet.files.items()}})
