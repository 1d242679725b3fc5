"""The status bar's message after a run of a model with twelve outputs is elided to its room, never under the
permanent "TensorFlow 2.21 loaded" label, and the whole text stays in its tooltip."""
from PySide6 import QtCore

import modelgen

TIMEOUT = 180_000


def _message_rect(window):
    """Where the status message is drawn, in the status bar's coordinates."""
    bar = window.statusBar()
    label = getattr(window, "status_message", None)
    if label is not None:
        return label.geometry(), label.fontMetrics().horizontalAdvance(label.text())
    # QStatusBar paints the message itself from x=6, as wide as its text (clipped against the permanent widgets).
    width = bar.fontMetrics().horizontalAdvance(bar.currentMessage())
    return QtCore.QRect(6, 0, width, bar.height()), width


def test_a_long_run_message_is_elided_beside_the_engine_label(qtbot, window, tmp_path):
    window.resize(1280, 800)
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as opened:
        window.open_model(str(modelgen.output_kinds(tmp_path)))
    window.show_panel("Predict")
    window.run_panel.set_signature(opened.args[0].user_signatures["twelve"])
    with qtbot.waitSignal(window.run_panel.prediction_done, timeout=TIMEOUT):
        window.run_panel.run()
    qtbot.waitUntil(lambda: window.engine_label.text().startswith("TensorFlow 2"), timeout=TIMEOUT)
    full = window.statusBar().currentMessage()
    assert "out_12" in full
    for width in (1280, 900):
        window.resize(width, 800)
        window.grab().save(str(tmp_path / f"status_{width}.png"))
        rect, text_width = _message_rect(window)
        engine = window.engine_label.geometry()
        assert not rect.intersects(engine), f"{width}: the message {rect} runs into the engine label {engine}"
        assert text_width <= rect.width() and rect.right() < engine.left()
        label = window.status_message
        assert label.text().endswith("…") and label.toolTip() == full == label.message()
    window.statusBar().showMessage("Short.")
    assert window.status_message.text() == "Short." and window.status_message.toolTip() == ""
    window.statusBar().clearMessage()
    assert window.status_message.text() == ""
