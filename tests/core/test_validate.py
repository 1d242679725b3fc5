"""explorer.core.validate: each problem users bring (CONTRIBUTING.md) found on real signatures, explained, and where
offered fixed — and the fixed inputs then run in TensorFlow where the originals failed."""
import numpy as np
import pytest

from explorer.core.errors import InputProblem
from explorer.core.savedmodel import read_model
from explorer.core.signature import Signature, TensorSpec
from explorer.core.sources import Source
from explorer.core.tensors import build_inputs
from explorer.core.validate import (Problem, apply_offer, auto_fix, cast_safety, check, convert_channels,
                                     has_errors, lead_error)
from explorer.core import dtypes


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def problems_model(tmp_path_factory, tf):
    """A TF2 SavedModel with the shapes of CONTRIBUTING.md's problems: a fixed batch [32, 5], two named inputs a/b,
    a grayscale CNN input [-1, 28, 28, 1], and [None, None, 100] tokens with a sequence_length."""

    class Problems(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([32, 5], tf.float32, name="x")])
        def fixed(self, x):
            return {"y": tf.reduce_sum(x, axis=1, keepdims=True)}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a"),
                                      tf.TensorSpec([None, 3], tf.float32, name="b")])
        def two(self, a, b):
            return {"sum": a + b}

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
        def cnn(self, image):
            return {"mean": tf.reduce_mean(image, axis=[1, 2, 3])}

        @tf.function(input_signature=[tf.TensorSpec([None, None, 100], tf.float32, name="tokens"),
                                      tf.TensorSpec([None], tf.int32, name="sequence_length")])
        def seq(self, tokens, sequence_length):
            mask = tf.sequence_mask(sequence_length, tf.shape(tokens)[1], dtype=tokens.dtype)
            return {"pooled": tf.reduce_sum(tokens * mask[:, :, None], axis=1)}

    module = Problems()
    path = tmp_path_factory.mktemp("validate") / "problems"
    tf.saved_model.save(module, str(path), signatures={
        "fixed_batch": module.fixed, "two_inputs": module.two, "serving_default": module.cnn, "sequence": module.seq})
    return read_model(path), tf.saved_model.load(str(path))


def kinds(problems: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.kind, p.input) for p in problems]


def only(problems: list[Problem], kind: str) -> Problem:
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, kinds(problems)
    p = found[0]
    assert p.message and p.fix and p.severity in ("error", "warning")
    return p


# ---------------------------------------------------------------- CONTRIBUTING.md's problems on a real model

def test_batch_32_vs_1_is_flagged_although_tf2_accepts_it(problems_model, tf):
    info, loaded = problems_model
    sig = info.signatures["fixed_batch"]
    one = np.ones((1, 5), np.float32)
    # TF2's signature function runs it (docs/ARCHITECTURE.md) ...
    assert loaded.signatures["fixed_batch"](x=tf.constant(one))["y"].shape == (1, 1)
    # ... but TF Serving rejects it, so check must say so
    p = only(check({"x": one}, sig), "batch")
    assert p.input == "x" and p.expected == "(32, 5)" and p.got == "(1, 5)" and p.severity == "error"
    assert "batch of 1" in p.message and "32" in p.message and "TF Serving rejects" in p.message
    assert check({"x": np.ones((32, 5), np.float32)}, sig) == []


def test_two_named_inputs_missing_one_and_a_typo(problems_model, tf):
    info, loaded = problems_model
    sig = info.signatures["two_inputs"]
    a = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError):  # what TF says: "missing a required argument: 'b'"
        loaded.signatures["two_inputs"](a=tf.constant(a))
    p = only(check({"a": a}, sig), "missing")
    assert p.input == "b" and "'b' is missing" in p.message and "float32 (-1, 3)" in p.fix

    problems = check({"a": a, "B": a}, sig)
    assert kinds(problems) == [("unknown_key", "B")]  # the missing 'b' is named there, not said twice
    typo = only(problems, "unknown_key")
    assert "Did you mean 'b'?" in typo.message and "case-sensitive" in typo.message

    lead, more = lead_error(problems)  # the one line a command prints: the typo, nothing more
    assert lead is typo and more == 0
    lead, more = lead_error(check({"a": np.ones((2, 4), np.float32), "B": a}, sig))
    assert lead.kind == "unknown_key" and more == 1  # the wrong shape of 'a' is another mistake: counted

    p = only(check({"a": a, "bb_input": a}, sig), "unknown_key")
    assert "Did you mean 'b'?" in p.message  # the one missing key, even when not a close spelling
    p = only(check({"a": a, "b": a, "zzz": a}, sig), "unknown_key")
    assert "'a', 'b'" in p.message and "Did you mean" not in p.message


def test_float64_vs_float32_offers_a_safe_cast_that_then_runs(problems_model, tf):
    info, loaded = problems_model
    sig = info.signatures["two_inputs"]
    a, b = np.ones((2, 3)), np.ones((2, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError):
        loaded.signatures["two_inputs"](a=tf.constant(a), b=tf.constant(b))
    p = only(check({"a": a, "b": b}, sig), "dtype")
    assert p.message == "a is float64 but the signature wants float32."
    assert p.fix.startswith("Cast with np.float32(...) — safe") and p.offer == "cast"
    assert (p.expected, p.got) == ("float32", "float64")
    fixed = apply_offer(a, p, sig.inputs["a"])
    assert fixed.dtype == np.float32 and check({"a": fixed, "b": b}, sig) == []
    out = loaded.signatures["two_inputs"](a=tf.constant(fixed), b=tf.constant(b))
    assert out["sum"].numpy().tolist() == [[2, 2, 2]] * 2


def test_rgb_into_a_grayscale_cnn(problems_model, tf):
    info, loaded = problems_model
    sig = info.signatures["serving_default"]
    rgb = np.zeros((1, 28, 28, 3), np.float32)
    rgb[..., 0] = 1.0  # pure red
    # TF2's signature function does not check the shape of a tensor: it runs, and averages R, G and B silently
    silent = loaded.signatures["serving_default"](image=tf.constant(rgb))["mean"].numpy()
    assert np.allclose(silent, 1 / 3)
    p = only(check({"image": rgb}, sig), "channels")
    assert p.offer == "convert_channels" and (p.expected, p.got) == ("(-1, 28, 28, 1)", "(1, 28, 28, 3)")
    assert "3 channels (RGB)" in p.message and "1 (grayscale)" in p.message
    gray = apply_offer(rgb, p, sig.inputs["image"])
    assert gray.shape == (1, 28, 28, 1) and np.allclose(gray, 0.299)
    assert check({"image": gray}, sig) == []
    assert np.allclose(loaded.signatures["serving_default"](image=tf.constant(gray))["mean"].numpy(), 0.299)


def test_variable_length_tokens_with_sequence_length(problems_model, tf):
    info, loaded = problems_model
    sig = info.signatures["sequence"]
    tokens = np.ones((2, 7, 100), np.float32)
    good = {"tokens": tokens, "sequence_length": np.array([7, 3], np.int32)}
    assert check(good, sig) == []
    assert loaded.signatures["sequence"](**{k: tf.constant(v) for k, v in good.items()})["pooled"].numpy()[:, 0].tolist() == [7, 3]
    problems = check({"tokens": tokens, "sequence_length": np.array([7, 3, 1])}, sig)
    assert sorted(kinds(problems)) == [("batch_disagree", None), ("dtype", "sequence_length")]
    p = only(problems, "batch_disagree")
    assert "tokens has 2, sequence_length has 3" in p.message
    assert only(problems, "dtype").fix.startswith("Cast with np.int32(...) — safe")
    p = only(check({"tokens": np.ones((2, 7, 99), np.float32), "sequence_length": good["sequence_length"]}, sig), "shape")
    assert "dimension 2 is 99 (wants 100)" in p.message


def test_odd_keys_like_input_image_0(tf1_model):
    sig = read_model(tf1_model).signatures["serving_default"]
    assert list(sig.inputs) == ["input_image:0"]
    image = np.zeros((1, 28, 28, 1), np.float32)
    assert check({"input_image:0": image}, sig) == []
    p = only(check({"input_image": image}, sig), "unknown_key")
    assert "spelled with the ':0' suffix" in p.message and "Did you mean 'input_image:0'?" in p.message
    tokens = read_model(tf1_model).signatures["tokens"]
    p = only(check({"tokens:0": np.zeros((1, 2, 100), np.float32)}, tokens), "unknown_key")
    assert "Did you mean 'tokens'?" in p.message


def test_a_colon_in_a_key_is_not_a_tensor_index(tmp_path_factory):
    # "input:b" is a key with a colon in it, not "input" with a ':0' suffix: the hint said it was.
    import modelgen

    sig = read_model(modelgen.slash_colon_keys(tmp_path_factory.mktemp("keys"))).signatures["serving_default"]
    rows = {k: np.ones((1, 3), np.float32) for k in ("input/a", "input:b", "input c")}
    assert check(rows, sig) == []
    p = only(check({**{k: v for k, v in rows.items() if k != "input:b"}, "input": rows["input:b"]}, sig),
             "unknown_key")
    assert "':0' suffix" not in p.message and "Did you mean 'input:b'?" in p.message
    p = only(check({**{k: v for k, v in rows.items() if k != "input/a"}, "input/a:0": rows["input/a"]}, sig),
             "unknown_key")
    assert "spelled without the ':0' suffix" in p.message and "Did you mean 'input/a'?" in p.message
    p = only(check({**{k: v for k, v in rows.items() if k != "input c"}, "input": rows["input c"]}, sig),
             "unknown_key")
    assert "Did you mean 'input c'?" in p.message  # the key not given, of three equally close


def test_a_tensor_name_given_as_key(problems_model):
    sig = problems_model[0].signatures["fixed_batch"]
    p = only(check({"fixed_batch_x:0": np.zeros((32, 5), np.float32)}, sig), "unknown_key")
    assert "graph tensor name" in p.message and "Did you mean 'x'?" in p.message


# ---------------------------------------------------------------- shared TF Serving models

def test_numbers_into_a_classify_signature(shared_models):
    sig = read_model(shared_models / "saved_model_half_plus_two_cpu").signatures["classify_x_to_y"]
    p = only(check({"inputs": np.array([[1.0], [2.0]], np.float32)}, sig), "number_for_string")
    assert "takes strings" in p.message and "--example" in p.fix
    arrays, _ = build_inputs(sig, {"inputs": Source("examples", text='[{"x": 1.0}]')})
    assert check(arrays, sig) == []  # unknown rank: any shape of strings passes


def test_strings_into_a_numeric_input(shared_models):
    sig = read_model(shared_models / "saved_model_half_plus_two_cpu").signatures["serving_default"]
    p = only(check({"x": np.array([["1"], ["2"]])}, sig), "string_for_number")
    assert "takes float32 numbers but got strings" in p.message
    examples = build_inputs(read_model(shared_models / "saved_model_half_plus_two_cpu").signatures["classify_x_to_y"],
                            {"inputs": Source("examples", text='[{"x": 1.0}]')})[0]["inputs"].reshape(1, 1)
    assert "serialized tf.Examples" in only(check({"x": examples}, sig), "string_for_number").fix


def test_no_shape_recorded_and_tf2_defaults(shared_models):
    three = read_model(shared_models / "saved_model_half_plus_three").signatures["serving_default"]
    assert not three.inputs["x"].has_shape
    assert check({"x": np.array([[1.0], [2.0]], np.float32)}, three) == []  # TF1 feeds any shape: nothing to say
    tf2 = read_model(shared_models / "saved_model_half_plus_two_tf2_cpu").signatures["serving_default"]
    p = only(check({}, tf2), "default_used")
    assert p.severity == "warning" and "[0.0]" in p.message and not has_errors(check({}, tf2))
    p = only(check({"x": np.array([1.0, 2.0, 5.0], np.float32)}, tf2), "batch")
    assert "fixes it at 1" in p.message


# ---------------------------------------------------------------- shapes and values with plain specs

def sig_of(*specs: TensorSpec) -> Signature:
    return Signature("s", "tensorflow/serving/predict", {s.key: s for s in specs})


X = TensorSpec("x", "DT_FLOAT", (-1, 1))


def test_rank_offers():
    p = only(check({"x": np.ones((3,), np.float32)}, sig_of(X)), "rank")
    assert p.offer == "add_trailing_axis" and apply_offer(np.ones(3, np.float32), p, X).shape == (3, 1)
    image = TensorSpec("image", "DT_FLOAT", (-1, 28, 28, 1))
    single = np.zeros((28, 28, 1), np.float32)
    p = only(check({"image": single}, sig_of(image)), "rank")
    assert p.offer == "add_batch_axis" and "batch axis is missing" in p.message
    assert apply_offer(single, p, image).shape == (1, 28, 28, 1)
    p = only(check({"image": np.zeros((28, 28), np.float32)}, sig_of(image)), "rank")
    assert "np.newaxis, ..., np.newaxis" in p.fix and p.offer is None
    extra = np.zeros((1, 3, 1), np.float32)
    p = only(check({"x": extra}, sig_of(X)), "rank")
    assert p.offer == "drop_batch_axis" and apply_offer(extra, p, X).shape == (3, 1)
    p = only(check({"x": np.zeros((2, 2, 2, 2), np.float32)}, sig_of(X)), "rank")
    assert p.offer is None and "(-1, 1)" in p.fix


def test_scalar_and_unknown_rank_specs():
    scalar = TensorSpec("s", "DT_FLOAT", ())
    assert check({"s": np.float32(2.0)}, sig_of(scalar)) == []
    p = only(check({"s": np.array([2.0], np.float32)}, sig_of(scalar)), "rank")
    assert "scalar input" in p.message and "x.item()" in p.fix
    unknown = TensorSpec("u", "DT_FLOAT", None)
    assert check({"u": np.zeros((2, 3, 4), np.float32)}, sig_of(unknown)) == []


def test_channels_first_layout_and_resize_hint():
    spec = TensorSpec("image", "DT_FLOAT", (-1, 32, 32, 3))
    nchw = np.zeros((2, 3, 32, 32), np.float32)
    p = only(check({"image": nchw}, sig_of(spec)), "layout")
    assert p.offer == "channels_last" and apply_offer(nchw, p, spec).shape == (2, 32, 32, 3)
    p = only(check({"image": np.zeros((1, 30, 40, 3), np.float32)}, sig_of(spec)), "shape")
    assert "Resize the image to 32x32" in p.fix


def test_value_range_warning_and_normalize_offer():
    spec = TensorSpec("image", "DT_FLOAT", (-1, 4, 4, 3))
    pixels = np.full((1, 4, 4, 3), 255, np.uint8)
    problems = check({"image": pixels}, sig_of(spec))
    assert sorted(kinds(problems)) == [("dtype", "image"), ("value_range", "image")]
    assert problems[0].kind == "dtype"  # errors first, warnings after
    p = only(problems, "value_range")
    assert p.severity == "warning" and "up to 255" in p.message and p.offer == "normalize"
    scaled = apply_offer(pixels, p, spec)
    assert scaled.dtype == np.float32 and scaled.max() == 1.0 and check({"image": scaled}, sig_of(spec)) == []
    named = TensorSpec("input_img", "DT_FLOAT", (-1, 10))  # the name says image, the shape says a row of 10 values
    assert check({"input_img": np.full((1, 10), 200.0, np.float32)}, sig_of(named)) == []
    assert check({"x": np.full((1, 1), 200.0, np.float32)}, sig_of(X)) == []  # not an image: no opinion


def test_precision_warnings():
    big = np.array([[2**24 + 1]], np.int64)
    problems = check({"x": big}, sig_of(X))
    assert "NOT safe" in only(problems, "dtype").fix
    p = only(problems, "precision")
    assert p.severity == "warning" and "16777217 becomes 16777216" in p.message
    assert not [q for q in check({"x": np.array([[2**24]], np.int64)}, sig_of(X)) if q.kind == "precision"]
    ids = TensorSpec("ids", "DT_INT64", (-1,))
    huge = np.array([2**53 + 1, 5], np.int64)
    assert check({"ids": huge}, sig_of(ids), target="local") == []
    p = only(check({"ids": huge}, sig_of(ids), target="serving"), "json_precision")
    assert "9007199254740993 arrives as 9007199254740992" in p.message and "gRPC" in p.fix


def test_other_warnings():
    p = only(check({"x": np.array([[np.nan], [1.0]], np.float32)}, sig_of(X)), "non_finite")
    assert p.severity == "warning" and "1 NaN" in p.message
    assert only(check({"x": np.zeros((0, 1), np.float32)}, sig_of(X)), "empty").severity == "warning"
    half = TensorSpec("h", "DT_HALF", (-1,))
    assert check({"h": np.zeros(2, np.float16)}, sig_of(half)) == []
    assert only(check({"h": np.zeros(2, np.float16)}, sig_of(half), target="serving"), "wire_dtype")


@pytest.mark.parametrize("values, want, safe, words", [
    (np.array([1.5, 2.0]), "DT_FLOAT", True, "values fit"),
    (np.array([1e300]), "DT_FLOAT", False, "overflow"),
    (np.array([1.0, 2.0]), "DT_INT32", True, "values fit"),
    (np.array([1.5]), "DT_INT32", False, "cut (1.5 -> 1)"),
    (np.array([np.nan]), "DT_INT64", False, "NaN"),
    (np.array([300]), "DT_UINT8", False, "do not fit uint8"),
    (np.array([3], np.int32), "DT_INT64", True, "values fit"),
    (np.array([2], np.int64), "DT_BOOL", False, "other than 0 and 1"),
    (np.array([1.0], np.float32), "DT_DOUBLE", True, "exact"),
])
def test_cast_safety(values, want, safe, words):
    ok, why = cast_safety(values, dtypes.lookup(want))
    assert ok is safe and words in why


def test_apply_offer_casts_and_channels():
    ints = TensorSpec("i", "DT_INT32", (-1,))
    p = only(check({"i": np.array([1.6, -2.4])}, sig_of(ints)), "dtype")
    assert apply_offer(np.array([1.6, -2.4]), p, ints).tolist() == [2, -2]  # rounded, not cut
    rgba = np.full((1, 2, 2, 4), 200, np.uint8)
    assert convert_channels(rgba, 3).shape == (1, 2, 2, 3)
    assert convert_channels(rgba, 1)[0, 0, 0, 0] == 200
    gray = np.full((2, 2, 1), 0.5, np.float32)
    assert convert_channels(gray, 3).shape == (2, 2, 3)
    four = convert_channels(gray, 4)
    assert four.shape == (2, 2, 4) and four[0, 0, 3] == 1.0 and four.dtype == np.float32
    with pytest.raises(InputProblem) as info:
        apply_offer(np.zeros(1), Problem("batch", "x", "m", "do it yourself"), X)
    assert "no automatic fix" in str(info.value)


def test_problem_to_dict():
    p = Problem("dtype", "x", "msg", "fix", expected="float32", got="float64", offer="cast")
    assert p.to_dict() == {"input": "x", "kind": "dtype", "message": "msg", "fix": "fix", "expected": "float32",
                           "got": "float64", "severity": "error"}


def test_check_never_crashes_on_odd_values():
    specs = sig_of(X, TensorSpec("s", "DT_STRING", (-1,)), TensorSpec("r", "DT_RESOURCE", (-1,)),
                   TensorSpec("q", "DT_QINT8", (-1,)))
    odd = {"x": [[1], [2]], "s": ["a", None], "r": np.zeros(2), "q": np.zeros(2, np.int8), "zz": object()}
    problems = check(odd, specs)
    assert ("unknown_key", "zz") in kinds(problems) and has_errors(problems)
    assert check({"x": np.array([[True]])}, sig_of(X))[0].kind == "dtype"


def test_sparse_and_ragged_inputs_are_named_not_crashed_on(tf1_model):
    sig = read_model(tf1_model).signatures["sparse_and_ragged"]
    problems = check({"sparse_ids": np.zeros((2, 10), np.int64)}, sig)
    assert sorted(kinds(problems)) == [("encoding", "ragged"), ("encoding", "sparse_ids")]
    assert "sparse tensor" in only([p for p in problems if p.input == "sparse_ids"], "encoding").message


def test_auto_fix_applies_only_safe_offers(problems_model):
    sig = problems_model[0].signatures["two_inputs"]
    inputs = {"a": np.ones((2, 3)), "b": np.full((2, 3), 2**25 + 1, np.int64)}
    fixed, notes = auto_fix(inputs, sig)
    assert fixed["a"].dtype == np.float32 and notes == ["a: cast applied (float64 -> float32)."]
    assert fixed["b"].dtype == np.int64  # 2**25 + 1 does not fit float32 exactly: left for the user to decide
    assert [p.kind for p in check(fixed, sig) if p.severity == "error"] == ["dtype"]
    single = {"image": np.zeros((28, 28, 1))}
    fixed, notes = auto_fix(single, problems_model[0].signatures["serving_default"], offers=("cast", "add_batch_axis"))
    assert fixed["image"].shape == (1, 28, 28, 1) and fixed["image"].dtype == np.float32 and len(notes) == 2


def test_image_warnings_need_an_image_like_shape():
    """Issue 13 item 3: a (-1, 1) column named input_image:0 is not an image, whatever its name."""
    column = Signature("serving_default", "tensorflow/serving/predict",
                       {"input_image:0": TensorSpec("input_image:0", "DT_FLOAT", (-1, 1), name="input_image:0")})
    problems = check({"input_image:0": np.array([[1.0], [2.0]], np.float32)}, column)
    assert not [p for p in problems if p.kind == "value_range"]
    gray = Signature("serving_default", "tensorflow/serving/predict",
                     {"x": TensorSpec("x", "DT_FLOAT", (-1, 28, 28, 1))})
    (p,) = [p for p in check({"x": np.full((1, 28, 28, 1), 255.0, np.float32)}, gray) if p.kind == "value_range"]
    assert p.offer == "normalize"
    named = Signature("serving_default", "tensorflow/serving/predict",
                      {"image": TensorSpec("image", "DT_FLOAT", (-1, 28, 28))})  # (N, H, W) when the name says so
    assert [p for p in check({"image": np.full((1, 28, 28), 255.0, np.float32)}, named) if p.kind == "value_range"]
    table = Signature("serving_default", "tensorflow/serving/predict",
                      {"x": TensorSpec("x", "DT_FLOAT", (-1, 5, 3))})  # 5 rows of 3 values is no picture
    assert not [p for p in check({"x": np.full((1, 5, 3), 255.0, np.float32)}, table) if p.kind == "value_range"]
