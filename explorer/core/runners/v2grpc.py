"""V2GrpcRunner: the Open Inference Protocol (KServe V2) over gRPC -- MLServer, KServe, Triton -- as a Runner.

Messages are the official generated ones: `tritonclient.grpc.service_pb2` is Triton's build of the V2 protocol's
grpc_service.proto (the KServe spec's messages plus Triton's extensions) and is the well-kept pip package that ships
them; KServe's and MLServer's copies come with their whole servers. They register `inference.*` names, which do not
clash with TensorFlow's (`import tensorflow` still works afterwards: tests/core/test_v2_runners.py). Tensors travel as
raw_input_contents / raw_output_contents (little-endian bytes; BYTES as 4-byte length + bytes), as Triton's client
sends them; typed `contents` in answers are read too (MLServer answers with them).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from .. import v2protocol
from ..errors import ServingError
from ..headers import checked_headers
from ..request import Prediction, Request
from .base import Progress, no_progress
from .channel import open_channel
from .v2views import V2ModelViews
from .v2rest import _check_signature

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MESSAGE_MB = 512
WIRE_TEXT_LIMIT = 16 * 1024

_protos = None
_protos_lock = threading.Lock()

# InferTensorContents field per V2 datatype (FP16/BF16 have none: they only travel raw).
_CONTENTS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
             "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents",
             "UINT32": "uint_contents", "UINT64": "uint64_contents", "FP32": "fp32_contents",
             "FP64": "fp64_contents", "BYTES": "bytes_contents"}


@dataclass(frozen=True)
class _Protos:
    grpc: object
    service: object
    stubs: object


def protos() -> _Protos:
    """grpc and the V2 messages (tritonclient's generated modules; fast, no TensorFlow)."""
    global _protos
    with _protos_lock:
        if _protos is None:
            import grpc
            from tritonclient.grpc import service_pb2, service_pb2_grpc

            _protos = _Protos(grpc, service_pb2, service_pb2_grpc)
    return _protos


class V2GrpcRunner(V2ModelViews):
    """Runs requests against one model on a KServe V2 gRPC endpoint; thread-safe (one channel for all calls)."""

    engine = "v2+grpc"

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT_S, max_message_mb: float = DEFAULT_MAX_MESSAGE_MB,
                 tls: bool = False, ca_file: str | None = None, headers: dict[str, str] | None = None,
                 version: str | int | None = None, server_name: str | None = None, **_ignored):
        from ..targets import Target, parse_target

        if not isinstance(target, Target):
            target = parse_target(str(target))
        if target.kind != "v2+grpc":
            raise ServingError(f"{target.url()} is not a KServe V2 gRPC endpoint.", url=target.url(),
                               fix="Use v2+grpc://HOST:PORT/MODEL, optionally /versions/V.")
        version = str(version) if version is not None else target.version
        self._target = replace(target, version=version)
        self.host, self.port, self.model, self.version = target.host, target.port, target.model, version
        self.target = self._target.url()
        self.timeout = timeout
        self.max_message_bytes = int(max_message_mb * 2**20)
        self.tls = bool(tls or ca_file or target.tls)
        self.ca_file = ca_file
        self.server_name = server_name
        self.headers = tuple((k.lower(), v) for k, v in checked_headers(headers).items())
        self._lock = threading.Lock()
        self._channel = None
        self._stub = None
        self._metadata: v2protocol.ModelMetadata | None = None
        self._server: v2protocol.ServerInfo | None = None

    # --- connection ---------------------------------------------------------------------------------------------

    def _service(self):
        if self._stub is not None:
            return self._stub
        with self._lock:
            if self._stub is None:
                p = protos()
                self._channel = open_channel(p.grpc, self.host, self.port, tls=self.tls, ca_file=self.ca_file,
                                             server_name=self.server_name,
                                             max_message_bytes=self.max_message_bytes, target=self.target)
                self._stub = p.stubs.GRPCInferenceServiceStub(self._channel)
            return self._stub

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel = self._stub = None

    def _call(self, name: str, message, what: str):
        stub = self._service()
        try:
            return getattr(stub, name)(message, timeout=self.timeout, metadata=self.headers or None)
        except protos().grpc.RpcError as exc:
            raise self._error(exc, what) from None

    def _error(self, exc, what: str) -> ServingError:
        from .. import serving_errors

        code = exc.code() if hasattr(exc, "code") else None
        raw = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        exp = serving_errors.explain(raw, code, protocol="v2", model=self.model)
        name = getattr(code, "name", None) or exp.code or "UNKNOWN"
        if name == "UNIMPLEMENTED":
            from ..protocol_probe import wrong_protocol_over_grpc

            found = wrong_protocol_over_grpc(self._channel, self.headers or None, self._target, expected="v2")
            if found is not None:
                found.code, found.raw = name, raw
                return found
        error = ServingError(f"{what} failed: {exp.cause}", url=self.target,
                             status=code.value[0] if code is not None else None, fix=exp.fix,
                             details=f"gRPC status {name}: {raw}")
        error.code, error.raw, error.explanation = name, raw, exp
        return error

    # --- the API ----------------------------------------------------------------------------------------------------

    def server_metadata(self) -> v2protocol.ServerInfo:
        """ServerMetadata: name, version, extensions (cached)."""
        if self._server is None:
            r = self._call("ServerMetadata", protos().service.ServerMetadataRequest(), "ServerMetadata")
            self._server = v2protocol.ServerInfo(r.name, r.version, tuple(r.extensions))
        return self._server

    def server_ready(self) -> bool:
        return bool(self._call("ServerReady", protos().service.ServerReadyRequest(), "ServerReady").ready)

    def model_ready(self, version: str | None = None) -> bool:
        request = protos().service.ModelReadyRequest(name=self.model, version=self.version if version is None
                                                     else version or "")
        return bool(self._call("ModelReady", request, "ModelReady").ready)

    def model_metadata(self) -> v2protocol.ModelMetadata:
        """ModelMetadata -> ModelMetadata with the one signature."""
        request = protos().service.ModelMetadataRequest(name=self.model, version=self.version or "")
        r = self._call("ModelMetadata", request, "ModelMetadata")
        signature = v2protocol.signature_of(
            [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in r.inputs],
            [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in r.outputs])
        self._metadata = v2protocol.ModelMetadata(r.name, tuple(r.versions), r.platform, signature)
        return self._metadata

    def predict(self, request: Request, progress: Progress = no_progress) -> Prediction:
        """ModelInfer with raw tensor contents; outputs from raw_output_contents or typed contents."""
        progress(0.0, f"connecting to {self.target}")
        started = time.perf_counter()
        _check_signature(request, self.target)
        try:
            specs = self.signatures()[v2protocol.V2_SIGNATURE].inputs
        except ServingError:
            specs = None
        connected = time.perf_counter()
        message = self.infer_request(request.inputs, specs)
        encoded = time.perf_counter()
        progress(0.2, f"infer on {self.target}")
        response = self._call("ModelInfer", message, "ModelInfer")
        answered = time.perf_counter()
        outputs = decode_response(response)
        decoded = time.perf_counter()
        progress(1.0, "done")
        sent = sum(len(b) for b in message.raw_input_contents)
        got = sum(len(b) for b in response.raw_output_contents) or sum(a.nbytes for a in outputs.values())
        return Prediction(
            signature=v2protocol.V2_SIGNATURE, engine=self.engine, target=self.target, outputs=outputs,
            version=response.model_version or self.version,
            timing_ms={"load": (connected - started) * 1e3, "encode": (encoded - connected) * 1e3,
                       "predict": (answered - encoded) * 1e3, "decode": (decoded - answered) * 1e3},
            notes=("KServe V2 gRPC, raw tensor contents",),
            wire={"protocol": "v2+grpc", "method": "inference.GRPCInferenceService/ModelInfer",
                  "request": _text(message, sent), "response": _text(response, got)},
        )

    def infer_request(self, inputs: dict, specs=None):
        """A ModelInferRequest with every input as raw_input_contents."""
        pb = protos().service
        message = pb.ModelInferRequest(model_name=self.model, model_version=self.version or "")
        for key, value in inputs.items():
            arr = np.asarray(value)
            datatype = v2protocol.datatype_of(key, arr, (specs or {}).get(key))
            arr = v2protocol._typed(key, arr, datatype)
            tensor = message.inputs.add(name=key, datatype=datatype, shape=list(arr.shape))
            del tensor  # the entry is filled; its data goes raw, in input order
            message.raw_input_contents.append(v2protocol._bytes_of(key, arr) if datatype == "BYTES"
                                              else bytes(v2protocol._raw(arr, datatype)))
        return message


def decode_response(response) -> dict[str, np.ndarray]:
    """ModelInferResponse -> {output name: array}, from raw_output_contents (in output order) or typed contents."""
    from ..dtypes import lookup

    outputs = {}
    raw = list(response.raw_output_contents)
    for i, tensor in enumerate(response.outputs):
        shape = tuple(int(d) for d in tensor.shape)
        datatype = tensor.datatype.upper()
        if raw:
            if i >= len(raw):
                raise v2protocol._answer_error(f"output '{tensor.name}' has no raw contents")
            outputs[tensor.name] = v2protocol._from_raw(tensor.name, memoryview(raw[i]), datatype, shape)
            continue
        field = _CONTENTS.get(datatype)
        if field is None:
            raise v2protocol._answer_error(f"output '{tensor.name}' ({datatype}) came without raw contents")
        values = list(getattr(tensor.contents, field))
        if datatype == "BYTES":
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        else:
            arr = np.asarray(values, dtype=lookup(datatype).np)
        count = int(np.prod(shape)) if shape else 1
        if arr.size != count:
            raise v2protocol._answer_error(f"output '{tensor.name}' has {arr.size} values for shape {list(shape)}")
        outputs[tensor.name] = arr.reshape(shape)
    return dict(sorted(outputs.items()))


def _text(message, approx_bytes: int) -> str:
    if approx_bytes > WIRE_TEXT_LIMIT:
        return f"<{type(message).__name__} of about {approx_bytes:,} bytes of tensors: too large to show>"
    return str(message)
