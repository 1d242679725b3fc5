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
