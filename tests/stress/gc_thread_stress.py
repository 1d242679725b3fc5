"""Stress: deleted windows left to the garbage collector while worker threads allocate (issue 13, item 17).

Each round opens the app's MainWindow with its panels and a pyqtgraph plot, closes and deletes it as pytest-qt does
(close, deleteLater, the deferred delete). Its C++ side is gone, but its Python objects sit in reference cycles that
only the cyclic collector frees -- among them pyqtgraph's plot items, each holding a parentless QMenu and a
parentless QMenu subclass that are still alive. Meanwhile the app's Worker runs functions that allocate, so with
automatic collection on, full collections start on the pool threads. A heartbeat line goes to stdout each round;
when no round ends for --stall seconds, faulthandler prints every Python stack and ends the run with exit code 1
(--keep-hung leaves it hung instead, to attach gdb for the C stacks; run_until_hang.py does that).

Not part of `make test` (it is a race: see tests/stress/README.md for what it measured). From a checkout root:
    PYTHONPATH=$PWD QT_QPA_PLATFORM=offscreen python tests/stress/gc_thread_stress.py --seconds 120 [--plain-qapp]
"""
from __future__ import annotations

import argparse
import faulthandler
import gc
import os
import sys
import tempfile
import threading
import time
import weakref


def churn(n: int) -> int:
    """Worker-thread work that allocates cyclic garbage (the kind that makes Python collect in this thread)."""
    # Kept alive for the whole call, they survive the young collections and reach the oldest generation, which is
    # what makes Python start full collections (3.11 runs one when that generation grew by a quarter).
    kept = []
    for i in range(n):
        a = {"i": i, "items": [i, str(i)]}
        a["self"] = a
        kept.append(a)
    return len(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="stop after this long (default 120)")
    parser.add_argument("--rounds", type=int, default=0, help="stop after this many rounds (0: no limit)")
    parser.add_argument("--threshold", type=int, nargs=3, default=(200, 2, 2), metavar=("G0", "G1", "G2"),
                        help="gc thresholds (default 200 2 2: a full collection every few hundred allocations)")
    parser.add_argument("--jobs", type=int, default=4, help="allocating tasks kept in flight (default 4)")
    parser.add_argument("--churn", type=int, default=20000, help="objects each task allocates (default 20000)")
    parser.add_argument("--stall", type=float, default=30.0,
                        help="a run with no round for this long is hung: print every stack and exit 1 (default 30)")
    parser.add_argument("--keep-hung", action="store_true", help="print the stacks of a hung run but do not end it")
    parser.add_argument("--plain-qapp", action="store_true",
                        help="start Qt with a bare QApplication (as the quick looks do), not the app's create_app()")
    parser.add_argument("--log-every", type=int, default=1, help="print a heartbeat line every N rounds")
    parser.add_argument("--windows", type=int, default=1, help="windows opened and deleted per round (default 1)")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    config = tempfile.TemporaryDirectory(prefix="gc-stress-")
    os.environ["SIGNATURE_EXPLORER_CONFIG_DIR"] = config.name
    gc.set_threshold(*args.threshold)  # before Qt starts: a GUI-thread collector uses these too

    if args.plain_qapp:
        # As the widgets' quick looks (python -m explorer.ui.widgets.X, ui/quick_look.py) start Qt.
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(sys.argv[:1])
    else:
        from explorer.ui.app import create_app

        app = create_app()
    from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu
    from PySide6.QtCore import QEvent

    import numpy as np

    from explorer.ui.main_window import MainWindow
    from explorer.ui.widgets.plots import PlotView
    from explorer.ui.workers import Worker

    worker = Worker()
    in_flight: set[int] = set()
    submitted = [0]

    def top_up() -> None:
        while len(in_flight) < args.jobs:
            submitted[0] += 1
            task = worker.submit(churn, args.churn, caller=f"churn-{submitted[0] % 64}", supersede=False)
            in_flight.add(task.id)

    worker.finished.connect(lambda task: in_flight.discard(task.id))

    main_thread = threading.get_ident()
    full = {"main": 0, "worker": 0, "worker_found": 0}
    freed = {"main": 0, "worker": 0}
    refs = set()
    watched = weakref.WeakSet()

    def on_freed(ref) -> None:
        freed["main" if threading.get_ident() == main_thread else "worker"] += 1
        refs.discard(ref)

    def watch_new_menus() -> None:
        for menu in [o for o in gc.get_objects() if isinstance(o, ViewBoxMenu) and o not in watched]:
            watched.add(menu)
            refs.add(weakref.ref(menu, on_freed))  # the callback runs on the thread that frees the menu

    def on_gc(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            where = "main" if threading.get_ident() == main_thread else "worker"
            full[where] += 1
            if where == "worker" and info["collected"]:
                full["worker_found"] += 1

    gc.callbacks.append(on_gc)
    import explorer

    print(f"pid {os.getpid()} python {sys.version.split()[0]} gc enabled={gc.isenabled()} "
          f"threshold={gc.get_threshold()} explorer from {os.path.dirname(explorer.__file__)}", flush=True)
    faulthandler.dump_traceback_later(args.stall, repeat=args.keep_hung, exit=not args.keep_hung)
    started = time.monotonic()
    rounds = 0
    try:
        while time.monotonic() - started < args.seconds and (not args.rounds or rounds < args.rounds):
            top_up()
            for _ in range(args.windows):
                window = MainWindow()
                if hasattr(type(window), "build_panels"):
                    window.build_panels()  # built on the first idle after the first paint since the lazy start-up
                # A plot in the window, as after a run (the window creates its plots lazily): pyqtgraph's PlotItem
                # keeps a parentless QMenu and its ViewBox a parentless QMenu subclass.
                window.stress_plot = PlotView(window)
                window.stress_plot.show_array(np.arange(12.0).reshape(3, 4))
                window.show()
                app.processEvents()
                watch_new_menus()
                window.close()
                window.deleteLater()
                app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
                del window
            deadline = time.monotonic() + 0.05
            while time.monotonic() < deadline:
                app.processEvents()
                top_up()
            rounds += 1
            faulthandler.dump_traceback_later(args.stall, repeat=args.keep_hung, exit=not args.keep_hung)  # re-armed
            if rounds % args.log_every == 0:
                print(f"round {rounds} t={time.monotonic() - started:.1f}s tasks={submitted[0]} "
                      f"full collections {full} ViewBox menus freed on {freed}", flush=True)
    finally:
        faulthandler.cancel_dump_traceback_later()
    print(f"done: {rounds} rounds, {submitted[0]} tasks in {time.monotonic() - started:.1f}s, no hang; "
          f"full collections {full} ViewBox menus freed on {freed}", flush=True)
    worker.cancel()
    worker.wait(10000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
