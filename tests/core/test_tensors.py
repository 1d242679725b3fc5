"""explorer.core.tensors: every source kind, fill and loader, with real files in tmp_path and real signatures."""
import os
import time

import numpy as np
import pytest
from PIL import Image

from explorer.core import file_cache, input_files
from explorer.core.errors import InputProblem
from explorer.core.savedmodel import read_model
from explorer.core.signature import Signature, TensorSpec
from explorer.core.sources import Source, parse_cli_example, parse_cli_input
from explorer.core.tensor_values import Built, concrete_shape
from explorer.core.tensors import build_input, build_inputs

X = TensorSpec("x", "DT_FLOAT", (-1, 1), "x:0")
GRAY = TensorSpec("image", "DT_FLOAT", (-1, 28, 28, 1), "image:0")
RGB = TensorSpec("image", "DT_FLOAT", (-1, 64, 64, 3), "image:0")
STR = TensorSpec("inputs", "DT_STRING", None, "tf_example:0")


@pytest.fixture(scope="module")
def half_plus_two(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_cpu")


@pytest.fixture(autouse=True)
def _fresh_cache():
    file_cache.clear_cache()
    yield
    file_cache.clear_cache()


def problem(fn, *args, **kw) -> InputProblem:
    with pytest.raises(InputProblem) as info:
        fn(*args, **kw)
    assert str(info.value) and info.value.fix, "every InputProblem needs a message and a fix"
    return info.value


# ---------------------------------------------------------------- CLI parsing

@pytest.mark.parametrize("text, key, expected", [
    ("x=[[1],[2]]", "x", Source("literal", text="[[1],[2]]")),
    ("x = 3.5", "x", Source("literal", text="3.5")),
    ("input_image:0=[1]", "input_image:0", Source("literal", text="[1]")),
    ("x=@a.npy", "x", Source("file", path="a.npy")),
    ("x=@data/a.npz:name", "x", Source("file", path="data/a.npz", key="name")),
    ("x=@img.png", "x", Source("file", path="img.png")),
    ("x=@img.png?normalize=true", "x", Source("file", path="img.png", params={"normalize": True})),
    ("x=fill:random", "x", Source("fill", fill="uniform")),
    ("x=fill:normal?seed=3&std=2", "x", Source("fill", fill="normal", params={"seed": 3, "std": 2})),
    ("x=fill:zeros?shape=2x10x100", "x", Source("fill", fill="zeros", params={"shape": [2, 10, 100]})),
    ("s=text:hello", "s", Source("text", text="hello")),
    ("s=b64:aGk=", "s", Source("text", text="aGk=", params={"b64": True})),
    ('inputs=examples:[{"x": 1}]', "inputs", Source("examples", text='[{"x": 1}]')),
])
def test_parse_cli_input(text, key, expected):
    assert parse_cli_input(text) == (key, expected)


@pytest.mark.parametrize("text, words", [
    ("x", "KEY=VALUE"), ("=5", "KEY=VALUE"), ("x=fill:bogus", "unknown fill"),
    ("x=fill:zeros?shape=2xq", "shape"), ("x=@", "file path"), ("x=examples:[1", "not valid JSON"),
])
def test_parse_cli_input_rejects_with_a_message(text, words):
    assert words in str(problem(parse_cli_input, text))


def test_parse_cli_example_forms():
    assert parse_cli_example('inputs=[{"x": 2.0}]') == ("inputs", Source("examples", text='[{"x": 2.0}]'))
    assert parse_cli_example('inputs={"x": 2.0}') == ("inputs", Source("examples", text='{"x": 2.0}'))
    assert parse_cli_example('[{"x": 2.0}, {"x": 3}]')[0] == ""  # no key: the signature's only input
    assert "JSON" in str(problem(parse_cli_example, 'inputs=[{"x": 2.0}'))
    assert "list of objects" in str(problem(parse_cli_example, "inputs=[1, 2]"))
    assert "KEY=JSON" in str(problem(parse_cli_example, "inputs"))


def test_source_round_trips_and_describes():
    src = Source("fill", fill="normal", params={"seed": 3, "std": 2.0, "shape": [2, 3]})
    assert Source.from_dict(src.to_dict()) == src
    assert src.describe() == "fill:normal?seed=3&std=2.0&shape=2x3"
    assert Source("file", path="a.npz", key="k").describe() == "@a.npz:k"
    same = Source("fill", fill="normal", params={"std": 2.0, "shape": [2, 3], "seed": 3})
    assert same == src and hash(same) == hash(src) and len({src, same}) == 1


# ---------------------------------------------------------------- shapes

def test_concrete_shape():
    assert concrete_shape(X) == (1, 1)
    assert concrete_shape(X, batch=4) == (4, 1)
    seq = TensorSpec("tokens", "DT_FLOAT", (-1, -1, 100))
    assert concrete_shape(seq, batch=2, dims={1: 7}) == (2, 7, 100)
    assert concrete_shape(seq, batch=2) == (2, 1, 100)
    assert concrete_shape(TensorSpec("x", "DT_FLOAT", (32, 5)), batch=4) == (32, 5)  # the spec's fixed batch wins
    assert concrete_shape(STR, batch=3) == (3,)
    assert concrete_shape(TensorSpec("s", "DT_FLOAT", ())) == ()
    assert concrete_shape(TensorSpec("x", "DT_FLOAT", (), has_shape=False), batch=3) == (3,)
    assert "negative" in str(problem(concrete_shape, seq, dims={1: -2}))


# ---------------------------------------------------------------- literals

def test_literal_nested_list_takes_the_spec_dtype():
    built = build_input(X, Source("literal", text="[[1], [2], [5]]"))
    assert built.array.dtype == np.float32 and built.array.tolist() == [[1], [2], [5]]


def test_scalar_literal_repeats_to_the_shape_and_says_so():
    built = build_input(X, Source("literal", text="5"), batch=3)
    assert built.array.shape == (3, 1) and (built.array == 5).all()
    assert "repeated to shape (3, 1)" in built.notes[0]


def test_literal_integers():
    spec = TensorSpec("ids", "DT_INT64", (-1,))
    assert build_input(spec, Source("literal", text=f"[1, {2**62}]")).array.tolist() == [1, 2**62]  # exact, no float
    assert "whole number" in str(problem(build_input, spec, Source("literal", text="[1, 2.5]")))
    assert "range" in str(problem(build_input, TensorSpec("b", "DT_UINT8", (-1,)), Source("literal", text="[300]")))
    assert "NaN" in str(problem(build_input, spec, Source("literal", text="[NaN]")))


def test_literal_bool_and_overflow():
    assert build_input(TensorSpec("m", "DT_BOOL", (-1,)), Source("literal", text="[true, 0]")).array.tolist() == [True, False]
    assert "too large for it" in str(problem(build_input, X, Source("literal", text="[[1e39]]")))


def test_literal_strings_text_and_b64():
    assert build_input(STR, Source("literal", text='["cat", {"b64": "aGk="}]')).array.tolist() == [b"cat", b"hi"]
    assert build_input(STR, Source("literal", text="plain words")).array.item() == b"plain words"
    assert "base64" in str(problem(build_input, STR, Source("literal", text='[{"b64": "**"}]')))
    assert "takes strings" in str(problem(build_input, STR, Source("literal", text="[1, 2]")))


@pytest.mark.parametrize("text, words", [
    ("[[1], [2", "not a valid value"), ("[[1], [2, 3]]", "different lengths"), ("[[1], 2]", "different depths"),
    ('["a"]', "not a number"), ("", "no value"), ('{"instances": [1]}', "whole TF Serving request"),
    ('{"a": 1}', "not a tensor value"),
])
def test_malformed_literals_give_input_problems(text, words):
    err = problem(build_input, X, Source("literal", text=text))
    assert err.key == "x" and words in str(err)


# ---------------------------------------------------------------- fills

@pytest.mark.parametrize("fill, params, check", [
    ("zeros", {}, lambda a: (a == 0).all()),
    ("ones", {}, lambda a: (a == 1).all()),
    ("constant", {"value": 2.5}, lambda a: (a == 2.5).all()),
    ("range", {"start": 3, "step": 2}, lambda a: a.reshape(-1).tolist() == [3, 5, 7, 9, 11, 13, 15, 17]),
    ("linspace", {"start": -1, "stop": 1}, lambda a: a.reshape(-1)[0] == -1 and a.reshape(-1)[-1] == 1),
    ("uniform", {"low": 5, "high": 6}, lambda a: ((a >= 5) & (a < 6)).all() and len(np.unique(a)) > 1),
    ("normal", {"mean": 10, "std": 0.001}, lambda a: abs(float(a.mean()) - 10) < 0.01 and len(np.unique(a)) > 1),
])
def test_every_fill(fill, params, check):
    built = build_input(TensorSpec("x", "DT_FLOAT", (-1, 2)), Source("fill", fill=fill, params=params), batch=4)
    assert built.array.shape == (4, 2) and built.array.dtype == np.float32
    assert check(built.array), built.array
    assert fill in built.notes[0] and "(4, 2)" in built.notes[0]


def test_random_fills_are_seeded():
    make = lambda seed: build_input(X, Source("fill", fill="normal", params={"seed": seed}), batch=50).array
    assert np.array_equal(make(3), make(3))
    assert not np.array_equal(make(3), make(4))
    assert "seed 0" in build_input(X, Source("fill", fill="uniform")).notes[0]  # the default seed is stated


def test_fills_for_other_dtypes():
    ints = build_input(TensorSpec("i", "DT_INT32", (-1,)), Source("fill", fill="uniform", params={"low": 2, "high": 4}), batch=100)
    assert ints.array.dtype == np.int32 and set(ints.array.tolist()) == {2, 3}
    flags = build_input(TensorSpec("m", "DT_BOOL", (-1,)), Source("fill", fill="uniform"), batch=100).array
    assert flags.dtype == bool and flags.any() and not flags.all()
    clipped = build_input(TensorSpec("p", "DT_UINT8", (300,)), Source("fill", fill="range"))
    assert clipped.array.max() == 255 and "clipped" in clipped.notes[-1]
    # Integer draws are clipped as they are; float ones (linspace) are rounded to the nearest first.
    wide = build_input(TensorSpec("i", "DT_INT8", (50,)), Source("fill", fill="uniform", params={"low": -500, "high": 500}))
    assert (wide.array.min(), wide.array.max()) == (-128, 127) and "clipped to the int8 range" in wide.notes[-1]
    steps = build_input(TensorSpec("i", "DT_INT32", (5,)), Source("fill", fill="linspace", params={"stop": 2}))
    assert steps.array.tolist() == [0, 0, 1, 2, 2] and not any("clipped" in n for n in steps.notes)
    text = build_input(STR, Source("fill", fill="constant", params={"value": "hi"}), batch=2).array
    assert text.tolist() == [b"hi", b"hi"]
    assert "makes numbers" in str(problem(build_input, STR, Source("fill", fill="normal")))
    assert "high" in str(problem(build_input, X, Source("fill", fill="uniform", params={"low": 1, "high": "a"})))


def test_fill_shape_param_and_variable_length_dims():
    seq = TensorSpec("tokens", "DT_FLOAT", (-1, -1, 100))
    assert build_input(seq, Source("fill", fill="zeros", params={"shape": [2, 10, 100]})).array.shape == (2, 10, 100)
    assert build_input(seq, Source("fill", fill="zeros"), batch=3, dims={1: 7}).array.shape == (3, 7, 100)
    assert build_input(seq, Source("fill", fill="ones", params={"dims": {"1": 5}})).array.shape == (1, 5, 100)


# ---------------------------------------------------------------- files

def test_npy_keeps_its_dtype(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3, dtype=np.float64).reshape(3, 1))
    built = build_input(X, Source("file", path=str(tmp_path / "a.npy")))
    # kept as float64 on purpose: check() names the mismatch instead of a silent cast
    assert built.array.dtype == np.float64 and built.array.shape == (3, 1)
    assert "float64 (3, 1)" in built.notes[0]


def test_npz_keys(tmp_path):
    np.savez(tmp_path / "many.npz", x=np.ones((2, 1)), other=np.zeros(3))
    np.savez(tmp_path / "one.npz", only=np.full((4, 1), 7.0))
    many = str(tmp_path / "many.npz")
    assert build_input(X, Source("file", path=many, key="other")).array.shape == (3,)
    assert "named like the input" in build_input(X, Source("file", path=many)).notes[0]
    assert build_input(X, Source("file", path=str(tmp_path / "one.npz"))).array[0, 0] == 7
    err = problem(build_input, X, Source("file", path=many, key="othr"))
    assert "no array named 'othr'" in str(err) and "Did you mean 'other'" in str(err)
    err = problem(build_input, TensorSpec("y", "DT_FLOAT", (-1,)), Source("file", path=many))
    assert "2 arrays" in str(err) and "x, other" in str(err)
    assert input_files.npz_keys(many) == ["x", "other"]


def test_bad_numpy_files(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "broken.npy").write_bytes(b"not numpy at all")
    (tmp_path / "broken.npz").write_bytes(b"PK not a zip")
    assert "pickled" in str(problem(build_input, X, Source("file", path=str(tmp_path / "objects.npy"))))
    assert ".npy" in str(problem(build_input, X, Source("file", path=str(tmp_path / "broken.npy"))))
    assert ".npz" in str(problem(build_input, X, Source("file", path=str(tmp_path / "broken.npz"))))
    assert "not found" in str(problem(build_input, X, Source("file", path=str(tmp_path / "nope.npy"))))
    assert "no file" in str(problem(build_input, X, Source("file")))
    (tmp_path / "model.h5").write_bytes(b"x")
    assert "file type" in str(problem(build_input, X, Source("file", path=str(tmp_path / "model.h5"))))


def test_csv_tsv_and_text_tables(tmp_path):
    (tmp_path / "a.csv").write_text("f1,f2,f3\n1,2,3\n4,5,6\n")
    (tmp_path / "b.tsv").write_text("1\t2\t3\n")
    (tmp_path / "c.txt").write_text("1\n2\n5\n")
    spec = TensorSpec("x", "DT_FLOAT", (-1, 3))
    built = build_input(spec, Source("file", path=str(tmp_path / "a.csv")))
    assert built.array.dtype == np.float32 and built.array.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert any("header" in n for n in built.notes)
    assert build_input(spec, Source("file", path=str(tmp_path / "b.tsv"))).array.shape == (1, 3)
    col = build_input(X, Source("file", path=str(tmp_path / "c.txt")))
    assert col.array.tolist() == [[1], [2], [5]]
    flat = build_input(TensorSpec("v", "DT_INT64", (-1,)), Source("file", path=str(tmp_path / "b.tsv")))
    assert flat.array.tolist() == [1, 2, 3] and flat.array.dtype == np.int64 and "flattened" in flat.notes[0]
    (tmp_path / "bad.csv").write_text("a,b\nc,d\n")
    assert "table of numbers" in str(problem(build_input, spec, Source("file", path=str(tmp_path / "bad.csv"))))


def test_text_files_and_text_source_for_strings(tmp_path):
    (tmp_path / "lines.txt").write_text("first line\nsecond, with comma\n\n")
    built = build_input(TensorSpec("t", "DT_STRING", (-1,)), Source("file", path=str(tmp_path / "lines.txt")))
    assert built.array.tolist() == [b"first line", b"second, with comma"]
    rows = build_input(TensorSpec("t", "DT_STRING", (-1, 1)), Source("text", text="a\nb"))
    assert rows.array.shape == (2, 1)
    raw = build_input(STR, Source("text", text="aGk=\nAAE=", params={"b64": True}))
    assert raw.array.tolist() == [b"hi", b"\x00\x01"]
    assert "base64" in str(problem(build_input, STR, Source("text", text="!!", params={"b64": True})))
    nums = build_input(X, Source("text", text="1\n2"))
    assert nums.array.tolist() == [[1], [2]] and nums.array.dtype == np.float32


def test_json_file(tmp_path):
    (tmp_path / "v.json").write_text("[[1.5], [2.5]]")
    (tmp_path / "ex.json").write_text('[{"x": 1.0}, {"x": 2.0}]')
    (tmp_path / "bad.json").write_text("[1,")
    assert build_input(X, Source("file", path=str(tmp_path / "v.json"))).array.tolist() == [[1.5], [2.5]]
    assert len(build_input(STR, Source("file", path=str(tmp_path / "ex.json"))).array) == 2
    assert "not valid JSON" in str(problem(build_input, X, Source("file", path=str(tmp_path / "bad.json"))))


# ---------------------------------------------------------------- images

@pytest.fixture
def images(tmp_path):
    """A 40x30 RGB PNG (left half red, right half blue), a 50x50 JPEG, an RGBA PNG and a fake .png."""
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:, :20, 0] = 255
    rgb[:, 20:, 2] = 255
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.full((50, 50, 3), 128, np.uint8)).save(tmp_path / "photo.jpg", quality=95)
    Image.fromarray(np.full((8, 8, 4), 200, np.uint8), "RGBA").save(tmp_path / "alpha.png")
    (tmp_path / "fake.png").write_text("this is not a picture")
    return tmp_path


def test_rgb_png_into_a_grayscale_cnn_is_resized_and_converted_visibly(images):
    built = build_input(GRAY, Source("file", path=str(images / "rgb.png")))
    assert built.array.shape == (1, 28, 28, 1) and built.array.dtype == np.float32
    text = " ".join(built.notes)
    assert "40x30 RGB" in text and "RGB -> grayscale" in text and "resized 40x30 -> 28x28" in text
    assert "not scaled" in text and "batch axis" in text
    # Pillow's luminance: red 255 -> 76, blue 255 -> 29
    assert built.array[0, 14, 2, 0] == 76 and built.array[0, 14, 25, 0] == 29


def test_jpeg_normalized_and_batched(images):
    built = build_input(RGB, Source("file", path=str(images / "photo.jpg"), params={"normalize": True}), batch=2)
    assert built.array.shape == (2, 64, 64, 3)
    assert abs(float(built.array.mean()) - 128 / 255) < 0.01 and built.array.max() <= 1
    assert any("divided by 255" in n for n in built.notes) and any("repeated 2 times" in n for n in built.notes)
    raw = build_input(RGB, Source("file", path=str(images / "photo.jpg"), params={"normalize": "false"}))
    assert raw.array.max() > 100  # "false" typed in a form is false


def test_image_layouts_and_dtypes(images):
    rgba = str(images / "alpha.png")
    u8 = build_input(TensorSpec("p", "DT_UINT8", (-1, 8, 8, 3)), Source("file", path=rgba))
    assert u8.array.dtype == np.uint8 and u8.array.shape == (1, 8, 8, 3) and "RGBA -> RGB" in " ".join(u8.notes)
    nchw = build_input(TensorSpec("p", "DT_FLOAT", (-1, 3, 16, 16)), Source("file", path=rgba))
    assert nchw.array.shape == (1, 3, 16, 16) and "channels moved first" in " ".join(nchw.notes)
    hwc = build_input(TensorSpec("p", "DT_FLOAT", (8, 8, 3)), Source("file", path=rgba))
    assert hwc.array.shape == (8, 8, 3) and not any("batch axis" in n for n in hwc.notes)
    hw = build_input(TensorSpec("p", "DT_FLOAT", (-1, 10, 12)), Source("file", path=rgba))
    assert hw.array.shape == (1, 10, 12)
    free = build_input(TensorSpec("p", "DT_FLOAT", (-1, -1, -1, -1)), Source("file", path=str(images / "rgb.png")))
    assert free.array.shape == (1, 30, 40, 3)
    encoded = build_input(TensorSpec("jpeg", "DT_STRING", (-1,)), Source("file", path=str(images / "photo.jpg")))
    assert encoded.array[0] == (images / "photo.jpg").read_bytes() and "encoded bytes" in encoded.notes[0]
    assert "look like an image" in str(problem(build_input, TensorSpec("p", "DT_FLOAT", (-1,)), Source("file", path=rgba)))


def test_a_folder_of_images_is_one_batch(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for i, size in enumerate([(20, 20), (40, 30), (28, 28)]):
        Image.fromarray(np.full(size[::-1] + (3,), 50 * (i + 1), np.uint8)).save(folder / f"img{i}.png")
    (folder / "notes.txt").write_text("ignored: not an image")
    built = build_input(GRAY, Source("file", path=str(folder)))
    assert built.array.shape == (3, 28, 28, 1)
    assert built.array[:, 0, 0, 0].tolist() == [50, 100, 150]  # sorted by name, one row each
    assert "3 image(s) from batch/" in built.notes[0] and any("resized 40x30 -> 28x28" in n for n in built.notes)
    encoded = build_input(TensorSpec("jpeg", "DT_STRING", (-1,)), Source("file", path=str(folder)))
    assert encoded.array.shape == (3,) and encoded.array[0] == (folder / "img0.png").read_bytes()
    free = TensorSpec("image", "DT_FLOAT", (-1, -1, -1, 3))
    assert "different sizes" in str(problem(build_input, free, Source("file", path=str(folder))))
    single = TensorSpec("image", "DT_FLOAT", (28, 28, 3))
    assert "takes one image" in str(problem(build_input, single, Source("file", path=str(folder))))
    (tmp_path / "empty").mkdir()
    assert "holds no images" in str(problem(build_input, GRAY, Source("file", path=str(tmp_path / "empty"))))


def test_a_non_image_named_png_is_a_clear_problem(images):
    err = problem(build_input, GRAY, Source("file", path=str(images / "fake.png")))
    assert err.key == "image" and "not an image" in str(err)


def test_file_loads_are_cached_by_mtime(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    np.save(path, np.ones((2, 1), np.float32))
    calls = []
    real = input_files._load_npy
    monkeypatch.setattr(input_files, "_load_npy", lambda key, p: calls.append(p) or real(key, p))
    first = build_input(X, Source("file", path=str(path)))
    first.array[:] = 99  # callers may change their array; the cache must not see it
    second = build_input(X, Source("file", path=str(path)))
    assert len(calls) == 1 and (second.array == 1).all()
    np.save(path, np.zeros((2, 1), np.float32))
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)
    assert (build_input(X, Source("file", path=str(path))).array == 0).all() and len(calls) == 2


# ---------------------------------------------------------------- examples and whole signatures

def test_examples_into_string_inputs_only():
    built = build_input(STR, Source("examples", text='[{"x": 1.0}, {"x": 2.0}]'))
    assert built.array.shape == (2,) and isinstance(built.array[0], bytes) and "x float" in built.notes[0]
    assert "not tf.Examples" in str(problem(build_input, X, Source("examples", text='[{"x": 1.0}]')))


def test_build_inputs_on_real_signatures(half_plus_two):
    sigs = half_plus_two.signatures
    arrays, notes = build_inputs(sigs["serving_default"], {"x": Source("literal", text="[[1], [2], [5]]")})
    assert arrays["x"].dtype == np.float32 and arrays["x"].shape == (3, 1)
    key, source = parse_cli_example('[{"x": 2.0}, {"x": 4.0}]')
    arrays, notes = build_inputs(sigs["classify_x_to_y"], {key: source})
    assert list(arrays) == ["inputs"] and arrays["inputs"].shape == (2,)  # "" -> the only input
    many = Signature("two", "tensorflow/serving/predict", {"a": X, "b": X})
    assert "2 inputs" in str(problem(build_inputs, many, {"": Source("literal", text="1")}))


def test_build_inputs_fills_follow_the_batch_and_unknown_keys_are_kept(half_plus_two):
    seq = Signature("seq", "tensorflow/serving/predict", {
        "tokens": TensorSpec("tokens", "DT_FLOAT", (-1, -1, 100)),
        "sequence_length": TensorSpec("sequence_length", "DT_INT32", (-1,)),
    })
    arrays, notes = build_inputs(seq, {
        "tokens": Source("fill", fill="zeros"),
        "sequence_length": Source("literal", text="[4, 2, 3]"),
    })
    assert arrays["tokens"].shape == (3, 1, 100) and any("follows the other inputs" in n for n in notes)
    assert list(arrays) == ["tokens", "sequence_length"]  # the user's order is kept
    arrays, _ = build_inputs(half_plus_two.signatures["serving_default"], {"X": Source("literal", text="[[1.0]]")})
    assert "X" in arrays  # built as given: check() reports the unknown key and suggests "x"


def test_build_inputs_generated_tf1_model(tf1_model):
    sigs = read_model(tf1_model).signatures
    arrays, _ = build_inputs(sigs["serving_default"], {"input_image:0": parse_cli_input("input_image:0=fill:uniform")[1]})
    assert arrays["input_image:0"].shape == (1, 28, 28, 1)
    key, source = parse_cli_input("tokens=fill:normal?shape=2x6x100&seed=1")
    arrays, notes = build_inputs(sigs["tokens"], {key: source})
    assert arrays["tokens"].shape == (2, 6, 100) and "seed 1" in notes[0]


def test_unexpected_failures_become_input_problems():
    spec = TensorSpec("r", "DT_RESOURCE", (-1,))
    assert "cannot be built" in str(problem(build_input, spec, Source("literal", text="[1]")))
    assert "unknown kind" in str(problem(build_input, X, Source("nonsense")))


def test_built_is_plain_data():
    built = build_input(X, Source("literal", text="[[1]]"))
    assert isinstance(built, Built) and isinstance(built.notes, tuple)


def test_a_folder_of_alike_images_says_what_they_are_once(tmp_path):
    folder = tmp_path / "digits"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(np.full((28, 28), 40 * i, np.uint8), "L").save(folder / f"digit_{i}.png")
    notes = build_input(GRAY, Source("file", path=str(folder))).notes
    assert notes[0].endswith("digit_2.png, digit_3.png, ...")  # the names, then an ellipsis, not "...."
    assert "image: each of the 6 images is 28x28 grayscale." in notes
    assert not any("digit_4.png is" in n for n in notes)
    # Images that differ are still described one by one.
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(folder / "photo.png")
    mixed = build_input(GRAY, Source("file", path=str(folder))).notes
    assert any("photo.png is 40x30 RGB" in n for n in mixed) and any("digit_0.png is 28x28" in n for n in mixed)
