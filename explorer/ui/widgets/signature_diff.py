"""SignatureDiffView: a local model's signatures beside a server's -- per key same / changed / only local / only
server, every change coloured by severity, and a headline naming the likely cause (a stale or pinned version when
the server matches another version of the folder, else the first breaking difference).

The comparison itself (diff_local_server) is plain code: it reads every version of the folder, so it runs on a worker.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.compare import Change, SignatureDiff, compare_signatures
from explorer.core.errors import ExplorerError
from explorer.core.savedmodel import ModelInfo, read_model
from explorer.core.signature import Signature

from ..workers import Task, Worker

KEY, STATUS, LOCAL, SERVER = range(4)
STATUS_TEXT = {"same": "same", "changed": "changed", "only_a": "only local", "only_b": "only on server"}
COLOURS = {"error": "#b3261e", "info": "#6e7781", "same": "#1e7b34"}
# Headline boxes: background, border, ink by the kind of cause.
BOXES = {"bad": ("#fdecea", "#e0a5a0", "#5f2120"), "warn": ("#fff4e5", "#e8c48f", "#663c00"),
         "good": ("#e9f6ec", "#9fd3ab", "#1e4620"), "none": ("#f3f4f6", "#d0d7de", "#57606a")}
CAUSE_BOX = {"stale_version": "bad", "newer_version": "warn", "other_base_path": "bad", "signature_mismatch": "bad",
             "names_only": "good", "same": "good", "none": "none"}


@dataclass(frozen=True, eq=False)
class DiffReport:
    """A folder (at one version) against a server: the per-key diffs, which folder versions match, and why."""

    diffs: tuple[SignatureDiff, ...]
    cause: str  # "same" | "names_only" | "stale_version" | "newer_version" | "other_base_path" | "signature_mismatch"
    headline: str
    local_label: str
    server_label: str
    local_version: int | None = None
    served_version: int | None = None
    matching_versions: tuple[int, ...] = ()  # folder versions whose signatures equal the server's (no error change)

    @property
    def breaking(self) -> bool:
        return any(d.breaking for d in self.diffs)

    def diff(self, key: str) -> SignatureDiff | None:
        return next((d for d in self.diffs if d.key == key), None)


def _compatible(diffs) -> bool:
    """No difference a request would notice (tensor names may differ: exports rename graph tensors)."""
    return not any(d.breaking for d in diffs)


def _change_text(key: str, c: Change) -> str:
    """One change as a sentence from the folder's side: local first, server second."""
    if c.what == "missing":
        return f"{key}'s {c.where} exists only {'locally' if c.a else 'on the server'}"
    if c.what == "method_name":
        return (f"{key} is a {c.a.rsplit('/', 1)[-1]} signature locally but {c.b.rsplit('/', 1)[-1]} on the "
                f"server")
    return f"{key}'s {c.where} differs in {c.what}: {c.a} locally vs {c.b} on the server"


def _first_breaking(diffs) -> tuple[str, int]:
    """The sentence for the most telling breaking difference (serving_default first) and how many there are."""
    ordered = sorted(diffs, key=lambda d: (d.key != "serving_default", d.key))
    sentences = []
    for d in ordered:
        if d.status == "only_a":
            sentences.append(f"signature {d.key} exists only in the folder, not on the server")
        elif d.status == "only_b":
            sentences.append(f"signature {d.key} exists only on the server")
        else:
            sentences += [_change_text(d.key, c) for c in d.changes if c.severity == "error"]
    return (sentences[0] if sentences else ""), len(sentences)


def diff_local_server(info: ModelInfo, server: dict[str, Signature], served_version: int | None = None,
                      server_label: str = "the server") -> DiffReport:
    """Compare the folder's signatures (A, at info.version) with the server's (B), and the server's with EVERY
    version of the folder, so a server still serving an older version shows as that, not as a mismatch."""
    diffs = tuple(compare_signatures(info.signatures, server))
    current = info.version
    matching = []
    for version in info.versions:
        if version == current:
            ok = _compatible(diffs)
        else:
            try:
                other = read_model(info.path, version=version, tag_set=info.tag_set)
            except ExplorerError:
                continue  # a version folder that cannot be read matches nothing
            ok = _compatible(compare_signatures(other.signatures, server))
        if ok:
            matching.append(version)
    local_label = f"version {current} of {info.path}" if current is not None else info.path
    cause, headline = _headline(diffs, current, matching, served_version, info.versions)
    return DiffReport(diffs, cause, headline, local_label, server_label, current, served_version, tuple(matching))


def _headline(diffs, current, matching, served, versions) -> tuple[str, str]:
    changed = [d for d in diffs if d.status != "same"]
    if not _compatible(diffs):
        others = [v for v in matching if v != current]
        if others and current is not None:
            match = served if served in others else max(others)
            if match < current:
                return "stale_version", (
                    f"The server's signatures differ from version {current} of the folder but match version {match}: "
                    f"the server is serving an older version (stale or pinned version_policy).")
            return "newer_version", (
                f"The server's signatures differ from version {current} of the folder but match version {match}: "
                f"the server serves a newer version than the one open here; open version {match} to compare "
                f"like with like.")
        sentence, count = _first_breaking(diffs)
        more = f" (and {count - 1} more breaking difference{'s' * (count > 2)})" if count > 1 else ""
        where = ""
        if served is not None and versions and served not in versions:
            where = (f" The server serves version {served}, which this folder does not have: is it pointed at "
                     f"another base path?")
        return "signature_mismatch", f"Signature mismatch: {sentence}{more}.{where}"
    if served is not None and current is not None and served != current:
        if served in versions and served < current:
            return "stale_version", (
                f"The signatures match, but the server serves version {served} while the folder's newest is "
                f"{current}: the server is serving an older version (stale or pinned version_policy).")
        if served not in versions:
            return "other_base_path", (
                f"The signatures match, but the server serves version {served}, which this folder does not have: "
                f"is it pointed at another base path?")
        return "newer_version", (f"The signatures match; the server serves version {served}, not {current} as "
                                 f"shown here.")
    at = f"version {current} of the folder" if current is not None else "the folder"
    if changed:
        names = sum(len(d.changes) for d in changed)
        return "names_only", (f"The server's signatures match {at} in keys, methods, dtypes and shapes; only "
                              f"{names} tensor name{'s' * (names != 1)} differ (a re-export: requests are "
                              f"unaffected).")
    return "same", f"The server's signatures match {at} exactly."


class SignatureDiffView(QtWidgets.QWidget):
    """Shows a DiffReport; compare() makes one on the worker from a ModelInfo and a server's signatures."""

    compared = QtCore.Signal(object)  # DiffReport
    compare_failed = QtCore.Signal(object)  # ExplorerError

    def __init__(self, parent: QtWidgets.QWidget | None = None, worker: Worker | None = None):
        super().__init__(parent)
        self.worker = worker or Worker(self)
        self._report: DiffReport | None = None
        self.headline = _FullLabel("Open a model and connect to a server to compare their signatures.")
        self.headline.setObjectName("DiffHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.headline.setFont(font)
        self._paint_headline("none")
        self.sides = _FullLabel()
        self.sides.setWordWrap(True)
        self.sides.setStyleSheet("color: #57606a;")
        self.sides.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.only_changed = QtWidgets.QCheckBox("Only differences")
        self.only_changed.setToolTip("Hide the signatures that are the same on both sides")
        self.only_changed.toggled.connect(self._apply_filter)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Signature / where", "Status / what", "Local (folder)", "Server"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(True)
        self.tree.setMinimumHeight(40)  # the tree scrolls; the sentences above it are never cut
        self._mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.sides, 1)
        bar.addWidget(self.only_changed, 0, QtCore.Qt.AlignmentFlag.AlignBottom)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.headline)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)

    # --- API ---------------------------------------------------------------------------------------------------

    def compare(self, info: ModelInfo, server: dict[str, Signature], served_version: int | None = None,
                server_label: str = "the server") -> Task:
        """Diff on the worker (it reads every version of the folder); the result shows and `compared` fires."""
        self.headline.setText("Comparing…")
        self._paint_headline("none")
        return self.worker.submit(diff_local_server, info, server, served_version, server_label,
                                  caller="signature-diff", name="comparing signatures",
                                  on_done=self._on_compare_done, on_failed=self._on_compare_failed)

    def set_report(self, report: DiffReport | None) -> None:
        """Show a report (None clears the view)."""
        self._report = report
        self.tree.clear()
        if report is None:
            self.headline.setText("Open a model and connect to a server to compare their signatures.")
            self._paint_headline("none")
            self.sides.clear()
            return
        self.headline.setText(report.headline)
        self._paint_headline(CAUSE_BOX.get(report.cause, "none"))
        matching = (f" · folder versions matching the server: {', '.join(map(str, report.matching_versions))}"
                    if report.matching_versions else " · no folder version matches the server")
        served = f" (serving version {report.served_version})" if report.served_version is not None else ""
        self.sides.setText(f"Local: {report.local_label}  ⇄  Server: {report.server_label}{served}{matching}")
        for d in sorted(report.diffs, key=lambda d: (d.status == "same", d.key != "serving_default", d.key)):
            item = self._diff_item(d)
            self.tree.addTopLevelItem(item)
            item.setExpanded(d.breaking)  # only once in the tree: Qt ignores it before
        for col in range(3):
            self.tree.resizeColumnToContents(col)
        self._apply_filter()

    def report(self) -> DiffReport | None:
        return self._report

    def item_for(self, key: str) -> QtWidgets.QTreeWidgetItem | None:
        """The row of a signature key (tests, and panels that point at it)."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(KEY, QtCore.Qt.ItemDataRole.UserRole) == key:
                return item
        return None

    # --- building rows -------------------------------------------------------------------------------------------

    def _diff_item(self, d: SignatureDiff) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([d.key, STATUS_TEXT.get(d.status, d.status), "", ""])
        item.setData(KEY, QtCore.Qt.ItemDataRole.UserRole, d.key)
        font = item.font(KEY)
        font.setBold(True)
        item.setFont(KEY, font)
        colour = COLOURS["same"] if d.status == "same" else COLOURS["error" if d.breaking else "info"]
        item.setForeground(STATUS, QtGui.QBrush(QtGui.QColor(colour)))
        item.setFont(STATUS, font)
        if d.status in ("only_a", "only_b"):
            item.setText(LOCAL, "present" if d.status == "only_a" else "—")
            item.setText(SERVER, "present" if d.status == "only_b" else "—")
            item.setBackground(STATUS, QtGui.QBrush(QtGui.QColor("#fdecea")))
        elif d.changes:
            errors = sum(c.severity == "error" for c in d.changes)
            infos = len(d.changes) - errors
            parts = [f"{errors} breaking" if errors else "", f"{infos} info" if infos else ""]
            item.setText(LOCAL, ", ".join(p for p in parts if p))
            if errors:
                item.setBackground(STATUS, QtGui.QBrush(QtGui.QColor("#fdecea")))
        for c in d.changes:
            item.addChild(self._change_item(c))
        return item

    def _change_item(self, c: Change) -> QtWidgets.QTreeWidgetItem:
        what = "missing" if c.what == "missing" else c.what.replace("_", " ")
        a, b = (c.a or "—", c.b or "—") if c.what != "missing" else ("present" if c.a else "—",
                                                                        "present" if c.b else "—")
        child = QtWidgets.QTreeWidgetItem([c.where, what, a, b])
        child.setData(KEY, QtCore.Qt.ItemDataRole.UserRole + 1, c.severity)
        colour = QtGui.QColor(COLOURS[c.severity if c.severity in COLOURS else "error"])
        for col in range(4):
            child.setForeground(col, QtGui.QBrush(colour))
        for col in (LOCAL, SERVER):
            child.setFont(col, self._mono)
        if c.severity == "error":
            for col in (LOCAL, SERVER):
                child.setBackground(col, QtGui.QBrush(QtGui.QColor("#fdecea")))
        child.setToolTip(KEY, "Breaks a request that works on the other side" if c.severity == "error" else
                         "Harmless: exports rename graph tensors; requests use the input/output keys")
        return child

    def _apply_filter(self, *_) -> None:
        only = self.only_changed.isChecked()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setHidden(only and item.text(STATUS) == "same")

    def _paint_headline(self, box: str) -> None:
        background, border, ink = BOXES[box]
        self.headline.setStyleSheet(f"#DiffHeadline {{ background: {background}; border: 1px solid {border}; "
                                    f"border-radius: 4px; color: {ink}; padding: 8px; }}")

    def _on_compare_done(self, task: Task, report: DiffReport) -> None:
        self.set_report(report)
        self.compared.emit(report)

    def _on_compare_failed(self, task: Task, error: ExplorerError) -> None:
        self.headline.setText(f"The signatures could not be compared: {error}")
        self._paint_headline("bad")
        self.compare_failed.emit(error)


class _FullLabel(QtWidgets.QLabel):
    """A word-wrapped label that asks for the height its text needs at its width (a splitter gives it no less)."""

    def _fit(self) -> None:
        if self.width() > 0:  # heightForWidth is -1 for an empty label, which Qt warns about as a minimum
            self.setMinimumHeight(max(0, self.heightForWidth(self.width())))

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


def main(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.signature_diff FOLDER URL`: a folder's signatures against a server's."""
    from explorer.core.targets import open_runner

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    if len(argv) < 3:
        print("usage: python -m explorer.ui.widgets.signature_diff FOLDER rest://HOST:PORT/MODEL", file=sys.stderr)
        return 2
    try:
        info = read_model(argv[1])
        runner = open_runner(argv[2])
        server = runner.metadata()
        report = diff_local_server(info, server, getattr(runner, "_served_version", None), argv[2])
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    view = SignatureDiffView()
    view.set_report(report)
    view.resize(1000, 600)
    view.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
