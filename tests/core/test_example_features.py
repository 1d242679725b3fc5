"""Serialized tf.Example inputs: their features read from the graph's ParseExample, so the default request and
compare need no --example (issue 13 leftovers: compare and check on classify/regress and string-only models)."""
from __future__ import annotations

import pytest

import modelgen
from explorer.cli import main
from explorer.core.defaults import default_input, default_sources
from explorer.core.tensors import build_inputs
from explorer.core.savedmodel import read_model
from explorer.core.signature import CLASSIFY, Signature, TensorSpec

HALF_PLUS_TWO = "resources/examples/tfserving/saved_model_half_plus_two_cpu/00000123"


@pytest.fixture(scope="module")
def parse_model(tmp_path_factory):
    return modelgen.tf2_parse_examples(tmp_path_factory.mktemp("parse"))


def _features(signature, key):
    return {f.name: (f.kind, f.shape, f.required, f.sparse) for f in signature.example_features[key]}


def test_tf1_parse_example_features_are_read_with_their_defaults():
    sig = read_model(HALF_PLUS_TWO).signatures["classify_x_to_y"]
    # x has no default (required); x2's default is computed (a Reshape of a Const): an Example may leave it out.
    assert _features(sig, "inputs") == {"x": ("float", (1,), True, False), "x2": ("float", (1,), False, False)}
    assert "inputs" not in read_model(HALF_PLUS_TWO).signatures["regress_x2_to_y3"].example_features  # a float


def test_tf2_parse_example_v2_features_are_read(parse_model):
    sig = read_model(parse_model).signatures["serving_default"]
    assert _features(sig, "examples") == {"age": ("int64", (1,), True, False), "income": ("float", (2,), True, False),
                                          "city": ("bytes", (1,), False, False), "tags": ("bytes", (), False, True)}
    # The default the form and the CLI start from: every required feature at zero; city has a default of its own.
    assert default_sources(sig)["examples"].text == '[{"age": [0], "income": [0.0, 0.0]}]'
    assert default_input(sig)["examples"].shape == (1,)
    assert not [n for n in build_inputs(sig, default_sources(sig))[1] if "cannot be known" in n]


def test_unknown_features_are_said_in_one_line_with_the_fix():
    # A server's signature: "string", no features. The form and the CLI send empty Examples and say why, once.
    sig = Signature("classify", CLASSIFY, {"inputs": TensorSpec("inputs", "DT_STRING", (-1,), name="tf_example:0")})
    _arrays, notes = build_inputs(sig, default_sources(sig))
    said = [n for n in notes if "cannot be known" in n]
    assert len(said) == 1 and "\n" not in said[0] and "--example 'inputs=" in said[0]
    _arrays, notes = build_inputs(sig, {"inputs": default_sources(sig)["inputs"].__class__(
        "examples", text='[{"x": 1.0}]')})
    assert not [n for n in notes if "cannot be known" in n]  # the user's own features: nothing to say


def _run(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


HALF_PLUS_TWO_TF2 = "resources/examples/tfserving/saved_model_half_plus_two_tf2_cpu"  # methods all "predict"


@pytest.mark.parametrize("model, signature", [(HALF_PLUS_TWO, "classify_x_to_y"), (HALF_PLUS_TWO, "regress_x_to_y"),
                                              (HALF_PLUS_TWO_TF2, "classify_x_to_y"),
                                              (HALF_PLUS_TWO_TF2, "regress_x_to_y2")])
def test_compare_and_predict_a_classify_signature_without_input(capsys, model, signature):
    code, out, err = _run(capsys, "compare", model, model, "--signature", signature)
    assert code == 0 and "EQUAL" in out, out + err  # was: "random values cannot stand in", exit 2
    assert "[x float]" in out  # x2 has a default of its own: left out
    code, out, err = _run(capsys, "predict", model, "--signature", signature)
    assert code == 0, err  # was: the empty Example the form started from lacked the required feature x
    assert "tf.Examples of the graph's features at zero" in out + err


@pytest.mark.parametrize("signature", ["serving_default", "text"])
def test_compare_and_check_string_only_models_without_input(capsys, parse_model, signature):
    code, out, err = _run(capsys, "compare", parse_model, parse_model, "--signature", signature)
    assert code == 0 and "EQUAL" in out, out + err
    code, out, err = _run(capsys, "check", parse_model, "--signature", signature)
    assert code == 0 and "verdict: OK" in out, out + err  # the probes are Examples of age and income, not "x"


def test_compare_probes_the_features_of_tf_examples(capsys, tmp_path):
    # Two regressions that agree at zero (the default Example) and nowhere else: the probes draw the feature.
    a = modelgen.tf1_pair_feature(tmp_path)
    b = modelgen.tf1_pair_feature(tmp_path, weights=(1.0, -3.0), name="steeper")
    code, out, err = _run(capsys, "compare", a, b, "--signature", "regress_pair")
    assert code == 1, out + err  # was: EQUAL on the one all-zero input ("No probes: every input is text")
    assert "equal on your input, differs on" in out and "No probes" not in out
    code, out, err = _run(capsys, "compare", a, a, "--signature", "classify_pair")
    assert code == 0 and "on all 8 probes" in out, out + err
