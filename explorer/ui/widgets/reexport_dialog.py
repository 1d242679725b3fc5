"""ReexportDialog: Signature ▸ Edit and Re-export… -- edit a signature's keys, dims, dtypes and scaling, write the
model again, and see the proof that it answers as before.

The dialog only edits: the plan is checked by core.reexport as you type (the same checks as the CLI), the work runs
on the window's worker (TensorFlow never on the GUI thread), and the result -- where it was written, the changes,
"equal on N inputs (max |Δ| …)" or DIFFERENT -- is shown here and emitted as `reexported(result)`.
"""
from __future__ import annotations

import sys

from PySide6 import QtCore, QtWidgets

from explorer.core import dtypes
from explorer.core.errors import ExplorerError
from explorer.core.reexport import (DEFAULT_KEY, Plan, ReexportResult, TensorEdit, edit_lines, parse_factor,
                                    planned_signatures, source_of, suggested_destination)
from explorer.core.savedmodel import ModelInfo

from ..workers import Task, Worker, in_engine

# The dtypes a signature input is usually cast to: what clients send.
DTYPE_CHOICES = ("float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool", "string")
KEY, NEW_KEY, DTYPE, SHAPE, SCALE, SHIFT = range(6)
FUNCTION_PREFIX = "function: "


class ReexportDialog(QtWidgets.QDialog):
    """Edit one signature (or make one from a saved function) and re-export the model with it, proven equal."""

    reexported = QtCore.Signal(object)  # ReexportResult
    code_requested = QtCore.Signal(object, object, str)  # ModelInfo, Plan, destination

    def __init__(self, info: ModelInfo, signature: str = "", worker: Worker | None = None,
                 parent: QtWidgets.QWidget | None = None, inputs_provider=None, allow_unsafe_ops=False):
        super().__init__(parent)
        self.setWindowTitle("Edit and Re-export")
        self.info = info
        self.worker = worker or Worker(self)
        self.inputs_provider = inputs_provider  # () -> arrays of the form (the user's inputs), or None
        self.allow_unsafe_ops = allow_unsafe_ops
        self.consent = None  # the window's ConsentGate (ui/consent.py): asks before a model with dangerous ops loads
        self.result: ReexportResult | None = None
        self.task: Task | None = None
        self._filling = False

        self.source_box = QtWidgets.QComboBox()
        for key in info.user_signatures:
            self.source_box.addItem(key, ("signature", key))
        for f in info.functions:
            if f.servable and not f.internal:
                self.source_box.addItem(FUNCTION_PREFIX + f.name, ("function", f.name))
        self.key_edit = QtWidgets.QLineEdit()
        self.key_edit.setPlaceholderText("same key")
        self.key_edit.setToolTip("The signature's key in the new model")
        self.free_batch = QtWidgets.QCheckBox("Free the batch dimension (first dim of every input becomes -1)")
        self.default_box = QtWidgets.QCheckBox(f"Make it {DEFAULT_KEY}")
        self.default_box.setToolTip("The signature TF Serving runs when a request names none")

        self.inputs_table = self._table(("Input", "New key", "DType clients send", "Shape", "Scale inside",
                                         "Shift inside"))
        self.outputs_table = self._table(("Output", "New key", "DType", "Shape", "Scale", "Shift"))
        self.keep_list = QtWidgets.QListWidget()
        self.keep_list.setToolTip("Signatures written as they are; untick to leave one out")
        self.keep_list.setMaximumHeight(84)

        self.destination_edit = QtWidgets.QLineEdit(suggested_destination(info))
        self.destination_edit.setToolTip("A new folder, or a TF Serving base path (the model becomes its next version)")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        dest_row = QtWidgets.QHBoxLayout()
        dest_row.addWidget(self.destination_edit, 1)
        dest_row.addWidget(browse)

        self.preview = QtWidgets.QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()

        form = QtWidgets.QFormLayout()
        form.addRow("Re-export", self.source_box)
        form.addRow("Key in the new model", self.key_edit)
        form.addRow("", self.default_box)
        form.addRow("", self.free_batch)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QtWidgets.QLabel("<b>Inputs</b> — what clients send; cast and scale happen inside the graph"))
        layout.addWidget(self.inputs_table)
        layout.addWidget(QtWidgets.QLabel("<b>Outputs</b>"))
        layout.addWidget(self.outputs_table)
        self.keep_label = QtWidgets.QLabel("<b>Other signatures</b> — written as they are; untick to leave one out")
        layout.addWidget(self.keep_label)
        layout.addWidget(self.keep_list)
        dest_form = QtWidgets.QFormLayout()
        dest_form.addRow("Write to", dest_row)
        layout.addLayout(dest_form)
        layout.addWidget(self.preview)
        layout.addWidget(self.progress)
        self.buttons = QtWidgets.QDialogButtonBox()
        self.run_button = self.buttons.addButton("Re-export and Prove", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.code_button = self.buttons.addButton("Show Code", QtWidgets.QDialogButtonBox.ButtonRole.HelpRole)
        self.code_button.setToolTip("The TensorFlow code of this re-export, for your own export script")
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.run_button.clicked.connect(self.start)
        self.code_button.clicked.connect(self._on_code_clicked)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

        self.source_box.currentIndexChanged.connect(self._on_source_changed)
        for signal in (self.key_edit.textChanged, self.free_batch.toggled, self.default_box.toggled,
                       self.destination_edit.textChanged, self.keep_list.itemChanged):
            signal.connect(self._refresh)
        index = self.source_box.findData(("signature", signature)) if signature else 0
        self.source_box.setCurrentIndex(max(index, 0))
        self._on_source_changed()
        self.resize(820, 640)

    # --- building ---------------------------------------------------------------------------------------------

    def _table(self, headers) -> QtWidgets.QTableWidget:
        table = QtWidgets.QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.AllEditTriggers)
        table.itemChanged.connect(self._refresh)
        return table

    def _fill(self, table: QtWidgets.QTableWidget, specs: dict, inputs: bool) -> None:
        table.setRowCount(len(specs))
        for row, (key, spec) in enumerate(specs.items()):
            fixed = QtWidgets.QTableWidgetItem(key)
            fixed.setFlags(fixed.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
            fixed.setToolTip(f"{key}: {spec.dt.short} {spec.shape_text()} in the model now")
            table.setItem(row, KEY, fixed)
            table.setItem(row, NEW_KEY, QtWidgets.QTableWidgetItem(key))
            box = QtWidgets.QComboBox()
            choices = list(DTYPE_CHOICES)
            if spec.dt.short not in choices:
                choices.insert(0, spec.dt.short)
            box.addItems(choices)
            box.setCurrentText(spec.dt.short)
            box.currentIndexChanged.connect(self._refresh)
            table.setCellWidget(row, DTYPE, box)
            shape = QtWidgets.QTableWidgetItem(_dims(spec.shape))
            if not inputs:
                shape.setFlags(shape.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
                shape.setToolTip("Follows from the inputs")
            else:
                shape.setToolTip("Dims separated by commas; -1 frees one")
            table.setItem(row, SHAPE, shape)
            table.setItem(row, SCALE, QtWidgets.QTableWidgetItem(""))
            table.setItem(row, SHIFT, QtWidgets.QTableWidgetItem(""))
            table.item(row, SCALE).setToolTip("A factor, or 1/N to divide: 1/255 takes 0..255 bytes to 0..1 inside")
        table.resizeColumnsToContents()
        table.setColumnWidth(NEW_KEY, max(table.columnWidth(NEW_KEY), 140))
        table.setFixedHeight(min(220, table.horizontalHeader().height() + 8 + sum(
            table.rowHeight(r) for r in range(table.rowCount()))))

    def _on_source_changed(self, *_):
        kind, name = self.source_box.currentData() or ("signature", "")
        self._filling = True
        try:
            source = source_of(self.info, name if kind == "signature" else "", name if kind == "function" else "")
        except ExplorerError as exc:
            self._say(str(exc), error=True)
            self._filling = False
            return
        self._source = source
        for table in (self.inputs_table, self.outputs_table):
            table.blockSignals(True)
        self._fill(self.inputs_table, source.signature.inputs, True)
        self._fill(self.outputs_table, source.signature.outputs, False)
        for table in (self.inputs_table, self.outputs_table):
            table.blockSignals(False)
        self.keep_list.blockSignals(True)
        self.keep_list.clear()
        for key in self.info.user_signatures:
            if kind == "signature" and key == name:
                continue
            item = QtWidgets.QListWidgetItem(key)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked)
            self.keep_list.addItem(item)
        self.keep_list.blockSignals(False)
        self.keep_list.setVisible(self.keep_list.count() > 0)
        self.keep_label.setVisible(self.keep_list.count() > 0)
        self._filling = False
        self._refresh()

    # --- the plan ---------------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """The dialog's edits as a Plan; ExplorerError naming the cell that is wrong."""
        kind, name = self.source_box.currentData()
        source = self._source
        inputs = self._edits(self.inputs_table, source.signature.inputs, True)
        outputs = self._edits(self.outputs_table, source.signature.outputs, False)
        drop = tuple(self.keep_list.item(i).text() for i in range(self.keep_list.count())
                     if self.keep_list.item(i).checkState() != QtCore.Qt.CheckState.Checked)
        key = self.key_edit.text().strip()
        plan = Plan(signature=name if kind == "signature" else "", function=name if kind == "function" else "",
                    key=key, inputs=inputs, outputs=outputs, free_batch=self.free_batch.isChecked(), drop=drop)
        if self.default_box.isChecked():
            from explorer.core.reexport import edited_key

            new_key = edited_key(self.info, plan)
            if new_key != DEFAULT_KEY:
                plan = Plan(**{**plan.__dict__, "default": new_key})
        return plan

    def _edits(self, table, specs: dict, inputs: bool) -> dict[str, TensorEdit]:
        edits = {}
        for row, (key, spec) in enumerate(specs.items()):
            new_key = table.item(row, NEW_KEY).text().strip()
            dtype = table.cellWidget(row, DTYPE).currentText()
            edit = {}
            if new_key and new_key != key:
                edit["key"] = new_key
            if dtype != spec.dt.short:
                edit["dtype"] = dtypes.lookup(dtype).name
            if inputs:
                text = table.item(row, SHAPE).text().strip()
                if text != _dims(spec.shape):
                    try:
                        edit["shape"] = tuple(-1 if d.strip() in ("-1", "?", "None", "") else int(d)
                                              for d in text.strip("()[] ").split(","))
                    except ValueError:
                        raise ExplorerError(f"{key}: the shape {text!r} is not a list of dims.",
                                            fix="Write e.g. -1, 28, 28, 1 (-1 frees a dimension).") from None
            scale = table.item(row, SCALE).text().strip()
            if scale:
                edit["scale"], edit["divisor"] = parse_factor(scale, key)
            shift = table.item(row, SHIFT).text().strip()
            if shift:
                try:
                    edit["shift"] = float(shift)
                except ValueError:
                    raise ExplorerError(f"{key}: the shift {shift!r} is not a number.") from None
            if edit:
                edits[key] = TensorEdit(**edit)
        return edits

    def set_plan(self, plan: Plan) -> None:
        """Show a plan's edits in the dialog (e.g. from a problem's "Fix in a re-export")."""
        want = ("function", plan.function) if plan.function else ("signature", plan.signature)
        index = self.source_box.findData(want)
        if index >= 0:
            self.source_box.setCurrentIndex(index)
            self._on_source_changed()
        self.key_edit.setText(plan.key)
        self.free_batch.setChecked(plan.free_batch)
        for table, edits, specs in ((self.inputs_table, plan.inputs, self._source.signature.inputs),
                                    (self.outputs_table, plan.outputs, self._source.signature.outputs)):
            for row, key in enumerate(specs):
                edit = edits.get(key)
                if edit is None:
                    continue
                if edit.key:
                    table.item(row, NEW_KEY).setText(edit.key)
                if edit.dtype:
                    table.cellWidget(row, DTYPE).setCurrentText(dtypes.lookup(edit.dtype).short)
                if edit.shape is not None and table is self.inputs_table:
                    table.item(row, SHAPE).setText(_dims(edit.shape))
                if edit.divisor is not None:
                    table.item(row, SCALE).setText(f"1/{edit.divisor:g}")
                elif edit.scale is not None:
                    table.item(row, SCALE).setText(f"{edit.scale:g}")
                if edit.shift is not None:
                    table.item(row, SHIFT).setText(f"{edit.shift:g}")
        self._refresh()

    def _refresh(self, *_):
        if self._filling:
            return
        try:
            plan = self.plan()
            planned = planned_signatures(self.info, plan)
        except ExplorerError as exc:
            self._say(str(exc) + (f" {exc.fix}" if exc.fix else ""), error=True)
            self.run_button.setEnabled(False)
            return
        lines = edit_lines(self.info, plan)
        from explorer.core.reexport import edited_key

        key = edited_key(self.info, plan)
        what = "no change yet: edit a cell, or tick a box" if not lines and key == self._source.key and \
            not plan.drop and not plan.default else f"{key}: " + ("; ".join(lines) or "as it is")
        dropped = f" · dropped: {', '.join(plan.drop)}" if plan.drop else ""
        self._say(f"The new model will have {', '.join(planned)}. {what}{dropped}", error=False)
        self.run_button.setEnabled(self.task is None or self.task.finished)

    def _say(self, text: str, error: bool) -> None:
        colour = "#c62828" if error else "palette(text)"
        self.preview.setStyleSheet(f"color: {colour};")
        self.preview.setText(text)

    # --- running ----------------------------------------------------------------------------------------------

    def start(self) -> Task | None:
        """Re-export on the worker with the dialog's plan; the proof is shown here when it is done."""
        try:
            plan = self.plan()
            planned_signatures(self.info, plan)
        except ExplorerError as exc:
            self._say(str(exc), error=True)
            return None
        inputs = None
        if self.inputs_provider is not None and plan.signature:
            try:
                inputs = self.inputs_provider(plan.signature)
            except ExplorerError:
                inputs = None  # the form's inputs do not build: the seeded probes still prove it
        self.run_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self._say("Re-exporting: loading the model with TensorFlow…", error=False)
        self.task = self.worker.submit(
            in_engine("explorer.core.reexport:reexport", f"re-exporting {self.info.path}"), self.info.path, self.destination_edit.text().strip(), plan, version=self.info.version,
            tag_set=self.info.tag_set, inputs=inputs, allow_unsafe_ops=self.allow_unsafe_ops, caller="reexport",
            name="re-exporting the model", on_done=self._on_done, on_failed=self._on_failed,
            on_progress=self._on_progress)
        return self.task

    def _on_progress(self, task: Task, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 100))
        self._say(f"Re-exporting: {text}…", error=False)

    def _on_done(self, task: Task, result: ReexportResult) -> None:
        self.result = result
        self.progress.hide()
        self.run_button.setEnabled(True)
        where = result.destination + (f" (version {result.version})" if result.version else "")
        proof = result.proof.text() if result.proof else "not proven"
        changes = "".join(f"<br>&nbsp;&nbsp;{_html(c)}" for c in result.changes)
        if result.equal:
            verdict = "<b style='color:#2e7d32'>Proven equal</b>"
        elif result.proof is not None and result.proof.error:  # nothing compared: not a difference
            verdict = "<b style='color:#9a6700'>Written, not proven</b>"
        else:
            verdict = "<b style='color:#c62828'>The new model does not answer as the old one</b>"
        self.preview.setStyleSheet("")
        self.preview.setText(f"{verdict}: {_html(proof)}<br>Written to {_html(where)}{changes}"
                             + "".join(f"<br><i>{_html(n)}</i>" for n in result.notes))
        self.reexported.emit(result)

    def _on_failed(self, task: Task, error: ExplorerError) -> None:
        self.progress.hide()
        self.run_button.setEnabled(True)
        from ..consent import unsafe_report

        report = unsafe_report(error)
        if report is not None and self.consent is not None:
            self._say(str(error), error=True)
            self.consent.ask(report, self, on_granted=self.start, action="re-export it (loading runs its code)")
            return
        self._say(str(error) + (f" Fix: {error.fix}" if error.fix else ""), error=True)

    def _on_browse_clicked(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Write the re-exported model into (a new folder or "
                                                                  "a TF Serving base path)",
                                                            self.destination_edit.text())
        if folder:
            self.destination_edit.setText(folder)

    def _on_code_clicked(self) -> None:
        try:
            plan = self.plan()
            planned_signatures(self.info, plan)
        except ExplorerError as exc:
            self._say(str(exc), error=True)
            return
        self.code_requested.emit(self.info, plan, self.destination_edit.text().strip())


def _dims(shape) -> str:
    return "?" if shape is None else ", ".join(str(d) for d in shape)


def _html(text: str) -> str:
    import html

    return html.escape(str(text))


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.reexport_dialog MODEL`: the dialog on one model, for a quick look."""
    from explorer.core.savedmodel import read_model

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    dialog = ReexportDialog(read_model(argv[1]))
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
