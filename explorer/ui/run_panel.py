"""RunPanel: the tensor form, a Run button (Ctrl+Enter), progress, the outputs and the run history, composed.

It owns the runner of the open model (open_runner on a worker, loaded ahead of the first run) and runs each
request off the GUI thread: build + check + predict are one plain function (run_request) on the worker.
Failures land in the message bar with their details; the form is never cleared by a failed run.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.errors import ExplorerError, InputProblem
from explorer.core.request import Prediction, Request
from explorer.core.runners.base import Progress, no_progress
from explorer.core.signature import Signature
from explorer.core.workspace import RunRecord

from .widgets.message_bar import MessageBar
from .widgets.output_view import OutputView
from .widgets.run_history import HistoryEntry, RunHistory
from .widgets.tensor_form import SELECT_SIGNATURE, Prepared, TensorForm, prepare_inputs
from .workers import Task, Worker
from .quick_look import quick_look_model

WIDE = 900  # px: below this the outputs go under the form
ENGINES = {"folder": ("auto", "local", "session"), "rest": ("rest",), "grpc": ("grpc",), "v2": ("v2",),
           "v2+grpc": ("v2+grpc",)}
ENGINE_HELP = {"auto": "TensorFlow 2 (tf.saved_model.load), falling back to the TF1 session loader",
               "local": "TensorFlow 2 only (tf.saved_model.load)",
               "session": "The TF1 session loader, as TF Serving loads models",
               "rest": "TF Serving's REST API", "grpc": "TF Serving's gRPC API",
               "v2": "The KServe V2 REST API (MLServer, KServe, Triton)",
               "v2+grpc": "The KServe V2 gRPC API (MLServer, KServe, Triton)",
               "litert": "LiteRT (ai-edge-litert), the TensorFlow Lite runtime"}


@dataclass(frozen=True)
class RunSpec:
    """Where a run goes: the target text (folder or URL), engine, version and runner options."""

    target: str
    kind: str = "folder"  # "folder" | "rest" | "grpc" | "v2" | "v2+grpc"
    engine: str = "auto"
    version: int | None = None
    options: tuple = ()  # (name, value) pairs for open_runner, e.g. (("tag_set", ("serve",)),)

    def key(self) -> str:
        return f"{self.target}@{self.version}" if self.version is not None else self.target


@dataclass(eq=False)
class RunOutcome:
    """What a run gives back: the runner used (kept for the next run), the prediction and the built inputs."""

    runner: object
    spec: RunSpec
    prediction: Prediction
    prepared: Prepared


class InputsNotReady(InputProblem):
    """The form's inputs have errors; carries them so the form can mark each on its field."""

    def __init__(self, problems):
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
        super().__init__(first.input, f"Not run: {first.message}{more}", fix=first.fix or "Fix the marked inputs.")
        self.problems = list(problems)


def open_and_load(spec: RunSpec, progress: Progress = no_progress):
    """Open the runner for `spec` and load the model now (a worker's job: TF import and load take seconds)."""
    from .workers import open_runner  # a model folder runs in the engine process

    progress(0.0, "opening")
    runner = open_runner(spec.target, spec.engine, spec.version, **dict(spec.options))
    load = getattr(runner, "load", None)
    if load is not None:
        load(progress)
    return runner


def run_request(runner, spec: RunSpec, signature: Signature, sources: dict, batch: int | None,
                offers: dict | None, progress: Progress = no_progress) -> RunOutcome:
    """Build and check the inputs, then predict; InputsNotReady when the form has errors (nothing is sent)."""
    progress(0.0, "building inputs")
    target = "local" if spec.kind == "folder" else "serving"
    prepared = prepare_inputs(signature, sources, batch, offers, target)
    if prepared.errors:
        raise InputsNotReady(prepared.problems)
    if runner is None:
        runner = open_and_load(spec, lambda f, t: progress(0.05 + 0.8 * f, t))
    method = signature.request_method
    request = Request(signature.key, prepared.inputs, method=method, examples=prepared.examples)
    try:
        prediction = runner.predict(request, progress)
    except ExplorerError as exc:
        exc.runner = runner  # the model loaded fine: keep it for the next run
        exc.prepared = prepared
        raise
    return RunOutcome(runner, spec, prediction, prepared)


def _close(runner) -> None:
    runner.close()


class _OutputsScroll(QtWidgets.QScrollArea):
    """Scrolls the outputs only when they are squeezed below their minimum height; else they fill the viewport.
    (widgetResizable would size them to their preferred height for the width: wrapped labels made that taller than
    the room there was, and the plot and table scrolled when everything fitted.)"""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("OutputsScroll")
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def setWidget(self, widget: QtWidgets.QWidget) -> None:  # noqa: N802 - Qt's name
        super().setWidget(widget)
        widget.installEventFilter(self)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        inner = self.widget().minimumSizeHint() if self.widget() is not None else QtCore.QSize(0, 0)
        return QtCore.QSize(inner.width() + self.verticalScrollBar().sizeHint().width(), 60)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QtCore.QEvent.Type.LayoutRequest:
            QtCore.QTimer.singleShot(0, self, self._fit)
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        need = widget.minimumSizeHint().height()
        room = self.height()
        bar = self.verticalScrollBar().sizeHint().width() if need > room else 0
        widget.resize(max(self.width() - bar, 1), max(room, need))


class RunPanel(QtWidgets.QWidget):
    """Form + Run + outputs + history for one target; set_model()/set_signature() drive it."""

    prediction_done = QtCore.Signal(object)  # Prediction
    run_failed = QtCore.Signal(object)  # ExplorerError
    signature_requested = QtCore.Signal(str)  # a history entry of another signature wants its inputs back

    def __init__(self, parent: QtWidgets.QWidget | None = None, worker: Worker | None = None,
                 auto_load: bool = True):
        super().__init__(parent)
        self.worker = worker or Worker(self)
        self.auto_load = auto_load
        self.spec: RunSpec | None = None
        self.runner = None
        self._signature: Signature | None = None
        self._run_task: Task | None = None
        self._load_task: Task | None = None
        self._load_pending = False
        self._banner: tuple[str, dict] | None = None  # ("inputs" | "run", the sources it was about) while shown
        self.consent = None  # a ConsentGate (ui/consent.py): asks before a model with dangerous ops runs

        self.form = TensorForm(worker=self.worker)
        self.outputs = OutputView()
        self.history = RunHistory()
        self.message = MessageBar()

        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPlay))
        self.run_button.setToolTip("Run the signature with these inputs (Ctrl+Enter)")
        self.run_button.setDefault(True)
        self.run_button.setMinimumWidth(90)
        self.run_button.clicked.connect(self.run)
        self.engine_box = QtWidgets.QComboBox()
        self.engine_box.setToolTip("How the model runs")
        self.engine_box.currentIndexChanged.connect(self._on_engine_box_changed)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(220)
        self.progress.setMinimumWidth(170)  # its text ("Building inputs… 0%") was cut to "Building" beside the status
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("RunStatus")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.run_button)
        bar.addWidget(QtWidgets.QLabel("Engine"))
        bar.addWidget(self.engine_box)
        bar.addWidget(self.progress)
        bar.addWidget(self.status, 1)
        self.bar = bar  # other panels put their controls here (e.g. "Run on: Local / Server / Both")
        self.run_handler = None  # () -> Task | None: when set, Run (and Ctrl+Enter) calls it instead

        form_box = QtWidgets.QGroupBox("Inputs")
        inner = QtWidgets.QVBoxLayout(form_box)
        inner.setContentsMargins(4, 4, 4, 4)  # at 1280x800 every pixel goes to the plot and the input rows
        inner.addWidget(self.form)
        self._form_box = form_box
        # The run history is a tab beside the outputs, not a third pane under them: stacked under the form and the
        # outputs it got a header and a scroll bar but not one row, and its minimum height grew the window.
        self.results = QtWidgets.QTabWidget()
        self.results.setObjectName("RunResults")
        self.results.setDocumentMode(True)
        # The outputs scroll when the form's first row needs the height (a failed run's banner above the form and
        # the problem text under its row): their minimum (a plot's 180 px and more) must never cut that row or grow
        # the window.
        outputs_scroll = _OutputsScroll()
        outputs_scroll.setWidget(self.outputs)
        for content, title in ((outputs_scroll, "Outputs"), (self.history, "Run history")):
            page = QtWidgets.QWidget()
            inner = QtWidgets.QVBoxLayout(page)
            inner.setContentsMargins(4, 4, 4, 0)
            inner.addWidget(content)
            self.results.addTab(page, title)
        self._outputs_page, self._history_page = self.results.widget(0), self.results.widget(1)
        self.results.setTabToolTip(1, "Every run of this session: see its outputs again or put its inputs back")
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.setObjectName("RunSplitter")
        self.splitter.addWidget(form_box)
        self.splitter.addWidget(self.results)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.splitter.installEventFilter(self)
        self._share_width_pending = True  # at its first size, and each time the panel becomes wide enough for side by side
        self._user_split = False  # the user dragged the form/outputs handle: their heights stand until the next signature

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(keys), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.run)
        self.form.problems_changed.connect(self._on_form_problems_changed)
        self.history.entry_activated.connect(self._on_history_entry_activated)
        self.history.restore_requested.connect(self._on_history_restore_requested)
        self.history.count_changed.connect(self._on_history_count_changed)
        self._set_engines("folder")
        self._update_actions()

    # -- what runs where ----------------------------------------------------------------------------------------
    def set_model(self, info) -> None:
        """Run against an opened model folder (a ModelInfo); None closes it."""
        if info is None:
            self.form.empty_text = SELECT_SIGNATURE
            self.set_target(None)
            return
        # A model without signatures has nothing to select: say so, and where a signature can come from.
        self.form.empty_text = SELECT_SIGNATURE if info.user_signatures else (
            "This model has no signatures: nothing in it can run. Signature ▸ Edit and Re-export… makes one from a "
            "saved function." if getattr(info, "functions", None) else
            "This model has no signatures and no saved function to make one from: nothing in it can run.")
        if getattr(info, "tflite", None) is not None:  # one engine runs a .tflite, whatever was chosen before
            self.set_target(info.path, "folder", version=info.version, engine="litert")
            return
        options = (("tag_set", tuple(info.tag_set)),) if info.tag_set else ()
        self.set_target(info.path, "folder", version=info.version, options=options)

    def set_target(self, target: str | None, kind: str = "folder", version: int | None = None,
                   options: tuple = (), engine: str | None = None) -> None:
        """Run against a folder or a TF Serving endpoint (kind "rest"/"grpc"); the runner is replaced."""
        self._close_runner()
        self.outputs.clear()
        self._clear_banner()
        if target is None:
            self.spec = None
            self.form.set_signature(None)
            self._signature = None
            self._update_actions()
            return
        self._set_engines(kind, engine)
        self.spec = RunSpec(str(target), kind, self.engine_box.currentData(), version, tuple(options))
        self.form.target = "local" if kind == "folder" else "serving"
        # Through set_signature, not by setting the key: the form remembers what was typed under the model it was
        # typed for. Setting the key first filed the old model's inputs under the new one, and they reappeared in
        # the next model's form (x (3, 1) of one model offered to another's x (-1, 8)).
        # What was typed for another version of this base path (or server) carries over where it still fits.
        self.form.set_signature(None, self.spec.key(), family=self.spec.target if version is not None else "",
                                label=f"version {version}" if version is not None else "")
        self._signature = None
        self._load_pending = self.auto_load
        self._load_if_shown()
        self._update_actions()

    def _load_if_shown(self) -> None:
        # Load ahead of the first run only once the panel is on screen: a user who only browses signatures
        # should not pay TensorFlow's import (seconds, ~500 MB) for it.
        if self._load_pending and self.isVisible() and self.spec is not None:
            self._load_pending = False
            self.load()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._load_if_shown()

    def set_signature(self, signature: Signature | None) -> None:
        """Show a signature's inputs; what was typed for the previous one is kept for when it comes back."""
        if getattr(signature, "key", None) != getattr(self._signature, "key", None):
            # Another signature's "Not run: ..." and outputs read as if they were this one's.
            self._clear_banner()
            self.outputs.clear()
            self._user_split = False
        self._signature = signature
        self.form.set_signature(signature, self.spec.key() if self.spec else "")
        self._update_actions()
        QtCore.QTimer.singleShot(0, self, self._share_height)  # once the form has its size; dropped if self is gone

    def signature(self) -> Signature | None:
        return self._signature

    def engine(self) -> str:
        return self.engine_box.currentData() or "auto"

    def current_inputs(self) -> dict[str, np.ndarray] | None:
        """The arrays the form last built and checked for the shown signature (key -> array); None before the
        first check; InputProblem naming the first error when the form's inputs have errors."""
        prepared = self.form.prepared
        if self._signature is None or prepared is None:
            return None
        if prepared.errors:
            first = prepared.errors[0]
            raise InputProblem(first.input, first.message, fix=first.fix or "Fix the marked inputs.")
        return dict(prepared.inputs) or None

    def load(self) -> Task | None:
        """Open and load the model on the worker now, so the first run does not wait for TensorFlow."""
        if self.spec is None:
            return None
        self._load_task = self.worker.submit(open_and_load, self.spec, caller="load", name="loading the model",
                                             on_done=self._on_load_done, on_failed=self._on_load_failed,
                                             on_progress=self._on_task_progress)
        self._busy("Loading the model…")
        return self._load_task

    def run(self) -> Task | None:
        """Run the current signature with the form's inputs (on the worker); None when nothing can run."""
        if self.run_handler is not None:
            return self.run_handler()
        if self.spec is None or self._signature is None or self.is_running():
            return None
        self._clear_banner()
        runner = self.runner if self._load_task is None or self._load_task.finished else None
        self._run_started = time.time()
        self._run_sources = self.form.sources()
        self._run_batch = self.form.batch_size()
        self._run_task = self.worker.submit(
            run_request, runner, self.spec, self._signature, self._run_sources, self._run_batch,
            {k: set(v) for k, v in self.form.offers.items()}, caller="run", name=f"running {self._signature.key}",
            on_done=self._on_run_done, on_failed=self._on_run_failed, on_progress=self._on_task_progress)
        self._busy(f"Running {self._signature.key}…")
        self._update_actions()
        return self._run_task

    def show_history(self) -> None:
        """Bring the run history's tab to the front (beside the outputs)."""
        self.results.setCurrentWidget(self._history_page)

    def show_outputs(self) -> None:
        """Bring the outputs' tab to the front."""
        self.results.setCurrentWidget(self._outputs_page)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # Beside the signature tree the panel may be narrow: then the outputs go below the form, not beside it.
        wide = event.size().width() >= WIDE
        orientation = QtCore.Qt.Orientation.Horizontal if wide else QtCore.Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            self._user_split = False  # a height the user gave the form means nothing side by side
            self._share_width_pending = wide  # the stacked heights would become widths: the form got 250 px of 1000
        super().resizeEvent(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        # The splitter's height changes with the window and with the message bar above it (an error with its fix
        # takes lines): share it again each time, or the stretchiest pane gets every pixel.
        if watched is self.splitter and event.type() == QtCore.QEvent.Type.Resize:
            if self.splitter.orientation() == QtCore.Qt.Orientation.Horizontal:
                if self._share_width_pending:
                    self._share_width_pending = False
                    self._share_width()
            elif event.size().height() != event.oldSize().height() or event.oldSize().width() < 0:
                self._share_height()
        return super().eventFilter(watched, event)

    def _share_width(self) -> None:
        """Side by side, the form gets 2/5 of the width, or what its rows ask for up to a half; the outputs the rest."""
        total = self.splitter.width() - self.splitter.handleWidth()
        if total <= 0:
            return
        rows = self.form.scroll.widget().sizeHint().width() + self.form.scroll.verticalScrollBar().sizeHint().width()
        frame = self._form_box.sizeHint().width() - self.form.scroll.sizeHint().width()  # the box's margins, at least
        form = min(max(int(total * 0.4), self._form_box.sizeHint().width(), rows + max(frame, 0)), total // 2)
        self.splitter.setSizes([form, total - form])

    def _on_splitter_moved(self, *_) -> None:
        self._user_split = True

    def _share_height(self) -> None:
        """Stacked, the form gets what its input rows need while there are no outputs (the outputs' placeholder
        the rest); once outputs are shown, at least its first whole row and at most 45 %, the outputs the rest.
        Side by side, both get the full height and the widths go 2:3."""
        if self.splitter.orientation() != QtCore.Qt.Orientation.Vertical:
            self.splitter.setStretchFactor(0, 2)
            self.splitter.setStretchFactor(1, 3)
            return
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        if self._user_split:
            return
        # The splitter's own height, not the sum of its panes: in a resize event that sum is still the old one.
        total = self.splitter.height() - self.splitter.handleWidth()
        if total <= 0:
            return
        overhead = self._form_box.sizeHint().height() - self.form.sizeHint().height()
        wanted = overhead + self.form.wanted_height()
        floor = max(overhead + self.form.wanted_height(rows=1), self._form_box.minimumSizeHint().height())
        results = self.results.minimumSizeHint().height()
        page = self._outputs_page.layout().contentsMargins()
        outputs = max(results, self.results.tabBar().sizeHint().height() + page.top() + page.bottom()
                      + self.outputs.minimumSizeHint().height())  # the room the outputs need without scrolling
        if self.outputs.keys():
            form = max(min(wanted, int(total * 0.45), total - outputs), floor)  # the first row wins: outputs scroll
        else:
            form = min(wanted, total - outputs)  # nothing to show below yet: the form takes what its rows need
        form = max(min(form, total - results), self._form_box.minimumSizeHint().height())
        self.splitter.setSizes([form, max(total - form, 1)])

    def is_running(self) -> bool:
        return self._run_task is not None and not self._run_task.finished

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Block until the worker is idle (tests, shutdown)."""
        return self.worker.wait(timeout_ms)

    def close(self) -> bool:  # noqa: D102 - QWidget.close, plus releasing the model
        self._close_runner()
        return super().close()

    # -- internals ----------------------------------------------------------------------------------------------
    def _set_engines(self, kind: str, engine: str | None = None) -> None:
        self.engine_box.blockSignals(True)
        current = engine or self.engine_box.currentData()
        self.engine_box.clear()
        for name in ("litert",) if engine == "litert" else ENGINES.get(kind, ("auto",)):
            self.engine_box.addItem(name, name)
            self.engine_box.setItemData(self.engine_box.count() - 1, ENGINE_HELP.get(name, ""),
                                        QtCore.Qt.ItemDataRole.ToolTipRole)
        index = self.engine_box.findData(current)
        self.engine_box.setCurrentIndex(max(index, 0))
        self.engine_box.setEnabled(self.engine_box.count() > 1)
        self.engine_box.blockSignals(False)

    def _close_runner(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:  # freeing a TF model can take a while: not on the GUI thread
            self.worker.submit(_close, runner, caller=f"close-{id(runner)}", name="closing the model")

    def _busy(self, text: str) -> None:
        self.progress.setValue(0)
        self.progress.setFormat(text)
        self.progress.show()
        self.status.setText(text)

    def _idle(self, text: str) -> None:
        if self.is_running():
            return
        if self._load_task is None or self._load_task.finished:
            self.progress.hide()  # a load still going keeps its progress bar; the text says what just happened
        self.status.setText(text)

    def _update_actions(self) -> None:
        ready = self.spec is not None and self._signature is not None
        self.run_button.setEnabled(ready and not self.is_running())
        self.run_button.setText("Running…" if self.is_running() else "Run")

    def _on_engine_box_changed(self, *_):
        if self.spec is None:
            return
        from dataclasses import replace

        self._close_runner()
        self.spec = replace(self.spec, engine=self.engine())
        self._load_pending = self.auto_load
        self._load_if_shown()

    def _on_task_progress(self, task: Task, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if text:
            self.progress.setFormat(f"{text[:1].upper()}{text[1:]}… %p%")

    def _on_load_done(self, task: Task, runner) -> None:
        stale = self.spec is None or (self.spec.kind == "folder" and getattr(runner, "target", None) != self.spec.target)
        if stale or (self.runner is not None and self.runner is not runner):
            self.worker.submit(_close, runner, caller=f"close-{id(runner)}")
        else:
            self.runner = runner
        engine = getattr(runner, "engine", self.engine())
        self._idle(f"Model ready ({engine}).")
        notes = getattr(runner, "notes", ())
        shown = self.outputs.prediction.notes if self.outputs.prediction is not None else ()
        if notes and " ".join(notes) not in "\n".join(shown):  # a run that came first shows it with its outputs
            self.message.show_message(" ".join(notes), "info")
        self._update_actions()

    def _on_load_failed(self, task: Task, error: ExplorerError) -> None:
        if self._refused_unsafe(error, asked=False):
            return
        self._idle("The model could not be loaded.")
        self.message.show_error(error)
        self._update_actions()

    def _refused_unsafe(self, error: ExplorerError, asked: bool) -> bool:
        """A load refused for dangerous ops: say so where the user looks; on Run (`asked`), ask in a dialog."""
        from .consent import unsafe_report
        from .widgets.unsafe_dialog import effects_in_words

        report = unsafe_report(error)
        if report is None:
            return False
        ops = ", ".join(sorted({f.op for f in report.high}))
        self._idle("Not loaded: the model has unsafe ops.")
        self.message.show_message(
            f"Not loaded: this model {effects_in_words(report)} ({ops}). Nothing has run.", "warning",
            details=str(error), fix="Press Run to see what it does and decide." if not asked else
            "Run again to be asked again, if you trust who made it.")
        self._update_actions()
        if asked:
            self.run_failed.emit(error)
            if self.consent is not None:
                self.consent.ask(report, self.window(), on_granted=self.run, action="run it")
        return True

    def _on_run_done(self, task: Task, outcome: RunOutcome) -> None:
        if self.spec is None or outcome.spec.target != self.spec.target:
            return  # the model changed while this ran
        if self.runner is None:
            self.runner = outcome.runner
        elif outcome.runner is not self.runner:
            self.worker.submit(_close, outcome.runner, caller=f"close-{id(outcome.runner)}")
        prediction = outcome.prediction
        if self.form.signature() is not None and self.form.signature().key == prediction.signature:
            self.form.show_prepared(outcome.prepared)  # notes and previews of exactly what ran
        self.outputs.show_prediction(prediction, self._signature if self._signature and
                                     self._signature.key == prediction.signature else None)
        record = RunRecord.from_prediction(prediction, outcome.prepared.inputs)
        record.started_at = self._run_started
        entry = self.history.add(record, self._run_sources, self._run_batch, prediction)
        self.history.select(entry)
        if self.message.level() == "info" and self.message.text() in "\n".join(prediction.notes):
            self.message.clear()  # the load's note (e.g. the TF1 fallback) is now shown with the outputs: not twice
        self.show_outputs()
        self._share_height()  # the outputs appeared: the form gives up what it held for its other rows
        # The run's own time: loading (and TensorFlow's import, once per process) are shown with the outputs.
        self._idle(f"{prediction.signature} ran in {record.run_ms or 0.0:.1f} ms ({prediction.engine}).")
        self._update_actions()
        self.prediction_done.emit(prediction)

    def _on_run_failed(self, task: Task, error: ExplorerError) -> None:
        if self._refused_unsafe(error, asked=True):
            return
        runner = getattr(error, "runner", None)
        if runner is not None and self.runner is None:
            self.runner = runner
        problems = getattr(error, "problems", None)
        if problems is not None:
            self.form.show_problems(problems, self.form.prepared.notes if self.form.prepared else [])
            self._point_to_form(problems)
        elif self._tied_to_input(error):
            from explorer.core.validate import Problem

            # The problem is the input's: its text and fix go under its row, where the user looks to change it;
            # the banner only says where (and keeps the engine's own text behind Details).
            self.form.show_run_problem(Problem("run", error.key, str(error), error.fix))
            self.message.show_message(f"The run failed on input {error.key}: see it marked below.", "error",
                                      details=error.details)
        else:
            self.message.show_error(error)
        # Either way a message about the inputs as they were goes once they change.
        tied = problems is not None or getattr(error, "key", None) in self.form.rows
        self._banner = ("inputs" if problems is not None else "run", dict(self._run_sources)) if tied else None
        prepared = getattr(error, "prepared", None)
        if self.spec is not None and self._signature is not None:
            record = RunRecord(self.spec.target, getattr(runner, "engine", self.engine()), self._signature.key,
                               dict(prepared.inputs) if prepared else {}, {}, version=self.spec.version,
                               error=str(error), started_at=self._run_started)
            self.history.add(record, self._run_sources, self._run_batch, details=error.details)
        self._idle("Not run: fix the marked inputs." if problems is not None else "The run failed.")
        self._update_actions()
        self.run_failed.emit(error)

    def _tied_to_input(self, error) -> bool:
        """Whether a run failure is one input's to fix (said on its row), not the model's (said in the banner)."""
        return getattr(error, "key", None) in self.form.rows and getattr(error, "input_can_fix", True)

    def _point_to_form(self, problems: list) -> None:
        """"Not run: ..." in the banner, naming where the problems are marked, not repeating what is under the rows."""
        errors = [p for p in problems if p.severity == "error"]
        keys = list(dict.fromkeys(p.input for p in errors if p.input in self.form.rows))
        if keys:
            where = (f"the marked input {keys[0]}" if len(keys) == 1 else
                     f"the {len(keys)} marked inputs ({', '.join(keys)})")
            if len(keys) < len(set(p.input for p in errors)):
                where += " and the problem above them"
        else:
            where = "the problem shown above the inputs"
        self.message.show_message(f"Not run: fix {where}.", "error")

    def _clear_banner(self) -> None:
        self._banner = None
        self.message.clear()

    def _on_form_problems_changed(self, problems: list) -> None:
        """Keep a "Not run: ..." banner true to the inputs as they are now, not as they were at Run."""
        QtCore.QTimer.singleShot(0, self, self._share_height)  # a problem's text under an input needs its lines
        if self._banner is None or self.is_running():
            return
        kind, sources = self._banner
        errors = [p for p in problems if p.severity == "error"]
        if kind == "inputs" and errors:
            self._point_to_form(errors)
            self._idle("Not run: fix the marked inputs.")
        elif kind == "inputs":
            self._clear_banner()
            self._idle("The inputs are fixed: Run again.")
        elif self.form.sources() != sources:  # a failed run's message was about inputs that are gone
            self._clear_banner()
            self._idle("The inputs changed since the failed run.")

    def _on_history_entry_activated(self, entry: HistoryEntry) -> None:
        if entry.prediction is not None:
            sig = self._signature if self._signature and self._signature.key == entry.record.signature else None
            self.outputs.show_prediction(entry.prediction, sig)
            self.show_outputs()
            self._share_height()
        elif entry.record.error:
            self.message.show_message(f"Run {entry.number} failed: {entry.record.error}", "error",
                                      details=entry.details)

    def _on_history_count_changed(self, count: int) -> None:
        self.results.setTabText(self.results.indexOf(self._history_page), f"Run history ({count})" if count else
                                "Run history")

    def _on_history_restore_requested(self, entry: HistoryEntry) -> None:
        key = entry.record.signature
        if self._signature is not None and self._signature.key == key:
            self.form.set_sources(entry.sources, entry.batch)
        else:
            self.form.remember(self.spec.key() if self.spec else "", key, entry.sources, entry.batch or 1)
            self.signature_requested.emit(key)


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.run_panel MODEL [SIGNATURE]`: the run panel for one model, for a quick look."""
    looked = quick_look_model(argv, "python -m explorer.ui.run_panel MODEL [SIGNATURE]")
    if looked is None:
        return 2
    app, info = looked
    panel = RunPanel()
    panel.set_model(info)
    panel.set_signature(info.user_signatures.get(argv[2] if len(argv) > 2 else info.default_signature))
    panel.resize(1200, 760)
    panel.setWindowTitle(f"Run — {info.path}")
    panel.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
