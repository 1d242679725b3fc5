"""ServerActions: the window's link to one TF Serving endpoint -- the Server menu (Connect… Ctrl+Shift+O, Refresh,
Disconnect, Show Request… Ctrl+Shift+C), the Server tab, the "Local ⇄ Server" tab (signature diff and the outputs
of one request sent to both), and the run panel's "Run on: Local / Server / Both".

Composition and signal wiring only, kept out of main_window.py: the work happens in the widgets and on workers.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.errors import ExplorerError

from .run_panel import RunSpec
from .widgets.both_outputs import BothOutcome, BothOutputs, run_both
from .widgets.endpoint_dialog import Endpoint, EndpointDialog
from .widgets.request_dialog import ShowRequestDialog
from .widgets.server_panel import ServerPanel, ServerState
from .widgets.signature_diff import SignatureDiffView
from .workers import Task, Worker

SERVER = "Server"
LOCAL_SERVER = "Local ⇄ Server"
RUN_ON = (("Local", "local"), ("Server", "server"), ("Both", "both"))


def _close(runner) -> None:
    runner.close()


class ServerActions(QtCore.QObject):
    """Attaches the TF Serving features to a MainWindow; `connect_to(endpoint)` is the programmatic entry."""

    connected = QtCore.Signal(object)  # Endpoint
    disconnected = QtCore.Signal()
    both_done = QtCore.Signal(object)  # BothOutcome

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.worker = Worker(self)
        self.endpoint: Endpoint | None = None
        self.dialog: EndpointDialog | None = None
        self.request_dialog: ShowRequestDialog | None = None
        self._local_runner = None  # for Both, when the run panel's own runner is not loaded yet
        self._server_runner = None
        self._both_task: Task | None = None

        style = window.style()
        sp = QtWidgets.QStyle.StandardPixmap
        self.panel = ServerPanel()
        self.diff_view = SignatureDiffView()
        self.both = BothOutputs()
        self.page = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.page.addWidget(self.diff_view)
        self.page.addWidget(self.both)
        # Before a Both run the signature diff is what there is to read: it gets the height (the outputs were empty
        # placeholders while the diff showed one row). Once both sides answered, the outputs (two plots side by side,
        # 180 px each at least) need it more: at 1280x800 the server-side plot was 8 px tall. A drag is kept.
        self.page.setStretchFactor(0, 0)
        self.page.setStretchFactor(1, 1)
        self._page_dragged = False
        self.page.splitterMoved.connect(self._on_page_dragged)
        self._share_page(outputs=False)
        # No fixed minimum here: the diff view's own (its sentences whole, its tree scrolls) is what a splitter keeps.
        window.add_panel(SERVER, self.panel, style.standardIcon(sp.SP_DriveNetIcon))
        window.add_panel(LOCAL_SERVER, self.page, style.standardIcon(sp.SP_FileDialogContentsView))
        self._set_tab_visible(self.panel, False)
        self._set_tab_visible(self.page, False)

        self.connect_action = QtGui.QAction(style.standardIcon(sp.SP_DriveNetIcon), "&Connect to a Model Server…", self)
        self.connect_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+O"))
        self.connect_action.setToolTip("Connect to a model on a TF Serving server (REST or gRPC) (Ctrl+Shift+O)")
        self.connect_action.setIconText("Connect")
        self.connect_action.triggered.connect(self.open_connect_dialog)
        self.refresh_action = QtGui.QAction(style.standardIcon(sp.SP_BrowserReload), "&Refresh Server Status", self)
        self.refresh_action.triggered.connect(self.panel.refresh)
        self.disconnect_action = QtGui.QAction("&Disconnect", self)
        self.disconnect_action.triggered.connect(self.disconnect)
        self.request_action = QtGui.QAction("Show &Request…", self)
        self.request_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+C"))
        self.request_action.setToolTip("The current form's request as curl, Python (REST/gRPC) or saved_model_cli "
                                       "(Ctrl+Shift+C)")
        self.request_action.triggered.connect(self.show_request)
        for action in (self.connect_action, self.request_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)  # shortcuts work wherever the focus is in the window

        self.menu = QtWidgets.QMenu("&Server", window)
        self.menu.addAction(self.connect_action)
        self.menu.addAction(self.refresh_action)
        self.menu.addAction(self.disconnect_action)
        self.menu.addSeparator()
        self.menu.addAction(self.request_action)
        bar = window.menuBar()
        help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, self.menu)
        else:
            bar.addMenu(self.menu)
        if getattr(window, "toolbar", None) is not None:
            window.toolbar.addAction(self.connect_action)

        run_panel = window.run_panel
        self.run_on_label = QtWidgets.QLabel("Run on")
        self.run_on_box = QtWidgets.QComboBox()
        for text, mode in RUN_ON:
            self.run_on_box.addItem(text, mode)
        self.run_on_box.setToolTip("Local: the open folder · Server: the connected endpoint · Both: the same "
                                   "inputs to both, outputs side by side in the Local ⇄ Server tab")
        at = run_panel.bar.indexOf(run_panel.engine_box) + 1
        run_panel.bar.insertWidget(at, self.run_on_label)
        run_panel.bar.insertWidget(at + 1, self.run_on_box)
        self.run_on_box.currentIndexChanged.connect(self._on_run_on_box_changed)

        self.panel.refreshed.connect(self._on_panel_refreshed)
        self.panel.edit_requested.connect(self.open_connect_dialog)
        self.panel.disconnect_requested.connect(self.disconnect)
        window.model_opened.connect(self._on_window_model_opened)
        window.model_closed.connect(self._on_window_model_closed)
        window.signature_selected.connect(self._on_window_signature_selected)
        self._update_actions()

    # --- API ---------------------------------------------------------------------------------------------------

    def open_connect_dialog(self) -> EndpointDialog:
        """Open the connect dialog (window-modal, not blocking); accepting it connects."""
        dialog = EndpointDialog(self.window.settings, self.endpoint, self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.connect_to(dialog.endpoint()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def connect_to(self, endpoint: Endpoint) -> Task | None:
        """Show `endpoint` in the Server tab and ask it for versions and signatures."""
        self._drop_runners()
        self.endpoint = endpoint
        self._set_tab_visible(self.panel, True)
        self.window.show_panel(SERVER)
        self.window.statusBar().showMessage(f"Connecting to {endpoint.url()} …")
        task = self.panel.set_endpoint(endpoint)
        self._update_actions()
        if self.run_on() == "server":
            self._apply_run_on("server")
        self.connected.emit(endpoint)
        return task

    def disconnect(self) -> None:
        """Forget the endpoint; the run panel goes back to the local model."""
        self.endpoint = None
        self.set_run_on("local")
        self.panel.set_endpoint(None)
        self._drop_runners()
        self._set_tab_visible(self.panel, False)
        self._set_tab_visible(self.page, False)
        self.diff_view.set_report(None)
        self.both.clear()
        self._update_actions()
        self.window.statusBar().showMessage("Disconnected from the server.")
        self.disconnected.emit()

    def run_on(self) -> str:
        """"local" | "server" | "both"."""
        return self.run_on_box.currentData()

    def set_run_on(self, mode: str) -> None:
        index = self.run_on_box.findData(mode)
        if index < 0:
            raise ValueError(f"run on must be one of {[m for _, m in RUN_ON]}, not {mode!r}")
        self.run_on_box.setCurrentIndex(index)

    def run_both(self) -> Task | None:
        """Send the form's request to the local model and to the server (same arrays); results in Local ⇄ Server."""
        rp = self.window.run_panel
        info, signature = self.window.model(), rp.signature()
        if info is None or self.endpoint is None or signature is None:
            rp.message.show_message("Both needs an open model, a connected server and a selected signature.",
                                    "info", fix="Open a model (Ctrl+O) and connect to a server (Ctrl+Shift+O).")
            return None
        if self._both_task is not None and not self._both_task.finished:
            return None
        rp.message.clear()
        local_spec = rp.spec if rp.spec is not None and rp.spec.kind == "folder" else RunSpec(
            info.path, "folder", "auto", info.version)
        local_runner = rp.runner if rp.spec is local_spec and rp.runner is not None else self._local_runner
        self._both_task = self.worker.submit(
            run_both, local_runner, local_spec, self._server_runner, self._server_spec(), signature,
            rp.form.sources(), rp.form.batch_size(), {k: set(v) for k, v in rp.form.offers.items()},
            caller="both", name=f"running {signature.key} on local and server",
            on_done=self._on_both_done, on_failed=self._on_both_failed)
        rp.status.setText(f"Running {signature.key} locally and on {self.endpoint.url()} …")
        rp.run_button.setEnabled(False)
        return self._both_task

    def show_request(self) -> ShowRequestDialog | None:
        """The current form's request as code, for the target the run panel runs on."""
        rp = self.window.run_panel
        signature = rp.signature()
        if signature is None:
            self.window.messages.show_message("Select a signature and fill in its inputs to see its request.",
                                              "info", fix="Open a model (Ctrl+O) or connect to a server first.")
            return None
        info = self.window.model()
        mode = self.run_on()
        endpoint = self.endpoint
        prefer = None
        if mode == "local" or endpoint is None:
            prefer = "saved_model_cli" if info is not None else None
        dialog = ShowRequestDialog(self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show_form(signature, rp.form.sources(), rp.form.batch_size(),
                         {k: set(v) for k, v in rp.form.offers.items()}, info.path if info else None,
                         info.version if info else None, endpoint, prefer=prefer)
        self.request_dialog = dialog
        dialog.open()
        return dialog

    def refresh_diff(self) -> Task | None:
        """Compare the open folder with the server's signatures (when both are there)."""
        info, state = self.window.model(), self.panel.state()
        both = info is not None and state is not None and state.signatures is not None
        self._set_tab_visible(self.page, both)
        if not both:
            return None
        return self.diff_view.compare(info, state.signatures, state.served_version, state.endpoint.url())

    # --- run-on switching -------------------------------------------------------------------------------------

    def _server_spec(self) -> RunSpec:
        ep = self.endpoint
        return RunSpec(ep.url(), ep.kind(), ep.kind(), None, tuple(sorted(ep.runner_options().items())))

    def _apply_run_on(self, mode: str) -> None:
        rp = self.window.run_panel
        info = self.window.model()
        current = rp.signature()
        key = current.key if current is not None else (self.window.current_signature() or None)
        key = getattr(key, "key", key)
        sources, batch = (rp.form.sources(), rp.form.batch_size()) if current is not None else ({}, None)
        rp.run_handler = self.run_both if mode == "both" else None
        if mode == "server" and self.endpoint is not None:
            if rp.spec is None or rp.spec.target != self.endpoint.url():
                rp.set_target(self.endpoint.url(), self.endpoint.kind(),
                              options=tuple(sorted(self.endpoint.runner_options().items())))
            served = self.panel.signatures()
            signature = served.get(key) if key else None
            if signature is None and served and not key:
                signature = served.get("serving_default") or next(iter(served.values()))
            rp.set_signature(signature)
            if signature is None and key:
                rp.message.show_message(f"The server does not serve a signature '{key}'.", "warning",
                                        fix="Pick one of the server's signatures in the Server tab, or run locally.")
        else:
            if rp.spec is None or rp.spec.kind != "folder":
                rp.set_model(info)
            signature = info.signatures.get(key) if info is not None and key else None
            rp.set_signature(signature)
        if sources and rp.signature() is not None:
            rp.form.set_sources(sources, batch)  # the same inputs follow the switch
        self._point_diagnostics(mode, rp.signature())

    def _point_diagnostics(self, mode: str, signature) -> None:
        """The Diagnostics tab checks where Run goes: the server (probed beside the open folder, which names a
        stale or pinned version, another model or a cache) or the folder. Before, it only ever checked the folder,
        so "the server answers the same for every input" could not be diagnosed in the window."""
        diagnostics = getattr(self.window, "diagnostics", None)
        if diagnostics is None:
            return
        info = self.window.model()
        key = getattr(signature, "key", None)
        if mode == "server" and self.endpoint is not None:
            diagnostics.set_target(self.endpoint.url(), key)
            diagnostics.set_compare_folder(info.path if info is not None else None)
        elif info is not None:
            diagnostics.set_target(info.path, key, version=info.version)
            diagnostics.set_compare_folder(None)
        else:
            diagnostics.set_target(None)

    def _on_run_on_box_changed(self, *_) -> None:
        self._apply_run_on(self.run_on())

    # --- slots ---------------------------------------------------------------------------------------------------

    def _on_panel_refreshed(self, state: ServerState) -> None:
        versions = ", ".join(f"{s.version} {s.state}" for s in state.statuses) or "no versions"
        self.window.statusBar().showMessage(f"{state.endpoint.url()}: {versions}")
        self.refresh_diff()
        if self.run_on() == "server":
            self._apply_run_on("server")  # the served signatures may have changed
        self._update_actions()

    def _on_window_model_opened(self, info) -> None:
        if self._local_runner is not None:
            self.worker.submit(_close, self._local_runner, caller=f"close-{id(self._local_runner)}")
            self._local_runner = None
        if self.run_on() != "local":
            self.set_run_on("local")  # a model just opened: run it where it is
        self.both.clear()
        self.refresh_diff()
        self._update_actions()

    def _on_window_model_closed(self) -> None:
        if self.run_on() == "both":
            self.set_run_on("server" if self.endpoint is not None else "local")
        self.refresh_diff()
        self._update_actions()

    def _on_window_signature_selected(self, info, signature) -> None:
        if self.run_on() == "server":
            self._apply_run_on("server")  # show the server's version of the chosen signature

    def _on_page_dragged(self, *_args) -> None:
        self._page_dragged = True

    def _share_page(self, outputs: bool) -> None:
        """The Local ⇄ Server tab's split: the diff first until both sides have outputs, then the outputs."""
        if self._page_dragged:
            return
        total = sum(self.page.sizes()) or 750
        diff = 110 if outputs else int(total * 0.62)
        self.page.setSizes([diff, max(total - diff, 1)])

    def _on_both_done(self, task: Task, outcome: BothOutcome) -> None:
        rp = self.window.run_panel
        if outcome.local_runner is not rp.runner:
            self._local_runner = outcome.local_runner
        self._server_runner = outcome.server_runner
        signature = rp.signature()
        self.both.show_outcome(outcome, signature, self.panel.signatures().get(outcome.request.signature))
        self._share_page(outputs=True)
        self._set_tab_visible(self.page, True)
        self.window.show_panel(LOCAL_SERVER)
        verdict = ("agree" if outcome.diff is not None and outcome.diff.equal else
                   "differ" if outcome.diff is not None else "could not both run")
        rp.status.setText(f"{outcome.request.signature} on local and server: outputs {verdict}.")
        rp.run_button.setEnabled(True)
        self.both_done.emit(outcome)

    def _on_both_failed(self, task: Task, error: ExplorerError) -> None:
        from .consent import unsafe_report

        rp = self.window.run_panel
        rp.message.show_error(error)
        rp.status.setText("Not run.")
        rp.run_button.setEnabled(True)
        report = unsafe_report(error)
        consent = getattr(self.window, "consent", None)
        if report is not None and consent is not None:  # the local side has unsafe ops: ask, then run both again
            consent.ask(report, self.window, on_granted=self.run_both, action="run it")

    # --- internals ---------------------------------------------------------------------------------------------

    def _drop_runners(self) -> None:
        for runner in (self._local_runner, self._server_runner):
            if runner is not None:
                self.worker.submit(_close, runner, caller=f"close-{id(runner)}")
        self._local_runner = self._server_runner = None

    def _set_tab_visible(self, widget: QtWidgets.QWidget, visible: bool) -> None:
        index = self.window.tabs.indexOf(widget)
        if index >= 0:
            self.window.tabs.setTabVisible(index, visible)

    def _update_actions(self) -> None:
        has_server = self.endpoint is not None
        has_model = self.window.model() is not None
        self.refresh_action.setEnabled(has_server)
        self.disconnect_action.setEnabled(has_server)
        model = self.run_on_box.model()
        for i, (_, mode) in enumerate(RUN_ON):
            enabled = {"local": has_model, "server": has_server, "both": has_model and has_server}[mode]
            model.item(i).setEnabled(enabled)
        self.run_on_label.setVisible(has_server)
        self.run_on_box.setVisible(has_server)
