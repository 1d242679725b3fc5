"""Worker: plain functions on a pool, results/failures/progress on the GUI thread, stale results dropped."""
import threading

import pytest

from explorer.core.errors import ExplorerError, ModelReadError
from explorer.core.savedmodel import read_model
from explorer.ui.workers import Worker

MAIN = threading.get_ident()


@pytest.fixture
def worker(qtbot):
    w = Worker()
    yield w
    w.cancel()
    assert w.wait(10000)


def test_results_arrive_on_the_gui_thread_while_the_call_runs_elsewhere(qtbot, worker):
    seen = {}

    def work(a, b):
        seen["work_thread"] = threading.get_ident()
        return a + b

    # Plain lambdas: the trap in docs/ARCHITECTURE.md is that these would run on the pool thread if connected naively.
    worker.done.connect(lambda task, result: seen.setdefault("signal_thread", threading.get_ident()))
    worker.started.connect(lambda task: seen.setdefault("started_thread", threading.get_ident()))
    with qtbot.waitSignal(worker.finished, timeout=5000):
        task = worker.submit(work, 2, 3, on_done=lambda t, r: seen.update(result=r, cb_thread=threading.get_ident()))
    assert seen["result"] == 5 and task.result == 5
    assert seen["work_thread"] != MAIN
    assert seen["cb_thread"] == MAIN and seen["signal_thread"] == MAIN and seen["started_thread"] == MAIN


def test_a_real_model_read_runs_on_the_worker(qtbot, worker, shared_models):
    got = []
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.submit(read_model, shared_models / "saved_model_half_plus_two_2_versions", caller="model",
                      on_done=lambda t, info: got.append(info))
    assert got[0].versions == (124, 123)


def test_a_stale_result_is_dropped_and_only_the_latest_request_is_delivered(qtbot, worker):
    release = threading.Event()
    delivered, finished = [], []

    def slow():
        release.wait(5)
        return "old"

    worker.finished.connect(lambda t: finished.append(t.number))
    old = worker.submit(slow, caller="predict", on_done=lambda t, r: delivered.append(r))
    new = worker.submit(lambda: "new", caller="predict", on_done=lambda t, r: delivered.append(r))
    other = worker.submit(lambda: "other caller", caller="load", on_done=lambda t, r: delivered.append(r))
    qtbot.waitUntil(lambda: new.finished and other.finished, timeout=5000)
    assert old.is_cancelled and old.stale  # superseded requests are asked to stop
    release.set()
    qtbot.waitUntil(lambda: old.finished, timeout=5000)
    assert sorted(delivered) == ["new", "other caller"]  # "old" never reached the caller
    assert old.result == "old"  # ... though it did finish
    assert sorted(finished) == [1, 1, 2]
    assert worker.is_latest(new) and not worker.is_latest(old)
    assert (old.number, new.number, other.number) == (1, 2, 1)


def test_explorer_errors_are_delivered_with_their_message_and_a_traceback(qtbot, worker):
    failures = []

    def bad():
        raise ModelReadError("/nowhere", "/nowhere does not exist.", fix="Check the path.")

    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(bad, on_failed=lambda t, e: failures.append((threading.get_ident(), e)))
    task, error = blocker.args
    assert isinstance(error, ModelReadError) and str(error) == "/nowhere does not exist."
    assert error.fix == "Check the path." and "Traceback" in error.details and "in bad" in error.details
    assert failures[0][0] == MAIN and task.error is error


def test_other_exceptions_become_explorer_errors_naming_the_task(qtbot, worker):
    def divide():
        return 1 / 0

    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(divide, name="Dividing")
    error = blocker.args[1]
    assert type(error) is ExplorerError
    assert str(error) == "Dividing failed: ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in error.details and isinstance(error.__cause__, ZeroDivisionError)


def test_progress_and_cancel_are_plain_callables(qtbot, worker):
    reports = []
    go_on = threading.Event()

    def sweep(n, progress, cancelled):
        assert callable(progress) and callable(cancelled)
        for i in range(n):
            if cancelled():
                return f"stopped at {i}"
            progress(i / n, f"step {i}")
            go_on.wait(5)
        return "complete"

    task = worker.submit(sweep, 1000, caller="diagnose",
                         on_progress=lambda t, f, text: reports.append((threading.get_ident(), f, text)))
    qtbot.waitUntil(lambda: bool(reports), timeout=5000)
    task.cancel()
    go_on.set()
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert task.result.startswith("stopped at")
    assert reports[0] == (MAIN, 0.0, "step 0")
    assert not worker.busy("diagnose")


def test_functions_without_progress_parameters_are_called_as_they_are(qtbot, worker):
    with qtbot.waitSignal(worker.done, timeout=5000) as blocker:
        worker.submit(sorted, [3, 1, 2], reverse=True)
    assert blocker.args[1] == [3, 2, 1]


def test_supersede_false_lets_the_older_task_run_on(qtbot, worker):
    release = threading.Event()
    first = worker.submit(lambda: release.wait(5), caller="x")
    worker.submit(lambda: None, caller="x", supersede=False)
    assert not first.is_cancelled and first.stale
    release.set()
    qtbot.waitUntil(lambda: first.finished, timeout=5000)


def test_a_read_is_not_queued_behind_long_running_calls(qtbot, worker):
    release = threading.Event()
    slow = [worker.submit(release.wait, 10, caller=f"predict{i}") for i in range(3)]  # more than 2 cores
    try:
        with qtbot.waitSignal(worker.done, timeout=3000) as blocker:
            worker.submit(lambda: "read", caller="model")
        assert blocker.args[1] == "read"
    finally:
        release.set()
    qtbot.waitUntil(lambda: all(t.finished for t in slow), timeout=5000)


def test_qt_objects_a_task_holds_are_freed_on_the_gui_thread(qtbot, worker):
    """Issue 13 item 17: whatever a task holds (its function, arguments, the Worker, a failure's traceback) is
    released on the GUI thread, so no Qt object can be destroyed on a pool thread."""
    import gc
    import weakref

    from PySide6 import QtWidgets

    release = threading.Event()
    freed_on = []
    widget = QtWidgets.QWidget()  # a top-level widget: Python owns it, its wrapper's end deletes it
    widget.destroyed.connect(lambda *_: freed_on.append(threading.get_ident()))

    def work(w, fail):
        release.wait(5)
        if fail:
            raise ValueError("boom")
        return "ok"

    ok = worker.submit(work, widget, False, caller="a")
    failed = worker.submit(lambda w=widget: work(w, True), caller="b")
    ref = weakref.ref(widget)
    del widget  # the GUI forgets it while the tasks still run
    release.set()
    qtbot.waitUntil(lambda: ok.finished and failed.finished, timeout=5000)
    assert failed.error is not None and failed.error.__cause__.__traceback__ is None  # no frames kept
    gc.collect()
    qtbot.waitUntil(lambda: ref() is None and bool(freed_on), timeout=5000)
    assert freed_on == [MAIN]


def test_the_job_does_not_keep_the_worker_alive(qtbot):
    import weakref

    from explorer.ui.workers import Task, _Job

    w = Worker()
    job = _Job(w, Task(1, "x", 1, "x"), print, (), {})
    ref = weakref.ref(w)
    del w
    assert ref() is None and job._worker() is None


def test_the_callers_function_and_arguments_are_let_go_of_on_the_gui_thread(qtbot, worker, monkeypatch):
    """A pool thread drops its references to fn and args before it reports, so the last reference is the GUI's
    (Worker._payloads): held past the report, a bound method's widget was freed on the pool thread whenever the GUI
    delivered the result first. Here the job waits after reporting until the GUI has delivered, the order a loaded
    machine can produce."""
    import time
    import weakref

    from PySide6 import QtWidgets

    from explorer.ui.workers import _Job

    class Panel(QtWidgets.QWidget):  # a Python subclass: Shiboken runs its C++ destructor where it is freed
        def work(self):
            return "ok"

    report = _Job._emit

    def report_then_wait_for_delivery(job, signal, *args):
        report(job, signal, *args)
        if signal == "_done_from_thread":
            deadline = time.monotonic() + 5
            while not job._task.finished and time.monotonic() < deadline:
                time.sleep(0.005)

    monkeypatch.setattr(_Job, "_emit", report_then_wait_for_delivery)
    freed_on = []
    panel = Panel()
    ref = weakref.ref(panel, lambda _: freed_on.append(threading.get_ident()))
    task = worker.submit(panel.work)
    del panel  # the GUI forgets it while the task runs: the payload and the job hold it through the bound method
    qtbot.waitUntil(lambda: task.finished and bool(freed_on), timeout=5000)
    assert task.result == "ok" and ref() is None
    assert freed_on == [MAIN]


BARE_QT = r"""
import gc, sys, threading, time, weakref
from PySide6 import QtWidgets
app = QtWidgets.QApplication(sys.argv[:1])  # as the widgets' quick looks start Qt: not the app's create_app()
from explorer.ui.workers import Worker

class Panel(QtWidgets.QWidget):  # a Python subclass: Shiboken runs its C++ destructor where it is freed
    pass

enabled_before = gc.isenabled()
worker = Worker()
gc.collect()  # counts start at zero: the GUI thread's few allocations below cannot start a collection
freed_on = []
panel = Panel()
panel.me = panel  # a cycle: only the collector frees it
ref = weakref.ref(panel, lambda _: freed_on.append(threading.current_thread().name))
del panel
allocated = threading.Event()

def allocate():  # enough allocations kept alive to start many automatic collections on this pool thread
    global kept
    kept = [[i] for i in range(100_000)]
    allocated.set()

worker.submit(allocate)
allocated.wait(60)
deadline = time.monotonic() + 10
while not freed_on and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print(enabled_before, gc.isenabled(), freed_on)
"""


def test_a_worker_keeps_collections_off_its_pool_threads_however_qt_was_started():
    """Issue 13 item 17, what b88e686 left: the app's create_app() turned automatic collection off, but the widgets'
    quick looks (python -m explorer.ui.widgets.X) start a bare QApplication, and there a collection started by a
    pool thread's allocations destroyed a closed window's Qt objects on that thread and deadlocked
    (tests/stress/gc_thread_stress.py --plain-qapp hung 4 of 4 runs). The Worker now installs the GUI-thread
    collector itself. Run in a fresh process: this suite turns collection off for itself (tests/conftest.py)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", BARE_QT], capture_output=True, text=True, timeout=120, cwd=root,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "True False ['MainThread']"
