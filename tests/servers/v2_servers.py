"""Real KServe V2 servers for tests: MLServer (this venv) and KServe's Python ModelServer, on 127.0.0.1, free ports.

MLServer 1.7.1 runs with `parallel_workers: 0` (models in the server process) and serves the sklearn runtime plus
tests/servers/mlserver_savedmodel.py (a SavedModel through TensorFlow). KServe 0.16 pins protobuf < 6 while
TensorFlow 2.21 needs >= 6.31.1, so the two cannot share one resolved environment: KServe runs from its own venv
(`make kserve-venv` creates .venv-kserve; $SIGNATURE_EXPLORER_KSERVE_PYTHON names another interpreter) and serves
numpy models (tests/servers/kserve_model_server.py). Each start waits until the models are ready, bounded in time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .launch import _drain, free_port, stop_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KSERVE_SCRIPT = HERE / "kserve_model_server.py"
KSERVE_VENV = ROOT / ".venv-kserve"
START_TIMEOUT_S = 90.0


@dataclass
class V2Server:
    """A running V2 server: where it listens, what it is, how to stop it."""

    kind: str  # "mlserver" | "kserve"
    host: str
    http_port: int
    grpc_port: int
    process: subprocess.Popen
    models: tuple[str, ...] = ()
    workdir: Path | None = None
    log: list = field(default_factory=list)

    def target(self, model: str, grpc: bool = False, suffix: str = "") -> str:
        """v2://HOST:PORT/MODEL[suffix] or v2+grpc://..."""
        return f"{'v2+grpc' if grpc else 'v2'}://{self.host}:{self.grpc_port if grpc else self.http_port}/{model}{suffix}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


def _wait_ready(process: subprocess.Popen, url: str, models, what: str, timeout: float, context=None) -> None:
    deadline = time.monotonic() + timeout
    pending = list(models)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace")[-4000:] if process.stderr else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {err}")
        try:
            while pending:
                with urllib.request.urlopen(f"{url}/v2/models/{pending[0]}/ready", timeout=2, context=context) as r:
                    if r.status != 200:
                        break
                pending.pop(0)
            if not pending:
                return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{what} did not serve {pending} within {timeout:g} s")


def start_mlserver(workdir: Path, models: dict[str, dict], timeout: float = START_TIMEOUT_S) -> V2Server:
    """MLServer serving `models` (name -> model-settings.json content) from folders under workdir."""
    http_port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": http_port, "grpc_port": grpc_port, "metrics_port": metrics_port,
        "metrics_endpoint": None, "parallel_workers": 0, "debug": False, "load_models_at_startup": True,
    }))
    for name, settings in models.items():
        folder = workdir / name
        folder.mkdir(exist_ok=True)
        (folder / "model-settings.json").write_text(json.dumps({"name": name, **settings}))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
               PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    mlserver = Path(sys.executable).with_name("mlserver")
    command = [str(mlserver)] if mlserver.exists() else [sys.executable, "-c",
                                                          "from mlserver.cli.main import main; main()"]
    process = subprocess.Popen([*command, "start", str(workdir)], cwd=workdir, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{http_port}"
    _wait_ready(process, url, models, "MLServer", timeout)
    _drain(process.stderr)
    return V2Server("mlserver", "127.0.0.1", http_port, grpc_port, process, tuple(models), workdir)


def kserve_python() -> str | None:
    """The interpreter that runs KServe: $SIGNATURE_EXPLORER_KSERVE_PYTHON, .venv-kserve, or this one if it has it."""
    named = os.environ.get("SIGNATURE_EXPLORER_KSERVE_PYTHON")
    if named:
        return named
    venv = KSERVE_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if venv.exists():
        return str(venv)
    try:
        import importlib.util

        if importlib.util.find_spec("kserve") is not None:
            return sys.executable
    except (ImportError, ValueError):
        pass
    return None


def start_kserve(timeout: float = START_TIMEOUT_S, tls: dict | None = None) -> V2Server:
    """KServe's ModelServer (REST and gRPC) serving the numpy models of kserve_model_server.py; with tls
    ({"cert", "key"}) over https and TLS gRPC."""
    python = kserve_python()
    if python is None:
        raise RuntimeError("KServe is not installed: run `make kserve-venv` (it cannot share TensorFlow's venv: "
                           "kserve 0.16 pins protobuf < 6), or set SIGNATURE_EXPLORER_KSERVE_PYTHON")
    http_port, grpc_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    extra = ["--ssl_cert", tls["cert"], "--ssl_key", tls["key"]] if tls else []
    process = subprocess.Popen([python, str(KSERVE_SCRIPT), "--http_port", str(http_port), "--grpc_port",
                                str(grpc_port), *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    models = ("half_plus_two", "echo", "scores")
    context = None
    if tls:
        import ssl

        context = ssl.create_default_context(cafile=tls["cert"])
    _wait_ready(process, f"{'https' if tls else 'http'}://127.0.0.1:{http_port}", models, "KServe ModelServer",
                timeout, context)
    _drain(process.stderr)
    return V2Server("kserve", "127.0.0.1", http_port, grpc_port, process, models)


# --- pytest fixtures: `from tests.servers.v2_servers import mlserver, kserve` ------------------------------------------

import atexit  # noqa: E402

import pytest  # noqa: E402

HALF_PLUS_TWO = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu" / "00000123"
_STARTED: dict[str, V2Server] = {}


def _stop_all() -> None:
    for server in _STARTED.values():
        server.stop()
    _STARTED.clear()


atexit.register(_stop_all)


def iris_model(folder: Path) -> Path:
    """A scikit-learn LogisticRegression on the iris data set, saved as MLServer's sklearn runtime loads it."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.joblib"
    joblib.dump(LogisticRegression(max_iter=500).fit(x, y), path)
    return path


def mlserver_scores_model() -> dict:
    """bench/serving_v2.py's model: any input in, a fixed (64, 1000) FP32 table out (mlserver_savedmodel.py)."""
    return {"implementation": "mlserver_savedmodel.ScoresRuntime", "parameters": {"version": "1"}}


def mlserver_models(workdir: Path) -> dict[str, dict]:
    """half_plus_two (TF Serving's SavedModel, version "123"), dtypes (every V2 datatype but BF16, which MLServer's
    Datatype enum lacks) through TensorFlow, and iris (the sklearn runtime, inputs declared as MLServer wants)."""
    import modelgen

    runtime = "mlserver_savedmodel.SavedModelRuntime"
    dtypes_model = modelgen.v2_dtypes(workdir / "generated")
    return {
        "half_plus_two": {"implementation": runtime, "parameters": {"uri": str(HALF_PLUS_TWO), "version": "123"}},
        "dtypes": {"implementation": runtime, "parameters": {"uri": str(dtypes_model), "version": "1"}},
        "iris": {"implementation": "mlserver_sklearn.SKLearnModel",
                 "parameters": {"uri": str(iris_model(workdir / "iris_model")), "version": "v1"},
                 "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}],
                 "outputs": [{"name": "predict", "datatype": "INT64", "shape": [-1, 1]}]},
    }


@pytest.fixture(scope="session")
def mlserver(tmp_path_factory) -> V2Server:
    """MLServer 1.7.1 on free ports with half_plus_two, dtypes and iris (see mlserver_models)."""
    server = _STARTED.get("mlserver")
    if server is None or server.process.poll() is not None:
        workdir = tmp_path_factory.mktemp("mlserver")
        server = _STARTED["mlserver"] = start_mlserver(workdir / "models", mlserver_models(workdir))
    return server


@pytest.fixture(scope="session")
def kserve_tls(tls_files) -> V2Server:
    """KServe's ModelServer over https and TLS gRPC with the tests' self-signed certificate (tls_files)."""
    server = _STARTED.get("kserve_tls")
    if server is None or server.process.poll() is not None:
        server = _STARTED["kserve_tls"] = start_kserve(tls=tls_files)
    return server


@pytest.fixture(scope="session")
def kserve() -> V2Server:
    """KServe's ModelServer on free ports with half_plus_two and echo (numpy; kserve_model_server.py)."""
    server = _STARTED.get("kserve")
    if server is None or server.process.poll() is not None:
        server = _STARTED["kserve"] = start_kserve()
    return server
