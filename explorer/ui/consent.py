"""ConsentGate: the window's memory of which dangerous models the user agreed to run, and the dialog that asks.

The refusal itself is in core (scan.require_consent, called by every local load): a panel whose load or run fails
with UnsafeModelError hands the error to `ask()`, which shows UnsafeModelDialog; on "Run Anyway" the consent is
saved in settings (per model fingerprint and what it does), granted in this process, and the panel's retry runs.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from explorer.core import scan
from explorer.core.settings import Settings

from .widgets.unsafe_dialog import UnsafeModelDialog


class ConsentGate(QObject):
    """Remembered consents (settings) <-> core's in-process grants; asks with a dialog when a load was refused."""

    changed = Signal()  # a consent was granted or revoked

    def __init__(self, settings: Settings, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.dialog: UnsafeModelDialog | None = None  # the open question, if any (tests answer it)
        scan.grant_in_process(self.settings.unsafe_consents())

    def consents(self) -> dict[str, dict]:
        """consent key -> {path, ops, granted_at}, as stored."""
        return self.settings.unsafe_consents()

    def granted(self, report) -> bool:
        return report.consent_key in self.consents()

    def grant(self, report) -> None:
        self.settings.grant_unsafe_consent(report.consent_key, report.path, [f.op for f in report.high])
        scan.grant_in_process([report.consent_key])
        self.changed.emit()

    def revoke(self, key: str) -> None:
        self.settings.revoke_unsafe_consent(key)
        scan.revoke_in_process(key)
        self.changed.emit()

    def ask(self, report, parent: QWidget | None, on_granted: Callable[[], None],
            action: str = "load this model", on_refused: Callable[[], None] | None = None) -> UnsafeModelDialog:
        """Show the dialog (window-modal, not blocking); "Run Anyway" grants and calls on_granted()."""
        if self.dialog is not None:
            self.dialog.reject()
        dialog = UnsafeModelDialog(report, action, parent)
        self.dialog = dialog

        def answered(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                self.grant(report)
                on_granted()
            elif on_refused is not None:
                on_refused()

        dialog.finished.connect(answered)
        dialog.open()
        return dialog


def unsafe_report(error):
    """The ScanReport of an UnsafeModelError (also when wrapped by a worker), else None."""
    from explorer.core.errors import UnsafeModelError

    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, UnsafeModelError):
            return error.report
        error = error.__cause__
        seen += 1
    return None
