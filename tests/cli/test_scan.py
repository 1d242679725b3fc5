"""`scan` and the CLI's refusal to load models with dangerous ops: exit codes, JSON, messages, canaries."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main

ROOT = Path(__file__).resolve().parents[2]


def cli(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_exit_codes_and_json(capsys, unsafe_corpus):
    code, out, _ = cli(capsys, "scan", unsafe_corpus["write_through_function"][0], "--json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"path", "findings", "ops_seen"} and data["ops_seen"] > 0
    assert all(set(f) == {"op", "severity", "where", "why"} for f in data["findings"])
    assert data["findings"][0]["op"] == "WriteFile" and data["findings"][0]["severity"] == "high"

    code, out, _ = cli(capsys, "scan", unsafe_corpus["safe_twin"][0], "--json")
    assert code == 0 and json.loads(out)["findings"] == []

    code, out, err = cli(capsys, "scan", ROOT / "no-such-model")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_scan_text_names_op_place_and_reason(capsys, unsafe_corpus):
    code, out, _ = cli(capsys, "scan", unsafe_corpus["tf1_main_op"][0])
    assert code == 1
    assert "1 finding (1 high)" in out
    assert "WriteFile" in out and "at load, by main_op" in out and "writes a file" in out


def test_scan_runs_without_tensorflow(unsafe_corpus):
    code = ("import sys; from explorer.cli import main; rc = main(['scan', sys.argv[1]]); "
            "print('TF', 'tensorflow' in sys.modules); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(unsafe_corpus["read_file"][0])], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and "ReadFile" in done.stdout and "TF False" in done.stdout


def test_inspect_prints_a_warning_per_finding(capsys, unsafe_corpus):
    code, out, _ = cli(capsys, "inspect", unsafe_corpus["write_through_function"][0])
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert code == 0 and len(warnings) == 2
    assert warnings[0].startswith("warning: WriteFile (high) in signature 'serving_default'")
    code, out, _ = cli(capsys, "inspect", unsafe_corpus["safe_twin"][0])
    assert "warning:" not in out


@pytest.mark.parametrize("command", ["predict", "check", "compare"])
def test_commands_refuse_a_dangerous_model_before_loading_it(capsys, unsafe_corpus, command):
    path, canary = unsafe_corpus["tf1_main_op"]
    argv = {"predict": ["predict", path, "-i", "x=[1.0]"], "check": ["check", path, "--probes", "12"],
            "compare": ["compare", unsafe_corpus["safe_twin"][0], path]}[command]
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "WriteFile" in lines[0] and "at load, by main_op" in lines[0] and "--allow-unsafe-ops" in lines[0]
    assert not canary.exists()


def test_allow_unsafe_ops_runs_it(capsys, unsafe_corpus):
    path, canary = unsafe_corpus["write_through_function"]
    code, out, err = cli(capsys, "predict", path, "-i", "x=[1.0, 2.0]", "--json", "--allow-unsafe-ops")
    try:
        assert code == 0, err
        assert json.loads(out)["outputs"]["y"]["values"] == [2.0, 4.0]
        assert canary.read_text() == "1.000000"  # the model wrote its first input
    finally:
        canary.unlink(missing_ok=True)


def test_safe_models_need_no_flag(capsys, unsafe_corpus):
    code, out, err = cli(capsys, "predict", unsafe_corpus["safe_twin"][0], "-i", "x=[3.0]", "--json")
    assert code == 0, err
    assert json.loads(out)["outputs"]["y"]["values"] == [6.0]


def test_scan_names_a_custom_op_and_exits_1(capsys, tmp_path):
    import unsafe_models

    path = unsafe_models.custom_op(tmp_path)
    code, out, _ = cli(capsys, "scan", path)
    assert code == 1
    assert "findings (0 high)" in out and f"medium  {unsafe_models.CUSTOM_OP}  in signature 'serving_default'" in out
    assert "custom op: needs the library that defines it (tf.load_op_library) before it can load" in out


def test_loading_a_custom_op_model_names_the_op_and_the_library_fix(capsys, tmp_path):
    import unsafe_models

    path = unsafe_models.custom_op(tmp_path)
    code, out, err = cli(capsys, "predict", path, "-i", "x=[1.0]")
    assert code != 0 and err.count("\n") == 1, err
    # was: TensorFlow's "Op type not registered" twice, and "the files may be incomplete ... re-export"
    assert f"uses the custom op '{unsafe_models.CUSTOM_OP}'" in err and "tf.load_op_library" in err
    assert "may be incomplete" not in err
