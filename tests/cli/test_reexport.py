"""`signature-explorer reexport SRC DST`: exit 0 written and proven equal, 1 outputs differ, 2 error; and the new
version served by the test TF Serving server, diffed by `compare` Local ⇄ Server."""
import json
import shutil

import numpy as np
import pytest

import modelgen
from explorer.cli import main
from explorer.core.savedmodel import read_model
from tests.servers.fixtures import *  # noqa: F401,F403  (the session's shared server pool)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("reexport_cli")


def test_function_to_serving_default_text_and_exit_0(out, capsys):
    src = modelgen.two_functions(out)
    assert main(["inspect", str(src)]) == 0
    tree = capsys.readouterr().out
    assert "  (no signatures: TF Serving cannot serve this model)\n  functions that could become a signature: " \
           "predict, scaled\n" in tree
    code = main(["reexport", str(src), str(out / "new"), "--from-function", "scaled", "--rename", "output_0=y"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "signature serving_default: new, from scaled\n" in text
    assert "  output output_0 float32 (-1, 1) -> y float32 (-1, 1)\n" in text
    assert "proof: scaled (old) vs serving_default (new): equal on 12 inputs (max |Δ| 0)" in text
    assert text.endswith("EQUAL: the new model answers as the old one\n")
    sig = read_model(out / "new").signatures["serving_default"]
    assert list(sig.inputs) == ["factor", "features"] and list(sig.outputs) == ["output_1", "y"]


def test_outputs_that_differ_exit_1_json(out, capsys):
    src = modelgen.float64_model(out, sensitive=True)
    code = main(["reexport", str(src), str(out / "lossy"), "--cast", "x=float32", "--input",
                 "x=[[1.000000000001, 1, 1, 1]]", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["equal"] is False
    assert data["proof"]["differing"] == ["y"] and data["destination"].endswith("lossy")


def test_errors_exit_2_with_one_line(out, capsys):
    src = modelgen.fixed_batch(out)
    assert main(["reexport", str(src), str(out / "x"), "--signature", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "no signature 'nope'" in err
    assert main(["reexport", str(src), str(src), "--free-batch"]) == 2
    assert "already holds a SavedModel" in capsys.readouterr().err


def test_next_version_served_and_diffed_local_vs_server(out, capsys, model_servers):
    base = out / "served"
    shutil.copytree(modelgen.fixed_batch(out / "b"), base / "1")
    assert main(["reexport", str(base), str(base), "--free-batch"]) == 0
    assert "(version 2 of " in capsys.readouterr().out
    server = model_servers.get(str(base), model_name="fixed")
    assert main(["inspect", server.target("rest")]) == 0
    served = capsys.readouterr().out
    assert "version 2" in served and "x  float32  (-1, 5)" in served
    # Local (version 1, the old export) ⇄ Server (version 2, the re-export): same answers, the signature diff shown.
    code = main(["compare", str(base), server.target("rest"), "--version-a", "1", "--batch", "32"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "  input x: shape (32, 5) -> (-1, 5)" in text and "B: rest://" in text and "(version 2)" in text
    rows = np.random.default_rng(0).standard_normal((1, 5)).tolist()
    assert main(["predict", server.target("rest"), "--input", f"x={json.dumps(rows)}"]) == 0  # one row is served


def test_a_model_whose_load_writes_files_needs_consent(out, capsys, tmp_path):
    import unsafe_models

    canary = tmp_path / "canary.txt"
    src = unsafe_models.tf1_main_op(out / "unsafe", canary)
    assert main(["reexport", str(src), str(out / "unsafe_new")]) == 2
    err = capsys.readouterr().err
    assert "Not loaded:" in err and "--allow-unsafe-ops" in err
    assert not canary.exists() and not (out / "unsafe_new").exists()  # refused before TensorFlow saw the model


def test_show_code_prints_tensorflow_and_writes_nothing(out, capsys):
    src = modelgen.fixed_batch(out / "code")
    assert main(["reexport", str(src), str(out / "code_new"), "--free-batch", "--show-code"]) == 0
    code = capsys.readouterr().out
    assert code.startswith('"""Re-export ') and "tf.saved_model.save(module, DESTINATION, signatures=signatures)" in code
    compile(code, "reexport.py", "exec")  # valid Python (tests/core/test_reexport_code.py runs such code)
    assert not (out / "code_new").exists()


def test_a_proof_that_could_not_run_is_not_a_difference(out, capsys):
    # A string input has no seeded probes: nothing was compared, yet the verdict read "DIFFERENT: the new model
    # does not answer as the old one".
    src = modelgen.flag_and_text(out)
    code = main(["reexport", str(src), str(out / "renamed_text"), "--rename", "text=sentence"])
    text = capsys.readouterr().out
    assert code == 1, text  # written, not proven (docs/manual/reexport.md)
    assert "proof: serving_default (old) vs serving_default (new): NOT PROVEN" in text
    assert text.endswith("NOT PROVEN: the new model was written but not compared with the old one (see the proof "
                         "above)\n") and "DIFFERENT" not in text
    code = main(["reexport", str(src), str(out / "renamed_text_proven"), "--rename", "text=sentence",
                 "-i", 'text=["a", "bb"]', "-i", "flag=[true, false]"])
    assert code == 0 and capsys.readouterr().out.endswith("EQUAL: the new model answers as the old one\n")
