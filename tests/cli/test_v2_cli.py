"""The command line on KServe V2 targets against a real MLServer: status, inspect, predict (REST and gRPC), check,
compare (the local SavedModel and the same model on MLServer: equal), and Show Request code that really runs."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from explorer.cli import main
from explorer.core import request_code
from explorer.core.request import Request
from tests.servers.v2_servers import HALF_PLUS_TWO, kserve, mlserver  # noqa: F401

pytestmark = pytest.mark.slow


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status(mlserver, capsys):
    code, out, _ = run(capsys, "status", mlserver.target("half_plus_two"))
    assert code == 0
    assert out.splitlines()[1:] == ["  MLServer 1.7.1 (KServe V2)",
                                    "  the model (the server names no versions): READY"]
    code, out, _ = run(capsys, "status", mlserver.target("iris", grpc=True), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["server"]["name"] == "mlserver" and doc["versions"][0]["state"] == "AVAILABLE"


def test_status_of_a_rest_target_at_mlserver_says_use_v2(mlserver, capsys):
    code, _, err = run(capsys, "status", f"rest://127.0.0.1:{mlserver.http_port}/iris")
    assert code == 1
    assert err.strip() == (f"error: This is a KServe V2 server (MLServer 1.7.1), not TF Serving: it does not speak TF "
                           f"Serving's REST API. Use v2://127.0.0.1:{mlserver.http_port}/iris")


def test_status_of_an_unknown_model(mlserver, capsys):
    code, _, err = run(capsys, "status", mlserver.target("nope", grpc=True))
    assert code == 1 and "The server (MLServer) has no model named 'nope'" in err and len(err.splitlines()) == 1


def test_inspect(mlserver, capsys):
    code, out, _ = run(capsys, "inspect", mlserver.target("half_plus_two"))
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "  served by MLServer 1.7.1 (KServe V2 REST) · no versions named"
    assert "one signature" in lines[2]
    assert "serving_default  (kserve/v2/infer)" in out and "x  float32  (-1, 1)" in out
    code, out, _ = run(capsys, "inspect", mlserver.target("iris", grpc=True), "--json")
    doc = json.loads(out)
    assert doc["signatures"]["serving_default"]["inputs"]["input-0"]["dtype"] == "DT_DOUBLE"


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_predict(mlserver, capsys, grpc):
    code, out, _ = run(capsys, "predict", mlserver.target("half_plus_two", grpc), "--input", "x=[[1], [2]]", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["outputs"]["y"]["values"] == [[2.5], [3.0]] and doc["version"] == "123"


def test_check(mlserver, capsys):
    code, out, _ = run(capsys, "check", mlserver.target("half_plus_two"))
    assert code == 0 and "verdict: OK" in out


def test_check_against_the_local_folder(mlserver, capsys):
    """V2 versions are strings ("" when MLServer names none): the local comparison must not choke on them."""
    code, out, _ = run(capsys, "check", mlserver.target("half_plus_two"), "--compare-local", str(HALF_PLUS_TWO.parent),
                       "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "ok", out[-2000:]


def test_compare_local_savedmodel_with_the_same_model_on_mlserver_is_equal(mlserver, capsys):
    code, out, _ = run(capsys, "compare", str(HALF_PLUS_TWO.parent), mlserver.target("half_plus_two", grpc=True))
    assert code == 0, out
    assert "signature serving_default: the same on both sides" in out  # named as a V2 server serves it
    assert "EQUAL" in out


def test_compare_mlserver_and_kserve(mlserver, kserve, capsys):
    code, out, _ = run(capsys, "compare", mlserver.target("half_plus_two"), kserve.target("half_plus_two"))
    assert code == 0 and "EQUAL" in out


@pytest.mark.parametrize("server_name, grpc, kind", [
    ("mlserver", False, "v2-curl"), ("mlserver", False, "v2-requests"), ("mlserver", False, "v2-tritonclient"),
    ("mlserver", True, "v2-tritonclient"), ("kserve", False, "v2-tritonclient"), ("kserve", True, "v2-tritonclient"),
])
def test_show_request_code_runs_and_answers_what_the_app_gets(request, tmp_path, server_name, grpc, kind):
    server = request.getfixturevalue(server_name)
    target = server.target("half_plus_two", grpc)
    req = Request("", {"x": np.array([[1.0], [2.0], [7.0]], np.float32)})
    snippet = request_code.for_target(req, target, kind)
    snippet.write_files(tmp_path)
    command = snippet.text if snippet.language == "shell" else [sys.executable, "-c", snippet.text]
    out = subprocess.run(command, shell=snippet.language == "shell", capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    y = doc["outputs"][0]["data"] if kind == "v2-curl" else doc["y"]
    assert np.allclose(np.reshape(y, -1), [2.5, 3.0, 5.5])


def test_request_code_for_bytes_that_are_not_text_goes_binary():
    req = Request("", {"s": np.array([b"\xff\x00"], dtype=object)})
    snippet = request_code.for_target(req, "v2://h:8000/m", "v2-curl")
    assert "Inference-Header-Content-Length" in snippet.text and "request.bin" in snippet.files
