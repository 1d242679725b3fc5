"""compare sends the user's input plus seeded probes (issue 13, items 2 and 11): y = x and y = 3x are not "equal"
because they agree on zeros; different signatures are a difference (exit 1, the diff shown), not an input error."""
import json

import numpy as np
import pytest

import modelgen
from explorer.cli import main
from explorer.cli.compare import DEFAULT_PROBES
from explorer.core import agreement


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    root = tmp_path_factory.mktemp("probes")
    return modelgen.identity_and_triple(root), modelgen.other_input_key(root)


def test_zeros_are_equal_on_your_input_but_the_probes_differ(scaled, capsys):
    base, _ = scaled
    code = main(["compare", str(base / "1"), str(base / "2"), "-i", "x=[[0, 0, 0]]"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "DIFFERENT: equal on your input, differs on 8 of 8 probes (y)" in out
    assert err.startswith("warning: Your input is all zeros") and "Fix:" in err and len(err.splitlines()) == 1


def test_probes_zero_sends_only_yours(scaled, capsys):
    base, _ = scaled
    code = main(["compare", str(base / "1"), str(base / "2"), "-i", "x=[[0, 0, 0]]", "--probes", "0", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["agreement"]["probes"] == 0 and data["equal"] is True


def test_probes_follow_the_users_scale():
    x = np.array([[0.0, 255.0, 128.0]], np.float32)
    probes = agreement.probe_inputs({"x": x}, 8, seed=1)
    assert len(probes) == 8 and all(p["x"].shape == x.shape and p["x"].dtype == x.dtype for p in probes)
    values = np.stack([p["x"] for p in probes])
    assert values.min() >= 0 and values.max() <= 255 and values.max() > 50
    assert agreement.probe_inputs({"x": x}, 8, seed=1)[3]["x"].tolist() == probes[3]["x"].tolist()  # seeded
    assert agreement.probe_inputs({"t": np.array([b"a"], object)}, 8) == []  # text cannot be made up


def test_the_cli_default_is_cores():
    assert DEFAULT_PROBES == agreement.DEFAULT_PROBES


def test_different_signatures_exit_1_with_the_diff(scaled, capsys):
    base, other = scaled
    code = main(["compare", str(base / "1"), str(other), "-i", "x=[[1, 2, 3]]"])
    out, err = capsys.readouterr()
    assert code == 1 and not err
    assert "input features: only in B" in out and "input x: only in A" in out
    assert "No request fits both sides" in out
    assert out.rstrip().endswith("DIFFERENT: the signatures differ; no request fits both")
