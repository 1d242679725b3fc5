"""The desktop app: `main(argv) -> int` creates the QApplication, shows the MainWindow at once, then opens PATH.

`python -m explorer.ui.app [PATH] [--model-version N] [--tag-set serve,gpu]`. TensorFlow is not imported here: the window
appears in a fraction of a second and models are read without it (explorer.core.savedmodel).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from explorer import resources
from explorer.core.errors import ExplorerError

APP_NAME = "Signature Explorer"
ORG_NAME = "Signature Explorer"
ORG_DOMAIN = "signature-explorer.example"  # QSettings needs a domain on macOS; we keep real settings in JSON
ICON = resources.icon_path()
DEMO_MODEL = resources.demo_model_path()
SMOKE_TIMEOUT_S = 300  # a cold TensorFlow import from a frozen bundle on a busy 2-core machine takes a while


def build_parser() -> argparse.ArgumentParser:
    """The app's command line; later options (e.g. --smoke-test for packaging) are added here."""
    parser = argparse.ArgumentParser(prog="signature-explorer", description="Open the Signature Explorer window.")
    parser.add_argument("path", nargs="?", help="SavedModel folder, TF Serving base path, or saved_model.pb")
    # --version prints the app's version, as everywhere; a model's version has its own spelling here.
    parser.add_argument("--model-version", type=int, default=None, metavar="N",
                        help="version of a TF Serving base path (default: the newest)")
    parser.add_argument("-V", "--version", action="store_true", help="print the app's and TensorFlow's versions")
    parser.add_argument("--tag-set", default=None, help="comma-separated tags (default: serve)")
    shots = parser.add_argument_group("screenshots (for the README; work offscreen)")
    shots.add_argument("--screenshot", metavar="PNG", help="open PATH, save the window as PNG, and quit")
    shots.add_argument("--size", default="1280x800", help="window size for --screenshot (default 1280x800)")
    shots.add_argument("--select", default="", metavar="SIG[/inputs|outputs[/KEY]]",
                       help="row to select before the screenshot (default: the default signature)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open PATH (default: the demo model), predict once with its default signature, print "
                             "one line and quit: 0 when it worked, 1 when not (packaging checks; works offscreen)")
    return parser


def create_app(qt_args: list[str] | None = None) -> QApplication:
    """The QApplication with our names and icon (reuses an existing one, as under pytest-qt)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *(qt_args or [])])
    from .collector import collect_on_gui_thread

    collect_on_gui_thread()  # cycles holding Qt objects must never be collected on a worker thread
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setDesktopFileName("signature-explorer")
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the app until its window closes; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args, qt_args = build_parser().parse_known_args(argv)  # unknown options (e.g. -platform) are Qt's
    if args.version:
        from explorer.core.versions import version_lines

        print("\n".join(version_lines()))
        return 0
    if args.smoke_test:
        return smoke_test(args.path or str(DEMO_MODEL), qt_args, version=args.model_version, tag_set=args.tag_set)
    if _headless() and "-platform" not in qt_args:
        if not args.screenshot:
            # Qt would abort with a page about xcb plugins; say what is wrong in one line instead.
            sys.stderr.write("error: no display (DISPLAY/WAYLAND_DISPLAY unset). Run on a desktop, under xvfb-run, "
                             "or use the command line: signature-explorer inspect PATH\n")
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    app = create_app(qt_args)
    from .main_window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    window.sessions.launch_path = args.path  # a restore offer must be about the model asked for
    uninstall = install_exception_hooks(window)
    if args.screenshot:
        _prepare_screenshot(window, args)
    window.show()
    if args.path:
        # Read on a worker (a slow disk never delays the first paint); asked now, so the window knows its first
        # screen is this model's tree and builds its other panels after that.
        window.open_model(args.path, version=args.model_version, tag_set=args.tag_set)
    # Ctrl+C in the terminal should quit: Qt's loop otherwise keeps Python's SIGINT handler from running.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return app.exec()
    finally:
        uninstall()


def smoke_test(path: str, qt_args: list[str] | None = None, version: int | None = None, tag_set=None) -> int:
    """Open `path` in a (hidden) MainWindow, run its default signature once through the GUI's worker and runner
    path, print one line and return 0; any failure prints one line and returns 1."""
    import tempfile
    import time

    import numpy as np

    if _headless() and "-platform" not in (qt_args or []):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # A check must not add the demo model to the user's recent list or autosave over their session.
    config = None
    if not os.environ.get("SIGNATURE_EXPLORER_CONFIG_DIR"):
        config = tempfile.TemporaryDirectory(prefix="signature-explorer-smoke-")
        os.environ["SIGNATURE_EXPLORER_CONFIG_DIR"] = config.name
    started = time.perf_counter()
    result = {"code": 1, "line": "smoke test FAILED: timed out"}
    try:
        app = create_app(qt_args)
        from explorer.core.sources import Source

        from .main_window import MainWindow
        from .run_panel import RunSpec, run_request

        window = MainWindow()
        opened_at = [0.0]

        def finish(code: int, line: str) -> None:
            result.update(code=code, line=line)
            app.exit(code)

        def on_run_done(_task, outcome) -> None:
            p = outcome.prediction
            shapes = ", ".join(f"{k} {tuple(np.shape(v))} {getattr(v, 'dtype', '')}" for k, v in p.outputs.items())
            timing = ", ".join(f"{k} {v:.0f} ms" for k, v in p.timing_ms.items())
            finish(0, f"smoke test ok: {Path(path).name} {p.signature} via {p.engine}: {shapes}; read "
                      f"{opened_at[0]:.0f} ms, {timing}, total {time.perf_counter() - started:.1f} s")

        def on_failed(_task, error) -> None:
            finish(1, f"smoke test FAILED: {error}".replace("\n", " "))

        def on_opened(info) -> None:
            opened_at[0] = (time.perf_counter() - started) * 1000
            signature = info.signatures.get(info.default_signature or "") or next(iter(info.user_signatures.values()),
                                                                                  None)
            if signature is None:
                finish(1, f"smoke test FAILED: {info.path} has no signature to run")
                return
            # Inputs from the specs alone: seeded uniform values of each input's dtype and shape, batch 1.
            sources = {k: Source("fill", fill="uniform", params={"seed": 0}) for k in signature.inputs}
            options = (("tag_set", tuple(info.tag_set)),) if info.tag_set else ()
            spec = RunSpec(info.path, "folder", "auto", info.version, options)
            window.worker.submit(run_request, None, spec, signature, sources, 1, None, caller="smoke",
                                 name=f"running {signature.key}", on_done=on_run_done, on_failed=on_failed)

        window.model_opened.connect(on_opened)
        window.worker.failed.connect(lambda task, error: task.caller == "model" and on_failed(task, error))
        QTimer.singleShot(0, lambda: window.open_model(path, version=version, tag_set=tag_set))
        QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, lambda: finish(1, f"smoke test FAILED: no prediction within "
                                                                    f"{SMOKE_TIMEOUT_S} s"))
        app.exec()
        window.worker.wait(10000)
        window.close()
    except Exception as exc:  # noqa: BLE001 - the one line must say what broke, whatever it was
        result.update(code=1, line=f"smoke test FAILED: {type(exc).__name__}: {exc}")
    finally:
        if config is not None:
            os.environ.pop("SIGNATURE_EXPLORER_CONFIG_DIR", None)
            config.cleanup()
    print(result["line"], flush=True)
    return int(result["code"])


def _prepare_screenshot(window, args) -> None:
    """Once PATH is open (or failed), select the asked row, save the window to args.screenshot and quit."""
    width, _, height = args.size.partition("x")
    window.resize(int(width), int(height))

    def save(*_):
        if args.select:
            window.tree.select_path(tuple(args.select.split("/")))
        QApplication.processEvents()
        window.grab().save(args.screenshot)
        print(f"saved {args.screenshot}")
        window.close()

    window.model_opened.connect(lambda _info: QTimer.singleShot(0, save))
    window.worker.failed.connect(lambda *_: QTimer.singleShot(0, save))  # a screenshot of the message, too


def _headless() -> bool:
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


class _ErrorReporter(QObject):
    """Shows unexpected exceptions in a dialog; thread exceptions are queued to the GUI thread first."""

    reported = Signal(str, str, str)  # message, fix, details

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self._parent = parent
        self._showing = False
        self.reported.connect(self._on_reported, Qt.ConnectionType.QueuedConnection)

    def report(self, exc_type, exc, tb, where: str = "") -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        if isinstance(exc, ExplorerError):
            message, fix = str(exc), exc.fix
            details = exc.details or details
        else:
            message = f"An unexpected error occurred{where}: {exc_type.__name__}: {exc}"
            fix = "The app keeps running and your open model is kept. Please report this with the details."
        self.reported.emit(message, fix, details)

    @Slot(str, str, str)
    def _on_reported(self, message: str, fix: str, details: str) -> None:
        if self._showing:  # one dialog at a time: a burst of errors must not bury the window
            return
        self._showing = True
        try:
            box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message, QMessageBox.StandardButton.Ok,
                              self._parent)
            box.setInformativeText(fix)
            box.setDetailedText(details)
            box.exec()
        finally:
            self._showing = False


def install_exception_hooks(window: QWidget) -> Callable[[], None]:
    """Route uncaught exceptions (GUI and other threads) to an error dialog; returns a function that undoes it."""
    reporter = _ErrorReporter(window)
    old_sys, old_thread = sys.excepthook, threading.excepthook

    def sys_hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            old_sys(exc_type, exc, tb)
            return
        reporter.report(exc_type, exc, tb)

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        name = f" in thread {args.thread.name}" if args.thread else ""
        reporter.report(args.exc_type, args.exc_value, args.exc_traceback, name)

    sys.excepthook, threading.excepthook = sys_hook, thread_hook

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = old_sys, old_thread

    return uninstall


if __name__ == "__main__":
    sys.exit(main())
