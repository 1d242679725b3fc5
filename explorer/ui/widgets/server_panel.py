"""ServerPanel: one TF Serving or KServe V2 endpoint -- its versions and their states, the served signatures, refresh (manual or
automatic), and the server's errors explained inline with its own text behind Details.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.errors import ExplorerError, ServingError
from explorer.core.serving_status import VersionStatus
from explorer.core.signature import Signature

from ..workers import Task, Worker
from .endpoint_dialog import Endpoint, state_colour
from .message_bar import MessageBar
from .signature_tree import SignatureTree

VERSION, STATE, CODE, MESSAGE = range(4)
AUTO_REFRESH_S = 5
NOT_CONNECTED = "Connect to a TF Serving model to see the signatures it serves."


@dataclass(frozen=True, eq=False)
class ServerState:
    """What one refresh found: versions with states, the served signatures (None when metadata failed) and why."""

    endpoint: Endpoint
    statuses: tuple[VersionStatus, ...]
    signatures: dict[str, Signature] | None = None
    served_version: int | None = None  # the version metadata came from (the one requests hit)
    metadata_error: ExplorerError | None = None
    fetched_at: float = field(default_factory=time.time)

    @property
    def available(self) -> list[int]:
        return [s.version for s in self.statuses if s.available]


def fetch_server_state(endpoint: Endpoint) -> ServerState:
    """Status, then metadata, of the endpoint's model (network calls: run it on a worker). A status failure raises
    (nothing useful is known); a metadata failure is kept, because the versions explain it (e.g. none AVAILABLE)."""
    runner = endpoint.open_runner()
    try:
        statuses = tuple(runner.status())
        try:
            signatures = runner.metadata()
        except ServingError as exc:
            return ServerState(endpoint, statuses, None, None, exc)
        # Both runners record which version answered the metadata call; requests without a version hit the same.
        served = getattr(runner, "_served_version", None)
        return ServerState(endpoint, statuses, signatures, served)
    finally:
        runner.close()


class ServerPanel(QtWidgets.QWidget):
    """Shows a connected endpoint; set_endpoint() starts a refresh on the worker, results arrive as signals."""

    refreshed = QtCore.Signal(object)  # ServerState
    refresh_failed = QtCore.Signal(object)  # ExplorerError
    signature_selected = QtCore.Signal(object)  # a served Signature (or None)
    edit_requested = QtCore.Signal()  # the user wants to change the endpoint (the window opens the dialog)
    disconnect_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, worker: Worker | None = None):
        super().__init__(parent)
        self.worker = worker or Worker(self)
        self._endpoint: Endpoint | None = None
        self._state: ServerState | None = None
        self._task: Task | None = None

        self.title = QtWidgets.QLabel("Not connected")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label = QtWidgets.QLabel("File ▸ Connect to a Model Server… (Ctrl+Shift+O)")
        self.url_label.setStyleSheet("color: #6e7781;")
        self.url_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        style = self.style()
        self.refresh_button = QtWidgets.QToolButton()
        self.refresh_button.setText("Refresh")
        self.refresh_button.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_BrowserReload))
        self.refresh_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.refresh_button.setToolTip("Ask the server again for versions and signatures")
        self.refresh_button.clicked.connect(self.refresh)
        self.auto_check = QtWidgets.QCheckBox("Auto every")
        self.auto_check.setToolTip("Refresh on a timer, e.g. to watch a new version load")
        self.auto_check.toggled.connect(self._on_auto_check_toggled)
        self.auto_seconds = QtWidgets.QSpinBox()
        self.auto_seconds.setRange(1, 3600)
        self.auto_seconds.setValue(AUTO_REFRESH_S)
        self.auto_seconds.setSuffix(" s")
        self.auto_seconds.setToolTip("Seconds between automatic refreshes")
        self.auto_seconds.valueChanged.connect(self._on_auto_seconds_changed)
        self.edit_button = QtWidgets.QToolButton()
        self.edit_button.setText("Edit…")
        self.edit_button.setToolTip("Change the endpoint")
        self.edit_button.clicked.connect(self.edit_requested)
        self.disconnect_button = QtWidgets.QToolButton()
        self.disconnect_button.setText("Disconnect")
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self._on_timer_timeout)

        self.message = MessageBar()
        self.versions = QtWidgets.QTableWidget(0, 4)
        self.versions.setHorizontalHeaderLabels(["Version", "State", "Status", "Message"])
        self.versions.verticalHeader().hide()
        self.versions.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions.horizontalHeader().setStretchLastSection(True)
        self.versions.setMaximumHeight(130)
        self.served_label = QtWidgets.QLabel("Served signatures")
        self.tree = SignatureTree()
        self.tree.tree.placeholder = NOT_CONNECTED
        self.tree.signature_selected.connect(self.signature_selected)

        # Long endpoint names must not widen the window: the labels wrap, the buttons get their own row.
        for label in (self.title, self.url_label):
            label.setWordWrap(True)
            label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        buttons = QtWidgets.QHBoxLayout()
        for w in (self.refresh_button, self.auto_check, self.auto_seconds, self.edit_button, self.disconnect_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.url_label)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.versions)
        layout.addWidget(self.served_label)
        layout.addWidget(self.tree, 1)
        self._update_actions()

    # --- API ---------------------------------------------------------------------------------------------------

    def set_endpoint(self, endpoint: Endpoint | None) -> Task | None:
        """Show `endpoint` (None disconnects) and refresh it at once."""
        self._endpoint = endpoint
        self._state = None
        self.message.clear()
        self.versions.setRowCount(0)
        self.tree.tree.placeholder = NOT_CONNECTED if endpoint is None else f"Asking {endpoint.url()} …"
        self.tree.set_signatures({})
        if endpoint is None:
            self.worker.cancel("server-refresh")
            self.timer.stop()
            self.auto_check.setChecked(False)
            self.title.setText("Not connected")
            self.url_label.setText("File ▸ Connect to a Model Server… (Ctrl+Shift+O)")
            self.served_label.setText("Served signatures")
            self._update_actions()
            return None
        self.title.setText(endpoint.title())
        tls = " · TLS" if endpoint.tls else ""
        headers = f" · headers: {', '.join(k for k, _ in endpoint.headers)}" if endpoint.headers else ""
        self.url_label.setText(f"{endpoint.url()}{tls}{headers}")
        return self.refresh()

    def endpoint(self) -> Endpoint | None:
        return self._endpoint

    def state(self) -> ServerState | None:
        """The last successful refresh, or None."""
        return self._state

    def statuses(self) -> list[VersionStatus]:
        return list(self._state.statuses) if self._state else []

    def signatures(self) -> dict[str, Signature]:
        return dict(self._state.signatures or {}) if self._state else {}

    def refresh(self) -> Task | None:
        """Fetch versions and signatures on the worker (a refresh still running is superseded)."""
        if self._endpoint is None:
            return None
        self._task = self.worker.submit(fetch_server_state, self._endpoint, caller="server-refresh",
                                        name=f"asking {self._endpoint.url()}", on_done=self._on_refresh_done,
                                        on_failed=self._on_refresh_failed)
        self.refresh_button.setEnabled(False)
        return self._task

    def is_refreshing(self) -> bool:
        return self._task is not None and not self._task.finished

    def set_auto_refresh(self, seconds: int | None) -> None:
        """Refresh every `seconds` (None stops)."""
        if seconds:
            self.auto_seconds.setValue(int(seconds))
        self.auto_check.setChecked(bool(seconds))

    def version_row(self, version: int) -> int:
        """The table row of a version, or -1."""
        for row in range(self.versions.rowCount()):
            if self.versions.item(row, VERSION).data(QtCore.Qt.ItemDataRole.UserRole) == version:
                return row
        return -1

    # --- results -------------------------------------------------------------------------------------------------

    def _on_refresh_done(self, task: Task, state: ServerState) -> None:
        if self._endpoint is None or state.endpoint.key() != self._endpoint.key():
            return  # disconnected or changed while asking
        self._state = state
        self._update_actions()
        self._fill_versions(state.statuses)
        if state.metadata_error is not None:
            self.message.show_error(state.metadata_error, "warning")
            self.tree.set_signatures({})
            self.served_label.setText("Served signatures: unavailable")
        else:
            self.message.clear()
            self.tree.set_signatures(state.signatures or {})
            served = f" (version {state.served_version})" if state.served_version is not None else ""
            count = len([s for s in (state.signatures or {}).values() if not s.internal])
            from explorer.core.v2protocol import is_v2

            if is_v2(state.signatures or {}):  # the tree shows it as serving_default; say why there is one
                self.served_label.setText(f"Served signatures{served}: 1 — a KServe V2 model has one signature, its "
                                          "inputs and outputs (shown as serving_default)")
            else:
                self.served_label.setText(f"Served signatures{served}: {count}")
        self.refreshed.emit(state)

    def _on_refresh_failed(self, task: Task, error: ExplorerError) -> None:
        self._update_actions()
        self.message.show_error(error)
        if self._state is None:  # never answered: "Connect to a TF Serving model" read as if nothing was tried
            self.tree.tree.placeholder = "No signatures: the server did not answer for this model (see above)."
            self.tree.tree.viewport().update()
            self.served_label.setText("Served signatures: unavailable")
        self.refresh_failed.emit(error)

    def _fill_versions(self, statuses) -> None:
        self.versions.setRowCount(0)
        for s in statuses:
            row = self.versions.rowCount()
            self.versions.insertRow(row)
            version = QtWidgets.QTableWidgetItem(str(s.version) if s.version != "" else "(none named)")
            version.setData(QtCore.Qt.ItemDataRole.UserRole, s.version)
            state = QtWidgets.QTableWidgetItem(s.state)
            failed = s.error_code not in ("", "OK")
            state.setForeground(QtGui.QColor(state_colour("FAILED" if failed else s.state)))
            bold = state.font()
            bold.setBold(True)
            state.setFont(bold)
            code = QtWidgets.QTableWidgetItem(s.error_code or "OK")
            message = QtWidgets.QTableWidgetItem(s.error_message)
            message.setToolTip(s.error_message)
            if failed:
                code.setForeground(QtGui.QColor("#b3261e"))
                message.setForeground(QtGui.QColor("#b3261e"))
            for col, item in enumerate((version, state, code, message)):
                self.versions.setItem(row, col, item)
        self.versions.resizeColumnsToContents()
        self.versions.horizontalHeader().setStretchLastSection(True)

    # --- slots ---------------------------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        connected = self._endpoint is not None
        self.refresh_button.setEnabled(connected and not self.is_refreshing())
        for w in (self.edit_button, self.disconnect_button, self.auto_check, self.auto_seconds):
            w.setEnabled(connected)

    def _on_auto_check_toggled(self, on: bool) -> None:
        if on and self._endpoint is not None:
            self.timer.start(self.auto_seconds.value() * 1000)
        else:
            self.timer.stop()

    def _on_auto_seconds_changed(self, seconds: int) -> None:
        if self.timer.isActive():
            self.timer.start(seconds * 1000)

    def _on_timer_timeout(self) -> None:
        if not self.is_refreshing():  # a slow server must not pile up requests
            self.refresh()


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.server_panel URL`: the panel for one endpoint, for a quick look."""
    from explorer.core.targets import parse_target

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    if len(argv) < 2:
        print("usage: python -m explorer.ui.widgets.server_panel rest://HOST:PORT/MODEL", file=sys.stderr)
        return 2
    try:
        endpoint = Endpoint.from_target(parse_target(argv[1]))
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    panel = ServerPanel()
    panel.set_endpoint(endpoint)
    panel.resize(900, 600)
    panel.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
