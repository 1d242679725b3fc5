"""Issue 13, items 1, 9, 13 and 15: the CLI's words. A warning has one form (a failed run says only its error); a wrong
key is one error; `check` of string inputs answers; predict without inputs sends the signature's default input."""
import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.resources import demo_model_path


@pytest.fixture(scope="module")
def raw_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("raw") / "raw.npy"
    np.save(path, np.full((1, 28, 28, 1), 200.0, np.float32))
    return path


def test_the_range_warning_reads_the_same_on_success_and_failure(capsys, raw_image, tmp_path):
    assert main(["predict", str(demo_model_path()), "-i", f"image=@{raw_image}"]) == 0
    ok_out, ok_err = capsys.readouterr()
    bad = tmp_path / "bad.npy"
    np.save(bad, np.full((1, 28, 28, 1), 200.0, np.float64))  # float64: an error besides the same warning
    assert main(["predict", str(demo_model_path()), "-i", f"image=@{bad}"]) == 2
    bad_out, bad_err = capsys.readouterr()
    warning = [line for line in ok_err.splitlines() if "image models usually take 0..1" in line]
    assert len(warning) == 1 and warning[0].startswith("warning: ") and " Fix: " in warning[0]
    assert "image models usually take" not in ok_out  # not also a stdout note
    # A failed run says one line (the CLI's promise), the error; the warning never appears in another form.
    assert len(bad_err.strip().splitlines()) == 1 and bad_err.startswith("error: image is float64")
    assert "note:" not in bad_out + bad_err


def test_a_wrong_key_is_one_error(capsys):
    code = main(["predict", str(demo_model_path()), "-i", "X=[[1]]"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Did you mean 'image'?" in err


def test_check_of_string_inputs_answers(capsys):
    code = main(["check", str(demo_model_path()), "--signature", "text_stats",
                 "-i", 'text=["hello world","the quick brown fox"]', "--probes", "16"])
    out, err = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in err and "verdict:" in out


def test_predict_without_inputs_sends_the_default_input(capsys):
    code = main(["predict", str(demo_model_path()), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["outputs"]["probabilities"]["shape"] == [1, 10]
    assert any("default input" in n for n in data["notes"])
