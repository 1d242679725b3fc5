"""RestRunner: TF Serving's REST API over http.client -- status, metadata, predict (row/columnar), classify, regress.

The JSON codec lives in core/restjson.py and the HTTP exchange (one deadline per request, a response-size cap,
proxies, a path prefix behind a gateway) in core/http.py; this module maps TF Serving's API onto them, with a custom
CA file and extra headers such as a bearer token.
Headers are taken as arguments and never written anywhere by this module (they may hold secrets).
"""
from __future__ import annotations

import time
from urllib.parse import quote

import numpy as np

from .. import http, restjson
from ..errors import InputProblem, ServingError
from ..headers import checked_headers
from ..request import Prediction, Request
from ..serving_status import VersionStatus
from ..signature import Signature
from .base import Progress, no_progress

DEFAULT_TIMEOUT_S = http.DEFAULT_TIMEOUT_S
_PORT_HINT = "Start TF Serving, or check the host and the REST port (--rest_api_port, 8501 by default; 8500 is gRPC)."
WIRE_TEXT_LIMIT = 64 * 1024  # request/response bodies larger than this are summarised in Prediction.wire
# TF Serving's own "no such model/version" answers: a 404 with one of these is not a protocol mix-up.
_MODEL_KINDS = {"servable_not_found", "no_versions", "version_not_found", "version_label"}


class RestRunner:
    """Runs requests against one model on a TF Serving REST endpoint; thread-safe (calls are serialised)."""

    engine = "rest"

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT_S, headers: dict[str, str] | None = None,
                 ca_file: str | None = None, format: str = "auto", tls: bool | None = None,
                 version: int | None = None, label: str | None = None,
                 max_response_mb: float = http.DEFAULT_MAX_RESPONSE_MB):
        from ..targets import Target, endpoint_url, parse_target

        if not isinstance(target, Target):
            target = parse_target(str(target))
        if target.kind != "rest":
            raise ServingError(f"{target.url()} is not a REST endpoint.", url=target.url(),
                               fix="Use rest://HOST:PORT/MODEL (or an http(s):// TF Serving URL).")
        if format not in ("auto", restjson.ROW, restjson.COLUMNAR):
            raise ValueError(f"format must be auto, row or columnar, not {format!r}")
        self.host, self.port, self.model = target.host, target.port, target.model
        self.prefix = getattr(target, "prefix", "")
        self.version = version if version is not None else (target.version if label is None else None)
        self.label = label if label is not None else (target.label if version is None else None)
        self.tls = bool(tls if tls is not None else (getattr(target, "tls", False) or ca_file))
        self.timeout = timeout
        self.headers = checked_headers(headers)  # a bad value fails here, not as a raw UnicodeEncodeError later
        self.ca_file = ca_file
        self.format = format
        self.target = endpoint_url("rest", self.host, self.port, self.model, self.version, self.label)
        if self.prefix or (self.tls and self.port in (80, 443)):  # only an http(s) URL can say these
            from dataclasses import replace

            self.target = replace(target, version=self.version, label=self.label, tls=self.tls).url()
        # Deadline, size cap and proxies live in core/http.py, shared with every HTTP runner.
        self.http = http.HttpConnection(self.host, self.port, tls=self.tls, ca_file=ca_file, prefix=self.prefix,
                                        timeout=timeout, max_response_mb=max_response_mb, port_hint=_PORT_HINT)
        self._signatures: dict[str, Signature] | None = None
        self._served_version: int | None = None

    # --- URLs -----------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """http(s)://HOST:PORT[/prefix]"""
        return self.http.base_url

    def model_path(self) -> str:
        """/v1/models/MODEL[/versions/N | /labels/L]"""
        path = f"/v1/models/{quote(self.model, safe='')}"
        if self.version is not None:
            path += f"/versions/{self.version}"
        elif self.label:
            path += f"/labels/{quote(self.label, safe='')}"
        return path

    # --- HTTP -----------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        self.http.close()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One HTTP exchange -> (status, body) under one deadline (connect, send and the whole answer) and the
        response-size cap; network failures become ServingError (core/http.py)."""
        headers = {"Content-Type": "application/json", **self.headers} if body is not None else self.headers
        return self.http.exchange(method, path, body, headers)

    def _call(self, method: str, path: str, body: bytes | None, what: str) -> bytes:
        status, data = self.request(method, path, body)
        if status != 200:
            raise self._server_error(status, data, self.base_url + path, what)
        return data

    def _server_error(self, status: int, data: bytes, url: str, what: str) -> ServingError:
        text = restjson.error_text(data)
        raw = text if text is not None else data.decode("utf-8", "replace").strip()[:2000]
        try:
            from .. import serving_errors
        except ImportError:  # the explainer is optional: fall back to the server's own words
            serving_errors = None
        if serving_errors is not None:
            exp = serving_errors.explain(raw, status)
            message, fix, code = f"{what} failed: {exp.cause}", exp.fix, exp.code
        else:
            exp, code = None, None
            message, fix = f"{what} failed: {raw or f'HTTP {status} with an empty body'}", ""
        error = ServingError(message, url=url, status=status, fix=fix, details=f"HTTP {status}: {raw}")
        error.code = code
        error.raw = raw  # the server's own words
        error.explanation = exp
        if status in (404, 405) and getattr(exp, "kind", None) not in _MODEL_KINDS:
            # Not TF Serving's "no such model": ask whether a KServe V2 server is answering (core/protocol_probe.py).
            from ..protocol_probe import wrong_protocol_over_rest
            from ..targets import parse_target

            found = wrong_protocol_over_rest(self.http, self.headers, parse_target(self.target), expected="rest")
            if found is not None:
                found.status, found.code, found.raw = status, code, raw
                return found
        return error

    # --- the API ----------------------------------------------------------------------------------------------------

    def status(self) -> list[VersionStatus]:
        """GET /v1/models/M[/versions/N]: every version with its state and error, newest first."""
        return restjson.decode_status(self._call("GET", self.model_path(), None, "Model status"))

    def metadata(self) -> dict[str, Signature]:
        """GET .../metadata -> signatures as the same Signature objects read_model gives for the folder."""
        signatures, version = restjson.decode_metadata(
            self._call("GET", self.model_path() + "/metadata", None, "Model metadata"))
        self._signatures, self._served_version = signatures, version
        return dict(signatures)

    def signatures(self) -> dict[str, Signature]:
        """The server's signatures, fetched once then cached."""
        if self._signatures is None:
            return self.metadata()
        return dict(self._signatures)

    def predict(self, request: Request, progress: Progress = no_progress, *, format: str | None = None) -> Prediction:
        """:predict (row or columnar), :classify or :regress by request.method; outputs typed by the signature."""
        progress(0.0, f"connecting to {self.target}")
        started = time.perf_counter()
        method = request.method
        if method not in ("predict", "classify", "regress"):
            raise ServingError(f"Unknown method '{method}': use predict, classify or regress.", url=self.target)
        specs = None
        if method == "predict":
            try:
                if self._signatures is None:
                    self.metadata()
                sig = self._signatures.get(request.signature or "serving_default")
                specs = sig.outputs if sig else None
            except ServingError:
                specs = None  # metadata unavailable: the predict call will say what is wrong
        fetched = time.perf_counter()
        if method == "predict":
            body, used = restjson.encode_predict(request.inputs, request.signature, format or self.format)
        else:
            body, used = restjson.encode_examples(_examples_of(request), request.context, request.signature), None
        encoded = time.perf_counter()
        progress(0.2, f"{method} on {self.target}")
        path = f"{self.model_path()}:{method}"
        data = self._call("POST", path, body, method.capitalize())
        answered = time.perf_counter()
        if method == "predict":
            outputs = restjson.decode_predict(data, specs)
        else:
            outputs = restjson.decode_results(data, method)
        decoded = time.perf_counter()
        progress(1.0, "done")
        notes = (f"REST {used} format ({'instances' if used == restjson.ROW else 'inputs'})",) if used else ()
        if method == "predict":
            notes += _row_count_notes(request.inputs, specs, outputs)
        return Prediction(
            signature=request.signature or "serving_default", engine=self.engine, target=self.target,
            outputs=outputs, version=self.version if self.version is not None else self._served_version,
            timing_ms={"load": (fetched - started) * 1e3, "encode": (encoded - fetched) * 1e3,
                       "predict": (answered - encoded) * 1e3, "decode": (decoded - answered) * 1e3},
            notes=notes,
            wire={"protocol": "rest", "method": "POST", "url": self.base_url + path,
                  "request": _wire_text(body), "response": _wire_text(data)},
        )


def _row_count_notes(inputs: dict, specs: dict | None, outputs: dict) -> tuple[str, ...]:
    """A note when an output that follows the batch comes back with another row count than was sent: the mark of
    a cache in front of TF Serving answering with an earlier (larger or smaller) request's rows."""
    sent = {int(np.shape(a)[0]) for a in inputs.values() if np.ndim(a) >= 1}
    if len(sent) != 1 or not specs:
        return ()
    rows = sent.pop()
    for key, array in outputs.items():
        spec = specs.get(key)
        shape = getattr(spec, "shape", None)
        if shape and shape[0] == -1 and np.ndim(array) >= 1 and np.shape(array)[0] != rows:
            return (f"The server answered {np.shape(array)[0]} rows of '{key}' for a request of {rows}: a cache or "
                    "proxy in front of TF Serving may be returning an earlier request's answer (check it with "
                    "signature-explorer check, or Tools > Check for Identical Outputs).",)
    return ()


def _examples_of(request: Request) -> list[dict]:
    """Classify/regress examples: REST carries tf.Example features as JSON, so they must be feature dicts."""
    if request.examples:
        return list(request.examples)
    raise InputProblem(None, "Classify and regress over REST send tf.Example features as JSON: give the examples "
                             "as feature dicts (serialized tf.Example strings can go over gRPC).",
                       fix='e.g. --example \'[{"x": 2.0}]\'')


def _wire_text(data: bytes) -> str:
    if len(data) > WIRE_TEXT_LIMIT:
        return data[:WIRE_TEXT_LIMIT // 4].decode("utf-8", "replace") + f"... <{len(data):,} bytes in all>"
    return data.decode("utf-8", "replace")
