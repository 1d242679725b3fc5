"""Python's cyclic garbage collector, run on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate past a threshold -- often a worker thread. A
collected cycle that holds a Qt wrapper (a closed window, its helpers and the lambdas connected to its signals)
then destroys that widget on the worker: QWidget::~QWidget from a pool thread, while the GUI thread deletes a
sibling, deadlocked the test suite (issue 13, item 17). So automatic collection is switched off and a timer on the
GUI thread collects instead, generation by generation as Python would.

pyqtgraph has the same idea (pyqtgraph.util.garbage_collector); importing pyqtgraph costs ~0.19 s of start-up
that the window defers until a plot is shown, so these few lines are ours.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects from a timer on the thread this object lives in (the GUI's)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start(interval_ms)

    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds; returns the objects found unreachable."""
        counts = gc.get_count()
        found = 0
        for generation in (2, 1, 0):  # the oldest due generation collects the younger ones with it
            if counts[generation] > self.threshold[generation]:
                found = gc.collect(generation)
                break
        return found

    def stop(self) -> None:
        """Stop the timer and give collection back to Python (tests, or an app shutting down)."""
        self.timer.stop()
        if self.was_enabled:
            gc.enable()


_COLLECTOR: GuiThreadCollector | None = None


def collect_on_gui_thread() -> GuiThreadCollector:
    """Install the process's collector once (call on the GUI thread, after the QApplication exists)."""
    global _COLLECTOR
    if _COLLECTOR is None:
        _COLLECTOR = GuiThreadCollector()
    return _COLLECTOR
