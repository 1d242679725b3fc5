"""`signature-explorer check`: verdicts as text and JSON, exit 0 whatever the verdict, exit 2 with one line on error."""
import json
import subprocess
import sys

import pytest

import modelgen
from explorer.cli import main
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D: the session's shared server pool)
from tests.servers.launch import free_port

ROOT = modelgen.Path(modelgen.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("check_models")
    collapsed, healthy = modelgen.classifier_pair(out)
    return {"collapsed": collapsed, "healthy": healthy, "ignores": modelgen.ignores_input(out),
            "saturating": modelgen.saturating(out), "versions": modelgen.two_versions(out)}


def check_json(capsys, *argv):
    code = main(["check", *map(str, argv), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_collapsed_model_json(models, capsys):
    code, data = check_json(capsys, models["collapsed"], "--probes", "24")
    assert code == 0
    assert data["signature"] == "serving_default" and data["verdict"] == "identical"
    assert data["outputs"]["probabilities"]["identical"] is True
    assert data["outputs"]["probabilities"]["spread"] == 0
    assert data["outputs"]["probabilities"]["insensitive_to"] == ["x"]
    cause = next(c for c in data["causes"] if c["cause"] == "collapsed_model")
    assert cause["evidence"] and cause["fix"]


def test_healthy_and_ignoring_models_json(models, capsys):
    code, data = check_json(capsys, models["healthy"], "--probes", "24")
    assert code == 0 and data["verdict"] == "ok"
    assert data["outputs"]["probabilities"]["identical"] is False
    code, data = check_json(capsys, models["ignores"], "--probes", "24")
    assert code == 0 and data["verdict"] == "insensitive"
    assert data["outputs"]["probabilities"]["insensitive_to"] == ["extra"]


def test_users_raw_input_makes_preprocessing_the_cause(models, capsys):
    code, data = check_json(capsys, models["saturating"], "--input", "x=fill:uniform?low=0&high=255&seed=1")
    assert code == 0 and data["verdict"] == "identical"
    assert [c["cause"] for c in data["causes"] if c["severity"] == "error"] == ["preprocessing_mismatch"]


def test_counter_is_stateful_in_text(shared_models, capsys):
    code = main(["check", str(shared_models / "saved_model_counter"), "--signature", "incr_counter",
                 "--engine", "session"])
    out = capsys.readouterr().out
    assert code == 0
    assert "verdict: STATEFUL" in out and "a stateful or random model" in out and "fix:" in out


def test_text_report_of_a_collapsed_model(models, capsys):
    assert main(["check", str(models["collapsed"]), "--probes", "16"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("check serving_default of ")
    assert "verdict: IDENTICAL" in out and "✗ a collapsed or untrained model" in out
    assert "16 probes in 2 calls (batch)" in out


def test_errors_exit_2_with_one_line(models, tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert main(["check", str(models["healthy"]), "--signature", "nope"]) == 2
    assert "has no signature 'nope'" in capsys.readouterr().err
    assert main(["check", str(models["healthy"]), "--input", "y=[[1]]"]) == 2
    assert "has no input 'y'" in capsys.readouterr().err
    # A server that is not there: a ServingError, still exit 2 (exit 1 would read as a verdict).
    code = main(["check", f"rest://127.0.0.1:{free_port()}/m", "--json"])
    assert code == 2 and "error" in json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_server_pinned_to_an_old_version(models, model_servers, capsys):
    server = model_servers.get(str(models["versions"]), "clf", "specific:1")
    code, data = check_json(capsys, server.target("grpc"), "--probes", "24", "--compare-local", models["versions"])
    assert code == 0
    named = {c["cause"] for c in data["causes"]}
    assert {"stale_version", "pinned_version"} <= named
    assert data["compared"]["matches"] == 1


def test_entry_point_runs_check(models):
    done = subprocess.run([sys.executable, "-m", "explorer", "check", str(models["collapsed"]), "--probes", "12",
                           "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "identical"
