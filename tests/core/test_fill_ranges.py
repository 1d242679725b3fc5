"""The random fill's range, decided once in core (tensors.random_range) for the CLI and the form: pixels of an
integer image over the dtype's natural range, integer ids small, floats 0..1."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.core.savedmodel import read_model
from explorer.core.sources import Source
from explorer.core.tensors import build_input, random_range


@pytest.fixture(scope="module")
def mixed(tf2_model):
    """TF's own signature: ids int64 [None, 5], mask bool, pixels uint8 [None, 8, 8, 3], scale float64 []."""
    return read_model(tf2_model).signatures["mixed"]


def test_random_pixels_of_a_uint8_image_span_0_to_255(mixed):
    built = build_input(mixed.inputs["pixels"], Source("fill", fill="uniform"), batch=4)
    assert built.array.dtype == np.uint8 and built.array.shape == (4, 8, 8, 3)
    assert built.array.min() == 0 and built.array.max() == 255  # 768 draws: both ends are reached
    assert "[0, 256)" in built.notes[0] and "looks like an image" in built.notes[0]


def test_random_ids_stay_small(mixed):
    built = build_input(mixed.inputs["ids"], Source("fill", fill="uniform"), batch=50)
    assert built.array.dtype == np.int64 and 0 <= built.array.min() and built.array.max() <= 9
    assert "image" not in built.notes[0]


@pytest.mark.parametrize("dtype, shape, expected", [
    ("DT_UINT8", (-1, 32, 32, 3), (0, 256)), ("DT_INT8", (-1, 32, 32, 3), (-128, 128)),
    ("DT_UINT16", (-1, 32, 32, 1), (0, 65536)), ("DT_INT32", (-1, 32, 32, 3), (0, 256)),
    ("DT_UINT8", (-1, -1, -1, 3), (0, 256)),  # free height and width: still an image
    ("DT_INT64", (-1, 5), (0, 10)), ("DT_INT32", (-1, 32, 32), (0, 10)),  # no channels, no image name: a table
    ("DT_FLOAT", (-1, 32, 32, 3), (0.0, 1.0)),
])
def test_the_rule(dtype, shape, expected):
    from explorer.core.signature import TensorSpec
    assert random_range(TensorSpec("x", dtype, shape))[:2] == expected


def test_given_low_and_high_still_win(mixed):
    built = build_input(mixed.inputs["pixels"], Source("fill", fill="uniform", params={"low": 3, "high": 5}), batch=2)
    assert set(np.unique(built.array)) <= {3, 4} and "image" not in built.notes[0]


def test_the_cli_draws_pixels_over_the_byte_range(capsys, tf2_model):
    code = main(["predict", str(tf2_model), "--signature", "mixed", "--input", "pixels=fill:random",
                 "--input", "ids=fill:random", "--input", "mask=fill:ones", "--input", "scale=1.0", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    [brightness] = data["outputs"]["brightness"]["values"]  # batch 1
    assert 100 < brightness < 155  # mean of uniform 0..255 pixels; 0..9 gave 4.5
    assert data["outputs"]["kept"]["values"][0] <= 5 * 9  # ids stay 0..9
