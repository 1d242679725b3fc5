"""LiteRunner: .tflite models run with LiteRT, quantisation handled, against the SavedModel they came from."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core import request_code, validate
from explorer.core.errors import ExplorerError, RunError
from explorer.core.request import Request
from explorer.core.runners.litert import LiteRunner
from explorer.core.targets import open_runner

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "resources" / "examples" / "tfserving"


def inputs(seed=0, rows=64):
    rng = np.random.default_rng(seed)
    return {"classify": {"x": rng.random((rows, 32), dtype=np.float32)},
            "regress": {"features": rng.random((rows, 3), dtype=np.float32)}}


def run_all(runner, feed):
    out = {}
    for key, arrays in feed.items():
        out.update(runner.predict(Request(key, arrays)).outputs)
    return out


@pytest.fixture(scope="module")
def reference(tflite_models):
    """The SavedModel's outputs (TensorFlow) for the shared inputs."""
    runner = open_runner(tflite_models["source"])
    try:
        return run_all(runner, inputs())
    finally:
        runner.close()


def test_auto_engine_picks_litert_and_refuses_the_wrong_engine(tflite_models):
    runner = open_runner(tflite_models["float"])
    assert isinstance(runner, LiteRunner) and runner.engine == "litert"
    with pytest.raises(ExplorerError, match="is a TensorFlow Lite model") as caught:
        open_runner(tflite_models["float"], engine="local")
    assert "engine auto or litert" in caught.value.fix
    with pytest.raises(ExplorerError, match="runs .tflite models"):
        open_runner(tflite_models["source"], engine="litert")


def test_float_tflite_equals_the_saved_model(tflite_models, reference):
    out = run_all(LiteRunner(tflite_models["float"]), inputs())
    for key in reference:
        np.testing.assert_allclose(out[key], reference[key], rtol=1e-5, atol=1e-6)


def test_int8_with_float_inputs_matches_within_quantisation_error(tflite_models, reference):
    """Real inputs are quantised for the model, outputs dequantised: within the int8 grid's error of the float model."""
    runner = LiteRunner(tflite_models["int8"])
    prediction = runner.predict(Request("classify", inputs()["classify"]))
    out = {**prediction.outputs, **runner.predict(Request("regress", inputs()["regress"])).outputs}
    specs = {**runner.signatures()["classify"].outputs, **runner.signatures()["regress"].outputs}
    for key, want in reference.items():
        assert out[key].dtype == np.float32
        span = 255 * specs[key].quantization.scale[0]  # the real range the int8 output can hold
        error = np.abs(out[key] - want)
        assert error.max() <= 0.1 * span and error.mean() <= 0.02 * span, (key, error.max(), span)
    assert np.mean(out["probs"].argmax(1) == reference["probs"].argmax(1)) >= 0.95
    # the raw integers are one step away, and dequantise to what is shown
    raw = prediction.raw_outputs["probs"]
    q = specs["probs"].quantization
    assert raw.dtype == np.int8
    np.testing.assert_allclose(out["probs"], (raw.astype(np.float64) - q.zero_point[0]) * q.scale[0], atol=1e-7)
    assert any("quantised to int8 with scale" in n for n in prediction.notes)
    assert any("resized from (1, 32) to (64, 32)" in n for n in prediction.notes)


def test_clipped_quantised_inputs_are_warned_before_and_after(tflite_models):
    runner = LiteRunner(tflite_models["int8"])
    x = np.full((2, 32), 0.5, np.float32)
    x[0, :3] = 7.0  # far beyond the calibrated 0..1
    signature = runner.signatures()["classify"]
    problems = validate.check({"x": x}, signature)
    clip = [p for p in problems if p.kind == "quantization_clip"]
    assert clip and clip[0].severity == "warning" and "3 value(s) outside" in clip[0].message
    assert not [p for p in problems if p.severity == "error"]  # float32 is right for a quantised input
    notes = runner.predict(Request("classify", {"x": x})).notes
    assert any(n.startswith("Warning: x: 3 of 64 values") and "clipped" in n for n in notes)
    assert not [p for p in validate.check({"x": np.full((2, 32), 0.5, np.float32)}, signature)
                if p.kind == "quantization_clip"]


def test_models_without_signature_defs_run_by_tensor_index():
    for name in ("saved_model_half_plus_two_tflite", "saved_model_half_plus_two_tflite_with_sigdef"):
        runner = open_runner(SHARED / name)
        out = runner.predict(Request("serving_default", {"x": np.array([[3.0]], np.float32)}))
        assert out.outputs["y"].tolist() == [[3.5]] and out.version == 123


def test_a_flex_model_fails_saying_what_it_needs(tflite_models):
    runner = open_runner(tflite_models["flex"])
    with pytest.raises(RunError) as caught:
        runner.predict(Request("serving_default", {"text": np.array([b"abc"], dtype=object)}))
    assert "FlexStringLength" in str(caught.value) and "Flex delegate" in str(caught.value)


@pytest.mark.parametrize("model", ["int8", "half_plus_two"])
def test_show_request_code_runs_and_gives_the_same_outputs(tflite_models, tmp_path, model):
    if model == "int8":
        path, request = tflite_models["int8"], Request("classify", {"x": inputs(rows=3)["classify"]["x"]})
    else:
        path, request = SHARED / "saved_model_half_plus_two_tflite", Request("", {"x": np.array([[1.0]], np.float32)})
    snippet = request_code.for_target(request, str(path))
    assert snippet.kind == "python-litert" and "ai_edge_litert" in snippet.text
    snippet.write_files(tmp_path)
    (tmp_path / "run.py").write_text(snippet.text + "\nimport pickle, sys\n"
                                     "sys.stdout.buffer.write(b'@@' + pickle.dumps(outputs))\n")
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    import pickle

    theirs = pickle.loads(done.stdout.split(b"@@", 1)[1])
    ours = open_runner(path).predict(request).outputs
    assert set(theirs) == set(ours)
    for key in ours:
        np.testing.assert_array_equal(theirs[key], ours[key])


def test_drift_per_signature_float_dynamic_int8(tflite_models):
    """core.drift: every shared key, same seeded inputs; float equal at 1e-5, dynamic and int8 bounded with argmax."""
    from explorer.core.drift import all_equal, drift

    source = open_runner(tflite_models["source"])
    try:
        found = {}
        for kind in ("float", "dynamic", "int8"):
            found[kind] = {d.key: d for d in drift(source, LiteRunner(tflite_models[kind]), batch=32)}
    finally:
        source.close()
    assert set(found["float"]) == {"classify", "regress"} and all_equal(list(found["float"].values()))
    for kind in ("dynamic", "int8"):
        classify = found[kind]["classify"].diff.outputs
        assert not classify["probs"].allclose  # quantising costs something, and it shows
        assert classify["probs"].max_abs < 0.05 and classify["probs"].argmax_agree >= 0.95
        assert classify["logits"].topk_agree >= 0.95
    assert found["dynamic"]["classify"].steps == {}  # float outputs: no quantisation steps to count
    assert 0 < found["int8"]["regress"].steps["y"] < 10
    assert found["int8"]["classify"].inputs["x"] == ((32, 32), "float32")
