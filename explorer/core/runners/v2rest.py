"""V2RestRunner: the Open Inference Protocol (KServe V2) over HTTP -- MLServer, KServe, Triton -- as a Runner.

Server metadata and readiness, model metadata and readiness, the model's versions (strings) and infer, in JSON with
flat row-major `data` or, where the server says it reads it (KServe, Triton: `binary_tensor_data` among its
extensions), the binary tensor data extension. The codec is core/v2protocol.py; the HTTP exchange (one deadline, a
size cap, proxies, a gateway prefix) is core/http.py, shared with TF Serving's REST runner.
"""
from __future__ import annotations

import time

from .. import http, v2protocol
from ..errors import ServingError
from ..headers import checked_headers
from ..request import Prediction, Request
from .base import Progress, no_progress
from .v2views import V2ModelViews

DEFAULT_TIMEOUT_S = http.DEFAULT_TIMEOUT_S
_PORT_HINT = ("Start the V2 server, or check the host and its HTTP port (MLServer and KServe: 8080, Triton: 8000; "
              "their gRPC ports are 8081 and 8001).")
_GRPC_HINT = ("MLServer and KServe listen for gRPC on 8081, Triton on 8001", "MLServer and KServe: 8080, Triton: 8000",
              "v2+grpc")
WIRE_TEXT_LIMIT = 64 * 1024
BINARY_MODES = ("auto", "on", "off")


class V2RestRunner(V2ModelViews):
    """Runs requests against one model on a KServe V2 REST endpoint; thread-safe (calls are serialised)."""

    engine = "v2"

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT_S, headers: dict[str, str] | None = None,
                 ca_file: str | None = None, tls: bool | None = None, version: str | int | None = None,
                 binary: str = "auto", max_response_mb: float = http.DEFAULT_MAX_RESPONSE_MB, **_ignored):
        from dataclasses import replace

        from ..targets import Target, parse_target

        if not isinstance(target, Target):
            target = parse_target(str(target))
        if target.kind != "v2":
            raise ServingError(f"{target.url()} is not a KServe V2 REST endpoint.", url=target.url(),
                               fix="Use v2://HOST:PORT/MODEL (or an http(s)://HOST:PORT/v2/models/MODEL URL).")
        if binary not in BINARY_MODES:
            raise ValueError(f"binary must be one of {BINARY_MODES}, not {binary!r}")
        self.tls = bool(tls if tls is not None else (target.tls or ca_file))
        version = str(version) if version is not None else target.version
        self._target = replace(target, version=version, tls=self.tls)
        self.host, self.port, self.model, self.version = target.host, target.port, target.model, version
        self.prefix = target.prefix
        self.target = self._target.url()
        self.timeout = timeout
        self.headers = checked_headers(headers)  # never written anywhere: may hold a token
        self.ca_file = ca_file
        self.binary = binary
        self.http = http.HttpConnection(self.host, self.port, tls=self.tls, ca_file=ca_file, prefix=self.prefix,
                                        timeout=timeout, max_response_mb=max_response_mb, port_hint=_PORT_HINT,
                                        grpc_hint=_GRPC_HINT)
        self._server: v2protocol.ServerInfo | None = None
        self._metadata: v2protocol.ModelMetadata | None = None

    # --- HTTP -------------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def model_path(self, version: str | None = None) -> str:
        """/v2/models/MODEL[/versions/V]"""
        from ..targets import v2_model_path

        return v2_model_path(self.model, self.version if version is None else version)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                response_headers: dict | None = None) -> tuple[int, bytes]:
        """One HTTP exchange under one deadline and the size cap (core/http.py) -> (status, body)."""
        sent = dict(self.headers)
        if body is not None:
            sent = {"Content-Type": "application/json", **sent}
        sent.update(headers or {})
        return self.http.exchange(method, path, body, sent, response_headers)

    def _call(self, method: str, path: str, body: bytes | None, what: str, headers: dict | None = None,
              response_headers: dict | None = None) -> bytes:
        status, data = self.request(method, path, body, headers, response_headers)
        if status != 200:
            raise self._server_error(status, data, self.base_url + path, what)
        return data

    def _server_error(self, status: int, data: bytes, url: str, what: str) -> ServingError:
        from .. import serving_errors

        text = v2protocol.error_text(data)
        raw = text if text is not None else data.decode("utf-8", "replace").strip()[:2000]
        exp = serving_errors.explain(raw, status, protocol="v2", model=self.model)
        error = ServingError(f"{what} failed: {exp.cause}", url=url, status=status, fix=exp.fix,
                             details=f"HTTP {status}: {raw}")
        error.code, error.raw, error.explanation = exp.code, raw, exp
        if (status in (404, 405) or exp.kind == "malformed_url") and exp.kind not in serving_errors.V2_MODEL_KINDS:
            from ..protocol_probe import wrong_protocol_over_rest

            found = wrong_protocol_over_rest(self.http, self.headers, self._target, expected="v2")
            if found is not None:
                return found
        return error

    # --- the API ----------------------------------------------------------------------------------------------------

    def server_metadata(self) -> v2protocol.ServerInfo:
        """GET /v2: the server's name, version and extensions (cached)."""
        if self._server is None:
            self._server = v2protocol.decode_server_metadata(self._call("GET", "/v2", None, "Server metadata"))
        return self._server

    def server_ready(self) -> bool:
        """GET /v2/health/ready: 200 when the server is ready for inference."""
        status, _ = self.request("GET", "/v2/health/ready")
        return status == 200

    def model_ready(self, version: str | None = None) -> bool:
        """GET /v2/models/M[/versions/V]/ready: 200 when ready; False for not ready; ServingError for unknown."""
        path = self.model_path(version) + "/ready"
        status, data = self.request("GET", path)
        if status == 200:
            return True
        if status == 404 and (v2protocol.error_text(data) or "").strip():
            raise self._server_error(status, data, self.base_url + path, "Model readiness")
        return False

    def model_metadata(self) -> v2protocol.ModelMetadata:
        """GET /v2/models/M[/versions/V] -> ModelMetadata (name, versions, platform, the one signature)."""
        self._metadata = v2protocol.decode_model_metadata(self._call("GET", self.model_path(), None,
                                                                     "Model metadata"))
        return self._metadata

    def uses_binary(self) -> bool:
        """Whether infer sends the binary tensor data extension: on, off, or auto (when the server lists it)."""
        if self.binary != "auto":
            return self.binary == "on"
        try:
            return self.server_metadata().binary_data
        except ServingError:
            return False

    def predict(self, request: Request, progress: Progress = no_progress, *, binary: bool | None = None) -> Prediction:
        """POST .../infer: the model's one signature; outputs as the server types them."""
        progress(0.0, f"connecting to {self.target}")
        started = time.perf_counter()
        _check_signature(request, self.target)
        specs = None
        try:
            specs = self.signatures()[v2protocol.V2_SIGNATURE].inputs
        except ServingError:
            specs = None  # metadata unavailable: infer will say what is wrong
        use_binary = self.uses_binary() if binary is None else binary
        fetched = time.perf_counter()
        body, header_length = v2protocol.encode_infer(request.inputs, specs, binary=use_binary)
        headers = {}
        if header_length is not None:
            headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length":
                       str(header_length)}
        encoded = time.perf_counter()
        progress(0.2, f"infer on {self.target}")
        path = self.model_path() + "/infer"
        answer: dict = {}
        data = self._call("POST", path, body, "Infer", headers, answer)
        answered = time.perf_counter()
        length = answer.get(v2protocol.HEADER_LENGTH)
        outputs, version, _ = v2protocol.decode_infer(data, int(length) if length and length.isdigit() else None)
        decoded = time.perf_counter()
        progress(1.0, "done")
        return Prediction(
            signature=v2protocol.V2_SIGNATURE, engine=self.engine, target=self.target, outputs=outputs,
            version=version if version is not None else self.version,
            timing_ms={"load": (fetched - started) * 1e3, "encode": (encoded - fetched) * 1e3,
                       "predict": (answered - encoded) * 1e3, "decode": (decoded - answered) * 1e3},
            notes=(f"KServe V2 REST, {'binary tensor data' if header_length is not None else 'JSON'}",),
            wire={"protocol": "v2", "method": "POST", "url": self.base_url + path,
                  "request": _wire_text(body, header_length),
                  "response": _wire_text(data, int(length) if length and length.isdigit() else None)},
        )


def _check_signature(request: Request, target: str) -> None:
    if request.signature not in ("", None, v2protocol.V2_SIGNATURE):
        raise ServingError(f"A KServe V2 model has one signature (its inputs and outputs), not "
                           f"'{request.signature}'.", url=target,
                           fix=f"Leave the signature empty or use {v2protocol.V2_SIGNATURE}; to call another "
                               "signature of a SavedModel, serve it as its own model.")


def _wire_text(data: bytes, header_length: int | None = None) -> str:
    if header_length is not None:
        rest = len(data) - header_length
        return data[:header_length].decode("utf-8", "replace") + f"\n<{rest:,} bytes of binary tensor data>"
    if len(data) > WIRE_TEXT_LIMIT:
        return data[:WIRE_TEXT_LIMIT // 4].decode("utf-8", "replace") + f"... <{len(data):,} bytes in all>"
    return data.decode("utf-8", "replace")
