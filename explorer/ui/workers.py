"""The one place that starts threads and processes: run plain core functions on a thread pool, deliver results on
the GUI thread; the window's TensorFlow engine process (`window_engine()`, `open_runner()`).

Usage (a widget that runs predictions)::

    self._worker = Worker(self)                      # create it on the GUI thread; it lives there
    task = self._worker.submit(
        runner.predict, request,                     # any plain function and its arguments
        caller="predict",                            # requests are numbered per caller ...
        on_done=self._on_predict_done,               # ... and only the latest one's result is delivered
        on_failed=self._on_predict_failed,           # gets (task, ExplorerError): str() is the message, .details
        on_progress=self._on_predict_progress,       # gets (task, fraction 0..1, text)
    )
    task.cancel()                                    # asks the function to stop (it must poll `cancelled()`)

Contract:
- `submit(fn, *args, caller=..., on_done=, on_failed=, on_progress=, on_started=, **kwargs) -> Task`. If `fn`
  declares a parameter `progress` and/or `cancelled` (or takes **kwargs), it is passed plain callables
  `progress(fraction, text)` and `cancelled() -> bool` -- never Qt objects, so core stays Qt-free.
- Everything the caller sees -- the Worker signals `started(task)`, `progress(task, fraction, text)`,
  `done(task, result)`, `failed(task, error)`, `finished(task)` and the `on_*` callbacks -- runs on the thread
  the Worker lives in (the GUI thread). Why: a worker-thread signal connected to a plain function runs that
  function in the worker thread (docs/ARCHITECTURE.md), so the pool thread only emits private signals that are
  connected with Qt.QueuedConnection to this object's slots, and the public signals are re-emitted from there.
- Stale results: each `caller` has its own request counter. When a newer request of the same caller was submitted,
  an older one's done/failed/progress are dropped (TF calls cannot be interrupted, so they may still finish);
  `finished` is still emitted for every task so busy indicators stay right. Submitting also cancels the older
  task of that caller (cooperatively) unless `supersede=False`.
- Failures: an ExplorerError is delivered as is (its `details` filled with the traceback when empty); any other
  exception is wrapped in an ExplorerError whose message names the task and whose details hold the traceback.
- Cancel: `task.cancel()` (a user's Cancel) also stops the task's engine request at once -- TensorFlow calls cannot
  be interrupted, so the engine process is killed and starts again on the next request. A newer request of the
  same caller only cancels the older one cooperatively (it must not cost the engine its loaded models).
- Local models and TF Serving gRPC endpoints in the window run in the engine process (core/engine): `open_runner()`
  below is the window's open_runner, and `window_engine()` the one engine. TensorFlow is never imported in the
  window's process.
- Progress is throttled (at most one delivery per 40 ms, plus the final 1.0) so a chatty loop cannot flood the
  GUI's event queue.
"""
from __future__ import annotations

import inspect
import itertools
import os
import sys
import threading
import time
import traceback
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

from explorer.core.engine.client import Engine, stoppable
from explorer.core.errors import ExplorerError

from .collector import collect_on_gui_thread

PROGRESS_INTERVAL_S = 0.04


@dataclass(eq=False)
class Task:
    """One submitted call: its caller, its number among that caller's requests, and a cooperative cancel flag."""

    id: int
    caller: str
    number: int
    name: str
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)  # also stop its engine request
    result: Any = None  # set once done (on the GUI thread)
    error: ExplorerError | None = None  # set once failed (on the GUI thread)
    finished: bool = False
    stale: bool = False  # True when a newer request of the same caller made this one's result irrelevant

    def cancel(self, stop_engine: bool = True) -> None:
        """Ask the function to stop; it sees `cancelled()` return True and decides what to return or raise. With
        `stop_engine`, its running engine request (a TensorFlow load, run or check) is stopped within ~50 ms."""
        self._cancel.set()
        if stop_engine:
            self._stop.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancelled(self) -> bool:
        """The plain callable handed to the core function."""
        return self._cancel.is_set()


class _Job:
    """Runs one call on a pool thread; reports only through the Worker's private (queued) signals."""

    def __init__(self, worker: "Worker", task: Task, fn: Callable, args: tuple, kwargs: dict):
        # No strong reference to the Worker (a QObject) or to anything the job outlives: whatever a pool thread
        # holds last is freed on that thread, and a Qt object freed there is destroyed off the GUI thread.
        self._worker = weakref.ref(worker)
        self._task, self._fn, self._args, self._kwargs = task, fn, args, kwargs
        self._last_progress = 0.0

    def _progress(self, fraction: float, text: str = "") -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self._emit("_progress_from_thread", self._task, float(fraction), str(text))

    def _emit(self, signal: str, *args) -> None:
        worker = self._worker()
        if worker is None:
            return  # the Worker is gone (its window closed) while the call ran: nobody is waiting for it
        try:
            getattr(worker, signal).emit(*args)
        except RuntimeError:
            pass  # its C++ side was deleted already
        finally:
            del worker

    def run(self) -> None:
        task = self._task
        self._emit("_started_from_thread", task)
        kwargs = dict(self._kwargs)
        wants = _wanted_callables(self._fn)
        if "progress" in wants:
            kwargs.setdefault("progress", self._progress)
        if "cancelled" in wants:
            kwargs.setdefault("cancelled", task.cancelled)
        fn, args = self._fn, self._args
        self._fn = self._args = self._kwargs = None
        try:
            with stoppable(task._stop.is_set):
                result = fn(*args, **kwargs)
        except ExplorerError as exc:
            if not exc.details:
                exc.details = traceback.format_exc()
            # The traceback's frames hold fn, args and this job: delivered to the GUI, they would keep them alive in
            # a cycle (frame -> locals -> error -> traceback) that only the collector can free. The text is kept.
            _drop_frames(exc)
            report = ("_failed_from_thread", task, exc)
        except BaseException as exc:  # noqa: BLE001 - a worker must report every failure, not die silently
            error = ExplorerError(
                f"{task.name} failed: {type(exc).__name__}: {exc}",
                details=traceback.format_exc(),
            )
            _drop_frames(exc)
            error.__cause__ = exc
            report = ("_failed_from_thread", task, error)
        else:
            report = ("_done_from_thread", task, result)
            del result
        # Our references to fn and args go before the report does: the GUI thread drops its own (Worker._payloads)
        # when the report arrives, and whichever thread lets go last frees what they hold -- so it is the GUI's.
        del fn, args, kwargs
        self._emit(*report)


def _drop_frames(exc: BaseException) -> None:
    """Forget the tracebacks of an exception and of its causes (their text is in `details` already)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__


_EXECUTOR: ThreadPoolExecutor | None = None
MIN_THREADS = 8


def shared_executor() -> ThreadPoolExecutor:
    """The app's worker threads: at least 8, because TF calls block a thread for seconds and on a 2-core machine
    a pool of one thread per core would make a model read wait behind two running predictions.

    Plain Python threads rather than QThreadPool + QRunnable: with PySide6 6.12 a QRunnable subclass handed to
    QThreadPool is a Python object whose lifetime C++ manages, and TF loads on such threads crashed the RunPanel
    tests intermittently; a ThreadPoolExecutor leaves Qt only the queued signals, which is all we need from it.
    """
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=max(MIN_THREADS, os.cpu_count() or 1),
                                       thread_name_prefix="explorer-worker")
    return _EXECUTOR


def _wanted_callables(fn: Callable) -> set[str]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins and some C callables have no signature
        return set()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {"progress", "cancelled"}
    return {n for n in ("progress", "cancelled") if n in params}


class Worker(QObject):
    """Runs plain functions on worker threads; results, failures and progress arrive on this object's thread."""

    started = Signal(object)  # Task
    progress = Signal(object, float, str)  # Task, fraction, text
    done = Signal(object, object)  # Task, result
    failed = Signal(object, object)  # Task, ExplorerError
    finished = Signal(object)  # Task -- always, after done/failed, also for stale tasks

    # Emitted on pool threads; connected with QueuedConnection so the slots below run on our thread.
    _started_from_thread = Signal(object)
    _progress_from_thread = Signal(object, float, str)
    _done_from_thread = Signal(object, object)
    _failed_from_thread = Signal(object, object)

    _ids = itertools.count(1)

    def __init__(self, parent: QObject | None = None, executor: ThreadPoolExecutor | None = None):
        super().__init__(parent)
        # Pool threads run Python, and an automatic collection runs on whichever thread allocates: one started there
        # destroys the Qt objects of a collected cycle off the GUI thread and deadlocks (issue 13, item 17). The app,
        # each widget's quick look and the tests start Qt their own ways, but all make a Worker before any task runs,
        # so the GUI-thread collector is installed here, where threads begin.
        collect_on_gui_thread()
        self._executor = executor or shared_executor()
        self._latest: dict[str, Task] = {}
        self._counters: dict[str, itertools.count] = {}
        self._callbacks: dict[int, dict[str, Callable | None]] = {}
        self._payloads: dict[int, tuple] = {}  # task id -> (fn, args, kwargs), released on this (the GUI) thread
        self._running: dict[int, Task] = {}
        queued = Qt.ConnectionType.QueuedConnection
        self._started_from_thread.connect(self._on_thread_started, queued)
        self._progress_from_thread.connect(self._on_thread_progress, queued)
        self._done_from_thread.connect(self._on_thread_done, queued)
        self._failed_from_thread.connect(self._on_thread_failed, queued)

    def submit(self, fn: Callable, *args, caller: str = "default", on_done: Callable | None = None,
               on_failed: Callable | None = None, on_progress: Callable | None = None,
               on_started: Callable | None = None, supersede: bool = True, name: str | None = None,
               **kwargs) -> Task:
        """Run fn(*args, **kwargs) on the pool; see the module docstring for what is delivered and when."""
        counter = self._counters.setdefault(caller, itertools.count(1))
        task = Task(id=next(self._ids), caller=caller, number=next(counter),
                    name=name or getattr(fn, "__qualname__", None) or repr(fn))
        previous = self._latest.get(caller)
        if previous is not None and not previous.finished:
            previous.stale = True
            if supersede:
                previous.cancel(stop_engine=False)
        self._latest[caller] = task
        self._callbacks[task.id] = {"done": on_done, "failed": on_failed, "progress": on_progress,
                                    "started": on_started}
        self._running[task.id] = task
        self._payloads[task.id] = (fn, args, kwargs)
        self._executor.submit(_Job(self, task, fn, args, kwargs).run)
        return task

    def is_latest(self, task: Task) -> bool:
        """True when no newer request of the same caller was submitted."""
        return self._latest.get(task.caller) is task

    def busy(self, caller: str | None = None) -> bool:
        """Whether a task (of `caller`, or any) is still running."""
        return any(caller is None or t.caller == caller for t in self._running.values())

    def cancel(self, caller: str | None = None) -> None:
        """Cooperatively cancel the running tasks of `caller` (or all)."""
        for t in list(self._running.values()):
            if caller is None or t.caller == caller:
                t.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until this worker's tasks finished and their results were delivered (tests, shutdown)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._running and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        return not self._running

    # --- delivery on our thread --------------------------------------------------------------------------------

    def _current(self, task: Task) -> bool:
        return not task.stale and self.is_latest(task)

    def _callback(self, task: Task, kind: str) -> Callable | None:
        return self._callbacks.get(task.id, {}).get(kind)

    @Slot(object)
    def _on_thread_started(self, task: Task) -> None:
        if not self._current(task):
            return
        self.started.emit(task)
        if cb := self._callback(task, "started"):
            cb(task)

    @Slot(object, float, str)
    def _on_thread_progress(self, task: Task, fraction: float, text: str) -> None:
        if task.finished or not self._current(task):
            return
        self.progress.emit(task, fraction, text)
        if cb := self._callback(task, "progress"):
            cb(task, fraction, text)

    @Slot(object, object)
    def _on_thread_done(self, task: Task, result: Any) -> None:
        task.result = result
        self._finish(task, "done", result)

    @Slot(object, object)
    def _on_thread_failed(self, task: Task, error: ExplorerError) -> None:
        task.error = error
        self._finish(task, "failed", error)

    def _finish(self, task: Task, kind: str, payload: Any) -> None:
        task.finished = True
        self._running.pop(task.id, None)
        self._payloads.pop(task.id, None)
        callbacks = self._callbacks.pop(task.id, {})
        try:
            if self._current(task):
                (self.done if kind == "done" else self.failed).emit(task, payload)
                if cb := callbacks.get(kind):
                    cb(task, payload)
        finally:
            self.finished.emit(task)
            tensorflow_watch().check()  # a task may have imported TensorFlow: the status bar says so


class TensorFlowWatch(QObject):
    """Says once, on the GUI thread, that TensorFlow is now imported (in the engine, or by any worker's task)."""

    loaded = Signal(str)  # TensorFlow's version

    def __init__(self):
        super().__init__()
        self.version: str | None = None

    def check(self) -> str | None:
        """TensorFlow's version if it is loaded (emitting `loaded` the first time it is seen), else None."""
        if self.version is None:
            tf = sys.modules.get("tensorflow")
            # A module still being imported on another thread has no __version__ yet: the next task's end tells.
            version = getattr(tf, "__version__", None) if tf is not None else None
            version = version or (_ENGINE.tensorflow_version if _ENGINE is not None else None)
            if version:
                self.version = str(version)
                self.loaded.emit(self.version)
        return self.version


_WATCH: TensorFlowWatch | None = None


def tensorflow_watch() -> TensorFlowWatch:
    """The process-wide TensorFlowWatch (created on first use, on the GUI thread, where Workers deliver)."""
    global _WATCH
    if _WATCH is None:
        _WATCH = TensorFlowWatch()
    return _WATCH


_ENGINE: Engine | None = None


def window_engine() -> Engine:
    """The window's TensorFlow engine process (started by its first request, again after a crash)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def open_runner(target, engine: str = "auto", version: int | None = None, **options):
    """core.targets.open_runner for the window: a model folder and a TF Serving gRPC endpoint (whose messages import
    TensorFlow) run in the engine process; REST and KServe V2 servers in this one."""
    from explorer.core.targets import open_runner as core_open_runner

    return core_open_runner(target, engine, version, in_engine=window_engine(), **options)


def in_engine(function: str, what: str) -> Callable:
    """A plain function for Worker.submit that runs the core function named "module:function" in the engine
    (re-export, conversion: TensorFlow work that must not run in the window's process). Its progress comes back;
    a Cancel stops the engine."""
    def call(*args, progress=None, cancelled=None, **kwargs):
        return window_engine().call(function, *args, what=what, progress=progress, **kwargs)

    call.__qualname__ = call.__name__ = function.rpartition(":")[2]
    return call
