"""CompareView: one request sent to several targets -- model folders, versions, TF Serving endpoints -- side by side.

Targets are columns (A, B, C ...; A is the reference unless another is chosen). compare() builds the form's
inputs ONCE (prepare_inputs on the worker) and sends the same arrays to every target, each on its own worker
task, so results appear as they arrive. Then a diff table (per output and target: status, shapes, dtypes,
max |diff|, max rel, allclose at the chosen tolerances, argmax/top-k agreement, NaN/Inf) and plots (overlay,
difference against the tolerance band, heatmap of |diff|) and a table of values in columns per target.
A column can also be "recorded" (a saved run's outputs), which is how a saved run is replayed elsewhere.
"""
from __future__ import annotations

import html
import os
import sys

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.agreement import DEFAULT_PROBES, Agreement, agreement_many, request_probes
from explorer.core.compare import PredictionDiff, compare_signatures
from explorer.core.errors import ExplorerError
from explorer.core.request import Prediction

from .. import theme
from ..run_panel import RunSpec
from ..workers import Task, Worker
from .compare_columns import (LETTERS, Column, ColumnOutcome, TargetCard, _shape, prepare_request, run_column,
                              spec_from_text, spec_title)
from .compare_plot import ComparePlot
from .compare_verdict import DiffTable, headline_html
from .message_bar import MessageBar

TOLERANCES_KEY = "tolerances"  # settings key: {"rtol": float, "atol": float}
DEFAULT_RTOL, DEFAULT_ATOL = 1e-5, 1e-6
INLINE_DIFF_ELEMENTS = 200_000  # outputs up to this many elements (all targets) are compared on the GUI thread


CARDS_HEIGHT = (104, 160)  # px: the strip of target cards, least and most (beyond, it scrolls)

class CompareView(QtWidgets.QWidget):
    """Targets as columns, one request to all of them, a diff table and plots of where they disagree."""

    column_finished = QtCore.Signal(int)  # a target's run came back (done or failed)
    compared = QtCore.Signal(object)  # list[PredictionDiff | None], once every live column has finished
    targets_changed = QtCore.Signal()
    tolerances_changed = QtCore.Signal(float, float)

    def __init__(self, parent: QtWidgets.QWidget | None = None, worker: Worker | None = None, settings=None):
        super().__init__(parent)
        self.worker = worker or Worker(self)
        self.consent = None  # a ConsentGate (ui/consent.py): asks before a model with dangerous ops runs
        self.settings = settings
        self.columns: list[Column] = []
        self.reference = 0
        self.diffs: list[PredictionDiff | None] = []  # on the user's input
        self.agreements: list[Agreement | None] = []  # the user's input and the probes: what the verdict says
        self.probe_count = DEFAULT_PROBES
        self._probes: list[tuple] = []  # (inputs, tf.Examples) pairs
        self.signature_key = ""
        self.request_provider = None  # () -> (Signature, sources, batch, offers) | None: the run panel's form
        self.current_targets_provider = None  # () -> list[RunSpec]: the open model and the connected server
        self.inputs: dict[str, np.ndarray] = {}
        self._examples: tuple = ()
        self._generation = 0
        self._prepare_task: Task | None = None
        self._diff_task: Task | None = None
        self._announce = False  # emit `compared` once the diffs of a finished comparison are shown
        self.rtol, self.atol = self._stored_tolerances()

        # -- toolbar
        self.target_edit = QtWidgets.QLineEdit()
        self.target_edit.setPlaceholderText("Add a target: model folder, base path, rest://host:port/model, "
                                            "grpc://…, v2://…, v2+grpc://…  (Enter)")
        self.target_edit.setClearButtonEnabled(True)
        self.target_edit.setToolTip("A model folder, TF Serving base path, rest://host:port/model or "
                                    "grpc://host:port/model (TF Serving), v2://host:port/model or "
                                    "v2+grpc://host:port/model (KServe V2: MLServer, KServe, Triton); Enter adds it "
                                    "as a column")
        self.target_edit.returnPressed.connect(self._on_add_clicked)
        self.add_button = QtWidgets.QPushButton("Add")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.folder_button = QtWidgets.QPushButton("Folder…")
        self.folder_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_DirOpenIcon))
        self.folder_button.clicked.connect(self._on_folder_clicked)
        self.current_button = QtWidgets.QPushButton("Add open")
        self.current_button.setToolTip("Add the open model (its version) and the connected TF Serving endpoint")
        self.current_button.clicked.connect(self._on_current_clicked)
        self.versions_button = QtWidgets.QPushButton("All versions…")
        self.versions_button.setToolTip("One column per numbered version of a TF Serving base path")
        self.versions_button.clicked.connect(self._on_versions_clicked)
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear_targets)
        self.rtol_edit = self._tolerance_edit(self.rtol, "Relative tolerance: |b − a| ≤ atol + rtol·|a|")
        self.atol_edit = self._tolerance_edit(self.atol, "Absolute tolerance: |b − a| ≤ atol + rtol·|a|")
        self.compare_button = QtWidgets.QPushButton("Compare")
        self.compare_button.setMinimumWidth(110)
        self.compare_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPlay))
        self.compare_button.setToolTip("Build the form's inputs once and send the same arrays to every target")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(self.compare)
        bar = QtWidgets.QHBoxLayout()  # what runs: Compare, at which tolerance
        bar.addWidget(self.compare_button)
        bar.addSpacing(12)
        bar.addWidget(QtWidgets.QLabel("Tolerance  rtol"))
        bar.addWidget(self.rtol_edit)
        bar.addWidget(QtWidgets.QLabel("atol"))
        bar.addWidget(self.atol_edit)
        bar.addStretch(1)
        bar.addWidget(self.clear_button)
        targets_bar = QtWidgets.QHBoxLayout()  # where it runs: the targets
        targets_bar.addWidget(self.target_edit, 1)
        for w in (self.add_button, self.folder_button, self.current_button, self.versions_button):
            targets_bar.addWidget(w)

        self.message = MessageBar()
        self.message.hide()

        # -- target cards, side by side
        self._cards: list[TargetCard] = []
        self._cards_box = QtWidgets.QWidget()
        self._cards_layout = QtWidgets.QHBoxLayout(self._cards_box)
        self._cards_layout.setContentsMargins(0, 0, 0, 0)
        self._empty = QtWidgets.QLabel("No targets yet. Add two or more: the open model, another version "
                                       "(All versions…), a folder, a TF Serving or a KServe V2 endpoint.")
        self._empty.setStyleSheet("color: palette(placeholder-text); padding: 12px;")
        self._empty.setWordWrap(True)  # the hint was clipped at the tab's right edge
        self._cards_layout.addWidget(self._empty, 1)
        cards_scroll = QtWidgets.QScrollArea()
        cards_scroll.setWidgetResizable(True)
        cards_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        cards_scroll.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        cards_scroll.setWidget(self._cards_box)
        cards_scroll.setFixedHeight(CARDS_HEIGHT[0])
        self._cards_scroll = cards_scroll

        self.headline = QtWidgets.QLabel()
        self.headline.setObjectName("CompareHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.inputs_label = QtWidgets.QLabel()
        self.inputs_label.setStyleSheet("color: palette(placeholder-text);")
        self.inputs_label.setWordWrap(True)

        self.table = DiffTable()
        self.table.chosen.connect(lambda target, key: self.plot.select(target, key))

        self.plot = ComparePlot()  # the chosen output across the targets: plot and values
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.plot)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([190, 420])
        # The plot keeps its 180 px; in a small window the diff table above it gives way (its minimum would
        # otherwise set the window's minimum height).
        self.table.setMinimumHeight(0)
        self.table.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addLayout(targets_bar)
        layout.addWidget(self.message)
        layout.addWidget(cards_scroll)
        layout.addWidget(self.headline)
        layout.addWidget(self.inputs_label)
        layout.addWidget(self.splitter, 1)
        self._refresh_cards()
        self._update_actions()

    # -- targets ------------------------------------------------------------------------------------------------
    def add_target(self, target: str | RunSpec, version: int | None = None, engine: str = "auto",
                   title: str | None = None) -> Column:
        """Add a live target (folder, base path + version, or endpoint URL); ExplorerError if it cannot be parsed."""
        spec = target if isinstance(target, RunSpec) else spec_from_text(str(target), version, engine)
        column = Column(spec, title or spec_title(spec))
        self.columns.append(column)
        self._targets_changed()
        return column

    def add_recorded(self, prediction: Prediction, title: str) -> Column:
        """Add a recorded result (a saved run): shown and compared, never re-run."""
        column = Column(None, title, prediction=prediction, state="recorded")
        self.columns.append(column)
        self._targets_changed()
        return column

    def remove_column(self, index: int) -> None:
        column = self.columns.pop(index)
        self._close_runner(column)
        if self.reference >= len(self.columns) or self.reference == index:
            self.reference = 0
        elif index < self.reference:
            self.reference -= 1
        self._targets_changed()

    def clear_targets(self) -> None:
        for column in self.columns:
            self._close_runner(column)
        self.columns.clear()
        self.reference = 0
        self._targets_changed()

    def set_reference(self, index: int) -> None:
        """Compare every other column against column `index`."""
        if 0 <= index < len(self.columns):
            self.reference = index
            self._targets_changed(keep_results=True)

    def add_all_versions(self, base: str, engine: str = "auto") -> list[Column]:
        """One column per numbered version of a TF Serving base path, oldest first; ExplorerError if it has none."""
        from explorer.core.savedmodel import list_versions

        versions = sorted(list_versions(base))
        if not versions:
            raise ExplorerError(f"{base} has no numbered version folders holding a SavedModel.",
                                fix="Choose a TF Serving base path: a folder of version folders 1/, 2/, …")
        base = os.path.abspath(base)
        return [self.add_target(RunSpec(base, "folder", engine, v)) for v in versions]

    def specs(self) -> list[RunSpec]:
        """The live targets, in column order (for saving)."""
        return [c.spec for c in self.columns if c.spec is not None]

    # -- running ------------------------------------------------------------------------------------------------
    def compare(self) -> Task | None:
        """Build the form's inputs once (from request_provider) and send them to every live target."""
        if self.request_provider is None:
            self._say("Nothing to compare with: open a model and fill in its inputs in the Predict tab.", "info")
            return None
        request = self.request_provider()
        if request is None or request[0] is None:
            self._say("Select a signature and fill in its inputs in the Predict tab first.", "info",
                      fix="The same inputs then go to every target here.")
            return None
        if len([c for c in self.columns if c.live]) < 1 or len(self.columns) < 2:
            self._say("Add at least two targets to compare.", "info",
                      fix="Use Add current, All versions…, Folder… or type a rest:// or grpc:// URL.")
            return None
        signature, sources, batch, offers = request
        kinds = {c.spec.kind for c in self.columns if c.live}
        where = "local" if kinds == {"folder"} else "serving"  # the stricter rules when a server takes part
        self.message.clear()
        self._prepare_task = self.worker.submit(
            prepare_request, signature, sources, batch, offers, where, caller="compare-prepare",
            name="building the inputs", on_done=lambda task, prepared: self._on_prepared(signature.key, prepared),
            on_failed=self._on_prepare_failed)
        return self._prepare_task

    def compare_arrays(self, signature_key: str, inputs: dict[str, np.ndarray], examples: tuple = ()) -> list[Task]:
        """Send these arrays to every live target (recorded columns keep their outputs); returns the tasks."""
        self._generation += 1
        self.signature_key = signature_key
        self.inputs = {k: np.asarray(v) for k, v in inputs.items()}
        self._examples = tuple(examples)
        # One input proves little (zeros make y = x and y = 3x agree): every target also gets the same probes.
        self._probes = request_probes(self.inputs, self._examples, self.probe_count, seed=0)  # (inputs, examples)
        self.message.clear()
        self._show_inputs()
        tasks = []
        for i, column in enumerate(self.columns):
            if not column.live:
                continue
            column.state, column.error, column.prediction, column.probe_outputs = "running", None, None, []
            generation = self._generation
            column.task = self.worker.submit(
                run_column, column.runner, column.spec, signature_key, self.inputs, self._examples,
                probes=tuple(self._probes),
                caller=f"compare-{id(column)}", name=f"running {column.title}",
                on_done=lambda task, outcome, c=column, g=generation: self._on_column_done(c, g, outcome),
                on_failed=lambda task, error, c=column, g=generation: self._on_column_failed(c, g, error))
            tasks.append(column.task)
        self._refresh_cards()
        self._update_actions()
        self._refresh_diffs()
        return tasks

    def is_running(self) -> bool:
        return any(c.state == "running" for c in self.columns) or (
            self._prepare_task is not None and not self._prepare_task.finished)

    def is_busy(self) -> bool:
        """Running targets, or comparing their outputs on the worker."""
        return self.is_running() or (self._diff_task is not None and not self._diff_task.finished)

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self.worker.wait(timeout_ms)

    # -- tolerances ---------------------------------------------------------------------------------------------
    def set_tolerances(self, rtol: float, atol: float) -> None:
        """Change rtol/atol (remembered in the settings), and compare again what is already there."""
        self.rtol, self.atol = float(rtol), float(atol)
        for edit, value in ((self.rtol_edit, self.rtol), (self.atol_edit, self.atol)):
            edit.setText(f"{value:g}")
        if self.settings is not None:
            self.settings.set(TOLERANCES_KEY, {"rtol": self.rtol, "atol": self.atol})
        self.tolerances_changed.emit(self.rtol, self.atol)
        self._refresh_diffs()

    def _stored_tolerances(self) -> tuple[float, float]:
        stored = self.settings.get(TOLERANCES_KEY, {}) if self.settings is not None else {}
        try:
            rtol, atol = float(stored.get("rtol", DEFAULT_RTOL)), float(stored.get("atol", DEFAULT_ATOL))
        except (AttributeError, TypeError, ValueError):  # a hand-edited settings file must not stop the view
            return DEFAULT_RTOL, DEFAULT_ATOL
        return (rtol if rtol >= 0 else DEFAULT_RTOL), (atol if atol >= 0 else DEFAULT_ATOL)

    def _tolerance_edit(self, value: float, tip: str) -> QtWidgets.QLineEdit:
        edit = QtWidgets.QLineEdit(f"{value:g}")
        validator = QtGui.QDoubleValidator(0.0, 1e9, 12, edit)
        validator.setNotation(QtGui.QDoubleValidator.Notation.ScientificNotation)
        validator.setLocale(QtCore.QLocale.c())  # "1e-5" must parse whatever the user's locale
        edit.setValidator(validator)
        edit.setFixedWidth(64)
        edit.setToolTip(tip)
        edit.editingFinished.connect(self._on_tolerance_edited)
        return edit

    def _on_tolerance_edited(self) -> None:
        try:
            rtol, atol = float(self.rtol_edit.text()), float(self.atol_edit.text())
        except ValueError:
            return
        if (rtol, atol) != (self.rtol, self.atol):
            self.set_tolerances(rtol, atol)

    # -- results ------------------------------------------------------------------------------------------------
    def _on_prepared(self, signature_key: str, prepared) -> None:
        self.compare_arrays(signature_key, prepared.inputs, prepared.examples)
        if prepared.notes:
            self.inputs_label.setText(self.inputs_label.text() + " · " + " ".join(prepared.notes))

    def _on_prepare_failed(self, task, error: ExplorerError) -> None:
        self.message.show_error(error)
        self._update_actions()

    def _on_column_done(self, column: Column, generation: int, outcome: ColumnOutcome) -> None:
        if column not in self.columns or generation != self._generation:
            self._close_runner_object(outcome.runner, column)
            return
        if column.runner is not None and column.runner is not outcome.runner:
            self._close_runner_object(column.runner, column)
        column.runner, column.prediction, column.signatures = outcome.runner, outcome.prediction, outcome.signatures
        column.probe_outputs = outcome.probe_outputs
        column.state, column.error = "done", None
        self._column_finished(column)

    def _on_column_failed(self, column: Column, generation: int, error: ExplorerError) -> None:
        if column not in self.columns or generation != self._generation:
            return
        runner = getattr(error, "runner", None)
        if runner is not None and column.runner is None:
            column.runner = runner
        column.state, column.error, column.prediction = "failed", error, None
        self._column_finished(column)
        from ..consent import unsafe_report

        report = unsafe_report(error)
        if report is not None and self.consent is not None and self.consent.dialog is None:
            # The other targets' results stay; with consent the same inputs go out again to every target.
            inputs, examples, key = self.inputs, self._examples, self.signature_key
            self.consent.ask(report, self.window(), action="compare it",
                             on_granted=lambda: self.compare_arrays(key, inputs, examples))

    def _column_finished(self, column: Column) -> None:
        self._refresh_cards()
        self._update_actions()
        self.column_finished.emit(self.columns.index(column))
        if self.is_running():
            self._refresh_diffs()  # results as they arrive
        else:
            failed = [c for c in self.columns if c.state == "failed"]
            if failed:
                first = failed[0]
                more = f" ({len(failed) - 1} more target{'s' * (len(failed) > 2)} failed)" if len(failed) > 1 else ""
                self.message.show_message(f"{first.title}: {first.error}{more}", "error",
                                          details=first.error.details, fix=first.error.fix)
            self._announce = True
            self._refresh_diffs()

    def _refresh_diffs(self) -> None:
        outputs = [c.prediction.outputs if c.prediction is not None else None for c in self.columns]
        probes = [c.probe_outputs if c.live else [] for c in self.columns]
        size = sum(np.size(v) for out in outputs if out for v in out.values()) * (1 + len(self._probes))
        inputs = self.inputs or None
        if size <= INLINE_DIFF_ELEMENTS:
            self._show_diffs(agreement_many(outputs, probes, self.reference, inputs, rtol=self.rtol, atol=self.atol))
            return
        # Measured: ~0.2 s per 1M-element output (statistics, argmax, top-k): too long for the GUI thread.
        self._diff_task = self.worker.submit(agreement_many, outputs, probes, self.reference, inputs, self.rtol,
                                             self.atol, caller="compare-diff", name="comparing the outputs",
                                             on_done=lambda task, diffs: self._show_diffs(diffs),
                                             on_failed=self._on_prepare_failed)

    def _show_diffs(self, agreements: list) -> None:
        if len(agreements) != len(self.columns):
            return  # the columns changed while this was computed; a newer comparison follows
        self.agreements = agreements
        diffs = [a.yours if a is not None else None for a in agreements]
        self.diffs = diffs
        # The plot learns the results before the table fills: selecting a row there draws them.
        self.plot.set_results(self.columns, diffs, self.reference, self.rtol, self.atol)
        self.table.fill(self.columns, diffs, self.reference)
        self.plot.refresh()
        self.headline.setText(headline_html(self.columns, diffs, self.agreements, self.reference, self.rtol,
                                            self.atol, self.is_running()))
        if not self.is_running() and self._announce:
            self._announce = False
            self.compared.emit(list(self.diffs))

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt's name
        # A theme change (Preferences) re-colours the cards, the table's statuses and the headline, which are
        # coloured from the palette when drawn.
        if event.type() == QtCore.QEvent.Type.PaletteChange and self.columns:
            self._refresh_cards()
            if self.diffs and len(self.diffs) == len(self.columns):
                self.table.fill(self.columns, self.diffs, self.reference)
                self.headline.setText(headline_html(self.columns, self.diffs, self.agreements, self.reference,
                                                    self.rtol, self.atol, self.is_running()))
        super().changeEvent(event)

    # -- drawing ------------------------------------------------------------------------------------------------
    def _targets_changed(self, keep_results: bool = False) -> None:
        if not keep_results:
            self._generation += 1  # results still running for the old set of columns are dropped
        self._refresh_cards()
        self._refresh_diffs()
        self._update_actions()
        self.targets_changed.emit()

    def _refresh_cards(self) -> None:
        while len(self._cards) < len(self.columns):
            card = TargetCard()
            card.remove_requested.connect(self._on_card_remove_requested)
            card.reference_requested.connect(self._on_card_reference_requested)
            card.resized.connect(self._fit_cards)
            self._cards_layout.insertWidget(len(self._cards), card, 1,  # equal widths: columns
                                            QtCore.Qt.AlignmentFlag.AlignTop)
            self._cards.append(card)
        while len(self._cards) > len(self.columns):
            card = self._cards.pop()
            card.setParent(None)
            card.deleteLater()
        ref = self.columns[self.reference] if self.reference < len(self.columns) else None
        for i, (card, column) in enumerate(zip(self._cards, self.columns)):
            card.show_column(i, column, i == self.reference, self._signature_note(column, ref))
        self._empty.setVisible(not self.columns)
        self._fit_cards()

    def _fit_cards(self) -> None:
        # A card's signature note can run to several lines (a TFLite conversion lists its quantised inputs): the
        # strip grows to the tallest card, up to CARDS_HEIGHT[1] so the plot keeps its height, and scrolls beyond;
        # a fixed 104 px strip cut the note mid-line. Cards say when their width (so their wrapping) changes.
        need = max((card.heightForWidth(card.width()) for card in self._cards if card.width() > 0), default=0)
        height = min(max(need, CARDS_HEIGHT[0]), CARDS_HEIGHT[1])
        policy = QtCore.Qt.ScrollBarPolicy
        self._cards_scroll.setVerticalScrollBarPolicy(policy.ScrollBarAsNeeded if need > height
                                                      else policy.ScrollBarAlwaysOff)
        self._cards_scroll.setFixedHeight(height)

    def _signature_note(self, column: Column, ref: Column | None) -> str:
        if ref is None or column is ref or not column.signatures or not ref.signatures or not self.signature_key:
            return ""
        diffs = compare_signatures({k: v for k, v in ref.signatures.items() if k == self.signature_key},
                                   {k: v for k, v in column.signatures.items() if k == self.signature_key})
        diff = diffs[0] if diffs else None
        if diff is None or diff.status == "same":
            return f"{self.signature_key}: same signature as {LETTERS[self.reference]}"
        changes = "; ".join(c.text() for c in diff.changes[:2]) + ("; …" if len(diff.changes) > 2 else "")
        colour = theme.colors().inks["error"] if diff.breaking else theme.colors().muted
        return f"<span style='color:{colour}'>{self.signature_key} differs from {LETTERS[self.reference]}: " \
               f"{html.escape(changes, quote=False)}</span>"


    def _show_inputs(self) -> None:
        parts = [f"{k} {'string' if v.dtype.kind in 'OSU' else v.dtype.name} {_shape(v.shape)}"
                 for k, v in self.inputs.items()]
        self.inputs_label.setText(f"Same request to every target: <b>{self.signature_key}</b> · " + ", ".join(parts)
                                  if parts else "")

    def _update_actions(self) -> None:
        running = self.is_running()
        self.compare_button.setEnabled(not running and len(self.columns) >= 2)
        self.compare_button.setText("Comparing…" if running else "Compare")
        self.clear_button.setEnabled(bool(self.columns))
        addable = self._open_specs_to_add()
        self.current_button.setEnabled(bool(addable))
        self.current_button.setToolTip(
            "Add " + ", ".join(spec_title(s) for s in addable) if addable else
            "Everything open in the window is a column already" if self.current_targets_provider else
            "Open a model or connect to a server first")

    def _open_specs_to_add(self) -> list[RunSpec]:
        """What the window has open (model, server) that is not a column yet."""
        try:
            specs = self.current_targets_provider() if self.current_targets_provider else []
        except ExplorerError:
            return []
        have = {(c.spec.target, c.spec.version) for c in self.columns if c.spec is not None}
        return [s for s in specs or [] if (s.target, s.version) not in have]

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._update_actions()  # the window may have opened a model since: "Add open" follows it
        super().showEvent(event)

    def _say(self, text: str, level: str, fix: str = "") -> None:
        self.message.show_message(text, level, fix=fix)

    def _close_runner(self, column: Column) -> None:
        runner, column.runner = column.runner, None
        self._close_runner_object(runner, column)

    def _close_runner_object(self, runner, column: Column) -> None:
        if runner is not None:  # freeing a TF model can take a while: not on the GUI thread
            self.worker.submit(runner.close, caller=f"close-{id(runner)}", name=f"closing {column.title}")

    # -- slots --------------------------------------------------------------------------------------------------
    def _on_add_clicked(self) -> None:
        text = self.target_edit.text().strip()
        if not text:
            return
        try:
            self.add_target(text)
        except ExplorerError as exc:
            self.message.show_error(exc)
            return
        self.target_edit.clear()

    def _on_folder_clicked(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Add a model folder to compare")
        if folder:
            self.add_target(folder)

    def add_open_targets(self) -> list[Column]:
        """Add what the window has open (model, server) that is not a column yet; returns the columns added."""
        specs = self.current_targets_provider() if self.current_targets_provider else []
        if not specs:
            self._say("Open a model or connect to a server first.", "info")
            return []
        added = [self.add_target(s) for s in self._open_specs_to_add()]
        if not added:
            self._say("What the window has open is already here: "
                      + ", ".join(LETTERS[i] for i, c in enumerate(self.columns) if c.spec is not None and
                                  (c.spec.target, c.spec.version) in {(s.target, s.version) for s in specs}) + ".",
                      "info", fix="Open another model or version, or connect to a server, to add it.")
        self._update_actions()
        return added

    def _on_current_clicked(self) -> None:
        self.add_open_targets()

    def _on_versions_clicked(self) -> None:
        specs = self.current_targets_provider() if self.current_targets_provider else []
        start = next((s.target for s in specs if s.kind == "folder"), "")
        base = QtWidgets.QFileDialog.getExistingDirectory(self, "Compare all versions of a TF Serving base path",
                                                          start)
        if base:
            try:
                self.add_all_versions(base)
            except ExplorerError as exc:
                self.message.show_error(exc)

    def _on_card_remove_requested(self, card: TargetCard) -> None:
        self.remove_column(self._cards.index(card))

    def _on_card_reference_requested(self, card: TargetCard) -> None:
        self.set_reference(self._cards.index(card))


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.compare_view TARGET TARGET [...]`: compare with a seeded random request."""
    from explorer.core.compare import random_sources
    from explorer.core.savedmodel import read_model

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    view = CompareView()
    for text in argv[1:]:
        view.add_target(text)
    if view.columns and view.columns[0].spec.kind == "folder":
        info = read_model(view.columns[0].spec.target, version=view.columns[0].spec.version)
        signature = info.user_signatures[info.default_signature]
        view.request_provider = lambda: (signature, random_sources(signature, batch=4), 4, {})
        QtCore.QTimer.singleShot(0, view.compare)
    view.resize(1280, 800)
    view.setWindowTitle("Compare")
    view.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
