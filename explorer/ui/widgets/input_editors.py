"""Per-input editors, each turning what the user types or picks into a sources.Source (kept verbatim).

FieldsEditor (a scalar or a short fixed vector), GridEditor (1-D/2-D values, a row per batch row), JsonEditor
(any shape as nested lists), FillEditor (zeros, ranges, random, ...), FileEditor (.npy/.npz/CSV/images),
TextLinesEditor (string inputs) and ExamplesEditor (a feature table for tf.Example inputs). editor_modes() says
which suit a TensorSpec; make_editor() builds one. Editors never read big files or build arrays: the form does
that on a worker.
"""
from __future__ import annotations

import json
import os
import zipfile

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.defaults import is_example_input
from explorer.core.input_images import IMAGE_SUFFIXES
from explorer.core.signature import TensorSpec
from explorer.core.sources import FILLS, Source
from explorer.core.tensors import random_range

MAX_FIELDS = 8  # up to this many values of a fixed vector get a field each
MAX_GRID_COLUMNS = 64  # wider rows are edited as JSON or filled
MAX_GRID_ROWS = 1024

MODE_LABELS = {
    "fields": "Values", "grid": "Grid", "json": "JSON", "fill": "Fill", "file": "File",
    "text": "Text lines", "examples": "tf.Example",
}
_FILL_PARAMS = {  # which parameters each fill reads, with their defaults (tensors._fill_values)
    "zeros": (), "ones": (), "constant": (("value", "0"),), "range": (("start", "0"), ("step", "1")),
    "linspace": (("start", "0"), ("stop", "1")), "uniform": (("low", "0"), ("high", "1"), ("seed", "0")),
    "normal": (("mean", "0"), ("std", "1"), ("seed", "0")),
}
_FILL_HELP = {
    "zeros": "all 0", "ones": "all 1", "constant": "every value the same", "range": "start, start+step, ...",
    "linspace": "evenly from start to stop", "uniform": "random in [low, high), reproducible by seed",
    "normal": "random Gaussian, reproducible by seed",
}


def has_batch(spec: TensorSpec) -> bool:
    """Whether the spec's first dimension is a free batch dimension (-1), or the rank is unknown."""
    return spec.shape is None or not spec.has_shape or (bool(spec.shape) and spec.shape[0] == -1)


def _inner(spec: TensorSpec) -> tuple[int, ...] | None:
    if spec.shape is None:
        return None
    return spec.shape[1:] if has_batch(spec) else spec.shape


def editor_modes(spec: TensorSpec, method: str = "predict") -> list[str]:
    """Editor modes that suit a spec, the best default first."""
    try:
        dt = spec.dt
    except KeyError:
        return ["json"]
    if dt.is_string:
        modes = ["examples", "text"] if is_example_input(spec, method) else ["text", "examples"]
        return modes + ["json", "file"]
    modes: list[str] = []
    shape, inner = spec.shape, _inner(spec)
    if shape is not None and spec.has_shape:
        fixed = all(d > 0 for d in shape)
        if fixed and (len(shape) == 0 or (len(shape) == 1 and shape[0] <= MAX_FIELDS)):
            modes.append("fields")
        elif inner is not None and len(inner) <= 1 and all(d > 0 for d in inner) and (
                not inner or inner[0] <= MAX_GRID_COLUMNS):
            modes.append("grid")
        elif len(shape) == 2 and all(d > 0 for d in shape) and shape[1] <= MAX_GRID_COLUMNS:
            modes.append("grid")
    big = inner is None or len(inner) >= 2 or any(d < 0 for d in inner)
    modes += ["fill", "json", "file"] if big or not modes else ["json", "fill", "file"]
    return modes


def _cell_value(text: str):
    """A cell's text as JSON would read it (number, true/false), else the text itself, so nothing is lost."""
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


_UNREADABLE = object()  # not None: JSON null is a value


def _json_of(source: Source, kind: str):
    """The JSON value a Source of this kind holds; _UNREADABLE for another kind, or text that is not JSON."""
    if source.kind != kind:
        return _UNREADABLE
    try:
        return json.loads(source.text)
    except ValueError:
        return _UNREADABLE


def _cell_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


class InputEditor(QtWidgets.QWidget):
    """Base of the editors: changed() when the Source would differ; source() / set_source()."""

    changed = QtCore.Signal()
    mode = ""

    def __init__(self, spec: TensorSpec, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.spec = spec

    def source(self) -> Source:
        raise NotImplementedError

    def set_source(self, source: Source) -> bool:
        """Show a Source; False when this editor cannot show it (the form then picks another mode)."""
        raise NotImplementedError

    def set_batch(self, batch: int) -> None:
        """Follow the form's batch size (editors with a row per batch row add or drop rows)."""

    def accepts(self, source: Source) -> bool:
        return False


class FieldsEditor(InputEditor):
    """A field per value: for a scalar or a short vector of fixed length."""

    mode = "fields"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        count = 1 if not spec.shape else spec.shape[0]
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.fields: list[QtWidgets.QLineEdit] = []
        for i in range(count):
            field = QtWidgets.QLineEdit("0")
            field.setPlaceholderText(f"[{i}]" if spec.shape else "value")
            field.setMaximumWidth(110)
            field.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            field.textEdited.connect(self.changed)
            layout.addWidget(field)
            self.fields.append(field)
        layout.addStretch(1)

    def source(self) -> Source:
        values = [_cell_value(f.text()) for f in self.fields]
        return Source("literal", text=json.dumps(values if self.spec.shape else values[0]))

    def accepts(self, source: Source) -> bool:
        value = _json_of(source, "literal")
        if value is _UNREADABLE:
            return False
        if not self.spec.shape:
            return not isinstance(value, list)
        return isinstance(value, list) and len(value) == len(self.fields) and not any(
            isinstance(v, list) for v in value)

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        value = json.loads(source.text)
        for field, v in zip(self.fields, value if isinstance(value, list) else [value]):
            field.setText(_cell_text(v))
        return True


class GridEditor(InputEditor):
    """A table of values: a row per batch row (or per first dimension), a column per value of a row."""

    mode = "grid"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        shape = spec.shape or ()
        self._batch = has_batch(spec)
        # Rank 1 is a column of values; rank 2 has a column per value of a row, batched or fixed ((32, 5): 5).
        self._columns = shape[1] if len(shape) == 2 else 1
        self._vector = len(shape) == 1  # (-1,) or (N,): rows are the values, one column
        self.table = QtWidgets.QTableWidget(1 if self._batch else shape[0], self._columns)
        self.table.setHorizontalHeaderLabels([str(i) for i in range(self._columns)] if self._columns > 1
                                             else ["value"])
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setDefaultSectionSize(80 if self._columns <= 4 else 64)
        # As wide as its columns (up to the row's width): a one-column grid is not stretched across the form.
        self.table.setSizeAdjustPolicy(QtWidgets.QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Fixed)
        self.table.setAlternatingRowColors(True)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self._fill_empty()
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addStretch(1)
        self._fit_height()

    def _fill_empty(self) -> None:
        self.table.blockSignals(True)
        for r in range(self.table.rowCount()):
            self.table.setVerticalHeaderItem(r, QtWidgets.QTableWidgetItem(f"row {r}" if self._batch else str(r)))
            for c in range(self.table.columnCount()):
                if self.table.item(r, c) is None:
                    item = QtWidgets.QTableWidgetItem("0")
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(r, c, item)
        self.table.blockSignals(False)

    def _fit_height(self) -> None:
        rows = min(self.table.rowCount(), 8)
        height = self.table.horizontalHeader().sizeHint().height() + rows * 22 + 2 * self.table.frameWidth()
        # Reserve the horizontal scroll bar whenever the columns may not fit: it otherwise covers the only row.
        if self.table.columnCount() * self.table.horizontalHeader().defaultSectionSize() > 360:
            height += self.table.horizontalScrollBar().sizeHint().height()
        self.table.setFixedHeight(height)

    def set_batch(self, batch: int) -> None:
        if not self._batch or batch == self.table.rowCount():
            return
        self.table.setRowCount(max(1, min(batch, MAX_GRID_ROWS)))  # typed rows above the cut are kept
        self._fill_empty()
        self._fit_height()
        self.changed.emit()

    def cell(self, row: int, column: int = 0) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type into one cell (as a user would)."""
        self.table.item(row, column).setText(text)

    def values(self) -> list:
        rows = [[_cell_value(self.cell(r, c)) for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]
        return [row[0] for row in rows] if self._vector else rows

    def source(self) -> Source:
        return Source("literal", text=json.dumps(self.values()))

    def accepts(self, source: Source) -> bool:
        value = _json_of(source, "literal")
        if value is _UNREADABLE:
            return False
        if not isinstance(value, list) or not value:
            return False
        if self._vector:
            return not any(isinstance(v, list) for v in value)
        return all(isinstance(r, list) and len(r) == self._columns and not any(isinstance(v, list) for v in r)
                   for r in value)

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        value = json.loads(source.text)
        rows = [[v] for v in value] if self._vector else value
        if not self._batch and len(rows) != self.table.rowCount():
            return False
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                item = self.table.item(r, c)
                if item is None:  # setItem() of an item the table already holds warns "already owned"
                    item = QtWidgets.QTableWidgetItem()
                    self.table.setItem(r, c, item)
                item.setText(_cell_text(v))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.table.blockSignals(False)
        self._fill_empty()
        self._fit_height()
        return True

    def rows(self) -> int:
        return self.table.rowCount()

    def _on_table_item_changed(self, item) -> None:
        self.changed.emit()


class JsonEditor(InputEditor):
    """Nested lists as JSON, for any shape (text for string inputs in quotes, {"b64": ...} for bytes)."""

    mode = "json"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = QtWidgets.QPlainTextEdit()
        self.edit.setPlaceholderText("e.g. [[1.0], [2.0], [5.0]]" if not spec.dt.is_string else '["cat", "dog"]')
        self.edit.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.edit.setFixedHeight(70)
        self.edit.setTabChangesFocus(True)
        self.edit.textChanged.connect(self.changed)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def source(self) -> Source:
        return Source("literal", text=self.edit.toPlainText())

    def accepts(self, source: Source) -> bool:
        return source.kind == "literal"

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        if self.edit.toPlainText() != source.text:
            self.edit.setPlainText(source.text)
        return True


class FillEditor(InputEditor):
    """A fill (zeros, ones, constant, range, linspace, uniform, normal) with its parameters, and the lengths of
    any variable inner dimensions ([None, None, 100] needs a length for dimension 1)."""

    mode = "fill"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        self.kind_box = QtWidgets.QComboBox()
        fills = FILLS if not spec.dt.is_string else ("zeros", "constant")
        for name in fills:
            self.kind_box.addItem(name, name)
            self.kind_box.setItemData(self.kind_box.count() - 1, _FILL_HELP[name], QtCore.Qt.ItemDataRole.ToolTipRole)
        self.kind_box.setToolTip("How to fill the array: hover an entry to see what it gives")
        self.kind_box.currentIndexChanged.connect(self._on_kind_box_changed)
        self.params: dict[str, QtWidgets.QLineEdit] = {}
        self._labels: dict[str, QtWidgets.QLabel] = {}
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.kind_box)
        for name in ("value", "start", "step", "stop", "low", "high", "mean", "std", "seed"):
            label = QtWidgets.QLabel(name)
            field = QtWidgets.QLineEdit()
            field.setMaximumWidth(70)
            label.setBuddy(field)  # the visible name explains the field (and screen readers announce it)
            field.textEdited.connect(self.changed)
            row.addWidget(label)
            row.addWidget(field)
            self.params[name], self._labels[name] = field, label
        # inner dimensions the signature leaves free (-1 after the batch axis)
        self.dims: dict[int, QtWidgets.QSpinBox] = {}
        if spec.shape:
            for i, d in enumerate(spec.shape):
                if d == -1 and i > 0:
                    box = QtWidgets.QSpinBox()
                    box.setRange(0, 1 << 20)
                    box.setValue(1)
                    box.setPrefix(f"dim {i} = ")
                    box.setToolTip(f"Length of dimension {i}, which the signature leaves free (-1)")
                    box.valueChanged.connect(self.changed)
                    row.addWidget(box)
                    self.dims[i] = box
        row.addStretch(1)
        self.setLayout(row)
        default = "uniform" if spec.dt.is_float else "zeros"
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(default)))
        self._on_kind_box_changed()

    def _on_kind_box_changed(self, *_):
        name = self.kind_box.currentData()
        wanted = dict(_FILL_PARAMS.get(name, ()))
        if name == "uniform":  # core's range for this input (pixels 0..255, ids 0..9), as --input x=fill:random
            low, high, _ = random_range(self.spec)
            wanted["low"], wanted["high"] = f"{low:g}", f"{high:g}"
        for pname, field in self.params.items():
            visible = pname in wanted
            field.setVisible(visible)
            self._labels[pname].setVisible(visible)
            if visible and not field.text():
                field.setText(wanted[pname])
        self.changed.emit()

    def source(self) -> Source:
        name = self.kind_box.currentData()
        params: dict = {}
        for pname, _default in _FILL_PARAMS.get(name, ()):
            params[pname] = _cell_value(self.params[pname].text())
        if self.dims:
            params["dims"] = {str(i): box.value() for i, box in self.dims.items()}
        return Source("fill", fill=name, params=params)

    def accepts(self, source: Source) -> bool:
        return source.kind == "fill" and self.kind_box.findData(source.fill) >= 0

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        self.kind_box.blockSignals(True)
        self.kind_box.setCurrentIndex(self.kind_box.findData(source.fill))
        self.kind_box.blockSignals(False)
        for pname, value in source.params.items():
            if pname in self.params:
                self.params[pname].setText(_cell_text(value))
        for i, n in (source.params.get("dims") or {}).items():
            if int(i) in self.dims:
                self.dims[int(i)].blockSignals(True)
                self.dims[int(i)].setValue(int(n))
                self.dims[int(i)].blockSignals(False)
        self._on_kind_box_changed()
        return True


class FileEditor(InputEditor):
    """A file: .npy, .npz (with the array's name), CSV/TSV/text tables, JSON, or an image (with 0..1 scaling)."""

    mode = "file"
    FILTER = "Arrays and images (*.npy *.npz *.csv *.tsv *.txt *.json *.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif " \
             "*.tiff);;All files (*)"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        self.path = QtWidgets.QLineEdit()
        self.path.setPlaceholderText("path to .npy, .npz, .csv, .json or an image")
        self.path.textEdited.connect(self._on_path_edited)
        completer = QtWidgets.QCompleter(self)
        model = QtWidgets.QFileSystemModel(completer)
        model.setRootPath("")
        completer.setModel(model)
        self.path.setCompleter(completer)
        self.browse = QtWidgets.QToolButton()
        self.browse.setText("Browse…")
        self.browse.clicked.connect(self._on_browse_clicked)
        self.npz_key = QtWidgets.QComboBox()
        self.npz_key.setEditable(True)
        self.npz_key.setToolTip("The array inside the .npz (empty: the one named like the input, or the only one)")
        self.npz_key.setMinimumWidth(110)
        self.npz_key.lineEdit().setPlaceholderText("array name")
        self.npz_key.currentTextChanged.connect(self._on_npz_key_changed)
        self.normalize = QtWidgets.QCheckBox("scale 0..1")
        self.normalize.setToolTip("Divide pixel values by 255")
        self.normalize.toggled.connect(self.changed)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        row.addWidget(self.npz_key)
        row.addWidget(self.normalize)
        self._update_extras()

    def _update_extras(self) -> None:
        suffix = os.path.splitext(self.path.text().strip())[1].lower()
        self.npz_key.setVisible(suffix == ".npz")
        self.normalize.setVisible(suffix in IMAGE_SUFFIXES and self.spec.dt.is_float)

    def _list_npz(self) -> None:
        # Only the zip directory is read (a few KB at the end of the file), never the arrays.
        path = os.path.expanduser(self.path.text().strip())
        names: list[str] = []
        try:
            with zipfile.ZipFile(path) as z:
                names = [n[:-4] if n.endswith(".npy") else n for n in z.namelist()]
        except (OSError, zipfile.BadZipFile, ValueError):
            pass  # the form's check says what is wrong with the file
        current = self.npz_key.currentText()
        self.npz_key.blockSignals(True)
        self.npz_key.clear()
        self.npz_key.addItems(names)
        self.npz_key.setEditText(current)
        self.npz_key.blockSignals(False)

    def _on_path_edited(self, *_):
        self._update_extras()
        if self.npz_key.isVisibleTo(self):
            self._list_npz()
        self.changed.emit()

    def _on_npz_key_changed(self, *_):
        self.changed.emit()

    def _on_browse_clicked(self) -> None:
        start = os.path.dirname(self.path.text()) or os.getcwd()
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, f"Values for {self.spec.key}", start, self.FILTER)
        if path:
            self.set_path(path)

    def set_path(self, path: str, npz_key: str = "") -> None:
        """Choose a file (as Browse… does)."""
        self.path.setText(path)
        self._update_extras()
        if self.npz_key.isVisibleTo(self) or path.lower().endswith(".npz"):
            self._list_npz()
        self.npz_key.setEditText(npz_key)
        self.changed.emit()

    def source(self) -> Source:
        path = self.path.text().strip()
        params = {"normalize": True} if self.normalize.isChecked() and self.normalize.isVisibleTo(self) else {}
        key = self.npz_key.currentText().strip() if path.lower().endswith(".npz") else ""
        return Source("file", path=path, key=key, params=params)

    def accepts(self, source: Source) -> bool:
        return source.kind == "file"

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        self.normalize.blockSignals(True)
        self.normalize.setChecked(bool(source.params.get("normalize")))
        self.normalize.blockSignals(False)
        self.set_path(source.path, source.key)
        return True


class TextLinesEditor(InputEditor):
    """String values, one per line (base64 when the bytes are not text)."""

    mode = "text"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = QtWidgets.QPlainTextEdit()
        self.edit.setPlaceholderText("one value per line")
        self.edit.setFixedHeight(70)
        self.edit.setTabChangesFocus(True)
        self.edit.textChanged.connect(self.changed)
        self.b64 = QtWidgets.QCheckBox("base64")
        self.b64.setToolTip("Each line is base64 of raw bytes")
        self.b64.toggled.connect(self.changed)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.b64, 0, QtCore.Qt.AlignmentFlag.AlignTop)

    def source(self) -> Source:
        return Source("text", text=self.edit.toPlainText(), params={"b64": True} if self.b64.isChecked() else {})

    def accepts(self, source: Source) -> bool:
        return source.kind == "text"

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        self.b64.blockSignals(True)
        self.b64.setChecked(bool(source.params.get("b64")))
        self.b64.blockSignals(False)
        if self.edit.toPlainText() != source.text:
            self.edit.setPlainText(source.text)
        return True


_FEATURE_KINDS = ("auto", "float", "int", "bytes")
_KIND_LISTS = {"float": "float_list", "int": "int64_list", "bytes": "bytes_list"}


class ExamplesEditor(InputEditor):
    """tf.Example features as a table: a row per feature (name, kind), a column per example (= batch row).
    Cells take one value or several separated by commas; kind "float" makes 2 a float feature, as models
    parsing a FixedLenFeature(tf.float32) need."""

    mode = "examples"

    def __init__(self, spec: TensorSpec, parent=None):
        super().__init__(spec, parent)
        self.table = QtWidgets.QTableWidget(1, 3)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setDefaultSectionSize(80)
        self.table.setColumnWidth(0, 110)
        self.table.setColumnWidth(1, 70)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.add_button = QtWidgets.QToolButton()
        self.add_button.setText("+ feature")
        self.add_button.clicked.connect(lambda: self.add_feature())
        self.remove_button = QtWidgets.QToolButton()
        self.remove_button.setText("− feature")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._examples = 1
        self._setup_row(0, "", "float")
        self._update_headers()
        self._fit_height()

    def _setup_row(self, row: int, name: str, kind: str) -> None:
        self.table.blockSignals(True)
        item = QtWidgets.QTableWidgetItem(name)
        item.setToolTip("The feature name the model parses, e.g. x")
        self.table.setItem(row, 0, item)
        box = QtWidgets.QComboBox()
        box.addItems(_FEATURE_KINDS)
        box.setCurrentText(kind)
        box.currentIndexChanged.connect(self.changed)
        self.table.setCellWidget(row, 1, box)
        for c in range(2, self.table.columnCount()):
            if self.table.item(row, c) is None:
                self.table.setItem(row, c, QtWidgets.QTableWidgetItem(""))
        self.table.blockSignals(False)

    def _update_headers(self) -> None:
        self.table.setHorizontalHeaderLabels(["feature", "kind"] + [f"example {i}" for i in range(self._examples)])

    def _fit_height(self) -> None:
        rows = min(max(self.table.rowCount(), 2), 6)
        self.table.setFixedHeight(self.table.horizontalHeader().height() + rows * 24 + 6)

    def add_feature(self, name: str = "", kind: str = "float") -> int:
        """Add a feature row; returns its row."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._setup_row(row, name, kind)
        self._fit_height()
        self.changed.emit()
        return row

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if self.table.rowCount() > 1:
            self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)
            self._fit_height()
            self.changed.emit()

    def set_batch(self, batch: int) -> None:
        batch = max(1, batch)
        if batch == self._examples:
            return
        self._examples = batch
        self.table.setColumnCount(2 + batch)
        for r in range(self.table.rowCount()):
            for c in range(2, 2 + batch):
                if self.table.item(r, c) is None:
                    self.table.blockSignals(True)
                    self.table.setItem(r, c, QtWidgets.QTableWidgetItem(""))
                    self.table.blockSignals(False)
        self._update_headers()
        self.changed.emit()

    def set_feature(self, row: int, name: str, kind: str, values: list[str]) -> None:
        """Fill one feature row as a user would (name, kind, a cell per example)."""
        self.table.item(row, 0).setText(name)
        self.table.cellWidget(row, 1).setCurrentText(kind)
        for i, text in enumerate(values):
            self.table.item(row, 2 + i).setText(text)

    def features(self) -> list[dict]:
        examples: list[dict] = [{} for _ in range(self._examples)]
        for r in range(self.table.rowCount()):
            name_item = self.table.item(r, 0)
            name = name_item.text().strip() if name_item else ""
            kind = self.table.cellWidget(r, 1).currentText()
            for i in range(self._examples):
                item = self.table.item(r, 2 + i)
                text = item.text().strip() if item else ""
                if not name and not text:
                    continue
                examples[i][name] = self._value(text, kind)
        return examples

    @staticmethod
    def _value(text: str, kind: str):
        parts = [p.strip() for p in text.split(",")] if text else []
        if kind == "bytes":
            # An empty bytes cell is one empty string (what a default text feature shows), not an empty list: a
            # feature of shape [1] was sent with no value and refused.
            values = parts or [""]
        else:
            values = [_cell_value(p) for p in parts]
            if kind == "float":
                values = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in values]
        if kind in _KIND_LISTS:
            return {_KIND_LISTS[kind]: values}
        return values[0] if len(values) == 1 else values

    def source(self) -> Source:
        return Source("examples", text=json.dumps(self.features()))

    def accepts(self, source: Source) -> bool:
        value = _json_of(source, "examples")
        if value is _UNREADABLE:
            return False
        value = [value] if isinstance(value, dict) else value
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)

    def set_source(self, source: Source) -> bool:
        if not self.accepts(source):
            return False
        value = json.loads(source.text)
        examples = [value] if isinstance(value, dict) else value
        names: list[str] = []
        for ex in examples:
            names += [n for n in ex if n not in names]
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self._examples = max(1, len(examples))
        self.table.setColumnCount(2 + self._examples)
        self.table.blockSignals(False)
        for r, name in enumerate(names or [""]):
            kind = "auto"
            cells = []
            for ex in examples:
                v = ex.get(name, "")
                if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in _KIND_LISTS.values():
                    kind = {b: a for a, b in _KIND_LISTS.items()}[next(iter(v))]
                    v = next(iter(v.values()))
                items = v if isinstance(v, list) else ([] if v == "" else [v])
                cells.append(", ".join(i if isinstance(i, str) else _cell_text(i) for i in items))
            self.table.insertRow(r)
            self._setup_row(r, name, kind)
            self.table.blockSignals(True)
            for i, text in enumerate(cells):
                self.table.setItem(r, 2 + i, QtWidgets.QTableWidgetItem(text))
            self.table.blockSignals(False)
        self._update_headers()
        self._fit_height()
        return True

    def examples_count(self) -> int:
        return self._examples

    def _on_table_item_changed(self, item) -> None:
        self.changed.emit()


EDITORS = {cls.mode: cls for cls in (FieldsEditor, GridEditor, JsonEditor, FillEditor, FileEditor, TextLinesEditor,
                                     ExamplesEditor)}


def make_editor(mode: str, spec: TensorSpec, parent: QtWidgets.QWidget | None = None) -> InputEditor:
    """A new editor of `mode` for `spec`."""
    return EDITORS[mode](spec, parent)


def mode_for(source: Source, modes: list[str]) -> str | None:
    """The first of `modes` whose editor kind can show a Source of this kind (finer checks in accepts())."""
    kinds = {"fields": "literal", "grid": "literal", "json": "literal", "fill": "fill", "file": "file",
             "text": "text", "examples": "examples"}
    for mode in modes:
        if kinds[mode] == source.kind:
            return mode
    return None


