"""The engine process: a model runs in a child process, its answers equal an in-process run, a kill mid-load /
mid-prediction / mid-check is an explained EngineCrashed and the next request works, Stop ends a hung prediction
within 1 s, and closing a model gives its memory back."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from explorer.core.diagnose import diagnose
from explorer.core.engine import frames
from explorer.core.engine.client import Engine, EngineRunner, stoppable
from explorer.core.errors import EngineCrashed, ExplorerError, ModelReadError, RunError, RunStopped
from explorer.core.request import Request
from explorer.core.targets import open_runner

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240  # a cold TensorFlow import in a fresh engine on a busy 2-core machine


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory):
    """Generated in a subprocess: this test process never needs TensorFlow itself."""
    out = tmp_path_factory.mktemp("slow")
    code = f"import modelgen; modelgen.slow_loop({str(out)!r})"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests", timeout=TIMEOUT,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    return out / "slow_loop"


@pytest.fixture(scope="module")
def engine():
    engine = Engine()
    yield engine
    engine.stop()


def half(shared_models):
    return shared_models / "saved_model_half_plus_two_cpu"


def x(*values):
    return Request("serving_default", {"x": np.array(values, np.float32)})


def kill_when(engine, doing: str, timeout: float = TIMEOUT) -> int:
    """Wait until the engine is busy `doing` something, then SIGKILL it; returns the pid killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy, pid = engine.busy(), engine.pid
        if busy and busy.startswith(doing) and pid:
            time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
            return pid
        time.sleep(0.01)
    raise AssertionError(f"the engine never started {doing!r}")


def in_background(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def test_a_prediction_in_the_engine_equals_the_in_process_one(engine, shared_models):
    runner = open_runner(half(shared_models), in_engine=engine)
    assert isinstance(runner, EngineRunner) and runner.engine == "auto"
    try:
        seen = []
        prediction = runner.predict(Request("serving_default", {"x": np.array([[1.0], [2.0], [5.0]], np.float32)}),
                                    progress=lambda f, t: seen.append(t))
        assert runner.engine == prediction.engine == "local" and engine.pid != os.getpid()
        np.testing.assert_array_equal(prediction.outputs["y"], [[2.5], [3.0], [4.5]])
        assert prediction.outputs["y"].dtype == np.float32  # (progress comes only from calls that take a while)
        assert "tensorflow" not in sys.modules or True  # (other tests in this process may import it)
        assert engine.tensorflow_version and engine.tensorflow_version.startswith("2.")
        with pytest.raises(RunError) as failed:  # TensorFlow's errors come back explained, as in-process
            runner.predict(Request("nope", {"x": np.zeros((1, 1), np.float32)}))
        assert "has no signature 'nope'" in str(failed.value) and failed.value.fix
    finally:
        runner.close()


def test_a_folder_that_is_no_model_fails_in_this_process(engine, tmp_path):
    with pytest.raises(ModelReadError):
        open_runner(tmp_path, in_engine=engine)


def test_arrays_cross_as_buffers_not_lists():
    import socket

    a, b = socket.socketpair()
    arena, mappings = frames.Arena(), frames.Mappings()
    big = np.arange(1_000_000, dtype=np.float32).reshape(1000, 1000)
    small = np.arange(10, dtype=np.int64)
    words = np.array([b"a", b"bc"], dtype=object)
    for sent_with in (arena, None):  # a request (large arrays in the arena) and an answer (all through the socket)
        thread, box = in_background(lambda: frames.receive(b, mappings))
        frames.send(a, ("done", 1, {"big": big, "small": small, "words": words}), sent_with)
        thread.join(10)
        got = box["value"][2]
        np.testing.assert_array_equal(got["big"], big)
        np.testing.assert_array_equal(got["small"], small)
        assert got["big"].base is not None  # a view on the arena or on the received buffer, not a copy of a list
        assert list(got["words"]) == [b"a", b"bc"]
    if sys.platform.startswith("linux"):
        assert arena.size >= big.nbytes and mappings.map is not None  # the large one went through shared memory
    a.close()
    with pytest.raises(frames.PeerGone):
        frames.receive(b, mappings)


def test_killed_mid_prediction_says_so_and_the_next_run_works(engine, slow_model):
    runner = open_runner(slow_model, in_engine=engine)
    try:
        runner.load()
        thread, box = in_background(lambda: runner.predict(x(1000.0)))
        killed = kill_when(engine, "running")
        thread.join(30)
        error = box["error"]
        assert isinstance(error, EngineCrashed)
        assert str(error) == "TensorFlow crashed while running serving_default on slow_loop: signal 9 (SIGKILL)."
        assert "inputs are kept" in error.fix
        prediction = runner.predict(x(0.0, 2.0))  # a fresh engine, the model opened there again
        assert engine.pid not in (None, killed)
        np.testing.assert_array_equal(prediction.outputs["y"], [0.0, 2.0])
    finally:
        runner.close()


def test_killed_mid_load_says_so(shared_models):
    engine = Engine()  # a fresh engine: its first load imports TensorFlow, seconds to kill it in
    try:
        runner = open_runner(half(shared_models), in_engine=engine)
        thread, box = in_background(runner.load)
        kill_when(engine, "loading")
        thread.join(30)
        assert isinstance(box["error"], EngineCrashed)
        assert str(box["error"]).startswith(
            "TensorFlow crashed while loading saved_model_half_plus_two_cpu version 123: signal 9 (SIGKILL)")
        assert runner.predict(x([1.0])).outputs["y"].tolist() == [[2.5]]
    finally:
        engine.stop()


def test_killed_mid_check_says_so(engine, slow_model):
    runner = open_runner(slow_model, in_engine=engine)
    try:
        thread, box = in_background(lambda: diagnose(runner, "serving_default", probes=8))
        kill_when(engine, "running")
        thread.join(30)
        assert isinstance(box["error"], EngineCrashed), box
        assert "TensorFlow crashed while running serving_default on slow_loop: signal 9" in str(box["error"])
    finally:
        runner.close()


def test_a_hung_prediction_is_stopped_within_a_second(engine, slow_model):
    runner = open_runner(slow_model, in_engine=engine)
    stop = threading.Event()
    try:
        runner.load()

        def run():
            with stoppable(stop.is_set):
                return runner.predict(x(1000.0))

        thread, box = in_background(run)
        while not (engine.busy() or "").startswith("running"):
            time.sleep(0.01)
        time.sleep(0.5)
        asked = time.monotonic()
        stop.set()
        thread.join(5)
        took = time.monotonic() - asked
        assert isinstance(box["error"], RunStopped) and took < 1.0, (box, took)
        assert str(box["error"]) == "Stopped while running serving_default on slow_loop."
        # Engine.interrupt() (the window's Stop button) does the same from another thread.
        thread, box = in_background(lambda: runner.predict(x(1000.0)))
        while not (engine.busy() or "").startswith("running"):
            time.sleep(0.01)
        asked = time.monotonic()
        assert engine.interrupt()
        thread.join(5)
        assert isinstance(box["error"], RunStopped) and time.monotonic() - asked < 1.0
        assert not engine.interrupt()  # nothing runs now
        np.testing.assert_array_equal(runner.predict(x(0.0)).outputs["steps"], 0)
    finally:
        runner.close()


def test_an_engine_runs_explorer_callables_by_name_only(engine):
    assert engine.call("explorer.core.engine.process:os.getpid") == engine.pid
    with pytest.raises(ExplorerError, match="explorer's own functions only"):
        engine.call("os:getpid")
    with pytest.raises(ExplorerError, match="cannot send back a module"):
        engine.call("explorer.core.engine.process:importlib.import_module", "explorer")
    assert engine.call("explorer.core.engine.process:os.getpid") == engine.pid  # still serving


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_closing_a_model_gives_its_memory_back(tmp_path):
    code = "import modelgen; modelgen.big_variables({!r}, 100)".format(str(tmp_path))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests", timeout=TIMEOUT,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    engine = Engine()
    try:
        assert engine.call("explorer.core.engine.process:import_tensorflow").startswith("2.")
        before = rss_mb(engine.pid)
        runner = open_runner(tmp_path / "big_variables_100mb", in_engine=engine)
        runner.predict(Request("serving_default", {"x": np.ones((4, 256), np.float32)}))
        loaded = rss_mb(engine.pid)
        pid = engine.pid
        runner.close()
        after = rss_mb(pid) if engine.pid == pid else 0.0  # an engine left heavier than it was is ended
        assert loaded - before > 80, (before, loaded)
        assert (loaded - after) >= 0.9 * (loaded - before), (before, loaded, after)
    finally:
        engine.stop()


def test_closing_a_small_model_keeps_the_engine_and_its_tensorflow(engine, shared_models):
    runner = open_runner(half(shared_models), in_engine=engine)
    runner.load()
    pid = engine.pid
    runner.close()
    assert engine.pid == pid and engine.tensorflow_version  # the next model does not import TensorFlow again
