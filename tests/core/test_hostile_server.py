"""RestRunner against a hostile server (the test server's --fault modes, per request by header): one deadline per
request, a response-size cap, JSON of the wrong structure, deep nesting; proxies from the environment and a gateway's
path prefix (issue 11). Each case hung, ate gigabytes or raised a traceback before."""
from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from explorer.core import http as core_http
from explorer.core.errors import ServingError
from explorer.core.request import Request
from explorer.core.runners.rest import RestRunner
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import TLS_TOKEN

pytestmark = pytest.mark.slow


def hostile(server, mode: str, **options) -> RestRunner:
    return RestRunner(server.target(), headers={"X-Test-Fault": mode}, **options)


@pytest.mark.parametrize("call", ["status", "metadata", "predict"])
def test_a_dripping_server_is_cut_off_at_the_deadline(default_server, call):
    runner = hostile(default_server, "drip", timeout=1.5)
    started = time.monotonic()
    with pytest.raises(core_http.DeadlineExceeded, match="did not answer within 1.5 s"):
        if call == "predict":
            runner._signatures = {}  # skip metadata: the predict call itself must be cut off
            runner.predict(Request("serving_default", {"x": np.ones((1, 1), np.float32)}))
        else:
            getattr(runner, call)()
    assert time.monotonic() - started < 4
    runner.close()


@pytest.mark.parametrize("mode", ["huge", "huge-unsized"])
def test_a_huge_answer_is_refused_at_the_cap(default_server, mode):
    runner = hostile(default_server, mode, max_response_mb=8, timeout=20)
    started = time.monotonic()
    with pytest.raises(core_http.ResponseTooLarge) as info:
        runner.status()
    assert "over the response-size limit of 8.0 MB" in str(info.value)
    assert ("2,048.0 MB" in str(info.value)) == (mode == "huge")  # a declared size is named before reading it
    assert time.monotonic() - started < 10
    runner.close()


@pytest.mark.parametrize("call", ["status", "metadata", "predict"])
@pytest.mark.parametrize("mode, words", [("wrong-structure", "expected a JSON object as the whole answer, got an array"),
                                         ("deep", "levels deep")])
def test_wrong_structure_and_deep_json_are_serving_errors(default_server, call, mode, words):
    runner = hostile(default_server, mode)
    with pytest.raises(ServingError, match=words):
        if call == "predict":
            runner._signatures = {}
            runner.predict(Request("serving_default", {"x": np.ones((1, 1), np.float32)}))
        else:
            getattr(runner, call)()
    runner.close()


def test_the_runner_works_again_after_a_hostile_answer(default_server):
    runner = RestRunner(default_server.target(), timeout=1.0)
    runner.headers = {"X-Test-Fault": "drip"}
    with pytest.raises(core_http.DeadlineExceeded):
        runner.status()
    runner.headers = {}
    assert runner.status()[0].state == "AVAILABLE"
    runner.close()


class _Forwarder(BaseHTTPRequestHandler):
    """A forward proxy (absolute URLs) and a gateway (strips /tfserving) in one: it records what it saw."""

    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int]
    seen: list

    def log_message(self, *args):
        pass

    def _forward(self):
        self.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        path = self.path
        if "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[1]
        path = path.removeprefix("/tfserving")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        conn.request(self.command, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        self.send_response(response.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward

    def do_CONNECT(self):  # an https tunnel, as curl and requests ask a proxy for one
        import select
        import socket

        self.seen.append(("CONNECT", self.path, self.headers.get("Proxy-Authorization")))
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=30)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        client = self.connection
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 30)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True


@pytest.fixture()
def forwarder(default_server):
    handler = type("Forwarder", (_Forwarder,), {"upstream": (default_server.host, default_server.rest_port),
                                                "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, handler.seen
    httpd.shutdown()
    httpd.server_close()


def test_http_proxy_from_the_environment_is_used(forwarder, default_server, monkeypatch):
    httpd, seen = forwarder
    monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    runner = RestRunner(default_server.target())
    assert runner.status()[0].version == 123
    runner.close()
    method, path, auth = seen[0]
    assert path == f"http://127.0.0.1:{default_server.rest_port}/v1/models/default"
    assert auth == "Basic dXNlcjpzZWNyZXQ="


def test_no_proxy_bypasses_the_proxy(forwarder, default_server, monkeypatch):
    httpd, seen = forwarder
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    runner = RestRunner(default_server.target())
    assert runner.status()[0].version == 123
    runner.close()
    assert seen == []


def test_a_gateway_path_prefix_is_kept(forwarder, default_server, monkeypatch):
    httpd, seen = forwarder
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/tfserving/v1/models/default"
    runner = RestRunner(url)
    assert runner.status()[0].version == 123
    out = runner.predict(Request("serving_default", {"x": np.array([[1.0]], np.float32)}))
    assert out.outputs["y"].tolist() == [[2.5]]
    runner.close()
    assert [p for _, p, _ in seen][:2] == ["/tfserving/v1/models/default", "/tfserving/v1/models/default/metadata"]
    assert runner.target == url


def test_https_goes_through_the_proxy_as_a_tunnel(forwarder, tls_server, tls_files, monkeypatch):
    httpd, seen = forwarder
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{httpd.server_address[1]}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    runner = RestRunner(f"https://127.0.0.1:{tls_server.rest_port}/v1/models/default", ca_file=tls_files["cert"],
                        headers={"Authorization": TLS_TOKEN})
    assert runner.status()[0].version == 123
    runner.close()
    assert seen[0][:2] == ("CONNECT", f"127.0.0.1:{tls_server.rest_port}")


def test_grpc_deadline_covers_a_server_that_accepts_and_never_answers():
    import socket

    from explorer.core.runners.grpc import GrpcRunner, apis

    apis()  # the first gRPC use imports TensorFlow (tensorflow-serving-api needs it): not part of the deadline
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections complete in the kernel's backlog; nothing ever reads or writes them
    try:
        runner = GrpcRunner(f"grpc://127.0.0.1:{listener.getsockname()[1]}/m", timeout=1.5)
        started = time.monotonic()
        with pytest.raises(ServingError):
            runner.status()
        assert time.monotonic() - started < 5
        runner.close()
    finally:
        listener.close()


def test_http_deadline_covers_a_server_that_accepts_and_never_answers():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        runner = RestRunner(f"rest://127.0.0.1:{listener.getsockname()[1]}/m", timeout=1.0)
        started = time.monotonic()
        with pytest.raises(core_http.DeadlineExceeded, match="did not answer within 1 s"):
            runner.status()
        assert time.monotonic() - started < 3
    finally:
        listener.close()
