"""`signature-explorer predict`: outputs, --json schema, problems before running (exit 2), explained failures."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models(shared_models):
    return shared_models


def predict(capsys, *argv):
    code = main(["predict", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def predict_json(capsys, *argv):
    code, out, err = predict(capsys, *argv, "--json")
    return code, json.loads(out), err


def test_half_plus_two_json(capsys, models):
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_two_cpu", "--input", "x=[[1],[2],[5]]")
    assert code == 0
    assert data["outputs"]["y"] == {"dtype": "DT_FLOAT", "shape": [3, 1], "values": [[2.5], [3.0], [4.5]]}
    assert data["signature"] == "serving_default" and data["engine"] == "local" and data["version"] == 123
    assert {"load", "predict"} <= set(data["timing_ms"])


def test_half_plus_two_text(capsys, models):
    code, out, err = predict(capsys, models / "saved_model_half_plus_two_cpu", "-i", "x=[[1],[2],[5]]")
    assert code == 0 and err == ""
    assert "y  float32  (3, 1)\n  [[2.5], [3.0], [4.5]]\n" in out
    assert out.startswith("serving_default · local · ") and "predict " in out


def test_problems_stop_before_running_json(capsys, models):
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_two_cpu", "--input", "z=[[1],[2]]")
    assert code == 2
    kinds = {(p["input"], p["kind"]) for p in data["problems"]}
    assert kinds == {("z", "unknown_key")}  # "Did you mean 'x'? (and 'x' is missing)": one problem, not two
    assert "'x' is missing" in data["problems"][0]["message"]
    assert all({"input", "kind", "message", "fix"} <= set(p) for p in data["problems"])
    assert "outputs" not in data


def test_problems_make_one_line_that_counts_the_rest(capsys, models):
    code, out, err = predict(capsys, models / "saved_model_half_plus_two_cpu", "--input", "x=[[1,2],[3,4]]",
                             "--input", "w=[1]")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "'w'" in lines[0]
    assert lines[0].endswith("(1 more problem: --json lists them)")


def test_a_misspelt_key_is_one_line_not_also_a_missing_one(capsys, models):
    code, _, err = predict(capsys, models / "saved_model_half_plus_two_cpu", "--input", "X=[[1]]")
    assert code == 2 and err == ("error: 'X' is not an input of signature 'serving_default' (keys are "
                                 "case-sensitive). Did you mean 'x'? Fix: Rename 'X' to 'x'.\n")


def test_examples_for_classify_and_regress(capsys, models):
    model = models / "saved_model_half_plus_two_cpu"
    code, data, _ = predict_json(capsys, model, "--signature", "classify_x_to_y", "--example", 'inputs=[{"x": 2.0}]')
    assert code == 0 and data["outputs"]["scores"]["values"] == [[3.0]]
    code, data, _ = predict_json(capsys, model, "--signature", "regress_x_to_y", "--example", '{"x": 80.0}',
                                 "--engine", "session")
    assert code == 0 and data["outputs"]["outputs"]["values"] == [[42.0]] and data["engine"] == "session"


def test_fallback_is_noted(capsys, models):
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_three", "-i", "x=[[1],[2],[5]]")
    assert code == 0 and data["engine"] == "session"
    assert data["outputs"]["y"]["values"] == [[3.5], [4.0], [5.5]]
    assert any("TF1 session loader" in note for note in data["notes"])


def test_no_input_signature_and_versions(capsys, models):
    code, data, _ = predict_json(capsys, models / "saved_model_counter", "--signature", "get_counter")
    assert code == 0 and data["outputs"]["output"]["shape"] == [] and data["engine"] == "session"
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_two_2_versions", "--version", "123",
                                 "-i", "x=[[1.0]]")
    assert code == 0 and data["version"] == 123 and data["outputs"]["y"]["values"] == [[2.5]]


def test_fill_with_batch_and_default_values(capsys, models):
    code, data, _ = predict_json(capsys, models / "matrix_half_plus_two", "-i", "x=fill:ones", "--batch", "4")
    assert code == 0 and data["outputs"]["y"]["shape"] == [4, 3, 3]
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_two_tf2_cpu")
    assert code == 0 and data["outputs"]["y"]["values"] == [2.0]  # the TF2 default x=[0.0]
    assert sum("default" in n for n in data["notes"]) == 1


def test_failures_are_explained(capsys, models):
    code, data, _ = predict_json(capsys, models / "saved_model_half_plus_two_mkl", "--signature", "regress_x_to_y2",
                                 "--example", 'inputs=[{"x": 1.0}, {"x": 2.0}, {"x": 3.0}]')
    assert code == 2 and "broken" in data["error"] and data["input"] == "inputs" and "another signature" in data["fix"]
    code, out, err = predict(capsys, models / "saved_model_counter", "--signature", "get_counter", "--engine", "local")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: TensorFlow cannot load") and "Fix: Try the TF1 session loader" in err
    code, out, err = predict(capsys, models / "saved_model_half_plus_two_cpu", "--signature", "nope")
    assert code == 2 and "no signature 'nope'" in err and "classify_x_to_y" in err
    code, out, err = predict(capsys, models / "bad_half_plus_two", "-i", "x=[[1]]")
    assert code == 2 and "SessionBundle" in err


def test_bad_input_syntax_is_one_line(capsys, models):
    code, out, err = predict(capsys, models / "saved_model_half_plus_two_cpu", "--input", "no_equals_sign")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_end_to_end_process_prints_no_tensorflow_chatter(models):
    """A real process: exit code, stdout and a stderr free of TensorFlow's C++ start-up lines."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    done = subprocess.run([sys.executable, "-m", "explorer", "predict", str(models / "saved_model_half_plus_two_cpu"),
                           "--input", "x=[[1],[2],[5]]", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"]["y"]["values"] == [[2.5], [3.0], [4.5]]
    assert "I0000" not in done.stderr and "cuInit" not in done.stderr and "absl" not in done.stderr, done.stderr


def test_no_shape_recorded_uses_the_graph_shape(capsys, models):
    # saved_model_half_plus_three's signature records no shape for x; its Placeholder takes (None, 1).
    code, data, err = predict_json(capsys, models / "saved_model_half_plus_three")
    assert code == 0, err
    assert data["outputs"]["y"]["values"] == [[3.0]]
    code, out, err = predict(capsys, models / "saved_model_half_plus_three", "-i", "x=[1.0, 2.0]")
    assert code != 0
    assert ("Fix: Give 'x' shape (N, 1): its graph tensor x:0 takes (None, 1) (the signature records no shape)."
            in err), err
    assert "no shape recorded (-1 is any size" not in err


def test_no_shape_recorded_generated_tf1_model(capsys, tmp_path):
    import modelgen

    path = modelgen.tf1_no_shape(tmp_path)
    code, data, err = predict_json(capsys, path)
    assert code == 0, err
    assert data["outputs"]["y"]["values"] == [[0.0, 0.0, 0.0]]
