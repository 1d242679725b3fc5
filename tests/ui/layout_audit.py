"""The layout audit: what a user would see cut or squashed, found in a real window (issue 13)."""
from __future__ import annotations

from PySide6 import QtWidgets

MIN_PLOT_HEIGHT = 180


def _visible(widget: QtWidgets.QWidget, top: QtWidgets.QWidget) -> bool:
    return widget.isVisibleTo(top) and widget.width() > 0 and widget.height() > 0


def audit(top: QtWidgets.QWidget) -> list[str]:
    """Every visible label or button smaller than its minimumSizeHint, and every plot under MIN_PLOT_HEIGHT."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    top.grab()  # lays out what is pending, as painting would: geometry read before that can be stale
    QApplication.processEvents()
    problems = []
    for w in top.findChildren(QtWidgets.QWidget):
        if not _visible(w, top):
            continue
        if isinstance(w, pg.GraphicsView) and not isinstance(w, pg.GraphicsLayoutWidget) or isinstance(w, pg.PlotWidget):
            shown = _shown_height(w, top)
            if shown < MIN_PLOT_HEIGHT:
                problems.append(f"plot {_name(w)} shows {shown} px of its height")
            continue
        if isinstance(w, (QtWidgets.QLabel, QtWidgets.QAbstractButton)) and not isinstance(w, QtWidgets.QToolButton) \
                or isinstance(w, QtWidgets.QPushButton):
            hint = w.minimumSizeHint()
            if isinstance(w, QtWidgets.QLabel) and (not w.text() or w.pixmap() is not None and not w.pixmap().isNull()):
                continue
            if isinstance(w, QtWidgets.QLabel) and w.wordWrap() and w.width() > 0:
                need = w.heightForWidth(w.width())  # a wrapped text needs this much height at this width
                if need > 0 and w.height() + 1 < need:
                    problems.append(f"QLabel {_name(w)} {w.text()[:40]!r} is {w.height()} px tall, its text needs "
                                    f"{need} at {w.width()} px wide (cut mid-line)")
                    continue
            if w.width() + 1 < hint.width() or w.height() + 1 < hint.height():
                text = w.text() if hasattr(w, "text") else ""
                problems.append(f"{type(w).__name__} {_name(w)} {text[:40]!r} is {w.width()}x{w.height()}, "
                                f"needs {hint.width()}x{hint.height()}")
    return problems


def _shown_height(w: QtWidgets.QWidget, top: QtWidgets.QWidget) -> int:
    """The height of `w` left once every ancestor up to `top` clips it (a squeezed parent hides part of a child
    that keeps its minimum size); a scroll area's viewport does not count: what it hides, the user scrolls to."""
    from PySide6.QtCore import QPoint, QRect

    rect = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
    parent = w.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent.parentWidget(), QtWidgets.QAbstractScrollArea) and \
                not isinstance(parent.parentWidget(), QtWidgets.QGraphicsView):
            break  # the viewport of a scroll area
        rect = rect.intersected(QRect(parent.mapTo(top, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return max(rect.height(), 0)


def _name(w: QtWidgets.QWidget) -> str:
    chain = []
    while w is not None and len(chain) < 4:
        chain.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(chain))
