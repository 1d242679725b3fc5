"""Regressions found by using the whole window as a user would (the newcomer's tour): each test failed before its fix."""
import importlib.metadata
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer.core.signature import TensorSpec
from explorer.core.sources import Source
from explorer.ui.main_window import MainWindow
from explorer.ui.widgets.endpoint_dialog import Endpoint
from explorer.ui.widgets.input_editors import GridEditor
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TWO_VERSIONS

TIMEOUT = 120_000  # a run may import TensorFlow: seconds on a busy 2-core machine
DEMO = "resources/demo_model"


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1500, 920)
    w.show()
    yield w
    w.server.worker.wait(TIMEOUT)
    w.run_panel.close()
    w.run_panel.wait(TIMEOUT)
    w.worker.wait(TIMEOUT)


@pytest.fixture(scope="module")
def demo():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / DEMO


def _open(qtbot, window, path):
    with qtbot.waitSignal(window.model_opened, timeout=10_000):
        window.open_model(path)
    return window.model()


def _settle(qtbot, ms=100):
    qtbot.wait(ms)
    QApplication.processEvents()


def test_summary_gives_wrapped_size_line_its_height_in_a_narrow_pane(qtbot, window, shared_models):
    # The Size line wrapped to three lines but the summary kept its one-line height, so it overlapped the filter
    # box below (docs/screenshots/compare_view.png, top left).
    _open(qtbot, window, shared_models / "saved_model_half_plus_two_2_versions")
    window.splitter.setSizes([400, 1100])
    _settle(qtbot)
    summary, sizes = window.summary, window.summary.sizes
    assert sizes.heightForWidth(sizes.width()) > sizes.fontMetrics().height() * 1.5  # it does wrap here
    assert sizes.height() >= sizes.heightForWidth(sizes.width())
    summary_bottom = summary.mapTo(window, summary.rect().bottomLeft()).y()
    filter_top = window.tree.filter_edit.mapTo(window, window.tree.filter_edit.rect().topLeft()).y()
    assert summary_bottom <= filter_top
    # The tree, not the summary, takes the spare height of a tall window.
    assert summary.height() <= summary.sizeHint().height() + sizes.fontMetrics().height() * 3


def test_grid_editor_shows_a_source_twice_without_qt_warnings(qtbot, qtlog):
    # Showing a Source again (history restore, a remembered signature, TF2 defaults) re-set items the table
    # already held: "QTableWidget: cannot insert an item that is already owned by another QTableWidget".
    editor = GridEditor(TensorSpec("x", "DT_FLOAT", (-1, 2), "x:0"))
    qtbot.addWidget(editor)
    assert editor.set_source(Source("literal", text="[[1, 2], [3, 4]]"))
    assert editor.set_source(Source("literal", text="[[5, 6], [7, 8], [9, 10]]"))
    assert editor.values() == [[5, 6], [7, 8], [9, 10]]
    owned = [r.message for r in qtlog.records if "already owned" in r.message]
    assert owned == []


def test_status_bar_says_when_tensorflow_is_loaded(qtbot, window, shared_models):
    # It said "TensorFlow not loaded" for the whole session, also after runs had imported it.
    tf_before = "tensorflow" in sys.modules
    if not tf_before:
        assert window.engine_label.text() == "TensorFlow not loaded"
    info = _open(qtbot, window, shared_models / "saved_model_half_plus_two_cpu")
    window.show_panel("Predict")
    panel = window.run_panel
    qtbot.waitUntil(lambda: panel.signature() is not None and not panel.form.is_checking(), timeout=10_000)
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    panel.wait(TIMEOUT)
    # TensorFlow runs in the engine process: its version is the installed one, whether or not an earlier test
    # imported it here (reading sys.modules made the test pass only after such a test).
    version = importlib.metadata.version("tensorflow")
    major_minor = ".".join(version.split(".")[:2])
    qtbot.waitUntil(lambda: window.engine_label.text() == f"TensorFlow {major_minor} loaded", timeout=5_000)
    assert version in window.engine_label.toolTip()
    assert info.path  # the model stays open


def test_probe_around_my_inputs_uses_the_forms_inputs(qtbot, window, demo):
    # The Diagnostics tab's "Probe around my inputs" had no provider in the window: it silently probed without.
    _open(qtbot, window, demo)
    window.show_panel("Predict")
    panel = window.run_panel
    digit = demo / "samples" / "digit_3.png"
    panel.form.set_sources({"image": Source("file", path=str(digit), params={"normalize": True})})
    qtbot.waitUntil(lambda: panel.form.prepared is not None and not panel.form.is_checking(), timeout=10_000)
    current = panel.current_inputs()
    assert set(current) == {"image"} and current["image"].shape == (1, 28, 28, 1)
    assert current["image"].dtype == np.float32 and current["image"].max() <= 1.0
    window.show_panel("Diagnostics")
    with qtbot.waitSignal(window.diagnostics.diagnosed, timeout=TIMEOUT) as blocker:
        window.diagnostics.start()
    diagnosis = blocker.args[0]
    assert diagnosis.probes[0].label == "your input"
    # The verdict heading said "Outputs vary with the inputs — Outputs vary with the inputs."
    assert diagnosis.verdict == "ok" and window.diagnostics.verdict_label.text().count("vary with the inputs") == 1
    np.testing.assert_array_equal(diagnosis.probes[0].inputs["image"], current["image"][0])


def test_probe_around_invalid_inputs_says_so_and_probes_without(qtbot, window, demo, tmp_path):
    _open(qtbot, window, demo)
    window.show_panel("Predict")
    panel = window.run_panel
    np.save(tmp_path / "f64.npy", np.zeros((1, 28, 28, 1), np.float64))
    panel.form.set_sources({"image": Source("file", path=str(tmp_path / "f64.npy"))})
    qtbot.waitUntil(lambda: panel.form.prepared is not None and not panel.form.is_checking(), timeout=10_000)
    with pytest.raises(Exception, match="float64"):
        panel.current_inputs()
    window.show_panel("Diagnostics")
    with qtbot.waitSignal(window.diagnostics.diagnosed, timeout=TIMEOUT) as blocker:
        window.diagnostics.start()
    # The warning used to be cleared the moment it was shown.
    assert window.diagnostics.messages.level() == "warning"
    assert "Probing without your inputs" in window.diagnostics.messages.text()
    assert blocker.args[0].probes[0].label != "your input"


def test_diagnostics_checks_the_server_when_runs_go_to_the_server(qtbot, window, two_versions_server):
    # The Diagnostics tab only ever probed the open folder: a server answering the same for every input (or an
    # old version) could not be diagnosed in the window, only with `signature-explorer check rest://...`.
    folder = MODELS / TWO_VERSIONS
    info = _open(qtbot, window, folder)
    handle = two_versions_server
    endpoint = Endpoint("127.0.0.1", handle.rest_port, handle.grpc_port, handle.model_name)
    with qtbot.waitSignal(window.server.panel.refreshed, timeout=20_000):
        window.server.connect_to(endpoint)
    window.server.set_run_on("server")
    diagnostics = window.diagnostics
    assert endpoint.url() in diagnostics.target_label.text()
    assert diagnostics.compare_edit.text() == info.path
    window.show_panel("Diagnostics")
    with qtbot.waitSignal(diagnostics.diagnosed, timeout=TIMEOUT) as blocker:
        diagnostics.start()
    d = blocker.args[0]
    assert d.engine == "rest" and "pinned_version" in {c.cause for c in d.causes}
    assert len(diagnostics.cards) == len(d.causes)  # shown, not only computed
    window.server.set_run_on("local")  # back to the folder
    assert endpoint.url() not in diagnostics.target_label.text() and info.path in diagnostics.target_label.text()


def test_diagnostics_tab_does_not_set_the_windows_minimum_height(qtbot, window):
    # Three 140 px plots and a cards area made the tab ~555 px tall at least, and with it the whole window.
    diagnostics = window.diagnostics
    predict = window.run_panel
    assert diagnostics.minimumSizeHint().height() <= max(predict.minimumSizeHint().height(), 360)
    window.resize(1100, 600)
    _settle(qtbot)
    assert window.height() <= 600


# --- messages read while walking the CLI ------------------------------------------------------------------------

def test_repeating_an_input_on_the_command_line_is_an_error_not_a_silent_last_wins():
    # `predict -i 'x=[[1],[2]]' -i 'x=[[3]]'` ran with [[3]] alone and said nothing.
    from explorer.core.errors import InputProblem
    from explorer.core.sources import parse_cli_sources

    with pytest.raises(InputProblem, match=r"x is given twice \(--input x=\[\[1\],\[2\]\] and --input x=\[\[3\]\]\)"):
        parse_cli_sources(["x=[[1],[2]]", "x=[[3]]"], [])
    with pytest.raises(InputProblem, match="given twice"):
        parse_cli_sources(["inputs=fill:zeros"], ['inputs=[{"x": 1.0}]'])
    assert set(parse_cli_sources(["x=[[1]]", "y=[[2]]"], [])) == {"x", "y"}


def test_an_input_of_the_wrong_rank_is_not_also_counted_in_the_batch_agreement():
    # features=[1,2,3,4] (no batch axis) also gave "batch sizes disagree: features has 4, category has 1".
    from explorer.core.signature import Signature
    from explorer.core.validate import check

    sig = Signature("score", "tensorflow/serving/predict",
                    {"category": TensorSpec("category", "DT_INT64", (-1,), "c:0"),
                     "features": TensorSpec("features", "DT_FLOAT", (-1, 4), "f:0")}, {})
    problems = check({"features": np.arange(4, dtype=np.float32), "category": np.array([1], np.int64)}, sig)
    assert [p.kind for p in problems if p.severity == "error"] == ["rank"]
    problems = check({"features": np.zeros((2, 4), np.float32), "category": np.array([1], np.int64)}, sig)
    assert [p.kind for p in problems] == ["batch_disagree"]


def test_fixed_batch_of_one_says_row_not_rows():
    from explorer.core.signature import Signature
    from explorer.core.validate import check

    sig = Signature("serving_default", "tensorflow/serving/predict", {"x": TensorSpec("x", "DT_FLOAT", (1,), "x:0")},
                    {})
    problem = next(p for p in check({"x": np.zeros(3, np.float32)}, sig) if p.kind == "batch")
    assert "Send exactly 1 row (" in problem.fix


def test_servable_not_found_for_a_version_says_the_cause_once():
    # "... has no version 124 of model 'm' loaded: that version is not loaded: it does not exist ..."
    from explorer.core.serving_errors import explain

    exp = explain("NOT_FOUND: Servable not found for request: Specific(half_plus_two, 124)", 404)
    assert "not loaded" not in exp.cause, exp.cause
    assert "no version 124 of model 'half_plus_two' loaded: it does not exist" in exp.cause


@pytest.fixture(scope="module")
def classifier_pair(tmp_path_factory):
    import modelgen

    return modelgen.classifier_pair(tmp_path_factory.mktemp("tour_pair"))


def test_caching_evidence_names_the_local_model_plainly(classifier_pair):
    # "... while the folder of the folder varies on the same probes."
    from explorer.core import diagnose as dg
    from explorer.core.targets import open_runner

    collapsed, healthy = classifier_pair
    d = dg.diagnose(open_runner(str(collapsed)), probes=16, compare_local=str(healthy))
    caching = next(c for c in d.causes if c.cause == "caching")
    assert "the local model varies" in caching.evidence and "folder of the folder" not in caching.evidence


@pytest.fixture(scope="module")
def tf1_builder(tmp_path_factory):
    import modelgen

    return modelgen.tf1_builder(tmp_path_factory.mktemp("tour_tf1"))


def test_odd_input_key_runs_without_absl_sanitizing_warnings(capsys, caplog, tf1_builder):
    # `predict` of a signature whose input key is `input_image:0` printed two "WARNING:absl: `input_image:0` is
    # not a valid tf.function parameter name. Sanitizing to `input_image_0`." lines: alarming, and nothing to do.
    from explorer.cli import main

    caplog.set_level("WARNING")
    code = main(["predict", str(tf1_builder), "-i", "input_image:0=fill:zeros", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "probabilities" in out
    assert not [r for r in caplog.records if "Sanitizing" in r.getMessage()]
    assert "Sanitizing" not in err


def test_sparse_and_ragged_inputs_are_named_plainly_in_tree_and_form(qtbot, tf1_builder):
    # The tree said "invalid" for a ragged input, the form added "inputs of dtype DT_INVALID cannot be built here"
    # to the real reason, and the ragged input's long tensor names widened the form to ~960 px.
    from explorer.core.savedmodel import read_model
    from explorer.ui.run_panel import RunPanel
    from explorer.ui.widgets.signature_tree import SignatureTree
    from explorer.ui.widgets.tensor_form import prepare_inputs

    info = read_model(tf1_builder)
    sig = info.user_signatures["sparse_and_ragged"]
    prepared = prepare_inputs(sig, {"ragged": Source("fill", fill="zeros"), "sparse_ids": Source("fill", fill="zeros")})
    messages = " ".join(p.message for p in prepared.problems)
    assert "DT_INVALID" not in messages
    assert {p.kind for p in prepared.errors} == {"encoding"} and len(prepared.errors) == 2

    tree = SignatureTree()
    qtbot.addWidget(tree)
    tree.set_model(info)
    tree.tree.expandAll()
    rows = tree.tree.findItems("ragged", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 0)
    assert [(r.text(1), r.text(2)) for r in rows] == [("composite", "-")]

    panel = RunPanel(auto_load=False)
    qtbot.addWidget(panel)
    panel.set_model(info)
    panel.set_signature(sig)
    assert panel.form.row("ragged").minimumSizeHint().width() < 500


def test_form_is_never_narrower_than_its_editors(qtbot, shared_models):
    # Beside the outputs the form got 2/5 of the Predict tab; a tf.Example table with 3 examples and its problem
    # text were cut off at the right edge (a horizontal scroll bar under the inputs).
    from explorer.core.savedmodel import read_model
    from explorer.ui.run_panel import RunPanel

    info = read_model(shared_models / "saved_model_half_plus_two_mkl")
    panel = RunPanel(auto_load=False)
    qtbot.addWidget(panel)
    panel.resize(950, 700)
    panel.show()
    panel.set_model(info)
    panel.set_signature(info.user_signatures["regress_x_to_y2"])
    panel.form.set_batch_size(3)
    _settle(qtbot, 300)
    assert panel.splitter.orientation() == Qt.Orientation.Horizontal  # side by side at this width
    rows = panel.form._rows_box
    assert panel.form.scroll.viewport().width() >= rows.minimumSizeHint().width()
    assert not panel.form.scroll.horizontalScrollBar().isVisible()


def test_rest_prediction_notes_rows_that_do_not_match_the_request(two_versions_server):
    # Behind a caching proxy, `predict -i 'x=[[1],[2],[5]]'` printed 63 rows of y (an earlier request's answer)
    # and said nothing about it.
    from explorer.core.request import Request
    from explorer.core.targets import open_runner
    from tests.core.test_diagnose import CachingProxy

    proxy = CachingProxy(two_versions_server.rest_port)
    model = two_versions_server.model_name
    try:
        runner = open_runner(f"rest://127.0.0.1:{proxy.port}/{model}")
        first = runner.predict(Request("serving_default", {"x": np.arange(5, dtype=np.float32).reshape(5, 1)}))
        assert not [n for n in first.notes if "rows" in n]
        second = runner.predict(Request("serving_default", {"x": np.ones((2, 1), np.float32)}))
    finally:
        proxy.close()
    assert second.outputs["y"].shape == (5, 1)  # the proxy's cached answer
    assert any("answered 5 rows of 'y' for a request of 2" in n for n in second.notes), second.notes


def test_switching_signature_clears_the_previous_ones_message_and_outputs(qtbot, demo, tmp_path):
    # After "Not run: image is float64 ..." on serving_default, picking `score` still showed that error (and
    # serving_default's outputs) above score's form.
    from explorer.core.savedmodel import read_model
    from explorer.ui.run_panel import RunPanel

    info = read_model(demo)
    panel = RunPanel(auto_load=False)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_model(info)
    panel.set_signature(info.user_signatures["serving_default"])
    np.save(tmp_path / "f64.npy", np.zeros((1, 28, 28, 1), np.float64))
    panel.form.set_sources({"image": Source("file", path=str(tmp_path / "f64.npy"))})
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT):
        panel.run()
    assert "image" in panel.message.text() and "float64" in panel.form.row("image").problem_label.text()
    panel.set_signature(info.user_signatures["score"])
    assert panel.message.text() == ""
    panel.set_signature(info.user_signatures["score"])  # the same one again keeps what is shown
    panel.wait(TIMEOUT)


def test_run_time_in_the_status_leaves_out_tensorflows_import(qtbot, window, shared_models):
    # The first run said "serving_default ran in 4635 ms" where the prediction took 74 ms: TF's import was counted.
    from explorer.core.request import Prediction

    prediction = Prediction("serving_default", "local", "m", {"y": np.zeros((1, 1), np.float32)},
                            {"load": 300.0, "import_tensorflow": 4500.0, "predict": 70.0})
    window.product._on_run_panel_prediction_done(prediction)
    assert "in 70 ms" in window.statusBar().currentMessage()


def test_another_models_form_does_not_inherit_the_previous_models_inputs(qtbot, shared_models, classifier_pair):
    # Opening a second model showed the first one's x=[[1],[2],[5]] in its form, with a shape error, because the
    # first model's inputs were remembered under the second model's key.
    from explorer.core.savedmodel import read_model
    from explorer.ui.run_panel import RunPanel

    first = read_model(shared_models / "saved_model_half_plus_two_2_versions")
    second = read_model(classifier_pair[1])
    panel = RunPanel(auto_load=False)
    qtbot.addWidget(panel)
    panel.set_model(first)
    panel.set_signature(first.user_signatures["serving_default"])
    panel.form.set_sources({"x": Source("literal", text="[[1], [2], [5]]")}, batch=3)
    panel.set_model(second)
    panel.set_signature(second.user_signatures["serving_default"])
    assert panel.form.sources()["x"].text != "[[1], [2], [5]]"
    qtbot.waitUntil(lambda: panel.form.prepared is not None and not panel.form.is_checking(), timeout=10_000)
    assert panel.form.problems() == []
    panel.set_model(first)  # coming back, its inputs are there again
    panel.set_signature(first.user_signatures["serving_default"])
    assert panel.form.sources()["x"].text == "[[1], [2], [5]]"


def test_rest_to_the_grpc_port_and_grpc_to_the_rest_port_are_named(two_versions_server):
    # `status rest://localhost:8500/m` printed "Talking to localhost:8500 failed:  @ @ @ þ ?" (HTTP/2 bytes), and
    # grpc:// to the REST port said "Nothing is listening at that address" although a server had answered.
    from explorer.core.errors import ServingError
    from explorer.core.targets import open_runner

    handle, model = two_versions_server, two_versions_server.model_name
    with pytest.raises(ServingError) as rest_on_grpc:
        open_runner(f"rest://127.0.0.1:{handle.grpc_port}/{model}").status()
    assert "that is a gRPC port" in str(rest_on_grpc.value) and str(rest_on_grpc.value).isprintable()
    assert f"grpc://127.0.0.1:{handle.grpc_port}/MODEL" in rest_on_grpc.value.fix
    with pytest.raises(ServingError) as grpc_on_rest:
        open_runner(f"grpc://127.0.0.1:{handle.rest_port}/{model}", timeout=20).status()
    assert "REST port" in str(grpc_on_rest.value) and "Nothing is listening" not in str(grpc_on_rest.value)


def test_grpc_status_prints_no_tensorflow_chatter(two_versions_server):
    # The gRPC client imported TensorFlow (for TF Serving's protos) without the start-up filter: a dozen
    # "I0000 ... oneDNN custom operations" lines on stderr before the answer.
    import os
    import subprocess
    from pathlib import Path

    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    handle = two_versions_server
    done = subprocess.run([sys.executable, "-m", "explorer", "status",
                           f"grpc://127.0.0.1:{handle.grpc_port}/{handle.model_name}"],
                          cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "AVAILABLE" in done.stdout
    assert "I0000" not in done.stderr and "oneDNN" not in done.stderr, done.stderr
