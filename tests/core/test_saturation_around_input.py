"""Issue 13 item 8 and 13: `check` names a model that saturates at the user's own input's scale, and probes string
inputs given by the user without crashing."""
import numpy as np
import pytest

import modelgen
from explorer.core import diagnose as dg
from explorer.core.targets import open_runner, parse_target


@pytest.fixture(scope="module")
def saturating(tmp_path_factory):
    return modelgen.saturates_at_byte_scale(tmp_path_factory.mktemp("around"))


def _check(path, current):
    runner = open_runner(parse_target(str(path)))
    try:
        return dg.diagnose(runner, probes=64, current=current)
    finally:
        runner.close()


def test_raw_input_that_pins_the_model_is_named(saturating):
    raw = (np.random.default_rng(9).random((1, 16)) * 255).astype(np.float32)
    d = _check(saturating, {"x": raw})
    assert d.verdict != "ok"
    (cause,) = [c for c in d.causes if c.cause == "preprocessing_mismatch"]
    assert cause.severity == "error" and "saturates at this input's scale" in cause.evidence
    assert "/ 255" in cause.fix
    d = _check(saturating, {"x": raw / 255.0})  # the same image, scaled as in training
    assert d.verdict == "ok" and not d.causes


def test_string_inputs_of_the_user_are_probed(shared_models):
    from explorer.resources import demo_model_path as demo_model

    runner = open_runner(parse_target(str(demo_model())))
    try:
        text = np.array([b"hello world", b"the quick brown fox"], object)
        d = dg.diagnose(runner, "text_stats", probes=24, current={"text": text})
    finally:
        runner.close()
    assert d.verdict in ("ok", "insensitive") and d.probes[0].label == "your input"
    assert d.probes[0].inputs["text"] == b"hello world"
