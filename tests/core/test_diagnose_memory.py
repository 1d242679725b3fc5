"""The analysis of a large output holds blocks of elements, not float64 copies of every probe x every element:
16 probes of a million values peaked at 549 MB in the window process (64 probes: 2.2 GB)."""
import tracemalloc

import numpy as np

from explorer.core import output_stats
from explorer.core.probes import RANDOM_BASE

GROUPS = ["base"] + ["sweep:x"] * 6 + [RANDOM_BASE] + ["sweep:x@random"] * 4 + ["unit"] * 5


def _analyse(values, chunk=None, monkeypatch=None):
    if chunk is not None:
        monkeypatch.setattr(output_stats, "CHUNK_VALUES", chunk)
    return output_stats.analyse_output("y", values, GROUPS[:len(values)], input_keys=("x",))


def test_a_million_values_per_probe_is_analysed_in_bounded_memory():
    values = np.random.default_rng(0).random((16, 1_000_000), dtype=np.float32)  # 61 MB, as the probes return it
    tracemalloc.start()
    try:
        stats = _analyse(values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"the analysis peaked at {peak / 2**20:.0f} MB"
    assert not stats.identical and stats.saturation == "sigmoid" and stats.element_spread.shape == (1_000_000,)
    assert stats.argmax_constant is False and stats.sensitivity["x"] > 0.1


def test_blocks_of_any_size_give_the_same_statistics(monkeypatch):
    """Whole rows per block, or pieces of one long row: the same numbers as one block of everything."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((16, 5, 10)) * 4
    logits[12:, :, 4] += 50  # the last probes pin the softmax at class 4
    soft = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    broken = rng.standard_normal((16, 4, 10))
    broken[2, 1, 3] = np.nan
    for values in (soft, broken, np.tanh(rng.standard_normal((16, 3, 9)) * 4), np.ones((16, 4, 6))):
        one = _analyse(values, 1 << 20, monkeypatch)
        for chunk in (7 * 16, 16):  # two rows of 10 per block would not fit: pieces of rows
            other = _analyse(values, chunk, monkeypatch)
            for name in ("identical", "exact", "saturation", "argmax_constant", "argmax", "argmax_by_group",
                         "identical_by_group", "nan", "inf", "insensitive_to"):
                assert getattr(other, name) == getattr(one, name), (name, chunk)
            for name in ("spread", "max_distance", "saturated", "magnitude"):
                assert np.isclose(getattr(other, name), getattr(one, name), rtol=1e-9, atol=1e-15), (name, chunk)
            for name in ("sensitivity", "by_group", "saturated_by_group"):
                a, b = getattr(one, name), getattr(other, name)
                assert a.keys() == b.keys() and all(np.isclose(a[k], b[k], rtol=1e-9, atol=1e-15) for k in a)
            np.testing.assert_allclose(other.element_spread, one.element_spread, rtol=1e-9, atol=1e-15)
    assert _analyse(soft, 16, monkeypatch).saturation == "softmax"
    assert _analyse(soft, 16, monkeypatch).saturated_by_group["unit"] > 0.9


def test_a_check_of_a_million_value_output_holds_the_values_once(tmp_path):
    """A real model's [None, 1000000] output, 32 probes: calls are sized by what comes back, and each call's rows are
    copied into one array as they arrive (the old check held every answer, their concatenation and the float64
    copies: 1.3 GB traced for 118 MB of values)."""
    import modelgen
    from explorer.core.diagnose import diagnose
    from explorer.core.probes import MAX_BYTES_PER_CALL, plan_for
    from explorer.core.targets import open_runner

    runner = open_runner(modelgen.output_kinds(tmp_path))
    try:
        diagnose(runner, "twelve", probes=8)  # TensorFlow and the model warm, outside the measure
        assert plan_for(runner.signatures()["million"]).rows * 4_000_000 <= MAX_BYTES_PER_CALL
        tracemalloc.start()
        try:
            d = diagnose(runner, "million", probes=32)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        runner.close()
    (values,) = d.values.values()
    assert values.shape == (31, 1_000_000) and d.calls >= 3 and d.verdict == "ok"
    assert peak < values.nbytes + 2 * MAX_BYTES_PER_CALL + (32 << 20), f"{peak / 2**20:.0f} MB traced"
