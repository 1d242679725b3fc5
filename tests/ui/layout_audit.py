"""The layout audit: what a user would see cut or squashed, found in a real window (issue 13)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

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
            unscrolled = _unscrolled_height(w, top)
            if unscrolled + 1 < w.height():
                text = w.text() if hasattr(w, "text") else ""
                problems.append(f"{type(w).__name__} {_name(w)} {text[:40]!r} shows {unscrolled} of its {w.height()} "
                                "px in a scroll area that does not scroll that way (cut)")
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


def _unscrolled_height(w: QtWidgets.QWidget, top: QtWidgets.QWidget) -> int:
    """The height of `w` left once every ancestor up to `top` clips it, where a scroll area's viewport counts only
    when its vertical scroll bar is always off: what it hides there, no user can scroll to."""
    from PySide6.QtCore import QPoint, QRect

    rect = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
    parent = w.parentWidget()
    while parent is not None and parent is not top:
        area = parent.parentWidget()
        if isinstance(area, QtWidgets.QAbstractScrollArea) and not isinstance(area, QtWidgets.QGraphicsView) and \
                area.verticalScrollBarPolicy() != QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
            break  # the viewport of a scroll area the user can scroll
        rect = rect.intersected(QRect(parent.mapTo(top, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return max(rect.height(), 0)


def _name(w: QtWidgets.QWidget) -> str:
    chain = []
    while w is not None and len(chain) < 4:
        chain.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(chain))



FULL_FORM_INPUTS = 3  # up to this many inputs, every row is seen whole before a run
HISTORY_ROWS = 3  # a run history shows at least this many of its runs (or all it has) when it is shown


def predict_audit(panel, top: QtWidgets.QWidget) -> list[str]:
    """The Predict tab's own promises: before a run (no outputs yet) every input row of a signature with up to
    FULL_FORM_INPUTS inputs is seen whole, after a run (or with more inputs) at least the first; a shown run history
    shows at least min(its runs, HISTORY_ROWS) whole rows (not just its header and a scroll bar) and its result column
    (not behind a horizontal scroll bar)."""
    from PySide6.QtWidgets import QApplication

    top.grab()
    QApplication.processEvents()
    problems = []
    rows = list(panel.form.rows.items())
    if rows and panel.isVisibleTo(top):
        ran = bool(panel.outputs.keys())
        wanted = rows[:1] if ran or len(rows) > FULL_FORM_INPUTS else rows
        low, high = _seen_span(panel.form.scroll.viewport(), top)
        for key, row in wanted:
            y = row.mapTo(top, QtCore.QPoint(0, 0)).y()
            if not row.isVisibleTo(top) or y < low or y + row.height() > high:
                shown = max(min(high, y + row.height()) - max(low, y), 0)
                problems.append(f"input row {key!r} shows {shown} of its {row.height()} px "
                                f"({'after a run' if ran else 'before a run'}, {len(rows)} inputs)")
    table = panel.history.table
    count = table.topLevelItemCount()
    if count and table.isVisibleTo(top):
        viewport = table.viewport()
        low, high = _seen_span(viewport, top)
        for i in range(min(count, HISTORY_ROWS)):
            rect = table.visualItemRect(table.topLevelItem(i))
            y = table.viewport().mapTo(top, rect.topLeft()).y()
            if rect.isEmpty() or y < low or y + rect.height() > high:
                problems.append(f"run history row {i + 1} of {count} is not seen whole (its table shows "
                                f"{max(high - low, 0)} px of rows, a row is {rect.height()})")
                break
        result = table.columnCount() - 1  # the result summary, what a user reads first, starts in view
        start = table.header().sectionViewportPosition(result)
        if start < 0 or start + 80 > viewport.width():
            problems.append(f"run history's result column starts at {start} px of a {viewport.width()} px table")
    return problems


def _seen_span(w: QtWidgets.QWidget, top: QtWidgets.QWidget) -> tuple[int, int]:
    """The top and bottom (in `top`'s coordinates) of the part of `w` that its ancestors do not clip."""
    y = w.mapTo(top, QtCore.QPoint(0, 0)).y()
    shown = _shown_height(w, top)
    parent_top = y
    parent = w.parentWidget()
    while parent is not None and parent is not top:  # the clip's top edge (a widget pushed above its parent)
        parent_top = max(parent_top, parent.mapTo(top, QtCore.QPoint(0, 0)).y())
        parent = parent.parentWidget()
    return parent_top, parent_top + shown


def tabs_audit(tabs: QtWidgets.QTabWidget, top: QtWidgets.QWidget) -> list[str]:
    """Every tab of `tabs` whose title is not wholly inside the visible tab bar (behind its scroll arrows, cut at its
    edge, or elided past reading): a tab the user cannot see at a glance is a tab they do not know exists."""
    from PySide6.QtWidgets import QApplication

    top.grab()
    QApplication.processEvents()
    bar = tabs.tabBar()
    shown = bar.rect()
    for arrow in bar.findChildren(QtWidgets.QToolButton):  # the scroll arrows cover the bar's right end
        if arrow.isVisibleTo(top):
            shown = shown.intersected(QtCore.QRect(0, 0, min(shown.width(), arrow.x()), shown.height()))
    problems = []
    for i in range(tabs.count()):
        rect = bar.tabRect(i)
        if not shown.contains(rect):
            problems.append(f"tab {tabs.tabText(i)!r} at x {rect.left()}..{rect.right()} is outside the visible tab "
                            f"bar (0..{shown.right()})")
    return problems
