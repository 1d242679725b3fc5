"""A comparison's verdict: the headline sentence and the diff table, per output and target, against the reference."""
from __future__ import annotations

import html

from PySide6 import QtCore, QtGui, QtWidgets

from .. import theme
from .compare_columns import _STATUS_TEXT, LETTERS, _num, _shape, column_color, status_style

DIFF_COLUMNS = ("output", "target", "status", "shape", "dtype", "max |Δ|", "max rel", "allclose", "beyond tol",
                "argmax", "top-k", "NaN/Inf")


class DiffTable(QtWidgets.QTableWidget):
    """One row per output and compared target: status, shapes, dtypes, max |diff|, agreement, NaN/Inf."""

    chosen = QtCore.Signal(int, str)  # a row was selected: (target column, output key)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(0, len(DIFF_COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(DIFF_COLUMNS))
        self.verticalHeader().hide()
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setWordWrap(False)
        self.itemSelectionChanged.connect(self._on_selection_changed)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        for i, width in enumerate((90, 150, 150, 110, 80, 80, 80, 66, 84, 60, 60)):
            header.resizeSection(i, width)

    def fill(self, columns: list, diffs: list, reference: int) -> None:
        """A row per output and compared column (diffs[i] is column i against `reference`, None for itself)."""
        rows = []
        for i, diff in enumerate(diffs):
            if diff is None:
                continue
            for key, d in diff.outputs.items():
                rows.append((i, key, d))
        self.setRowCount(len(rows))
        ref = LETTERS[reference] if columns else ""
        for r, (i, key, d) in enumerate(rows):
            if d.shape_a == d.shape_b or d.shape_b is None or d.shape_a is None:
                shape = _shape(d.shape_a if d.shape_a is not None else d.shape_b)
            else:
                shape = f"{_shape(d.shape_a)} → {_shape(d.shape_b)}"
            dtype = d.dtype_a if d.dtype_a == d.dtype_b or not d.dtype_b else f"{d.dtype_a} → {d.dtype_b}"
            nonfinite = f"{d.nonfinite_a} / {d.nonfinite_b}" + (f" ({d.nonfinite_differ} differ)"
                                                               if d.nonfinite_differ else "")
            texts = [key, f"{LETTERS[i]} vs {ref} · {columns[i].title}", _STATUS_TEXT.get(d.status, d.status),
                     shape, dtype, _num(d.max_abs), _num(d.max_rel),
                     "yes" if d.allclose else "no", f"{d.mismatched} / {d.size}",
                     "–" if d.argmax_agree is None else f"{d.argmax_agree:.0%}",
                     "–" if d.topk_agree is None else f"{d.topk_agree:.0%}", nonfinite]
            background, ink = status_style(d.status)
            for c, text in enumerate(texts):
                item = QtWidgets.QTableWidgetItem(text)
                item.setData(QtCore.Qt.ItemDataRole.UserRole, (i, key))
                if c >= 5:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if c == 2 or (not d.agrees and c in (5, 6, 7, 8)) or (c == 11 and d.nonfinite_differ) or (
                        c == 9 and d.argmax_agree is not None and d.argmax_agree < 1) or (
                        c in (3, 4) and (d.shape_a != d.shape_b or d.dtype_a != d.dtype_b)):
                    item.setBackground(QtGui.QBrush(QtGui.QColor(background)))
                    item.setForeground(QtGui.QBrush(QtGui.QColor(ink)))
                if c == 2:
                    font = item.font()
                    font.setBold(not d.agrees)
                    item.setFont(font)
                if c == 1:
                    item.setForeground(QtGui.QBrush(QtGui.QColor(column_color(i))))
                    item.setToolTip(columns[i].spec.target if columns[i].spec else columns[i].title)
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for c in range(self.columnCount()):
            header.resizeSection(c, min(max(header.sectionSize(c), 56), 200))

    def _on_selection_changed(self) -> None:
        items = self.selectedItems()
        if not items:
            return
        i, key = items[0].data(QtCore.Qt.ItemDataRole.UserRole)
        self.chosen.emit(i, key)


def headline_html(columns: list, diffs: list, agreements: list, reference: int, rtol: float, atol: float,
                  running: bool) -> str:
    """The verdict in one rich-text line: who equals, agrees with or differs from the reference, who failed."""
    if len(columns) < 2:
        return ""
    ref = LETTERS[reference]
    ink = theme.colors().inks  # the palette's: fixed dark reds and blues sank into the dark theme's window
    red, blue, amber = ink["error"], ink["info"], ink["warning"]
    parts = []
    tol = f"rtol {rtol:g}, atol {atol:g}"
    warning = None
    for i, diff in enumerate(diffs):
        if diff is None:
            continue
        who = f"<b style='color:{column_color(i)}'>{LETTERS[i]}</b>"
        agreement = agreements[i] if i < len(agreements) else None
        warning = warning or (agreement.warning if agreement is not None else None)
        if agreement is not None and diff.equal and not agreement.equal:
            outs = ", ".join(agreement.probe_differing_outputs)
            parts.append(f"{who} vs {ref}: <span style='color:{red}'>{agreement.verdict()}</span>"
                         + (f" (<b>{outs}</b>)" if outs else "") + " — they differ")
        elif diff.equal:
            exact = all(d.status == "equal" for d in diff.outputs.values())
            probed = agreement.verdict() if agreement is not None and agreement.probe_count else ""
            parts.append(f"{who} {'equals' if exact else 'agrees with'} {ref} on every output"
                         + ("" if exact else f" within {tol}") + (f" ({probed})" if probed else ""))
        else:
            worst = []
            for key in diff.differing:
                d = diff.outputs[key]
                if d.status == "different":
                    worst.append(f"<b>{key}</b> ({d.mismatched}/{d.size} beyond tolerance, max |Δ| "
                                 f"{_num(d.max_abs)})")
                else:
                    worst.append(f"<b>{key}</b> ({_STATUS_TEXT.get(d.status, d.status)})")
            parts.append(f"{who} <span style='color:{red}'>differs</span> from {ref} in " + ", ".join(worst))
    failed = [LETTERS[i] for i, c in enumerate(columns) if c.state == "failed"]
    if failed:
        parts.append(f"<span style='color:{red}'>{', '.join(failed)} failed</span>")
    if running:
        parts.append(f"<span style='color:{blue}'>waiting for "
                     + ", ".join(LETTERS[i] for i, c in enumerate(columns) if c.state == "running")
                     + "…</span>")
    if warning:
        parts.append(f"<span style='color:{amber}'>⚠ {html.escape(warning, quote=False)}</span>")
    text = ". ".join(p.rstrip(".") if not p.endswith("</span>") else p for p in parts)
    return text + ("" if not parts or text.endswith((".", ".</span>")) else ".")
