"""EndpointDialog: where a served model is -- TF Serving or a KServe V2 server (MLServer, KServe, Triton) -- (host,
REST/gRPC ports, model, version or label, TLS, headers), "Detect" (which server answers at the port) and "Test
connection" (the versions, on a worker), and remembered endpoints.

Endpoints are remembered in the settings key "endpoints" (most recent first) with header NAMES only: header
values (bearer tokens, API keys) stay in this process's memory for the session and are never written to disk.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core import http
from explorer.core.errors import ExplorerError
from explorer.core.headers import header_problem
from explorer.core.serving_status import VersionStatus
from explorer.core.targets import DEFAULT_PORTS, Target, parse_target

from .. import theme
from ..workers import Task, Worker
from .message_bar import MessageBar

SETTINGS_KEY = "endpoints"
REMEMBER_MAX = 10
PROTOCOLS = ("rest", "grpc")
SERVERS = (("tfserving", "TF Serving"), ("v2", "KServe V2 (MLServer, KServe, Triton)"))
# Target kind by (server, protocol), and back.
_KINDS = {("tfserving", "rest"): "rest", ("tfserving", "grpc"): "grpc", ("v2", "rest"): "v2", ("v2", "grpc"): "v2+grpc"}
_SERVER_OF = {kind: pair for pair, kind in _KINDS.items()}
HEADER_TIP = ("Extra request headers, e.g. Authorization: Bearer …. Only header NAMES are remembered in the "
              "settings file; values such as tokens stay in memory for this session and are never written to disk.")
# A version state's severity: its ink comes from the palette (theme.py), so it reads in light and dark.
STATE_SEVERITY = {"AVAILABLE": "ok", "LOADING": "warning", "START": "warning", "UNLOADING": None, "END": None}


def state_colour(state: str) -> str:
    """The ink of a TF Serving version state (AVAILABLE, LOADING, END, ...; unknown ones read as errors)."""
    severity = STATE_SEVERITY.get(state, "error")
    return theme.colors().inks[severity] if severity else theme.colors().muted

# Header values typed in this session, by endpoint (never saved): reopening the dialog fills them back in.
_SESSION_HEADERS: dict[tuple, dict[str, str]] = {}


@dataclass(frozen=True)
class Endpoint:
    """A model on TF Serving or a KServe V2 server: both ports, the protocol to use, version/label, TLS, headers."""

    host: str = "localhost"
    rest_port: int = DEFAULT_PORTS["rest"]
    grpc_port: int = DEFAULT_PORTS["grpc"]  # 0 when the server's gRPC port is unknown
    model: str = ""
    protocol: str = "rest"  # "rest" | "grpc"
    version: int | str | None = None  # a number for TF Serving, a string for V2

    label: str | None = None
    tls: bool = False
    ca_file: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)  # values may be secrets
    prefix: str = ""  # the path a gateway serves TF Serving's REST API under ("/tfserving")
    timeout: float = http.DEFAULT_TIMEOUT_S  # seconds for each whole request (core/http.py)
    max_response_mb: float = http.DEFAULT_MAX_RESPONSE_MB
    server: str = "tfserving"  # "tfserving" | "v2"

    def kind(self, protocol: str | None = None) -> str:
        """The target kind: rest, grpc, v2 or v2+grpc."""
        return _KINDS[(self.server if self.server in ("tfserving", "v2") else "tfserving", protocol or self.protocol)]

    def port(self, protocol: str | None = None) -> int:
        return self.rest_port if (protocol or self.protocol) == "rest" else self.grpc_port

    def target(self, protocol: str | None = None) -> Target:
        """The core Target for one protocol (default: the chosen one)."""
        protocol = protocol or self.protocol
        if self.server == "v2":
            return Target(kind=self.kind(protocol), host=self.host, port=self.port(protocol), model=self.model,
                          version=None if self.version in (None, "") else str(self.version), tls=self.tls,
                          prefix=self.prefix if protocol == "rest" else "")
        return Target(kind=protocol, host=self.host, port=self.port(protocol), model=self.model, version=self.version,
                      label=self.label if self.version is None else None, tls=self.tls,
                      prefix=self.prefix if protocol == "rest" else "")

    def url(self, protocol: str | None = None) -> str:
        return self.target(protocol).url()

    def key(self) -> tuple:
        """What identifies a remembered endpoint (not the headers)."""
        return (self.host, self.rest_port, self.grpc_port, self.model, self.protocol, self.version, self.label,
                self.server)

    def header_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.headers if k}

    def runner_options(self) -> dict:
        """Keyword arguments for open_runner / RestRunner / GrpcRunner."""
        options: dict = {"timeout": self.timeout, "max_response_mb": self.max_response_mb}
        if self.tls:
            options["tls"] = True
        if self.ca_file:
            options["ca_file"] = self.ca_file
        if self.headers:
            options["headers"] = self.header_dict()
        return options

    def open_runner(self, protocol: str | None = None):
        """A runner for this endpoint (no connection is made until it is used); TF Serving gRPC runs in the engine
        process (its messages import TensorFlow, which the window never does)."""
        from ..workers import open_runner

        return open_runner(self.target(protocol), **self.runner_options())

    def title(self) -> str:
        """'half_plus_two on localhost:8501 (REST), version 123'."""
        what = ("KServe V2 " if self.server == "v2" else "") + ("REST" if self.protocol == "rest" else "gRPC")
        where = f"{self.model} on {self.host}:{self.port()} ({what})"
        if self.version is not None:
            where += f", version {self.version}"
        elif self.label:
            where += f", label {self.label}"
        return where

    def to_settings(self) -> dict:
        """What may be written to disk: everything but header values."""
        return {"host": self.host, "rest_port": self.rest_port, "grpc_port": self.grpc_port, "model": self.model,
                "protocol": self.protocol, "version": self.version, "label": self.label, "tls": self.tls,
                "ca_file": self.ca_file, "header_names": [k for k, _ in self.headers if k], "prefix": self.prefix,
                "timeout": self.timeout, "max_response_mb": self.max_response_mb, "server": self.server}

    @classmethod
    def from_settings(cls, data: dict) -> "Endpoint":
        """Back from to_settings(); header values come from this session's memory, else empty."""
        server = "v2" if data.get("server") == "v2" else "tfserving"
        version = data.get("version")
        if version is not None:
            version = str(version) if server == "v2" else int(version)
        ep = cls(host=str(data.get("host") or "localhost"), rest_port=int(data.get("rest_port") or 0),
                 grpc_port=int(data.get("grpc_port") or 0), model=str(data.get("model") or ""),
                 protocol=data.get("protocol") if data.get("protocol") in PROTOCOLS else "rest",
                 version=version, label=data.get("label") or None, tls=bool(data.get("tls")),
                 ca_file=str(data.get("ca_file") or ""), server=server,
                 prefix=str(data.get("prefix") or ""), timeout=_positive(data.get("timeout"), http.DEFAULT_TIMEOUT_S),
                 max_response_mb=_positive(data.get("max_response_mb"), http.DEFAULT_MAX_RESPONSE_MB))
        remembered = _SESSION_HEADERS.get(ep.key(), {})
        names = [str(n) for n in data.get("header_names") or []]
        return replace(ep, headers=tuple((n, remembered.get(n, "")) for n in names))

    @classmethod
    def from_target(cls, target: Target, base: "Endpoint | None" = None) -> "Endpoint":
        """Fill an Endpoint from a parsed URL, keeping the other protocol's port and the headers of `base`."""
        base = base or cls()
        server, protocol = _SERVER_OF.get(target.kind, ("tfserving", "rest"))
        ports = {"rest": base.rest_port, "grpc": base.grpc_port, protocol: target.port}
        return replace(base, host=target.host, rest_port=ports["rest"], grpc_port=ports["grpc"], model=target.model,
                       protocol=protocol, version=target.version, label=target.label,
                       tls=target.tls or base.tls, server=server,
                       prefix=target.prefix if protocol == "rest" else base.prefix)


def _positive(value, default: float) -> float:
    """A stored number if it is a positive one (a hand-edited settings file must not break the dialog)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else default




def remembered_endpoints(settings) -> list[Endpoint]:
    """The endpoints in settings, most recent first (entries that cannot be read are skipped)."""
    out = []
    for data in settings.get(SETTINGS_KEY, []) or []:
        try:
            out.append(Endpoint.from_settings(data))
        except (TypeError, ValueError, AttributeError):
            continue
    return out


def remember_endpoint(settings, endpoint: Endpoint) -> None:
    """Put `endpoint` first in settings (header names only; values stay in memory for this session)."""
    _SESSION_HEADERS[endpoint.key()] = endpoint.header_dict()
    kept = [e for e in remembered_endpoints(settings) if e.key() != endpoint.key()]
    settings.set(SETTINGS_KEY, [e.to_settings() for e in [endpoint, *kept][:REMEMBER_MAX]])


def fetch_status(endpoint: Endpoint) -> list[VersionStatus]:
    """The model's versions and states as the server reports them (a worker's job: it is a network call)."""
    runner = endpoint.open_runner()
    try:
        return runner.status()
    finally:
        runner.close()


def status_text(statuses: list[VersionStatus]) -> str:
    """'version 124: AVAILABLE · version 123: END' as HTML, states coloured."""
    if not statuses:
        return "The server knows the model but reports no versions."
    parts = []
    for s in statuses:
        colour = state_colour(s.state)
        extra = f" ({s.error_code}: {s.error_message})" if s.error_code not in ("", "OK") else ""
        name = f"version {s.version}" if s.version != "" else "the model (no versions named)"
        parts.append(f"{_html(name)}: <b style='color:{colour}'>{s.state}</b>{_html(extra)}")
    return " · ".join(parts)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class EndpointDialog(QtWidgets.QDialog):
    """Edit an Endpoint; "Test connection" checks it on a worker; accepting remembers it (no header values)."""

    tested = QtCore.Signal(list)  # list[VersionStatus]
    test_failed = QtCore.Signal(object)  # ExplorerError

    def __init__(self, settings=None, endpoint: Endpoint | None = None, parent: QtWidgets.QWidget | None = None,
                 worker: Worker | None = None):
        super().__init__(parent)
        self.setWindowTitle("Connect to a model server")
        self.settings = settings
        self.worker = worker or Worker(self)
        self._test_task: Task | None = None
        self.statuses: list[VersionStatus] | None = None

        self.url_edit = QtWidgets.QLineEdit()
        self.url_edit.setPlaceholderText("Paste a URL: rest://host:8501/model, grpc://host:8500/model, "
                                         "v2://host:8080/model, http://host:8000/v2/models/model ...")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.textChanged.connect(self._on_url_edit_changed)
        self.url_hint = QtWidgets.QLabel()
        self.url_hint.setStyleSheet("color: #6e7781;")
        self.url_hint.setWordWrap(True)
        self.url_hint.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.recent_box = QtWidgets.QComboBox()
        self.recent_box.setToolTip("Endpoints used before (header values are not remembered across sessions)")
        self.recent_box.activated.connect(self._on_recent_box_activated)

        self.host_edit = QtWidgets.QLineEdit()
        self.host_edit.setPlaceholderText("localhost")
        self.rest_port = _port_box()
        self.grpc_port = _port_box()
        self.grpc_port.setSpecialValueText("none")
        self.server_box = QtWidgets.QComboBox()
        for data, text in SERVERS:
            self.server_box.addItem(text, data)
        self.server_box.setToolTip("Which API the server speaks: TF Serving's, or the Open Inference Protocol (KServe "
                                   "V2) of MLServer, KServe and Triton. Detect asks the server.")
        self.server_box.currentIndexChanged.connect(self._on_server_box_changed)
        self.detect_button = QtWidgets.QPushButton("Detect")
        self.detect_button.setToolTip("Ask the port which server answers (TF Serving or KServe V2)")
        self.detect_button.clicked.connect(self.detect)
        self.detect_result = QtWidgets.QLabel()
        self.detect_result.setStyleSheet("color: #6e7781;")
        self.protocol_rest = QtWidgets.QRadioButton("REST")
        self.protocol_grpc = QtWidgets.QRadioButton("gRPC")
        self.protocol_rest.setChecked(True)
        protocols = QtWidgets.QButtonGroup(self)
        protocols.addButton(self.protocol_rest)
        protocols.addButton(self.protocol_grpc)
        self.model_edit = QtWidgets.QLineEdit()
        self.model_edit.setPlaceholderText("the --model_name the server was started with")
        self.version_mode = QtWidgets.QComboBox()
        for text, data in (("Latest (what the server serves)", "latest"), ("Version", "version"),
                           ("Label", "label")):
            self.version_mode.addItem(text, data)
        self.version_mode.currentIndexChanged.connect(self._on_version_mode_changed)
        self.version_edit = QtWidgets.QLineEdit()
        self.version_edit.setPlaceholderText("e.g. 123 or stable")
        self.tls_check = QtWidgets.QCheckBox("TLS (https / secure gRPC)")
        self.ca_edit = QtWidgets.QLineEdit()
        self.ca_edit.setPlaceholderText("CA certificate (PEM), if the server's certificate is not publicly trusted")
        self.ca_button = QtWidgets.QToolButton()
        self.ca_button.setText("…")
        self.ca_button.setToolTip("Choose the CA certificate file")
        self.ca_button.clicked.connect(self._on_ca_button_clicked)
        self.timeout_box = QtWidgets.QDoubleSpinBox()
        self.timeout_box.setRange(0.5, 3600)
        self.timeout_box.setDecimals(1)
        self.timeout_box.setSuffix(" s")
        self.timeout_box.setToolTip("The longest one request may take, all of it: connecting, sending and the "
                                    "whole answer. A server that answers slower is cut off with a message.")
        self.max_response_box = QtWidgets.QSpinBox()
        self.max_response_box.setRange(1, 1024 * 64)
        self.max_response_box.setSuffix(" MB")
        self.max_response_box.setToolTip("Answers larger than this are refused before they fill memory "
                                         "(REST: the body; gRPC: the message limit).")
        self.headers_table = QtWidgets.QTableWidget(0, 2)
        self.headers_table.setHorizontalHeaderLabels(["Header", "Value (this session only)"])
        self.headers_table.horizontalHeader().setStretchLastSection(True)
        self.headers_table.horizontalHeader().resizeSection(0, 160)
        self.headers_table.verticalHeader().hide()
        self.headers_table.setToolTip(HEADER_TIP)
        self.headers_table.setMaximumHeight(96)
        self.add_header_button = QtWidgets.QToolButton()
        self.add_header_button.setText("+")
        self.add_header_button.setToolTip("Add a header")
        self.add_header_button.clicked.connect(lambda: self.add_header("", ""))
        self.remove_header_button = QtWidgets.QToolButton()
        self.remove_header_button.setText("−")
        self.remove_header_button.setToolTip("Remove the selected header")
        self.remove_header_button.clicked.connect(self._on_remove_header_clicked)

        self.test_button = QtWidgets.QPushButton("Test connection")
        self.test_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_BrowserReload))
        self.test_button.clicked.connect(self.test_connection)
        self._detect_task: Task | None = None
        self.test_result = QtWidgets.QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.test_result.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = MessageBar()
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Remembered", self.recent_box)
        form.addRow("URL", self.url_edit)
        form.addRow("", self.url_hint)
        server_row = QtWidgets.QHBoxLayout()
        server_row.addWidget(self.server_box, 1)
        server_row.addWidget(self.detect_button)
        server_row.addWidget(self.detect_result, 1)
        form.addRow("Server", server_row)
        form.addRow("Host", self.host_edit)
        ports = QtWidgets.QHBoxLayout()
        ports.addWidget(QtWidgets.QLabel("REST"))
        ports.addWidget(self.rest_port)
        ports.addSpacing(12)
        ports.addWidget(QtWidgets.QLabel("gRPC"))
        ports.addWidget(self.grpc_port)
        ports.addStretch(1)
        form.addRow("Ports", ports)
        protocol_row = QtWidgets.QHBoxLayout()
        protocol_row.addWidget(self.protocol_rest)
        protocol_row.addWidget(self.protocol_grpc)
        protocol_row.addStretch(1)
        form.addRow("Use", protocol_row)
        form.addRow("Model", self.model_edit)
        version_row = QtWidgets.QHBoxLayout()
        version_row.addWidget(self.version_mode)
        version_row.addWidget(self.version_edit, 1)
        form.addRow("Version", version_row)
        form.addRow("", self.tls_check)
        ca_row = QtWidgets.QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.ca_button)
        form.addRow("CA file", ca_row)
        limits_row = QtWidgets.QHBoxLayout()
        limits_row.addWidget(self.timeout_box)
        limits_row.addSpacing(12)
        limits_row.addWidget(QtWidgets.QLabel("Largest answer"))
        limits_row.addWidget(self.max_response_box)
        limits_row.addStretch(1)
        form.addRow("Timeout", limits_row)
        header_buttons = QtWidgets.QVBoxLayout()
        header_buttons.addWidget(self.add_header_button)
        header_buttons.addWidget(self.remove_header_button)
        header_buttons.addStretch(1)
        header_row = QtWidgets.QHBoxLayout()
        header_row.addWidget(self.headers_table, 1)
        header_row.addLayout(header_buttons)
        headers_label = QtWidgets.QLabel("Headers")
        headers_label.setToolTip(HEADER_TIP)
        form.addRow(headers_label, header_row)
        test_row = QtWidgets.QHBoxLayout()
        test_row.addWidget(self.test_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(620, 0)

        self._fill_recent()
        endpoints = remembered_endpoints(settings) if settings is not None else []
        self.set_endpoint(endpoint or (endpoints[0] if endpoints else Endpoint()))
        self._on_version_mode_changed()

    # --- API ---------------------------------------------------------------------------------------------------

    def endpoint(self) -> Endpoint:
        """The endpoint the fields describe (ValueError-free: a bad version number reads as latest)."""
        mode = self.version_mode.currentData()
        text = self.version_edit.text().strip()
        server = self.server_box.currentData() or "tfserving"
        if server == "v2":  # V2 versions are strings; V2 has no labels
            version, label = (text if mode in ("version", "label") and text else None), None
        else:
            version = int(text) if mode == "version" and text.isdigit() else None
            label = text if mode == "label" and text else None
        headers = []
        for row in range(self.headers_table.rowCount()):
            name, value = (self.headers_table.item(row, c) for c in (0, 1))
            name_text = name.text().strip() if name else ""
            if name_text:
                headers.append((name_text, value.text().strip() if value else ""))
        return Endpoint(host=self.host_edit.text().strip() or "localhost", rest_port=self.rest_port.value(),
                        grpc_port=self.grpc_port.value(), model=self.model_edit.text().strip(),
                        protocol="grpc" if self.protocol_grpc.isChecked() else "rest", version=version, label=label,
                        tls=self.tls_check.isChecked(), ca_file=self.ca_edit.text().strip(), headers=tuple(headers),
                        prefix=self._prefix, timeout=self.timeout_box.value(),
                        max_response_mb=float(self.max_response_box.value()), server=server)

    def set_endpoint(self, endpoint: Endpoint) -> None:
        """Fill every field from `endpoint`."""
        self.server_box.blockSignals(True)
        self.server_box.setCurrentIndex(max(self.server_box.findData(endpoint.server), 0))
        self.server_box.blockSignals(False)
        self._on_version_mode_changed()
        self.host_edit.setText(endpoint.host)
        self.rest_port.setValue(endpoint.rest_port)
        self.grpc_port.setValue(endpoint.grpc_port)
        (self.protocol_grpc if endpoint.protocol == "grpc" else self.protocol_rest).setChecked(True)
        self.model_edit.setText(endpoint.model)
        if endpoint.version is not None:
            self.version_mode.setCurrentIndex(self.version_mode.findData("version"))
            self.version_edit.setText(str(endpoint.version))
        elif endpoint.label:
            self.version_mode.setCurrentIndex(self.version_mode.findData("label"))
            self.version_edit.setText(endpoint.label)
        else:
            self.version_mode.setCurrentIndex(self.version_mode.findData("latest"))
            self.version_edit.clear()
        self.tls_check.setChecked(endpoint.tls)
        self.ca_edit.setText(endpoint.ca_file)
        self._prefix = endpoint.prefix  # set from a pasted gateway URL; no field of its own
        self.timeout_box.setValue(endpoint.timeout)
        self.max_response_box.setValue(int(round(endpoint.max_response_mb)))
        self.headers_table.setRowCount(0)
        for name, value in endpoint.headers:
            self.add_header(name, value)

    def add_header(self, name: str, value: str) -> None:
        row = self.headers_table.rowCount()
        self.headers_table.insertRow(row)
        self.headers_table.setItem(row, 0, QtWidgets.QTableWidgetItem(name))
        value_item = QtWidgets.QTableWidgetItem(value)
        value_item.setToolTip(HEADER_TIP)
        self.headers_table.setItem(row, 1, value_item)
        if not name:
            self.headers_table.editItem(self.headers_table.item(row, 0))

    def paste_url(self, text: str) -> bool:
        """Fill the fields from a URL (rest://, grpc://, or a TF Serving http(s) URL); False if it cannot be read."""
        self.url_edit.setText(text)
        return not self.url_hint.property("bad")

    def test_connection(self) -> Task | None:
        """Fetch the model's versions on a worker; the result (or the explained error) shows in the dialog."""
        endpoint = self.endpoint()
        self.message.clear()
        if not endpoint.model:
            self.message.show_message("Give the model name the server serves.", "warning",
                                      fix="It is the --model_name TF Serving was started with, or the V2 model's "
                                          "name (GET /v2/models/NAME).")
            return None
        if not endpoint.port():
            self.message.show_message(f"No {endpoint.protocol.upper()} port given.", "warning",
                                      fix="Give the port, or choose the other protocol.")
            return None
        if problem := header_problem(endpoint.headers):
            self.message.show_error(problem, "warning")
            return None
        self.statuses = None
        self.test_button.setEnabled(False)
        self.test_result.setText(f"Asking {_html(endpoint.url())} …")
        self._test_task = self.worker.submit(fetch_status, endpoint, caller="endpoint-test",
                                             name=f"testing {endpoint.url()}", on_done=self._on_test_done,
                                             on_failed=self._on_test_failed)
        return self._test_task

    def detect(self) -> Task | None:
        """Ask the chosen port which server answers (core.protocol_probe.detect_server, on a worker); the server
        choice follows the answer."""
        from explorer.core.protocol_probe import detect_server

        endpoint = self.endpoint()
        if not endpoint.port():
            self.message.show_message(f"No {endpoint.protocol.upper()} port given.", "warning",
                                      fix="Give the port to ask.")
            return None
        self.message.clear()
        self.detect_button.setEnabled(False)
        self.detect_result.setText("asking …")
        self._detect_task = self.worker.submit(detect_server, endpoint.target(), caller="endpoint-detect",
                                               name=f"detecting {endpoint.url()}", on_done=self._on_detect_done,
                                               on_failed=self._on_detect_failed, **endpoint.runner_options())
        return self._detect_task

    def accept(self) -> None:  # noqa: D102 - QDialog API: remember the endpoint, then close
        endpoint = self.endpoint()
        if not endpoint.model:
            self.message.show_message("Give the model name the server serves.", "warning",
                                      fix="It is the --model_name TF Serving was started with.")
            return
        if problem := header_problem(endpoint.headers):
            self.message.show_error(problem, "warning")
            return
        if self.settings is not None:
            remember_endpoint(self.settings, endpoint)
        super().accept()

    def done(self, result: int) -> None:  # noqa: D102 - a running test must not call back into a closed dialog
        self.worker.cancel("endpoint-test")
        self.worker.cancel("endpoint-detect")
        super().done(result)

    # --- slots ---------------------------------------------------------------------------------------------------

    def _fill_recent(self) -> None:
        self.recent_box.clear()
        endpoints = remembered_endpoints(self.settings) if self.settings is not None else []
        if not endpoints:
            self.recent_box.addItem("No endpoints used yet", None)
            self.recent_box.setEnabled(False)
            return
        self.recent_box.setEnabled(True)
        for ep in endpoints:
            self.recent_box.addItem(ep.title(), ep)

    def _on_recent_box_activated(self, index: int) -> None:
        endpoint = self.recent_box.itemData(index)
        if isinstance(endpoint, Endpoint):
            self.set_endpoint(Endpoint.from_settings(endpoint.to_settings()))

    def _on_url_edit_changed(self, text: str) -> None:
        text = text.strip()
        self.url_hint.setProperty("bad", False)
        if not text:
            self.url_hint.clear()
            return
        try:
            target = parse_target(text)
            if target.kind == "folder":
                raise ExplorerError(f"{text!r} is not a server URL.",
                                    fix="Write rest://HOST:PORT/MODEL, grpc://HOST:PORT/MODEL, v2://HOST:PORT/MODEL "
                                        "or v2+grpc://HOST:PORT/MODEL.")
        except ExplorerError as exc:
            self.url_hint.setProperty("bad", True)
            self.url_hint.setStyleSheet("color: #b3261e;")
            self.url_hint.setText(f"{exc} {exc.fix}")
            return
        self.url_hint.setStyleSheet("color: #6e7781;")
        self.set_endpoint(Endpoint.from_target(target, self.endpoint()))
        self.url_hint.setText(f"Read as {target.url()}{' over TLS' if target.tls else ''}.")

    def _on_version_mode_changed(self, *_) -> None:
        mode = self.version_mode.currentData()
        v2 = self.server_box.currentData() == "v2"
        self.version_edit.setEnabled(mode != "latest")
        self.version_edit.setPlaceholderText({"version": "e.g. 1 or v2-beta" if v2 else "e.g. 123",
                                              "label": "e.g. stable"}.get(mode, ""))
        label_item = self.version_mode.model().item(self.version_mode.findData("label"))
        if label_item is not None:  # V2 has versions (strings) but no labels
            label_item.setEnabled(not v2)

    def _on_server_box_changed(self, *_) -> None:
        server = self.server_box.currentData()
        defaults = {"tfserving": ("rest", "grpc"), "v2": ("v2", "v2+grpc")}
        old = [k for k in defaults if k != server][0]
        # Ports still at the other server's defaults follow the choice; ports the user typed stay.
        if self.rest_port.value() == DEFAULT_PORTS[defaults[old][0]]:
            self.rest_port.setValue(DEFAULT_PORTS[defaults[server][0]])
        if self.grpc_port.value() == DEFAULT_PORTS[defaults[old][1]]:
            self.grpc_port.setValue(DEFAULT_PORTS[defaults[server][1]])
        if server == "v2" and self.version_mode.currentData() == "label":
            self.version_mode.setCurrentIndex(self.version_mode.findData("latest"))
        self._on_version_mode_changed()

    def _on_detect_done(self, task: Task, found: tuple) -> None:
        kind, who = found
        self.detect_button.setEnabled(True)
        server, protocol = _SERVER_OF.get(kind, ("tfserving", "rest"))
        self.server_box.setCurrentIndex(self.server_box.findData(server))
        (self.protocol_grpc if protocol == "grpc" else self.protocol_rest).setChecked(True)
        self.detect_result.setText(f"{who} answers")

    def _on_detect_failed(self, task: Task, error: ExplorerError) -> None:
        self.detect_button.setEnabled(True)
        self.detect_result.setText("no answer")
        self.message.show_error(error)

    def _on_ca_button_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "CA certificate", self.ca_edit.text(),
                                                        "Certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.ca_edit.setText(path)
            self.tls_check.setChecked(True)

    def _on_remove_header_clicked(self) -> None:
        row = self.headers_table.currentRow()
        if row >= 0:
            self.headers_table.removeRow(row)

    def _on_test_done(self, task: Task, statuses: list[VersionStatus]) -> None:
        self.test_button.setEnabled(True)
        self.statuses = list(statuses)
        self.test_result.setText(f"Connected. {status_text(self.statuses)}")
        self.tested.emit(self.statuses)

    def _on_test_failed(self, task: Task, error: ExplorerError) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText("<span style='color:#b3261e'>Not connected.</span>")
        self.message.show_error(error)
        self.test_failed.emit(error)


def _port_box() -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    box.setRange(0, 65535)
    box.setMinimumWidth(90)
    return box


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.endpoint_dialog [URL]`: the dialog alone; prints the chosen endpoint."""
    from explorer.core.settings import Settings

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    dialog = EndpointDialog(Settings())
    if len(argv) > 1:
        dialog.paste_url(argv[1])
    if dialog.exec():
        print(dialog.endpoint().url())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
