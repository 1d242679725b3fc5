"""GrpcRunner: TF Serving's gRPC API (Predict, Classify, Regress, GetModelMetadata, GetModelStatus) as a Runner.

TF Serving's official messages (tensorflow-serving-api) import all of TensorFlow, so they are imported on first
use, never when explorer.core is imported. Tensors go as TensorProto (tensor_content for numbers), through
explorer.core.tensorproto, so the bytes are the same as TensorFlow's own client would send.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from .. import serving_errors, tensorproto
from ..errors import InputProblem, ServingError
from ..headers import checked_headers
from ..request import Prediction, Request
from ..serving_status import VersionStatus
from ..signature import Signature
from .base import Progress, no_progress
from .channel import open_channel

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MESSAGE_MB = 512  # gRPC's own default is 4 MB for receiving: one 1024x1024x3 float image is 12 MB
WIRE_TEXT_LIMIT = 16 * 1024  # requests/responses larger than this are summarised in Prediction.wire, not printed

_apis = None
_apis_lock = threading.Lock()


def apis():
    """TF Serving's generated modules (imports TensorFlow: seconds, once per process)."""
    global _apis
    with _apis_lock:
        if _apis is None:
            import grpc

            from .local import tensorflow

            tensorflow()  # TensorFlow first, quietly: its C++ start-up chatter otherwise lands on the CLI's stderr
            from tensorflow.core.example import example_pb2
            from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2, get_model_status_pb2,
                                                 model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc,
                                                 regression_pb2)

            _apis = _Apis(grpc, predict_pb2, classification_pb2, regression_pb2, get_model_metadata_pb2,
                          get_model_status_pb2, prediction_service_pb2_grpc, model_service_pb2_grpc, example_pb2)
    return _apis


@dataclass(frozen=True)
class _Apis:
    grpc: object
    predict: object
    classification: object
    regression: object
    metadata: object
    status: object
    prediction_service: object
    model_service: object
    example: object


@dataclass(frozen=True)
class Endpoint:
    """Where a GrpcRunner points: host, port, model, an optional version number or label, and TLS."""

    host: str
    port: int
    model: str
    version: int | None = None
    label: str | None = None
    tls: bool = False

    def url(self) -> str:
        from ..targets import endpoint_url

        return endpoint_url("grpc", self.host, self.port, self.model, self.version, self.label)


def endpoint_of(target) -> Endpoint:
    """A targets.Target, an Endpoint, or "grpc://HOST:PORT/MODEL[/versions/N|/labels/L]" -> Endpoint."""
    if isinstance(target, Endpoint):
        return target
    from ..targets import parse_target

    if isinstance(target, str):
        target = parse_target(target)
    if getattr(target, "kind", "grpc") != "grpc":
        raise ServingError(f"{target.url()} is not a gRPC endpoint.", url=target.url(),
                           fix="Use grpc://HOST:PORT/MODEL, optionally /versions/N or /labels/LABEL.")
    return Endpoint(host=target.host, port=int(target.port), model=target.model,
                    version=getattr(target, "version", None), label=getattr(target, "label", None),
                    tls=bool(getattr(target, "tls", False)))


class GrpcRunner:
    """Runs requests against a TF Serving gRPC endpoint; thread-safe (one channel, shared by all calls)."""

    engine = "grpc"

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT_S, max_message_mb: float = DEFAULT_MAX_MESSAGE_MB,
                 tls: bool = False, ca_file: str | None = None, headers: dict[str, str] | None = None,
                 version: int | None = None, label: str | None = None, server_name: str | None = None):
        endpoint = endpoint_of(target)
        if version is not None or label is not None:
            endpoint = Endpoint(endpoint.host, endpoint.port, endpoint.model, version, label, endpoint.tls)
        self.endpoint = endpoint
        self.target = endpoint.url()
        self.timeout = timeout
        self.max_message_bytes = int(max_message_mb * 2**20)
        self.tls = bool(tls or ca_file or endpoint.tls)
        self.ca_file = ca_file
        self.server_name = server_name  # TLS host name to check when it differs from the address (self-signed certs)
        # gRPC metadata keys must be lower case; users copy them from HTTP habits ("Authorization").
        self.headers = tuple((k.lower(), v) for k, v in checked_headers(headers).items())
        self._lock = threading.Lock()
        self._channel = None
        self._prediction = None
        self._models = None
        self._signatures: dict[str, Signature] | None = None
        self._served_version: int | None = None

    # --- connection ---------------------------------------------------------------------------------------------

    def _stubs(self):
        if self._channel is not None:  # the common case, without taking the lock
            return self._prediction, self._models
        with self._lock:
            if self._channel is None:
                api = apis()
                self._channel = open_channel(api.grpc, self.endpoint.host, self.endpoint.port, tls=self.tls,
                                             ca_file=self.ca_file, server_name=self.server_name,
                                             max_message_bytes=self.max_message_bytes, target=self.target)
                self._prediction = api.prediction_service.PredictionServiceStub(self._channel)
                self._models = api.model_service.ModelServiceStub(self._channel)
            return self._prediction, self._models

    def close(self) -> None:
        """Close the channel; a later call opens a new one."""
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel = self._prediction = self._models = None

    def _model_spec(self, spec, signature: str = "") -> None:
        spec.name = self.endpoint.model
        if signature:
            spec.signature_name = signature
        if self.endpoint.version is not None:
            spec.version.value = self.endpoint.version
        elif self.endpoint.label:
            spec.version_label = self.endpoint.label

    def _call(self, method, message, what: str):
        try:
            return method(message, timeout=self.timeout, metadata=self.headers or None)
        except apis().grpc.RpcError as exc:
            raise self._error(exc, what) from None

    def _error(self, exc, what: str) -> ServingError:
        code = exc.code() if hasattr(exc, "code") else None
        raw = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        exp = serving_errors.explain(raw, code)
        name = getattr(code, "name", None) or exp.code or "UNKNOWN"
        if name == "UNIMPLEMENTED" and self._channel is not None:
            # TF Serving implements every call we make: a KServe V2 server may be answering (core/protocol_probe.py).
            from ..protocol_probe import wrong_protocol_over_grpc
            from ..targets import parse_target

            found = wrong_protocol_over_grpc(self._channel, self.headers or None, parse_target(self.target),
                                             expected="grpc")
            if found is not None:
                found.code, found.raw = name, raw
                return found
        error = ServingError(f"{what} failed: {exp.cause}", url=self.target,
                             status=code.value[0] if code is not None else None, fix=exp.fix,
                             details=f"gRPC status {name}: {raw}")
        error.code = name  # the grpc StatusCode name, e.g. "INVALID_ARGUMENT"
        error.raw = raw  # the server's (or gRPC's) own words
        error.explanation = exp
        return error

    # --- ModelService -------------------------------------------------------------------------------------------

    def status(self) -> list[VersionStatus]:
        """Every version the server knows of this model (or just the one the target names), newest first."""
        api = apis()
        _, models = self._stubs()
        request = api.status.GetModelStatusRequest()
        self._model_spec(request.model_spec)
        response = self._call(models.GetModelStatus, request, "GetModelStatus")
        states = api.status.ModelVersionStatus.State
        codes = api.status.ModelVersionStatus.DESCRIPTOR.fields_by_name["status"].message_type \
            .fields_by_name["error_code"].enum_type.values_by_number
        out = []
        for item in response.model_version_status:
            code = codes.get(item.status.error_code)
            out.append(VersionStatus(version=int(item.version), state=states.Name(item.state),
                                     error_code=code.name if code else str(item.status.error_code),
                                     error_message=item.status.error_message))
        return sorted(out, key=lambda s: -s.version)

    # --- PredictionService --------------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Signature]:
        """GetModelMetadata -> signatures, the same Signature objects read_model gives for the folder."""
        from .. import wire
        from ..savedmodel import _signature  # the lazy SignatureDef decoder, shared with folder reads

        api = apis()
        prediction, _ = self._stubs()
        request = api.metadata.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._model_spec(request.model_spec)
        response = self._call(prediction.GetModelMetadata, request, "GetModelMetadata")
        if "signature_def" not in response.metadata:
            raise ServingError("The server's metadata has no signature_def.", url=self.target,
                               fix="Check the endpoint is TF Serving serving a SavedModel.")
        # Any(SignatureDefMap): field 1 is map<string, SignatureDef>, the same layout MetaGraphDef uses.
        data = response.metadata["signature_def"].value
        signatures = {}
        for n, w, v, _ in wire.fields(data):
            if n == 1 and w == wire.LEN:
                key, span = wire.map_entry(data, v, strict=True)
                signatures[key] = _signature(data, span, key)
        with self._lock:
            self._signatures = dict(sorted(signatures.items()))
            if response.model_spec.HasField("version"):
                self._served_version = int(response.model_spec.version.value)
        return dict(self._signatures)

    def signatures(self) -> dict[str, Signature]:
        """Signatures from the server's metadata (fetched once, then cached)."""
        if self._signatures is None:
            return self.metadata()
        return dict(self._signatures)

    def predict(self, request: Request, progress: Progress = no_progress, *,
                output_filter: list[str] | tuple[str, ...] | None = None) -> Prediction:
        """Predict, Classify or Regress (by request.method); output_filter asks Predict for only those outputs."""
        progress(0.0, f"connecting to {self.target}")
        started = time.perf_counter()
        stubs = self._stubs()
        connected = time.perf_counter()
        if request.method == "predict":
            message, send = self._predict_request(request, output_filter), stubs[0].Predict
        elif request.method in ("classify", "regress"):
            message = self._example_request(request)
            send = stubs[0].Classify if request.method == "classify" else stubs[0].Regress
        else:
            raise ServingError(f"Unknown method '{request.method}': use predict, classify or regress.",
                               url=self.target)
        encoded = time.perf_counter()
        progress(0.2, f"{request.method} on {self.target}")
        response = self._call(send, message, request.method.capitalize())
        answered = time.perf_counter()
        if request.method == "predict":
            outputs = {k: tensorproto.to_numpy(response.outputs[k]) for k in sorted(response.outputs)}
        elif request.method == "classify":
            outputs = _classifications(response.result)
        else:
            outputs = _regressions(response.result)
        decoded = time.perf_counter()
        if request.method == "predict":  # sizes from the arrays: ByteSize() would serialize the message again
            request_bytes = sum(np.asarray(a).nbytes for a in request.inputs.values())
            response_bytes = sum(a.nbytes for a in outputs.values())
        else:
            request_bytes = response_bytes = None
        progress(1.0, "done")
        version = int(response.model_spec.version.value) if response.model_spec.HasField("version") else None
        return Prediction(
            signature=response.model_spec.signature_name or request.signature, engine=self.engine,
            target=self.target, outputs=outputs, version=version,
            timing_ms={"load": (connected - started) * 1e3, "encode": (encoded - connected) * 1e3,
                       "predict": (answered - encoded) * 1e3, "decode": (decoded - answered) * 1e3},
            wire={"protocol": "grpc", "method": f"tensorflow.serving.PredictionService/{request.method.capitalize()}",
                  "request": _text(message, request_bytes), "response": _text(response, response_bytes)},
        )

    def _predict_request(self, request: Request, output_filter):
        message = apis().predict.PredictRequest()
        self._model_spec(message.model_spec, request.signature)
        for key, array in request.inputs.items():
            try:
                tensorproto.fill_proto(message.inputs[key], np.asarray(array))
            except (TypeError, KeyError) as exc:
                raise ServingError(f"Input '{key}' cannot be sent over gRPC: {exc}.", url=self.target,
                                   fix="Convert it to a numeric, bool or string array.") from exc
        if output_filter:
            message.output_filter.extend(output_filter)
        return message

    def _example_request(self, request: Request):
        api = apis()
        module = api.classification if request.method == "classify" else api.regression
        message = (module.ClassificationRequest if request.method == "classify" else module.RegressionRequest)()
        self._model_spec(message.model_spec, request.signature)
        target = message.input.example_list_with_context if request.context else message.input.example_list
        for data in _serialized_examples(request):
            target.examples.add().ParseFromString(bytes(data))
        if request.context:
            from ..examples import serialize_examples

            target.context.ParseFromString(bytes(serialize_examples([request.context])[0]))
        return message


def _serialized_examples(request: Request) -> list[bytes]:
    """The request's tf.Examples as bytes: from its feature dicts, else its one string input of serialized ones."""
    if request.examples:
        from ..examples import serialize_examples

        return list(serialize_examples(list(request.examples)))
    strings = [np.asarray(a) for a in request.inputs.values() if np.asarray(a).dtype.kind in "OSU"]
    if len(strings) != 1:
        raise InputProblem(None, "Classify and regress send tf.Examples: give the examples as feature dicts, or "
                                 "one string input of serialized tf.Example records.",
                           fix='e.g. --example \'[{"x": 2.0}]\'')
    return [v if isinstance(v, bytes) else str(v).encode() for v in strings[0].reshape(-1)]


def _classifications(result) -> dict[str, np.ndarray]:
    """ClassificationResult -> "scores" (n, k) float32 and, when the model gives labels, "classes" (n, k) bytes."""
    rows = [list(c.classes) for c in result.classifications]
    width = max((len(r) for r in rows), default=0)
    scores = np.full((len(rows), width), np.nan, dtype=np.float32)
    classes = np.full((len(rows), width), b"", dtype=object)
    for i, row in enumerate(rows):
        for j, item in enumerate(row):
            scores[i, j], classes[i, j] = item.score, item.label.encode() if isinstance(item.label, str) else item.label
    outputs = {"scores": scores}
    if any(v for v in classes.reshape(-1)):
        outputs["classes"] = classes
    return dict(sorted(outputs.items()))


def _regressions(result) -> dict[str, np.ndarray]:
    """RegressionResult -> "outputs" (n,) float32, one value per example as TF Serving returns it."""
    return {"outputs": np.array([r.value for r in result.regressions], dtype=np.float32)}


def _text(message, approx_bytes: int | None = None) -> str:
    """The message as protobuf text when small; a one-line summary when it is too big to be worth printing."""
    size = message.ByteSize() if approx_bytes is None or approx_bytes <= WIRE_TEXT_LIMIT else approx_bytes
    if size > WIRE_TEXT_LIMIT:
        return f"<{type(message).__name__} of {size:,} bytes: too large to show>"
    # str() is protobuf's C text encoder: ~10x faster than text_format, which would cost more than a small call.
    return str(message)
