"""The desktop app: `main(argv) -> int` creates the QApplication, shows the MainWindow at once, then opens PATH.

`python -m explorer.ui.app [PATH] [--version N] [--tag-set serve,gpu]`. TensorFlow is not imported here: the window
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

from explorer.core.errors import ExplorerError

APP_NAME = "Signature Explorer"
ORG_NAME = "Signature Explorer"
ORG_DOMAIN = "signature-explorer.example"  # QSettings needs a domain on macOS; we keep real settings in JSON
ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "signature-explorer.svg"


def build_parser() -> argparse.ArgumentParser:
    """The app's command line; later options (e.g. --smoke-test for packaging) are added here."""
    parser = argparse.ArgumentParser(prog="signature-explorer", description="Open the Signature Explorer window.")
    parser.add_argument("path", nargs="?", help="SavedModel folder, TF Serving base path, or saved_model.pb")
    parser.add_argument("--version", type=int, default=None, help="version of a base path (default: the newest)")
    parser.add_argument("--tag-set", default=None, help="comma-separated tags (default: serve)")
    shots = parser.add_argument_group("screenshots (for the README; work offscreen)")
    shots.add_argument("--screenshot", metavar="PNG", help="open PATH, save the window as PNG, and quit")
    shots.add_argument("--size", default="1280x800", help="window size for --screenshot (default 1280x800)")
    shots.add_argument("--select", default="", metavar="SIG[/inputs|outputs[/KEY]]",
                       help="row to select before the screenshot (default: the default signature)")
    return parser


def create_app(qt_args: list[str] | None = None) -> QApplication:
    """The QApplication with our names and icon (reuses an existing one, as under pytest-qt)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *(qt_args or [])])
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
    uninstall = install_exception_hooks(window)
    if args.screenshot:
        _prepare_screenshot(window, args)
    window.show()
    if args.path:
        # Open after the window is on screen, so a slow disk never delays the first paint.
        QTimer.singleShot(0, lambda: window.open_model(args.path, version=args.version, tag_set=args.tag_set))
    # Ctrl+C in the terminal should quit: Qt's loop otherwise keeps Python's SIGINT handler from running.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return app.exec()
    finally:
        uninstall()


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
