"""The CLI on .tflite models: convert-compare, compare SavedModel vs TFLite, check after a bad quantisation."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_convert_compare_float_is_equal_at_1e5(tflite_models, tmp_path):
    out = tmp_path / "float.tflite"
    done = cli("convert-compare", tflite_models["source"], "--quantize", "none", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "EQUAL: every output agrees within rtol=1e-05" in done.stdout and out.is_file()
    assert "classify: x (16, 32) float32" in done.stdout and "regress: features (16, 3) float32" in done.stdout


def test_convert_compare_int8_drift_is_bounded_with_argmax_kept(tflite_models):
    done = cli("convert-compare", tflite_models["source"], "--quantize", "int8", "--representative", "100",
               "--batch", "64", "--json")
    assert done.returncode == 1, done.stderr  # it drifts: that is the point of showing it
    report = json.loads(done.stdout)
    assert report["conversion"]["quantize"] == "int8" and report["conversion"]["representative"] == 100
    assert not Path(report["b"]).exists()  # a temp file nobody asked to keep is gone
    by_key = {s["key"]: s["outputs"] for s in report["signatures"]}
    assert set(by_key) == {"classify", "regress"}
    probs, logits, y = by_key["classify"]["probs"], by_key["classify"]["logits"], by_key["regress"]["y"]
    assert probs["argmax_agree"] >= 0.95 and logits["argmax_agree"] >= 0.95 and probs["topk_agree"] >= 0.95
    assert 0 < probs["max_abs_diff"] < 0.05 and 0 < y["max_abs_diff"] < 0.05
    for output in (probs, logits, y):
        assert 0 < output["quantization_steps"] < 20  # within a few int8 steps of the float model


def test_compare_saved_model_with_its_tflite(tflite_models):
    """`compare` takes a .tflite like any target; quantisation and tensor names are differences, not breaks."""
    done = cli("compare", tflite_models["source"], tflite_models["float"], "--signature", "classify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "B: " in done.stdout and "litert" in done.stdout and "EQUAL" in done.stdout
    done = cli("compare", tflite_models["source"], tflite_models["int8"], "--signature", "classify", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and not report["signature_breaking"]
    changes = report["signatures"][0]["changes"]
    assert any(c["what"] == "quantized" and c["severity"] == "info" for c in changes)
    assert report["outputs"]["probs"]["argmax_agree"] >= 0.75


def test_check_names_quantisation_when_int8_loses_the_signal(tflite_models):
    done = cli("check", tflite_models["offset_int8"], "--json")
    report = json.loads(done.stdout)
    assert report["verdict"] == "identical", done.stdout
    assert report["causes"][0]["cause"] == "quantization" and "one step is" in report["causes"][0]["evidence"]
    float_model = json.loads(cli("check", tflite_models["offset_source"], "--json").stdout)
    assert float_model["verdict"] == "ok"  # the SavedModel itself varies: the quantisation lost it


def test_an_op_tflite_lacks_is_named_in_one_line(tmp_path):
    # The converter's MLIR diagnostics (13 lines from C++) came before "error: ... Some ops have no TFLite
    # builtin", which named no op.
    import modelgen

    done = cli("convert-compare", modelgen.flex_source(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if not line.startswith(("W0000", "I0000", "E0000"))]
    assert len(lines) == 1, done.stderr
    assert "StringLength has no TFLite builtin" in lines[0] and "--select-tf-ops" in lines[0]
