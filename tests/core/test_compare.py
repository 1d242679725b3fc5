"""compare.py: signature diffs on real exports, output diffs on values whose answer is known by construction."""
import numpy as np
import pytest

from explorer.core.compare import compare_outputs, compare_signatures
from explorer.core.savedmodel import read_model


def test_same_model_two_versions_has_identical_signatures(shared_models):
    base = shared_models / "saved_model_half_plus_two_2_versions"
    a, b = read_model(base, version=123), read_model(base, version=124)
    diffs = compare_signatures(a.signatures, b.signatures)
    assert [d.key for d in diffs] == sorted(a.user_signatures)
    assert all(d.status == "same" and not d.breaking for d in diffs)


def test_tf1_and_tf2_exports_differ_in_method_shape_and_names(shared_models):
    tf1 = read_model(shared_models / "saved_model_half_plus_two_cpu")
    tf2 = read_model(shared_models / "saved_model_half_plus_two_tf2_cpu")
    diffs = {d.key: d for d in compare_signatures(tf1.signatures, tf2.signatures)}
    assert "__saved_model_init_op" not in diffs  # internal entries are not the user's signatures
    assert diffs["classify_x2_to_y3"].status == "only_b"
    serving = diffs["serving_default"]
    whats = {(c.where, c.what): c for c in serving.changes}
    assert whats[("input x", "shape")].a == "(-1, 1)" and whats[("input x", "shape")].b == "(1,)"
    assert whats[("input x", "name")].severity == "info"
    assert serving.breaking
    classify = diffs["classify_x_to_y"]
    method = whats_of(classify)[("method", "method_name")]
    assert (method.a, method.b) == ("tensorflow/serving/classify", "tensorflow/serving/predict")


def whats_of(diff):
    return {(c.where, c.what): c for c in diff.changes}


def test_internal_entries_can_be_included(shared_models):
    tf2 = read_model(shared_models / "saved_model_half_plus_two_tf2_cpu")
    diffs = compare_signatures({}, tf2.signatures, include_internal=True)
    assert {d.key for d in diffs if d.status == "only_b"} >= {"__saved_model_init_op", "serving_default"}


def test_identical_outputs_are_equal():
    a = {"y": np.array([[2.5], [3.0]], np.float32)}
    diff = compare_outputs(a, {"y": a["y"].copy()})
    assert diff.equal and diff.outputs["y"].status == "equal" and diff.outputs["y"].max_abs == 0.0


def test_difference_within_and_beyond_tolerance():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = a + np.array([0.0, 1e-4, 0.0], np.float32)
    loose = compare_outputs({"y": a}, {"y": b}, rtol=1e-3, atol=0)
    strict = compare_outputs({"y": a}, {"y": b}, rtol=1e-6, atol=0)
    assert loose.equal and loose.outputs["y"].status == "close"
    assert not strict.equal and strict.outputs["y"].mismatched == 1
    assert strict.outputs["y"].max_abs == pytest.approx(1e-4, rel=1e-2)
    assert strict.outputs["y"].max_rel == pytest.approx(5e-5, rel=1e-2)
    np.testing.assert_allclose(strict.outputs["y"].diff, b.astype(np.float64) - a, atol=1e-9)


def test_only_one_output_differs():
    a = {"p": np.array([[0.1, 0.9]]), "q": np.array([1.0])}
    b = {"p": np.array([[0.1, 0.9]]), "q": np.array([2.0])}
    diff = compare_outputs(a, b)
    assert diff.differing == ["q"]
    assert diff.outputs["p"].argmax_agree == 1.0


def test_argmax_and_topk_agreement():
    a = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    b = np.array([[0.7, 0.1, 0.2], [0.5, 0.3, 0.2]])
    d = compare_outputs({"s": a}, {"s": b}, top_k=2).outputs["s"]
    assert d.argmax_agree == 0.5
    assert d.topk_agree == pytest.approx(0.75)


def test_nan_and_inf_positions():
    a = np.array([np.nan, np.inf, 1.0])
    same = compare_outputs({"y": a}, {"y": a.copy()}).outputs["y"]
    assert same.agrees and same.nonfinite_a == 2 and same.nonfinite_differ == 0
    moved = compare_outputs({"y": a}, {"y": np.array([0.0, np.inf, np.nan])}).outputs["y"]
    assert not moved.agrees and moved.nonfinite_differ == 2


def test_shape_dtype_and_missing_keys():
    diff = compare_outputs({"y": np.zeros((2, 1)), "only": np.zeros(1)}, {"y": np.zeros((1, 2)), "extra": np.zeros(1)})
    assert diff.outputs["y"].status == "shape_mismatch"
    assert diff.outputs["only"].status == "only_a" and diff.outputs["extra"].status == "only_b"
    cast = compare_outputs({"y": np.ones(3, np.float32)}, {"y": np.ones(3, np.float64)}).outputs["y"]
    assert cast.status == "close" and (cast.dtype_a, cast.dtype_b) == ("float32", "float64")


def test_string_outputs_compare_elementwise():
    a = np.array([b"cat", b"dog"], dtype=object)
    assert compare_outputs({"c": a}, {"c": a.copy()}).equal
    d = compare_outputs({"c": a}, {"c": np.array([b"cat", b"cow"], dtype=object)}).outputs["c"]
    assert d.status == "different" and d.mismatched == 1


def test_to_dict_is_json_ready():
    import json

    diff = compare_outputs({"y": np.array([1.0, np.nan])}, {"y": np.array([1.5, np.nan])})
    text = json.dumps(diff.to_dict())
    assert '"equal": false' in text


def test_request_method_follows_the_signature_method(shared_models):
    sigs = read_model(shared_models / "saved_model_half_plus_two_cpu").signatures
    assert sigs["classify_x_to_y"].request_method == "classify"
    assert sigs["regress_x_to_y"].request_method == "regress"
    assert sigs["serving_default"].request_method == "predict"
    tf2 = read_model(shared_models / "saved_model_half_plus_two_tf2_cpu").signatures
    assert tf2["classify_x_to_y"].request_method == "predict"  # TF2 exports every signature as predict
