"""The TensorFlow code Show Request prints for a re-export runs on its own and writes what the app writes."""
import subprocess
import sys

import numpy as np
import pytest

import modelgen
from explorer.core import reexport as rx
from explorer.core.compare import compare_outputs
from explorer.core.reexport_code import reexport_code
from explorer.core.request import Request
from explorer.core.runners.local import LocalRunner
from explorer.core.savedmodel import read_model


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("reexport_code")


def run_code(snippet, folder):
    script = folder / "reexport.py"
    script.write_text(snippet.text)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          cwd=folder, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "import explorer" not in snippet.text and "from explorer" not in snippet.text  # plain TensorFlow


def shapes(info):
    return {k: ({n: (t.dtype, t.shape) for n, t in s.inputs.items()}, {n: (t.dtype, t.shape) for n, t in s.outputs.items()},
                s.method_name) for k, s in info.user_signatures.items()}


@pytest.mark.parametrize("case", ["uint8_scaled", "from_function", "free_batch"])
def test_the_code_writes_what_the_app_writes(out, case):
    if case == "uint8_scaled":
        src = modelgen.grayscale_cnn(out / case)
        options = dict(casts=["image=uint8"], scales=["image=1/255"], renames=["probabilities=probs"])
        arrays = {"image": np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype(np.uint8)}
    elif case == "from_function":
        src = modelgen.two_functions(out / case)
        options = dict(function="scaled")
        arrays = {"features": np.ones((2, 3), np.float32), "factor": np.float32(2.0)}
    else:
        src = modelgen.fixed_batch(out / case)
        options = dict(free_batch=True)
        arrays = {"x": np.ones((1, 5), np.float32)}
    info = read_model(src)
    plan = rx.plan_from_options(info, **options)
    app = rx.reexport(src, out / case / "by_app", plan)
    snippet = reexport_code(info, plan, str(out / case / "by_code"))
    assert snippet.kind == "tensorflow-reexport" and snippet.language == "python"
    run_code(snippet, out / case)
    by_code = read_model(out / case / "by_code")
    assert shapes(by_code) == shapes(read_model(app.destination))
    with LocalRunner(app.destination) as a, LocalRunner(str(out / case / "by_code")) as b:
        assert compare_outputs(a.predict(Request("serving_default", arrays)).outputs,
                               b.predict(Request("serving_default", arrays)).outputs).equal
