"""The SavedModel reader under hostile bytes (issue 11): every byte sequence gives MetaGraphs or a ModelReadError,
in bounded time and memory, and what it gives prints and becomes JSON. Structure-aware mutations of the repo's own
models (tests/fuzz_reader.py), driven by hypothesis; every crasher the fuzzer ever found stays as a regression file."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fuzz_reader
from explorer.core import savedmodel
from explorer.core.errors import ModelReadError

ROOT = Path(__file__).resolve().parents[2]
CRASHERS = sorted((ROOT / "tests" / "data" / "reader_crashers").glob("*.pb"))
TREES = [t for t in (fuzz_reader.parse(s) for s in fuzz_reader.seeds()) if t]
LEN, VARINT, I32 = fuzz_reader.LEN, fuzz_reader.VARINT, fuzz_reader.I32


def model_with_default(tensor_proto: list) -> bytes:
    """A tiny saved_model.pb: one MetaGraph (tag serve), one signature with input x and `tensor_proto` as its default."""
    sig = [[1, LEN, [[1, LEN, b"x"], [2, LEN, [[1, LEN, b"x:0"], [2, VARINT, 1]]]]],
           [3, LEN, b"tensorflow/serving/predict"],
           [4, LEN, [[1, LEN, b"x"], [2, LEN, tensor_proto]]]]
    meta = [[1, LEN, [[4, LEN, b"serve"]]], [5, LEN, [[1, LEN, b"serving_default"], [2, LEN, sig]]]]
    return fuzz_reader.serialize([[1, VARINT, 1], [2, LEN, meta]])


def test_seeds_are_the_repos_models():
    assert len(TREES) >= 10


@pytest.mark.parametrize("path", CRASHERS, ids=[p.name for p in CRASHERS])
def test_every_kept_crasher_is_read_or_refused(path):
    assert fuzz_reader.check(path.read_bytes()) in ("ok", "refused")


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(rng=st.randoms(use_true_random=False), which=st.integers(0, len(TREES) - 1))
def test_mutated_models_are_read_or_refused(rng, which):
    fuzz_reader.check(fuzz_reader.mutate(TREES[which], rng))


def test_a_default_declaring_1e8_elements_is_summarised_fast(tmp_path):
    data = model_with_default(fuzz_reader.hostile_default(_Pick(0)))
    assert len(data) < 150
    (tmp_path / "saved_model.pb").write_bytes(data)
    started = time.perf_counter()
    info = savedmodel.read_model(tmp_path)
    assert time.perf_counter() - started < 1
    default = info.signatures["serving_default"].defaults["x"]
    assert default == {"dtype": "float32", "shape": [10000, 10000], "count": 10**8, "first": [1.0]}
    assert str(default) == "<float32 (10000, 10000): 100,000,000 values, first 1: [1.0, ...]>"
    done = subprocess.run([sys.executable, "-m", "explorer", "inspect", str(tmp_path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0 and len(done.stdout) < 2000 and "100,000,000 values" in done.stdout


@pytest.mark.parametrize("choice, expected", [
    (1, ["(1+2j)", "(3+4j)"]),  # complex64: inspect --json said "complex is not JSON serializable"
    (2, {"dtype": "complex128", "shape": [10**6, 10**3], "count": 10**9, "first": ["(1+2j)"]}),
    (3, [0.0078125] * 3),  # bfloat16 0x3c00 (1.0 as a half)
    (4, {"dtype": "string", "shape": [10**9], "count": 10**9, "first": ["x"]}),
    (5, None),  # negative / 2^63 dims: not a default TensorFlow could have written
    (6, None),  # rank past 254 in a default: the default is dropped, the model still reads
])
def test_odd_defaults_are_json_safe_or_dropped(tmp_path, choice, expected):
    data = model_with_default(fuzz_reader.hostile_default(_Pick(choice)))
    try:
        metas = savedmodel.decode_meta_graphs(data)
    except ModelReadError as exc:
        assert expected == "refused" and "corrupted" in str(exc)
        return
    sig = metas[0].signatures["serving_default"]
    assert sig.defaults.get("x") == expected
    json.dumps(sig.to_dict(), allow_nan=False)


def test_a_shape_of_rank_past_254_is_refused():
    sig = [[1, LEN, [[1, LEN, b"x"], [2, LEN, fuzz_reader.hostile_tensor_info(_Pick(0))]]]]
    data = fuzz_reader.serialize([[2, LEN, [[1, LEN, [[4, LEN, b"serve"]]], [5, LEN, [[1, LEN, b"s"], [2, LEN, sig]]]]]])
    with pytest.raises(ModelReadError, match="corrupted"):
        savedmodel.decode_meta_graphs(data)


def test_inspect_json_of_a_complex_default(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(model_with_default(fuzz_reader.hostile_default(_Pick(1))))
    done = subprocess.run([sys.executable, "-m", "explorer", "inspect", "--json", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["signatures"]["serving_default"]["defaults"]["x"] == ["(1+2j)", "(3+4j)"]


class _Pick:
    """A stand-in Random whose randrange returns a fixed choice (to build one named hostile piece)."""

    def __init__(self, value: int):
        self.value = value

    def randrange(self, *_):
        return self.value

    def choice(self, seq):
        return seq[0]


def test_complex_defaults_with_infinite_parts_are_exact_and_quiet(recwarn):
    import struct

    tp = [[1, VARINT, 8], [2, LEN, fuzz_reader._shape([2])],
          [9, LEN, struct.pack("<4f", float("inf"), 1, 2, float("inf"))]]
    sig = savedmodel.decode_meta_graphs(model_with_default(tp))[0].signatures["serving_default"]
    assert sig.defaults["x"] == ["(inf+1j)", "(2+infj)"]  # 1j * inf once made the real part nan
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_default_of_a_million_empty_rows_is_summarised_not_built():
    """Found by the long campaign: shape (1000032, 0) has no values but nested a million empty lists (6 s)."""
    tp = [[1, VARINT, 1], [2, LEN, fuzz_reader._shape([1_000_032, 0])]]
    started = time.perf_counter()
    sig = savedmodel.decode_meta_graphs(model_with_default(tp))[0].signatures["serving_default"]
    assert time.perf_counter() - started < 0.5
    assert sig.defaults["x"] == {"dtype": "float32", "shape": [1_000_032, 0], "count": 0, "first": []}
