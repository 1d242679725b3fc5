"""The REST JSON codec alone (no HTTP): TF Serving's request and response forms, FIXTURES.md section 7."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.core import restjson
from explorer.core.errors import ServingError
from explorer.core.signature import TensorSpec


def spec(key, dtype, shape=(-1,)):
    return TensorSpec(key=key, dtype=dtype, shape=shape, name=f"{key}:0")


def test_row_format_when_inputs_share_a_batch_dim():
    body, fmt = restjson.encode_predict({"x": np.array([[1.0], [2.0]], np.float32)}, "serving_default")
    assert fmt == "row"
    assert json.loads(body) == {"signature_name": "serving_default", "instances": [[1.0], [2.0]]}


def test_named_row_format_for_several_inputs():
    body, fmt = restjson.encode_predict({"a": np.array([1, 2], np.int32), "b": np.array([[1.5], [2.5]])})
    assert fmt == "row"
    assert json.loads(body) == {"instances": [{"a": 1, "b": [1.5]}, {"a": 2, "b": [2.5]}]}


def test_columnar_when_batch_dims_differ_or_forced():
    inputs = {"a": np.array([1, 2, 3], np.int64), "b": np.array(5.0, np.float32)}
    body, fmt = restjson.encode_predict(inputs)
    assert fmt == "columnar"
    assert json.loads(body) == {"inputs": {"a": [1, 2, 3], "b": 5.0}}
    body, fmt = restjson.encode_predict({"x": np.array([1.0, 2.0])}, fmt="columnar")
    assert (fmt, json.loads(body)) == ("columnar", {"inputs": {"x": [1.0, 2.0]}})
    with pytest.raises(ServingError, match="same batch size"):
        restjson.encode_predict(inputs, fmt="row")


def test_float32_values_are_exact_and_short():
    body, _ = restjson.encode_predict({"x": np.array([0.1, 1 / 3], np.float32)})
    assert b"0.1," in body  # orjson writes float32 shortest, not 0.10000000149011612
    assert np.array(json.loads(body)["instances"], np.float32).tolist() == np.array([0.1, 1 / 3], np.float32).tolist()


def test_non_finite_values_become_bare_tokens():
    body, _ = restjson.encode_predict({"x": np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)})
    assert body == b'{"instances":[NaN,Infinity,-Infinity,1.0]}'


def test_int64_is_exact_both_ways():
    big = np.array([2**62 + 1, -(2**63), 2**63 - 1], np.int64)
    body, _ = restjson.encode_predict({"ids": big})
    assert str(2**62 + 1).encode() in body
    out = restjson.decode_predict(b'{"predictions": [4611686018427387905, -9223372036854775808, 9223372036854775807]}',
                                  {"ids": spec("ids", "DT_INT64")})
    assert out["ids"].dtype == np.int64 and out["ids"].tolist() == big.tolist()


def test_strings_go_as_text_and_bytes_as_b64():
    values = np.array([b"hello", b"\xff\x00"], dtype=object)
    body, _ = restjson.encode_predict({"s": values})
    assert json.loads(body) == {"instances": ["hello", {"b64": "/wA="}]}
    body, _ = restjson.encode_predict({"img_bytes": np.array([b"abc"], dtype=object)})
    assert json.loads(body) == {"instances": [{"b64": "YWJj"}]}  # *_bytes inputs are always b64, as TF Serving's


def test_decode_b64_outputs_and_strings():
    body = ('{"predictions": [{"str_tensor": ["foo", "bar"], "str_tensor_bytes": [{"b64": "aGVsbG8="}, '
            '{"b64": "d29ybGQ="}]}, {"str_tensor": ["baz", "bat"], "str_tensor_bytes": [{"b64": "dGY="}, '
            '{"b64": "c2VydmluZw=="}]}]}')
    out = restjson.decode_predict(body)
    assert out["str_tensor"].tolist() == [[b"foo", b"bar"], [b"baz", b"bat"]]
    assert out["str_tensor_bytes"].tolist() == [[b"hello", b"world"], [b"tf", b"serving"]]


def test_decode_nan_and_infinity_tokens():
    out = restjson.decode_predict(b'{"outputs": [[NaN, Infinity], [3.0, -Infinity]]}', {"y": spec("y", "DT_FLOAT")})
    y = out["y"]
    assert y.dtype == np.float32 and np.isnan(y[0, 0]) and y[0, 1] == np.inf and y[1, 1] == -np.inf


def test_decode_multiple_outputs_row_and_columnar():
    row = ('{"predictions": [{"double_scalar_tensor": 8.0, "int_tensor": [[1, 2], [3, 4]]}, '
           '{"double_scalar_tensor": 9.0, "int_tensor": [[5, 6], [7, 8]]}]}')
    specs = {"double_scalar_tensor": spec("double_scalar_tensor", "DT_DOUBLE"), "int_tensor": spec("int_tensor",
                                                                                                   "DT_INT32")}
    out = restjson.decode_predict(row, specs)
    assert out["double_scalar_tensor"].dtype == np.float64 and out["double_scalar_tensor"].tolist() == [8.0, 9.0]
    assert out["int_tensor"].shape == (2, 2, 2) and out["int_tensor"].dtype == np.int32
    col = '{"outputs": {"double_scalar_tensor": [8.0, 9.0], "int_tensor": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}}'
    out2 = restjson.decode_predict(col, specs)
    assert all(np.array_equal(out[k], out2[k]) for k in out)


def test_single_output_takes_the_signature_key():
    out = restjson.decode_predict(b'{"predictions": [3.0, 3.5]}', {"y": spec("y", "DT_FLOAT")})
    assert list(out) == ["y"] and out["y"].tolist() == [3.0, 3.5]
    assert list(restjson.decode_predict(b'{"predictions": []}')) == ["predictions"]


@pytest.mark.parametrize("shape", [(64, 1000), (2, 40, 40, 3)])
def test_large_numeric_outputs_decode_exactly(shape):
    rng = np.random.default_rng(0)
    y = rng.normal(size=shape).astype(np.float32)
    y.flat[7], y.flat[9] = np.nan, -np.inf
    body = restjson.dumps({"predictions": y})
    out = restjson.decode_predict(body, {"y": spec("y", "DT_FLOAT", (-1,) + shape[1:])})["y"]
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, y)


def test_ragged_nested_output_is_an_error_not_a_wrong_tensor():
    body = b'{"predictions": [[[1, 2], [3, 4]], [[5, 6], [7]]]}'
    with pytest.raises(ServingError, match="cannot become a tensor"):
        restjson.decode_predict(body, {"y": spec("y", "DT_INT32", (-1, 2, 2))})


def test_classify_and_regress_results():
    out = restjson.decode_results('{"results": [[["car", 0.2], ["bike", 0.7]], [["car", 0.7], ["bike", 0.1]]]}',
                                  "classify")
    assert out["classes"].tolist() == [[b"car", b"bike"], [b"car", b"bike"]]
    np.testing.assert_allclose(out["scores"], [[0.2, 0.7], [0.7, 0.1]])
    assert list(restjson.decode_results('{"results": [[["", 3.0]]]}', "classify")) == ["scores"]
    reg = restjson.decode_results(b'{"results": [0.2, Infinity, 1.0, -Infinity, NaN]}', "regress")["outputs"]
    assert reg.dtype == np.float32 and reg[1] == np.inf and np.isnan(reg[4])


def test_examples_with_context_and_b64():
    body = restjson.encode_examples([{"x": 2.0, "tag": b"\xff"}, {"x": [1.0, 2.0]}], {"lang": "en"}, "classify_x")
    assert json.loads(body) == {"signature_name": "classify_x", "context": {"lang": "en"},
                                "examples": [{"x": 2.0, "tag": {"b64": "/w=="}}, {"x": [1.0, 2.0]}]}


def test_error_text_and_bad_bodies():
    assert restjson.error_text(b'{ "error": "Bad key: \\"key\\"" }') == 'Bad key: "key"'
    assert restjson.error_text(b"<html>502</html>") is None
    with pytest.raises(ServingError, match="not valid JSON"):
        restjson.decode_predict(b'{"predictions": [1.0, 2.0')
    with pytest.raises(ServingError, match="neither 'predictions' nor 'outputs'"):
        restjson.decode_predict(b'{"foo": 1}')


def test_metadata_becomes_the_same_signatures_as_a_folder(rest_fixtures, shared_models):
    from explorer.core.savedmodel import read_model

    body = (rest_fixtures / "half_plus_two_model_metadata.json").read_bytes()
    signatures, version = restjson.decode_metadata(body)
    assert version == 123
    assert signatures == read_model(shared_models / "saved_model_half_plus_two_cpu").signatures
    assert signatures["classify_x_to_y"].inputs["inputs"].shape is None  # unknown_rank: true


def test_tf2_metadata_keeps_init_op_internal(rest_fixtures):
    body = (rest_fixtures / "saved_model_half_plus_two_tf2_2_versions_metadata.json").read_bytes()
    signatures, _ = restjson.decode_metadata(body)
    assert signatures["__saved_model_init_op"].internal
    assert list(signatures) == sorted(signatures)


def test_status_body():
    body = ('{"model_version_status": [{"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", '
            '"error_message": ""}}, {"version": "124", "state": "END", "status": {"error_code": "UNKNOWN", '
            '"error_message": "Failed to load"}}]}')
    rows = restjson.decode_status(body)
    assert [(s.version, s.state, s.error_code) for s in rows] == [(124, "END", "UNKNOWN"), (123, "AVAILABLE", "OK")]
    assert rows[0].error_message == "Failed to load"


# --- the flat fast path for large single numeric outputs ------------------------------------------------------


def _big(shape, dtype=np.float32):
    return np.random.default_rng(7).random(shape).astype(dtype)


@pytest.mark.parametrize("shape, dtype, name", [((1, 64, 64, 3), np.float32, "DT_FLOAT"), ((70, 1000), np.float32, "DT_FLOAT"),
                                                ((5000,), np.int64, "DT_INT64")])
def test_flat_path_equals_the_general_path(shape, dtype, name):
    array = _big(shape) * (2**40 if dtype == np.int64 else 1)
    array = array.astype(dtype)
    spec = {"y": TensorSpec("y", name, (-1,) + shape[1:], "y:0")}
    for key in ("predictions", "outputs"):
        body = restjson.dumps({key: array})
        assert len(body) >= restjson.FLAT_PATH_MIN_BYTES
        fast = restjson._flat_numeric(body, spec)
        assert fast is not None, "a large single numeric output must take the flat path"
        assert fast["y"].dtype == dtype
        np.testing.assert_array_equal(fast["y"], array)
        np.testing.assert_array_equal(restjson.decode_predict(body, spec)["y"], array)


def test_flat_path_reads_the_shape_of_the_answer_and_refuses_what_it_cannot_read():
    spec = {"y": TensorSpec("y", "DT_FLOAT", (-1, 4), "y:0")}
    rows = ",".join("[1.5,2.5,3.5,4.5]" for _ in range(3000))
    good = f'{{"predictions": [{rows}]}}'.encode()
    assert restjson._flat_numeric(good, spec)["y"].shape == (3000, 4)
    # Another rank than declared: both paths return what the server sent.
    other = f'{{"predictions": [{",".join("[[1.5,2.5],[3.5,4.5]]" for _ in range(3000))}]}}'.encode()
    np.testing.assert_array_equal(restjson._flat_numeric(other, spec)["y"],
                                  np.array(restjson.loads(other)["predictions"], np.float32))
    ragged = good.replace(b"[1.5,2.5,3.5,4.5]", b"[1.5,2.5,3.5]", 1)  # 11999 values, not 3000 x 4
    assert restjson._flat_numeric(ragged, spec) is None
    with pytest.raises(Exception):
        restjson.decode_predict(ragged, spec)
    nan = good.replace(b"2.5", b"NaN", 1)
    assert restjson._flat_numeric(nan, spec) is None and np.isnan(restjson.decode_predict(nan, spec)["y"][0, 1])
    assert restjson._flat_numeric(good.replace(b"2.5", b'"a"', 1), spec) is None
    assert restjson._flat_numeric(good.replace(b"1.5", b"true"), spec) is None
    two = good[:-1] + b', "extra": 1}'
    assert restjson._flat_numeric(two, spec) is None


def test_flat_path_keeps_int64_exact_without_a_signature():
    values = np.arange(2**53, 2**53 + 6000, dtype=np.int64)
    body = restjson.dumps({"outputs": values})
    out = restjson._flat_numeric(body, {})
    assert out is not None and out["outputs"].dtype == np.int64
    np.testing.assert_array_equal(out["outputs"], values)
