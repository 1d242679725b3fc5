"""LocalRunner on TF Serving's own test models (both engines) and on generated models: values, fallback,
cache, thread safety, and TensorFlow's errors explained per input."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from explorer.core import tf_errors
from explorer.core.errors import ModelReadError, RunError
from explorer.core.request import Request
from explorer.core.runners import local
from explorer.core.runners.local import LocalRunner
import modelgen

X = np.array([[1.0], [2.0], [5.0]], np.float32)
HALF_PLUS_TWO = [[2.5], [3.0], [4.5]]
EXAMPLES = ({"x": 1.0}, {"x": 2.0}, {"x": 5.0})

# TF Serving's half_plus_two family: every one runs in both engines with y = 0.5x + 2, y2/y3 = 0.5x + 3.
FAMILY = [
    "saved_model_half_plus_two_cpu",
    "saved_model_half_plus_two_2_versions",
    "saved_model_half_plus_two_gpu",
    "saved_model_half_plus_two_gpu_trt",
    "saved_model_half_plus_two_mlmd",
    "saved_model_half_plus_two_cpu_with_saved_model_config",
    "saved_model_half_plus_two_cpu_with_empty_saved_model_config",
    "saved_model_half_plus_two_mkl",
]


@pytest.fixture(scope="module")
def runners(shared_models):
    """One runner per (model, engine), opened on demand and shared by the module's tests."""
    opened: dict[tuple, LocalRunner] = {}

    def get(name: str, engine: str = "auto", version=None) -> LocalRunner:
        key = (name, engine, version)
        if key not in opened:
            path = name if "/" in str(name) else shared_models / name
            opened[key] = LocalRunner(path, engine=engine, version=version)
        return opened[key]

    yield get
    for runner in opened.values():
        runner.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return modelgen.matmul_and_pair(tmp_path_factory.mktemp("gen"))


def run(runner, signature, inputs=None, examples=()):
    return runner.predict(Request(signature, inputs or {}, examples=tuple(examples)))


@pytest.mark.parametrize("engine", ["local", "session"])
@pytest.mark.parametrize("name", FAMILY)
def test_half_plus_two_family_gives_documented_values(runners, name, engine):
    runner = runners(name, engine)
    sigs = runner.signatures()
    out = run(runner, "serving_default", {"x": X})
    assert out.engine == engine and out.notes == ()
    np.testing.assert_allclose(out.outputs["y"], HALF_PLUS_TWO)
    np.testing.assert_allclose(run(runner, "regress_x_to_y", examples=EXAMPLES).outputs["outputs"], HALF_PLUS_TWO)
    np.testing.assert_allclose(run(runner, "classify_x_to_y", examples=EXAMPLES).outputs["scores"], HALF_PLUS_TWO)
    if name != "saved_model_half_plus_two_mkl":  # its y2/y3 signatures are broken: see the test below
        y2 = run(runner, "regress_x_to_y2", examples=EXAMPLES).outputs["outputs"]
        np.testing.assert_allclose(y2, [[3.5], [4.0], [5.5]])
        y3 = run(runner, "regress_x2_to_y3", {"inputs": X}).outputs["outputs"]
        np.testing.assert_allclose(np.reshape(y3, -1), [3.5, 4.0, 5.5])
    if "classify_x2_to_y3" in sigs:
        scores = run(runner, "classify_x2_to_y3", {"inputs": X}).outputs["scores"]
        np.testing.assert_allclose(np.reshape(scores, -1), [3.5, 4.0, 5.5])


def test_fixture_values_of_tf_serving_tests(runners):
    """FIXTURES.md: regress {"x": 80} -> 42, classify {"x": 20} -> 12 on the 2-versions model, both versions."""
    for version in (123, 124):
        runner = runners("saved_model_half_plus_two_2_versions", "auto", version)
        assert run(runner, "regress_x_to_y", examples=[{"x": 80.0}]).outputs["outputs"].tolist() == [[42.0]]
        out = run(runner, "classify_x_to_y", examples=[{"x": 20.0}])
        assert out.outputs["scores"].tolist() == [[12.0]] and out.version == version


def test_tf2_model_runs_unchecked_batch_locally(runners):
    """tf2_cpu declares x as shape (1,); TF2 runs x=[1,2,5] (as TF Serving does), the TF1 loader refuses it."""
    out = run(runners("saved_model_half_plus_two_tf2_cpu", "local"), "serving_default",
              {"x": np.array([1, 2, 5], np.float32)})
    assert out.outputs["y"].tolist() == [2.5, 3.0, 4.5]
    with pytest.raises(RunError) as err:
        run(runners("saved_model_half_plus_two_tf2_cpu", "session"), "serving_default",
            {"x": np.array([1, 2, 5], np.float32)})
    assert err.value.key == "x"
    assert "dimension 0 is 3 but must be 1" in str(err.value)
    assert "serving_default_x:0" in str(err.value) and "Cannot feed value" in err.value.details


def test_half_plus_three_falls_back_to_the_session_and_says_so(runners):
    runner = runners("saved_model_half_plus_three")
    out = run(runner, "serving_default", {"x": X})
    assert out.engine == "session" and runner.engine == "session"
    np.testing.assert_allclose(out.outputs["y"], [[3.5], [4.0], [5.5]])
    assert len(out.notes) == 1 and "TF1 session loader" in out.notes[0] and "tf.saved_model.load" in out.notes[0]
    # The regress signature's odd key and DT_FLOAT-declared tf.Example input, as in TF Serving's REST docs.
    regress = run(runner, "tensorflow/serving/regress", examples=[{"x": 1.0}, {"x": 2.0}])
    np.testing.assert_allclose(np.reshape(regress.outputs["outputs"], -1), [3.5, 4.0])


def test_half_plus_three_forced_local_explains_why_it_cannot_load(runners):
    with pytest.raises(RunError) as err:
        runners("saved_model_half_plus_three", "local").load()
    assert "tf.saved_model.load (TensorFlow 2) failed: Shape" in str(err.value)  # TF words it two ways
    assert "session" in err.value.fix


def test_counter_is_stateful_in_the_session(runners):
    runner = runners("saved_model_counter")
    assert run(runner, "reset_counter").outputs["output"] == 0.0
    assert run(runner, "get_counter").outputs["output"] == 0.0
    counts = [float(run(runner, "incr_counter").outputs["output"]) for _ in range(3)]
    assert counts == [1.0, 2.0, 3.0]
    out = run(runner, "incr_counter_by", {"delta": np.float32(10)})
    assert out.engine == "session" and float(out.outputs["output"]) == 13.0 and out.outputs["output"].shape == ()
    assert run(runner, "get_counter").outputs["output"] == 13.0


def test_counter_counts_every_call_from_many_threads(runners):
    """The runner's lock serialises TF use: 4 threads x 5 increments give 20 distinct counts, none lost."""
    runner = runners("saved_model_counter")
    run(runner, "reset_counter")
    seen, errors = [], []

    def work():
        try:
            for _ in range(5):
                seen.append(float(run(runner, "incr_counter").outputs["output"]))
        except Exception as exc:  # noqa: BLE001 -- surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(seen) == [float(i) for i in range(1, 21)]


def test_matrix_half_plus_two(runners):
    out = run(runners("matrix_half_plus_two"), "serving_default", {"x": np.ones((1, 3, 3), np.float32)})
    assert out.outputs["y"].shape == (1, 3, 3) and np.all(out.outputs["y"] == 2.5)


def test_mkl_broken_signature_is_explained(runners):
    for engine in ("local", "session"):
        with pytest.raises(RunError) as err:
            run(runners("saved_model_half_plus_two_mkl", engine), "regress_x_to_y2", examples=EXAMPLES)
        message = str(err.value)
        assert "broken" in message and "(3, 1)" in message and "(1, 10, 10, 1)" in message
        assert "Incompatible shapes: [3,1] vs. [1,10,10,1]" in err.value.details
        assert err.value.key == "inputs" and "another signature" in err.value.fix


def test_legacy_session_bundle_is_a_clear_read_error(shared_models):
    with pytest.raises(ModelReadError, match="SessionBundle"):
        LocalRunner(shared_models / "bad_half_plus_two")


def test_model_neither_loader_can_load_explains_both(shared_models, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(shared_models / "saved_model_half_plus_two_cpu" / "00000123", broken)
    for data in (broken / "variables").glob("variables.data-*"):
        data.write_bytes(b"\0" * 3)  # truncated copy: the checkpoint cannot be read
    with pytest.raises(RunError) as err:
        LocalRunner(broken).predict(Request("serving_default", {"x": X}))
    message = str(err.value)
    assert "tf.saved_model.load" in message and "session loader" in message
    assert "--- tf.saved_model.load" in err.value.details and "--- the TF1 session loader" in err.value.details


def test_cache_loads_once_and_close_frees(shared_models, tmp_path):
    path = tmp_path / "matrix"  # a private copy: no other test's runner holds it
    shutil.copytree(shared_models / "matrix_half_plus_two", path)
    first, second = LocalRunner(path, engine="local"), LocalRunner(path, engine="local")
    ones = {"x": np.ones((2, 3, 3), np.float32)}
    a = first.predict(Request("serving_default", ones))
    b = second.predict(Request("serving_default", ones))
    assert {"load", "predict"} <= set(a.timing_ms) and a.timing_ms["predict"] > 0 and a.timing_ms["load"] > 0
    assert b.timing_ms["load"] == 0.0 and second.load() == 0.0  # a cache hit: the model was loaded once
    key = next(k for k in local.cached_models() if k[0] == str((path / "1").resolve()) and k[3] == "local")
    first.close()
    assert key in local.cached_models()  # `second` still holds it
    second.close()
    assert key not in local.cached_models()
    third = LocalRunner(path, engine="local")
    try:
        assert third.load() > 0  # freed, so loaded again
    finally:
        third.close()


def test_progress_reports_loading_and_running(shared_models, tmp_path):
    seen = []
    shutil.copytree(shared_models / "saved_model_half_plus_two_gpu", tmp_path / "gpu")  # private: not cached yet
    runner = LocalRunner(tmp_path / "gpu", engine="session")
    try:
        runner.predict(Request("serving_default", {"x": X}), progress=lambda f, text: seen.append((f, text)))
    finally:
        runner.close()
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("loading" in text for _, text in seen) and any("running" in text for _, text in seen)


def test_unknown_signature_lists_the_available_ones(runners):
    with pytest.raises(RunError, match="no signature 'nope'.*serving_default"):
        run(runners("saved_model_half_plus_two_cpu"), "nope", {"x": X})


# --- TensorFlow's errors, explained ------------------------------------------------------------------------------


def test_matmul_inner_dimension_points_at_the_input(runners, generated):
    with pytest.raises(RunError) as err:
        run(runners(str(generated), "local"), "serving_default", {"x": np.ones((3, 2), np.float32)})
    assert err.value.key == "x"
    assert "Input 'x' has shape (3, 2)" in str(err.value) and "dimension 1" in str(err.value)
    assert "must be 1, not 2" in str(err.value)
    assert "(3, 1)" in err.value.fix and "(-1, 1)" in err.value.fix
    assert "Matrix size-incompatible: In[0]: [3,2], In[1]: [1,1]" in err.value.details


def test_batch_sizes_that_differ_name_both_inputs(runners, generated):
    with pytest.raises(RunError) as err:
        run(runners(str(generated), "local"), "pair", {"a": np.ones((3, 1), np.float32), "b": np.ones((2, 1), np.float32)})
    assert "'a' (3, 1)" in str(err.value) and "'b' (2, 1)" in str(err.value) and "batch sizes differ" in str(err.value)


def test_float64_gets_cast_advice_locally_and_a_note_in_the_session(runners, generated, shared_models):
    with pytest.raises(RunError) as err:
        run(runners(str(generated), "local"), "serving_default", {"x": np.ones((3, 1), np.float64)})
    assert str(err.value) == "Input 'x' is float64, but signature 'serving_default' expects float32."
    assert "astype(np.float32)" in err.value.fix
    out = run(runners("saved_model_half_plus_two_cpu", "session"), "serving_default", {"x": X.astype(np.float64)})
    np.testing.assert_allclose(out.outputs["y"], HALF_PLUS_TWO)
    assert any("float64 was cast to float32" in n for n in out.notes)


def test_text_for_a_number_input(runners):
    with pytest.raises(RunError) as err:
        run(runners("saved_model_half_plus_two_cpu", "session"), "serving_default", {"x": np.array([["a"]], object)})
    assert err.value.key == "x" and "is string" in str(err.value) and "float32" in str(err.value)


def test_wrong_and_missing_keys_list_the_signature_keys(runners, generated):
    runner = runners(str(generated), "local")
    with pytest.raises(RunError) as err:
        run(runner, "serving_default", {"x": np.ones((1, 1), np.float32), "z": np.ones(1)})
    assert err.value.key == "z" and "Its inputs are: x" in str(err.value)
    with pytest.raises(RunError) as err:
        run(runner, "pair", {"a": np.ones((1, 1), np.float32)})
    assert err.value.key == "b" and "needs input 'b'" in str(err.value)
    with pytest.raises(RunError) as err:
        run(runners("saved_model_half_plus_two_cpu", "session"), "serving_default", {"x:0": X})
    assert "spelled 'x'" in err.value.fix


def test_tensorflow_keyword_errors_are_explained(runners, generated):
    """The mapping also covers TF's own TypeErrors (a caller that skips check_keys, e.g. a future engine)."""
    import tensorflow as tf

    runner = runners(str(generated), "local")
    runner.load()
    function = local._cache[runner._key("local")].model.signatures["pair"]
    signature = runner.signatures()["pair"]
    a = tf.constant(np.ones((1, 1), np.float32))
    for call, key, words in ((lambda: function(a=a), "b", "needs input 'b'"),
                             (lambda: function(a=a, b=a, c=a), "c", "'c' is not an input")):
        with pytest.raises(TypeError) as raw:
            call()
        explained = tf_errors.explain(raw.value, signature, {"a": a})
        assert explained.key == key and words in str(explained) and "Its inputs are: a, b" in str(explained)


def test_missing_feed_in_the_session_names_the_input(runners):
    runner = runners("saved_model_counter")
    session = local._cache[runner._key("session")].model
    signature = runner.signatures()["incr_counter_by"]
    with pytest.raises(Exception) as raw:
        session.run([signature.outputs["output"].name])
    explained = tf_errors.explain(raw.value, signature, {})
    assert explained.key == "delta" and "needs input 'delta'" in str(explained)


def test_tf_example_problems_are_explained(runners):
    runner = runners("saved_model_half_plus_two_cpu")
    with pytest.raises(RunError) as err:
        run(runner, "regress_x_to_y", examples=[{"y": 1.0}])
    assert err.value.key == "inputs" and "lack feature 'x'" in str(err.value)
    with pytest.raises(RunError) as err:
        run(runner, "regress_x_to_y", examples=[{"x": 2}])
    assert "'x'" in str(err.value) and "int64" in str(err.value) and "2.0" in err.value.fix
    with pytest.raises(RunError) as err:
        run(runner, "regress_x_to_y", {"inputs": np.array([b"not an example"], object)})
    assert "serialized tf.Example" in str(err.value)


def test_unknown_failures_keep_tf_text_in_details():
    class Strange(Exception):
        pass

    from explorer.core.signature import Signature, TensorSpec

    sig = Signature("serving_default", "tensorflow/serving/predict", {"x": TensorSpec("x", "DT_FLOAT", (-1, 1), "x:0")})
    err = tf_errors.explain(Strange("Graph execution error:\n\nDetected at node foo\nSomething odd\n\t [[{{node foo}}]]"),
                            sig, {"x": X})
    assert str(err) == "TensorFlow could not run signature 'serving_default': Something odd"
    assert "x: got (3, 1) float32, signature (-1, 1) float32" in err.fix and "Strange" in err.details


def test_importing_the_runner_does_not_import_tensorflow():
    code = ("import sys, explorer.core.targets, explorer.core.runners.local, explorer.core.tf_errors;"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[2]))
