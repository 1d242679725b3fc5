"""The engine's side: `python -m explorer.core.engine.process FD` serves one window over the socket FD.

Requests (tuples): ("call", id, "module:function", args, kwargs) runs a core callable by name;
("new", id, "module:factory", args, kwargs) keeps the object it returns and answers its handle;
("method", id, handle, name, args, kwargs, attributes) calls a method of a kept object and answers
(result, {attribute: value}); ("release", id, handle) closes and forgets one and gives its memory back.
Answers: ("progress", id, fraction, text) any number of times, then ("done", id, value) or ("failed", id, error).
One request at a time: TensorFlow calls on one model are serialised anyway, and the window waits for each answer.
"""
from __future__ import annotations

import ctypes
import importlib
import inspect
import itertools
import os
import pickle
import signal
import socket
import sys
import threading
import time
import traceback

from ..errors import ExplorerError
from . import frames


PROGRESS_S = 0.05


def resolve(name: str):
    """The callable named "package.module:attribute" (only explorer's own modules)."""
    module, _, attribute = name.partition(":")
    if not (module == "explorer" or module.startswith("explorer.")) or not attribute:
        raise ExplorerError(f"The engine runs explorer's own functions only, not {name!r}.")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def import_tensorflow() -> str:
    """Import TensorFlow in the engine (quietly, as the local runner does); its version."""
    from ..runners.local import tensorflow

    return str(tensorflow().__version__)


def set_grants(keys) -> None:
    """The window's consent grants (core.scan), so the engine loads exactly the models the user agreed to run."""
    from .. import scan

    scan.forget_in_process()
    scan.grant_in_process(keys)


def _wants_progress(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _portable(exc: BaseException) -> ExplorerError:
    """An error the window can unpickle: ExplorerErrors as they are (with the traceback), others wrapped."""
    details = traceback.format_exc()
    if isinstance(exc, ExplorerError):
        if not exc.details:
            exc.details = details
        exc.__cause__ = exc.__context__ = None  # TensorFlow's exception classes need not unpickle in the window
        exc.__traceback__ = None
        return exc
    return ExplorerError(f"{type(exc).__name__}: {exc}", details=details)


def give_memory_back() -> None:
    """Hand freed heap pages back to the system (glibc keeps them otherwise). The engine leaves garbage collection
    automatic (no Qt here: the window's rule of collecting on its GUI thread does not apply)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):
            pass


def rss_mb() -> float | None:
    """This process's resident memory in MB (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Engine:
    """The objects this engine holds, and one request's handling."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.mappings = frames.Mappings()  # the window's request arena, mapped once
        self.objects: dict[int, object] = {}
        self._handles = itertools.count(1)
        self.idle_rss = rss_mb()

    def serve(self) -> None:
        while True:
            try:
                request = frames.receive(self.sock, self.mappings)
            except (frames.PeerGone, OSError):
                return  # the window went away: so do we
            self.handle(request)
            del request  # its arrays view the window's arena, which the next request overwrites

    def handle(self, request: tuple) -> None:
        kind, call_id = request[0], request[1]
        started, last = time.monotonic(), [0.0]

        def progress(fraction: float, text: str = "") -> None:
            # Only for calls that take a while, at most every PROGRESS_S: a fast call answers in one message (each
            # message is a hand-over between the processes, which costs most on a busy machine).
            now = time.monotonic()
            if now - started >= PROGRESS_S and now - last[0] >= PROGRESS_S:
                last[0] = now
                frames.send(self.sock, ("progress", call_id, float(fraction), str(text)))

        try:
            if kind == "call":
                _, _, name, args, kwargs = request
                fn = resolve(name)
                value = fn(*args, **self._with_progress(fn, kwargs, progress))
            elif kind == "new":
                _, _, name, args, kwargs = request
                if not self.objects:  # what the engine weighs with nothing open (TensorFlow imported or not)
                    self.idle_rss = rss_mb()
                obj = resolve(name)(*args, **kwargs)
                handle = next(self._handles)
                self.objects[handle] = obj
                value = handle
            elif kind == "method":
                _, _, handle, name, args, kwargs, attributes = request
                obj = self.objects[handle]
                fn = getattr(obj, name)
                result = fn(*args, **self._with_progress(fn, kwargs, progress))
                value = (result, {a: getattr(obj, a, None) for a in attributes})
            elif kind == "release":
                obj = self.objects.pop(request[2], None)
                close = getattr(obj, "close", None)
                del obj
                if callable(close):
                    close()
                del close
                give_memory_back()
                rss = rss_mb()
                value = {"left": len(self.objects),
                         "grown_mb": None if rss is None or self.idle_rss is None else rss - self.idle_rss}
            elif kind == "pid":
                value = os.getpid()
            else:
                raise ExplorerError(f"The engine does not know the request {kind!r}.")
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the window as a message
            frames.send(self.sock, ("failed", call_id, _portable(exc)))
            return
        tf = sys.modules.get("tensorflow")
        try:
            frames.send(self.sock, ("done", call_id, value, getattr(tf, "__version__", None) if tf else None))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # pickled before anything is sent
            frames.send(self.sock, ("failed", call_id, ExplorerError(
                f"The engine cannot send back a {type(value).__name__}: {exc}.", details=traceback.format_exc())))

    @staticmethod
    def _with_progress(fn, kwargs: dict, progress) -> dict:
        if "progress" not in kwargs and _wants_progress(fn):
            return {**kwargs, "progress": progress}
        return kwargs


def _die_with_parent() -> None:
    """Exit when the window's process is gone, even in the middle of a TensorFlow call that never returns.
    (PR_SET_PDEATHSIG would fire when the window's *thread* that started us ends, not its process.)"""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="engine-parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the window's terminal is the window's to handle
    sock = socket.socket(fileno=int(argv[0]))
    Engine(sock).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
