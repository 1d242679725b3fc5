"""explorer.core.examples: tf.Example bytes made without TensorFlow, read back by TensorFlow itself and by a real
classify/regress signature of TF Serving's half_plus_two model."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core import schema
from explorer.core.errors import InputProblem
from explorer.core.examples import feature_values, parse_examples, serialize_examples
from explorer.core.savedmodel import read_model
from explorer.core.sources import parse_cli_example
from explorer.core.tensors import build_inputs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def half_plus_two(shared_models, tf):
    """TF Serving's half_plus_two (TF 1.14 export), loaded once with tf.saved_model.load."""
    path = shared_models / "saved_model_half_plus_two_cpu" / "00000123"
    return read_model(path), tf.saved_model.load(str(path))


def test_serializing_needs_no_tensorflow():
    code = ("import sys; from explorer.core.examples import serialize_examples; "
            "b = serialize_examples([{'x': 1.0, 'w': 'a', 'n': 3}]); "
            "assert isinstance(b[0], bytes) and len(b[0]) > 10; "
            "assert 'tensorflow' not in sys.modules, 'imported tensorflow'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_our_messages_match_tensorflows(tf):
    """Field names, numbers, types, labels and oneofs as in tensorflow/core/example/{example,feature}.proto."""
    ours = {"Example": schema.Example.DESCRIPTOR, **{n: schema.POOL.FindMessageTypeByName(f"explorer.tf.{n}")
                                                     for n in ("Features", "Feature", "BytesList", "FloatList", "Int64List")}}
    theirs = {"Example": tf.train.Example.DESCRIPTOR, "Features": tf.train.Features.DESCRIPTOR,
              "Feature": tf.train.Feature.DESCRIPTOR, "BytesList": tf.train.BytesList.DESCRIPTOR,
              "FloatList": tf.train.FloatList.DESCRIPTOR, "Int64List": tf.train.Int64List.DESCRIPTOR}
    for name, desc in theirs.items():
        mine = ours[name]
        assert [(f.name, f.number, f.type, f.is_repeated) for f in mine.fields] == \
               [(f.name, f.number, f.type, f.is_repeated) for f in desc.fields], name
        assert [o.name for o in mine.oneofs] == [o.name for o in desc.oneofs], name
        assert [f.is_packed for f in mine.fields] == [f.is_packed for f in desc.fields], name


def test_tensorflow_parses_our_bytes(tf):
    examples = [
        {"x": 2.0, "ids": [1, 2**40], "word": "thé", "raw": {"b64": "AAH/"}, "flag": True},
        {"x": [1.5, -3.0], "ids": [], "word": ["a", "b"], "raw": {"b64": ""}, "flag": False},
    ]
    blobs = serialize_examples(examples)
    assert blobs.dtype == object and blobs.shape == (2,)
    first = tf.train.Example.FromString(blobs[0]).features.feature
    assert list(first["x"].float_list.value) == [2.0]
    assert list(first["ids"].int64_list.value) == [1, 2**40]
    assert list(first["word"].bytes_list.value) == ["thé".encode()]
    assert list(first["raw"].bytes_list.value) == [b"\x00\x01\xff"]
    assert list(first["flag"].int64_list.value) == [1]
    second = tf.train.Example.FromString(blobs[1]).features.feature
    assert list(second["x"].float_list.value) == [1.5, -3.0]
    assert second["ids"].WhichOneof("kind") == "float_list"  # an empty list: floats, as TF Serving's REST API does

    parsed = tf.io.parse_example(tf.constant(list(blobs)), {
        "x": tf.io.VarLenFeature(tf.float32), "word": tf.io.VarLenFeature(tf.string),
        "flag": tf.io.FixedLenFeature([1], tf.int64),
    })
    assert tf.sparse.to_dense(parsed["x"]).numpy().tolist() == [[2.0, 0.0], [1.5, -3.0]]
    assert parsed["flag"].numpy().tolist() == [[1], [0]]
    assert tf.sparse.to_dense(parsed["word"]).numpy().tolist() == [["thé".encode(), b""], [b"a", b"b"]]


def test_serialization_is_deterministic():
    a = serialize_examples([{"b": 1, "a": 2.0, "c": "z"}])[0]
    b = serialize_examples([{"c": "z", "a": 2.0, "b": 1}])[0]
    assert a == b


def test_classify_and_regress_signatures_run_on_our_examples(half_plus_two, tf):
    info, loaded = half_plus_two
    for signature, output in (("classify_x_to_y", "scores"), ("regress_x_to_y", "outputs")):
        key, source = parse_cli_example('inputs=[{"x": 2.0}, {"x": 4.0}, {"x": -1.5}]')
        arrays, notes = build_inputs(info.signatures[signature], {key: source})
        result = loaded.signatures[signature](inputs=tf.constant(arrays["inputs"]))
        assert result[output].numpy().reshape(-1).tolist() == [3.0, 4.0, 1.25], signature  # y = 0.5 x + 2
    # a whole number is an int64 feature unless said otherwise; the model parses x as float
    forced = serialize_examples([{"x": {"float_list": [6]}}])
    out = loaded.signatures["regress_x_to_y"](inputs=tf.constant(forced))
    assert out["outputs"].numpy().reshape(-1).tolist() == [5.0]


def test_regress_x_to_y2_gives_half_plus_three(half_plus_two, tf):
    _, loaded = half_plus_two
    out = loaded.signatures["regress_x_to_y2"](inputs=tf.constant(serialize_examples([{"x": 1.0}, {"x": 3.0}])))
    assert out["outputs"].numpy().reshape(-1).tolist() == [3.5, 4.5]


@pytest.mark.parametrize("value, kind, values", [
    (1, "int64_list", [1]), (1.5, "float_list", [1.5]), ([1, 2.5], "float_list", [1.0, 2.5]),
    (True, "int64_list", [1]), ("a", "bytes_list", [b"a"]), ({"b64": "aGk="}, "bytes_list", [b"hi"]),
    (np.array([1, 2]), "int64_list", [1, 2]), (np.float32(0.5), "float_list", [0.5]),
    ({"int64_list": [3.0]}, "int64_list", [3]), ({"bytes_list": ["q"]}, "bytes_list", [b"q"]),
])
def test_feature_kinds(value, kind, values):
    assert feature_values(value) == (kind, values)


@pytest.mark.parametrize("examples, words", [
    ([{"x": [1, "a"]}], "mixes text and numbers"),
    ([{"x": [[1, 2]]}], "holds a list"),
    ([{"x": None}], "holds null"),
    ([{"x": {"b64": "%%"}}], "not valid base64"),
    ([{"x": {"int64_list": [1.5]}}], "not a whole number"),
    ([{"x": 2**64}], "does not fit in int64"),
    ([{"x": {"float_list": ["a"]}}], "holds text"),
    ([{"x": {"bytes_list": [1]}}], "holds numbers"),
    ([3], "not a dict"),
])
def test_bad_features_are_input_problems(examples, words):
    with pytest.raises(InputProblem) as info:
        serialize_examples(examples, key="inputs")
    assert words in str(info.value) and str(info.value).startswith("inputs: ") and info.value.fix


def test_parse_examples():
    assert parse_examples('{"x": 1}') == [{"x": 1}]
    assert parse_examples('[{"x": 1}, {}]') == [{"x": 1}, {}]
    for bad, words in (("[{", "not valid JSON"), ('"x"', "not a string"), ("[1]", "item 0 is a number (1)")):
        with pytest.raises(InputProblem) as info:
            parse_examples(bad)
        assert words in str(info.value), str(info.value)
