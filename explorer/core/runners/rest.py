"""RestRunner: TF Serving's REST API over http.client -- status, metadata, predict (row/columnar), classify, regress.

The JSON codec lives in core/restjson.py; this module only speaks HTTP(S): one keep-alive connection per runner
(reopened after a failure or a server restart), timeouts, a custom CA file, and extra headers such as a bearer token.
Headers are taken as arguments and never written anywhere by this module (they may hold secrets).
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from urllib.parse import quote

import numpy as np

from .. import restjson
from ..errors import InputProblem, ServingError
from ..headers import checked_headers
from ..request import Prediction, Request
from ..serving_status import VersionStatus
from ..signature import Signature
from .base import Progress, no_progress

DEFAULT_TIMEOUT_S = 30.0
WIRE_TEXT_LIMIT = 64 * 1024  # request/response bodies larger than this are summarised in Prediction.wire


class RestRunner:
    """Runs requests against one model on a TF Serving REST endpoint; thread-safe (calls are serialised)."""

    engine = "rest"

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT_S, headers: dict[str, str] | None = None,
                 ca_file: str | None = None, format: str = "auto", tls: bool | None = None,
                 version: int | None = None, label: str | None = None):
        from ..targets import Target, endpoint_url, parse_target

        if not isinstance(target, Target):
            target = parse_target(str(target))
        if target.kind != "rest":
            raise ServingError(f"{target.url()} is not a REST endpoint.", url=target.url(),
                               fix="Use rest://HOST:PORT/MODEL (or an http(s):// TF Serving URL).")
        if format not in ("auto", restjson.ROW, restjson.COLUMNAR):
            raise ValueError(f"format must be auto, row or columnar, not {format!r}")
        self.host, self.port, self.model = target.host, target.port, target.model
        self.version = version if version is not None else (target.version if label is None else None)
        self.label = label if label is not None else (target.label if version is None else None)
        self.tls = bool(tls if tls is not None else (getattr(target, "tls", False) or ca_file))
        self.timeout = timeout
        self.headers = checked_headers(headers)  # a bad value fails here, not as a raw UnicodeEncodeError later
        self.ca_file = ca_file
        self.format = format
        self.target = endpoint_url("rest", self.host, self.port, self.model, self.version, self.label)
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self._signatures: dict[str, Signature] | None = None
        self._served_version: int | None = None

    # --- URLs -----------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """http(s)://HOST:PORT"""
        from ..targets import host_port

        return f"{'https' if self.tls else 'http'}://{host_port(self.host, self.port)}"

    def model_path(self) -> str:
        """/v1/models/MODEL[/versions/N | /labels/L]"""
        path = f"/v1/models/{quote(self.model, safe='')}"
        if self.version is not None:
            path += f"/versions/{self.version}"
        elif self.label:
            path += f"/labels/{quote(self.label, safe='')}"
        return path

    # --- HTTP -----------------------------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.tls:
                try:
                    context = ssl.create_default_context(cafile=self.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise ServingError(f"The CA certificate file {self.ca_file} cannot be read: "
                                       f"{getattr(exc, 'strerror', None) or exc}.", url=self.target,
                                       fix="Give the PEM file of the certificate authority that signed the "
                                           "server's certificate.") from exc
                self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                         context=context)
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One HTTP exchange -> (status, body); network failures become ServingError. Retries once on a stale
        keep-alive connection (the server restarted or closed it), never after the request reached a live server."""
        url = self.base_url + path
        headers = {"Content-Type": "application/json", **self.headers} if body is not None else self.headers
        with self._lock:
            for attempt in (0, 1):
                reused = self._conn is not None
                try:
                    conn = self._connection()
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    if response.getheader("Connection", "").lower() == "close":
                        self._drop()
                    return response.status, data
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                    self._drop()
                    if reused and attempt == 0:
                        continue  # a keep-alive connection the server had closed: open a fresh one
                    raise self._network_error(exc, url) from None
                except (OSError, http.client.HTTPException) as exc:
                    self._drop()
                    raise self._network_error(exc, url) from None
        raise AssertionError("unreachable")

    def _network_error(self, exc: Exception, url: str) -> ServingError:
        where = f"{self.host}:{self.port}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ServingError(f"The server at {where} presented a certificate that cannot be trusted: "
                                f"{exc.verify_message or exc}.", url=url,
                                fix="Give the CA certificate file that signed it (--ca-file), or check the host "
                                    "name matches the certificate.", details=repr(exc))
        if isinstance(exc, ssl.SSLError):
            return ServingError(f"TLS with {where} failed: {exc.reason or exc}.", url=url,
                                fix="Check whether the server speaks https or plain http (rest:// is http; "
                                    "pass tls or https://).", details=repr(exc))
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return ServingError(f"{where} did not answer within {self.timeout:g} s.", url=url,
                                fix="The server may be overloaded or stuck loading a model; raise the timeout or "
                                    "check the server's logs.", details=repr(exc))
        if isinstance(exc, ConnectionRefusedError):
            return ServingError(f"Nothing is listening at {where}: the connection was refused.", url=url,
                                fix="Start TF Serving, or check the host and the REST port (--rest_api_port, "
                                    "8501 by default; 8500 is gRPC).", details=repr(exc))
        if isinstance(exc, socket.gaierror):
            return ServingError(f"The host name {self.host!r} cannot be resolved.", url=url,
                                fix="Check the host in the URL.", details=repr(exc))
        if isinstance(exc, http.client.BadStatusLine) and not str(exc).isprintable():
            # An HTTP/2 SETTINGS frame where an HTTP status line should be: the most common port mix-up.
            return ServingError(f"{where} answered in binary, not HTTP: that is a gRPC port (TF Serving's gRPC port "
                                "is 8500 by default), not the REST port.", url=url,
                                fix=f"Use the REST port (--rest_api_port, 8501 by default), or talk gRPC: "
                                    f"grpc://{where}/MODEL.", details=repr(exc))
        if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
            return ServingError(f"{where} closed the connection without answering.", url=url,
                                fix="The server may have crashed or restarted; try again, and check its logs.",
                                details=repr(exc))
        return ServingError(f"Talking to {where} failed: {exc}.", url=url,
                            fix="Check the server is running and the URL is right.", details=repr(exc))

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
