"""pytest fixtures for tests that need a model server: `from tests.servers.fixtures import *` in a test module.

Servers are session-scoped and cached per argument set (as TF Serving's own integration test does), so a test run
starts each configuration once; all are stopped at the end of the session.
"""
from __future__ import annotations

import atexit
import shutil
import subprocess
from pathlib import Path

import pytest

from .launch import ServerHandle, start_server

MODELS = Path(__file__).resolve().parents[2] / "resources" / "examples" / "tfserving"
TWO_VERSIONS = "saved_model_half_plus_two_2_versions"

__all__ = ["model_servers", "default_server", "two_versions_server", "all_versions_server", "half_plus_three_server",
           "tls_files", "tls_server", "MODELS", "TWO_VERSIONS"]


class ServerPool:
    """Starts model servers on demand, one per distinct argument set, and stops them all at the end."""

    def __init__(self):
        self.handles: dict[tuple, ServerHandle] = {}

    def get(self, model_dir: str, model_name: str = "default", policy: str = "latest", extra_args=()) -> ServerHandle:
        key = (str(model_dir), model_name, policy, tuple(extra_args))
        handle = self.handles.get(key)
        if handle is None or handle.process.poll() is not None:
            path = Path(model_dir)
            base = path if path.is_absolute() else MODELS / path
            handle = start_server(base, model_name=model_name, policy=policy, extra_args=extra_args)
            self.handles[key] = handle
        return handle

    def stop_all(self) -> None:
        for handle in self.handles.values():
            handle.stop()
        self.handles.clear()


# One pool per process, not per fixture definition: pytest makes a separate session fixture for every test module
# that imports these fixtures, and servers must still start once per argument set.
_POOL = ServerPool()
atexit.register(_POOL.stop_all)


@pytest.fixture(scope="session")
def model_servers():
    """The session's ServerPool: model_servers.get(model_dir, model_name=, policy=, extra_args=) -> ServerHandle."""
    yield _POOL
    _POOL.stop_all()


@pytest.fixture(scope="session")
def default_server(model_servers) -> ServerHandle:
    """Like TF Serving's integration test: model `default` = saved_model_half_plus_two_cpu (version 123)."""
    return model_servers.get("saved_model_half_plus_two_cpu", "default")


@pytest.fixture(scope="session")
def two_versions_server(model_servers) -> ServerHandle:
    """Like TF Serving's REST handler test: saved_model_half_plus_two_2_versions serving 123, label Version_Label."""
    return model_servers.get(TWO_VERSIONS, TWO_VERSIONS, "specific:123", ("--version_labels=Version_Label=123",))


@pytest.fixture(scope="session")
def all_versions_server(model_servers) -> ServerHandle:
    """Both versions (123, 124) served, labels stable=123 and canary=124."""
    return model_servers.get(TWO_VERSIONS, TWO_VERSIONS, "all", ("--version_labels=stable=123,canary=124",))


@pytest.fixture(scope="session")
def half_plus_three_server(model_servers) -> ServerHandle:
    """The REST docs' example model: saved_model_half_plus_three (y = 0.5x + 3)."""
    return model_servers.get("saved_model_half_plus_three", "saved_model_half_plus_three")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> dict:
    """A self-signed certificate for 127.0.0.1/localhost made with the openssl CLI: {"cert", "key"} paths."""
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return {"cert": str(cert), "key": str(key)}


TLS_TOKEN = "Bearer test-token-123"


@pytest.fixture(scope="session")
def tls_server(model_servers, tls_files) -> ServerHandle:
    """half_plus_two over https and TLS gRPC, refusing calls without `Authorization: Bearer test-token-123`."""
    return model_servers.get("saved_model_half_plus_two_cpu", "default", "latest", (
        f"--ssl_cert={tls_files['cert']}", f"--ssl_key={tls_files['key']}",
        f"--require_header=Authorization: {TLS_TOKEN}"))
