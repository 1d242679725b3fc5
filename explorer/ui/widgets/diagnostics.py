"""DiagnosticsPanel: "Check for identical outputs" -- probes on a worker, verdict cards, and plots that show it.

API for the main window (or any host):
    panel = DiagnosticsPanel(worker=window.worker)
    panel.set_target("path/or/rest://...", signature_key, engine="auto", version=None)   # what to check
    panel.set_inputs_provider(lambda: form_arrays)          # optional: the user's current inputs, probed around
    panel.set_compare_folder(folder)                        # optional, for a server target: the local folder
    panel.check_action                                      # a QAction ("Check for Identical Outputs", Ctrl+Shift+D)
    panel.start() -> Task | None; panel.cancel(); panel.show_diagnosis(diagnosis); panel.diagnosis
Signals: diagnosed(Diagnosis), failed(ExplorerError), busy_changed(bool).
The probing is core.diagnose.diagnose (plain function, progress/cancelled callables) run by ui.workers.Worker.
"""
from __future__ import annotations

import math
import sys
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.diagnose import Diagnosis, DiagnosisCancelled, diagnose
from explorer.core.errors import ExplorerError, RunStopped

from .. import theme
from ..workers import Task, Worker
from .message_bar import MessageBar
from .plots import MIN_PLOT_HEIGHT, LegendStrip, curve_at, style_axes

MAX_PROBE_CURVES = 128  # more curves than this draw slowly and read as a smear; the caption says what is left out
MAX_CURVE_POINTS = 2000  # longer outputs are shown by their first elements (with the count in the caption)

# Probe groups -> colours (Okabe-Ito): the eye finds which probes agree. None: the plot's ink (black on a light
# plot, light on a dark one), where a fixed black vanished on the dark theme's plots.
GROUP_COLORS = {"base": None, "current": None, "fill": "#CC79A7", "perturb": "#56B4E9",
                "unit": "#0072B2", "normal": "#009E73", "byte": "#D55E00", "repeat": None}
SWEEP_COLOR = "#E69F00"
# Verdict -> (severity, heading); the colours come from the palette (theme.card_style), so the card is a light
# tint in the light theme and a dark one in the dark theme, its ink readable on it in both.
VERDICT_STYLE = {
    "identical": ("error", "Identical outputs"),
    "stateful": ("error", "Stateful: same input, different outputs"),
    "insensitive": ("warning", "Some inputs are ignored"),
    "ok": ("ok", "Outputs vary with the inputs"),
}


def run_check(target, signature: str | None, engine: str = "auto", version: int | None = None, probes: int = 64,
              current: dict | None = None, compare_local: str | None = None, progress=None,
              cancelled=None) -> Diagnosis:
    """Open the target, probe it, close it: the plain function the worker runs (no Qt)."""
    from explorer.core.targets import parse_target

    from ..workers import open_runner  # a model folder runs in the engine process

    parsed = parse_target(str(target))
    runner = open_runner(parsed, engine=engine if parsed.kind == "folder" else "auto", version=version)
    try:
        # A local folder compared with a server runs in the engine too.
        return diagnose(runner, signature, probes=probes, current=current, compare_local=compare_local or None,
                        progress=progress or (lambda f, t: None), cancelled=cancelled or (lambda: False),
                        open_local=lambda folder, **kw: open_runner(folder, **kw))
    except RunStopped as exc:  # Cancel stopped the engine in the middle of a call: the check was cancelled
        raise DiagnosisCancelled() from exc
    finally:
        runner.close()


class CauseCard(QtWidgets.QFrame):
    """One likely cause: title, evidence and fix, framed by severity."""

    def __init__(self, cause, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.cause = cause
        self.setObjectName("causeCard")
        self.restyle()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(3)
        mark = "Likely cause" if cause.severity == "error" else "Worth knowing"
        self.title = QtWidgets.QLabel(f"<b>{mark}: {_escape(cause.title)}</b>")
        self.evidence = QtWidgets.QLabel(f"<i>Evidence:</i> {_escape(cause.evidence)}")
        self.fix = QtWidgets.QLabel(f"<i>Fix:</i> {_escape(cause.fix)}")
        for label in (self.title, self.evidence, self.fix):
            label.setWordWrap(True)
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)

    def restyle(self) -> None:
        """Colours from the current palette (called again when the theme changes)."""
        border, fill = theme.card_style(self.cause.severity)
        self.setStyleSheet(f"#causeCard {{ border: 1px solid {border}; border-left: 5px solid {border}; "
                           f"border-radius: 4px; background: {fill}; }}")


class DiagnosticsPanel(QtWidgets.QWidget):
    """Runs the identical-output check for one target and signature and shows verdict, causes and plots."""

    diagnosed = QtCore.Signal(object)  # Diagnosis
    failed = QtCore.Signal(object)  # ExplorerError
    busy_changed = QtCore.Signal(bool)

    def __init__(self, worker: Worker | None = None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.worker = worker or Worker(self)
        self.consent = None  # a ConsentGate (ui/consent.py): asks before a model with dangerous ops runs
        self._target: str | None = None
        self._signature: str | None = None
        self._engine = "auto"
        self._version: int | None = None
        self._inputs_provider: Callable[[], dict | None] | None = None
        self._task: Task | None = None
        self.diagnosis: Diagnosis | None = None

        self.check_action = QtGui.QAction("Check for &Identical Outputs", self)
        self.check_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+D"))
        self.check_action.setToolTip("Probe the model with varied inputs and explain identical outputs")
        self.check_action.triggered.connect(self._on_check_action_triggered)

        # --- controls
        self.target_label = QtWidgets.QLabel("No model open")
        self.target_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target_label.setWordWrap(True)  # a long model path must not widen the window
        self.probes_spin = QtWidgets.QSpinBox()
        self.probes_spin.setRange(12, 4096)
        self.probes_spin.setValue(64)
        self.probes_spin.setToolTip("How many probe inputs to send (they are batched into as few calls as "
                                    "the signature allows)")
        self.compare_edit = QtWidgets.QLineEdit()
        self.compare_edit.setPlaceholderText("model folder to compare a server with (optional)")
        self.compare_edit.setToolTip("For a server target: the same probes go to this folder's versions, to name "
                                     "a stale, pinned or other version, or a cache")
        self.use_inputs_box = QtWidgets.QCheckBox("Probe around my inputs")
        self.use_inputs_box.setChecked(True)
        self.use_inputs_box.setToolTip("Perturb the inputs in the form, and judge from them whether raw 0..255 "
                                       "values are being sent")
        # Short: with "Check for identical outputs" the row set the tab's minimum width above the window's
        # default tab width, and the splitter beside the tabs jumped whenever this tab was shown.
        self.check_button = QtWidgets.QPushButton("Check")
        self.check_button.setToolTip("Check for identical outputs: probe the model with varied inputs (Ctrl+Shift+D)")
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(True)
        self.progress_label = QtWidgets.QLabel("")
        self.messages = MessageBar()

        controls = QtWidgets.QVBoxLayout()
        controls.addWidget(self.target_label)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Probes"))
        row.addWidget(self.probes_spin)
        row.addSpacing(12)
        row.addWidget(self.use_inputs_box)
        row.addStretch(1)
        row.addWidget(self.check_button)
        row.addWidget(self.cancel_button)
        controls.addLayout(row)
        controls.addWidget(self.compare_edit)
        progress_row = QtWidgets.QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 2)
        progress_row.addWidget(self.progress_label, 3)

        # --- verdict and causes
        self.verdict_label = QtWidgets.QLabel("")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setObjectName("verdict")
        self.stats_label = QtWidgets.QLabel("")
        self.stats_label.setWordWrap(True)
        self.stats_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cards_box = QtWidgets.QWidget()
        self.cards_layout = QtWidgets.QVBoxLayout(self.cards_box)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards_layout.setSpacing(6)
        self.cards_layout.addStretch(1)
        cards_scroll = QtWidgets.QScrollArea()
        cards_scroll.setWidgetResizable(True)
        cards_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        cards_scroll.setWidget(self.cards_box)
        cards_scroll.setMinimumHeight(24)  # it scrolls: its ~75 px default minimum need not size the window

        # --- plots
        self.output_combo = QtWidgets.QComboBox()
        self.output_combo.setToolTip("Which output the plots show")
        self.output_combo.currentTextChanged.connect(self._on_output_combo_changed)
        self.probes_plot = _plot("Outputs across probes", "output element", "value",
                                 "One curve per probe: curves on top of each other mean the same answer",
                                 whole_numbers=True)
        # Above the plot, not in it: a legend inside the view box covered the last probes' points.
        self.probes_legend = LegendStrip()
        self.probes_caption = QtWidgets.QLabel("")
        self.probes_caption.setWordWrap(True)
        self.probes_caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)  # unwrapped, it widened the plots past their scroll area's edge
        self.heatmap_plot = _plot("Spread per element", "element", "",
                                  "Standard deviation across probes, relative to the output's magnitude",
                                  whole_numbers=True)
        self.heatmap_image = pg.ImageItem(axisOrder="row-major")
        self.heatmap_plot.addItem(self.heatmap_image)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12,
                                         pen="#666", values=(0, 1))
        self.color_bar.setImageItem(self.heatmap_image, insert_in=self.heatmap_plot.getPlotItem())
        self.sensitivity_plot = _plot("Sensitivity per input", "", "spread",
                                      "Spread of the outputs when one input key is swept and the others are fixed")
        self.sensitivity_bars = pg.BarGraphItem(x=[0], height=[0], width=0.6, brush="#0072B2")
        self.sensitivity_plot.addItem(self.sensitivity_bars)
        self.overall_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#D55E00", style=QtCore.Qt.PenStyle.DashLine),
                                            label="all probes", labelOpts={"position": 0.9, "color": "#D55E00"})
        self.sensitivity_plot.addItem(self.overall_line)
        self._bar_labels: list[pg.TextItem] = []
        self._probe_curves: list[pg.PlotDataItem] = []

        self.lower_plots = lower = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        lower.addWidget(self.heatmap_plot)
        lower.addWidget(self.sensitivity_plot)
        plots = QtWidgets.QWidget()
        plots_layout = QtWidgets.QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Output"))
        row.addWidget(self.output_combo, 1)
        plots_layout.addLayout(row)
        plots_layout.addWidget(self.probes_legend)
        plots_layout.addWidget(self.probes_plot, 3)
        plots_layout.addWidget(self.probes_caption)
        plots_layout.addWidget(lower, 2)
        # The plots keep a readable height (plots.MIN_PLOT_HEIGHT) and scroll in a small window rather than
        # squeezing to slivers or setting the window's minimum height.
        plots_scroll = QtWidgets.QScrollArea()
        plots_scroll.setWidgetResizable(True)
        plots_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        plots_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        plots_scroll.setWidget(plots)

        top = QtWidgets.QWidget()
        top_layout = QtWidgets.QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.verdict_label)
        top_layout.addWidget(self.stats_label)
        top_layout.addWidget(cards_scroll, 1)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(plots_scroll)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([280, 570])

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.messages)
        layout.addLayout(controls)
        layout.addLayout(progress_row)
        layout.addWidget(self.splitter, 1)
        self._set_busy(False)
        self._update_enabled()

    # --- API --------------------------------------------------------------------------------------------------

    def set_target(self, target, signature: str | None = None, *, engine: str = "auto",
                   version: int | None = None) -> None:
        """What the next check probes: a folder or server target (text or Target) and a signature key."""
        self._target = None if target is None else str(getattr(target, "url", lambda: target)()
                                                         if not isinstance(target, str) else target)
        self._signature = getattr(signature, "key", signature)
        self._engine, self._version = engine, version
        if self._target is None:
            self.target_label.setText("No model open")
        else:
            sig = self._signature or "the default signature"
            self.target_label.setText(f"<b>{_escape(sig)}</b> of {_escape(self._target)}"
                                      + (f" · version {version}" if version is not None else ""))
        self.compare_edit.setVisible(self._target is not None and "://" in self._target)
        self._update_enabled()

    def set_inputs_provider(self, provider: Callable[[], dict | None] | None) -> None:
        """A callable returning the user's current inputs (key -> array) at check time, or None."""
        self._inputs_provider = provider

    def set_compare_folder(self, folder: str | None) -> None:
        self.compare_edit.setText(folder or "")

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.finished

    def start(self) -> Task | None:
        """Run the check on the worker; returns its Task (None when there is nothing to check)."""
        if self._target is None:
            return None
        current = None
        self.messages.clear()  # before asking for the inputs: their warning must stay visible
        if self._inputs_provider is not None and self.use_inputs_box.isChecked():
            try:
                current = self._inputs_provider() or None
            except ExplorerError as exc:  # the form's inputs are not valid: probe without them, and say so
                self.messages.show_message(f"Probing without your inputs: {exc}", "warning",
                                           fix=getattr(exc, "fix", ""))
        self.progress_bar.setValue(0)
        self.progress_label.setText("starting…")
        self._task = self.worker.submit(
            run_check, self._target, self._signature, engine=self._engine, version=self._version,
            probes=self.probes_spin.value(), current=current, compare_local=self.compare_edit.text().strip() or None,
            caller="diagnose", name="check for identical outputs",
            on_done=self._on_worker_done, on_failed=self._on_worker_failed, on_progress=self._on_worker_progress)
        self._task_finished_connection()
        self._set_busy(True)
        return self._task

    def cancel(self) -> None:
        if self._task is not None and not self._task.finished:
            self._task.cancel()
            self.progress_label.setText("cancelling after the current call…")

    def show_diagnosis(self, d: Diagnosis) -> None:
        """Render a diagnosis: verdict header, cause cards, per-output facts and the three plots."""
        self.diagnosis = d
        head = VERDICT_STYLE.get(d.verdict, ("info", d.verdict))[1]
        self._style_verdict()
        # The heading already says the verdict; the summary repeats it ("Outputs vary with the inputs — Outputs
        # vary with the inputs."): only its "Likely: ..." part is news.
        likely = d.summary.partition(" Likely: ")[2]
        self.verdict_label.setText(f"<b>{head}</b>" + (f" — Likely: {_escape(likely)}" if likely else "")
                                   + "<br><span style='font-size: 11px'>"
                                   f"{len(d.probes)} probes in {d.calls} call{'s' if d.calls != 1 else ''} "
                                   f"({d.mode}, {d.engine}) · "
                                   f"{d.timing_ms.get('total', 0) - d.timing_ms.get('load', 0):.0f} ms</span>")
        facts = []
        for key, s in d.outputs.items():
            if not s.numeric:
                follows = f" · follows {_escape(', '.join(s.moved_by))}" if s.moved_by and not s.identical else ""
                facts.append(f"<b>{_escape(key)}</b>: not numeric, {'the same' if s.identical else 'varies'}"
                             + follows)
                continue
            bits = [f"spread {s.spread:.3g}", "identical" if s.identical else "varies"]
            if s.insensitive_to:
                bits.append("ignores " + ", ".join(s.insensitive_to))
            if s.saturation and s.saturated:
                bits.append(f"{s.saturated:.0%} {s.saturation} pinned")
            if s.nan or s.inf:
                bits.append(f"{s.nan} NaN, {s.inf} Inf")
            facts.append(f"<b>{_escape(key)}</b>: " + " · ".join(bits))
        facts += [f"<i>{_escape(n)}</i>" for n in d.notes]
        self.stats_label.setText("<br>".join(facts))
        while self.cards_layout.count() > 1:
            item = self.cards_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        ordered = sorted(d.causes, key=lambda c: c.severity != "error")
        for i, cause in enumerate(ordered):
            self.cards_layout.insertWidget(i, CauseCard(cause))
        if not d.causes and d.verdict == "ok":
            note = QtWidgets.QLabel("Nothing suspicious: every output follows the inputs.")
            self.cards_layout.insertWidget(0, note)
        # Give the verdict and cards the room they need (up to half), the plots the rest.
        self.cards_box.adjustSize()
        wanted = (self.verdict_label.sizeHint().height() + self.stats_label.sizeHint().height()
                  + self.cards_box.sizeHint().height() + 24)
        total = max(sum(self.splitter.sizes()), 600)
        top = min(wanted, total // 2)
        self.splitter.setSizes([top, total - top])
        keys = [k for k, s in d.outputs.items() if s.numeric and k in d.values]
        self.output_combo.blockSignals(True)
        self.output_combo.clear()
        self.output_combo.addItems(keys)
        self.output_combo.setEnabled(bool(keys))
        self.output_combo.blockSignals(False)
        self._show_output(keys[0] if keys else None)
        QtCore.QTimer.singleShot(0, self, self._fit_cards)  # context: dropped if the panel is deleted first

    def _fit_cards(self) -> None:
        """Give the verdict and its cards the height they need (up to 60 %): a cut Fix is no fix at all; the plots
        below scroll."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        top = self.splitter.widget(0)
        width = self.cards_box.width() or top.width()
        need = (self.verdict_label.heightForWidth(width) + self.stats_label.heightForWidth(width)
                + self.cards_box.layout().totalHeightForWidth(width) + 24)
        want = min(max(need, sizes[0]), int(total * 0.6))
        if total > 0 and want != sizes[0]:
            self.splitter.setSizes([want, total - want])

    @property
    def cards(self) -> list[CauseCard]:
        return [self.cards_layout.itemAt(i).widget() for i in range(self.cards_layout.count())
                if isinstance(self.cards_layout.itemAt(i).widget(), CauseCard)]

    @property
    def probe_curves(self) -> list[pg.PlotDataItem]:
        return [c for c in self._probe_curves if c.isVisible()]

    # --- plots ------------------------------------------------------------------------------------------------

    def _show_plots(self, shown: bool, why: str = "") -> None:
        """The three plots, or in their place the sentence saying why there is nothing to draw (no empty axes)."""
        for widget in (self.probes_plot, self.lower_plots):
            widget.setVisible(shown)
        if not shown:
            for c in self._probe_curves:
                c.hide()
            self.probes_legend.clear()
            self.probes_legend.hide()
            self.heatmap_image.clear()
            self.sensitivity_bars.setOpts(x=[], height=[])
            self.probes_caption.setText(why)

    def _show_output(self, key: str | None) -> None:
        d = self.diagnosis
        ink = theme.colors().plot_foreground
        if d is None or key is None or key not in d.values:
            others = ", ".join(f"{k} ({'the same' if s.identical else 'varies'})" for k, s in
                               (d.outputs.items() if d is not None else ()) if not s.numeric)
            self._show_plots(False, "" if d is None else "No numeric output to plot" + (
                f": {others} are compared as values, in the list above." if others else "."))
            return
        raw = np.asarray(d.values[key])
        raw = raw.reshape(len(raw), -1)
        elements = raw.shape[1]
        # Only the elements drawn become float64: all of a million-value output over 64 probes was a 512 MB copy
        # on the GUI thread.
        values = raw[:, :MAX_CURVE_POINTS].astype(np.float64)
        if not np.isfinite(values).any():  # every probe answered NaN/Inf: empty axes would read as "no answer"
            what = "Every value" if elements <= MAX_CURVE_POINTS else f"Each of the first {MAX_CURVE_POINTS:,} values"
            self._show_plots(False, f"{what} of output {key} is NaN or Inf, for every probe: nothing to plot.")
            return
        self._show_plots(True)
        groups = [p.group for p in d.probes[:len(values)]]
        shown = _pick_probes(groups, MAX_PROBE_CURVES)
        points = min(values.shape[1], MAX_CURVE_POINTS)
        x = np.arange(points)
        # One value per probe (a class id, a score): every probe's curve would be one point at x = 0, stacked on one
        # vertical line; spread them along a probe axis instead.
        per_probe = points == 1
        self.probes_plot.getPlotItem().setLabel("bottom", "probe" if per_probe else "output element")
        self.probes_legend.clear()
        legend_done = set()
        for n, i in enumerate(shown):
            curve = self._curve(n)
            group = groups[i]
            color = SWEEP_COLOR if group.startswith("sweep:") else GROUP_COLORS.get(group, "#777") or ink
            name = _legend_name(group)
            y = np.where(np.isfinite(values[i, :points]), values[i, :points], np.nan)
            curve.setData(np.array([n]) if per_probe else x, y, pen=pg.mkPen(color, width=1.2),
                          symbol="o" if points <= 32 else None,
                          symbolSize=4, symbolBrush=color, symbolPen=None, connect="finite")
            curve.show()
            if name not in legend_done:
                self.probes_legend.add(color, name, "●" if per_probe or points <= 32 else "━")
                legend_done.add(name)
        for curve in self._probe_curves[len(shown):]:
            curve.hide()
        self.probes_legend.setVisible(bool(legend_done))
        right = len(shown) - 1 if per_probe else points - 1
        self.probes_plot.getPlotItem().setXRange(0, max(right, 1), padding=0.02)
        finite = values[shown, :points][np.isfinite(values[shown, :points])]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
            self.probes_plot.getPlotItem().setYRange(lo - pad, hi + pad, padding=0)
        left_out = len(values) - len(shown)
        self.probes_caption.setText(
            f"{len(shown)} probe curves of output {key}"
            + (f" ({left_out} more probes not drawn)" if left_out else "")
            + (f"; first {points} of {elements:,} elements" if points < elements else "")
            + (". They all coincide: this output does not depend on the input." if d.outputs[key].identical
               else ". Curves that lie on top of each other are identical outputs."))
        s = d.outputs[key]
        spread = _heatmap_grid(s.element_spread if s.element_spread is not None else np.zeros(elements))
        self.heatmap_image.setImage(spread, autoLevels=False)
        # Pixel centres on whole numbers, so element i sits over tick i.
        self.heatmap_image.setRect(QtCore.QRectF(-0.5, -0.5, spread.shape[1], spread.shape[0]))

        top = float(np.nanmax(spread)) if spread.size and np.isfinite(spread).any() else 0.0
        self.color_bar.setLevels((0.0, max(top, 1e-6)))
        self.heatmap_plot.getPlotItem().setLabel("left", "row" if spread.shape[0] > 1 else "")
        self.heatmap_plot.getPlotItem().showAxis("left", spread.shape[0] > 1)
        self.heatmap_plot.getPlotItem().autoRange()
        keys = list(s.sensitivity)
        heights = [s.sensitivity[k] for k in keys]
        brushes = [pg.mkBrush("#D55E00" if k in s.insensitive_to else "#0072B2") for k in keys]
        self.sensitivity_bars.setOpts(x=np.arange(len(keys)), height=np.asarray(heights, float), width=0.6,
                                      brushes=brushes)
        self.sensitivity_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(i, k + (" (ignored)" if k in s.insensitive_to else "")) for i, k in enumerate(keys)]])
        self.overall_line.setValue(s.spread)
        for i, (k, h) in enumerate(zip(keys, heights)):
            if i >= len(self._bar_labels):
                label = pg.TextItem(anchor=(0.5, 1.0))
                self.sensitivity_plot.addItem(label)
                self._bar_labels.append(label)
            self._bar_labels[i].setColor(ink)
            self._bar_labels[i].setText(f"{h:.3g}")
            self._bar_labels[i].setPos(i, h)
            self._bar_labels[i].show()
        for label in self._bar_labels[len(keys):]:
            label.hide()
        self.sensitivity_plot.getPlotItem().setXRange(-0.8, max(len(keys), 1) - 0.2, padding=0)
        self.sensitivity_plot.getPlotItem().setYRange(0, max(heights + [s.spread, 1e-6]) * 1.15, padding=0)

    def _style_verdict(self) -> None:
        severity = VERDICT_STYLE.get(self.diagnosis.verdict, ("info", ""))[0] if self.diagnosis else "info"
        fg, bg = theme.card_style(severity)
        self.verdict_label.setStyleSheet(f"#verdict {{ color: {fg}; background: {bg}; border-radius: 4px; "
                                         "padding: 8px; font-size: 15px; }")

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt's name
        # A theme change (Preferences) re-colours what is shown: the cards kept the light theme's pastels.
        if event.type() == QtCore.QEvent.Type.PaletteChange and self.diagnosis is not None:
            self._style_verdict()
            for card in self.findChildren(CauseCard):
                card.restyle()
            if self.output_combo.currentText():
                self._show_output(self.output_combo.currentText())
        super().changeEvent(event)

    def _curve(self, i: int) -> pg.PlotDataItem:
        return curve_at(self.probes_plot, self._probe_curves, i)

    # --- slots ------------------------------------------------------------------------------------------------

    def _task_finished_connection(self) -> None:
        if not getattr(self, "_finished_connected", False):
            self.worker.finished.connect(self._on_worker_finished)
            self._finished_connected = True

    def _on_check_action_triggered(self) -> None:
        self.start()

    def _on_check_button_clicked(self) -> None:
        self.start()

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    def _on_output_combo_changed(self, key: str) -> None:
        self._show_output(key or None)

    def _on_worker_progress(self, task: Task, fraction: float, text: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        self.progress_label.setText(text)

    def _on_worker_done(self, task: Task, d: Diagnosis) -> None:
        self.progress_bar.setValue(1000)
        self.progress_label.setText(f"done: {d.verdict}")
        if self._signature is None and self._target is not None:
            self.set_target(self._target, d.signature, engine=self._engine, version=self._version)
        self.show_diagnosis(d)
        self.diagnosed.emit(d)

    def _on_worker_failed(self, task: Task, error: ExplorerError) -> None:
        from ..consent import unsafe_report

        report = unsafe_report(error)
        if report is not None:  # nothing loaded: say why, and ask (a dialog that names what the model would do)
            from .unsafe_dialog import effects_in_words

            self.progress_label.setText("not loaded: unsafe ops")
            ops = ", ".join(sorted({f.op for f in report.high}))
            self.messages.show_message(f"Not loaded: this model {effects_in_words(report)} ({ops}). Nothing has run.",
                                       "warning", details=str(error),
                                       fix="Agree in the dialog to check it, if you trust who made it.")
            if self.consent is not None:
                self.consent.ask(report, self.window(), on_granted=self.start, action="check it")
            self.failed.emit(error)
            return
        if isinstance(error, DiagnosisCancelled):
            self.progress_label.setText("cancelled")
            self.messages.show_message(str(error), "info")
        else:
            self.progress_label.setText("failed")
            self.messages.show_error(error)
        self.failed.emit(error)

    def _on_worker_finished(self, task: Task) -> None:
        if task is self._task:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        self.progress_bar.setVisible(busy or self.progress_bar.value() > 0)
        self._update_enabled(busy)
        self.busy_changed.emit(busy)

    def _update_enabled(self, busy: bool | None = None) -> None:
        busy = self.busy if busy is None else busy
        ready = self._target is not None and not busy
        self.check_button.setEnabled(ready)
        self.check_action.setEnabled(ready)


class WholeNumberAxis(pg.AxisItem):
    """An axis of whole numbers (probe or element indices) whose labelled ticks thin to what fits its length."""

    GAP = 12  # px between neighbouring labels

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        span = abs(maxVal - minVal)
        if span == 0 or size <= 0:
            return []
        # The widest label this range can draw ("-1", "127"), plus a gap: how many fit decides the step, so 64
        # probes read 0, 10, 20 ... at a narrow width and 0, 5, 10 ... at a wide one, never "0123456789101112".
        widest = max(len(str(int(math.floor(minVal)))), len(str(int(math.ceil(maxVal)))))
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or self.font())
        fits = max(1.0, size / (metrics.horizontalAdvance("8" * widest) + self.GAP))
        step = 1
        while span / step > fits:
            step = _next_step(step)
        return [(step, 0)]


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50 ...: the whole-number steps people read."""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def _plot(title: str, bottom: str, left: str, tip: str = "", whole_numbers: bool = False) -> pg.PlotWidget:
    axes = {"bottom": WholeNumberAxis("bottom")} if whole_numbers else None
    widget = pg.PlotWidget(background="w", axisItems=axes)
    widget.setToolTip(tip)  # the explanation; titles stay short enough never to be cut
    item = widget.getPlotItem()
    item.setTitle(title, color="#333", size="10pt")
    item.setLabel("bottom", bottom)
    if left:
        item.setLabel("left", left)
    item.showGrid(x=True, y=True, alpha=0.15)
    style_axes(item)
    widget.setMinimumHeight(MIN_PLOT_HEIGHT)  # inside a scroll area: never the window's minimum height
    return widget


def _pick_probes(groups: list[str], limit: int) -> list[int]:
    """Up to `limit` probe indices, keeping every group represented (round-robin over groups)."""
    if len(groups) <= limit:
        return list(range(len(groups)))
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    picked: list[int] = []
    queues = [list(v) for v in by_group.values()]
    while len(picked) < limit and any(queues):
        for q in queues:
            if q and len(picked) < limit:
                picked.append(q.pop(0))
    return sorted(picked)


def _legend_name(group: str) -> str:
    names = {"base": "base / your input", "current": "base / your input", "fill": "zeros, ones",
             "perturb": "perturbed base", "unit": "random 0..1", "normal": "random normal",
             "byte": "random 0..255", "repeat": "repeat", "base:random": "random base (its keys swept too)"}
    return "sweeps of one key" if group.startswith("sweep:") else names.get(group, group)


def _heatmap_grid(spread: np.ndarray) -> np.ndarray:
    """Per-element spread as a 2-D image: a row for vectors, the last two axes for matrices and images."""
    spread = np.asarray(spread, np.float64)
    if spread.ndim == 0:
        return spread.reshape(1, 1)
    if spread.ndim == 1:
        return spread.reshape(1, -1)
    if spread.ndim == 3 and spread.shape[-1] <= 4:  # H, W, channels: average the channels
        return spread.mean(axis=-1)
    return spread.reshape(-1, spread.shape[-1])


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _demo(argv: list[str]) -> int:
    """python -m explorer.ui.widgets.diagnostics TARGET [SIGNATURE] [--screenshot PNG]: run one check and show it."""
    from PySide6.QtWidgets import QApplication

    args = [a for a in argv if not a.startswith("--")]
    shot = argv[argv.index("--screenshot") + 1] if "--screenshot" in argv else None
    if shot in args:
        args.remove(shot)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = DiagnosticsPanel()
    panel.resize(1100, 900)
    panel.set_target(args[0] if args else None, args[1] if len(args) > 1 else None)
    panel.show()
    if args:
        panel.start()
    if shot:
        panel.worker.wait(300_000)
        app.processEvents()
        panel.grab().save(shot)
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv[1:]))
