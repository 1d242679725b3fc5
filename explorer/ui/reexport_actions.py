"""ReexportActions: the Signature menu's Edit and Re-export…, the problems' "Fix in a re-export", and where the result
goes -- the new version opened, next to the old one in the Compare tab.

Composition and signal wiring only (kept out of main_window.py): the dialog edits, core.reexport does the work on
the window's worker, and the code of the same re-export opens in the Show Request dialog.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.errors import ExplorerError
from explorer.core.reexport import Plan, ReexportResult, plan_for_problem

from .run_panel import RunSpec
from .widgets.reexport_dialog import ReexportDialog
from .workers import Worker

COMPARE = "Compare"


class ReexportActions(QtCore.QObject):
    """Attaches re-export to a MainWindow (which has run_panel, sessions and messages)."""

    reexported = QtCore.Signal(object)  # ReexportResult, once shown

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.worker = Worker(self)
        self.dialog: ReexportDialog | None = None
        self.code_dialog = None
        self.edit_action = QtGui.QAction("Edit and &Re-export…", self)
        self.edit_action.setToolTip("Write the model again with a corrected signature (batch, dtype, scaling, keys) "
                                    "and prove it answers as before")
        # Its key lives in ui/shortcuts.py's table, applied with every other action's.
        self.edit_action.triggered.connect(lambda: self.open_dialog())
        self.menu = QtWidgets.QMenu("&Signature", window)
        self.menu.addAction(self.edit_action)
        bar = window.menuBar()
        before = next((a for a in bar.actions() if a.text().replace("&", "") in ("Tools", "Help")), None)
        if before is not None:
            bar.insertMenu(before, self.menu)
        else:
            bar.addMenu(self.menu)
        window.model_opened.connect(lambda info: self._update_actions())
        window.model_closed.connect(self._update_actions)
        form = getattr(window.run_panel, "form", None)
        if form is not None and hasattr(form, "reexport_requested"):
            form.reexport_requested.connect(self.fix_problem)
        self._update_actions()

    # --- API ---------------------------------------------------------------------------------------------------

    def open_dialog(self, plan: Plan | None = None) -> ReexportDialog | None:
        """Open Edit and Re-export on the current model and signature (optionally with a plan's edits filled in)."""
        info = self.window.model()
        if info is None:
            self.window.messages.show_message("Open a model first.", "info", fix="File ▸ Open Model…")
            return None
        if not info.user_signatures and not any(f.servable for f in info.functions):
            self.window.messages.show_message(
                f"{info.path} has no signature and no saved function a signature could be made from.", "warning")
            return None
        current = self.window.current_signature()
        key = plan.signature if plan is not None and plan.signature else current.key if current is not None else ""
        if self.dialog is not None:
            self.dialog.close()
        dialog = ReexportDialog(info, key, worker=self.worker, parent=self.window,
                                inputs_provider=self._form_inputs)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.consent = getattr(self.window, "consent", None)
        dialog.reexported.connect(self._on_dialog_reexported)
        dialog.code_requested.connect(self.show_code)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        if plan is not None:
            dialog.set_plan(plan)
        self.dialog = dialog
        dialog.open()
        return dialog

    def fix_problem(self, problem) -> ReexportDialog | None:
        """"Fix in a re-export" on a problem of the form: the dialog opens with the edit that fixes it."""
        info, signature = self.window.model(), self.window.run_panel.signature()
        if info is None or signature is None:
            return None
        plan = plan_for_problem(info, signature.key, problem)
        return self.open_dialog(plan)

    def show_code(self, info, plan: Plan, destination: str):
        """The TensorFlow code of this re-export, in the Show Request dialog."""
        from explorer.core.reexport_code import reexport_code

        from .widgets.request_dialog import ShowRequestDialog

        try:
            snippet = reexport_code(info, plan, destination)
        except ExplorerError as exc:
            if self.dialog is not None:
                self.dialog._say(str(exc), error=True)
            return None
        dialog = ShowRequestDialog(self.dialog or self.window, worker=self.worker)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show_code(snippet, f"The TensorFlow code of this re-export of {info.path}")
        self.code_dialog = dialog
        dialog.open()
        return dialog

    def show_result(self, result: ReexportResult) -> None:
        """Open the new version in the window, and the old and the new side by side in the Compare tab."""
        info = self.window.model()
        proof = result.proof.text() if result.proof else "not proven"
        where = result.destination + (f" (version {result.version})" if result.version else "")
        level = "info" if result.equal else "warning"
        fix = "" if result.equal else "The new model answers differently: compare them in the Compare tab first."

        def say(*_):  # after the new model is shown: opening a model clears the message bar
            self.window.model_opened.disconnect(say)
            self.window.messages.show_message(f"Re-exported '{result.key}' to {where}: {proof}.", level, fix=fix)
        sessions = getattr(self.window, "sessions", None)
        if sessions is not None and info is not None:
            options = (("tag_set", tuple(info.tag_set)),) if info.tag_set else ()
            old = RunSpec(info.path, "folder", "auto", info.version, options)
            new = RunSpec(result.base_path, "folder", "auto", result.version) if result.version is not None \
                else RunSpec(result.destination, "folder", "auto", None)
            sessions.view.clear_targets()
            sessions.view.add_target(old)
            sessions.view.add_target(new)
            self.window.show_panel(COMPARE)
            if _same_request(info, result):
                # The form's request fits both (only dims were freed): compare them at once, as the proof did.
                QtCore.QTimer.singleShot(0, sessions.view, sessions.view.compare)
        self.window.model_opened.connect(say)
        self.window.open_model(result.base_path or result.destination, version=result.version)
        self.reexported.emit(result)

    # --- internals ---------------------------------------------------------------------------------------------

    def _form_inputs(self, signature_key: str):
        rp = self.window.run_panel
        signature = rp.signature()
        if signature is None or signature.key != signature_key:
            return None
        return rp.current_inputs()

    def _on_dialog_reexported(self, result: ReexportResult) -> None:
        self.show_result(result)

    def _update_actions(self) -> None:
        self.edit_action.setEnabled(self.window.model() is not None)


def _same_request(info, result: ReexportResult) -> bool:
    """True when a request for the old signature also fits the new one (same keys and dtypes)."""
    old = info.user_signatures.get(result.plan.signature) if result.plan.signature else None
    new = result.signatures.get(result.key)
    if old is None or new is None or old.key != new.key:
        return False
    return {k: s.dtype for k, s in old.inputs.items()} == {k: s.dtype for k, s in new.inputs.items()}
