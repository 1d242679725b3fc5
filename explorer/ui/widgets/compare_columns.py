"""A comparison's columns: what a target is and how it runs (run_column, on a worker), and its card.
compare_view.py lays them out; compare_verdict.py and compare_plot.py show where they differ."""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from explorer.core.targets import PROTOCOL_NAMES
from explorer.core.errors import ExplorerError, RunError
from explorer.core.request import Prediction, Request
from explorer.core.runners.base import Progress, no_progress

from .. import theme
from ..run_panel import RunSpec, open_and_load
from ..workers import Task
from .plots import _PALETTE

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_STATUS_SEVERITY = {"equal": "ok", "close": "ok", "different": "error", "shape_mismatch": "warning",
                    "only_a": "warning", "only_b": "warning"}


def status_style(status: str) -> tuple[str, str]:
    """(background, ink) of a comparison status, from the palette: fixed pastels stayed light in the dark theme,
    where the table's light text on them could not be read."""
    ink, tint = theme.card_style(_STATUS_SEVERITY.get(status, ""))
    return tint, ink
_STATUS_TEXT = {"equal": "equal", "close": "close (within tolerance)", "different": "DIFFERENT",
                "shape_mismatch": "shape differs", "only_a": "missing here", "only_b": "only here"}


def column_color(index: int) -> str:
    return _PALETTE[index % len(_PALETTE)] if index < len(_PALETTE) else pg.intColor(index, hues=16).name()


@dataclass(eq=False)
class Column:
    """One target in the comparison: a live one (spec, run on compare) or a recorded prediction (never re-run)."""

    spec: RunSpec | None
    title: str
    prediction: Prediction | None = None
    error: ExplorerError | None = None
    state: str = "idle"  # "idle" | "running" | "done" | "failed" | "recorded"
    runner: object = None
    signatures: dict = field(default_factory=dict)  # what the target offers, for the signature note
    task: Task | None = None
    probe_outputs: list = field(default_factory=list)  # outputs per probe (None where this target refused one)

    @property
    def live(self) -> bool:
        return self.spec is not None


@dataclass(eq=False)
class ColumnOutcome:
    """What one target's run gives back: its runner (kept for the next compare), prediction and signatures."""

    runner: object
    prediction: Prediction
    signatures: dict
    probe_outputs: list = field(default_factory=list)


def run_column(runner, spec: RunSpec, signature_key: str, inputs: dict[str, np.ndarray], examples: tuple = (),
               progress: Progress = no_progress, probes: tuple = ()) -> ColumnOutcome:
    """Open (if needed) and run one target with the given arrays, then with each probe ((inputs, tf.Examples) from
    core.agreement.request_probes; a probe the target refuses gives None, a difference, not a failure); RunError
    when it lacks the signature."""
    if runner is None:
        runner = open_and_load(spec, lambda f, t: progress(0.8 * f, t))
    try:
        signatures = runner.signatures()
        signature = signatures.get(signature_key)
        if signature is None:
            raise RunError(f"{spec.target} has no signature '{signature_key}' (it has "
                           f"{', '.join(sorted(signatures)) or 'none'}).",
                           fix="Compare targets that serve the same signature, or pick another signature.")
        method = signature.request_method
        prediction = runner.predict(Request(signature_key, dict(inputs), method=method, examples=tuple(examples)),
                                    progress)
    except ExplorerError as exc:
        exc.runner = runner  # loaded fine: keep it for the next compare
        raise
    probe_outputs = []
    for probe, probe_examples in probes:  # (inputs, tf.Examples): core.agreement.request_probes
        try:
            probe_outputs.append(runner.predict(Request(signature_key, dict(probe), method=method,
                                                        examples=tuple(probe_examples))).outputs)
        except ExplorerError:
            probe_outputs.append(None)
    return ColumnOutcome(runner, prediction, signatures, probe_outputs)


def prepare_request(signature, sources: dict, batch: int | None, offers: dict | None, target: str):
    """The form's Sources built once into arrays (tensor_form.prepare_inputs); InputsNotReady on errors."""
    from ..run_panel import InputsNotReady
    from .tensor_form import prepare_inputs

    prepared = prepare_inputs(signature, sources, batch, offers, target)
    if prepared.errors:
        raise InputsNotReady(prepared.problems)
    return prepared


def spec_from_text(text: str, version: int | None = None, engine: str = "auto") -> RunSpec:
    """A RunSpec for what the user typed: a folder path or rest:// / grpc:// (or a pasted TF Serving URL)."""
    from explorer.core.targets import parse_target

    target = parse_target(text)
    if target.kind == "folder":
        return RunSpec(os.path.abspath(target.path), "folder", engine, version)
    if version is not None:
        from dataclasses import replace

        target = replace(target, version=str(version) if target.is_v2 else version, label=None)
    return RunSpec(target.url(), target.kind, target.kind, None)


def spec_title(spec: RunSpec) -> str:
    """A short name for a column: the folder's name (and version) or the endpoint URL."""
    if spec.kind == "folder":
        name = os.path.basename(spec.target.rstrip("/\\")) or spec.target
        return f"{name} v{spec.version}" if spec.version is not None else name
    return spec.target


def _num(value) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def _folder_or_file(target: str) -> str:
    """What a local target is, in the card's words: a .tflite or saved_model.pb is a file, not a folder."""
    return "file" if os.path.splitext(target)[1].lower() in (".tflite", ".pb", ".pbtxt") else "folder"


def _shape(shape) -> str:
    if shape is None:
        return "–"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


# --- target cards -----------------------------------------------------------------------------------------------


class TargetCard(QtWidgets.QFrame):
    """One column's header: letter and colour, target, engine/version, state and timing, signature agreement."""

    remove_requested = QtCore.Signal(object)  # TargetCard
    reference_requested = QtCore.Signal(object)  # TargetCard
    resized = QtCore.Signal()  # its width changed: its notes may need another height

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TargetCard")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setMinimumWidth(230)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.letter = QtWidgets.QLabel()
        self.letter.setFixedSize(26, 26)
        self.letter.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self._full_title = ""
        self.title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QtWidgets.QLabel()
        self.detail.setStyleSheet("color: palette(placeholder-text);")
        self.state = QtWidgets.QLabel()
        self.state.setWordWrap(True)
        self.signature_note = QtWidgets.QLabel()
        self.signature_note.setWordWrap(True)
        self.signature_note.setStyleSheet("color: palette(placeholder-text);")
        self.reference_button = QtWidgets.QToolButton()
        self.reference_button.setAutoRaise(True)
        self.reference_button.setCheckable(True)
        self.reference_button.setToolTip("Compare every other column against this one")
        self.reference_button.clicked.connect(lambda: self.reference_requested.emit(self))
        self.remove_button = QtWidgets.QToolButton()
        self.remove_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove this target from the comparison")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.letter)
        top.addWidget(self.title, 1)
        top.addWidget(self.reference_button)
        top.addWidget(self.remove_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        layout.addWidget(self.state)
        layout.addWidget(self.signature_note)

    def show_column(self, index: int, column: Column, reference: bool, note: str) -> None:
        color = column_color(index)
        self.letter.setText(LETTERS[index % len(LETTERS)])
        self.letter.setStyleSheet(f"background: {color}; color: {theme.ink_on(color)}; border-radius: 13px; "
                                  "font-weight: 700;")
        background = "palette(alternate-base)" if reference else "palette(base)"
        self.setStyleSheet(f"#TargetCard {{ border: 1px solid {theme.colors().border}; border-top: 3px solid {color};"
                           f" border-radius: 4px; background: {background}; }}")
        full = column.spec.target if column.spec else column.title
        self._full_title = column.title
        self._elide()
        self.title.setToolTip(full)
        p = column.prediction
        if column.spec is not None:
            engine = p.engine if p is not None else column.spec.engine
            version = p.version if p is not None and p.version is not None else column.spec.version
            where = (f"{_folder_or_file(column.spec.target)} · {engine}" if column.spec.kind == "folder"
                     else PROTOCOL_NAMES.get(column.spec.kind, column.spec.kind))
            self.detail.setText(where + (f" · version {version}" if version is not None else ""))
        else:
            version = f" · version {p.version}" if p is not None and p.version is not None else ""
            self.detail.setText(f"recorded run · {p.engine if p else ''}{version}")
        ink = theme.colors().inks  # the palette's, so the state reads on a dark card too (dark green did not)
        if column.state == "running":
            self.state.setText(f"<span style='color:{ink['info']}'>⟳ running…</span>")
        elif column.state == "failed" and column.error is not None:
            self.state.setText(f"<span style='color:{ink['error']}'>✖ {html.escape(str(column.error), quote=False)}"
                               "</span>")
            self.state.setToolTip(column.error.fix or "")
        elif p is not None:
            ms = p.timing_ms.get("predict")
            load = p.timing_ms.get("load")
            timing = f" in {ms:.1f} ms" if ms is not None else ""
            if load and load >= 1:  # a model loaded before this run costs nothing now: say nothing
                timing += f" (+ load {load:.0f} ms)"
            verb = "recorded" if column.state == "recorded" else "ran"
            self.state.setText(f"<span style='color:{ink['ok']}'>✔ {verb}{timing}</span>")
        else:
            self.state.setText(f"<span style='color:{theme.colors().muted}'>not run yet</span>")
        self.signature_note.setText(note)
        self.signature_note.setVisible(bool(note))
        self.reference_button.setChecked(reference)
        self.reference_button.setText("★ reference" if reference else "☆ set reference")

    def _elide(self) -> None:
        # The end of a title tells versions and endpoints apart ("… v123"): keep it, elide the start.
        width = self.title.width()  # not more: a longer text is clipped at the right, losing the version
        self.title.setText(self.title.fontMetrics().elidedText(self._full_title, QtCore.Qt.TextElideMode.ElideLeft,
                                                               width))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()
        if event.size().width() != event.oldSize().width():
            self.resized.emit()
