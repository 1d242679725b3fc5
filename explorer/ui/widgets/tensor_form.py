"""TensorForm: one editor per input of a signature, a batch size, and each problem shown on its field as you type.

The form holds Sources (what the user typed, verbatim), never arrays: building and checking them
(prepare_inputs, plain code) runs on a worker after a short pause in typing, so a big fill or image never
freezes the window. Sources are remembered per model + signature, so switching signatures and back loses nothing.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.defaults import default_sources
from explorer.core.example_features import empty_examples_note
from explorer.core.errors import ExplorerError, InputProblem
from explorer.core.signature import Signature, TensorSpec
from explorer.core.sources import Source
from explorer.core.tensors import build_input
from explorer.core.validate import Problem, apply_offer, check

from .input_editors import MODE_LABELS, InputEditor, editor_modes, has_batch, make_editor, mode_for
from ..quick_look import quick_look_model

CHECK_DELAY_MS = 150  # after the last keystroke; short enough to feel live, long enough not to build per key
MAX_BATCH = 1 << 20
_OFFER_LABELS = {"cast": "Cast", "convert_channels": "Convert channels", "add_batch_axis": "Add a batch axis",
                 "add_trailing_axis": "Add a trailing axis", "drop_batch_axis": "Drop the batch axis",
                 "channels_last": "Move channels last", "normalize": "Scale to 0..1"}
_ERROR_STYLE = "#B3261E"
_WARNING_STYLE = "#8A5300"


@dataclass(eq=False)
class Prepared:
    """The arrays built from a form's Sources, what check() found, and what was done on the way."""

    inputs: dict[str, np.ndarray]
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    examples: tuple[dict, ...] = ()  # tf.Example feature dicts, for classify/regress over REST

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def problem_of(error: InputProblem | ExplorerError, key: str | None) -> Problem:
    """An InputProblem raised while building as a Problem of kind "build", so the form shows both alike."""
    return Problem("build", getattr(error, "key", None) or key, str(error), getattr(error, "fix", ""))


def prepare_inputs(signature: Signature, sources: dict[str, Source], batch: int | None = None,
                   offers: dict[str, set[str]] | None = None, target: str = "local") -> Prepared:
    """Build every input from its Source, apply the fixes the user accepted, and check against the signature.
    Each input is built on its own so one bad value does not hide the others' problems."""
    import json

    inputs: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    failed: set[str] = set()
    examples: tuple[dict, ...] = ()
    for key, spec in signature.inputs.items():
        source = sources.get(key)
        if source is None or spec.encoding != "dense":
            continue  # check() says a sparse/ragged input cannot be fed; building it only added "DT_INVALID" jargon
        try:
            built = build_input(spec, source, batch)
        except InputProblem as exc:
            problems.append(problem_of(exc, key))
            failed.add(key)
            continue
        inputs[key] = built.array
        notes.extend(built.notes)
        notes += [n for n in (empty_examples_note(signature, key, source),) if n]  # a server's classify input
        if source.kind == "examples":
            try:
                value = json.loads(source.text)
                examples = tuple(value if isinstance(value, list) else [value])
            except ValueError:
                pass
            if examples and not any(examples):
                problems.append(Problem(
                    "empty_example", key, f"{key}: every tf.Example is empty; the model parses named features "
                    "from it and will fail or see only default values.",
                    fix="Name a feature the model parses (e.g. x for TF Serving's half_plus_two) and give its "
                        "values.", severity="warning"))
    found = check(inputs, signature, target)
    accepted = offers or {}
    for _ in range(3):  # one fix can reveal the next (add a batch axis, then cast)
        todo = [p for p in found if p.offer and p.input in inputs and p.offer in accepted.get(p.input, ())]
        if not todo:
            break
        for p in todo:
            try:
                inputs[p.input] = apply_offer(inputs[p.input], p, signature.inputs[p.input])
                notes.append(f"{p.input}: {_OFFER_LABELS.get(p.offer, p.offer).lower()} applied.")
            except InputProblem as exc:
                problems.append(problem_of(exc, p.input))
                failed.add(p.input)
                inputs.pop(p.input, None)
        found = check(inputs, signature, target)
    problems += [p for p in found if not (p.kind in ("missing", "default_used") and p.input in failed)]
    problems.sort(key=lambda p: p.severity != "error")
    return Prepared(inputs, problems, notes, examples)


SELECT_SIGNATURE = "Select a signature to fill in its inputs."


def _fits(old: TensorSpec, new: TensorSpec) -> bool:
    """Whether what was typed for `old` means the same for `new`: one dtype, and shapes that agree where both are
    known (a -1 or an unknown rank agrees with anything)."""
    if old.dt.name != new.dt.name:
        return False
    if old.shape is None or new.shape is None:
        return True
    return len(old.shape) == len(new.shape) and all(a == b or a < 0 or b < 0 for a, b in zip(old.shape, new.shape))


def carry_over(old: dict[str, TensorSpec], sources: dict[str, Source],
               signature: Signature) -> tuple[dict[str, Source], list[str]]:
    """What typed for another version's signature (`old` specs, `sources`) still fits `signature`: the Sources to
    keep, and one phrase for each input that is reset, new or gone, saying why."""
    kept, said = {}, []
    for key, spec in signature.inputs.items():
        before = old.get(key)
        if key not in sources or before is None:
            said.append(f"{key} is new")
        elif _fits(before, spec):
            kept[key] = sources[key]
        else:
            said.append(f"{key} reset to its default ({spec.dt.short} {spec.shape_text()} here, "
                        f"{before.dt.short} {before.shape_text()} there)")
    said += [f"{key} is no longer an input" for key in old if key not in signature.inputs]
    return kept, said


class InputRow(QtWidgets.QFrame):
    """One input: its name, dtype and shape, a mode chooser, the editor, and its problems and notes inline."""

    changed = QtCore.Signal()
    offer_accepted = QtCore.Signal(str, str)  # key, offer
    reexport_requested = QtCore.Signal(object)  # Problem: "Fix in a re-export" (fix the model, not the input)

    def __init__(self, spec: TensorSpec, method: str = "predict", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.setObjectName("InputRow")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.modes = editor_modes(spec, method)
        self._editors: dict[str, InputEditor] = {}
        self._batch = 1
        self.problems: list[Problem] = []

        name = QtWidgets.QLabel(f"<b>{spec.key}</b>")
        try:
            dtype = spec.dt.short
        except KeyError:
            dtype = spec.dtype
        if spec.encoding == "composite" and spec.dtype == "DT_INVALID":
            dtype = "composite"
        if spec.quantization is not None:  # type real values; the runner quantises them (and says so)
            dtype += f" → {spec.storage_dt.short}"
        about = QtWidgets.QLabel(f"{dtype} {spec.shape_text()}" + (f" · {spec.name}" if spec.name else ""))
        about.setWordWrap(True)  # long tensor names (a ragged input's components) must not widen the form
        about.setStyleSheet("color: palette(placeholder-text);")
        about.setToolTip(f"{spec.key}: {spec.dtype}, shape {spec.shape_text()}, tensor {spec.name or '?'}"
                         + (f"; quantised ({spec.quantization.text()}): give real values, they are quantised "
                            "with this scale and zero-point and clipped to the integer range"
                            if spec.quantization is not None else ""))
        self.mode_box = QtWidgets.QComboBox()
        for mode in self.modes:
            self.mode_box.addItem(MODE_LABELS[mode], mode)
        self.mode_box.setToolTip("How to give this input's values")
        self.mode_box.currentIndexChanged.connect(self._on_mode_box_changed)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(name)
        head.addWidget(about, 1)
        head.addWidget(self.mode_box)

        self.stack = QtWidgets.QStackedWidget()
        self.problem_label = QtWidgets.QLabel()
        self.problem_label.setObjectName("ProblemText")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()
        self.offer_button = QtWidgets.QPushButton()
        self.offer_button.hide()
        self.offer_button.clicked.connect(self._on_offer_button_clicked)
        self._offer: Problem | None = None
        self.reexport_button = QtWidgets.QPushButton("Fix in a re-export")
        self.reexport_button.setToolTip("Fix the model instead of the input: write it again with a signature that "
                                        "takes what clients send (Signature ▸ Edit and Re-export…)")
        self.reexport_button.hide()
        self.reexport_button.clicked.connect(self._on_reexport_button_clicked)
        self._fixable: Problem | None = None
        problem_row = QtWidgets.QHBoxLayout()
        problem_row.addWidget(self.problem_label, 1)
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.offer_button)
        buttons.addWidget(self.reexport_button)
        buttons.addStretch(1)
        problem_row.addLayout(buttons)
        self.notes_label = QtWidgets.QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color: palette(placeholder-text); font-size: 11px;")
        self.notes_label.hide()

        self.preview = QtWidgets.QLabel()  # a thumbnail of image-like inputs, as built (first batch row)
        self.preview.setToolTip("The first batch row of this input as the model will receive it")
        self.preview.hide()
        notes_row = QtWidgets.QHBoxLayout()
        notes_row.addWidget(self.preview, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        notes_row.addWidget(self.notes_label, 1, QtCore.Qt.AlignmentFlag.AlignTop)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.stack)
        layout.addLayout(problem_row)
        layout.addLayout(notes_row)
        self._show_mode(self.modes[0])

    # -- editors ----------------------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.mode_box.currentData()

    def editor(self, mode: str | None = None) -> InputEditor:
        """The editor of a mode (default: the current one), created on first use and then kept."""
        mode = mode or self.mode
        if mode not in self._editors:
            editor = make_editor(mode, self.spec)
            editor.set_batch(self._batch)
            editor.changed.connect(self.changed)
            self._editors[mode] = editor
            self.stack.addWidget(editor)
        return self._editors[mode]

    def _show_mode(self, mode: str) -> None:
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(self.mode_box.findData(mode))
        self.mode_box.blockSignals(False)
        self.stack.setCurrentWidget(self.editor(mode))
        self.stack.setFixedHeight(self.editor(mode).sizeHint().height())

    def set_mode(self, mode: str) -> None:
        """Switch editor; the value shown moves along when the new editor can show it (Grid -> JSON keeps the
        numbers), else the new editor keeps what was typed in it before."""
        current = self.editor().source() if self.mode != mode else None
        self._show_mode(mode)
        if current is not None and self.editor(mode).accepts(current):
            self.editor(mode).set_source(current)
        self.changed.emit()

    def _on_mode_box_changed(self, *_):
        self.set_mode(self.mode_box.currentData())

    def source(self) -> Source:
        return self.editor().source()

    def set_source(self, source: Source) -> bool:
        """Show a Source in the editor that fits it; False when no editor of this input can."""
        candidates = [self.mode] + [m for m in self.modes if m != self.mode]
        for mode in candidates:
            if mode_for(source, [mode]) and self.editor(mode).set_source(source):
                self._show_mode(mode)
                return True
        return False

    def set_batch(self, batch: int) -> None:
        self._batch = batch
        for editor in self._editors.values():
            editor.set_batch(batch)
        self.stack.setFixedHeight(self.editor().sizeHint().height())

    # -- problems ---------------------------------------------------------------------------------------------
    def show_problems(self, problems: list[Problem], notes: list[str]) -> None:
        """Show this input's problems (errors first) and the notes of how its array was made."""
        self.problems = list(problems)
        if problems:
            lines = []
            for p in problems:
                colour = _ERROR_STYLE if p.severity == "error" else _WARNING_STYLE
                mark = "✖" if p.severity == "error" else "⚠"
                fix = f"<br><i>{_html(p.fix)}</i>" if p.fix else ""
                lines.append(f"<span style='color:{colour}'>{mark} {_html(p.message)}</span>{fix}")
            self.problem_label.setText("<br>".join(lines))
            self.problem_label.show()
        else:
            self.problem_label.clear()
            self.problem_label.hide()
        offer = next((p for p in problems if p.offer), None)
        self._offer = offer
        if offer is not None:
            self.offer_button.setText(_OFFER_LABELS.get(offer.offer, offer.offer)
                                      + (f" to {offer.expected}" if offer.offer == "cast" and offer.expected else ""))
            self.offer_button.setToolTip(offer.fix)
        self.offer_button.setVisible(offer is not None)
        from explorer.core.reexport import FIXABLE

        self._fixable = next((p for p in problems if p.kind in FIXABLE), None)
        self.reexport_button.setVisible(self._fixable is not None)
        error = any(p.severity == "error" for p in problems)
        warning = bool(problems) and not error
        colour = _ERROR_STYLE if error else (_WARNING_STYLE if warning else "")
        self.setStyleSheet(f"#InputRow {{ border: 1px solid {colour}; border-radius: 4px; }}" if colour
                           else "#InputRow { border: 1px solid palette(mid); border-radius: 4px; }")
        self.notes_label.setText("\n".join(notes))
        self.notes_label.setVisible(bool(notes))

    def _on_reexport_button_clicked(self) -> None:
        if self._fixable is not None:
            self.reexport_requested.emit(self._fixable)

    def show_preview(self, array: np.ndarray | None) -> None:
        """Show a thumbnail when the built input looks like an image batch (N, H, W, 1|3|4); hide it otherwise."""
        image = _image_of(array)
        if image is None:
            self.preview.clear()
            self.preview.hide()
            return
        h, w, c = image.shape
        fmt = {1: QtGui.QImage.Format.Format_Grayscale8, 3: QtGui.QImage.Format.Format_RGB888,
               4: QtGui.QImage.Format.Format_RGBA8888}[c]
        qimage = QtGui.QImage(image.tobytes(), w, h, w * c, fmt).copy()  # copy: own the pixels
        pixmap = QtGui.QPixmap.fromImage(qimage).scaled(
            96, 96, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
            QtCore.Qt.TransformationMode.FastTransformation if max(h, w) < 96
            else QtCore.Qt.TransformationMode.SmoothTransformation)
        self.preview.setPixmap(pixmap)
        self.preview.show()

    def problem_text(self) -> str:
        """The problems shown, as plain text (for tests and copying)."""
        return "\n".join(p.message for p in self.problems)

    def _on_offer_button_clicked(self) -> None:
        if self._offer is None:
            return
        box = getattr(self.editor(), "normalize", None)
        if self._offer.offer == "normalize" and box is not None and box.isVisibleTo(self):
            # An image file has its own "scale 0..1" box: tick it. Accepted as a separate fix, the row read "scale
            # to 0..1 applied" under "not scaled (add normalize=true)" beside an unticked box.
            box.setChecked(True)
            return
        self.offer_accepted.emit(self.spec.key, self._offer.offer)


def _image_of(array) -> np.ndarray | None:
    """(H, W, C) uint8 of the first row of an image-like batch, scaled to its own range; None when not one."""
    if array is None or array.dtype.kind not in "biuf" or array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
        return None
    image = np.asarray(array[0], dtype=np.float64)
    if min(image.shape[:2]) < 4 or image.size > 4096 * 4096 * 4:
        return None
    finite = image[np.isfinite(image)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if array.dtype == np.uint8:
        low, high = 0.0, 255.0
    scale = 255.0 / (high - low) if high > low else 0.0
    return np.ascontiguousarray(np.clip((np.nan_to_num(image) - low) * scale, 0, 255).astype(np.uint8))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _RowsScroll(QtWidgets.QScrollArea):
    """Scrolls the input rows vertically; at least as wide as the rows need, so a narrow pane never cuts an editor
    or its problem text off at the right edge (the splitter beside it gives the form that width)."""

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        rows = self.widget()
        if rows is not None:
            need = rows.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
            hint.setWidth(max(hint.width(), need))
        hint.setHeight(min(hint.height(), 40))  # it scrolls: the outputs' plot below needs the height more
        return hint

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QtCore.QEvent.Type.LayoutRequest:
            self.updateGeometry()  # rows were added or an editor changed: our minimum width follows
        return super().eventFilter(watched, event)


class TensorForm(QtWidgets.QWidget):
    """The inputs of one signature: editors, a batch size, and problems inline; Sources kept per model+signature."""

    sources_changed = QtCore.Signal(dict)  # input key -> Source
    problems_changed = QtCore.Signal(list)  # list[Problem], after each check
    reexport_requested = QtCore.Signal(object)  # Problem whose fix is a re-export of the model (an input row's button)
    checked = QtCore.Signal(object)  # Prepared, after each check

    def __init__(self, signature: Signature | None = None, parent: QtWidgets.QWidget | None = None,
                 worker=None, target: str = "local"):
        super().__init__(parent)
        from explorer.ui.workers import Worker

        self._worker = worker or Worker(self)
        self.target = target  # "local" or "serving": which rules check() applies
        self._signature: Signature | None = None
        self._model_key = ""
        self._family, self._label = "", ""  # the models whose typing carries over (a base path's versions), "version 2"
        self._memory: dict[tuple[str, str], dict] = {}  # in the order last left: the newest last
        self.rows: dict[str, InputRow] = {}
        self.offers: dict[str, set[str]] = {}
        self.prepared: Prepared | None = None
        self._problems: list[Problem] = []

        self.empty_text = SELECT_SIGNATURE  # what the form says with no signature (the model may have none)
        self.title = QtWidgets.QLabel(self.empty_text)
        self.title.setWordWrap(True)
        self.batch_label = QtWidgets.QLabel("Batch")
        self.batch_box = QtWidgets.QSpinBox()
        self.batch_box.setRange(1, MAX_BATCH)
        self.batch_box.setToolTip("Rows in the batch: the length of every input's -1 first dimension")
        self.batch_box.valueChanged.connect(self._on_batch_box_changed)
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("FormStatus")
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.batch_label)
        head.addWidget(self.batch_box)

        self.carried = QtWidgets.QLabel()  # what of the typing for another version was kept, reset, and why
        self.carried.setObjectName("FormCarried")
        self.carried.setWordWrap(True)
        self.carried.setStyleSheet("color: palette(placeholder-text);")
        self.carried.hide()
        self.general = QtWidgets.QLabel()  # problems of no single input (batch sizes disagree, unknown keys)
        self.general.setWordWrap(True)
        self.general.hide()
        self._rows_box = QtWidgets.QWidget()
        self._rows_layout = QtWidgets.QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.addStretch(1)
        scroll = _RowsScroll()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)
        self.scroll = scroll
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.carried)
        self.general_reexport = QtWidgets.QPushButton("Fix in a re-export")
        self.general_reexport.setToolTip("Give the model the key clients send (Signature ▸ Edit and Re-export…)")
        self.general_reexport.hide()
        self.general_reexport.clicked.connect(self._on_general_reexport_clicked)
        self._general_fixable: Problem | None = None
        general_row = QtWidgets.QHBoxLayout()
        general_row.addWidget(self.general, 1)
        general_row.addWidget(self.general_reexport, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addLayout(general_row)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.set_signature(signature)

    # -- public -----------------------------------------------------------------------------------------------
    def signature(self) -> Signature | None:
        return self._signature

    def set_signature(self, signature: Signature | None, model_key: str = "", family: str | None = None,
                      label: str = "") -> None:
        """Show the inputs of `signature`; the current Sources are remembered under (model, signature) first. What
        was typed for the same signature of another model of `family` (another version of one base path, called
        `label`) fills the inputs that still fit when this model has nothing of its own."""
        self._remember()
        for row in self.rows.values():
            row.setParent(None)
            row.deleteLater()
        self.rows.clear()
        self.offers = {}
        self._signature, self._model_key = signature, model_key or self._model_key
        if family is not None:
            self._family, self._label = family, label
        self.prepared, self._problems = None, []
        self.carried.hide()
        self.general.hide()
        self.general_reexport.hide()
        if signature is None:
            self.title.setText(self.empty_text)
            self.batch_label.hide()
            self.batch_box.hide()
            self.status.clear()
            return
        method = signature.method_short or "predict"
        n = len(signature.inputs)
        self.title.setText(f"<b>{signature.key}</b> · {method} · {n} input{'s' if n != 1 else ''}")
        for i, (key, spec) in enumerate(signature.inputs.items()):
            row = InputRow(spec, method)
            row.changed.connect(self._on_row_changed)
            row.offer_accepted.connect(self._on_row_offer_accepted)
            row.reexport_requested.connect(self.reexport_requested)
            self._rows_layout.insertWidget(i, row)
            self.rows[key] = row
        batched = any(has_batch(s) for s in signature.inputs.values())
        self.batch_label.setVisible(batched)
        self.batch_box.setVisible(batched)
        memory = self._memory.get((self._model_key, signature.key))
        carried = None
        if memory is None and self._family:
            carried = self._carry(signature)
            if carried is not None:
                memory = {"sources": carried[0], "batch": carried[1]["batch"],
                          "offers": {k: v for k, v in carried[1]["offers"].items() if k in carried[0]}}
        self.batch_box.blockSignals(True)
        self.batch_box.setValue(memory["batch"] if memory else 1)
        self.batch_box.blockSignals(False)
        for row in self.rows.values():
            row.set_batch(self.batch_box.value())
        # The same default the CLI builds (it passes the check for every dtype and shape) where nothing was typed.
        for key, source in default_sources(signature, self.batch_box.value()).items():
            if key in self.rows and (not memory or key not in memory["sources"]):
                self.rows[key].set_source(source)
        if memory:
            self.offers = {k: set(v) for k, v in memory["offers"].items()}
            self.set_sources(memory["sources"], check_now=False)
        if carried is not None and carried[2]:
            where = carried[1]["label"] or "the other version"
            self.carried.setText((f"Kept what you typed for {where}, except: " if carried[0] else
                                  f"Nothing typed for {where} fits here: ") + "; ".join(carried[2]) + ".")
            self.carried.show()
        self.schedule_check(0)

    def _carry(self, signature: Signature):
        """(Sources that fit, the memory they come from, phrases of what did not) from the last model of this family
        left with `signature.key` shown; None when there is none."""
        for (model_key, sig_key), memory in reversed(self._memory.items()):
            if sig_key == signature.key and model_key != self._model_key and memory.get("family") == self._family \
                    and memory.get("specs"):
                kept, said = carry_over(memory["specs"], memory["sources"], signature)
                return kept, memory, said
        return None

    def wanted_height(self, rows: int | None = None) -> int:
        """The height that shows every input row (or the first `rows`) whole, without scrolling, at today's width."""
        shown = list(self.rows.values())[:rows]
        if not shown:
            need = self._rows_box.sizeHint().height()
        else:
            width = self.scroll.viewport().width()
            # Wrapped problem text under an input needs more lines in a narrow pane than its sizeHint says.
            need = sum(r.heightForWidth(width) if r.hasHeightForWidth() and width > 0 else r.sizeHint().height()
                       for r in shown) + self._rows_layout.spacing() * (len(shown) - 1)
        layout = self.layout()  # the scroll area's share of the form's sizeHint, as the layout counts it (its minimum)
        scroll = layout.itemAt(layout.indexOf(self.scroll)).sizeHint().height()
        return self.sizeHint().height() - scroll + need + 2 * self.scroll.frameWidth() + 2

    def sources(self) -> dict[str, Source]:
        """What the user gave for each input, verbatim."""
        return {key: row.source() for key, row in self.rows.items()}

    def set_sources(self, sources: dict[str, Source], batch: int | None = None, check_now: bool = True) -> None:
        """Show Sources (e.g. from a saved workspace or the run history); keys the signature lacks are ignored."""
        if batch is not None and self.batch_box.isVisible():
            self.batch_box.setValue(batch)
        for key, source in sources.items():
            row = self.rows.get(key)
            if row is not None:
                row.set_source(source)
        if check_now:
            self.schedule_check(0)

    def batch_size(self) -> int | None:
        """The batch size the form builds, or None when no input has a batch dimension."""
        return self.batch_box.value() if self._has_batch() else None

    def set_batch_size(self, batch: int) -> None:
        self.batch_box.setValue(batch)

    def row(self, key: str) -> InputRow:
        return self.rows[key]

    def problems(self) -> list[Problem]:
        """The problems of the last check (errors first)."""
        return list(self._problems)

    def schedule_check(self, delay_ms: int | None = None) -> None:
        """Rebuild and check the inputs after `delay_ms` (default: the typing pause)."""
        self._timer.start(CHECK_DELAY_MS if delay_ms is None else delay_ms)

    def check_now(self):
        """Build and check now (on the worker); returns the task."""
        self._timer.stop()
        if self._signature is None:
            return None
        return self._worker.submit(prepare_inputs, self._signature, self.sources(), self.batch_size(),
                                   {k: set(v) for k, v in self.offers.items()}, self.target,
                                   caller="form-check", name="checking the inputs",
                                   on_done=self._on_check_done, on_failed=self._on_check_failed)

    def is_checking(self) -> bool:
        return self._timer.isActive() or self._worker.busy("form-check")

    def show_problems(self, problems: list[Problem], notes: list[str] | None = None) -> None:
        """Mark problems on their fields (and the rest above the form)."""
        self._problems = list(problems)
        notes = notes or []
        for key, row in self.rows.items():
            mine = [p for p in problems if p.input == key]
            row.show_problems(mine, [n for n in notes if n.startswith(f"{key}:")])
        rest = [p for p in problems if p.input not in self.rows]
        if rest:
            self.general.setText("<br>".join(
                f"<span style='color:{_ERROR_STYLE if p.severity == 'error' else _WARNING_STYLE}'>"
                f"{'✖' if p.severity == 'error' else '⚠'} {_html(p.message)}</span>"
                + (f" <i>{_html(p.fix)}</i>" if p.fix else "") for p in rest))
        self.general.setVisible(bool(rest))
        from explorer.core.reexport import FIXABLE

        self._general_fixable = next((p for p in rest if p.kind in FIXABLE), None)
        self.general_reexport.setVisible(self._general_fixable is not None)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        if errors:
            self.status.setText(f"<span style='color:{_ERROR_STYLE}'>{errors} problem{'s' * (errors != 1)} to fix "
                                f"before running</span>" + (f" · {warnings} warning{'s' * (warnings != 1)}"
                                                            if warnings else ""))
        elif warnings:
            self.status.setText(f"<span style='color:{_WARNING_STYLE}'>Ready, with {warnings} "
                                f"warning{'s' * (warnings != 1)}</span>")
        else:
            self.status.setText("<span style='color:#2E7D32'>✔ Inputs match the signature</span>")
        self.problems_changed.emit(list(problems))

    def show_run_problem(self, problem: Problem) -> None:
        """Mark a problem the run found with one input (the model refused it) on its row; the status no longer says
        the inputs match. The next check (the user edits) replaces both."""
        row = self.rows[problem.input]
        notes = [n for n in (self.prepared.notes if self.prepared else []) if n.startswith(f"{problem.input}:")]
        row.show_problems([problem] + [p for p in row.problems if p.kind != "run"], notes)
        self.status.setText(f"<span style='color:{_ERROR_STYLE}'>✖ The model refused {_html(problem.input)} at run "
                            f"time: see it marked</span>")

    # -- internals --------------------------------------------------------------------------------------------
    def _has_batch(self) -> bool:
        return self._signature is not None and any(has_batch(s) for s in self._signature.inputs.values())

    def _remember(self) -> None:
        if self._signature is not None and self.rows:
            key = (self._model_key, self._signature.key)
            self._memory.pop(key, None)  # to the end: the newest is the one another version carries over from
            self._memory[key] = {
                "sources": self.sources(), "batch": self.batch_box.value(),
                "offers": {k: set(v) for k, v in self.offers.items()},
                "family": self._family, "label": self._label, "specs": dict(self._signature.inputs)}

    def remembered(self, model_key: str, signature_key: str) -> dict[str, Source] | None:
        """Sources kept for a model + signature (the current one included)."""
        if self._signature is not None and (model_key, signature_key) == (self._model_key, self._signature.key):
            return self.sources()
        memory = self._memory.get((model_key, signature_key))
        return dict(memory["sources"]) if memory else None

    def remember(self, model_key: str, signature_key: str, sources: dict[str, Source], batch: int = 1) -> None:
        """Keep Sources for a signature not shown now; they appear when it is selected."""
        self._memory[(model_key, signature_key)] = {"sources": dict(sources), "batch": batch, "offers": {}}

    def _on_row_changed(self) -> None:
        self.sources_changed.emit(self.sources())
        self.schedule_check()

    def _on_general_reexport_clicked(self) -> None:
        if self._general_fixable is not None:
            self.reexport_requested.emit(self._general_fixable)

    def _on_row_offer_accepted(self, key: str, offer: str) -> None:
        self.offers.setdefault(key, set()).add(offer)
        self.schedule_check(0)

    def _on_batch_box_changed(self, batch: int) -> None:
        for row in self.rows.values():
            row.set_batch(batch)
        self.sources_changed.emit(self.sources())
        self.schedule_check()

    def _on_timer_timeout(self) -> None:
        self.check_now()

    def _on_check_done(self, task, prepared: Prepared) -> None:
        self.show_prepared(prepared)

    def show_prepared(self, prepared: Prepared) -> None:
        """Show what building the inputs found: problems, notes and image previews (also after a run)."""
        self.prepared = prepared
        self.show_problems(prepared.problems, prepared.notes)
        for key, row in self.rows.items():
            row.show_preview(prepared.inputs.get(key))
        self.checked.emit(prepared)

    def _on_check_failed(self, task, error: ExplorerError) -> None:
        self.prepared = None
        self.show_problems([Problem("build", getattr(error, "key", None), str(error), error.fix)])


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.tensor_form MODEL [SIGNATURE]`: the form of one signature, for a quick look."""
    looked = quick_look_model(argv, "python -m explorer.ui.widgets.tensor_form MODEL [SIGNATURE]")
    if looked is None:
        return 2
    app, info = looked
    key = argv[2] if len(argv) > 2 else info.default_signature
    if key not in info.user_signatures:
        print(f"error: no signature {key!r}; have {', '.join(info.user_signatures)}", file=sys.stderr)
        return 2
    form = TensorForm(info.user_signatures[key])
    form.sources_changed.connect(lambda s: print({k: v.describe() for k, v in s.items()}))
    form.resize(640, 480)
    form.setWindowTitle(f"{key} — {info.path}")
    form.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
