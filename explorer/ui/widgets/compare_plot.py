"""ComparePlot: one output of a comparison drawn across its columns -- overlay, difference against the tolerance
band, heatmap of |diff| -- beside a table of its values per target and their differences from the reference."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .compare_columns import LETTERS, _num, column_color, status_style
from .plots import LegendStrip, curve_at, output_plot_widget

PLOT_MODES = ("Overlay", "Difference", "Heatmap |Δ|")
MAX_VALUE_ROWS = 100_000  # the values table is lazy, but an index column of millions of rows helps nobody


class ComparePlot(QtWidgets.QSplitter):
    """The lower half of the Compare tab: the chosen output plotted in one of PLOT_MODES, and its values."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(QtCore.Qt.Orientation.Horizontal, parent)
        self.columns: list = []  # the view's Column list (the same object: it changes in place)
        self.diffs: list = []  # PredictionDiff | None per column
        self.reference = 0
        self.rtol, self.atol = 0.0, 0.0
        self._chosen_output = ""  # the output the user picked to plot; kept across runs
        self.output_box = QtWidgets.QComboBox()
        self.output_box.setToolTip("Which output the plot and values show")
        self.output_box.setMinimumWidth(90)
        self.output_box.currentIndexChanged.connect(self._on_output_box_changed)
        self.mode_box = QtWidgets.QComboBox()
        self.mode_box.addItems(PLOT_MODES)
        self.mode_box.setToolTip("Overlay: every target's values; Difference: each target minus the reference, "
                                 "with the tolerance band; Heatmap: |difference| per element")
        self.mode_box.currentIndexChanged.connect(self._on_mode_box_changed)
        self.heat_target_box = QtWidgets.QComboBox()
        self.heat_target_box.setToolTip("Which target's difference from the reference the heatmap shows")
        self.heat_target_box.currentIndexChanged.connect(self._on_mode_box_changed)
        self.plot_caption = QtWidgets.QLabel()
        self.plot_caption.setStyleSheet("color: palette(placeholder-text);")
        self.plot_caption.setWordWrap(True)
        plot_bar = QtWidgets.QHBoxLayout()
        plot_bar.addWidget(QtWidgets.QLabel("Output"))
        plot_bar.addWidget(self.output_box)
        plot_bar.addWidget(self.mode_box)
        plot_bar.addWidget(self.heat_target_box)
        plot_bar.addStretch(1)
        self.plot_widget = output_plot_widget()
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.legend = LegendStrip()  # above the plot: pyqtgraph's in-plot legend covered the first elements
        self._curves: list[pg.PlotDataItem] = []
        self._band = [pg.PlotDataItem(pen=pg.mkPen("#888", width=1, style=QtCore.Qt.PenStyle.DashLine))
                      for _ in range(2)]
        self._band_fill = pg.FillBetweenItem(self._band[0], self._band[1], brush=pg.mkBrush(120, 120, 120, 40))
        for item in (*self._band, self._band_fill):
            self.plot_item.addItem(item)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image_item)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("inferno"), interactive=False, width=12, pen="#666")
        self.color_bar.setImageItem(self.image_item, insert_in=self.plot_item)
        plot_panel = QtWidgets.QWidget()
        plot_layout = QtWidgets.QVBoxLayout(plot_panel)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addLayout(plot_bar)
        plot_layout.addWidget(self.plot_caption)  # its own line: beside the boxes it set the tab's minimum width
        plot_layout.addWidget(self.legend)
        plot_layout.addWidget(self.plot_widget, 1)

        self.values = ValuesModel(self)
        self.values_view = QtWidgets.QTableView()
        self.values_view.setModel(self.values)
        self.values_view.setAlternatingRowColors(True)
        self.values_view.horizontalHeader().setDefaultSectionSize(84)
        self.values_view.verticalHeader().setDefaultSectionSize(22)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.values_view.setFont(mono)
        self.values_view.setMinimumWidth(140)  # an index and two columns of values: it was squeezed to ~60 px

        self.addWidget(plot_panel)
        self.addWidget(self.values_view)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setSizes([760, 480])
        self._hide_plot_items()

    def set_results(self, columns: list, diffs: list, reference: int, rtol: float, atol: float) -> None:
        """What later draws show: the columns, their diffs against `reference`, the tolerances (refresh() shows it)."""
        self.columns, self.diffs, self.reference, self.rtol, self.atol = columns, diffs, reference, rtol, atol

    def refresh(self) -> None:
        """Offer the outputs of the columns (what differs first, unless the user chose one) and draw again."""
        self._fill_outputs_box()
        self._redraw()

    def select(self, target: int, key: str) -> None:
        """Show output `key`, and target `target`'s difference in the heatmap (a diff table row was chosen)."""
        self.output_box.setCurrentText(key)
        index = self.heat_target_box.findData(target)
        if index >= 0:
            self.heat_target_box.setCurrentIndex(index)

    def _fill_outputs_box(self) -> None:
        keys = sorted({k for c in self.columns if c.prediction is not None for k in c.prediction.outputs})
        self.output_box.blockSignals(True)
        self.output_box.clear()
        self.output_box.addItems(keys)
        differing = [k for d in self.diffs if d is not None for k in d.differing]
        if self._chosen_output in keys:
            self.output_box.setCurrentText(self._chosen_output)
        elif differing:  # unless the user picked one, show first what disagrees: that is what they came for
            self.output_box.setCurrentText(differing[0])
        self.output_box.blockSignals(False)
        others = [i for i, d in enumerate(self.diffs) if d is not None]
        current_target = self.heat_target_box.currentData()
        self.heat_target_box.blockSignals(True)
        self.heat_target_box.clear()
        for i in others:
            self.heat_target_box.addItem(f"{LETTERS[i]} − {LETTERS[self.reference]}", i)
        index = self.heat_target_box.findData(current_target)
        self.heat_target_box.setCurrentIndex(max(index, 0))
        self.heat_target_box.blockSignals(False)

    def _hide_plot_items(self) -> None:
        for curve in self._curves:
            curve.hide()
        for item in (*self._band, self._band_fill):
            item.hide()
        self.image_item.hide()
        self.color_bar.hide()
        self.legend.clear()
        self.legend.hide()
        vb = self.plot_item.getViewBox()
        vb.invertY(False)
        vb.setAspectLocked(False)
        self.plot_item.setLabel("left", "")
        self.plot_item.setLabel("bottom", "")

    def _curve(self, i: int) -> pg.PlotDataItem:
        return curve_at(self.plot_item, self._curves, i)

    def curves(self) -> list[pg.PlotDataItem]:
        """Curves shown now (tests read their data with getData())."""
        return [c for c in self._curves if c.isVisible()]

    def _redraw(self) -> None:
        self._hide_plot_items()
        key = self.output_box.currentText()
        mode = self.mode_box.currentText()
        self.heat_target_box.setVisible(mode == PLOT_MODES[2] and self.heat_target_box.count() > 1)
        if not key:
            self.plot_caption.setText("Run a comparison to see the outputs here.")
            self.values.set_columns((), [])
            return
        numeric = [(i, np.asarray(c.prediction.outputs[key])) for i, c in enumerate(self.columns)
                   if c.prediction is not None and key in c.prediction.outputs]
        self._fill_values(key, numeric)
        numeric = [(i, a) for i, a in numeric if a.dtype.kind in "biuf"]
        if not numeric:
            self.plot_caption.setText(f"{key} is not numeric: see the values table.")
            return
        diffs = {i: d.outputs.get(key) for i, d in enumerate(self.diffs) if d is not None}
        if mode == PLOT_MODES[0]:
            self._draw_overlay(key, numeric)
        elif mode == PLOT_MODES[1]:
            self._draw_difference(key, numeric, diffs)
        else:
            self._draw_heatmap(key, numeric, diffs)
        self.plot_item.enableAutoRange()

    def _draw_overlay(self, key: str, numeric) -> None:
        size = max(a.size for _, a in numeric)
        small = size <= 64
        for n, (i, array) in enumerate(numeric):
            color = column_color(i)
            # Later columns are drawn dashed and with hollow symbols so identical curves stay visible.
            style = QtCore.Qt.PenStyle.SolidLine if n == 0 else QtCore.Qt.PenStyle.DashLine
            curve = self._curve(n)
            curve.setData(np.arange(array.size), array.reshape(-1).astype(np.float64),
                          pen=pg.mkPen(color, width=2 if n == 0 else 1.5, style=style),
                          symbol=("o" if n % 2 == 0 else "x") if small else None, symbolSize=8 if n == 0 else 7,
                          symbolBrush=color if n == 0 else None, symbolPen=pg.mkPen(color))
            curve.show()
            self.legend.add(color, f"{LETTERS[i]} · {self.columns[i].title}", "━" if n == 0 else "╍")
        self.plot_item.setLabel("bottom", "element (flattened)")
        self.plot_item.setLabel("left", key)
        self.plot_caption.setText(f"{key}: every target's values, flattened ({size} elements)")
        self.legend.show()

    def _draw_difference(self, key: str, numeric, diffs) -> None:
        ref_array = next((a for i, a in numeric if i == self.reference), None)
        n = 0
        for i, _array in numeric:
            d = diffs.get(i)
            if d is None or d.diff is None:
                continue
            curve = self._curve(n)
            values = d.diff.reshape(-1)
            curve.setData(np.arange(values.size), values, pen=pg.mkPen(column_color(i), width=1.5),
                          symbol="o" if values.size <= 64 else None, symbolSize=6, symbolBrush=column_color(i),
                          symbolPen=None)
            curve.show()
            self.legend.add(column_color(i), f"{LETTERS[i]} − {LETTERS[self.reference]}")
            n += 1
        if ref_array is not None and n:
            # The band |b − a| ≤ atol + rtol·|a| makes "differs only beyond a tolerance" visible at a glance.
            tol = self.atol + self.rtol * np.abs(ref_array.reshape(-1).astype(np.float64))
            x = np.arange(tol.size)
            self._band[0].setData(x, tol)
            self._band[1].setData(x, -tol)
            for item in (*self._band, self._band_fill):
                item.show()
            self.legend.add("#888", "tolerance band", "╍")
        self.plot_item.setLabel("bottom", "element (flattened)")
        self.plot_item.setLabel("left", f"{key} − reference")
        self.legend.setVisible(bool(self.legend.entries))
        self.plot_caption.setText(f"{key}: each target minus {LETTERS[self.reference]}; dashed: ±(atol + rtol·|a|)"
                                  if n else f"{key}: no difference to draw (shapes differ or one side failed)")

    def _draw_heatmap(self, key: str, numeric, diffs) -> None:
        target = self.heat_target_box.currentData()
        d = diffs.get(target) if target is not None else None
        if d is None or d.diff is None:
            self.plot_caption.setText(f"{key}: no element-wise difference (shapes differ or one side failed)")
            return
        diff = np.abs(d.diff)
        image = diff.reshape(1, -1) if diff.ndim < 2 else diff.reshape(diff.shape[0], -1)
        high = float(image.max()) if image.size else 0.0
        self.image_item.setImage(image, autoLevels=False, levels=(0.0, high or 1.0))
        self.color_bar.setLevels((0.0, high or 1.0))
        self.image_item.show()
        self.color_bar.show()
        vb = self.plot_item.getViewBox()
        vb.invertY(True)
        self.plot_item.setLabel("bottom", "element in row")
        self.plot_item.setLabel("left", "batch row")
        self.plot_caption.setText(f"{key}: |{LETTERS[target]} − {LETTERS[self.reference]}| per element, "
                                  f"max {_num(high)}")

    def _fill_values(self, key: str, arrays) -> None:
        columns = []
        shape = ()
        for i, array in arrays:
            shape = array.shape if not shape else shape
            columns.append((f"{LETTERS[i]}", array.reshape(-1), None))
        for i, d in enumerate(self.diffs):
            od = d.outputs.get(key) if d is not None else None
            if od is None or od.diff is None:
                continue
            ref = np.asarray(self.columns[self.reference].prediction.outputs[key]).astype(np.float64).reshape(-1)
            delta = od.diff.reshape(-1)
            beyond = np.abs(delta) > self.atol + self.rtol * np.abs(ref)
            columns.append((f"{LETTERS[i]} − {LETTERS[self.reference]}", delta, beyond))
        self.values.set_columns(shape, columns)

    def _on_output_box_changed(self, *_):
        self._chosen_output = self.output_box.currentText()  # programmatic changes block signals
        self._redraw()

    def _on_mode_box_changed(self, *_):
        self._redraw()


class ValuesModel(QtCore.QAbstractTableModel):
    """One output flattened: a column of values per target, then the difference of each from the reference."""

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._shape: tuple = ()
        self._columns: list[tuple[str, np.ndarray, np.ndarray | None]] = []  # header, flat values, beyond-tol mask
        self._rows = 0

    def set_columns(self, shape: tuple, columns: list[tuple[str, np.ndarray, np.ndarray | None]]) -> None:
        self.beginResetModel()
        self._shape = tuple(shape)
        self._columns = columns
        self._rows = min(max((c[1].size for c in columns), default=0), MAX_VALUE_ROWS)
        self.endResetModel()

    def value(self, row: int, column: int):
        values = self._columns[column][1]
        return values[row] if row < values.size else None

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        header, values, beyond = self._columns[index.column()]
        row = index.row()
        if row >= values.size:
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            v = values[row]
            if isinstance(v, bytes):
                return v.decode("utf-8", "replace")
            if isinstance(v, (float, np.floating)):
                return f"{float(v):.7g}" if beyond is None else f"{float(v):.4g}"
            return str(v)
        if role == QtCore.Qt.ItemDataRole.BackgroundRole and beyond is not None and row < beyond.size and beyond[row]:
            return QtGui.QBrush(QtGui.QColor(status_style("different")[0]))
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != QtCore.Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == QtCore.Qt.Orientation.Horizontal:
            return self._columns[section][0]
        if self._shape and len(self._shape) > 1:
            return "[" + ", ".join(str(int(i)) for i in np.unravel_index(section, self._shape)) + "]"
        return str(section)
