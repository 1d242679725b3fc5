"""StatusMessage: the status bar's message drawn as a label that elides to the room it has (full text in its tooltip)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class StatusMessage(QtWidgets.QLabel):
    """Shows `bar`'s current message, elided at the right to its width; never under the bar's permanent widgets."""

    def __init__(self, bar: QtWidgets.QStatusBar):
        super().__init__(bar)
        self.setObjectName("statusMessage")
        self._full = ""
        # Ignored: a long message must not widen the window or push the permanent widgets; it is elided instead.
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)
        self.setContentsMargins(4, 0, 0, 0)  # where QStatusBar drew its message
        # A permanent widget, first and stretching: QStatusBar hides normal widgets while a message shows, and it
        # paints its own message only left of the first permanent widget, which leaves it no room: this label draws
        # every message (showMessage, timeouts, menus' status tips) through messageChanged instead. Unelided, the
        # bar clipped "out_11 (1, 44), out_1" mid-character against "TensorFlow 2.21 loaded".
        bar.insertPermanentWidget(0, self, 1)
        bar.messageChanged.connect(self.set_message)
        self.set_message(bar.currentMessage())

    def message(self) -> str:
        """The whole message, elided or not."""
        return self._full

    def set_message(self, text: str) -> None:
        """Show `text`, elided to the label's width."""
        self._full = text or ""
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, QtCore.Qt.TextElideMode.ElideRight, max(self.width(), 0))
        self.setText(shown)
        self.setToolTip(self._full if shown != self._full else "")
