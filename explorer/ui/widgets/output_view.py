"""OutputView: one tab per output key with its statistics, a table of its values and a plot chosen by shape."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.request import Prediction
from explorer.core.signature import Signature, TensorSpec

from .plots import PlotView, example_view, looks_like_scores

MAX_TABLE_COLUMNS = 256  # wider outputs are shown transposed: one row per element, one column per batch row
# Outputs past this many values get their statistics on a worker: for a million float32 values they took 60-120 ms
# of the GUI thread (std, the float64 copy, distinct rows), against the 16 ms a frame has.
STATS_ON_WORKER = 65_536
TABLE_ROOM = 22 + 3 * 22 + 18  # header, three rows and a horizontal scroll bar


@dataclass(frozen=True)
class OutputStats:
    """What a user checks first about an output: shape, dtype, range, mean and non-finite counts."""

    shape: tuple[int, ...]
    dtype: str
    count: int
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    inf: int = 0
    distinct_rows: int | None = None  # how many different batch rows: 1 of many is the "identical outputs" smell
    true: int | None = None  # a bool output: how many are True (its min/max/mean say less)

    def text(self) -> str:
        """One line for the panel: "(3, 1) float32 · min 2.5 · max 4.5 · mean 3.33 · NaN 0 · Inf 0"."""
        shape = "(" + ", ".join(str(d) for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        parts = [f"{shape} {self.dtype}", f"{self.count:,} value{'s' if self.count != 1 else ''}"]
        if self.true is not None:
            parts.append(f"{self.true:,} True · {self.count - self.true:,} False")
        elif self.minimum is not None:
            of = "|value| " if self.dtype.startswith("complex") else ""  # statistics of the magnitudes: said so
            parts += [f"{of}min {_num(self.minimum)}", f"max {_num(self.maximum)}", f"mean {_num(self.mean)}",
                      f"std {_num(self.std)}"]
        if self.dtype.startswith(("float", "complex", "bfloat")):  # NaN and Inf exist only there
            parts += [f"NaN {self.nan}", f"Inf {self.inf}"]
        if self.distinct_rows is not None and self.shape and self.shape[0] > 1:
            parts.append(f"{self.distinct_rows} distinct of {self.shape[0]} rows")
        return " · ".join(parts)


def _distinct_rows(rows: np.ndarray) -> int | None:
    """How many different rows: each row's bytes as one opaque value (np.unique(axis=0) sorted column by column and
    took 0.6-2 s on a million values); object rows (strings) as tuples."""
    if (rows == rows[:1]).all() if rows.dtype.kind != "O" else False:
        return 1  # the smell this count is for, found in one pass
    if rows.dtype.kind == "O":
        try:
            return len({tuple(r) for r in rows.tolist()})
        except TypeError:
            return None
    flat = np.ascontiguousarray(rows)
    width = flat.dtype.itemsize * flat.shape[1]
    if width in (1, 2, 4, 8):  # a row fits an unsigned integer: sorting those is fast, and NaN rows stay equal
        # sort and count the changes: np.unique took 580 ms on a million uint32 where np.sort takes 31
        ordered = np.sort(flat.view(f"u{width}").reshape(-1))
        return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    return len(np.unique(flat.view(np.dtype((np.void, width))).reshape(-1)))


def _num(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.6g}"


def output_stats(array: np.ndarray) -> OutputStats:
    """Statistics over the finite values of a numeric output; counts only for strings."""
    array = np.asarray(array)
    dtype = "string" if array.dtype.kind in "OSU" else str(array.dtype)
    stats = dict(shape=tuple(array.shape), dtype=dtype, count=int(array.size))
    if array.ndim >= 1 and array.shape[0] > 1 and array.size:
        stats["distinct_rows"] = _distinct_rows(array.reshape(array.shape[0], -1))
    if array.dtype.kind not in "biufc" or array.size == 0:
        return OutputStats(**stats)
    if array.dtype.kind == "b":
        return OutputStats(**stats, true=int(np.count_nonzero(array)))
    values = np.abs(array) if array.dtype.kind == "c" else array
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        inf = np.isinf(values)
        stats.update(nan=int(nan.sum()), inf=int(inf.sum()))
        values = values[~(nan | inf)]
    if values.size:
        values = values.astype(np.float64)
        stats.update(minimum=float(values.min()), maximum=float(values.max()), mean=float(values.mean()),
                     std=float(values.std()))
    return OutputStats(**stats)


def _cell_text(value) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + value[:32].hex() + ("…" if len(value) > 32 else "")
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    if isinstance(value, (complex, np.complexfloating)):  # "0.540302+1.68294j", not numpy's 17-digit repr
        return f"{value.real:.6g}{value.imag:+.6g}j"
    return str(value)


def _text_length(value) -> str:
    """A string's length in characters, or in bytes when it is not UTF-8 text."""
    if isinstance(value, bytes):
        try:
            return str(len(value.decode("utf-8")))
        except UnicodeDecodeError:
            return f"{len(value)} bytes"
    return str(len(str(value)))


class ArrayTableModel(QtCore.QAbstractTableModel):
    """A read-only table over an array: one row per batch row, one column per element of a row (lazy); a text
    output is one row per string with its index, value and length."""

    TEXT_COLUMNS = ("index", "value", "length")

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._table = np.zeros((0, 0))
        self._inner: tuple[int, ...] = ()
        self.transposed = False
        self.text = False  # strings: (index, value, length) rows
        self._shape: tuple[int, ...] = ()
        self._argmax: np.ndarray | None = None

    def set_array(self, array: np.ndarray, scores: bool = False) -> None:
        """Show an array; scores=True marks each row's argmax in bold."""
        array = np.asarray(array)
        self.beginResetModel()
        self.text = array.dtype.kind in "OSU"
        self._shape = tuple(array.shape)
        if self.text:  # one string per row: values read down a column, however the batch is shaped
            self._table, self._inner, self._argmax, self.transposed = array.reshape(-1, 1), (), None, False
            self.endResetModel()
            return
        if array.ndim == 0:
            table, self._inner = array.reshape(1, 1), ()
        elif array.ndim == 1:
            table, self._inner = array.reshape(-1, 1), ()
        else:
            inner = tuple(array.shape[1:])
            table, self._inner = array.reshape(array.shape[0], int(np.prod(inner))), inner
        self._argmax = None
        if scores and table.dtype.kind in "fiu" and table.size:
            self._argmax = np.nanargmax(np.where(np.isnan(table), -np.inf, table) if table.dtype.kind == "f"
                                        else table, axis=1)
        self.transposed = table.shape[1] > MAX_TABLE_COLUMNS and table.shape[1] > table.shape[0]
        self._table = table
        self.endResetModel()

    def value(self, row: int, column: int):
        """The array value at a view position (undoing the transpose); a text table's string for any column."""
        if self.text:
            return self._table[row, 0]
        r, c = (column, row) if self.transposed else (row, column)
        return self._table[r, c]

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else self._table.shape[1 if self.transposed else 0]

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        if parent.isValid():
            return 0
        return len(self.TEXT_COLUMNS) if self.text else self._table.shape[0 if self.transposed else 1]

    def _text_data(self, index, role):
        value = self._table[index.row(), 0]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                if len(self._shape) <= 1:
                    return str(index.row())
                return "[" + ", ".join(str(int(i)) for i in np.unravel_index(index.row(), self._shape)) + "]"
            return _cell_text(value) if index.column() == 1 else _text_length(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            align = QtCore.Qt.AlignmentFlag.AlignLeft if index.column() == 1 else QtCore.Qt.AlignmentFlag.AlignRight
            return int(align | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if self.text:
            return self._text_data(index, role)
        value = self.value(index.row(), index.column())
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return _cell_text(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            if isinstance(value, (bytes, str)):
                return int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole:
            if isinstance(value, (float, np.floating)) and not math.isfinite(value):
                return QtGui.QBrush(QtGui.QColor("#C62828"))
        if role == QtCore.Qt.ItemDataRole.FontRole and self._argmax is not None:
            r, c = (index.column(), index.row()) if self.transposed else (index.row(), index.column())
            if self._argmax[r] == c:
                font = QtGui.QFont()
                font.setBold(True)
                return font
        if role == QtCore.Qt.ItemDataRole.BackgroundRole and self._argmax is not None:
            r, c = (index.column(), index.row()) if self.transposed else (index.row(), index.column())
            if self._argmax[r] == c:
                return QtGui.QBrush(QtGui.QColor("#FBE3D6"))
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != QtCore.Qt.ItemDataRole.DisplayRole:
            return None
        if self.text:
            return self.TEXT_COLUMNS[section] if orientation == QtCore.Qt.Orientation.Horizontal else None
        batch_side = QtCore.Qt.Orientation.Vertical if not self.transposed else QtCore.Qt.Orientation.Horizontal
        if orientation == batch_side:
            return f"row {section}"
        if not self._inner:
            return "value"
        if len(self._inner) == 1:
            return str(section)
        return "[" + ",".join(str(i) for i in np.unravel_index(section, self._inner)) + "]"


class OutputPane(QtWidgets.QWidget):
    """One output: a stats line, then the plot above a table of the values."""

    stats_shown = QtCore.Signal(str)  # the statistics line, once known (at once, or from the worker)

    def __init__(self, key: str, parent: QtWidgets.QWidget | None = None, worker=None):
        super().__init__(parent)
        self.key = key
        self.worker = worker  # a ui.workers.Worker for the statistics of large outputs (None: always here)
        self.stats: OutputStats | None = None
        self.stats_label = QtWidgets.QLabel()
        self.stats_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_label.setWordWrap(True)
        # A quantised TFLite output is shown dequantised; its raw integers are one click away.
        self.raw_toggle = QtWidgets.QCheckBox("Show raw integers")
        self.raw_toggle.setToolTip("The integers the quantised model produced, before scale and zero-point")
        self.raw_toggle.toggled.connect(self._on_raw_toggled)
        self.raw_toggle.hide()
        self._real: np.ndarray | None = None
        self._raw: np.ndarray | None = None
        self._spec: TensorSpec | None = None
        self.plot = PlotView()
        self.model = ArrayTableModel(self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setDefaultSectionSize(84)
        self.splitter = splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        # A header and a row at least; the plot's 180 px come first, and the window must still fit 1280x800.
        self.table.setMinimumHeight(22 + 24)
        splitter.setSizes([320, 180])  # the table needs room for a few rows without scrolling
        self._user_split = False  # True once the user moved the handle: their split is kept
        splitter.splitterMoved.connect(self._on_splitter_moved)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.stats_label, 1)
        top.addWidget(self.raw_toggle, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    def _on_splitter_moved(self, pos: int, index: int) -> None:
        self._user_split = True

    def show_array(self, array: np.ndarray, spec: TensorSpec | None = None, raw: np.ndarray | None = None) -> None:
        """Update stats, table and plot in place; `raw` (a quantised output's integers) enables the raw toggle."""
        self._real, self._raw, self._spec = np.asarray(array), None if raw is None else np.asarray(raw), spec
        self.raw_toggle.setVisible(raw is not None)
        if raw is None:
            self.raw_toggle.setChecked(False)
        self._show(self._raw if self.raw_toggle.isChecked() and self._raw is not None else self._real)

    def _on_raw_toggled(self, checked: bool) -> None:
        if self._real is not None:
            self._show(self._raw if checked and self._raw is not None else self._real)

    def _show(self, array: np.ndarray) -> None:
        if array.size > STATS_ON_WORKER and self.worker is not None:
            self.stats = None
            shape = "(" + ", ".join(str(d) for d in array.shape) + ("," if array.ndim == 1 else "") + ")"
            dtype = "string" if array.dtype.kind in "OSU" else str(array.dtype)
            self.stats_label.setText(f"{shape} {dtype} · {array.size:,} values · statistics…")
            self.worker.submit(output_stats, array, caller=f"stats:{self.key}", name=f"statistics of {self.key}",
                               on_done=lambda task, stats, a=array: self._on_stats_done(a, stats))
        else:
            self._set_stats(array, output_stats(array))
        self._show_values(array)

    def _on_stats_done(self, array: np.ndarray, stats: OutputStats) -> None:
        if array is self._raw or array is self._real:  # not an older run's, or the other side of the raw toggle
            self._set_stats(array, stats)

    def _set_stats(self, array: np.ndarray, stats: OutputStats) -> None:
        spec = self._spec
        self.stats = stats
        text = self.stats.text()
        if spec is not None and spec.shape is not None and not _fits(array.shape, spec.shape):
            text += f" · signature declares {spec.shape_text()}"
        if self._raw is not None and spec is not None and spec.quantization is not None:
            q = spec.quantization
            text += (f" · raw {spec.storage_dt.short}, real = {q.scale[0]:.4g} × (q − {q.zero_point[0]})"
                     if array is self._raw else f" · dequantised from {q.text()}")
        self.stats_label.setText(text)
        self.stats_shown.emit(text)

    def _show_values(self, array: np.ndarray) -> None:
        spec = self._spec
        was_compact = self.plot.compact
        choice = self.plot.show_array(array, spec, self.key)
        scores = choice.kind == "scores" or (array.dtype.kind in "fiu" and 0 < array.size and array.ndim >= 1
                                             and array.size <= 1_000_000 and looks_like_scores(
                                                 example_view(array, spec), self.key))
        self.model.set_array(array, scores=scores and array.ndim == 2)
        header = self.table.horizontalHeader()
        self.table.verticalHeader().setVisible(not self.model.text)  # the index column says where a string is
        header.setStretchLastSection(False)
        for column in range(min(self.model.columnCount(), 3)):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.Interactive)
        if self.model.columnCount() <= 64 and self.model.rowCount() <= 256:
            self.table.resizeColumnsToContents()  # small tables: no elided numbers
        if self.model.text:  # the strings get the width left over, the index and length what they need
            header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        if self.plot.compact != was_compact:
            self._user_split = False  # another kind of output: the user's split was for the old one
        self._fit_split()

    def _fit_split(self) -> None:
        """Share the height between plot and table until the user drags the handle: nothing to plot (text, a
        scalar, empty, all NaN) leaves the caption and gives the table the room; otherwise the plot gets ~62 % but
        leaves the table a header, three rows and a scroll bar while the plot keeps its minimum (at 1280x800 the
        stretch factors gave the table ~40 px, its first row cut by the scroll bar)."""
        total = sum(self.splitter.sizes())
        if self._user_split or total <= 0:
            return
        if self.plot.compact:
            top = self.plot.maximumHeight()
        else:
            top = max(self.plot.minimumHeight(), min(total * 62 // 100, total - TABLE_ROOM))
        if self.splitter.sizes() != [top, total - top]:
            self.splitter.setSizes([top, total - top])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_split()


def _fits(shape: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    return len(shape) == len(declared) and all(d in (-1, s) for s, d in zip(shape, declared))


class OutputView(QtWidgets.QWidget):
    """The outputs of one Prediction: a header (engine, timing, notes) and one tab per output key."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.prediction: Prediction | None = None
        self.header = QtWidgets.QLabel("Run the signature to see its outputs here.")
        self.header.setObjectName("outputHeader")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("QLabel { background: #FFF4CE; border: 1px solid #E8D48A; border-radius: 3px;"
                                 " padding: 4px; color: #5C4B00; }")
        self.notes.hide()
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        self._panes: dict[str, OutputPane] = {}
        self._worker = None  # made on the first large output
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.notes)
        layout.addWidget(self.tabs, 1)

    def pane(self, key: str) -> OutputPane:
        """The pane of one output key (KeyError if the shown prediction has none)."""
        return self._panes[key]

    def keys(self) -> list[str]:
        return list(self._panes)

    def show_prediction(self, prediction: Prediction, signature: Signature | None = None) -> None:
        """Show every output; panes of keys seen before are updated in place, so plots keep their items."""
        self.prediction = prediction
        specs = signature.outputs if signature is not None else {}
        keys = sorted(prediction.outputs)
        current = getattr(self.tabs.currentWidget(), "key", None)  # keep the user's tab across runs
        for key in [k for k in self._panes if k not in prediction.outputs]:
            pane = self._panes.pop(key)
            self.tabs.removeTab(self.tabs.indexOf(pane))
            pane.deleteLater()
        for i, key in enumerate(keys):
            pane = self._panes.get(key)
            array = np.asarray(prediction.outputs[key])
            if pane is None:
                pane = self._panes[key] = OutputPane(key)
                pane.stats_shown.connect(lambda text, p=pane: self.tabs.setTabToolTip(self.tabs.indexOf(p), text))
                self.tabs.insertTab(i, pane, key)
            if array.size > STATS_ON_WORKER and pane.worker is None:
                pane.worker = self._stats_worker()
            pane.show_array(array, specs.get(key), prediction.raw_outputs.get(key))
            dtype = "string" if array.dtype.kind in "OSU" else str(array.dtype)
            self.tabs.setTabText(self.tabs.indexOf(pane), f"{key}  {tuple(array.shape)} {dtype}")
            self.tabs.setTabToolTip(self.tabs.indexOf(pane), pane.stats_label.text())
        if current in self._panes:
            self.tabs.setCurrentWidget(self._panes[current])
        self.header.setText(_header_text(prediction))
        self.notes.setText("\n".join(prediction.notes))
        self.notes.setVisible(bool(prediction.notes))

    def _stats_worker(self):
        if self._worker is None:
            from ..workers import Worker

            self._worker = Worker(self)
        return self._worker

    def clear(self) -> None:
        """Remove every pane (e.g. when another model is opened)."""
        self.prediction = None
        for pane in self._panes.values():
            pane.deleteLater()
        self._panes.clear()
        self.tabs.clear()
        self.header.setText("Run the signature to see its outputs here.")
        self.notes.hide()


def _header_text(p: Prediction) -> str:
    # A load of 0 ms means the model was loaded before this run: saying "load 0.0 ms" would only confuse.
    # TensorFlow's import is paid once per process; a later run carrying it read as if it took 15 s.
    names = {"import_tensorflow": "TensorFlow import (once)"}
    timing = " · ".join(f"{names.get(k, k)} {v:.1f} ms" for k, v in p.timing_ms.items()
                        if v and (k != "import_tensorflow" or v >= 1) or k not in ("load", "import_tensorflow"))
    version = f" · version {p.version}" if p.version is not None else ""
    return f"<b>{p.signature}</b> · {p.engine}{version} · {timing}"


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.output_view FILE.npz`: show each array of an .npz as an output."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    if len(argv) > 1:
        with np.load(argv[1], allow_pickle=False) as data:
            outputs = {k: data[k] for k in data.files}
    else:
        rng = np.random.default_rng(0)
        outputs = {"scores": rng.dirichlet(np.ones(10), size=2).astype(np.float32),
                   "y": np.array([[2.5], [3.0], [4.5]], np.float32)}
    view = OutputView()
    view.show_prediction(Prediction("demo", "local", argv[1] if len(argv) > 1 else "demo", outputs,
                                    {"predict": 0.0}))
    view.resize(800, 600)
    view.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
