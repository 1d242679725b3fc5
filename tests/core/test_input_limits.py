"""Inputs are sized before they are built and refused over the input limit, naming both (issue 11); files are read
without unbounded intermediate copies; the messages for odd files and shapes say what is really wrong."""
from __future__ import annotations

import tracemalloc
import zipfile

import numpy as np
import pytest

from explorer.core import file_cache, limits, tensors
from explorer.core.errors import InputProblem
from explorer.core.signature import TensorSpec
from explorer.core.sources import parse_cli_input

X = TensorSpec(key="x", dtype="DT_FLOAT", shape=(-1, 1), name="x:0")
TABLE = TensorSpec(key="x", dtype="DT_FLOAT", shape=(-1, 4), name="x:0")
IMAGE = TensorSpec(key="x", dtype="DT_FLOAT", shape=(-1, -1, -1, 3), name="x:0")


@pytest.fixture(autouse=True)
def _fresh():
    file_cache.clear_cache()
    yield
    limits.set_max_input_mb(None)
    file_cache.clear_cache()


def build(text: str, spec=X):
    key, source = parse_cli_input(text)
    return tensors.build_input(spec, source)


def test_a_huge_fill_is_refused_before_memory_is_spent():
    limits.set_max_input_mb(100)
    tracemalloc.start()
    with pytest.raises(InputProblem, match=r"the ones fill of shape \(100000000, 1\) \(100,000,000 values\) would "
                                           r"take 381.5 MB, over the input limit of 100.0 MB"):
        build("x=fill:ones?shape=100000000x1")
    assert tracemalloc.get_traced_memory()[1] < 10 * 1024 * 1024
    tracemalloc.stop()


def test_the_default_limit_is_a_share_of_available_memory():
    assert limits.max_input_bytes() == int(max(64, limits.available_bytes() / 64 / 2**20) * 2**20)
    limits.set_max_input_mb(5)
    assert limits.max_input_bytes() == 5 * 2**20
    with pytest.raises(ValueError):
        limits.set_max_input_mb(0)


@pytest.mark.parametrize("shape", ["3037000500x3037000500", "4294967296x2147483648", "9223372036854775808"])
def test_shapes_past_2_to_the_63_are_over_the_limit_not_negative(shape):
    with pytest.raises(InputProblem) as info:
        build(f"x=fill:zeros?shape={shape}")
    assert "over the input limit" in str(info.value) and "negative" not in str(info.value)


def test_a_negative_length_in_a_shape_is_an_error_not_1():
    with pytest.raises(InputProblem, match=r"shape=-5x1 has a negative length \(-5\)"):
        build("x=fill:ones?shape=-5x1")
    assert build("x=fill:ones?shape=-1x1").array.shape == (1, 1)  # -1 still means the batch


def test_fills_under_the_limit_are_built_in_their_dtype():
    assert build("x=fill:ones?shape=3x1").array.dtype == np.float32


def test_random_bytes_in_a_npy_are_not_called_pickled(tmp_path):
    path = tmp_path / "noise.npy"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(InputProblem) as info:
        build(f"x=@{path}")
    assert "is not a .npy file" in str(info.value) and "pickle" not in str(info.value)


def test_an_object_npy_is_still_called_pickled(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputProblem, match="pickled"):
        build(f"x=@{path}")


def test_a_npy_over_the_limit_is_refused_from_its_header(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.zeros((600_000, 1), np.float32))  # 2.3 MB
    limits.set_max_input_mb(1)
    with pytest.raises(InputProblem, match=r"big.npy \(float32 \(600000, 1\)\) would take 2.3 MB, over the input "
                                           r"limit of 1.0 MB"):
        build(f"x=@{path}")
    limits.set_max_input_mb(None)
    assert build(f"x=@{path}").array.shape == (600_000, 1)


def test_an_npz_member_that_is_not_an_array_is_named(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", b"\x93NUMPY" + b"junk")
        zf.writestr("notes.txt", b"hello")
    with pytest.raises(InputProblem) as info:
        build(f"x=@{path}")
    assert "'notes.txt', which is not a numpy array" in str(info.value)
    assert "attribute" not in str(info.value)


def test_an_npz_over_the_limit_is_refused_from_its_directory(tmp_path):
    path = tmp_path / "big.npz"
    np.savez_compressed(path, x=np.zeros((1_000_000, 1), np.float32))  # tiny on disk, 3.8 MB inside
    limits.set_max_input_mb(1)
    with pytest.raises(InputProblem, match=r"big.npz \(1 arrays\) would take 3.8 MB, over the input limit"):
        build(f"x=@{path}")


def _csv(path, rows: int, header: bool = True):
    rng = np.random.default_rng(0)
    data = rng.random((rows, 4)).astype(np.float32)
    with open(path, "w") as fh:
        if header:
            fh.write("a,b,c,d\n")
        np.savetxt(fh, data, delimiter=",", fmt="%.6f")
    return data


def test_a_csv_over_the_limit_is_refused_from_its_size(tmp_path):
    path = tmp_path / "big.csv"
    _csv(path, 100_000)  # 3.4 MB of text, 400,000 numbers
    limits.set_max_input_mb(1)
    with pytest.raises(InputProblem, match=r"big.csv \(3.4 MB, about 40\d,\d{3} numbers as float64\) would take "
                                           r"3.\d MB, over the input limit of 1.0 MB"):
        build(f"x=@{path}", TABLE)


def test_a_csv_is_read_without_copies_of_its_text(tmp_path):
    path = tmp_path / "table.csv"
    data = _csv(path, 200_000)  # 6.8 MB of text -> 6.4 MB of float64
    tracemalloc.start()
    built = build(f"x=@{path}", TABLE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(built.array, data, atol=1e-6)
    assert built.array.dtype == np.float32 and any("header row" in n for n in built.notes)
    # the float64 table, its float32 cast and the reader's buffers; the old path held the text 3 times over
    assert peak < 2.2 * data.size * 8, peak  # the text path peaked at 62 MB here (9.7x)


def test_images_over_the_limit_are_refused_from_their_headers(tmp_path):
    from PIL import Image

    path = tmp_path / "big.png"
    Image.new("RGB", (2000, 1000)).save(path)
    limits.set_max_input_mb(10)
    with pytest.raises(InputProblem, match=r"big.png as pixels would take 30.5 MB, over the input limit of 10.0 MB"):
        build(f"x=@{path}", IMAGE)
