"""core.scan: dangerous ops found without TensorFlow, with their place; nothing loads without consent (canaries)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import unsafe_models
from explorer.core import scan
from explorer.core.errors import ModelReadError, UnsafeModelError
from explorer.core.request import Request
from explorer.core.savedmodel import read_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(unsafe_corpus) -> dict[str, tuple[Path, Path]]:
    return unsafe_corpus


@pytest.mark.parametrize("generator", list(unsafe_models.CORPUS), ids=lambda g: g.__name__)
def test_each_dangerous_model_is_found_in_its_place(corpus, generator):
    op, place, severity = unsafe_models.CORPUS[generator]
    path, _canary = corpus[generator.__name__]
    report = scan.scan_path(path)
    matches = [f for f in report.findings if f.op == op and place in f.where]
    assert matches, f"{op} {place!r} not in {[f.line() for f in report.findings]}"
    assert matches[0].severity == severity
    assert report.high and report.ops_seen > 0


def test_place_names_the_signature_and_the_functions_it_goes_through(corpus):
    report = scan.scan_path(corpus["write_through_function"][0])
    high = report.high[0]
    assert high.signatures == ("serving_default",) and not high.at_load
    assert report.signatures_reaching(scan.HIGH) == {"serving_default": [high]}
    # The same function restored as `model.inner` by tf.saved_model.load: present, not run by any signature.
    idle = [f for f in report.findings if f.severity == scan.MEDIUM]
    assert idle and "restored as 'inner'" in idle[0].where


@pytest.mark.parametrize("name", ["tf1_main_op", "tf2_resource_init"])
def test_load_time_ops_are_marked_at_load(corpus, name):
    report = scan.scan_path(corpus[name][0])
    assert [f.at_load for f in report.high] == [True]
    assert report.high[0].signatures == ()


def test_the_safe_twin_has_no_findings(corpus):
    report = scan.scan_path(corpus["safe_twin"][0])
    assert report.clean and report.findings == () and report.ops_seen > 10


def test_vocabulary_assets_are_normal_not_high(corpus):
    report = scan.scan_path(corpus["vocab_asset"][0])
    assert [(f.op, f.severity) for f in report.findings] == [("InitializeTableFromTextFileV2", scan.LOW)]
    assert "assets" in report.findings[0].why and report.high == ()


def test_shipped_example_models_are_clean(shared_models):
    for folder in sorted(shared_models.iterdir()):
        try:
            info = read_model(folder)
        except ModelReadError:
            continue  # the TFLite and SessionBundle examples are not SavedModels
        assert scan.scan_model(info).findings == (), folder.name


def test_text_saved_models_keep_their_graph(tmp_path):
    """saved_model.pbtxt is re-encoded through the schema: the graph must survive, or a text model scans clean."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(tf.io.read_file("/etc/hostname"), name="y")
        builder = v1.saved_model.Builder(str(tmp_path / "text"))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": v1.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})})
        builder.save(as_text=True)
    report = scan.scan_path(tmp_path / "text")
    assert [(f.op, f.where) for f in report.high] == [("ReadFile", "in signature 'serving_default' (node 'ReadFile')")]


def test_require_consent_refuses_then_allows(corpus):
    info = read_model(corpus["tf1_main_op"][0])
    with pytest.raises(UnsafeModelError) as caught:
        scan.require_consent(info)
    message = str(caught.value)
    assert "WriteFile" in message and "at load, by main_op" in message and "--allow-unsafe-ops" in caught.value.fix
    report = caught.value.report
    assert scan.require_consent(info, True) is report
    assert scan.require_consent(info, {report.consent_key}) is report
    with pytest.raises(UnsafeModelError):
        scan.require_consent(info, {"another-model"})
    safe = read_model(corpus["safe_twin"][0])
    assert scan.require_consent(safe).clean  # nothing to consent to


def test_consent_key_changes_with_what_the_model_would_do(corpus):
    a = scan.scan_path(corpus["write_through_function"][0])
    b = scan.scan_path(corpus["read_file"][0])
    assert a.consent_key.startswith(a.fingerprint) and a.consent_key != b.consent_key


@pytest.mark.parametrize("name", ["write_through_function", "tf1_main_op", "tf2_resource_init"])
def test_local_runner_loads_nothing_without_consent_and_runs_with_it(corpus, name):
    import numpy as np

    from explorer.core.runners.local import LocalRunner, clear_cache

    path, canary = corpus[name]
    request = Request("serving_default", {"x": np.array([1.0, 2.0], np.float32)})
    runner = LocalRunner(path)
    try:
        with pytest.raises(UnsafeModelError):
            runner.load()
        with pytest.raises(UnsafeModelError):
            runner.predict(request)
    finally:
        runner.close()
    assert not canary.exists(), "the model ran without consent"
    report = scan.scan_path(path)
    for allow in ({report.consent_key}, True):
        clear_cache()  # a load-time op runs on a fresh load only: another test may have this model loaded
        with LocalRunner(path, allow_unsafe_ops=allow) as allowed:
            prediction = allowed.predict(request)
        assert prediction.outputs["y"].shape == (2,)
        assert canary.exists(), "consent given, the model should have run"
        canary.unlink()


def test_a_truncated_model_is_a_read_error_not_a_crash(corpus, tmp_path):
    import shutil

    folder = tmp_path / "truncated"
    shutil.copytree(corpus["write_through_function"][0], folder)
    pb = folder / "saved_model.pb"
    data = pb.read_bytes()
    info = read_model(folder)
    pb.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ModelReadError):
        scan.scan_model(info)


def test_the_readme_lists_every_op_of_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Safety"):]
    for op, severity, _why in scan.op_table():
        assert re.search(rf"\|\s*`?{re.escape(op)}`?\s*\|\s*{severity}\s*\|", section), op


# --- custom ops: not TensorFlow's, so a library must be loaded first -----------------------------------------------

def test_a_custom_op_is_named_with_the_library_it_needs(tmp_path):
    path = unsafe_models.custom_op(tmp_path)
    report = scan.scan_path(path)
    found = [f for f in report.findings if f.op == unsafe_models.CUSTOM_OP and f.signatures]
    assert found, [f.line() for f in report.findings]
    assert found[0].severity == scan.MEDIUM and "signature 'serving_default' via serve > inner" in found[0].where
    assert found[0].why.startswith("custom op: needs the library that defines it (tf.load_op_library) before it can "
                                   "load; runs native code")
    assert not report.high  # nothing to consent to: without its library the op cannot run at all
    assert scan.scan_path(unsafe_models.safe_twin(tmp_path / "twin")).clean  # the same model with TF's Mul


def test_the_shipped_table_holds_every_op_tensorflow_registers():
    # The scan never imports TensorFlow; this keeps its table of TensorFlow's ops complete (after an upgrade, rerun
    # tests/tf_op_names.py), so no op of TensorFlow's own is ever called a custom op.
    import tf_op_names
    from explorer.core.tf_ops import TF_OPS

    missing = tf_op_names.registered_ops() - TF_OPS
    assert not missing, f"{len(missing)} ops missing, e.g. {sorted(missing)[:5]}: run python tests/tf_op_names.py"


def test_example_models_have_no_custom_ops():
    for folder in sorted((ROOT / "resources" / "examples" / "tfserving").iterdir()):
        if folder.is_dir() and folder.name != "bad_half_plus_two" and any(folder.rglob("saved_model.pb*")):
            report = scan.scan_path(folder)
            assert not [f for f in report.findings if f.why.startswith("custom op")], folder
