"""SessionActions: the Compare tab and menu, and sessions -- File > Save/Open Workspace, Export Outputs, replaying a
saved run on another target, and an autosave after every run and on quit that is offered back on the next start.

Composition and signal wiring only, kept out of main_window.py: files are written by core.workspace on workers;
what a workspace holds is read from and put back into the run panel, its history and the compare view.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.autosaves import LEGACY_NAME, AutosaveSlot, same_target
from explorer.core.errors import ExplorerError, SessionFileError
from explorer.core.request import Prediction
from explorer.core.sources import Source
from explorer.core.workspace import SUFFIX, RunRecord, Workspace, export_outputs, load_workspace, save_workspace

from .run_panel import RunSpec
from .widgets.compare_columns import spec_from_text
from .widgets.compare_view import CompareView
from .workers import Task, Worker

COMPARE = "Compare"
AUTOSAVE_NAME = LEGACY_NAME  # the shared file of earlier versions; each instance now has its own (core/autosaves.py)
FILTER = f"Signature Explorer workspace (*{SUFFIX})"
# Runner options that may be written to a workspace file; headers can hold tokens and never are.
_SAVED_OPTIONS = {"tag_set", "timeout", "tls", "ca_file", "format", "max_message_mb"}


def spec_dict(spec: RunSpec | None) -> dict | None:
    """A RunSpec as JSON for a workspace (without secrets such as header values)."""
    if spec is None:
        return None
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.options if k in _SAVED_OPTIONS}
    return {"target": spec.target, "kind": spec.kind, "engine": spec.engine, "version": spec.version,
            "options": options}


def spec_of(data: dict | None) -> RunSpec | None:
    """Inverse of spec_dict; None for anything that is not one."""
    if not isinstance(data, dict) or not data.get("target"):
        return None
    options = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                           for k, v in (data.get("options") or {}).items() if k in _SAVED_OPTIONS))
    version = data.get("version")
    return RunSpec(str(data["target"]), str(data.get("kind", "folder")), str(data.get("engine", "auto")),
                   int(version) if isinstance(version, int) else None, options)


def prediction_of(record: RunRecord) -> Prediction:
    """A saved run's outputs as a Prediction, so views that show predictions can show it."""
    return Prediction(record.signature, record.engine, record.target, dict(record.outputs), dict(record.timing_ms),
                      record.version, tuple(record.notes))


class SessionActions(QtCore.QObject):
    """Attaches the compare view and the session features to a MainWindow (which has a run_panel)."""

    saved = QtCore.Signal(str)  # path written (explicit saves)
    autosaved = QtCore.Signal(str)  # path written by an autosave
    opened = QtCore.Signal(object)  # Workspace, once applied
    restore_offered = QtCore.Signal(object)  # QMessageBox asking "Restore the last session?"

    def __init__(self, window, offer_restore: bool = True):
        super().__init__(window)
        self.window = window
        self.worker = Worker(self)
        self.path: Path | None = None  # the workspace file saved to or opened last
        self.restore_box: QtWidgets.QMessageBox | None = None
        self.slot = AutosaveSlot(window.settings.directory)  # this window's own autosave, locked while it runs
        self.launch_path: str | None = None  # the model the app was started on: a restore must be about it
        self.replay_dialog: ReplayDialog | None = None
        self._pending_signature: str | None = None

        style = window.style()
        sp = QtWidgets.QStyle.StandardPixmap
        self.view = CompareView(worker=Worker(self), settings=window.settings)
        self.view.request_provider = self._form_request
        self.view.current_targets_provider = self._open_targets
        window.add_panel(COMPARE, self.view, style.standardIcon(sp.SP_FileDialogListView))

        def action(text, slot, shortcut=None, tip="", icon=None):
            a = QtGui.QAction(style.standardIcon(icon) if icon is not None else QtGui.QIcon(), text, self)
            if shortcut:
                a.setShortcut(QtGui.QKeySequence(shortcut))
                a.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
                window.addAction(a)  # shortcuts work wherever the focus is in the window
            a.setToolTip(tip or text.replace("&", "").rstrip("…"))
            a.triggered.connect(slot)
            return a

        self.save_action = action("&Save Workspace", self._on_save_triggered, QtGui.QKeySequence.StandardKey.Save,
                                  "Save the model, endpoints, inputs and runs to a workspace file",
                                  sp.SP_DialogSaveButton)
        self.save_as_action = action("Save Workspace &As…", self._on_save_as_triggered,
                                     QtGui.QKeySequence.StandardKey.SaveAs)
        self.open_action = action("Open &Workspace…", self._on_open_triggered, "Ctrl+Shift+W",
                                  "Open a saved workspace: model, inputs, runs with their outputs")
        self.export_npy_action = action("Export Outputs as .&npy…", lambda: self._on_export_triggered("npy"),
                                        tip="One KEY.npy per output of the selected run (or the latest)")
        self.export_csv_action = action("Export Outputs as &CSV…", lambda: self._on_export_triggered("csv"),
                                        tip="One KEY.csv per output of the selected run (or the latest)")
        self.compare_tab_action = action("Compare &Targets", lambda: window.show_panel(COMPARE), "Ctrl+Shift+K",
                                         "Show the Compare tab")
        self.compare_now_action = action("&Compare Now", self._on_compare_now_triggered, "Ctrl+Shift+Return",
                                         "Send the form's inputs to every target in the Compare tab")
        self.versions_action = action("Compare All &Versions of This Model", self.compare_all_versions,
                                      tip="One column per version of the open base path, the form's inputs to all")
        self.open_targets_action = action("Add &Open Model and Server", self._on_open_targets_triggered,
                                          tip="Add the open model and the connected server as compare targets")
        self.replay_action = action("&Replay a Run on Another Target…", self.open_replay_dialog,
                                    tip="Send a saved run's exact input arrays to another model, version or server "
                                        "and compare with what it gave")

        file_menu = _menu(window, "File")
        if file_menu is not None:
            before = getattr(window, "quit_action", None)
            items = [self.open_action, self.save_action, self.save_as_action, None, self.export_npy_action,
                     self.export_csv_action, None]
            for item in items:
                if item is None:
                    file_menu.insertSeparator(before) if before is not None else file_menu.addSeparator()
                elif before is not None:
                    file_menu.insertAction(before, item)
                else:
                    file_menu.addAction(item)
        self.menu = QtWidgets.QMenu("&Compare", window)
        for item in (self.compare_tab_action, self.compare_now_action, None, self.open_targets_action,
                     self.versions_action, None, self.replay_action):
            self.menu.addSeparator() if item is None else self.menu.addAction(item)
        bar = window.menuBar()
        help_menu = _menu(window, "Help")
        if help_menu is not None:
            bar.insertMenu(help_menu.menuAction(), self.menu)
        else:
            bar.addMenu(self.menu)

        rp = window.run_panel
        rp.prediction_done.connect(self._on_run_finished)
        rp.run_failed.connect(self._on_run_finished)
        self.view.compared.connect(self._on_run_finished)
        window.model_opened.connect(self._on_window_model_opened)
        window.installEventFilter(self)
        self._update_actions()
        if offer_restore:
            # Looked up late: tests may replace it. With self as context it never fires after the window was deleted.
            QtCore.QTimer.singleShot(0, self, lambda: self.offer_restore())

    # --- workspace <-> window --------------------------------------------------------------------------------

    def snapshot(self) -> Workspace:
        """What the window holds now, as a Workspace (arrays are shared, not copied)."""
        rp = self.window.run_panel
        spec, signature = rp.spec, rp.signature()
        sources: dict[str, dict[str, dict]] = {}
        if signature is not None:
            sources[signature.key] = {k: s.to_dict() for k, s in rp.form.sources().items()}
        info = self.window.model()
        if info is not None and spec is not None:
            for key in info.user_signatures:  # what was typed for other signatures is kept too
                remembered = rp.form.remembered(spec.key(), key) if key not in sources else None
                if remembered:
                    sources[key] = {k: s.to_dict() for k, s in remembered.items()}
        entries = rp.history.entries()
        compare_specs = self.view.specs()
        targets = []
        for t in [spec.target if spec else None] + [s.target for s in compare_specs]:
            if t and t not in targets:
                targets.append(t)
        extra = {
            "run_target": spec_dict(spec),
            "model_key": spec.key() if spec else "",
            "batch": rp.form.batch_size(),
            "history": {e.record.id: {"sources": {k: s.to_dict() for k, s in e.sources.items()}, "batch": e.batch}
                        for e in entries},
            "compare": {"targets": [spec_dict(s) for s in compare_specs], "reference": self.view.reference},
        }
        return Workspace(targets=targets, current_target=spec.target if spec else "",
                         signature=signature.key if signature else "", sources=sources,
                         runs=[e.record for e in reversed(entries)], rtol=self.view.rtol, atol=self.view.atol,
                         extra=extra)

    def apply(self, ws: Workspace) -> None:
        """Put a workspace back: tolerances, compare targets, the run history, the model and the form's inputs."""
        rp, extra = self.window.run_panel, ws.extra if isinstance(ws.extra, dict) else {}
        self.view.set_tolerances(ws.rtol, ws.atol)
        self.view.clear_targets()
        compare = extra.get("compare") or {}
        for data in compare.get("targets", []):
            spec = spec_of(data)
            if spec is not None:
                self.view.add_target(spec)
        self.view.set_reference(int(compare.get("reference", 0) or 0))

        history = extra.get("history") or {}
        rp.history.clear()
        for record in ws.runs:
            saved = history.get(record.id) or {}
            entry_sources = {k: Source.from_dict(v) for k, v in (saved.get("sources") or {}).items()}
            rp.history.add(record, entry_sources, saved.get("batch"),
                           None if record.error else prediction_of(record))

        spec = spec_of(extra.get("run_target"))
        if spec is None and ws.current_target:
            try:
                spec = spec_from_text(ws.current_target)
            except ExplorerError:
                spec = None
        if spec is None:
            return
        batch = extra.get("batch") if isinstance(extra.get("batch"), int) else 1
        for key, inputs in (ws.sources or {}).items():
            rp.form.remember(spec.key(), key, {k: Source.from_dict(v) for k, v in inputs.items()}, batch)
        if spec.kind == "folder":
            if not os.path.exists(spec.target):
                self.window.messages.show_message(
                    f"The workspace's model {spec.target} is not there any more; its runs and inputs are restored.",
                    "warning", fix="Open the model's new location with File ▸ Open Model….")
                return
            self._pending_signature = ws.signature or None
            tag_set = dict(spec.options).get("tag_set")
            self.window.open_model(spec.target, version=spec.version, tag_set=tag_set)
        else:
            rp.set_target(spec.target, spec.kind, spec.version, spec.options, spec.engine)

    # --- files ---------------------------------------------------------------------------------------------------

    def save_to(self, path) -> Task:
        """Save the window's workspace to `path` on the worker (the .sigx suffix is added when missing)."""
        ws = self.snapshot()
        self.window.statusBar().showMessage(f"Saving the workspace to {path} …")
        return self.worker.submit(save_workspace, path, ws, caller="save", supersede=False,
                                  name="saving the workspace", on_done=self._on_saved, on_failed=self._on_failed)

    def open_from(self, path) -> Task:
        """Read a workspace file on the worker and apply it; a bad file is explained inline."""
        self.window.statusBar().showMessage(f"Opening the workspace {path} …")
        return self.worker.submit(load_workspace, path, caller="open", name="opening the workspace",
                                  on_done=lambda task, ws: self._on_loaded(Path(path), ws), on_failed=self._on_failed)

    def autosave_path(self) -> Path:
        """This window's autosave: another running window has its own and never touches this one."""
        return self.slot.path

    def autosave(self) -> Task | None:
        """Write the session to the config dir's autosave file on the worker (after every run)."""
        ws = self.snapshot()
        if _empty(ws):
            return None
        return self.worker.submit(save_workspace, self.autosave_path(), ws, caller="autosave",
                                  supersede=False, name="autosaving the session",
                                  on_done=lambda task, p: self.autosaved.emit(str(p)),
                                  on_failed=lambda task, error: self.window.statusBar().showMessage(
                                      f"Autosave failed: {error}"))

    def autosave_now(self) -> Path | None:
        """Write the autosave at once, on this thread: the app is quitting and a worker may not finish."""
        ws = self.snapshot()
        if _empty(ws):
            return None
        try:
            return save_workspace(self.autosave_path(), ws)
        except SessionFileError:
            return None  # quitting: nowhere left to say it; the previous autosave is still intact

    def offer_restore(self) -> QtWidgets.QMessageBox | None:
        """Offer (without blocking) the newest autosave no running window holds, naming what it would restore; a
        session of another model than the one the app was started on is only mentioned in the status bar."""
        orphans = self.slot.orphans()
        if not orphans:
            return None
        info = orphans[0]
        if self.launch_path and info.target and not same_target(self.launch_path, info.target):
            self.window.statusBar().showMessage(
                f"An earlier session of another model is kept ({info.describe()}): File ▸ Open Session… {info.path}")
            return None
        try:
            previous = self.slot.claim(info)  # this window's now: no other window offers it too
        except OSError:
            previous = info.path
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Restore the last session?",
                                    "<b>Restore the last session?</b>", parent=self.window)
        box.setInformativeText(f"{html.escape(info.describe(), quote=False)}<br><br>Its model, inputs and runs were saved after every "
                               "run and on quit. Start Fresh leaves them in the file (Show Details…) until the next "
                               "start.")
        box.setDetailedText(str(previous))
        grid = box.layout()
        if isinstance(grid, QtWidgets.QGridLayout):  # QMessageBox wraps at a narrow width; give the text room
            grid.addItem(QtWidgets.QSpacerItem(460, 0, QtWidgets.QSizePolicy.Policy.Minimum,
                                               QtWidgets.QSizePolicy.Policy.Expanding),
                         grid.rowCount(), 0, 1, grid.columnCount())
        restore = box.addButton("Restore", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Start Fresh", QtWidgets.QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(lambda button: self.open_from(previous) if button is restore else None)
        self.restore_box = box
        box.open()  # not exec(): the window keeps running behind it
        self.restore_offered.emit(box)
        return box

    def export_outputs(self, folder, fmt: str = "npy", record: RunRecord | None = None) -> list[Path]:
        """Write the outputs of `record` (default: the selected run, else the latest that has outputs)."""
        record = record or self._chosen_record()
        if record is None:
            raise ExplorerError("There are no outputs to export yet.", fix="Run the signature first (Ctrl+Enter).")
        try:
            written = export_outputs(record.outputs, folder, fmt)
        except OSError as exc:
            raise SessionFileError(f"Could not export to {folder}: {exc.strerror or exc}.",
                                   fix="Choose a folder you can write to.") from exc
        self.window.statusBar().showMessage(f"Exported {len(written)} output{'s' * (len(written) != 1)} "
                                            f"as {fmt} to {folder}")
        return written

    # --- compare ---------------------------------------------------------------------------------------------------

    def compare_all_versions(self) -> Task | None:
        """One compare column per version of the open base path; the form's inputs go to all of them."""
        base = self._base_path()
        if base is None:
            self.window.messages.show_message("Open a TF Serving base path (a folder of numbered versions) first.",
                                              "info", fix="File ▸ Open Model…, then the folder above 1/, 2/, …")
            return None
        self.view.clear_targets()
        try:
            self.view.add_all_versions(base)
        except ExplorerError as exc:
            self.window.messages.show_error(exc)
            return None
        self.window.show_panel(COMPARE)
        return self.view.compare()

    def replay(self, record: RunRecord, target: str | RunSpec, version: int | None = None) -> list[Task]:
        """Send a saved run's exact input arrays to another target, beside the run's recorded outputs."""
        if record.error or not record.inputs:
            raise ExplorerError("That run has no saved inputs to replay.", fix="Pick a run that succeeded.")
        spec = target if isinstance(target, RunSpec) else spec_from_text(str(target), version)
        self.view.clear_targets()
        where = os.path.basename(record.target.rstrip("/\\")) or record.target
        version = f" v{record.version}" if record.version is not None else ""
        self.view.add_recorded(prediction_of(record), f"recorded: {where}{version}")
        self.view.add_target(spec)
        self.window.show_panel(COMPARE)
        return self.view.compare_arrays(record.signature, record.inputs)

    def open_replay_dialog(self) -> "ReplayDialog | None":
        entries = [e for e in self.window.run_panel.history.entries() if e.ok and e.record.inputs]
        if not entries:
            self.window.messages.show_message("No run to replay yet.", "info",
                                              fix="Run a signature first, or open a saved workspace.")
            return None
        dialog = ReplayDialog(entries, self._target_suggestions(), self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        selected = self.window.run_panel.history.selected()
        if selected in entries:
            dialog.runs.setCurrentRow(entries.index(selected))
        dialog.accepted.connect(lambda: self._on_replay_accepted(dialog))
        self.replay_dialog = dialog
        dialog.open()
        return dialog

    # --- internals ---------------------------------------------------------------------------------------------

    def _form_request(self):
        rp = self.window.run_panel
        if rp.signature() is None:
            return None
        return (rp.signature(), rp.form.sources(), rp.form.batch_size(),
                {k: set(v) for k, v in rp.form.offers.items()})

    def _open_targets(self) -> list[RunSpec]:
        specs = []
        info = self.window.model()
        if info is not None:
            options = (("tag_set", tuple(info.tag_set)),) if info.tag_set else ()
            specs.append(RunSpec(info.path, "folder", "auto", info.version, options))
        server = getattr(self.window, "server", None)
        endpoint = getattr(server, "endpoint", None)
        if endpoint is not None:
            specs.append(RunSpec(endpoint.url(), endpoint.kind(), endpoint.kind(), None,
                                 tuple(sorted(endpoint.runner_options().items()))))
        return specs

    def _base_path(self) -> str | None:
        from explorer.core.savedmodel import list_versions

        info = self.window.model()
        if info is None:
            return None
        # The path opened, or -- when a version folder itself was opened -- the base path above it.
        for candidate in (info.path, os.path.dirname(os.path.abspath(info.model_dir))):
            if list_versions(candidate):
                return candidate
        return None

    def _target_suggestions(self) -> list[str]:
        out = []
        for spec in self._open_targets() + self.view.specs():
            if spec.target not in out:
                out.append(spec.target)
        for path in self.window.settings.recent_models():
            if path not in out:
                out.append(path)
        return out

    def _chosen_record(self) -> RunRecord | None:
        history = self.window.run_panel.history
        selected = history.selected()
        if selected is not None and selected.ok and selected.record.outputs:
            return selected.record
        return next((e.record for e in history.entries() if e.ok and e.record.outputs), None)

    def _update_actions(self) -> None:
        has_runs = any(e.ok for e in self.window.run_panel.history.entries())
        for a in (self.export_npy_action, self.export_csv_action, self.replay_action):
            a.setEnabled(has_runs)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self.autosave_now()  # on quit: a crash later (or a kill) loses nothing of this session
            self.slot.close()  # this window is done: its autosave may be offered to the next start
        return False

    # --- slots ---------------------------------------------------------------------------------------------------

    def _on_run_finished(self, *_):
        self._update_actions()
        self.autosave()

    def _on_window_model_opened(self, info) -> None:
        key, self._pending_signature = self._pending_signature, None
        if key and key in info.user_signatures:
            # After the tree picked the default signature: the workspace's one wins.
            QtCore.QTimer.singleShot(0, self, lambda: self.window.tree.select_signature(key))

    def _on_saved(self, task: Task, path: Path) -> None:
        self.path = Path(path)
        self.window.statusBar().showMessage(f"Workspace saved to {path}")
        self.saved.emit(str(path))

    def _on_loaded(self, path: Path, ws: Workspace) -> None:
        if path.parent != self.slot.folder:  # a restored autosave is not where Save should write
            self.path = path
        try:
            self.apply(ws)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
            # The window's own state in the file ('extra', saved verbatim) was hand-edited or damaged: say so,
            # keep what was restored, never let the exception escape into Qt.
            import traceback

            self.window.messages.show_error(SessionFileError(
                f"Parts of {path.name} could not be restored: the window's saved state in it is damaged.",
                details=traceback.format_exc(), fix="Re-save the workspace once it looks right."))
        self._update_actions()
        runs = len(ws.runs)
        self.window.statusBar().showMessage(f"Workspace {path.name} opened: {runs} run{'s' * (runs != 1)}")
        self.opened.emit(ws)

    def _on_failed(self, task: Task, error: ExplorerError) -> None:
        self.window.messages.show_error(error)
        self.window.statusBar().showMessage(str(error))

    def _on_save_triggered(self) -> None:
        if self.path is None:
            self._on_save_as_triggered()
        else:
            self.save_to(self.path)

    def _on_save_as_triggered(self) -> None:
        start = str(self.path or Path(self.window.settings.get("last_folder", str(Path.home()))) / f"session{SUFFIX}")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save the workspace", start, FILTER)
        if path:
            self.save_to(path)

    def _on_open_triggered(self) -> None:
        start = str(self.path.parent if self.path else self.window.settings.get("last_folder", str(Path.home())))
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open a workspace", start,
                                                        f"{FILTER};;All files (*)")
        if path:
            self.open_from(path)

    def _on_export_triggered(self, fmt: str) -> None:
        start = self.window.settings.get("last_folder", str(Path.home()))
        folder = QtWidgets.QFileDialog.getExistingDirectory(self.window, f"Export the outputs as {fmt}", start)
        if folder:
            try:
                self.export_outputs(folder, fmt)
            except ExplorerError as exc:
                self.window.messages.show_error(exc)

    def _on_compare_now_triggered(self) -> None:
        self.window.show_panel(COMPARE)
        self.view.compare()

    def _on_open_targets_triggered(self) -> None:
        self.view.add_open_targets()
        self.window.show_panel(COMPARE)

    def _on_replay_accepted(self, dialog: "ReplayDialog") -> None:
        entry = dialog.entry()
        if entry is None:
            return
        try:
            self.replay(entry.record, dialog.target_text(), dialog.version())
        except ExplorerError as exc:
            self.window.messages.show_error(exc)


class ReplayDialog(QtWidgets.QDialog):
    """Pick a run from the history and a target to send its saved input arrays to."""

    def __init__(self, entries: list, suggestions: list[str], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Replay a run on another target")
        self._entries = entries
        self.runs = QtWidgets.QListWidget()
        for e in entries:
            r = e.record
            where = os.path.basename(r.target.rstrip("/")) or r.target
            version = f" v{r.version}" if r.version is not None else ""
            item = QtWidgets.QListWidgetItem(f"#{e.number}  {r.signature} on {where}{version} ({r.engine}) — "
                                             f"{e.summary()}")
            item.setToolTip(r.target)
            self.runs.addItem(item)
        self.runs.setCurrentRow(0)
        self.target_box = QtWidgets.QComboBox()
        self.target_box.setEditable(True)
        self.target_box.addItems(suggestions)
        self.target_box.setCurrentText("")
        self.target_box.lineEdit().setPlaceholderText("model folder, base path, rest://host:port/model or grpc://…")
        self.version_edit = QtWidgets.QLineEdit()
        self.version_edit.setPlaceholderText("newest")
        self.version_edit.setValidator(QtGui.QIntValidator(0, 2**31 - 1, self.version_edit))
        self.version_edit.setMaximumWidth(90)
        form = QtWidgets.QFormLayout()
        form.addRow("Run", self.runs)
        form.addRow("Target", self.target_box)
        form.addRow("Version", self.version_edit)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Replay and Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(680, 360)

    def entry(self):
        row = self.runs.currentRow()
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def target_text(self) -> str:
        return self.target_box.currentText().strip()

    def version(self) -> int | None:
        text = self.version_edit.text().strip()
        return int(text) if text else None


def _menu(window, name: str) -> QtWidgets.QMenu | None:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == name and action.menu() is not None:
            return action.menu()
    return None


def _empty(ws: Workspace) -> bool:
    return not ws.runs and not ws.current_target and not ws.extra.get("compare", {}).get("targets")
