"""The CLI under hostile input (issue 11): every command that talks to a server takes --timeout and returns within
it from a dripping server; wrong answers are one readable line, never a traceback; inputs over --max-input-mb are
refused before they are built; large outputs print as a summary unless --full, and --json stays complete."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.cli import main
from tests.servers.fixtures import *  # noqa: F401,F403

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CPU = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu"


def cli(*argv, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *map(str, argv)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


@pytest.mark.parametrize("command", [
    ["status"], ["inspect"], ["predict", "-i", "x=[[1.0]]"], ["check", "--probes", "2"],
])
def test_every_server_command_honours_timeout_against_a_dripping_server(default_server, command):
    started = time.monotonic()
    done = cli(command[0], default_server.target(), *command[1:], "--timeout", "2", "--header", "X-Test-Fault: drip")
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert "did not answer within 2 s" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert elapsed < 25  # process start and imports included; before, it never returned


def test_compare_takes_timeout_too(default_server):
    done = cli("compare", default_server.target(), default_server.target(), "-i", "x=[[1.0]]", "--timeout", "2",
               "--header", "X-Test-Fault: drip")
    assert done.returncode != 0 and "did not answer within 2 s" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("mode", ["wrong-structure", "deep", "huge"])
@pytest.mark.parametrize("command", [["status"], ["predict", "-i", "x=[[1.0]]"]])
def test_wrong_answers_are_one_line(default_server, mode, command):
    done = cli(command[0], default_server.target(), *command[1:], "--header", f"X-Test-Fault: {mode}",
               "--max-response-mb", "16")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr


def test_a_fill_over_max_input_mb_is_refused_before_running(capsys):
    started = time.monotonic()
    code = main(["predict", str(CPU), "-i", "x=fill:ones?shape=100000000x1", "--max-input-mb", "100"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "would take 381.5 MB, over the input limit of 100.0 MB" in err
    assert time.monotonic() - started < 5


def test_large_outputs_print_a_summary_full_prints_all_json_is_complete(capsys):
    assert main(["predict", str(CPU), "-i", "x=fill:range?shape=1000x1"]) == 0
    out = capsys.readouterr().out
    assert "1,000 values · min 2 · max 501.5 · mean 251.75" in out and "(--full prints them all)" in out
    assert len(out.splitlines()) < 20
    assert main(["predict", str(CPU), "-i", "x=fill:range?shape=1000x1", "--full"]) == 0
    out = capsys.readouterr().out
    assert "..." not in out and "501.5" in out and "251.5" in out and len(out.splitlines()) > 300
    assert main(["predict", str(CPU), "-i", "x=fill:range?shape=1000x1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["outputs"]["y"]["values"]) == 1000


def test_running_out_of_memory_is_one_line_not_a_traceback(capsys, monkeypatch):
    import explorer.cli.status as status

    def exhausted(args):
        raise MemoryError()

    monkeypatch.setattr(status, "run", exhausted)
    assert main(["status", "rest://127.0.0.1:1/m"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ran out of memory") and len(err.strip().splitlines()) == 1
