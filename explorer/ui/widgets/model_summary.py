"""ModelSummary (facts about the open model, with version and tag-set choosers) and NodeDetails (the selected row)."""
from __future__ import annotations

import html
import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QStyle, QTextBrowser,
                               QVBoxLayout, QWidget)

from explorer.core.savedmodel import ModelInfo
from explorer.core.signature import Signature, TensorSpec

from .. import theme
from .signature_tree import BADGE_COLOURS, BADGE_OTHER, Node


def human_bytes(n: int) -> str:
    """1536 -> "1.5 KB" (powers of 1024, as file managers show)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


# The safety badge's severity: its (ink, tint) come from the palette (theme.card_style), so it reads in light and
# dark (the fixed light pastels were a bright block in a dark window).
BADGE_SEVERITY = {"high": "error", "medium": "warning", "clean": "ok"}


class ModelSummary(QWidget):
    """Path, version, tag-set, TensorFlow version, fingerprint, sizes and signature count of one model."""

    version_chosen = Signal(int)  # the user picked another version of a base path
    tag_set_chosen = Signal(object)  # the user picked another tag-set: tuple[str, ...]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._info: ModelInfo | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.icon = QLabel()
        self.icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon).pixmap(28, 28))
        self.title = QLabel("No model open")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.path_label = QLabel("")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setWordWrap(True)
        self.path_label.setStyleSheet("color: palette(placeholder-text);")

        self.version_combo = QComboBox()
        self.version_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # "124 (newest)", uncut
        self.version_combo.setToolTip("Versions found under this TF Serving base path (newest first)")
        self.version_combo.activated.connect(self._on_version_activated)
        self.version_note = QLabel("")
        self.tag_combo = QComboBox()
        self.tag_combo.setToolTip("MetaGraph tag-sets in saved_model.pb; TF Serving loads 'serve'")
        self.tag_combo.activated.connect(self._on_tag_activated)
        self.tf_version = QLabel("")
        self.fingerprint = QLabel("")
        self.fingerprint.setFont(mono)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sizes = QLabel("")
        self.sizes.setWordWrap(True)
        self.signature_count = QLabel("")
        self.skipped = QLabel("")
        self.skipped.setWordWrap(True)
        self.skipped.setStyleSheet(f"color: {theme.colors().inks['warning']};")
        self.lite = QLabel("")  # a .tflite's ops, what a runtime needs, where its signatures came from
        self.lite.setWordWrap(True)
        self.lite.setTextFormat(Qt.TextFormat.RichText)

        version_row = QHBoxLayout()
        version_row.setContentsMargins(0, 0, 0, 0)
        version_row.addWidget(self.version_combo)
        version_row.addWidget(self.version_note, 1)
        self._version_row = QWidget()
        self._version_row.setLayout(version_row)
        tag_row = QHBoxLayout()
        tag_row.setContentsMargins(0, 0, 0, 0)
        tag_row.addWidget(self.tag_combo)
        tag_row.addStretch(1)
        self._tag_row = QWidget()
        self._tag_row.setLayout(tag_row)

        # Two label/value columns: the facts fit in three rows and leave the height to the tree.
        self.form = QGridLayout()
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(4)
        self._labels: dict[QWidget, QLabel] = {}
        cells = [("Version", self._version_row, 0, 0), ("TensorFlow", self.tf_version, 0, 1),
                 ("Tag-set", self._tag_row, 1, 0), ("Fingerprint", self.fingerprint, 1, 1),
                 ("Signatures", self.signature_count, 2, 0), ("Size", self.sizes, 2, 1)]
        self._facts = [widget for _, widget, _, _ in cells]  # in reading order; _reflow packs the shown ones
        for text, widget, row, col in cells:
            label = QLabel(text)
            label.setStyleSheet("color: palette(placeholder-text);")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._labels[widget] = label
            self.form.addWidget(label, row, col * 2)
            self.form.addWidget(widget, row, col * 2 + 1)
        skipped_label = QLabel("Skipped")
        skipped_label.setStyleSheet("color: palette(placeholder-text);")
        skipped_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._labels[self.skipped] = skipped_label
        self.form.addWidget(skipped_label, 3, 0)
        self.form.addWidget(self.skipped, 3, 1, 1, 3)
        lite_label = QLabel("TFLite")
        lite_label.setStyleSheet("color: palette(placeholder-text);")
        lite_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._labels[self.lite] = lite_label
        self.form.addWidget(lite_label, 5, 0)
        self.form.addWidget(self.lite, 5, 1, 1, 3)
        self.form.setColumnStretch(1, 0)
        self.form.setColumnStretch(3, 1)

        # The safety scan (core/scan.py): a badge beside the title, and what the model would do in a row below.
        self.safety_badge = QLabel("")
        self.safety_badge.setObjectName("SafetyBadge")
        self.safety_badge.hide()
        self.safety = QLabel("")
        self.safety.setWordWrap(True)
        self.safety.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        safety_label = QLabel("Safety")
        safety_label.setStyleSheet("color: palette(placeholder-text);")
        safety_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._labels[self.safety] = safety_label
        self.form.addWidget(safety_label, 4, 0)
        self.form.addWidget(self.safety, 4, 1, 1, 3)
        self._scan = None

        head = QHBoxLayout()
        head.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.path_label)
        head.addLayout(titles, 1)
        head.addWidget(self.safety_badge, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addLayout(self.form)
        # Preferred, not Maximum: Maximum caps the height at sizeHint(), computed for unwrapped labels, so wrapped
        # lines (Size, path) overlapped what lies below in a narrow pane. The tree below takes the spare height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_scan(None)
        self.set_model(None)

    def set_model(self, info: ModelInfo | None) -> None:
        """Show `info`'s facts; None shows the empty state."""
        self._info = info
        self._set_row_visible(self._version_row, False)
        for row in (self._tag_row, self.tf_version, self.fingerprint, self.sizes, self.signature_count, self.skipped):
            self._set_row_visible(row, info is not None)
        if self._scan is not None and (info is None or self._scan.model_dir != info.model_dir):
            self.set_scan(None)  # another model's verdict must not stay beside this one
        self._set_row_visible(self.lite, info is not None and info.tflite is not None)
        if info is None:
            self.title.setText("No model open")
            self.path_label.setText("")
            self._reflow()
            return
        self.title.setText(_display_name(info))
        self.path_label.setText(info.model_dir)
        self.path_label.setToolTip(f"opened as {info.path}" if info.path != info.model_dir else info.model_dir)

        self.version_combo.clear()
        if info.versions:
            for v in info.versions:
                self.version_combo.addItem(f"{v}  (newest)" if v == info.versions[0] else str(v), v)
            self.version_combo.setCurrentIndex(info.versions.index(info.version))
            count = len(info.versions)
            self.version_note.setText(f"of {count}" if count > 1 else "(the only version)")
            self.version_note.setToolTip("A TF Serving base path: each numbered folder is a version")
            self._set_row_visible(self._version_row, True)
        self.tag_combo.clear()
        for tags in info.tag_sets:
            self.tag_combo.addItem(", ".join(tags) or "(no tags)", tags)
        self.tag_combo.setCurrentIndex(info.tag_sets.index(info.tag_set))
        self.tag_combo.setEnabled(len(info.tag_sets) > 1)

        self.tf_version.setText(info.tensorflow_version or "unknown")
        self.fingerprint.setText(info.fingerprint)
        self.fingerprint.setToolTip(f"from {info.fingerprint_source}")
        pb_name = "saved_model.pbtxt" if info.file_format == "pbtxt" else "saved_model.pb"
        # Non-breaking spaces inside each "name size unit": a narrow pane wraps between the parts, never "163 / B".
        parts = [(pb_name, info.saved_model_bytes), ("variables", info.variables_bytes), ("assets", info.assets_bytes)]
        self.sizes.setText(" · ".join(f"{name}\u00a0{human_bytes(n)}".replace(" ", "\u00a0") for name, n in parts))
        users = len(info.user_signatures)
        internal = len(info.signatures) - users
        self.signature_count.setText(f"{users}" + (f"  (+{internal} internal)" if internal else ""))
        if info.skipped_versions:
            self.skipped.setText("; ".join(f"{name}/: {why}" for name, why in info.skipped_versions.items()))
            self.skipped.setToolTip("Numbered folders TF Serving would not load")
        self._set_row_visible(self.skipped, bool(info.skipped_versions))
        self._labels[self.tf_version].setText("TensorFlow")
        if info.tflite is not None:
            self._show_tflite(info)
        self._reflow()

    def _reflow(self) -> None:
        """Pack the shown facts two to a row in reading order: a plain SavedModel folder (no numbered versions) or
        a .tflite hides Version (and Tag-set), which left an empty cell at the left of the first row."""
        shown = [w for w in self._facts if not w.isHidden()]
        hidden = [w for w in self._facts if w.isHidden()]
        for i, widget in enumerate(shown + hidden):  # hidden ones keep a place so showing one later never floats
            label = self._labels[widget]
            self.form.removeWidget(label)
            self.form.removeWidget(widget)
            row, col = divmod(i, 2)
            self.form.addWidget(label, row, col * 2)
            self.form.addWidget(widget, row, col * 2 + 1)

    def _show_tflite(self, info: ModelInfo) -> None:
        """A .tflite has no tag-sets or variables: its format, size, ops and needs take those places."""
        t = info.tflite
        self._set_row_visible(self._tag_row, False)
        self._labels[self.tf_version].setText("Format")
        self.tf_version.setText(f"TensorFlow Lite · {t.quantization_kind}")
        self.tf_version.setToolTip(f"schema v{t.schema_version} · {t.description or 'no description'}"
                                   + (f" · min runtime {t.min_runtime_version}" if t.min_runtime_version else ""))
        from pathlib import Path

        self.sizes.setText(f"{Path(t.file).name} {human_bytes(info.saved_model_bytes)}")
        ops = ", ".join(f"{name} {n}" for name, n in list(t.op_counts.items())[:5])
        more = len(t.op_counts) - 5
        graphs = ", ".join(g.name or f"#{g.index}" for g in t.subgraphs)
        parts = [f"{t.op_count} op{'s' if t.op_count != 1 else ''} ({_e(ops)}{f', +{more} kinds' if more > 0 else ''}) in "
                 f"{len(t.subgraphs)} subgraph{'s' if len(t.subgraphs) != 1 else ''} ({_e(graphs)})"]
        parts += [f"<span style='color:{theme.colors().inks['warning']}'>Needs {_e(need)}</span>" for need in t.needs()]
        parts += [f"<i>{_e(note)}</i>" for note in t.notes]
        self.lite.setText("<br>".join(parts))

    def model(self) -> ModelInfo | None:
        return self._info

    def set_scan(self, report) -> None:
        """Show the safety scan of the shown model (a core.scan.ScanReport); None hides it (not scanned yet)."""
        self._scan = report
        self._set_row_visible(self.safety, report is not None and bool(report.findings))
        if report is None:
            self.safety_badge.hide()
            return
        high = report.high
        if high:
            ops = sorted({f.op for f in high})
            text, colours = f"⚠ Unsafe: {', '.join(ops[:3])}{' …' if len(ops) > 3 else ''}", theme.card_style(BADGE_SEVERITY["high"])
        elif report.findings:
            text, colours = "⚠ Review ops", theme.card_style(BADGE_SEVERITY["medium"])
        else:
            text, colours = "✓ No unsafe ops", theme.card_style(BADGE_SEVERITY["clean"])
        fg, bg = colours
        self.safety_badge.setText(text)
        self.safety_badge.setStyleSheet(f"#SafetyBadge {{ color: {fg}; background: {bg}; border: 1px solid {fg}; "
                                        "border-radius: 9px; padding: 2px 8px; font-weight: bold; }")
        self.safety_badge.setToolTip("\n".join(f.line() for f in report.findings) or
                                     f"The safety scan read {report.ops_seen} ops (every signature, function and "
                                     "load step): none reads or writes files or runs Python.")
        self.safety_badge.show()
        if report.findings:
            from .unsafe_dialog import effects_in_words

            lines = []
            if high:
                lines.append(f"<b style='color:{theme.colors().inks['error']}'>This model {effects_in_words(report)}"
                             "</b>; Predict, Diagnostics and Compare ask before loading it.")
            for f in report.findings[:4]:
                lines.append(f"{_e(f.op)} ({f.severity}) {_e(f.where)}")
            if len(report.findings) > 4:
                lines.append(f"… and {len(report.findings) - 4} more (hover the badge)")
            self.safety.setText("<br>".join(lines))

    def scan(self):
        return self._scan

    def _set_row_visible(self, widget: QWidget, shown: bool) -> None:
        widget.setVisible(shown)
        self._labels[widget].setVisible(shown)

    def _on_version_activated(self, index: int) -> None:
        version = self.version_combo.itemData(index)
        if self._info is not None and version != self._info.version:
            self.version_chosen.emit(int(version))

    def _on_tag_activated(self, index: int) -> None:
        tags = self.tag_combo.itemData(index)
        if self._info is not None and tuple(tags) != self._info.tag_set:
            self.tag_set_chosen.emit(tuple(tags))


class NodeDetails(QTextBrowser):
    """Everything about the selected signature, group or tensor, as a small read-only document."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self._node: Node | None = None
        self._default: str | None = None
        self._info: ModelInfo | None = None
        self.show_node(None)

    def set_default_signature(self, key: str | None) -> None:
        self._default = key

    def set_model(self, info: ModelInfo | None) -> None:
        """The model the shown nodes belong to (its default signature and the TF Serving call to reach them)."""
        self._info = info
        self._default = info.default_signature if info else None

    def node(self) -> Node | None:
        return self._node

    def show_node(self, node: Node | None) -> None:
        """Describe `node`; None shows a hint."""
        self._node = node
        if node is None:
            self.setHtml("<p style='color:gray'>Select a signature, input or output to see its details.</p>")
        elif node.function is not None or node.kind == "functions":
            self.setHtml(_function_html(node, self._info))
        elif node.kind == "tensor":
            self.setHtml(_tensor_html(node))
        elif node.kind in ("inputs", "outputs"):
            specs = node.signature.inputs if node.kind == "inputs" else node.signature.outputs
            self.setHtml(f"<h3>{_e(node.signature.key)} · {node.kind}</h3>" + _table(specs))
        else:
            self.setHtml(_signature_html(node.signature, node.signature.key == self._default)
                         + _call_html(node.signature, self._info))


def _function_html(node: Node, info) -> str:
    """A saved tf.function: what it takes and gives, and how it becomes a signature TF Serving can call."""
    f = node.function
    if f is None:
        return ("<h3>Functions</h3><p>The tf.functions saved in the model's object graph (read without TensorFlow). "
                "TF Serving serves only signatures; a function becomes one with <b>Signature ▸ Edit and "
                "Re-export…</b>.</p>")
    path = info.path if info is not None else "MODEL"
    head = f"<h3>{_e(f.name)} · saved function</h3><p>graph function <code>{_e(f.concrete_name)}</code></p>"
    fixed = ("<p>Fixed by the trace: " + ", ".join(f"{_e(k)}={_e(v)}" for k, v in f.fixed.items()) + "</p>"
             if f.fixed else "")
    tables = "<h4>inputs</h4>" + _table(f.inputs) + "<h4>outputs</h4>" + _table(f.outputs)
    if f.problem:
        how = f"<p style='color:{theme.colors().inks['warning']}'>It cannot become a signature as it is: {_e(f.problem)}.</p>"
    else:
        how = ("<p>Not a signature: clients and TF Serving cannot call it. Make it one with <b>Signature ▸ Edit and "
               f"Re-export…</b>, or:</p><pre>signature-explorer reexport {_e(path)} NEW_FOLDER --from-function "
               f"{_e(f.name)}</pre>")
    return head + fixed + tables + how


def _e(text) -> str:
    return html.escape(str(text))


def _badge(sig: Signature) -> str:
    colour = BADGE_OTHER if sig.internal else BADGE_COLOURS.get(sig.method_short, BADGE_OTHER)
    return (f"<span style='background:{colour}; color:white; font-weight:bold'>"
            f"&nbsp;{_e(sig.method_short or 'none')}&nbsp;</span>")


def _table(specs: dict[str, TensorSpec]) -> str:
    if not specs:
        return "<p style='color:gray'>none</p>"
    quantised = any(s.quantization is not None for s in specs.values())
    rows = "".join(
        f"<tr><td><b>{_e(s.key)}</b></td><td>{_e(_dtype_text(s))}</td><td>{_e(s.shape_text())}</td>"
        + (f"<td>{_e(_scale_text(s))}</td>" if quantised else "")
        + f"<td><code>{_e(s.name)}</code></td></tr>" for s in specs.values())
    return ("<table cellspacing='0' cellpadding='3' border='0' width='100%'>"
            "<tr style='color:gray'><td>key</td><td>dtype</td><td>shape</td>"
            + ("<td>scale · zero-point</td>" if quantised else "") + "<td>tensor name</td></tr>"
            f"{rows}</table>")


def _dtype_text(spec: TensorSpec) -> str:
    if spec.quantization is not None:
        return f"{spec.storage_dt.short} (real float32)"
    try:
        return spec.dt.short
    except KeyError:
        return spec.dtype


def _scale_text(spec: TensorSpec) -> str:
    q = spec.quantization
    if q is None:
        return "-"
    return f"{len(q.scale)} scales, axis {q.axis}" if q.per_axis else f"{q.scale[0]:.4g} · {q.zero_point[0]}"


def _signature_html(sig: Signature, is_default: bool) -> str:
    notes = []
    if is_default:
        notes.append("TF Serving's default: requests that name no signature use this one.")
    if sig.internal:
        notes.append("Internal entry written by TensorFlow; clients cannot call it.")
    parts = [f"<h3>{_e(sig.key)} &nbsp;{_badge(sig)}</h3>",
             f"<p>method <code>{_e(sig.method_name or '(none)')}</code></p>"]
    parts += [f"<p><i>{_e(n)}</i></p>" for n in notes]
    parts += ["<h4>Inputs</h4>", _table(sig.inputs), "<h4>Outputs</h4>", _table(sig.outputs)]
    if sig.defaults:
        items = "".join(f"<li><b>{_e(k)}</b> = <code>{_e(v)}</code></li>" for k, v in sig.defaults.items())
        parts += ["<h4>Default input values</h4>", f"<ul>{items}</ul>"]
    return "".join(parts)


_API = {"predict": ("predict", "Predict", "inputs / instances"), "classify": ("classify", "Classify", "examples"),
        "regress": ("regress", "Regress", "examples")}


def _call_html(sig: Signature, info: ModelInfo | None) -> str:
    """How a TF Serving client reaches this signature (model name = the base path's folder, as usually served)."""
    if info is None or sig.internal or sig.method_short not in _API:
        return ""
    from pathlib import Path

    verb, rpc, body = _API[sig.method_short]
    name = Path(info.path).name if info.versions else "MODEL"
    version = f"/versions/{info.version}" if info.version is not None else ""
    return ("<h4>Calling it on TF Serving</h4><table cellspacing='0' cellpadding='2'>"
            f"<tr><td style='color:gray'>REST</td><td><code>POST /v1/models/{_e(name)}{version}:{verb}</code></td></tr>"
            f"<tr><td style='color:gray'>gRPC</td><td><code>PredictionService/{rpc}</code>, "
            f"<code>model_spec.signature_name = \"{_e(sig.key)}\"</code></td></tr>"
            f"<tr><td style='color:gray'>body</td><td>{_e(body)} with <code>\"signature_name\": "
            f"\"{_e(sig.key)}\"</code></td></tr></table>")


def _tensor_html(node: Node) -> str:
    spec, sig = node.spec, node.signature
    try:
        dt = spec.storage_dt  # what the model holds; a quantised tensor's real values are said below
        names = f"{_e(spec.dtype)} · numpy {_e(dt.short)}" + (f" · KServe {_e(dt.kserve)}" if dt.kserve else "")
        if not dt.rest_json:
            names += " · <i>not accepted by TF Serving's REST JSON</i>"
    except KeyError:
        names = _e(spec.dtype)
    notes = []
    if spec.dtype.endswith("_REF"):
        notes.append("A TF1 reference type: tf.saved_model.load cannot run it; the TF1 session loader (as TF "
                     "Serving) can.")
    if spec.shape is None:
        notes.append("Unknown rank: the signature accepts any shape.")
    elif not spec.has_shape:
        notes.append("No shape was recorded: TensorFlow 2 reads this input as a scalar.")
    elif -1 in spec.shape:
        dims = ", ".join(str(i) for i, d in enumerate(spec.shape) if d == -1)
        notes.append(f"-1 means any size (dimension {dims}); the first is usually the batch.")
    if spec.encoding != "dense":
        notes.append(f"Encoding: {spec.encoding}.")
    rows = [("dtype", names), ("shape", _e(spec.shape_text())), ("rank", _e(spec.rank if spec.rank is not None else "unknown")),
            ("tensor name", f"<code>{_e(spec.name)}</code>"), ("signature", f"{_e(sig.key)} {_badge(sig)}")]
    if spec.allocated_shape is not None:  # TFLite: shape_signature (above, -1 dims) and the shape it allocates
        rows[1] = ("shape_signature", _e(spec.shape_text()))
        rows.insert(2, ("shape", f"{_e(tuple(spec.allocated_shape))} until resized to the request"))
        rows.append(("tensor index", _e(spec.index)))
    if spec.quantization is not None:
        q = spec.quantization
        rows.insert(1, ("quantised", _e(q.text()) + (f" (scales {_e(', '.join(f'{x:.4g}' for x in q.scale[:8]))}"
                                                      f"{' …' if len(q.scale) > 8 else ''})" if q.per_axis else "")))
        notes.append(f"Quantised: you give and read real (float32) values. Inputs are quantised with "
                     f"q = round(x / scale) + zero-point and clipped to {spec.storage_dt.short}; outputs are "
                     "dequantised, with the raw integers one click away in the output view.")
    if node.side == "inputs" and spec.key in sig.defaults:
        rows.append(("default", f"<code>{_e(sig.defaults[spec.key])}</code>"))
    table = "".join(f"<tr><td style='color:gray'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    body = "".join(f"<p><i>{_e(n)}</i></p>" for n in notes)
    return (f"<h3>{_e(spec.key)} <span style='color:gray; font-weight:normal'>· {node.side[:-1]}</span></h3>"
            f"<table cellspacing='0' cellpadding='3'>{table}</table>{body}")


def _display_name(info: ModelInfo) -> str:
    from pathlib import Path

    name = Path(info.path).name or info.path
    return name if not info.versions else f"{name} · version {info.version}"


def _demo(argv: list[str]) -> int:
    """`python -m explorer.ui.widgets.model_summary MODEL`: the summary of one model."""
    from PySide6.QtWidgets import QApplication

    from explorer.core.errors import ExplorerError
    from explorer.core.savedmodel import read_model

    app = QApplication.instance() or QApplication(argv)
    summary = ModelSummary()
    if len(argv) > 1:
        try:
            summary.set_model(read_model(argv[1]))
        except ExplorerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    summary.version_chosen.connect(lambda v: summary.set_model(read_model(argv[1], version=v)))
    summary.setWindowTitle("ModelSummary")
    summary.resize(560, summary.sizeHint().height())
    summary.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(_demo(sys.argv))
