"""One HTTP(S) exchange under ONE deadline and a response-size cap, through the environment's proxy: for every
HTTP runner (TF Serving REST, KServe V2). Also: parsing JSON with a depth limit, and describing network failures.

http.client's timeout applies to each socket operation, so a server that drips a byte a second never times out.
Here a timer shuts the socket down when the request's deadline passes, whatever the request is doing (connecting,
the TLS handshake, sending, reading headers or the body): a blocked call returns at once and the exchange fails
with a message naming the deadline. Proxies are taken from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY as curl and
requests do (urllib.request's environment readers implement the same rules).
"""
from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import ServingError

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RESPONSE_MB = 1024.0  # generous: a (1000, 224, 224, 3) float output is ~1.5 GB of JSON text
MAX_JSON_DEPTH = 1000  # the parsers' own limit (orjson 1024, json the recursion limit); a rank-254 tensor nests 254
READ_CHUNK = 1 << 16


class DeadlineExceeded(ServingError):
    """The whole exchange took longer than its deadline."""


class ResponseTooLarge(ServingError):
    """The server's answer is larger than the response-size cap."""


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    authorization: str = ""  # a Proxy-Authorization header value from user:password@ in the proxy URL

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def proxy_for(scheme: str, host: str, port: int) -> Proxy | None:
    """The proxy the environment names for a URL (HTTP(S)_PROXY, ALL_PROXY; NO_PROXY bypasses), as curl does."""
    proxies = urllib.request.getproxies_environment()
    url = proxies.get(scheme) or proxies.get("all")
    if not url:
        return None
    if urllib.request.proxy_bypass_environment(f"{host}:{port}", proxies) or \
            urllib.request.proxy_bypass_environment(host, proxies):
        return None
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", ""):
        raise ServingError(f"The proxy {url} uses {parts.scheme}://; only http:// proxies are supported.",
                           fix=f"Set {scheme.upper()}_PROXY to an http:// proxy URL, or add the host to NO_PROXY.")
    auth = ""
    if parts.username:
        creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = "Basic " + base64.b64encode(creds).decode("ascii")
    try:
        proxy_port = parts.port or 80
    except ValueError:
        raise ServingError(f"The proxy URL {url} has a bad port.", fix="Check HTTP_PROXY/HTTPS_PROXY.") from None
    return Proxy(parts.hostname or "", proxy_port, auth)


class HttpConnection:
    """A keep-alive HTTP(S) connection to one server; each exchange() runs under one deadline and a size cap.

    Thread-safe (exchanges are serialised). Reopened after any failure. `prefix` is a path the server sits under
    behind a gateway ("/tfserving"); every request path is appended to it."""

    def __init__(self, host: str, port: int, *, tls: bool = False, ca_file: str | None = None, prefix: str = "",
                 timeout: float = DEFAULT_TIMEOUT_S, max_response_mb: float = DEFAULT_MAX_RESPONSE_MB,
                 port_hint: str = "", grpc_hint: tuple[str, str, str] | None = None):
        self.host, self.port, self.tls, self.ca_file = host, port, tls, ca_file
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.timeout = float(timeout)
        self.max_response_bytes = int(max_response_mb * 1024 * 1024)
        self.port_hint = port_hint  # what to say when nothing listens: which port this kind of server uses
        self.grpc_hint = grpc_hint  # what to say when a gRPC port answers: see describe_network_error
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self._proxy: Proxy | None = None

    @property
    def base_url(self) -> str:
        """http(s)://HOST:PORT[/prefix]"""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{self.prefix}"

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def close(self) -> None:
        """Close the connection; the next exchange opens a new one."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._conn is None:
            self._proxy = proxy_for("https" if self.tls else "http", self.host, self.port)
            host, port = (self._proxy.host, self._proxy.port) if self._proxy else (self.host, self.port)
            if self.tls:
                try:
                    context = ssl.create_default_context(cafile=self.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise ServingError(f"The CA certificate file {self.ca_file} cannot be read: "
                                       f"{getattr(exc, 'strerror', None) or exc}.", url=self.base_url,
                                       fix="Give the PEM file of the certificate authority that signed the "
                                           "server's certificate.") from exc
                conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
                if self._proxy:
                    headers = {"Proxy-Authorization": self._proxy.authorization} if self._proxy.authorization else None
                    conn.set_tunnel(self.host, self.port, headers=headers)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self._conn = conn
        self._conn.timeout = timeout
        return self._conn

    def exchange(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, response_headers: dict | None = None) -> tuple[int, bytes]:
        """One request -> (HTTP status, body), all of it within `timeout` seconds and `max_response_mb`; network
        failures, the deadline and the cap raise ServingError. Retries once on a stale keep-alive connection (the
        server had closed it), never after the request reached a live server. A `response_headers` dict is filled
        with the answer's headers (names in lower case)."""
        deadline = time.monotonic() + self.timeout
        url = self.base_url + path
        headers = dict(headers or {})
        with self._lock:
            for attempt in (0, 1):
                reused = self._conn is not None
                expired = threading.Event()
                timer = None
                try:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise socket.timeout("deadline passed before the request was sent")
                    conn = self._connection(remaining)
                    timer = threading.Timer(remaining, _expire, (conn, expired))
                    timer.daemon = True
                    timer.start()
                    target = self.prefix + path
                    if self._proxy and not self.tls:  # a plain-http proxy takes the absolute URL
                        target = self.base_url + path
                        if self._proxy.authorization:
                            headers["Proxy-Authorization"] = self._proxy.authorization
                    if conn.sock is None:
                        conn.connect()
                    conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
                    conn.request(method, target, body=body, headers=headers)
                    response = conn.getresponse()
                    data = self._read(response, url)
                    if expired.is_set():
                        raise socket.timeout("deadline")
                    if (response.getheader("Connection") or "").lower() == "close":
                        self._drop()
                    if response_headers is not None:
                        response_headers.update((k.lower(), v) for k, v in response.getheaders())
                    return response.status, data
                except ServingError:
                    self._drop()
                    raise
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                    self._drop()
                    if expired.is_set() or time.monotonic() >= deadline:
                        raise self._deadline_error(url) from None
                    if reused and attempt == 0:
                        continue  # a keep-alive connection the server had closed: open a fresh one
                    raise describe_network_error(exc, self.host, self.port, url, self.port_hint,
                                                 self.grpc_hint) from None
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    self._drop()
                    if expired.is_set() or time.monotonic() >= deadline:
                        raise self._deadline_error(url) from None
                    raise describe_network_error(exc, self.host, self.port, url, self.port_hint,
                                                 self.grpc_hint) from None
                finally:
                    if timer is not None:
                        timer.cancel()
        raise AssertionError("unreachable")

    def _read(self, response: http.client.HTTPResponse, url: str) -> bytes:
        cap = self.max_response_bytes
        declared = response.getheader("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > cap:
            raise self._too_large(f"{_mb(int(declared))} (its Content-Length)", url)
        data = bytearray()
        while True:
            chunk = response.read(READ_CHUNK)
            if not chunk:
                break
            data += chunk
            if len(data) > cap:
                raise self._too_large(f"more than {_mb(cap)}", url)
        return bytes(data)

    def _too_large(self, size: str, url: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"The answer from {self.where} is {size}, over the response-size limit of {_mb(self.max_response_bytes)}.",
            url=url, fix="Ask for fewer rows, or raise the limit (--max-response-mb, or the endpoint dialog).")

    def _deadline_error(self, url: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"{self.where} did not answer within {self.timeout:g} s (the whole request: connecting, sending and "
            "the complete answer).", url=url,
            fix="The server may be overloaded, stuck loading a model or sending a huge answer; raise the timeout "
                "(--timeout, or the endpoint dialog) or check the server's logs.")


def _expire(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    """The deadline passed: wake whatever the exchange is blocked in by shutting the socket down."""
    expired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def describe_network_error(exc: Exception, host: str, port: int, url: str, port_hint: str = "",
                           grpc_hint: tuple[str, str, str] | None = None) -> ServingError:
    """A socket/TLS/HTTP failure -> ServingError in plain words (the raw exception under details). grpc_hint is
    (the server's gRPC port, its REST port, the gRPC scheme) for a gRPC port answering; TF Serving's by default."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
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
        return DeadlineExceeded(f"{where} did not answer in time.", url=url,
                                fix="The server may be overloaded or stuck loading a model; raise the timeout or "
                                    "check the server's logs.", details=repr(exc))
    if isinstance(exc, ConnectionRefusedError):
        return ServingError(f"Nothing is listening at {where}: the connection was refused.", url=url,
                            fix=port_hint or "Start the server, or check the host and port.", details=repr(exc))
    if isinstance(exc, socket.gaierror):
        return ServingError(f"The host name {host!r} cannot be resolved.", url=url,
                            fix="Check the host in the URL (and HTTP_PROXY/NO_PROXY if a proxy is set).",
                            details=repr(exc))
    if isinstance(exc, http.client.BadStatusLine) and not str(exc).isprintable():
        # An HTTP/2 SETTINGS frame where an HTTP status line should be: the most common port mix-up.
        grpc_port, rest_port, scheme = grpc_hint or ("TF Serving's gRPC port is 8500 by default",
                                                     "--rest_api_port, 8501 by default", "grpc")
        return ServingError(f"{where} answered in binary, not HTTP: that is a gRPC port ({grpc_port}), not the REST "
                            "port.", url=url, fix=f"Use the REST port ({rest_port}), or talk gRPC: "
                                                  f"{scheme}://{where}/MODEL.", details=repr(exc))
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
        return ServingError(f"{where} closed the connection without answering.", url=url,
                            fix="The server may have crashed or restarted; try again, and check its logs.",
                            details=repr(exc))
    if isinstance(exc, http.client.IncompleteRead):
        return ServingError(f"{where} closed the connection before its answer was complete "
                            f"({len(exc.partial):,} bytes of it arrived).", url=url,
                            fix="The server may have crashed mid-answer; try again, and check its logs.",
                            details=repr(exc))
    if isinstance(exc, (http.client.HTTPException, ValueError)):
        return ServingError(f"{where} did not answer in valid HTTP: {exc}.", url=url,
                            fix="Check the URL points at the model server, not another service.",
                            details=repr(exc))
    return ServingError(f"Talking to {where} failed: {exc}.", url=url,
                        fix="Check the server is running and the URL is right.", details=repr(exc))


# --- JSON answers ---------------------------------------------------------------------------------------------------

def parse_json(body: bytes | str, *, what: str = "The server's answer", fix: str = ""):
    """JSON text -> Python values (NaN/Infinity tokens accepted); ServingError for invalid or too deeply nested
    JSON, never RecursionError."""
    import orjson

    try:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            # orjson rejects NaN/Infinity; the stdlib accepts them (and raises its own ValueError on real garbage).
            return json.loads(body)
    except RecursionError:
        # Both parsers stop at their own depth limit (orjson 1024, json the interpreter's recursion limit), in time
        # linear in the body: no pre-scan needed.
        raise ServingError(f"{what} nests JSON more than {MAX_JSON_DEPTH} levels deep; no model answer does.",
                           fix=fix or "Check the URL points at the model server, not another service.",
                           details=preview(body)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServingError(f"{what} is not valid JSON ({exc}).",
                           fix=fix or "Check the URL points at the model server, not a proxy or web page.",
                           details=preview(body)) from None


def type_name(value) -> str:
    """A JSON value's type as JSON calls it: object, array, string, number, true/false, null."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


def preview(body, limit: int = 2000) -> str:
    """The start of a body as text, for 'details'."""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    return text[:limit]
