"""ShowRequestDialog: the exact wire request of the current form as curl, Python (REST and gRPC) and a
saved_model_cli command -- monospace, with Copy and "Save as…" (which also writes the .npy/.json files large
values were moved to).

The code comes from explorer.core.request_code, whose REST body is the one RestRunner sends, byte for byte.
Building the inputs and the code is plain work (request_snippets) done on a worker.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core import request_code
from explorer.core.errors import ExplorerError, InputProblem
from explorer.core.request import Request
from explorer.core.signature import Signature
from explorer.core.targets import DEFAULT_PORTS, Target

from ..workers import Task, Worker
from .endpoint_dialog import Endpoint
from ..quick_look import quick_look_model

TABS = (("curl", "curl"), ("python-rest", "Python (REST)"), ("python-grpc", "Python (gRPC)"),
        ("v2-tritonclient", "Python (tritonclient)"), ("saved_model_cli", "saved_model_cli"),
        ("python-litert", "Python (LiteRT)"), ("tensorflow-reexport", "TensorFlow (re-export)"))
SUFFIX = {"shell": ".sh", "python": ".py"}


@dataclass(frozen=True, eq=False)
class Snippets:
    """The code of one request for every tab: a Snippet, or the ExplorerError saying why that tab has none."""

    by_kind: dict  # kind -> Snippet | ExplorerError
    notes: dict = field(default_factory=dict)  # kind -> a line saying which target the code talks to
    request: Request | None = None


def form_request(signature: Signature, sources: dict, batch: int | None = None, offers: dict | None = None,
                 target: str = "local") -> Request:
    """The Request a run of the form would send; InputProblem naming the first error when the form has errors."""
    from .tensor_form import prepare_inputs

    prepared = prepare_inputs(signature, sources, batch, offers, target)
    if prepared.errors:
        first = prepared.errors[0]
        raise InputProblem(first.input, f"The form's inputs have errors, so there is no request to show yet: "
                                        f"{first.message}", fix=first.fix or "Fix the marked inputs.")
    method = signature.request_method
    return Request(signature.key, prepared.inputs, method=method, examples=prepared.examples)


def request_snippets(request: Request, folder: str | None = None, version: int | None = None,
                     endpoint: Endpoint | None = None) -> Snippets:
    """Code for every tab: REST/gRPC for `endpoint` (or, without one, for TF Serving on localhost serving the
    folder under its folder name), saved_model_cli for `folder`. A tab that cannot be made holds the reason."""
    by_kind: dict = {}
    notes: dict = {}
    if endpoint is not None:
        rest = endpoint.target("rest") if endpoint.rest_port else None
        grpc = endpoint.target("grpc") if endpoint.grpc_port else None
        headers, ca_file = endpoint.header_dict() or None, endpoint.ca_file or None
        assumed = ""
    else:
        name = Path(folder).name if folder else "model"
        rest = Target("rest", host="localhost", port=DEFAULT_PORTS["rest"], model=name)
        grpc = Target("grpc", host="localhost", port=DEFAULT_PORTS["grpc"], model=name)
        headers = ca_file = None
        assumed = f" (no server connected: TF Serving on localhost serving this folder as model '{name}' assumed)"
    v2 = endpoint is not None and endpoint.server == "v2"
    # KServe V2: curl and requests for REST, NVIDIA's tritonclient for gRPC (and for REST in its own tab).
    makers = {"curl": request_code.v2_curl, "python-rest": request_code.v2_requests,
              "python-grpc": request_code.v2_tritonclient} if v2 else \
        {"curl": request_code.curl, "python-rest": request_code.python_rest, "python-grpc": request_code.python_grpc}
    if v2:
        by_kind["v2-tritonclient"] = ExplorerError("The endpoint has no REST port.") if rest is None else None
    else:
        by_kind["v2-tritonclient"] = ExplorerError("tritonclient speaks the KServe V2 protocol; this endpoint is "
                                                   "TF Serving.", fix="See the curl and Python tabs.")
    pairs = [("curl", rest), ("python-rest", rest), ("python-grpc", grpc)]
    if v2 and rest is not None:
        pairs.append(("v2-tritonclient", rest))
        makers["v2-tritonclient"] = request_code.v2_tritonclient
    for kind, target in pairs:
        if target is None:
            by_kind[kind] = ExplorerError(f"The endpoint has no {'REST' if kind != 'python-grpc' else 'gRPC'} port.",
                                          fix="Give the port in File ▸ Connect to a Model Server….")
            continue
        maker = makers[kind]
        try:
            by_kind[kind] = maker(request, target, headers=headers, ca_file=ca_file)
            notes[kind] = f"Sends the request to {target.url()}{assumed}."
        except ExplorerError as exc:
            by_kind[kind] = exc
    lite = None
    if folder:
        try:
            by_kind["python-litert"] = lite = request_code.python_litert(request, folder, version=version)
            at = f" version {version}" if version is not None else ""
            notes["python-litert"] = f"Runs the local .tflite {folder}{at} with LiteRT (ai_edge_litert), as the app does."
        except ExplorerError as exc:
            by_kind["python-litert"] = exc
    else:
        by_kind["python-litert"] = ExplorerError("This code runs a .tflite model; none is open.")
    if lite is not None:
        by_kind["saved_model_cli"] = ExplorerError("saved_model_cli runs SavedModels; this is a TensorFlow Lite model.",
                                                   fix="See the Python (LiteRT) tab.")
    elif folder:
        try:
            by_kind["saved_model_cli"] = request_code.saved_model_cli(request, folder, version=version)
            at = f" version {version}" if version is not None else ""
            notes["saved_model_cli"] = f"Runs the local model {folder}{at} with TensorFlow's saved_model_cli."
        except ExplorerError as exc:
            by_kind["saved_model_cli"] = exc
    else:
        by_kind["saved_model_cli"] = ExplorerError("saved_model_cli runs a model folder; none is open.",
                                                   fix="Open the model folder (File ▸ Open Model…).")
    by_kind["tensorflow-reexport"] = ExplorerError(
        "The TensorFlow code that re-exports this model with a corrected signature is made from the edits.",
        fix="Signature ▸ Edit and Re-export…, then Show Code.")
    return Snippets(by_kind, notes, request)


def form_snippets(signature: Signature, sources: dict, batch: int | None, offers: dict | None,
                  folder: str | None = None, version: int | None = None,
                  endpoint: Endpoint | None = None) -> Snippets:
    """form_request then request_snippets, as one worker job."""
    target = "serving" if folder is None and endpoint is not None else "local"
    return request_snippets(form_request(signature, sources, batch, offers, target), folder, version, endpoint)


class ShowRequestDialog(QtWidgets.QDialog):
    """One tab per kind of code; Copy puts the shown tab's text on the clipboard; Save as… writes it with its files."""

    ready = QtCore.Signal(object)  # Snippets
    failed = QtCore.Signal(object)  # ExplorerError

    def __init__(self, parent: QtWidgets.QWidget | None = None, worker: Worker | None = None):
        super().__init__(parent)
        self.setWindowTitle("Show request")
        self.worker = worker or Worker(self)
        self.snippets: Snippets | None = None
        self._preferred = "curl"
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.summary = QtWidgets.QLabel("Building the request…")
        self.summary.setWordWrap(True)
        self.tabs = QtWidgets.QTabWidget()
        self.editors: dict[str, QtWidgets.QPlainTextEdit] = {}
        self.notes: dict[str, QtWidgets.QLabel] = {}
        for kind, title in TABS:
            page = QtWidgets.QWidget()
            note = QtWidgets.QLabel()
            note.setWordWrap(True)
            note.setStyleSheet("color: #57606a;")
            editor = QtWidgets.QPlainTextEdit()
            editor.setReadOnly(True)
            editor.setFont(mono)
            editor.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
            box = QtWidgets.QVBoxLayout(page)
            box.setContentsMargins(4, 4, 4, 4)
            box.addWidget(note)
            box.addWidget(editor, 1)
            self.tabs.addTab(page, title)
            self.editors[kind], self.notes[kind] = editor, note
        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_DialogSaveButton))
        self.copy_button.setToolTip("Copy this code to the clipboard")
        self.copy_button.clicked.connect(lambda: self.copy())
        self.save_button = QtWidgets.QPushButton("Save as…")
        self.save_button.setToolTip("Save this code, and the files it reads (large inputs), to a folder")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.status = QtWidgets.QLabel()
        self.status.setStyleSheet("color: #57606a;")
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.tabs.currentChanged.connect(self._update_actions)
        self.resize(860, 520)
        self._update_actions()

    # --- API ---------------------------------------------------------------------------------------------------

    def show_form(self, signature: Signature, sources: dict, batch: int | None = None, offers: dict | None = None,
                  folder: str | None = None, version: int | None = None, endpoint: Endpoint | None = None,
                  prefer: str | None = None) -> Task:
        """Build the form's request and its code on the worker; tabs fill when it is done."""
        self._preferred = prefer or ("saved_model_cli" if endpoint is None and folder else
                                     "python-grpc" if endpoint is not None and endpoint.protocol == "grpc" else "curl")
        self.summary.setText(f"Building the request for {signature.key}…")
        return self.worker.submit(form_snippets, signature, sources, batch, offers, folder, version, endpoint,
                                  caller="show-request", name="building the request code",
                                  on_done=self._on_snippets_done, on_failed=self._on_snippets_failed)

    def show_request(self, request: Request, folder: str | None = None, version: int | None = None,
                     endpoint: Endpoint | None = None) -> Task:
        """The same for a Request already built."""
        self.summary.setText(f"Building the code for {request.signature}…")
        return self.worker.submit(request_snippets, request, folder, version, endpoint, caller="show-request",
                                  name="building the request code", on_done=self._on_snippets_done,
                                  on_failed=self._on_snippets_failed)

    def show_code(self, snippet: request_code.Snippet, summary: str) -> None:
        """Show one Snippet made elsewhere (the re-export's TensorFlow code) on its tab; the other tabs say why
        they are empty."""
        why = ExplorerError("This shows the code of a re-export, not a request.",
                            fix="Show Request (in the Predict tab) gives the request's code.")
        self.set_snippets(Snippets({kind: snippet if kind == snippet.kind else why for kind, _ in TABS}))
        self.summary.setText(summary)
        self.tabs.setCurrentIndex([kind for kind, _ in TABS].index(snippet.kind))

    def set_snippets(self, snippets: Snippets) -> None:
        self.snippets = snippets
        for kind, _ in TABS:
            item = snippets.by_kind.get(kind)
            editor, note = self.editors[kind], self.notes[kind]
            if isinstance(item, request_code.Snippet):
                editor.setPlainText(item.text)
                files = (f" It reads {', '.join(item.files)}: Save as… writes them beside the code."
                         if item.files else "")
                note.setText(snippets.notes.get(kind, "") + files)
                note.setStyleSheet("color: #57606a;")
            else:
                editor.setPlainText("")
                note.setText(f"{item} {getattr(item, 'fix', '')}".strip() if item else "Not available.")
                note.setStyleSheet("color: #9a6700;")
        request = snippets.request
        if request is not None:
            shapes = ", ".join(f"{k} {tuple(v.shape)} {v.dtype}" for k, v in request.inputs.items())
            examples = f", {len(request.examples)} tf.Example(s)" if request.examples else ""
            self.summary.setText(f"<b>{request.signature}</b> ({request.method}): {shapes or 'no tensors'}"
                                 f"{examples}")
        kinds = [k for k, _ in TABS]
        if self._preferred == "saved_model_cli" and isinstance(snippets.by_kind.get("python-litert"),
                                                                request_code.Snippet):
            self._preferred = "python-litert"  # a .tflite is open: its local code is LiteRT's
        if isinstance(snippets.by_kind.get(self._preferred), request_code.Snippet):
            self.tabs.setCurrentIndex(kinds.index(self._preferred))
        self._update_actions()
        self.ready.emit(snippets)

    def current_kind(self) -> str:
        return TABS[self.tabs.currentIndex()][0]

    def text(self, kind: str | None = None) -> str:
        return self.editors[kind or self.current_kind()].toPlainText()

    def copy(self, kind: str | None = None) -> str:
        """Put the code of `kind` (default: the shown tab) on the clipboard; returns it."""
        text = self.text(kind)
        QtGui.QGuiApplication.clipboard().setText(text)
        self.status.setText("Copied to the clipboard." if text else "Nothing to copy.")
        return text

    def save(self, path, kind: str | None = None) -> list[Path]:
        """Write the code of `kind` to `path` and the files it reads beside it; returns every path written."""
        kind = kind or self.current_kind()
        snippet = self.snippets.by_kind.get(kind) if self.snippets else None
        if not isinstance(snippet, request_code.Snippet):
            raise ExplorerError("There is no code to save on this tab.")
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(snippet.text if snippet.text.endswith("\n") else snippet.text + "\n", encoding="utf-8")
            written = [path, *snippet.write_files(path.parent)]
        except OSError as exc:
            raise ExplorerError(f"The code could not be saved to {path}: {exc.strerror or exc}.",
                                fix="Choose a folder you can write to.") from exc
        self.status.setText(f"Saved {', '.join(p.name for p in written)} in {path.parent}.")
        return written

    # --- slots -------------------------------------------------------------------------------------------------

    def _update_actions(self, *_) -> None:
        has = bool(self.text())
        self.copy_button.setEnabled(has)
        self.save_button.setEnabled(has)

    def _on_snippets_done(self, task: Task, snippets: Snippets) -> None:
        self.set_snippets(snippets)

    def _on_snippets_failed(self, task: Task, error: ExplorerError) -> None:
        self.summary.setText(f"<span style='color:#b3261e'>{_html(str(error))}</span> {_html(error.fix)}")
        self.failed.emit(error)

    def _on_save_button_clicked(self) -> None:
        kind = self.current_kind()
        snippet = self.snippets.by_kind.get(kind) if self.snippets else None
        suffix = SUFFIX.get(getattr(snippet, "language", "shell"), ".txt")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the request code", f"request{suffix}")
        if not path:
            return
        try:
            self.save(path, kind)
        except ExplorerError as exc:
            self.status.setText(f"{exc} {exc.fix}")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.request_dialog MODEL [SIGNATURE]`: the code for a zero-filled request."""
    from explorer.core.sources import Source

    looked = quick_look_model(argv, "python -m explorer.ui.widgets.request_dialog MODEL [SIGNATURE]")
    if looked is None:
        return 2
    app, info = looked
    sig = info.user_signatures[argv[2] if len(argv) > 2 else info.default_signature]
    sources = {k: Source("fill", fill="ones") for k in sig.inputs}
    dialog = ShowRequestDialog()
    dialog.show_form(sig, sources, 1, None, info.path, info.version)
    return dialog.exec() and 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
