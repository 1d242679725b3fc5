""""Show request": the generated curl, Python and saved_model_cli code is run for real and must give the same outputs
as our own clients (REST and gRPC against the test server, saved_model_cli against a small model)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core import request_code, restjson
from explorer.core.errors import ExplorerError
from explorer.core.request import Request
from explorer.core.runners.grpc import GrpcRunner
from explorer.core.runners.rest import RestRunner
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D)
from tests.servers.fixtures import MODELS, TLS_TOKEN

HALF_PLUS_TWO = MODELS / "saved_model_half_plus_two_cpu"
VENV_BIN = Path(sys.executable).parent
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def run(snippet, folder: Path, timeout: float = 300) -> str:
    """Run a snippet as a user would (shell or python, in the folder holding its files); returns stdout."""
    snippet.write_files(folder)
    if snippet.language == "python":
        args = [sys.executable, "-c", snippet.text]
    else:
        args = ["bash", "-c", snippet.text]
    env = dict(ENV, PATH=f"{VENV_BIN}{os.pathsep}{ENV.get('PATH', '')}")  # saved_model_cli from this venv
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{snippet.text}\n--- stderr:\n{done.stderr[-3000:]}"
    return done.stdout


PREDICT = Request("serving_default", {"x": np.array([[1.0], [2.5], [-3.0]], np.float32)})
CLASSIFY = Request("classify_x_to_y", {}, method="classify", examples=({"x": 2.0}, {"x": 20.0}))
REGRESS = Request("regress_x_to_y", {}, method="regress", examples=({"x": 80.0},))


# --- offline: what the code says ------------------------------------------------------------------------------------

def test_curl_body_is_exactly_what_the_rest_client_sends():
    for fmt in ("auto", "columnar"):
        body, _ = restjson.encode_predict(PREDICT.inputs, PREDICT.signature, fmt)
        snippet = request_code.curl(PREDICT, "rest://127.0.0.1:8501/default/versions/123", format=fmt)
        assert "http://127.0.0.1:8501/v1/models/default/versions/123:predict" in snippet.text
        assert f"--data-binary '{body.decode()}'" in snippet.text
        assert not snippet.files
    body = restjson.encode_examples(list(CLASSIFY.examples), CLASSIFY.context, CLASSIFY.signature)
    snippet = request_code.curl(CLASSIFY, "rest://h:1/m/labels/stable")
    assert ":classify" in snippet.text and "/labels/stable" in snippet.text and body.decode() in snippet.text


def test_large_bodies_go_to_files():
    big = Request("serving_default", {"x": np.arange(5000, dtype=np.float32).reshape(-1, 1)})
    snippet = request_code.curl(big, "rest://h:1/m")
    assert "@request.json" in snippet.text
    assert snippet.files["request.json"] == restjson.encode_predict(big.inputs, big.signature)[0]
    grpc_snippet = request_code.python_grpc(big, "grpc://h:1/m")
    assert "np.load('input_x.npy')" in grpc_snippet.text
    np.testing.assert_array_equal(np.load(__import__("io").BytesIO(grpc_snippet.files["input_x.npy"])),
                                  big.inputs["x"])


def test_saved_model_cli_literals_and_files():
    small = request_code.saved_model_cli(PREDICT, HALF_PLUS_TWO)
    assert "--input_exprs 'x=[[1.0],[2.5],[-3.0]]'" in small.text
    assert "00000123" in small.text and "--tag_set serve" in small.text
    nan = request_code.saved_model_cli(Request("serving_default", {"x": np.array([[np.nan]], np.float32)}),
                                       HALF_PLUS_TWO)
    assert "--inputs x=input_x.npy" in nan.text and "input_x.npy" in nan.files  # literal_eval has no nan
    examples = request_code.saved_model_cli(CLASSIFY, HALF_PLUS_TWO)
    assert """--input_examples 'inputs=[{"x":[2.0]},{"x":[20.0]}]'""" in examples.text
    semicolon = request_code.saved_model_cli(
        Request("classify_x_to_y", {}, method="classify", examples=({"x": 1.0, "s": "a;b"},)), HALF_PLUS_TWO)
    assert "--inputs inputs=input_inputs.npy" in semicolon.text  # ';' would split the flag


def test_for_target_picks_the_snippet_that_fits():
    assert request_code.for_target(PREDICT, "rest://h:1/m").kind == "curl"
    assert request_code.for_target(PREDICT, "rest://h:1/m", "python-rest").kind == "python-rest"
    assert request_code.for_target(PREDICT, "grpc://h:1/m").kind == "python-grpc"
    assert request_code.for_target(PREDICT, str(HALF_PLUS_TWO)).kind == "saved_model_cli"
    with pytest.raises(ExplorerError):
        request_code.for_target(PREDICT, "grpc://h:1/m", "curl")


def test_python_literals_survive_nan_inf_and_bytes(tmp_path):
    values = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    code = request_code._py_array(values, "v", {}, 4096)
    assert np.array_equal(eval(code, {"np": np}), values, equal_nan=True)
    strings = np.array([b"a'b", b"\xff"], dtype=object)
    code = request_code._py_array(strings, "s", {}, 4096)
    assert eval(code, {"np": np}).tolist() == [b"a'b", b"\xff"]


# --- run for real ---------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_curl_and_python_rest_give_the_clients_outputs(default_server, tmp_path):
    target = default_server.target("rest")
    ours = RestRunner(target).predict(PREDICT).outputs["y"]
    for kind in ("curl", "python-rest"):
        for fmt in ("row", "columnar"):
            snippet = request_code.for_target(PREDICT, target, kind, format=fmt)
            answer = json.loads(run(snippet, tmp_path / f"{kind}-{fmt}"))
            got = answer["predictions"] if fmt == "row" else answer["outputs"]
            np.testing.assert_array_equal(np.array(got, np.float32), ours)
    ours = RestRunner(target).predict(CLASSIFY).outputs["scores"]
    answer = json.loads(run(request_code.curl(CLASSIFY, target), tmp_path / "classify"))
    np.testing.assert_array_equal(np.array([[s for _, s in row] for row in answer["results"]], np.float32), ours)


@pytest.mark.slow
def test_curl_over_tls_with_a_header(tls_server, tls_files, tmp_path):
    target = tls_server.target("rest")
    headers = {"Authorization": TLS_TOKEN}
    ours = RestRunner(target, ca_file=tls_files["cert"], tls=True, headers=headers).predict(PREDICT).outputs["y"]
    snippet = request_code.curl(PREDICT, target.replace("rest://", "rest://"), headers=headers,
                                ca_file=tls_files["cert"])
    assert "https://" in snippet.text and "--cacert" in snippet.text
    np.testing.assert_array_equal(np.array(json.loads(run(snippet, tmp_path))["predictions"], np.float32), ours)


@pytest.mark.slow
def test_python_grpc_gives_the_clients_outputs(default_server, tmp_path):
    target = default_server.target("grpc", "/versions/123")
    requests = {"predict": PREDICT, "classify": CLASSIFY, "regress": REGRESS}
    snippets = {name: request_code.python_grpc(r, target) for name, r in requests.items()}
    # one interpreter runs the three scripts one after the other (each in fresh globals): TensorFlow imports once
    for name, snippet in snippets.items():
        (tmp_path / f"{name}.py").write_text(snippet.text)
    driver = ("import sys\nfor name in sys.argv[1:]:\n    exec(compile(open(name + '.py').read(), name, 'exec'), "
              "{'__name__': '__main__'})\n")
    done = subprocess.run([sys.executable, "-c", driver, *snippets], cwd=tmp_path, env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == 3
    for (name, request_), answer in zip(requests.items(), answers):
        ours = GrpcRunner(target).predict(request_).outputs
        assert set(ours) <= set(answer), name
        for key, value in ours.items():
            np.testing.assert_array_equal(np.array(answer[key], value.dtype), value)


@pytest.mark.slow
def test_saved_model_cli_command_runs(tmp_path):
    from explorer.core.runners.local import LocalRunner

    big = Request("serving_default", {"x": np.linspace(-5, 5, 1000, dtype=np.float32).reshape(-1, 1)})
    ours = LocalRunner(HALF_PLUS_TWO, engine="session").predict(big).outputs["y"]
    snippet = request_code.saved_model_cli(big, HALF_PLUS_TWO, outdir="out")
    assert "--inputs x=input_x.npy" in snippet.text  # 1,000 values go to a file
    run(snippet, tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), ours)


def test_saved_model_cli_reads_our_examples_as_we_serialize_them():
    """--input_examples goes through saved_model_cli's own parser: it must give our tf.Example bytes."""
    from tensorflow.python.tools import saved_model_cli as cli

    from explorer.core.examples import serialize_examples

    request = Request("classify_x_to_y", {}, method="classify",
                      examples=({"x": 2.0, "ids": [1, 2], "word": "héllo"}, {"x": [1.5, 2.0]}), context={"c": 7})
    snippet = request_code.saved_model_cli(request, HALF_PLUS_TWO)
    flag = snippet.text.split("--input_examples ")[1].split(" \\")[0]
    parsed = cli.preprocess_input_examples_arg_string(__import__("shlex").split(flag)[0])
    merged = [{**request.context, **e} for e in request.examples]
    from explorer.core.schema import message_class

    example = message_class("Example")
    assert [example.FromString(b) for b in parsed["inputs"]] == [example.FromString(b) for b in
                                                                 serialize_examples(merged)]
