"""UnsafeModelDialog: asks before a model with dangerous ops loads, saying in plain words what it would do."""
from __future__ import annotations

import html
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QScrollArea, QStyle, QVBoxLayout, QWidget,
                               QHBoxLayout)

# What a group of ops does, said as the user's question is: "what would it do to my machine?"
EFFECTS = (
    ("read your files", ("ReadFile", "MatchingFiles", "ImmutableConst", "Restore", "RestoreV2", "RestoreSlice",
                          "LoadAndRemapMatrix", "GenerateVocabRemapping", "WholeFileReader", "WholeFileReaderV2",
                          "TextLineReader", "TextLineReaderV2", "FixedLengthRecordReader", "FixedLengthRecordReaderV2",
                          "TFRecordReader", "TFRecordReaderV2", "LMDBReader", "TextLineDataset", "TFRecordDataset",
                          "TFRecordDatasetV2", "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2",
                          "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset", "LMDBDataset",
                          "ExperimentalLMDBDataset", "SqlDataset", "ExperimentalSqlDataset", "MatchingFilesDataset",
                          "ExperimentalMatchingFilesDataset", "LoadDataset", "SnapshotDataset",
                          "SnapshotDatasetV2")),
    ("write files", ("WriteFile", "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "SaveDataset",
                      "SaveDatasetV2", "SnapshotDataset", "SnapshotDatasetV2", "DatasetToTFRecord",
                      "ExperimentalDatasetToTFRecord", "CreateSummaryFileWriter", "CreateSummaryDbWriter",
                      "DebugIdentityV2", "PrintV2")),
    ("run Python code", ("PyFunc", "PyFuncStateless", "EagerPyFunc", "Lambda")),
    ("send data over the network", ("DebugIdentity", "DebugIdentityV3", "DebugNanCount", "DebugNumericSummary",
                                     "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3",
                                     "DataServiceDatasetV4")),
)


def effects_in_words(report) -> str:
    """ "would read your files, write files and run Python code": what a report's high findings do."""
    ops = {f.op for f in report.high}
    said = [words for words, group in EFFECTS if ops & set(group)]
    if not said:
        return "would act on this computer"
    return "would " + (", ".join(said[:-1]) + " and " if len(said) > 1 else "") + said[-1]


class UnsafeModelDialog(QDialog):
    """Names each dangerous op, where it runs and what it does; "Run Anyway" (accept) or "Don't Run" (reject)."""

    def __init__(self, report, action: str = "load this model", parent: QWidget | None = None):
        super().__init__(parent)
        self.report = report
        name = Path(report.path).name or report.path
        self.setWindowTitle("Run a model that acts on this computer?")
        self.setModal(True)

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.heading = QLabel(f"<b>{html.escape(name)}</b> {effects_in_words(report)} when you {action}.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)

        items = []
        for f in report.high:
            items.append(f"<li><b>{html.escape(f.op)}</b> {html.escape(f.where)}<br>"
                         f"<span style='color: palette(placeholder-text)'>{html.escape(f.why)}</span></li>")
        others = [f for f in report.findings if f.severity != "high"]
        more = ""
        if others:
            more = ("<p>Also present, not run by a signature or at load (or harmless): "
                    + html.escape(", ".join(sorted({f"{f.op} ({f.severity})" for f in others}))) + ".</p>")
        self.findings = QLabel(f"<ul style='margin-left: 0px; -qt-list-indent: 1'>{''.join(items)}</ul>{more}")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.RichText)
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidget(self.findings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.advice = QLabel(
            "Nothing has run yet. Run it only if you trust who made it: it runs with your permissions. "
            f"Your answer is remembered for this model (fingerprint {html.escape(report.fingerprint)}); "
            "Preferences ▸ Safety takes it back.")
        self.advice.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("Run Anyway", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Don't Run", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setDefault(True)  # Enter must not run a stranger's code
        self.cancel_button.setAutoDefault(True)
        self.run_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.heading, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.advice)
        layout.addWidget(self.buttons)
        self.resize(640, min(520, 220 + 52 * len(report.high)))
        self.cancel_button.setFocus()


def _demo(argv: list[str]) -> int:
    """python -m explorer.ui.widgets.unsafe_dialog MODEL: the dialog for a model's findings."""
    from PySide6.QtWidgets import QApplication

    from explorer.core.scan import scan_path

    app = QApplication.instance() or QApplication(argv)
    dialog = UnsafeModelDialog(scan_path(argv[1]))
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv))
