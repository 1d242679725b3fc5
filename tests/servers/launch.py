"""Start tests/servers/model_server.py as a subprocess on 127.0.0.1 and wait until it serves."""
from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER = Path(__file__).resolve().parent / "model_server.py"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerHandle:
    """A running model server: where it listens and how to stop it."""

    host: str
    rest_port: int
    grpc_port: int
    process: subprocess.Popen
    model_name: str = "default"
    args: list = field(default_factory=list)
    tls: bool = False

    @property
    def rest_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.rest_port}"

    def target(self, kind: str = "rest", suffix: str = "") -> str:
        """rest://HOST:PORT/MODEL[suffix] or grpc://...; suffix like "/versions/123"."""
        port = self.rest_port if kind == "rest" else self.grpc_port
        return f"{kind}://{self.host}:{port}/{self.model_name}{suffix}"

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """Terminate a test server (killed if it outlives `timeout` seconds) and close its pipes."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream:
            stream.close()


def start_server(base_path, model_name: str = "default", policy: str = "latest", extra_args=(),
                 rest_port: int | None = None, grpc_port: int | None = None, timeout: float = 60.0) -> ServerHandle:
    """Start a model server for `base_path` (a folder of numbered versions) and return once it is READY."""
    rest_port = rest_port or free_port()
    grpc_port = grpc_port or free_port()
    args = [sys.executable, str(SERVER), f"--model_name={model_name}", f"--model_base_path={base_path}",
            f"--port={grpc_port}", f"--rest_api_port={rest_port}", f"--model_version_policy={policy}",
            *extra_args]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"model server exited with {process.returncode}: {err}")
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith(b"READY"):
                break
    else:
        process.kill()
        raise RuntimeError(f"model server did not become ready in {timeout} s")
    _drain(process.stderr)
    tls = any(str(a).startswith("--ssl_cert") for a in extra_args)
    return ServerHandle("127.0.0.1", rest_port, grpc_port, process, model_name, list(args), tls)


def _drain(stream) -> None:
    """Keep reading the server's stderr so a chatty TensorFlow can never block it on a full pipe."""
    import threading

    def pump():
        try:
            for _ in iter(stream.readline, b""):
                pass
        except (ValueError, OSError):
            pass

    threading.Thread(target=pump, daemon=True).start()
