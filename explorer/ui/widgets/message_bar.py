"""MessageBar: an inline message (error, warning or info) with its fix, and the technical details behind a toggle."""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QStyle, QToolButton, QVBoxLayout,
                               QWidget)

from explorer.core.errors import ExplorerError

from .. import theme

LEVELS = ("error", "warning", "info")
_ICONS = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical,
          "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
          "info": QStyle.StandardPixmap.SP_MessageBoxInformation}
# The colours come from the palette (theme.card_style): a light tint in the light theme, a dark one in the dark
# theme, the ink readable on it in both; fixed light tints were the one bright block in a dark window.


class MessageBar(QFrame):
    """Shows one message at a time where the user is looking; hidden while there is none."""

    closed = Signal()  # the user dismissed the message

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self._level = ""
        self._icon = QLabel()
        self._icon.setFixedSize(24, 24)
        self._text = QLabel()
        self._text.setObjectName("MessageText")
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._fix = QLabel()
        self._fix.setObjectName("MessageFix")
        self._fix.setWordWrap(True)
        self._fix.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._toggle = QToolButton()
        self._toggle.setText("Details")
        self._toggle.setCheckable(True)
        self._toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._toggle.setArrowType(Qt.ArrowType.RightArrow)
        self._toggle.toggled.connect(self._on_toggle_toggled)
        self._copy = QToolButton()
        self._copy.setText("Copy")
        self._copy.setToolTip("Copy the message and its details")
        self._copy.clicked.connect(self._on_copy_clicked)
        self._close = QToolButton()
        self._close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self._close.setToolTip("Dismiss")
        self._close.setAutoRaise(True)
        self._close.clicked.connect(self._on_close_clicked)
        self._details = QPlainTextEdit()
        self._details.setReadOnly(True)
        self._details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._details.setMaximumHeight(180)
        self._details.hide()

        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self._text)
        texts.addWidget(self._fix)
        top = QHBoxLayout()
        top.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(texts, 1)
        for button in (self._toggle, self._copy, self._close):
            top.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self._details)
        self.hide()

    # --- API ---------------------------------------------------------------------------------------------------

    def show_message(self, text: str, level: str = "error", details: str = "", fix: str = "") -> None:
        """Show `text` at `level` ("error" | "warning" | "info"); `details` go behind the Details toggle."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        self._level = level
        self.restyle()
        self._icon.setPixmap(self.style().standardIcon(_ICONS[level]).pixmap(22, 22))
        self._text.setText(text)
        self._fix.setText(fix)
        self._fix.setVisible(bool(fix))
        self._details.setPlainText(details)
        self._toggle.setVisible(bool(details))
        self._toggle.setChecked(False)
        self._details.hide()
        self.show()

    def restyle(self) -> None:
        """Colours from the current palette; theme.refresh_style_sheets calls it when the theme changes."""
        if self._level not in LEVELS:
            return
        ink, background = theme.card_style(self._level)
        sheet = (f"#MessageBar {{ background: {background}; border: 1px solid {theme.mix(ink, background, 0.5)}; "
                 "border-radius: 4px; }"
                 f"#MessageBar QLabel {{ color: {ink}; background: transparent; }}"
                 "#MessageFix { font-style: italic; }")
        if sheet != self.styleSheet():  # setting a sheet re-polishes: only when the palette gave other colours
            self.setStyleSheet(sheet)

    def show_error(self, error: BaseException, level: str = "error") -> None:
        """Show an exception: an ExplorerError's message, fix and details; anything else by type and text."""
        if isinstance(error, ExplorerError):
            self.show_message(str(error), level, details=error.details, fix=error.fix)
        else:
            self.show_message(f"{type(error).__name__}: {error}", level)

    def clear(self) -> None:
        """Hide the message."""
        self._level = ""
        self._toggle.setChecked(False)
        self.hide()

    def level(self) -> str:
        """The shown message's level, or "" when none is shown."""
        return self._level if not self.isHidden() else ""

    def text(self) -> str:
        return self._text.text() if not self.isHidden() else ""

    def fix(self) -> str:
        return self._fix.text() if not self.isHidden() else ""

    def details(self) -> str:
        return self._details.toPlainText()

    def has_details(self) -> bool:
        return bool(self._details.toPlainText())

    def details_shown(self) -> bool:
        return self._details.isVisibleTo(self)

    def set_details_shown(self, shown: bool) -> None:
        self._toggle.setChecked(shown)

    # --- slots ------------------------------------------------------------------------------------------------

    def _on_toggle_toggled(self, checked: bool) -> None:
        self._details.setVisible(checked)
        self._toggle.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)

    def _on_copy_clicked(self) -> None:
        parts = [self._text.text(), self._fix.text(), self._details.toPlainText()]
        QGuiApplication.clipboard().setText("\n\n".join(p for p in parts if p))

    def _on_close_clicked(self) -> None:
        self.clear()
        self.closed.emit()


def _demo(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.message_bar [PATH]`: the message reading PATH gives (or a sample)."""
    from PySide6.QtWidgets import QApplication

    from explorer.core.savedmodel import read_model

    app = QApplication.instance() or QApplication(argv)
    bar = MessageBar()
    if len(argv) > 1:
        try:
            info = read_model(argv[1])
            bar.show_message(f"{info.path} reads fine: {len(info.user_signatures)} signatures.", "info")
        except ExplorerError as exc:
            bar.show_error(exc)
    else:
        bar.show_message("A sample warning.", "warning", details="technical details", fix="What to do about it.")
    bar.resize(760, bar.sizeHint().height())
    bar.setWindowTitle("MessageBar")
    bar.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv))
