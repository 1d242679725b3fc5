"""The tour's window screenshots, retaken at the README's size (1280x800) with real servers (tests/servers): each
asserts what its docs caption says, and saves its PNG (JOURNEY_SHOTS=dir keeps them as docs/screenshots/NAME.png)."""
import os
import shutil

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

import modelgen
from explorer.core.sources import Source
from explorer.resources import demo_model_path
from explorer.ui.server_actions import LOCAL_SERVER
from explorer.ui.widgets.endpoint_dialog import Endpoint
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TWO_VERSIONS
from tests.ui.layout_audit import audit

TIMEOUT = 180_000


def _shot(w, tmp_path, name: str) -> None:
    for _ in range(5):  # let layouts settle (scroll areas lay out their content late)
        QApplication.processEvents()
    folder = os.environ.get("JOURNEY_SHOTS") or str(tmp_path)
    w.grab().save(os.path.join(folder, f"{name}.png"))
    assert audit(w) == []  # nothing the user reads here is cut
    assert (w.width(), w.height()) == (1280, 800), "the window grew to fit its contents"


@pytest.fixture
def window(readme_window):  # tests/ui/conftest.py
    return readme_window


def _open(qtbot, w, path):
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(path))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)


def _connect(qtbot, w, handle):
    endpoint = Endpoint("127.0.0.1", handle.rest_port, handle.grpc_port, handle.model_name)
    with qtbot.waitSignal(w.server.panel.refreshed, timeout=60_000):
        w.server.connect_to(endpoint)
    return endpoint


def _check(qtbot, w):
    w.show_panel("Diagnostics")
    with qtbot.waitSignal(w.diagnostics.diagnosed, timeout=TIMEOUT) as blocker:
        w.diagnostics.start()
    return blocker.args[0]


def test_float64_not_run_with_cast_offered(qtbot, window, tmp_path):
    _open(qtbot, window, demo_model_path())
    window.show_panel("Predict")
    form = window.run_panel.form
    f64 = tmp_path / "digit_3_f64.npy"
    np.save(f64, np.random.default_rng(0).random((1, 28, 28, 1)))
    form.set_sources({"image": Source("file", path=str(f64))})
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        form.check_now()
    window.run_panel.run()
    qtbot.waitUntil(lambda: window.run_panel.message.text().startswith("Not run:"), timeout=TIMEOUT)
    assert form.row("image").offer_button.isVisible() and "float32" in form.row("image").offer_button.text()
    # The refused run leaves nothing running: no "Building inputs… 0%" bar and no Stop beside the banner.
    qtbot.waitUntil(lambda: not window.run_panel.worker.busy(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.run_panel.progress.isVisible(), timeout=10_000)
    _shot(window, tmp_path, "tour_float64")


def test_pinned_server_checked_beside_the_folder(qtbot, window, two_versions_server, tmp_path):
    _open(qtbot, window, MODELS / TWO_VERSIONS)
    _connect(qtbot, window, two_versions_server)
    window.show_panel(LOCAL_SERVER)
    # Before a Both run the diff is what there is to read: every signature's row is in view, not one row above
    # empty output boxes.
    tree = window.server.diff_view.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 6, timeout=TIMEOUT)
    for _ in range(5):
        QApplication.processEvents()
    rows = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert len(rows) == 6 and all(tree.viewport().rect().contains(tree.visualItemRect(r)) for r in rows)
    _shot(window, tmp_path, "tour_stale_version")
    window.server.set_run_on("server")
    d = _check(qtbot, window)
    assert d.engine == "rest" and "pinned_version" in {c.cause for c in d.causes}
    _shot(window, tmp_path, "tour_pinned_check")


def test_local_vs_an_older_server(qtbot, window, model_servers, tmp_path):
    # Version 123 re-exported with TF2 (other tensor names, predict only), 124 the TF1 one: the server pinned to 123.
    base = tmp_path / "half_plus_two"
    shutil.copytree(MODELS / "saved_model_half_plus_two_tf2_cpu" / "00000123", base / "123")
    shutil.copytree(MODELS / TWO_VERSIONS / "00000124", base / "124")
    handle = model_servers.get(str(base), "half_plus_two", "specific:123")
    _open(qtbot, window, base)
    _connect(qtbot, window, handle)
    window.show_panel(LOCAL_SERVER)
    qtbot.waitUntil(lambda: "match version 123" in window.server.diff_view.headline.text(), timeout=TIMEOUT)
    # Before a Both run the diff has the tab's height: its rows are read, not one row and empty output boxes.
    diff, outputs = window.server.page.sizes()
    assert diff > outputs, (diff, outputs)
    _shot(window, tmp_path, "local_vs_server")


def test_server_serving_a_collapsed_model(qtbot, window, model_servers, tmp_path):
    collapsed, healthy = modelgen.classifier_pair(tmp_path)
    base = tmp_path / "digits"
    shutil.copytree(collapsed, base / "1")
    handle = model_servers.get(str(base), "digits")
    _open(qtbot, window, healthy)
    _connect(qtbot, window, handle)
    window.server.set_run_on("server")
    d = _check(qtbot, window)
    assert d.verdict == "identical"
    _shot(window, tmp_path, "tour_server_diagnosis")


def _form_check(qtbot, w, sources, batch=None):
    w.show_panel("Predict")
    form = w.run_panel.form
    form.set_sources(sources, batch=batch, check_now=False)
    with qtbot.waitSignal(form.problems_changed, timeout=TIMEOUT):
        form.check_now()
    qtbot.waitUntil(lambda: not w.run_panel.worker.busy(), timeout=TIMEOUT)  # the model loaded, as a user waits
    return form


def test_rgb_into_the_grayscale_classifier(qtbot, window, tmp_path):
    _open(qtbot, window, demo_model_path())
    rgb = next(demo_model_path().rglob("digit_3_rgb.npy"))
    form = _form_check(qtbot, window, {"image": Source("file", path=str(rgb))})
    row = form.row("image")
    assert row.offer_button.isVisible() and "channel" in row.offer_button.text().lower()
    _shot(window, tmp_path, "tour_rgb_into_grayscale")


def test_two_inputs_and_a_float_into_int64(qtbot, window, tmp_path):
    _open(qtbot, window, demo_model_path())
    window.tree.select_signature("score")
    qtbot.waitUntil(lambda: window.run_panel.signature().key == "score", timeout=TIMEOUT)
    form = _form_check(qtbot, window, {"features": Source("literal", text="[[0.1,0.2,0.3,0.4],[1,2,3,4]]"),
                                       "category": Source("literal", text="[1.5,2]")}, batch=2)
    assert "1.5" in form.row("category").problem_label.text()
    _shot(window, tmp_path, "tour_two_inputs")


def test_a_model_tensorflow_2_cannot_load_runs_on_the_session_loader(qtbot, window, tmp_path):
    _open(qtbot, window, MODELS / "saved_model_half_plus_three")
    _form_check(qtbot, window, {"x": Source("literal", text="[[1],[2],[5]]")}, batch=3)
    with qtbot.waitSignal(window.run_panel.prediction_done, timeout=TIMEOUT):
        window.run_panel.run()
    _shot(window, tmp_path, "tour_fallback")


def test_five_signatures_of_a_tf1_builder_export(qtbot, window, tmp_path):
    _open(qtbot, window, modelgen.tf1_builder(tmp_path))
    window.tree.select_signature("tokens")  # [-1, -1, 100]: the form asks a length per free dimension
    qtbot.waitUntil(lambda: window.run_panel.signature().key == "tokens", timeout=TIMEOUT)
    window.show_panel("Predict")
    qtbot.waitUntil(lambda: not window.run_panel.worker.busy(), timeout=TIMEOUT)
    _shot(window, tmp_path, "tour_signatures")


def test_a_signature_broken_in_the_export_is_explained(qtbot, window, tmp_path):
    # docs/manual/tour.md: regress_x_to_y2 of saved_model_half_plus_two_mkl, tf.Example feature x = 1, 2, 3 (Batch
    # 3); TensorFlow's "Incompatible shapes" becomes the explanation and the fix, its own text behind Details.
    _open(qtbot, window, MODELS / "saved_model_half_plus_two_mkl")
    window.tree.select_signature("regress_x_to_y2")
    qtbot.waitUntil(lambda: window.run_panel.signature().key == "regress_x_to_y2", timeout=TIMEOUT)
    window.show_panel("Predict")
    panel = window.run_panel
    panel.form.set_batch_size(3)
    row = panel.form.row("inputs")
    assert row.mode == "examples"
    row.editor().set_feature(0, "x", "float", ["1", "2", "3"])
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    error = blocker.args[0]
    bar = panel.message
    assert bar.level() == "error" and bar.isVisible()
    assert bar.text().startswith("Signature 'regress_x_to_y2' is broken in this export")
    assert "(3, 1) (from your batch of 3)" in bar.text() and "(1, 10, 10, 1)" in bar.text()
    assert "no input can fix this" in bar.text()
    assert bar.fix().startswith("Use another signature of this model") and "TF Serving fails the same way" in bar.fix()
    assert bar.has_details() and not bar.details_shown()  # TensorFlow's own text waits behind Details
    assert "Incompatible shapes" in bar.details() and "Incompatible shapes" not in bar.text()
    assert str(error) == bar.text()
    assert not panel.history.entries()[0].ok  # the failed run is in the history
    qtbot.waitUntil(lambda: not window.stop_button.isVisible(), timeout=TIMEOUT)  # the engine is idle again
    _shot(window, tmp_path, "tour_broken_signature")


def test_a_wrong_model_name_on_the_server_tab(qtbot, window, two_versions_server, tmp_path):
    # docs/manual/tour.md: connect to model 'half_plus_tw'; the Server tab says no such model, with the fix.
    _open(qtbot, window, MODELS / TWO_VERSIONS)
    endpoint = Endpoint("127.0.0.1", two_versions_server.rest_port, two_versions_server.grpc_port, "half_plus_tw")
    with qtbot.waitSignal(window.server.panel.refresh_failed, timeout=60_000) as blocker:
        window.server.connect_to(endpoint)
    assert getattr(blocker.args[0], "status", None) == 404
    bar = window.server.panel.message
    assert bar.isVisible() and bar.level() == "error"
    assert "has no version of model 'half_plus_tw'" in bar.text() and "--model_name" in bar.text()
    assert bar.fix().startswith("Check the model name") and "numbered version folders" in bar.fix()
    assert bar.has_details() and not bar.details_shown()
    assert window.server.panel.statuses() == []  # no version listed: there is none
    panel = window.server.panel  # and no invitation to connect, when it is connected and the server said no
    assert panel.tree.tree.placeholder.startswith("No signatures: the server did not answer")
    assert panel.served_label.text() == "Served signatures: unavailable"
    status = window.statusBar().currentMessage()  # not "Connected": the server answered that it has no such model
    assert "Connected" not in status and "has no version of model 'half_plus_tw'" in status
    _shot(window, tmp_path, "tour_wrong_model_name")


def test_a_legacy_session_bundle_is_explained_inline(qtbot, window, tmp_path):
    # docs/manual/gui.md: "the message says so in a bar above the tree, naming the path and what was expected; the
    # technical details are behind Details".
    path = MODELS / "bad_half_plus_two"
    with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT):
        window.open_model(str(path))
    bar = window.messages
    assert bar.isVisible() and bar.level() == "error"
    assert str(path) in bar.text() and "legacy SessionBundle" in bar.text()
    assert "saved_model.pb" in bar.fix()  # what was expected, and how to get it
    assert bar.has_details() and not bar.details_shown() and "Traceback" not in bar.text()
    assert window.model() is None and window.tree.visible_signature_keys() == []
    _shot(window, tmp_path, "main_window_error")


def test_the_dark_theme_on_a_model_with_a_run_and_a_plot(qtbot, window, tmp_path):
    # docs/manual/product.md: Preferences force dark; our colours (badges, tints, plots) are derived from the palette.
    import pyqtgraph as pg

    from explorer.ui import theme

    app = QApplication.instance()
    window.product.apply_preferences({**window.settings.preferences(), "theme": "dark"}, announce=False)
    try:
        assert theme.is_dark(app.palette())
        _open(qtbot, window, demo_model_path())
        window.tree.select_signature("score")
        qtbot.waitUntil(lambda: window.run_panel.signature().key == "score", timeout=TIMEOUT)
        _form_check(qtbot, window, {"features": Source("literal", text="[[0.1,0.2,0.3,0.4],[1,2,3,4],[4,3,2,1]]"),
                                    "category": Source("literal", text="[1,2,0]")}, batch=3)
        with qtbot.waitSignal(window.run_panel.prediction_done, timeout=TIMEOUT):
            window.run_panel.run()
        assert window.run_panel.history.entries()[0].ok
        plots = [p for p in window.findChildren(pg.GraphicsView) if p.isVisible()]
        assert plots and all(p.backgroundBrush().color().lightness() < 80 for p in plots)
        assert window.palette().color(window.backgroundRole()).lightness() < 80
        # The summary's field names (style sheet `palette(placeholder-text)`, set under the light palette) take the
        # dark palette's ink: their brightest pixel stands out from the dark window.
        shot = window.grab().toImage()
        for label in window.summary._labels.values():
            if label.isVisible():
                rect = label.rect().translated(label.mapTo(window, label.rect().topLeft()))
                ink = max(QColor(shot.pixel(x, y)).lightness() for x in range(rect.left(), rect.right())
                          for y in range(rect.top(), rect.bottom()))
                assert ink > 120, f"{label.text()!r} is unreadable on the dark window (lightness {ink})"
        _shot(window, tmp_path, "dark_theme")
    finally:
        theme.apply_theme(app, "system")
    assert not theme.is_dark(app.palette())
