"""The window's side of the engine: Engine starts the child process and sends it requests; EngineRunner is a Runner
whose model lives in the engine.

A crash, abort or kill of the engine is an EngineCrashed error naming what it was doing and the signal; the next
request starts a fresh engine and EngineRunners open their model there again. A request is stopped within ~50 ms
by Engine.interrupt() or by the `stop` callable of the thread's `stoppable()` scope (a worker task's Cancel):
TensorFlow calls cannot be interrupted, so the engine is killed and restarted.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from ..errors import EngineCrashed, ExplorerError, RunStopped
from . import frames

Progress = Callable[[float, str], None]  # as runners.base, which this module must not import (numpy: start-up)


def no_progress(fraction: float, text: str) -> None:
    """Ignore progress."""

RECYCLE_MB = 100  # an engine this much larger than before its first model, once all are closed, ends (see release)
POLL_S = 0.05
ENGINE_FLAG = "--engine-process"  # a frozen bundle has no `-m`: packaging/entry.py starts the engine on this flag  # how often a waiting request looks at its stop flag: Cancel acts within this
LOCAL_RUNNER = "explorer.core.runners.local:LocalRunner"
LITE_RUNNER = "explorer.core.runners.litert:LiteRunner"  # .tflite models (LiteRT, no TensorFlow import)
GRPC_RUNNER = "explorer.core.runners.grpc:GrpcRunner"  # TF Serving gRPC: its official messages import TensorFlow
IMPORT_TENSORFLOW = "explorer.core.engine.process:import_tensorflow"
SET_GRANTS = "explorer.core.engine.process:set_grants"
_scope = threading.local()


@contextlib.contextmanager
def stoppable(stop: Callable[[], bool]):
    """Within this block, engine requests made by this thread are stopped (the engine killed) once stop() is True."""
    previous = getattr(_scope, "stop", None)
    _scope.stop = stop
    try:
        yield
    finally:
        _scope.stop = previous


def _stop_requested() -> bool:
    stop = getattr(_scope, "stop", None)
    return bool(stop and stop())


def _window_grants() -> frozenset:
    """Consent keys granted in this process (core.scan), which the engine is given before each request."""
    scan = sys.modules.get("explorer.core.scan")  # not loaded: nothing was granted (and no import for it)
    return scan.granted_in_process() if scan is not None else frozenset()


def describe_exit(returncode: int | None) -> str:
    """'signal 9 (SIGKILL)', 'exit code 3' or 'no exit status'."""
    if returncode is None:
        return "no exit status"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown"
        return f"signal {-returncode} ({name})"
    return f"exit code {returncode}"


class Engine:
    """One engine process, started on the first request and again after it died; thread-safe (one request at a
    time, the others wait)."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self.generation = 0  # +1 per process started: handles of an older generation died with it
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()  # one request at a time
        self._state = threading.Lock()  # guards _process/_sock/_busy against interrupt() from another thread
        self._busy: str | None = None  # what the running request does ("running serving_default on model")
        self._interrupted = False
        self._ids = itertools.count(1)
        self._arena = frames.Arena()  # large request arrays cross here (frames.py)
        self._grants_sent: frozenset = frozenset()  # the consent grants the running engine was given
        self.last_exit: str | None = None  # how the previous process ended, when it crashed
        self.tensorflow_version: str | None = None  # once the engine has imported TensorFlow

    # --- state ---------------------------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def busy(self) -> str | None:
        """What the running request does, or None when the engine is idle."""
        return self._busy

    def running(self) -> bool:
        return self.pid is not None

    # --- requests ------------------------------------------------------------------------------------------------

    def call(self, function: str, *args, what: str = "", progress: Progress | None = None, **kwargs):
        """Run the core callable named "module:function" in the engine; its return value comes back."""
        return self.request(("call", function, args, kwargs), what or f"running {function}", progress)

    def new(self, factory: str, *args, what: str = "", **kwargs) -> tuple[int, int]:
        """Create an object in the engine; returns (generation, handle) for method()/release()."""
        handle = self.request(("new", factory, args, kwargs), what or f"creating {factory}")
        return self.generation, handle

    def method(self, ref: tuple[int, int], name: str, *args, attributes: tuple[str, ...] = (), what: str = "",
               progress: Progress | None = None, **kwargs):
        """Call a method of an engine object; returns (result, {attribute: value after the call})."""
        generation, handle = ref
        if generation != self.generation or not self.running():
            raise _Gone()
        return self.request(("method", handle, name, args, kwargs, tuple(attributes)), what or name, progress)

    def release(self, ref: tuple[int, int]) -> None:
        """Close and forget an engine object; a dead engine's are gone.

        TensorFlow keeps most of a closed model's memory (measured: 1 MB of 126 MB came back after close, gc and
        malloc_trim), so when the last object is closed and the engine is still RECYCLE_MB larger than before its
        first one was opened, the engine process ends: all of its memory goes back, and the next request starts a
        fresh one. Small models do not cost the next one a TensorFlow import."""
        generation, handle = ref
        if generation != self.generation or not self.running():
            return
        try:
            answer = self.request(("release", handle), "closing a model")
        except ExplorerError:
            return
        grown = answer.get("grown_mb") if isinstance(answer, dict) else None
        if isinstance(answer, dict) and answer.get("left") == 0 and (grown is None or grown > RECYCLE_MB):
            with self._lock:
                if self.generation == generation:
                    self.stop()

    def request(self, body: tuple, what: str, progress: Progress | None = None):
        """Send one request and wait for its answer (see process.py for the kinds)."""
        progress = progress or no_progress
        if _stop_requested():
            raise RunStopped(f"Stopped before {what}.")
        with self._lock:
            self._ensure_started()
            grants = _window_grants()
            if grants != self._grants_sent:
                self._exchange(("call", SET_GRANTS, (sorted(grants),), {}), what, no_progress)
                self._grants_sent = grants
            return self._exchange(body, what, progress)

    def _exchange(self, body: tuple, what: str, progress: Progress):
        call_id = next(self._ids)
        sock = self._sock
        with self._state:
            self._busy, self._interrupted = what, False
        try:
            frames.send(sock, (body[0], call_id, *body[1:]), self._arena)
            while True:
                if not self._wait_readable(sock):
                    continue
                kind, _, *rest = frames.receive(sock)
                if kind == "progress":
                    progress(*rest)
                elif kind == "done":
                    if len(rest) > 1 and rest[1]:
                        self.tensorflow_version = rest[1]
                    return rest[0]
                else:
                    raise rest[0]
        except (frames.PeerGone, OSError) as exc:
            raise self._lost(what) from exc
        finally:
            with self._state:
                self._busy = None

    def interrupt(self) -> bool:
        """Stop the running request now (the engine is killed; the next request starts a fresh one). True when a
        request was running."""
        with self._state:
            if self._busy is None or self._process is None:
                return False
            self._interrupted = True
            self._kill_locked()
            return True

    def stop(self) -> None:
        """End the engine (window closed); its models go with it."""
        with self._state:
            self._interrupted = True
            process, sock = self._process, self._sock
            self._process = self._sock = None
        if sock is not None:
            sock.close()  # the engine sees the end of its input and exits
        if process is not None:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # --- process -------------------------------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        with self._state:
            self._close_locked()
            parent, child = socket.socketpair()
            env = dict(os.environ)
            root = str(Path(__file__).resolve().parents[3])  # the folder that holds the explorer package
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            try:
                frozen = getattr(sys, "frozen", False) and self.python == sys.executable
                command = [self.python, ENGINE_FLAG] if frozen else [self.python, "-m", "explorer.core.engine.process"]
                self._process = subprocess.Popen(
                    command + [str(child.fileno())],
                    pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL, close_fds=True)
            except OSError as exc:
                parent.close()
                raise EngineCrashed(f"TensorFlow's engine process could not start: {exc}.",
                                    fix="Check that the app's Python can run: " + self.python) from exc
            finally:
                child.close()
            self._sock = parent
            self.generation += 1
            self.tensorflow_version = None
            self._grants_sent = frozenset()

    def _wait_readable(self, sock) -> bool:
        """Wait up to POLL_S for an answer; kill the engine when this request is to stop."""
        if _stop_requested() and not self._interrupted:
            self.interrupt()
        readable, _, _ = select.select([sock], [], [], POLL_S)
        return bool(readable)

    def _lost(self, what: str) -> ExplorerError:
        process = self._process
        returncode = None
        if process is not None:
            try:
                returncode = process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                returncode = process.wait()
        with self._state:
            interrupted = self._interrupted
            self._close_locked()
        if interrupted:
            return RunStopped(f"Stopped while {what}.",
                              fix="TensorFlow was stopped; the next run starts it again and reloads the model.")
        self.last_exit = describe_exit(returncode)
        return EngineCrashed(f"{CRASHED}{what}: {self.last_exit}.",
                             fix="Your inputs are kept. The next run starts a fresh TensorFlow; if it crashes again, "
                                 "this model or these inputs hit a bug in TensorFlow.")

    def _kill_locked(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    def _close_locked(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


CRASHED, STOPPED_AGAIN = "TensorFlow crashed while ", "TensorFlow's engine stopped again while "


class _Gone(Exception):
    """An engine object died with its engine: open it again."""


class _InEngine:
    """An object made in the engine by `factory` and reopened there after the engine restarted; subclasses say how
    it is opened (_open_in_engine) and which attributes come back after each call (ATTRIBUTES)."""

    ATTRIBUTES: tuple[str, ...] = ()

    def __init__(self, engine: Engine, factory: str):
        self.process = engine
        self.factory = factory
        self._ref: tuple[int, int] | None = None
        self._lock = threading.Lock()

    name = "the model"

    def close(self) -> None:
        """Release the object in the engine (its memory goes back to the system)."""
        with self._lock:
            ref, self._ref = self._ref, None
            self._closed()
        if ref is not None:
            self.process.release(ref)

    def _closed(self) -> None:
        """Reset what the engine's object had told us (called under the lock)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _method(self, name: str, *args, what: str, progress: Progress = no_progress, **kwargs):
        for attempt in (1, 2):
            ref = self._remote(what)
            try:
                result, state = self.process.method(ref, name, *args, attributes=self.ATTRIBUTES, what=what,
                                                     progress=progress, **kwargs)
            except _Gone:  # the engine was restarted since we opened the object there: open it again, once
                with self._lock:
                    if self._ref == ref:
                        self._ref = None
                if attempt == 2:
                    raise EngineCrashed(f"{STOPPED_AGAIN}{what}.") from None
                continue
            self._update(state)
            return result

    def _update(self, state: dict) -> None:
        """Take the attributes the engine's object has after a call."""

    def _remote(self, what: str) -> tuple[int, int]:
        with self._lock:
            ref = self._ref
            if ref is None or ref[0] != self.process.generation or not self.process.running():
                ref = self._open_in_engine()
                self._ref = ref
            return ref

    def _open_in_engine(self) -> tuple[int, int]:
        raise NotImplementedError


class EngineRunner(_InEngine):
    """A Runner whose model lives in the engine: `factory` names the runner class made there (LocalRunner for
    SavedModels, LiteRunner for .tflite). The same protocol (signatures, load, predict, close; `engine` becomes
    "local" or "session" once a SavedModel is loaded)."""

    ATTRIBUTES = ("engine", "notes")

    def __init__(self, engine: Engine, path, engine_kind: str = "auto", version: int | None = None, *,
                 factory: str = LOCAL_RUNNER, **options):
        from ..runners.local import ENGINES  # no TensorFlow: the module imports it on first load
        from ..savedmodel import read_model

        if factory == LOCAL_RUNNER and engine_kind not in ENGINES:
            raise ExplorerError(f"Unknown engine {engine_kind!r} for a model folder.",
                                fix=f"Use one of: {', '.join(ENGINES)}.")
        super().__init__(engine, factory)
        self.info = read_model(path, version=version, tag_set=options.get("tag_set"))
        self.requested_engine = engine_kind
        self.engine = engine_kind
        self.target = str(path)
        self.notes: tuple[str, ...] = ()
        self._open = (str(path), engine_kind, version, dict(options))

    @property
    def name(self) -> str:
        name = Path(self.target).name or self.target
        return f"{name} version {self.info.version}" if self.info.version is not None else name

    def signatures(self):
        """The signatures a user may call, read from the folder in this process (no TensorFlow)."""
        return self.info.user_signatures

    def load(self, progress: Progress = no_progress) -> float:
        """Load the model in the engine now; the load time in ms (0 when it was loaded)."""
        return self._method("load", what=f"loading {self.name}", progress=progress)

    def predict(self, request, progress: Progress = no_progress):
        """Run one request in the engine; its failures come back as the same explained errors as in-process."""
        signature = request.signature or self.info.default_signature or ""
        return self._method("predict", request, what=f"running {signature} on {self.name}", progress=progress)

    def _closed(self) -> None:
        self.engine = self.requested_engine

    def __repr__(self) -> str:
        return f"EngineRunner({self.info.model_dir!r}, engine={self.engine!r})"

    def _update(self, state: dict) -> None:
        self.engine = state.get("engine") or self.engine
        self.notes = tuple(state.get("notes") or ())

    def _open_in_engine(self) -> tuple[int, int]:
        path, kind, version, options = self._open
        if self.factory == LOCAL_RUNNER and (self.process.tensorflow_version is None or not self.process.running()):
            # Imported before the model is opened, so that the engine's weight without models includes
            # TensorFlow (Engine.release) -- and a kill during the import reads as one during the load.
            self.process.call(IMPORT_TENSORFLOW, what=f"loading {self.name}")
        return self.process.new(self.factory, path, engine=kind, version=version, what=f"opening {self.name}",
                                **options)


class EngineGrpcRunner(_InEngine):
    """A TF Serving gRPC runner (runners.grpc.GrpcRunner) that lives in the engine, because TF Serving's official
    messages import TensorFlow: the same protocol and calls (signatures, metadata, status, predict, close)."""

    ATTRIBUTES = ("_served_version",)
    engine = "grpc"

    def __init__(self, engine: Engine, target, **options):
        from ..runners.grpc import Endpoint, endpoint_of  # no TensorFlow: the messages are imported on first call

        super().__init__(engine, GRPC_RUNNER)
        endpoint = endpoint_of(target)
        version, label = options.get("version"), options.get("label")
        if version is not None or label is not None:
            endpoint = Endpoint(endpoint.host, endpoint.port, endpoint.model, version, label, endpoint.tls)
        self.endpoint = endpoint
        self.target = endpoint.url()
        self.name = self.target
        self._served_version: int | None = None
        self._open = (target, dict(options))

    def signatures(self):
        """Signatures from the server's metadata (fetched once in the engine, then cached there)."""
        return self._method("signatures", what=f"reading the signatures of {self.target}")

    def metadata(self):
        """GetModelMetadata -> signatures."""
        return self._method("metadata", what=f"asking {self.target} for its metadata")

    def status(self):
        """Every version the server knows of this model, newest first."""
        return self._method("status", what=f"asking {self.target} for its versions")

    def predict(self, request, progress: Progress = no_progress, *, output_filter=None):
        """Predict, Classify or Regress on the server, sent from the engine."""
        kwargs = {"output_filter": output_filter} if output_filter else {}
        return self._method("predict", request, what=f"running {request.signature or 'the default signature'} on "
                                                     f"{self.target}", progress=progress, **kwargs)

    def _method(self, name: str, *args, what: str, progress: Progress = no_progress, **kwargs):
        try:
            return super()._method(name, *args, what=what, progress=progress, **kwargs)
        except EngineCrashed as exc:
            # Here the engine was only the gRPC client (TF Serving's messages import TensorFlow): no model of the
            # user's ran in it, so "this model or these inputs hit a bug in TensorFlow" would blame the wrong thing.
            # The crash names the step that was under way (connecting, or the call itself): keep it.
            step = exc.message.removeprefix(CRASHED).removeprefix(STOPPED_AGAIN).rstrip(".")
            raise EngineCrashed(
                f"The app's gRPC client process ended while {step}.", details=exc.details,
                fix="The server did not cause this and your inputs are kept; the next run starts a new client. "
                    "If it ends again, something on this machine stops it (a SIGKILL is often the out-of-memory "
                    "killer).") from None

    def _update(self, state: dict) -> None:
        self._served_version = state.get("_served_version", self._served_version)

    def _closed(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"EngineGrpcRunner({self.target!r})"

    def _open_in_engine(self) -> tuple[int, int]:
        target, options = self._open
        if self.process.tensorflow_version is None or not self.process.running():
            # As for a local model: TensorFlow counts in the engine's weight without objects, so that closing the
            # last runner does not end the engine only to import TensorFlow again on the next refresh.
            self.process.call(IMPORT_TENSORFLOW, what=f"connecting to {self.target}")
        return self.process.new(self.factory, target, what=f"connecting to {self.target}", **options)
