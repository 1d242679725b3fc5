"""The tour's window screenshots, retaken at the README's size (1280x800) with real servers (tests/servers): each
asserts what its docs caption says, and saves its PNG (JOURNEY_SHOTS=dir keeps them as docs/screenshots/NAME.png)."""
import os
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

import modelgen
from explorer.core.tensors import Source
from explorer.resources import demo_model_path
from explorer.ui.main_window import MainWindow
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
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    for worker in (w.sessions.worker, w.sessions.view.worker, w.server.worker, w.run_panel.worker, w.worker,
                   w.diagnostics.worker):
        worker.wait(TIMEOUT)


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
    _shot(window, tmp_path, "tour_float64")


def test_pinned_server_checked_beside_the_folder(qtbot, window, two_versions_server, tmp_path):
    _open(qtbot, window, MODELS / TWO_VERSIONS)
    _connect(qtbot, window, two_versions_server)
    window.show_panel(LOCAL_SERVER)
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
    # The user gives the diff the tab's height to read every difference (before running on Both, whose plots
    # take most of it at 1280x800).
    window.server.page.setSizes([470, 230])
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


@pytest.mark.xfail(strict=True, reason="known defect: after a session-loader run the Predict tab's banner, note and "
                   "plot need more than 800 px, so the window grows to 1280x846 and the inputs get no height; "
                   "docs/screenshots/tour_fallback.png is the older 1400x860 one until this is fixed")
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
