"""BothOutputs: one request's outputs from the local model and from the server side by side, with the per-output
difference (compare_outputs). run_both() is the plain worker job: the inputs are built ONCE and the same arrays go
to both sides, so any difference comes from the models, not from the request.

The full many-target comparison (tolerances, plots of differences, all versions) is the compare view's; this is
the quick answer to "does the server give what my folder gives?".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.compare import PredictionDiff, compare_outputs
from explorer.core.errors import ExplorerError, InputProblem
from explorer.core.request import Prediction, Request
from explorer.core.runners.base import Progress, no_progress
from explorer.core.signature import Signature

from .. import theme
from .message_bar import MessageBar
from .output_view import OutputView

# A status's severity: its ink comes from the palette (theme.py), so it reads in light and dark.
STATUS_SEVERITY = {"equal": "ok", "close": "ok", "different": "error", "shape_mismatch": "error",
                   "only_a": "warning", "only_b": "warning"}
STATUS_TEXT = {"equal": "equal", "close": "close", "different": "different", "shape_mismatch": "shape differs",
               "only_a": "only local", "only_b": "only server"}


@dataclass(eq=False)
class BothOutcome:
    """What run_both gives back: the request sent, each side's Prediction or error, the runners (kept), the diff."""

    request: Request
    local: Prediction | ExplorerError
    server: Prediction | ExplorerError
    local_runner: object
    server_runner: object
    diff: PredictionDiff | None = None


def run_both(local_runner, local_spec, server_runner, server_spec, signature: Signature, sources: dict,
             batch: int | None, offers: dict | None, progress: Progress = no_progress) -> BothOutcome:
    """Build the inputs once (checked for the stricter serving rules), then predict locally and on the server.
    A failure on one side is kept as that side's result; InputProblem when the form itself has errors, and the
    local side's UnsafeModelError (consent needed) before the server is called."""
    from ..consent import unsafe_report
    from ..run_panel import open_and_load
    from .tensor_form import prepare_inputs

    progress(0.0, "building inputs")
    prepared = prepare_inputs(signature, sources, batch, offers, "serving")
    if prepared.errors:
        first = prepared.errors[0]
        raise InputProblem(first.input, f"Not run: {first.message}", fix=first.fix or "Fix the marked inputs.")
    method = signature.request_method
    request = Request(signature.key, prepared.inputs, method=method, examples=prepared.examples)
    results = []
    runners = []
    for n, (runner, spec) in enumerate(((local_runner, local_spec), (server_runner, server_spec))):
        step = lambda f, t, n=n: progress(0.05 + 0.45 * n + 0.45 * f, t)  # noqa: E731
        try:
            if runner is None:
                runner = open_and_load(spec, step)
            results.append(runner.predict(request, step))
        except ExplorerError as exc:
            if n == 0 and unsafe_report(exc) is not None:
                # The folder needs the user's consent first: raised (the window asks, then runs both again), and
                # the server is not called, so refusing runs neither side and agreeing runs each once.
                raise
            results.append(exc)
        runners.append(runner)
    local, server = results
    diff = None
    if isinstance(local, Prediction) and isinstance(server, Prediction):
        diff = compare_outputs(local.outputs, server.outputs)
    progress(1.0, "done")
    return BothOutcome(request, local, server, runners[0], runners[1], diff)


class BothOutputs(QtWidgets.QWidget):
    """A headline, a per-output difference table, and the two OutputViews (local left, server right)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.outcome: BothOutcome | None = None
        self.headline = QtWidgets.QLabel("Run on Both (Predict tab ▸ Run on) to send the same request to the local "
                                         "model and the server.")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QtWidgets.QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Output", "Local", "Server", "Status", "max |diff|", "max rel"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(90)
        self.table.setMinimumHeight(60)  # a header and a row or two; it scrolls
        self.local_message, self.server_message = MessageBar(), MessageBar()
        self.local_view, self.server_view = OutputView(), OutputView()
        sides = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        for title, message, view in (("Local", self.local_message, self.local_view),
                                     ("Server", self.server_message, self.server_view)):
            box = QtWidgets.QGroupBox(title)
            inner = QtWidgets.QVBoxLayout(box)
            inner.addWidget(message)
            inner.addWidget(view, 1)
            sides.addWidget(box)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.table)
        layout.addWidget(sides, 1)

    def show_outcome(self, outcome: BothOutcome, signature: Signature | None = None,
                     server_signature: Signature | None = None) -> None:
        """Show both sides and their difference."""
        self.outcome = outcome
        for result, message, view, sig in ((outcome.local, self.local_message, self.local_view, signature),
                                           (outcome.server, self.server_message, self.server_view,
                                            server_signature or signature)):
            if isinstance(result, Prediction):
                message.clear()
                view.show_prediction(result, sig)
            else:
                view.clear()
                message.show_error(result)
        self.table.setRowCount(0)
        inputs = ", ".join(f"{k} {tuple(np.shape(v))}" for k, v in outcome.request.inputs.items())
        if outcome.diff is None:
            failed = [side for side, r in (("locally", outcome.local), ("on the server", outcome.server))
                      if not isinstance(r, Prediction)]
            self.headline.setText(f"{outcome.request.signature} ({inputs}) failed {' and '.join(failed)}: see "
                                  f"below. The same request failing on one side only points at a version or "
                                  f"signature difference (Local ⇄ Server diff above).")
            return
        diff = outcome.diff
        for key, d in diff.outputs.items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = [key, _shape(d.shape_a, d.dtype_a), _shape(d.shape_b, d.dtype_b), STATUS_TEXT.get(d.status, d.status),
                     _num(d.max_abs), _num(d.max_rel)]
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if col == 3:
                    item.setForeground(QtGui.QColor(theme.colors().inks[STATUS_SEVERITY.get(d.status, "error")]))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        # As tall as its rows (up to 6), so the outputs below get the room.
        rows = min(self.table.rowCount(), 6)
        self.table.setMaximumHeight(self.table.horizontalHeader().height() + 4
                                    + sum(self.table.rowHeight(r) for r in range(rows)))
        if diff.equal:
            self.headline.setText(f"<b style='color:{theme.colors().inks['ok']}'>Local and server agree</b> on {outcome.request.signature} "
                                  f"({inputs}) within rtol {diff.rtol:g}, atol {diff.atol:g}.")
        else:
            self.headline.setText(f"<b style='color:{theme.colors().inks['error']}'>Local and server differ</b> on "
                                  f"{outcome.request.signature} ({inputs}): {', '.join(diff.differing)}.")

    def clear(self) -> None:
        self.outcome = None
        self.table.setRowCount(0)
        self.local_view.clear()
        self.server_view.clear()
        self.local_message.clear()
        self.server_message.clear()


def _shape(shape, dtype: str) -> str:
    return "—" if shape is None else f"{tuple(shape)} {dtype}".strip()


def _num(value) -> str:
    return "" if value is None else f"{value:.4g}"
