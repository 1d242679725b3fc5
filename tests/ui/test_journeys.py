"""A journey per user problem (issue 13): the real window on a model it has never seen, driven as a user would, with
asserts on what the user reads (banner, cards, verdict, history row). Each saves its screenshot (JOURNEY_SHOTS=dir
keeps them; they are looked at, and the docs' screenshots are retaken from them)."""
import os
import re
import shutil

import numpy as np
import pytest

import modelgen
from explorer.core.sources import Source
from explorer.resources import demo_model_path
from tests.ui.layout_audit import audit

TIMEOUT = 180_000


def _shot(w, tmp_path, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    for _ in range(5):  # let layouts settle (scroll areas lay out their content late)
        QApplication.processEvents()
    folder = os.environ.get("JOURNEY_SHOTS") or str(tmp_path)
    w.grab().save(os.path.join(folder, f"journey_{name}.png"))
    assert audit(w) == []  # nothing the user reads here is cut


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("journeys")
    collapsed, healthy = modelgen.classifier_pair(root)
    return {"fixed": modelgen.fixed_batch(root), "scaled": modelgen.identity_and_triple(root),
            "saturating": modelgen.saturates_at_byte_scale(root), "collapsed": collapsed, "healthy": healthy}


@pytest.fixture
def window(readme_window):  # tests/ui/conftest.py
    return readme_window


def _open(qtbot, w, path, version=None):
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(path), version=version)
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Predict")
    with qtbot.waitSignal(w.run_panel.form.problems_changed, timeout=TIMEOUT):
        w.run_panel.form.check_now()


def _run(qtbot, w, ok=True):
    with qtbot.waitSignal(w.run_panel.prediction_done if ok else w.run_panel.run_failed, timeout=TIMEOUT):
        w.run_panel.run()


def test_a_fixed_batch_of_32_runs_from_its_default(qtbot, window, models, tmp_path):
    """Items 1 and 5: the default of features [32, 5] is 32 rows of 5 and passes; the history says 32."""
    _open(qtbot, window, models["fixed"])
    form = window.run_panel.form
    assert "Inputs match the signature" in form.status.text()
    _run(qtbot, window)
    row = window.run_panel.history.table.topLevelItem(0)
    assert row.text(5) == "32" and "y (32, 2)" in row.text(7)
    _shot(window, tmp_path, "fixed_batch")


def test_compare_all_versions_from_the_default_input(qtbot, window, models, tmp_path):
    """Item 2: y = x against y = 3x from the form's all-zero default is a difference, with a warning."""
    _open(qtbot, window, models["scaled"], version=1)
    view = window.sessions.view
    view.add_all_versions(str(models["scaled"]))
    window.show_panel("Compare")
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        view.compare()
    text = _plain(view.headline.text())
    assert "B vs A: equal on your input, differs on 8 of 8 probes (y) — they differ" in text
    assert "Your input is all zeros" in text
    _shot(window, tmp_path, "compare_probes")


def test_unnormalised_image_then_float64(qtbot, window, tmp_path):
    """Items 3 and 4: a 0..255 image warns and offers Scale; a float64 array is not run, Cast clears the banner."""
    _open(qtbot, window, demo_model_path())
    form = window.run_panel.form
    digit = demo_model_path() / "samples" / "digit_3.png"
    if not digit.exists():
        digit = next(demo_model_path().rglob("digit_3.png"))
    form.set_sources({"image": Source("file", path=str(digit))})
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        form.check_now()
    row = form.row("image")
    assert "image models usually take 0..1" in _plain(row.problem_label.text()) and row.offer_button.isVisible()
    _run(qtbot, window)
    _shot(window, tmp_path, "unnormalised")
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        row.offer_button.click()  # Scale to 0..1
    assert not row.offer_button.isVisible()
    assert row.editor().normalize.isChecked()  # the file's own box says it, not a second note beside it unticked
    assert "not scaled" not in _plain(row.notes_label.text()) and "applied" not in _plain(row.notes_label.text())
    _run(qtbot, window)
    assert window.run_panel.outputs.pane("probabilities").plot.argmax == [3]
    _shot(window, tmp_path, "form_outputs")
    f64 = tmp_path / "digit_f64.npy"
    np.save(f64, np.random.default_rng(0).random((1, 28, 28, 1)))
    form.set_sources({"image": Source("file", path=str(f64))})
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        form.check_now()
    _run(qtbot, window, ok=False)
    assert window.run_panel.message.text().startswith("Not run:")
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        row.offer_button.click()  # Cast to float32
    qtbot.waitUntil(lambda: not window.run_panel.message.isVisible(), timeout=10_000)
    assert "Inputs match the signature" in form.status.text() or "Ready" in form.status.text()
    _shot(window, tmp_path, "float64_cast")


def test_check_names_saturation_around_my_raw_input(qtbot, window, models, tmp_path):
    """Item 8: a raw 0..255 input that pins the model: the Diagnostics card says so, with the fix, uncut."""
    _open(qtbot, window, models["saturating"])
    raw = (np.random.default_rng(9).random((1, 16)) * 255).round(1).tolist()
    window.run_panel.form.set_sources({"x": Source("literal", text=str(raw))})
    with qtbot.waitSignal(window.run_panel.form.problems_changed, timeout=TIMEOUT):
        window.run_panel.form.check_now()
    panel = window.diagnostics
    window.show_panel("Diagnostics")
    with qtbot.waitSignal(panel.diagnosed, timeout=TIMEOUT) as blocker:
        panel.start()
    d = blocker.args[0]
    assert d.verdict != "ok"
    card = panel.cards[0]
    assert "saturates at your input's scale" in _plain(card.title.text())
    assert card.fix.height() >= card.fix.heightForWidth(card.fix.width())  # the Fix text is not cut mid-line
    _shot(window, tmp_path, "saturation")


def test_check_of_a_text_input(qtbot, window, tmp_path):
    """Item 13: probing around a string input answers instead of an error above empty plots."""
    _open(qtbot, window, demo_model_path())
    window.tree.select_signature("text_stats")
    qtbot.waitUntil(lambda: window.run_panel.signature().key == "text_stats", timeout=TIMEOUT)
    window.run_panel.form.set_sources({"text": Source("text", text="hello world\nthe quick brown fox")})
    with qtbot.waitSignal(window.run_panel.form.problems_changed, timeout=TIMEOUT):
        window.run_panel.form.check_now()
    panel = window.diagnostics
    window.show_panel("Diagnostics")
    with qtbot.waitSignal(panel.diagnosed, timeout=TIMEOUT) as blocker:
        panel.start()
    assert blocker.args[0].probes[0].label == "your input"
    assert not panel.messages.isVisible()
    _shot(window, tmp_path, "text_check")


def test_a_collapsed_model_and_its_healthy_twin(qtbot, window, models, tmp_path):
    """The problem users bring most: the same answer for every input. The collapsed model is named, its twin is ok."""
    panel = window.diagnostics
    for which, verdict in (("healthy", "ok"), ("collapsed", "identical")):
        _open(qtbot, window, models[which])
        window.show_panel("Diagnostics")
        with qtbot.waitSignal(panel.diagnosed, timeout=TIMEOUT) as blocker:
            panel.start()
        assert blocker.args[0].verdict == verdict
    assert "a collapsed or untrained model" in _plain(panel.cards[0].title.text())
    _shot(window, tmp_path, "collapsed")
