"""Diagnostics' and Compare's cards, badges and banners in the dark theme (forced as Preferences does): each is a
dark surface whose text reads on it (WCAG contrast >= 4.5), not the light theme's pastel cards on a dark window."""
from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

import modelgen
from explorer.core.compare import random_sources
from explorer.core.savedmodel import read_model

TIMEOUT = 180_000


def _luminance(c: QtGui.QColor) -> float:
    def ch(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())


def contrast(a: QtGui.QColor, b: QtGui.QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def surface_and_ink(widget: QtWidgets.QWidget) -> tuple[QtGui.QColor, float]:
    """The widget's background as drawn (its commonest pixel) and the best contrast any drawn pixel makes on it:
    the text's, since glyph cores are drawn in the text colour."""
    image = widget.grab().toImage()
    pixels = Counter(image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    back = QtGui.QColor(pixels.most_common(1)[0][0])
    best = max(contrast(back, QtGui.QColor(p)) for p in pixels)
    return back, best


def check_dark(widget, what):
    back, best = surface_and_ink(widget)
    assert back.lightness() < 110, f"{what} keeps a light background {back.name()} in the dark theme"
    assert best >= 4.5, f"{what}: its text reaches contrast {best:.1f} on {back.name()}"


@pytest.fixture
def dark(window):
    """A function that forces dark as Preferences does; run after the results are drawn, so the test also sees
    what was drawn under the light palette re-coloured."""
    from explorer.ui import theme

    app = QtWidgets.QApplication.instance()
    window.resize(1280, 800)

    def go_dark():
        window.product.apply_preferences({**window.settings.preferences(), "theme": "dark"}, announce=False)
        assert theme.is_dark(app.palette())
        QtWidgets.QApplication.processEvents()

    yield go_dark
    theme.apply_theme(app, "system")


def _shot(widget, name):
    folder = os.environ.get("JOURNEY_SHOTS")
    if folder:
        widget.grab().save(os.path.join(folder, f"{name}.png"))


def test_diagnostics_cards_are_dark_and_readable(qtbot, window, dark, tmp_path):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(str(modelgen.ignores_input(tmp_path)))
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None, timeout=TIMEOUT)
    window.show_panel("Diagnostics")
    panel = window.diagnostics
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    qtbot.waitUntil(lambda: panel.diagnosis is not None, timeout=TIMEOUT)
    panel.messages.show_message("The form's inputs are not valid: probed without them.", "warning",
                                fix="Fix the inputs in the Predict tab.")
    dark()
    qtbot.wait(50)
    _shot(panel, "dark_diagnostics")
    check_dark(panel.verdict_label, "the verdict card")
    check_dark(panel.messages, "the message banner")
    cards = [panel.cards_layout.itemAt(i).widget() for i in range(panel.cards_layout.count())]
    cards = [c for c in cards if c is not None and c.isVisible()]
    assert cards, "ignores_extra gives a cause card"
    for card in cards:
        check_dark(card, f"card {type(card).__name__}")


def test_compare_cards_and_headline_are_dark_and_readable(qtbot, window, dark, tmp_path):
    pairs = modelgen.compare_pairs(tmp_path)
    view = window.sessions.view
    window.show_panel("Compare")
    view.add_target(str(pairs["base"]))
    view.add_target(str(pairs["one_output"]))
    signature = read_model(pairs["base"]).user_signatures["serving_default"]
    view.request_provider = lambda: (signature, random_sources(signature, 3), 4, {})
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        assert view.compare() is not None
    dark()
    qtbot.wait(50)
    _shot(view, "dark_compare")
    for i, card in enumerate(view._cards):
        check_dark(card, f"target card {i}")
        fill, ink = re.search(r"background: (#\w+); color: (#?\w+)", card.letter.styleSheet()).groups()
        assert contrast(QtGui.QColor(fill), QtGui.QColor(ink)) >= 3, \
            f"letter badge {card.letter.text()}: {ink} on {fill}"
    check_dark(view.headline, "the compare headline")
    table = view.table
    for r in range(table.rowCount()):
        for c in range(table.columnCount()):
            item = table.item(r, c)
            if item is None:
                continue
            role = QtCore.Qt.ItemDataRole
            back = (item.background().color() if item.data(role.BackgroundRole) is not None
                    else table.palette().base().color())
            ink = (item.foreground().color() if item.data(role.ForegroundRole) is not None
                   else table.palette().text().color())
            assert back.lightness() < 110 and contrast(back, ink) >= 4.5, \
                f"table cell {item.text()!r}: {ink.name()} on {back.name()}"
    view.clear_targets()
    view.wait(TIMEOUT)


def test_safety_badge_and_version_states_are_readable_in_dark(qtbot, window, dark):
    """The model summary's safety badge kept a light pastel pill (#E7F4EA) with dark green text in a dark window, and
    TF Serving's version states (endpoint dialog, Server tab) were fixed dark inks on the dark base."""
    from explorer.resources import demo_model_path
    from explorer.ui.widgets.endpoint_dialog import state_colour

    dark()
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(str(demo_model_path()))
    badge = window.summary.safety_badge
    qtbot.waitUntil(lambda: badge.isVisible() and "unsafe" in badge.text(), timeout=TIMEOUT)
    check_dark(badge, "the safety badge")
    base = QtWidgets.QApplication.instance().palette().base().color()
    for state in ("AVAILABLE", "LOADING", "END", "FAILED"):
        assert contrast(QtGui.QColor(state_colour(state)), base) >= 4.5, state
