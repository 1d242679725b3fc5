"""RunHistory: every run of the session, newest first; pick one to see its outputs again or restore its inputs."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.request import Prediction
from explorer.core.workspace import RunRecord

MAX_ENTRIES = 200  # arrays of older runs are dropped beyond this, so a long session cannot eat all memory

COLUMNS = ("#", "time", "model", "signature", "engine", "batch", "ms", "result")
RESULT = COLUMNS.index("result")


@dataclass(eq=False)
class HistoryEntry:
    """One run: the workspace record (inputs, outputs or error), the form's sources verbatim, and the batch."""

    number: int
    record: RunRecord
    sources: dict = field(default_factory=dict)  # input key -> sources.Source, as the user left the form
    batch: int | None = None
    prediction: Prediction | None = None
    details: str = ""  # the failure's technical details, for a failed run

    @property
    def ok(self) -> bool:
        return not self.record.error

    def summary(self) -> str:
        """The result column: the first outputs' shape and mean, or the error's first line."""
        if not self.ok:
            return "failed: " + self.record.error.splitlines()[0]
        parts = []
        for key in sorted(self.record.outputs)[:3]:
            array = np.asarray(self.record.outputs[key])
            text = f"{key} {tuple(array.shape)}"
            if array.dtype.kind == "f" and array.ndim == 2 and array.shape[0] == 1 and array.shape[1] >= 2:
                best = int(np.nanargmax(np.where(np.isnan(array[0]), -np.inf, array[0])))
                text += f" argmax {best} ({float(array[0, best]):.3g})"  # what a user reads off class scores
            elif array.dtype.kind in "biuf" and array.size:
                with np.errstate(all="ignore"):
                    text += f" mean {float(np.nanmean(array.astype(np.float64))):.4g}"
            parts.append(text)
        if len(self.record.outputs) > 3:
            parts.append(f"+{len(self.record.outputs) - 3} more")
        return " · ".join(parts)


class RunHistory(QtWidgets.QWidget):
    """The session's runs in a table; emits which run the user wants back."""

    entry_activated = QtCore.Signal(object)  # HistoryEntry: show its outputs (double-click / Enter)
    restore_requested = QtCore.Signal(object)  # HistoryEntry: put its sources back into the form
    count_changed = QtCore.Signal(int)  # how many runs the table holds, after each add and clear

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._entries: list[HistoryEntry] = []
        self._count = 0
        self.table = QtWidgets.QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)  # a model's name and its version both show
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.itemActivated.connect(self._on_table_item_activated)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        # A tab of its own (beside the outputs): room for its header, three runs and a scroll bar at least.
        bar = self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_ScrollBarExtent)
        self.table.setMinimumHeight(self.table.header().sizeHint().height() + 3 * (self.fontMetrics().height() + 6)
                                    + bar + 2 * self.table.frameWidth())
        header = self.table.header()
        header.setStretchLastSection(True)
        for i, width in enumerate((36, 70, 150, 140, 64, 48, 64)):
            header.resizeSection(i, width)
        # The result, what a user reads first, right after the run's number: last, it was pushed out of a narrow tab
        # behind a scroll bar. Moved on screen only: the columns keep their numbers (COLUMNS) for code and tests.
        header.moveSection(RESULT, 1)

        self.show_button = QtWidgets.QPushButton("Show outputs")
        self.show_button.setToolTip("Show this run's outputs in the outputs panel (or double-click the run)")
        self.show_button.clicked.connect(lambda: self._emit_selected(self.entry_activated))
        self.restore_button = QtWidgets.QPushButton("Restore inputs")
        self.restore_button.setToolTip("Put this run's inputs back into the form")
        self.restore_button.clicked.connect(lambda: self._emit_selected(self.restore_requested))
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._on_table_selection_changed()

    def add(self, record: RunRecord, sources: dict | None = None, batch: int | None = None,
            prediction: Prediction | None = None, details: str = "") -> HistoryEntry:
        """Record one run (succeeded or failed) at the top of the table and return its entry."""
        self._count += 1
        entry = HistoryEntry(self._count, record, dict(sources or {}), batch, prediction, details)
        self._entries.insert(0, entry)
        for old in self._entries[MAX_ENTRIES:]:
            old.record.inputs, old.record.outputs, old.prediction = {}, {}, None
        del self._entries[MAX_ENTRIES:]
        item = QtWidgets.QTreeWidgetItem(self._row_texts(entry))
        item.setData(0, QtCore.Qt.ItemDataRole.UserRole, entry.number)
        item.setToolTip(7, record.error or entry.summary())
        for col in (0, 5, 6):
            item.setTextAlignment(col, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        icon = QtWidgets.QStyle.StandardPixmap.SP_DialogApplyButton if entry.ok else \
            QtWidgets.QStyle.StandardPixmap.SP_MessageBoxCritical
        item.setIcon(7, self.style().standardIcon(icon))
        if not entry.ok:
            item.setForeground(7, QtGui.QBrush(QtGui.QColor("#B3261E")))
        self.table.insertTopLevelItem(0, item)
        while self.table.topLevelItemCount() > MAX_ENTRIES:
            self.table.takeTopLevelItem(self.table.topLevelItemCount() - 1)
        self._fit_columns()
        self.count_changed.emit(len(self._entries))
        return entry

    def _fit_columns(self) -> None:
        # Columns as wide as what they hold: a long model or signature name up to 150 px (elided in the middle past
        # it), the result up to half the table; the last column on screen takes what is left.
        header = self.table.header()
        for col in range(len(COLUMNS)):
            width = max(self.table.sizeHintForColumn(col), header.sectionSizeHint(col)) + 8
            cap = max(160, self.table.viewport().width() // 2) if col == RESULT else 150
            header.resizeSection(col, min(width, cap))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.table.topLevelItemCount():
            self._fit_columns()

    def entries(self) -> list[HistoryEntry]:
        """Entries, newest first."""
        return list(self._entries)

    def records(self) -> list[RunRecord]:
        """The runs as workspace records, oldest first (the order a workspace file keeps)."""
        return [e.record for e in reversed(self._entries)]

    def selected(self) -> HistoryEntry | None:
        items = self.table.selectedItems()
        if not items:
            return None
        number = items[0].data(0, QtCore.Qt.ItemDataRole.UserRole)
        return next((e for e in self._entries if e.number == number), None)

    def select(self, entry: HistoryEntry) -> None:
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            if item.data(0, QtCore.Qt.ItemDataRole.UserRole) == entry.number:
                self.table.setCurrentItem(item)
                return

    def clear(self) -> None:
        self._entries.clear()
        self.table.clear()
        self.count_changed.emit(0)

    def _row_texts(self, entry: HistoryEntry) -> list[str]:
        r = entry.record
        when = time.strftime("%H:%M:%S", time.localtime(r.started_at))
        model = r.target.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or r.target
        if r.version is not None:
            model += f" v{r.version}"
        ms = r.run_ms
        batch = r.batch if r.inputs else entry.batch  # the data sent, not the form's Batch box
        return [str(entry.number), when, model, r.signature, r.engine,
                "" if batch is None else str(batch), "" if ms is None else f"{ms:.1f}",
                entry.summary()]

    def _emit_selected(self, signal) -> None:
        entry = self.selected()
        if entry is not None:
            signal.emit(entry)

    def _on_table_item_activated(self, item, column) -> None:
        self._emit_selected(self.entry_activated)

    def _on_table_selection_changed(self) -> None:
        entry = self.selected()
        self.show_button.setEnabled(entry is not None and entry.ok)
        self.restore_button.setEnabled(entry is not None and bool(entry.sources))

    def _on_table_context_menu(self, pos) -> None:
        entry = self.selected()
        if entry is None:
            return
        menu = QtWidgets.QMenu(self)
        show = menu.addAction("Show outputs")
        show.setEnabled(entry.ok)
        restore = menu.addAction("Restore inputs into the form")
        restore.setEnabled(bool(entry.sources))
        chosen = menu.exec(self.table.viewport().mapToGlobal(pos))
        if chosen is show:
            self.entry_activated.emit(entry)
        elif chosen is restore:
            self.restore_requested.emit(entry)


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.run_history`: a history with two sample runs, for a quick look."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    history = RunHistory()
    x = np.array([[1.0], [2.0], [5.0]], np.float32)
    history.add(RunRecord("models/half_plus_two", "local", "serving_default", {"x": x}, {"y": x * 0.5 + 2},
                          {"load": 41.0, "predict": 2.3}, version=123), batch=3)
    history.add(RunRecord("models/half_plus_two", "local", "regress_x2_to_y3", {"x": x}, {},
                          error="Incompatible shapes: [3,1] vs. [1,10,10,1]"), batch=3)
    history.resize(820, 240)
    history.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
