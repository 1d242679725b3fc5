"""The CLI on models unlike the examples: outputs of every dtype (complex, half, bool, string), a model without
signatures, a variable-length sequence input. Each command must answer in plain words, never a traceback."""
from __future__ import annotations

import json
import shutil
import warnings

import pytest

from explorer.cli import main
import modelgen
from tests.servers.fixtures import model_servers  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def unusual(tmp_path_factory):
    path = modelgen.unusual_outputs(tmp_path_factory.mktemp("unusual"))
    return {"outputs": path, "bare": path.parent / "no_signatures"}


def run(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_prints_complex_outputs(capsys, unusual):
    code, out, err = run(capsys, "predict", unusual["outputs"], "--input", "x=[[1, 0, 0, 0.25]]")
    assert code == 0, err
    assert 'c64  complex64  (1, 4)\n  [["(1-2j)", "0j"' in out or '[["(1-2j)", "-0j"' in out
    assert "half  float16  (1, 4)" in out and "flag  bool  (1, 4)" in out


def test_predict_json_holds_complex_as_text(capsys, unusual):
    code, out, err = run(capsys, "predict", unusual["outputs"], "--input", "x=[[1, 0, 0, 0.25]]", "--json")
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    assert outputs["c128"]["dtype"] == "DT_COMPLEX128" and outputs["c128"]["values"][0][0] == "(1+1j)"
    assert complex(outputs["c64"]["values"][0][3]) == complex(0.25, -0.5)
    assert outputs["u16"]["values"] == [[7, 0, 0, 1]] and outputs["text"]["values"][0][0] == "1.000000"


def test_compare_complex_outputs_without_dropping_the_imaginary_part(capsys, unusual):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's ComplexWarning: the imaginary part was being cast away
        code, out, err = run(capsys, "compare", unusual["outputs"], unusual["outputs"], "--probes", "2")
    assert code == 0, out + err
    assert "Warning" not in err
    row = next(line for line in out.splitlines() if line.startswith("c64 "))
    assert "equal" in row and "100%" not in row  # complex numbers have no argmax


def test_complex_difference_is_measured_in_the_plane():
    import numpy as np

    from explorer.core.compare import compare_outputs

    a = {"c": np.array([[1 + 1j, 2 + 0j]], np.complex64)}
    b = {"c": np.array([[1 + 4j, 2 + 0j]], np.complex64)}  # same real parts: a float cast saw them equal
    diff = compare_outputs(a, b).outputs["c"]
    assert diff.status == "different" and diff.max_abs == pytest.approx(3.0) and diff.argmax_agree is None


@pytest.mark.parametrize("command", [["predict"], ["check"], ["compare", None]])
def test_a_model_without_signatures_says_so(capsys, unusual, command):
    argv = [c if c is not None else unusual["bare"] for c in command]
    code, out, err = run(capsys, *argv[:1], unusual["bare"], *argv[1:])
    assert code == 2
    assert err.count("\n") == 1, err
    assert "has no signatures" in err and "--from-function" in err
    assert "signature ''" not in err and "None" not in err


def test_default_note_names_the_noise_it_sent(capsys, unusual):
    code, out, err = run(capsys, "predict", unusual["outputs"], "--signature", "sequence")
    assert code == 0, err
    assert "default input (seeded noise in [0, 1) for large float inputs" in out
    assert "zeros" not in out
    code, out, err = run(capsys, "predict", unusual["outputs"])
    assert code == 0, err
    assert "default input (zeros of its shapes, as the window's form starts)" in out


@pytest.fixture(scope="module")
def flag_and_text(tmp_path_factory):
    return modelgen.flag_and_text(tmp_path_factory.mktemp("flag_text"))


def test_check_does_not_call_an_input_ignored_when_it_moves_a_string_output(capsys, flag_and_text):
    code, out, err = run(capsys, "check", flag_and_text, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["verdict"] == "ok", data["causes"]
    assert "flag" in data["outputs"]["out"]["moved_by"]
    code, out, err = run(capsys, "check", flag_and_text)
    assert "input flag is ignored" not in out and "follows flag" in out


def test_check_keeps_a_scalar_output_of_an_unknown_rank_input(capsys, unusual):
    code, out, err = run(capsys, "check", unusual["outputs"], "--signature", "any_rank", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["outputs"]) == {"doubled", "total"}, data  # total was silently left out of stacked probes
    assert data["verdict"] == "ok"


@pytest.fixture(scope="module")
def pair_feature(tmp_path_factory):
    return modelgen.tf1_pair_feature(tmp_path_factory.mktemp("pair"))


def test_a_feature_of_the_wrong_length_is_named(capsys, pair_feature):
    code, out, err = run(capsys, "predict", pair_feature, "--signature", "regress_pair", "-e", 'inputs=[{"pair": 1.0}]')
    assert code != 0 and err.count("\n") == 1, err
    assert "Feature 'pair'" in err and "shape [2]" in err and '{"pair": [0.0, 0.0]}' in err
    assert "Compare:" not in err  # the generic shape overview said the string input's shape was the problem


def test_check_probes_the_features_the_graph_parses(capsys, pair_feature):
    # The folder's ParseExample reads "pair" (two floats): no --example needed, and nothing guessed.
    code, out, err = run(capsys, "check", pair_feature, "--signature", "classify_pair")
    assert code == 0 and "verdict: OK" in out, out + err
    code, out, err = run(capsys, "check", pair_feature, "--signature", "regress_pair", "-e",
                         'inputs=[{"pair": [1.0, 2.0]}]')
    assert code == 0, err
    assert "verdict: OK" in out


def test_check_says_its_tf_examples_were_a_guess_when_a_server_hides_the_features(capsys, pair_feature,
                                                                                   model_servers):
    # A server's metadata says "string" and nothing of the features: the guess ("x") is refused, and said so.
    base = pair_feature.parent / "served"
    if not base.exists():
        shutil.copytree(pair_feature, base / "1")  # a TF Serving base path: numbered versions
    server = model_servers.get(str(base), "pair")
    code, out, err = run(capsys, "check", server.target("rest"), "--signature", "classify_pair")
    assert code == 2 and err.count("\n") == 1, err
    assert "guessed" in err and "--example 'inputs=" in err and "Feature: pair" in err  # the server's own words


def test_complex_inputs_are_drawn_for_compare_and_probed_by_check(capsys, unusual):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ComplexWarning when probing around a complex input
        code, out, err = run(capsys, "compare", unusual["outputs"], unusual["outputs"], "--signature", "complex_in",
                             "--probes", "2")
        assert code == 0, out + err  # "random fills of complex64 are not supported" refused to compare
        assert "for the real and imaginary parts" in out and "EQUAL" in out
        code, out, err = run(capsys, "check", unusual["outputs"], "--signature", "complex_in", "-i",
                             "z=fill:normal?seed=1", "-i", "h=fill:uniform", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["verdict"] == "ok" and "z" in data["outputs"]["im"]["sensitivity"]


def test_a_method_missing_on_one_side_reads_none():
    from explorer.core.compare import compare_signatures
    from explorer.core.signature import Signature, TensorSpec

    spec = {"x": TensorSpec("x", "DT_FLOAT", (-1, 2))}
    a = {"s": Signature(key="s", method_name="tensorflow/serving/predict", inputs=spec, outputs=spec)}
    b = {"s": Signature(key="s", method_name="", inputs=spec, outputs=spec)}  # a TFLite SignatureDef has none
    (diff,) = compare_signatures(a, b)
    assert diff.changes[0].text() == "method: method_name tensorflow/serving/predict -> (none)"


@pytest.mark.parametrize("command", ["predict", "check", "compare"])
def test_an_input_key_holding_an_equals_sign_takes_a_value(capsys, pair_feature, command):
    inputs = ["-i", "input_image:0=[[1, 1, 1]]", "-i", "with space=[[1, 1, 1]]", "-i", "ключ=é=[[1, 1, 1]]"]
    argv = [command, pair_feature] + ([pair_feature] if command == "compare" else [])
    code, out, err = run(capsys, *argv, "--signature", "odd_keys", *inputs)
    assert code == 0, err  # "ключ: 'é=[[1,1,1]]' is not a valid value"
    if command == "predict":
        assert "[[6.0, 6.0, 6.0]]" in out


def test_check_around_empty_text_still_sees_a_flag_that_changes_text(capsys, flag_and_text):
    # The window's form starts a text input at "", and probes around the user's input: around "" upper-casing
    # changes nothing, and the flag was called ignored.
    code, out, err = run(capsys, "check", flag_and_text, "-i", 'text=[""]', "-i", "flag=[false]", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["verdict"] == "ok", data["causes"]
    assert "flag" in data["outputs"]["out"]["moved_by"]
