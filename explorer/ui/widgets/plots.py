"""Plots of one output tensor, the kind chosen by its shape: bars, class scores, lines, heatmap or image.

choose_plot() is plain numpy (testable without Qt); PlotView creates its pyqtgraph items once and updates them
with setData/setOpts/setImage, so a new prediction never rebuilds the scene.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from explorer.core.signature import TensorSpec

from ..theme import style_plots

MAX_CURVES = 32  # more rows than this become unreadable spaghetti; the caption says what was left out
MAX_BAR_ROWS = 8  # grouped bars beyond this are too thin to read
MAX_BATCH_BARS = 64  # one scalar per row: bars up to here, a line beyond
MAX_SCORE_CLASSES = 1000
_SCORE_NAME = re.compile(r"score|prob|logit|class|softmax|confidence", re.IGNORECASE)

# Colour-blind-friendly qualitative palette (Okabe-Ito), then pyqtgraph's hue wheel for more rows.
_PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
_BAR = "#7FA7CF"
_ARGMAX = "#D55E00"


@dataclass(frozen=True)
class PlotChoice:
    """Which plot suits an output and why (the reason is the plot's caption)."""

    kind: str  # "none", "bars" (one value per batch row), "scores", "lines", "heatmap", "image", "complex"
    reason: str
    rows: int = 1  # batch rows the data has
    shown_rows: int = 1  # rows actually drawn (curves/bar groups are capped)


def has_batch_axis(array: np.ndarray, spec: TensorSpec | None) -> bool:
    """True when axis 0 is a batch: declared -1 in the signature, or any array of rank >= 2 without a spec."""
    if array.ndim == 0:
        return False
    if spec is not None and spec.shape:
        return spec.shape[0] == -1 or (array.ndim >= 2 and len(spec.shape) == array.ndim and spec.shape[0] == 1)
    return array.ndim >= 2


def example_view(array: np.ndarray, spec: TensorSpec | None) -> np.ndarray:
    """The array as (rows, *per-example shape) with per-example size-1 axes squeezed; a scalar becomes (1,)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return array.reshape(1)
    if not has_batch_axis(array, spec):
        array = array[np.newaxis]
    inner = tuple(d for d in array.shape[1:] if d != 1)
    if array.shape[0] == 0 or 0 in inner:
        return array.reshape((array.shape[0],) + inner) if array.size == 0 else array
    return array.reshape((array.shape[0],) + inner)


def looks_like_scores(rows: np.ndarray, key: str = "") -> bool:
    """(rows, classes) values that read as class scores: named so, or probabilities summing to 1 per row."""
    if rows.ndim != 2 or not 2 <= rows.shape[1] <= MAX_SCORE_CLASSES or rows.dtype.kind not in "fiu":
        return False
    if _SCORE_NAME.search(key or ""):
        return True
    finite = rows[np.isfinite(rows)] if rows.dtype.kind == "f" else rows
    if finite.size != rows.size or rows.size == 0:
        return False
    return bool(rows.min() >= 0 and rows.max() <= 1 and np.allclose(rows.sum(axis=1), 1.0, atol=1e-3))


def choose_plot(array: np.ndarray, spec: TensorSpec | None = None, key: str = "") -> PlotChoice:
    """The plot kind for an output: by dtype, then by the rank of one example (batch axis and size-1 axes aside)."""
    array = np.asarray(array)
    if array.size == 0:
        return PlotChoice("none", "empty output: nothing to plot", 0, 0)
    if array.dtype.kind in "OSUV":  # text: the table (index, value, length) takes the plot's room
        return PlotChoice("none", f"text output: {array.size:,} string{'s' if array.size != 1 else ''}, "
                                  "one per table row", 1, 0)
    if array.ndim == 0:  # a scalar (a sum over the whole input) has no batch rows to plot
        return PlotChoice("none", f"a single value (a scalar output): {_scalar_text(array)}", 1, 0)
    bad = nonfinite_counts(array)
    if bad is not None and sum(bad) == array.size:
        return PlotChoice("none", f"no finite value to plot ({_bad_text(bad)}): see the table", 1, 0)
    left_out = f"; {_bad_text(bad)} not drawn" if bad is not None and sum(bad) else ""
    view = example_view(array, spec)
    rows, inner = view.shape[0], view.shape[1:]
    if array.dtype.kind == "c":  # two numbers per element: real and imaginary parts as two curves, a row at a time
        size = int(np.prod(inner)) if inner else rows
        what = f"{size:,} values per batch row" if inner else f"one value per batch row ({rows})"
        return PlotChoice("complex", f"complex: real and imaginary parts, {what}{left_out}", rows,
                          1 if inner else rows)
    choice = _choose_real(view, key, rows, inner)
    return PlotChoice(choice.kind, choice.reason + left_out, choice.rows, choice.shown_rows) if left_out else choice


def _scalar_text(array: np.ndarray) -> str:
    value = array.item()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, complex):
        return f"{value.real:.6g}{value.imag:+.6g}j"
    return str(value)


def nonfinite_counts(array: np.ndarray) -> tuple[int, int] | None:
    """(NaN, Inf) counts of a float or complex array (of either part), None for other dtypes."""
    if array.dtype.kind not in "fc":
        return None
    finite = np.isfinite(array)
    if finite.all():  # the common case: one pass over the data
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(array)))
    return nan, int(finite.size - np.count_nonzero(finite)) - nan


def _bad_text(bad: tuple[int, int]) -> str:
    return " and ".join(f"{n:,} {what}" for n, what in zip(bad, ("NaN", "Inf")) if n) or "none"


def _choose_real(view: np.ndarray, key: str, rows: int, inner: tuple[int, ...]) -> PlotChoice:
    """The plot kind for a real (or bool/integer) output viewed as (rows, *inner)."""
    if not inner:
        if rows <= MAX_BATCH_BARS:
            return PlotChoice("bars", f"one value per batch row ({rows})", rows, rows)
        return PlotChoice("lines", f"one value per batch row ({rows}), as a line", rows, 1)
    if len(inner) == 1:
        if looks_like_scores(view, key) and rows <= MAX_BAR_ROWS:
            return PlotChoice("scores", f"class scores: {inner[0]} classes, argmax marked", rows, rows)
        shown = min(rows, MAX_CURVES)
        more = f", first {shown} shown" if shown < rows else ""
        return PlotChoice("lines", f"{inner[0]:,} values, one curve per batch row ({rows}{more})", rows, shown)
    if len(inner) == 2:
        return PlotChoice("heatmap", f"{inner[0]}×{inner[1]} heatmap per batch row", rows, 1)
    if len(inner) == 3 and inner[-1] in (3, 4):
        return PlotChoice("image", f"{inner[0]}×{inner[1]} image with {inner[-1]} channels per batch row", rows, 1)
    if len(inner) == 3:
        return PlotChoice("heatmap", f"{inner[0]}×{inner[1]} heatmap of channel 0 of {inner[-1]}", rows, 1)
    size = int(np.prod(inner))
    return PlotChoice("lines", f"rank {len(inner)} per row, flattened to {size:,} values", rows,
                      min(rows, MAX_CURVES))


def output_plot_widget() -> pg.PlotWidget:
    """A white plot for output values: light grid, grey axes, long curves peak-downsampled and clipped to view."""
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.25)
    # Long outputs: peak downsampling keeps spikes visible, clip-to-view draws only what is on screen.
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    style_axes(item)
    widget.setMinimumHeight(MIN_PLOT_HEIGHT)
    return widget


def style_axes(item: pg.PlotItem) -> None:
    """Grey axes with plain numbers: no SI-prefix scaling, which turned probabilities into "value (x0.001)"
    with ticks 100..700."""
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen("#666"))
        axis.setTextPen(pg.mkPen("#333"))
        axis.enableAutoSIPrefix(False)


def curve_at(plot, curves: list[pg.PlotDataItem], i: int) -> pg.PlotDataItem:
    """The i-th curve of a plot (PlotItem or PlotWidget), made on first use (peak-downsampled, clipped to view) and
    kept in `curves`, so that later updates are a setData."""
    while len(curves) <= i:
        curve = pg.PlotDataItem()
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        plot.addItem(curve)
        curves.append(curve)
    return curves[i]


def _finite_or(values: np.ndarray, fill: float) -> np.ndarray:
    """Float values with NaN and ±Inf replaced by `fill` (NaN: a gap in a curve; 0: no bar); float32 stays float32
    (a float64 copy of a million values cost the GUI thread ~5 ms), integers and bools become float64."""
    values = np.asarray(values)
    if values.dtype.kind != "f" or values.dtype.itemsize < 4:
        return values.astype(np.float64)
    finite = np.isfinite(values)
    return values if finite.all() else np.where(finite, values, values.dtype.type(fill))


def _pen_width(points: int) -> float:
    """1.5 px lines for a few curves; 1 px (Qt's fast path) when many points are drawn: 32 curves of 1,000 points in
    1.5 px took 35-50 ms per paint, in 1 px a fraction of that."""
    return 1.5 if points <= 4096 else 1.0


def _index(n: int, _cache: dict = {}) -> np.ndarray:  # noqa: B006 - the cache is the point
    """0..n-1 as float64, shared between curves and runs (a million-long arange per draw cost ~5 ms)."""
    if n not in _cache:
        if len(_cache) > 8:
            _cache.clear()
        _cache[n] = np.arange(n, dtype=np.float64)
        _cache[n].flags.writeable = False
    return _cache[n]


def _color(i: int) -> str:
    return _PALETTE[i] if i < len(_PALETTE) else pg.intColor(i, hues=16).name()


MIN_PLOT_HEIGHT = 180  # below this, axis labels overlap ("1.0" over "0.5") and bars are slivers (issue 13)


class LegendStrip(QtWidgets.QLabel):
    """A plot's legend as a wrapped line of coloured marks above the plot: outside the data area, so it can never
    hide a point (pyqtgraph's LegendItem floats over the view box and covered the last probes and class bars)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("plotLegend")
        self.setWordWrap(True)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.entries: list[tuple[str, str, str]] = []  # (colour, name, mark), in order
        self.hide()

    def clear(self) -> None:  # noqa: D102 - QLabel.clear, and the entries with it
        self.entries = []
        super().clear()

    def add(self, color: str, name: str, mark: str = "━") -> None:
        """One entry: a mark in the curve's colour, then its name."""
        self.entries.append((color, name, mark))
        # Non-breaking inside an entry, so a line wraps between entries ("random" / "0..1" read as two).
        self.setText("&nbsp;&nbsp; ".join(f"<span style='color:{c}; font-weight:bold'>{m}</span>&nbsp;"
                                          + _escape(n).replace(" ", "&nbsp;") for c, n, m in self.entries))

    def names(self) -> list[str]:
        """The entries' names, in order (what the user reads)."""
        return [n for _, n, _ in self.entries]


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PlotView(QtWidgets.QWidget):
    """One output's plot; show_array() picks the kind and updates items created once."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.choice = PlotChoice("none", "no output yet", 0, 0)
        self.argmax: list[int] = []  # per shown batch row, for "scores" plots
        self._view: np.ndarray | None = None
        self._bool = False  # the output is bool: drawn as False/True points

        self._caption = QtWidgets.QLabel("no output yet")
        self._caption.setObjectName("plotCaption")
        self._caption.setStyleSheet("color: palette(placeholder-text);")
        self._caption.setWordWrap(True)  # unwrapped, two panes side by side (Local ⇄ Server) widened the tabs
        self._caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self._row_label = QtWidgets.QLabel("row")
        self.row_box = QtWidgets.QSpinBox()
        self.row_box.setToolTip("Which batch row the heatmap, image or complex curves show")
        self.row_box.setMinimumWidth(60)
        self.row_box.valueChanged.connect(self._on_row_box_changed)

        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self._caption, 1)
        top.addWidget(self._row_label)
        top.addWidget(self.row_box)

        self.plot_widget = output_plot_widget()
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.legend = LegendStrip()

        self._curves: list[pg.PlotDataItem] = []
        self._bars: list[pg.BarGraphItem] = []
        self._marker = pg.ScatterPlotItem(symbol="t", size=12, brush=pg.mkBrush(_ARGMAX), pen=None)
        self._marker.setZValue(10)
        self.plot_item.addItem(self._marker)
        # Downsampled to the screen's pixels before colouring: a 1000x1000 heatmap took ~45 ms per paint.
        self.heatmap_item = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
        self.plot_item.addItem(self.heatmap_item)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12, pen="#666")
        self.color_bar.setImageItem(self.heatmap_item, insert_in=self.plot_item)
        # Pictures get an item of their own: the colour bar sets its levels and colour map on the items it is linked
        # to, and a uint8 photo drawn with the bar's (0, 1) levels was white.
        self.picture_item = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
        self.plot_item.addItem(self.picture_item)
        self.image_item = self.heatmap_item  # the one drawn last (heatmap or picture)
        self._hide_all()

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot_widget, 1)
        self._set_compact(False)
        # A plot made after the theme was set (an output's first run) takes the palette's colours now: the theme
        # watcher only re-colours the plots that exist when the palette changes.
        style_plots(self)

    def _set_compact(self, compact: bool) -> None:
        """Compact: no plot, only the caption (a text, scalar or empty output), so the values table below gets the
        room; a string or complex output left a blank box of the plot's size (issue 13)."""
        line = self._caption.fontMetrics().lineSpacing()
        self.plot_widget.setVisible(not compact)
        if compact:
            self.setMinimumHeight(0)
            self.setMaximumHeight(self._compact_height())
        else:
            # Room for the caption on two lines and the legend on one: a splitter sizes by minimum hints, not by a
            # wrapped label's height, and a narrow pane (Local ⇄ Server) otherwise took them out of the 180 px.
            self.setMaximumHeight(16777215)  # QWIDGETSIZE_MAX
            self.setMinimumHeight(MIN_PLOT_HEIGHT + 2 * line + 4 + (line + 2 if self.legend.entries else 0))

    def _compact_height(self) -> int:
        # The caption's own lines at this width (two before the first layout): a fixed two-line box left a blank
        # line between the statistics and a one-line caption.
        line = self._caption.fontMetrics().lineSpacing()
        width = self._caption.width()
        lines = self._caption.heightForWidth(width) if width > 0 else 2 * line
        return max(lines, line) + 4

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.compact and self.maximumHeight() != self._compact_height():
            self.setMaximumHeight(self._compact_height())

    @property
    def compact(self) -> bool:
        """True when the output has nothing to plot and only the caption is shown."""
        return not self.plot_widget.isVisibleTo(self)

    # -- public -----------------------------------------------------------------------------------------------
    def show_array(self, array, spec: TensorSpec | None = None, key: str = "") -> PlotChoice:
        """Plot one output; returns the choice made (also in .choice)."""
        array = np.asarray(array)
        choice = choose_plot(array, spec, key)
        self.choice = choice
        self.argmax = []
        self._hide_all()
        self._caption.setText(choice.reason)
        if choice.kind == "none":  # text, scalar, empty, all NaN: nothing to draw, the table gets the room
            self._view = None
            self._set_row_control(0)
            self._set_compact(True)
            return choice
        view = example_view(array, spec)
        self._bool = view.dtype.kind == "b"
        if self._bool:
            view = view.astype(np.int8)
        self._view = view
        if choice.kind in ("heatmap", "image", "complex"):
            rows = view.shape[0] if choice.kind != "complex" or view.ndim > 1 else 0
            self._set_row_control(rows)
            self._draw_row(min(self.row_box.value(), max(view.shape[0] - 1, 0)))
        else:
            self._set_row_control(0)
            getattr(self, "_draw_" + choice.kind)(view, choice)
            self.plot_item.enableAutoRange()
        self._set_compact(False)
        return choice

    def clear(self) -> None:
        """Back to the empty state."""
        self._hide_all()
        self._set_compact(False)
        self._view = None
        self.choice = PlotChoice("none", "no output yet", 0, 0)
        self._caption.setText(self.choice.reason)
        self._set_row_control(0)

    def curves(self) -> list[pg.PlotDataItem]:
        """Curves currently shown (for tests and exports)."""
        return [c for c in self._curves if c.isVisible()]

    def bar_items(self) -> list[pg.BarGraphItem]:
        """Bar groups currently shown, one per batch row."""
        return [b for b in self._bars if b.isVisible()]

    # -- drawing ----------------------------------------------------------------------------------------------
    def _hide_all(self) -> None:
        for item in self._curves + self._bars:
            item.hide()
        self._marker.setData([], [])
        self._marker.hide()
        for item in (self.heatmap_item, self.picture_item):
            item.hide()
            item.clear()
        self.color_bar.hide()
        self.legend.clear()
        self.legend.hide()
        self.plot_item.getViewBox().invertY(False)
        self.plot_item.getViewBox().setAspectLocked(False)
        self.plot_item.setLabel("bottom", "")
        self.plot_item.setLabel("left", "")
        self.plot_item.getAxis("bottom").setTicks(None)
        self.plot_item.getAxis("left").setTicks(None)

    def _bool_ticks(self) -> None:
        # A bool output is False or True: "0.2 0.4 0.6" on its axis would suggest values it cannot take.
        self.plot_item.getAxis("left").setTicks([[(0, "False"), (1, "True")]])
        self.plot_item.getViewBox().setYRange(-0.15, 1.15, padding=0)
        self.plot_item.getViewBox().enableAutoRange(y=False)

    def _integer_ticks(self, count: int) -> None:
        # Bars stand for rows or classes: 0.5-steps on the axis would suggest positions that do not exist.
        if count <= 40:
            step = 1 if count <= 20 else 2
            self.plot_item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, count, step)]])

    def _curve(self, i: int) -> pg.PlotDataItem:
        return curve_at(self.plot_item, self._curves, i)

    def _bar(self, i: int) -> pg.BarGraphItem:
        while len(self._bars) <= i:
            bar = pg.BarGraphItem(x=[0], height=[0], width=0.8)
            self.plot_item.addItem(bar)
            self._bars.append(bar)
        return self._bars[i]

    def _draw_bars(self, view: np.ndarray, choice: PlotChoice) -> None:
        heights = view.reshape(-1).astype(np.float64)
        bar = self._bar(0)
        # NaN/Inf are left out (height 0; the caption counts them): nan_to_num made Inf a 1.8e308 bar.
        bar.setOpts(x=np.arange(heights.size), height=_finite_or(heights, 0.0), width=0.7,
                    brushes=None, brush=pg.mkBrush(_BAR), pen=pg.mkPen("#3B6E9E"))
        bar.show()
        self._integer_ticks(heights.size)
        self.plot_item.setLabel("bottom", "batch row")
        if self._bool:
            self._bool_ticks()

    def _draw_scores(self, view: np.ndarray, choice: PlotChoice) -> None:
        rows, classes = view.shape
        width = 0.8 / rows
        marks_x, marks_y = [], []
        for r in range(rows):
            values = view[r].astype(np.float64)
            best = int(np.nanargmax(values)) if np.isfinite(values).any() else 0
            self.argmax.append(best)
            # One row: the winner in the accent colour. Several rows: each keeps its colour (the legend's) and
            # the winner gets a dark outline plus a marker, so colours never mean two things.
            color = _color(r) if rows > 1 else _BAR
            win = color if rows > 1 else _ARGMAX
            brushes = [pg.mkBrush(win if c == best else color) for c in range(classes)]
            pens = [pg.mkPen("#222", width=2) if (c == best and rows > 1) else pg.mkPen(None) for c in range(classes)]
            x = np.arange(classes) - 0.4 + width * (r + 0.5)
            bar = self._bar(r)
            bar.setOpts(x=x, height=_finite_or(values, 0.0), width=width * 0.9, brushes=brushes, brush=None,
                        pens=pens, pen=None)
            bar.show()
            marks_x.append(x[best])
            marks_y.append(float(_finite_or(values[best:best + 1], 0.0)[0]))
            if rows > 1:
                self.legend.add(color, f"row {r}: argmax {best}", "■")
        if rows == 1:
            self.legend.add(_ARGMAX, f"argmax {self.argmax[0]} = {marks_y[0]:.4g}", "▼")
        self.legend.show()
        # Markers sit just above the bar so the winner is findable among hundreds of classes.
        finite = view[np.isfinite(view)] if view.dtype.kind == "f" else view
        span = max(marks_y) - min(0.0, float(finite.min()) if finite.size else 0.0) if marks_y else 1.0
        brushes = [pg.mkBrush(_ARGMAX if rows == 1 else "#222")] * len(marks_x)
        self._marker.setData(marks_x, [y + 0.04 * (span or 1.0) for y in marks_y], brush=brushes)
        self._marker.show()
        self._integer_ticks(classes)
        self.plot_item.setLabel("bottom", "class")

    def _draw_lines(self, view: np.ndarray, choice: PlotChoice) -> None:
        rows = view.reshape(view.shape[0], -1) if view.ndim > 1 else view.reshape(1, -1)
        if view.ndim == 1:  # one value per batch row, too many rows for bars
            self.plot_item.setLabel("bottom", "batch row")
        else:
            self.plot_item.setLabel("bottom", "index")
        shown = min(rows.shape[0], MAX_CURVES)
        n = rows.shape[1]
        x = _index(n)
        # A bool output is points at False/True: a line between them would draw values it cannot take.
        dots = self._bool and n <= 256
        width = _pen_width(shown * n)
        for r in range(shown):
            curve = self._curve(r)
            curve.setData(x, _finite_or(rows[r], np.nan), pen=None if dots else pg.mkPen(_color(r), width=width),
                          symbol=("s" if self._bool else "o") if n <= 32 or dots else None,
                          symbolSize=7 if self._bool else 5, symbolBrush=_color(r), symbolPen=None,
                          connect="finite")
            curve.show()
            if 1 < shown <= len(_PALETTE):
                self.legend.add(_color(r), f"row {r}")
        self.legend.setVisible(1 < shown <= len(_PALETTE))
        self._integer_ticks(n)
        if self._bool:
            self._bool_ticks()

    def _draw_row(self, row: int) -> None:
        """Draw one batch row of a heatmap, image or complex output (the row box picks it)."""
        if self.choice.kind == "complex":
            self._draw_complex(row)
        else:
            self._draw_image(row)

    def _draw_complex(self, row: int) -> None:
        view = self._view
        if view is None:
            return
        self._hide_all()
        values = view.reshape(-1) if view.ndim == 1 else view[row].reshape(-1)
        n = values.size
        x = _index(n)
        for i, (part, name, style) in enumerate(((values.real, "real", QtCore.Qt.PenStyle.SolidLine),
                                                 (values.imag, "imaginary", QtCore.Qt.PenStyle.DashLine))):
            curve = self._curve(i)
            curve.setData(x, _finite_or(part, np.nan), pen=pg.mkPen(_PALETTE[i], width=_pen_width(2 * n), style=style),
                          symbol="o" if n <= 32 else None, symbolSize=5, symbolBrush=_PALETTE[i], symbolPen=None,
                          connect="finite")
            curve.show()
            self.legend.add(_PALETTE[i], name, "━" if i == 0 else "╍")
        self.legend.show()
        self._integer_ticks(n)
        self.plot_item.setLabel("bottom", "batch row" if view.ndim == 1 else "index")
        self.plot_item.setLabel("left", "value")
        self.plot_item.enableAutoRange()

    def _draw_image(self, row: int) -> None:
        view = self._view
        if view is None:
            return
        self._hide_all()
        image = view[row]
        if image.ndim == 3 and image.shape[-1] not in (3, 4):
            image = image[..., 0]
        pixels = image.dtype == np.uint8
        image = image.astype(np.float64) if image.dtype.kind != "f" else image
        finite = image[np.isfinite(image)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high == low:
            high = low + 1.0
        if image.ndim == 3:
            # A colour picture in its pixels' own scale, not stretched to its min..max: a dark uint8 photo (0..60)
            # was shown bright, and a 0..1 image with little contrast as full contrast.
            if pixels:
                low, high = 0.0, 255.0
            elif low >= 0.0 and high <= 1.0:
                low, high = 0.0, 1.0
            self.image_item = self.picture_item
            self.image_item.setImage(image, autoLevels=False, levels=(low, high))
        else:
            self.image_item = self.heatmap_item
            self.image_item.setImage(image, autoLevels=False, levels=(low, high))
            self.color_bar.setLevels((low, high))
            self.color_bar.show()
        self.image_item.show()
        vb = self.plot_item.getViewBox()
        vb.invertY(True)  # row 0 at the top, as images and matrices are read
        # Pictures keep square pixels; a matrix fills the plot (a locked (32, 10) heatmap was drawn over x -400..400).
        vb.setAspectLocked(image.ndim == 3 or self.choice.kind == "image")
        vb.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)
        self.plot_item.setLabel("bottom", "column")
        self.plot_item.setLabel("left", "row")

    def _set_row_control(self, rows: int) -> None:
        visible = rows > 1
        self.row_box.blockSignals(True)
        self.row_box.setRange(0, max(rows - 1, 0))
        if not visible:
            self.row_box.setValue(0)
        self.row_box.blockSignals(False)
        self.row_box.setVisible(visible)
        self._row_label.setVisible(visible)

    def _on_row_box_changed(self, row: int) -> None:
        if self._view is not None and self.choice.kind in ("heatmap", "image", "complex"):
            self._draw_row(row)


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.plots FILE.npy|FILE.npz [KEY]`: plot an array for a quick look."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    if len(argv) > 1:
        data = np.load(argv[1], allow_pickle=False)
        array = data[argv[2] if len(argv) > 2 else data.files[0]] if hasattr(data, "files") else data
    else:
        array = np.random.default_rng(0).dirichlet(np.ones(10), size=3).astype(np.float32)
    view = PlotView()
    view.resize(700, 420)
    view.show_array(array, key=argv[2] if len(argv) > 2 else "")
    view.show()
    QtCore.QTimer.singleShot(0, lambda: None)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
