"""SignatureTree: signature (key, method) -> inputs / outputs -> tensor (dtype, shape, tensor name), with a filter."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QPainter, QPalette
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QHeaderView, QLineEdit, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from explorer.core.functions import Function
from explorer.core.savedmodel import ModelInfo
from explorer.core.signature import Signature, TensorSpec, default_key, display_order

NAME, TYPE, SHAPE, TENSOR = range(4)
HEADERS = ("Name", "Type", "Shape", "Tensor name")
NODE_ROLE = Qt.ItemDataRole.UserRole
BADGE_ROLE = Qt.ItemDataRole.UserRole + 1
UNSAFE_ROLE = Qt.ItemDataRole.UserRole + 2  # the scan findings a signature row reaches (list), else None
UNSAFE_COLOUR = "#B3261E"
PLACEHOLDER = "Open a SavedModel folder or TF Serving base path:\nFile ▸ Open…, a recent model, or drop a folder here."
# Method badges: the colour says at a glance which TF Serving API a signature answers.
# Past this many signatures each one shows as its summary line (the default unfolded): thirty unfolded were 200 rows.
MANY_SIGNATURES = 12
BADGE_COLOURS = {"predict": "#2f6fbf", "classify": "#2e8b57", "regress": "#b8860b"}
BADGE_OTHER = "#6e7781"


@dataclass(frozen=True)
class Node:
    """What a tree row stands for: a signature, its inputs/outputs group, or one tensor; or, under "Functions", a
    saved tf.function (`function` set, `signature` a stand-in holding its inputs and outputs) and its tensors."""

    kind: str  # "signature" | "inputs" | "outputs" | "tensor" | "functions" (the group) | "function"
    signature: Signature
    side: str = ""  # "inputs" | "outputs" for groups and tensors
    spec: TensorSpec | None = None
    function: Function | None = None  # set for a function's rows: they are not signatures a client can call

    @property
    def path(self) -> tuple[str, ...]:
        """A stable address (signature key, side, tensor key) used to keep the selection across reloads."""
        head = ("\0functions", self.function.name) if self.function else (
            ("\0functions",) if self.kind == "functions" else (self.signature.key,))
        return tuple(p for p in (*head, self.side, self.spec.key if self.spec else "") if p)


class _BadgeDelegate(QStyledItemDelegate):
    """Paints the method of a signature row as a small coloured badge."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        badge = index.data(BADGE_ROLE)
        if not badge:
            super().paint(painter, option, index)
            return
        text, colour = badge
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 14
        height = min(option.rect.height() - 4, metrics.height() + 4)
        rect = QRect(option.rect.left() + 4, option.rect.center().y() - height // 2 + 1, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        badge = index.data(BADGE_ROLE)
        if badge:
            size.setWidth(option.fontMetrics.horizontalAdvance(badge[0]) + 26)
        return size


class _Tree(QTreeWidget):
    """A QTreeWidget that says what to do when it is empty."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.placeholder = PLACEHOLDER

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.placeholder and not any(not self.topLevelItem(i).isHidden() for i in range(self.topLevelItemCount())):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)


class SignatureTree(QWidget):
    """The signatures of one model (or endpoint) as a tree; internal entries hidden unless asked for."""

    node_selected = Signal(object)  # Node, or None when the selection is cleared
    signature_selected = Signal(object)  # the Signature of the selected row, or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._signatures: dict[str, Signature] = {}
        self._functions: tuple[Function, ...] = ()
        self._default: str | None = None
        self._show_internal = False
        self._scan = None  # core.scan.ScanReport of the shown model: signatures reaching unsafe ops are marked
        self._last_signature: Signature | None = None
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter signatures, inputs, outputs, tensor names…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip("Show only signatures, inputs and outputs whose key, dtype, shape or tensor name "
                                    "contains this text (Ctrl+F)")
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self.internal_check = QCheckBox("Show internal")
        self.internal_check.setToolTip("Show TensorFlow's own entries such as __saved_model_init_op")
        self.internal_check.toggled.connect(self.set_show_internal)

        self.tree = _Tree()
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        # A name cut short keeps both ends (the prefix says the signature, the ':0' suffix which output), as Qt
        # Creator and Netron cut long identifiers; the tooltip holds it whole.
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setItemDelegateForColumn(TYPE, _BadgeDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(48)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.internal_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)

    # --- API ---------------------------------------------------------------------------------------------------

    def set_model(self, info: ModelInfo | None) -> None:
        """Show a model's signatures (its chosen tag-set); None empties the tree."""
        if info is None:
            self.set_signatures({})
        else:
            self.set_signatures(info.signatures, info.default_signature, functions=info.functions)

    def set_signatures(self, signatures: dict[str, Signature], default: str | None = None,
                       functions: tuple[Function, ...] = ()) -> None:
        """Show any signatures (a folder's, or a server's metadata), then the model's saved functions; keeps the
        selection when it still exists."""
        keep = self.current_node()
        self._functions = tuple(functions)
        self._default = default if default is not None else default_key(dict(sorted(signatures.items())))
        self._signatures = {s.key: s for s in display_order(signatures, self._default)}
        self.tree.blockSignals(True)
        self.tree.clear()
        for sig in self._signatures.values():
            self.tree.addTopLevelItem(self._signature_item(sig))
        if self._functions:
            self.tree.addTopLevelItem(self._functions_item())
        self.tree.expandAll()
        if self._functions:  # signatures are what clients call: functions stay folded to one line each
            group = self.tree.topLevelItem(self.tree.topLevelItemCount() - 1)
            for i in range(group.childCount()):
                group.child(i).setExpanded(False)
        if len(self._signatures) > MANY_SIGNATURES:
            for i in range(self.tree.topLevelItemCount()):
                item = self.tree.topLevelItem(i)
                node = self._node(item)
                if node.kind == "signature" and node.signature.key != self._default:
                    item.setExpanded(False)
        self._apply_visibility()
        self.tree.blockSignals(False)
        self._fit_columns()
        if not (keep and self.select_path(keep.path)):
            if not (self._default and self.select_signature(self._default)):
                self.tree.setCurrentItem(None)
                self._emit_selection(None)

    def signatures(self) -> dict[str, Signature]:
        return dict(self._signatures)

    def set_scan(self, report) -> None:
        """Mark the signatures that reach unsafe ops (a core.scan.ScanReport; None clears the marks)."""
        self._scan = report
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            self._mark_unsafe(item, self._node(item).signature)

    def unsafe_signatures(self) -> list[str]:
        """Keys of the signature rows marked as reaching unsafe ops."""
        return [self._node(self.tree.topLevelItem(i)).signature.key for i in range(self.tree.topLevelItemCount())
                if self.tree.topLevelItem(i).data(NAME, UNSAFE_ROLE)]

    def functions_item(self) -> QTreeWidgetItem | None:
        """The "Functions" row (the saved tf.functions of a TF2 export), None when the model lists none."""
        last = self.tree.topLevelItem(self.tree.topLevelItemCount() - 1) if self.tree.topLevelItemCount() else None
        return last if last is not None and self._node(last).kind == "functions" else None

    def show_internal(self) -> bool:
        return self._show_internal

    def set_show_internal(self, shown: bool) -> None:
        """Show (greyed) or hide TF's internal entries such as __saved_model_init_op."""
        self._show_internal = bool(shown)
        if self.internal_check.isChecked() != self._show_internal:
            self.internal_check.setChecked(self._show_internal)
        self._apply_visibility()

    def set_filter(self, text: str) -> None:
        """Show only rows matching `text` (case-insensitive) in a key, dtype, method or tensor name."""
        self.filter_edit.setText(text)  # triggers _on_filter_changed

    def visible_signature_keys(self) -> list[str]:
        """Keys of the signature rows currently shown, in display order."""
        return [self._node(self.tree.topLevelItem(i)).signature.key
                for i in range(self.tree.topLevelItemCount()) if not self.tree.topLevelItem(i).isHidden()
                and self._node(self.tree.topLevelItem(i)).kind == "signature"]

    def select_signature(self, key: str) -> bool:
        """Select (and unfold) the row of signature `key`; False if it is not shown."""
        item = self._find((key,))
        if item is not None and not item.isHidden():
            item.setExpanded(True)  # chosen by the app (history, session, a version switch): its tensors in view
        return self.select_path((key,))

    def select_path(self, path: tuple[str, ...]) -> bool:
        """Select the row at (signature key[, side[, tensor key]]); False if it is not shown."""
        item = self._find(path)
        if item is None or item.isHidden():
            return False
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def current_node(self) -> Node | None:
        item = self.tree.currentItem()
        return self._node(item) if item is not None else None

    def item_for(self, path: tuple[str, ...]) -> QTreeWidgetItem | None:
        """The tree row of a path (for tests and for panels that decorate rows)."""
        return self._find(path)

    # --- building rows ---------------------------------------------------------------------------------------

    def _signature_item(self, sig: Signature) -> QTreeWidgetItem:
        style = self.style()
        item = QTreeWidgetItem([sig.key, sig.method_short or "(none)",
                                f"{_count(len(sig.inputs), 'input')} → {_count(len(sig.outputs), 'output')}", ""])
        item.setData(0, NODE_ROLE, Node("signature", sig))
        item.setIcon(NAME, style.standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView))
        colour = BADGE_OTHER if sig.internal else BADGE_COLOURS.get(sig.method_short, BADGE_OTHER)
        item.setData(TYPE, BADGE_ROLE, (sig.method_short or "none", colour))
        tip = f"{sig.key}\nmethod: {sig.method_name or '(none)'}"
        if sig.key == self._default:
            tip += "\nTF Serving's default signature (used when a request names none)"
            font = item.font(NAME)
            font.setBold(True)
            item.setFont(NAME, font)
        if sig.internal:
            tip += "\nInternal: written by TensorFlow, not callable by clients"
        for col in range(len(HEADERS)):
            item.setToolTip(col, tip)
        secondary = self.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        item.setForeground(SHAPE, secondary)
        for side, specs in (("inputs", sig.inputs), ("outputs", sig.outputs)):
            group = QTreeWidgetItem([f"{side} ({len(specs)})", "", "", ""])
            group.setData(0, NODE_ROLE, Node(side, sig, side))
            group.setForeground(NAME, secondary)
            for spec in specs.values():
                group.addChild(self._tensor_item(sig, side, spec))
            item.addChild(group)
        if sig.internal:
            self._grey(item)
        self._mark_unsafe(item, sig)
        return item

    def _mark_unsafe(self, item: QTreeWidgetItem, sig: Signature) -> None:
        report = self._scan
        findings = []
        if report is not None:
            findings = [f for f in report.findings if sig.key in f.signatures and f.severity != "low"]
            if sig.key == "__saved_model_init_op":
                findings += [f for f in report.findings if f.at_load and f.severity != "low"]
        marked = item.data(NAME, UNSAFE_ROLE)
        if not findings and not marked:
            return
        item.setData(NAME, UNSAFE_ROLE, findings or None)
        base = item.toolTip(NAME).split("\n\n⚠")[0]
        if findings:
            item.setIcon(NAME, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setForeground(NAME, QBrush(QColor(UNSAFE_COLOUR)))
            tip = base + "\n\n⚠ Reaches unsafe ops:\n" + "\n".join(f"{f.op} ({f.severity}) {f.where}" for f in findings)
        else:
            item.setIcon(NAME, self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView))
            item.setForeground(NAME, self.palette().brush(QPalette.ColorRole.Text))
            tip = base
        for col in range(len(HEADERS)):
            item.setToolTip(col, tip)

    def _functions_item(self) -> QTreeWidgetItem:
        users = sum(not f.internal for f in self._functions)
        servable = [f.name for f in self._functions if f.servable and not f.internal]
        if not any(not s.internal for s in self._signatures.values()) and servable:
            # What `inspect` says of such a model: TF Serving has nothing to serve until one becomes a signature.
            note = f"no signatures: {', '.join(servable[:3])}{' …' if len(servable) > 3 else ''} could become one"
        else:
            note = "saved tf.functions, not signatures"
        # The note sits in the last column, which stretches into spare room: in Shape it widened that column past
        # every shape and pushed tensor names out of sight at 1280x800.
        group = QTreeWidgetItem([f"Functions ({users})", "", "", note])
        group.setData(0, NODE_ROLE, Node("functions", Signature(key="", method_name="")))
        group.setIcon(NAME, self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon))
        tip = ("The tf.functions saved in the model's object graph. TF Serving serves only signatures; a function "
               "becomes one with Signature ▸ Edit and Re-export… (or `signature-explorer reexport --from-function`).")
        secondary = self.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        group.setForeground(TENSOR, secondary)
        for col in range(len(HEADERS)):
            group.setToolTip(col, tip)
        for f in self._functions:
            stand_in = Signature(key=f.name, method_name="", inputs=f.inputs, outputs=f.outputs)
            item = QTreeWidgetItem([f.name, "function",
                                    f"{_count(len(f.inputs), 'input')} → {_count(len(f.outputs), 'output')}",
                                    f.concrete_name])
            item.setData(0, NODE_ROLE, Node("function", stand_in, function=f))
            item.setData(TYPE, BADGE_ROLE, ("function", BADGE_OTHER))
            item.setFont(TENSOR, self._mono)
            item.setForeground(SHAPE, secondary)
            why = f"\nCannot become a signature as it is: {f.problem}" if f.problem else \
                "\nCan become a signature: Signature ▸ Edit and Re-export…"
            for col in range(len(HEADERS)):
                item.setToolTip(col, f"saved function {f.path} ({f.concrete_name}){why}")
            for side, specs in (("inputs", f.inputs), ("outputs", f.outputs)):
                sub = QTreeWidgetItem([f"{side} ({len(specs)})", "", "", ""])
                sub.setData(0, NODE_ROLE, Node(side, stand_in, side, function=f))
                sub.setForeground(NAME, secondary)
                for spec in specs.values():
                    tensor = self._tensor_item(stand_in, side, spec)
                    tensor.setData(0, NODE_ROLE, Node("tensor", stand_in, side, spec, function=f))
                    sub.addChild(tensor)
                item.addChild(sub)
            if f.internal:
                self._grey(item)
            group.addChild(item)
        return group

    def _tensor_item(self, sig: Signature, side: str, spec: TensorSpec) -> QTreeWidgetItem:
        try:
            dt = spec.dt
            dtype_text = dt.short + ("_ref" if spec.dtype.endswith("_REF") else "")
        except KeyError:
            dtype_text = spec.dtype
        shape_text = spec.shape_text()
        if spec.encoding == "composite" and spec.dtype == "DT_INVALID":
            # A ragged (composite) tensor has no dtype or shape of its own -- as `inspect` prints it, not "invalid".
            dtype_text, shape_text = "composite", "-"
        if spec.quantization is not None:  # the user gives and reads real values; the model stores integers
            dtype_text = f"{spec.storage_dt.short} q"
        item = QTreeWidgetItem([spec.key, dtype_text, shape_text, spec.name])
        item.setData(0, NODE_ROLE, Node("tensor", sig, side, spec))
        item.setFont(TENSOR, self._mono)
        item.setToolTip(TYPE, spec.dtype if spec.quantization is None else
                        f"{spec.dtype}, quantised ({spec.quantization.text()}): real float32 values in and out")
        item.setToolTip(SHAPE, _shape_tip(spec))
        item.setToolTip(TENSOR, spec.name)
        item.setToolTip(NAME, f"{side[:-1]} '{spec.key}' of {sig.key}")
        return item

    def _grey(self, item: QTreeWidgetItem) -> None:
        brush = QBrush(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        for col in range(len(HEADERS)):
            item.setForeground(col, brush)
            font = item.font(col)
            font.setItalic(True)
            item.setFont(col, font)
        for i in range(item.childCount()):
            self._grey(item.child(i))

    def _fit_columns(self) -> None:
        # Tensor names take their whole width too (the last column still stretches into spare room): when the pane
        # is narrower, the horizontal scrollbar reaches them instead of the name being cut.
        for col in (NAME, TYPE, SHAPE, TENSOR):
            self.tree.resizeColumnToContents(col)
            # Room for the expand arrows and a little air; never so narrow the header text is cut.
            hint = self.tree.header().sectionSizeHint(col)
            self.tree.setColumnWidth(col, max(self.tree.columnWidth(col) + 12, hint))

    # --- filtering and visibility ----------------------------------------------------------------------------

    def _apply_visibility(self) -> None:
        needle = self.filter_edit.text().strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if self._node(item).kind == "functions":
                shown = 0
                for f in range(item.childCount()):
                    row = item.child(f)
                    fn = self._node(row).function
                    match = (self._show_internal or not fn.internal) and (
                        not needle or needle in fn.name.lower()
                        or any(_matches(s, needle) for s in list(fn.inputs.values()) + list(fn.outputs.values())))
                    row.setHidden(not match)
                    shown += match
                item.setHidden(not shown)
                continue
            sig = self._node(item).signature
            if sig.internal and not self._show_internal:
                item.setHidden(True)
                continue
            whole = not needle or needle in sig.key.lower() or needle in sig.method_name.lower()
            any_child = False
            for g in range(item.childCount()):
                group = item.child(g)
                shown = 0
                for t in range(group.childCount()):
                    tensor = group.child(t)
                    match = whole or _matches(self._node(tensor).spec, needle)
                    tensor.setHidden(not match)
                    shown += match
                group.setHidden(not whole and not shown)
                any_child |= bool(shown)
            item.setHidden(not (whole or any_child))
            if needle and any_child and not whole:
                item.setExpanded(True)  # a folded signature shows the tensors the filter found
        self._fit_columns()
        self.tree.viewport().update()
        current = self.tree.currentItem()
        if current is not None and _hidden_or_under_hidden(current):
            self.tree.setCurrentItem(None)

    def _on_filter_changed(self, _text: str) -> None:
        self._apply_visibility()

    # --- selection ----------------------------------------------------------------------------------------------

    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        self._emit_selection(self._node(current) if current is not None else None)

    def _emit_selection(self, node: Node | None) -> None:
        self.node_selected.emit(node)
        if node is not None and (node.function is not None or node.kind == "functions"):
            return  # a saved function is not a signature: the run panel keeps the one it has
        sig = node.signature if node else None
        if sig is not self._last_signature:
            self._last_signature = sig
            self.signature_selected.emit(sig)

    def _node(self, item: QTreeWidgetItem) -> Node:
        return item.data(0, NODE_ROLE)

    def _find(self, path: tuple[str, ...]) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if self._node(item).kind == "functions":
                if path[0] != "\0functions":
                    continue
                if len(path) == 1:
                    return item
                for f in range(item.childCount()):
                    if self._node(item.child(f)).function.name == path[1]:
                        return _descend(item.child(f), path[2:], self._node)
                return None
            if self._node(item).signature.key != path[0]:
                continue
            if len(path) == 1:
                return item
            for g in range(item.childCount()):
                group = item.child(g)
                if self._node(group).side != path[1]:
                    continue
                if len(path) == 2:
                    return group
                for t in range(group.childCount()):
                    if self._node(group.child(t)).spec.key == path[2]:
                        return group.child(t)
        return None


def _descend(item: QTreeWidgetItem, rest: tuple[str, ...], node_of) -> QTreeWidgetItem | None:
    """Below a function row: (side[, tensor key]) -> its row."""
    if not rest:
        return item
    for g in range(item.childCount()):
        group = item.child(g)
        if node_of(group).side == rest[0]:
            if len(rest) == 1:
                return group
            return next((group.child(t) for t in range(group.childCount())
                         if node_of(group.child(t)).spec.key == rest[1]), None)
    return None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _matches(spec: TensorSpec | None, needle: str) -> bool:
    return spec is not None and any(needle in s.lower() for s in (spec.key, spec.name, spec.dtype))


def _hidden_or_under_hidden(item: QTreeWidgetItem) -> bool:
    while item is not None:
        if item.isHidden():
            return True
        item = item.parent()
    return False


def _shape_tip(spec: TensorSpec) -> str:
    if spec.shape is None:
        return "Unknown rank: any shape is accepted by the signature"
    if not spec.has_shape:
        return "No shape recorded in the SignatureDef: TensorFlow 2 treats it as a scalar"
    if -1 in spec.shape:
        return "-1: any size (usually the batch dimension)"
    return f"rank {len(spec.shape)}"


def _demo(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.signature_tree MODEL`: the tree of one model, for a quick look."""
    from PySide6.QtWidgets import QApplication

    from explorer.core.errors import ExplorerError
    from explorer.core.savedmodel import read_model

    app = QApplication.instance() or QApplication(argv)
    tree = SignatureTree()
    if len(argv) > 1:
        try:
            tree.set_model(read_model(argv[1]))
        except ExplorerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    tree.resize(820, 560)
    tree.setWindowTitle(f"SignatureTree — {argv[1] if len(argv) > 1 else 'empty'}")
    tree.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv))
