"""`signature-explorer compare A B`: exit 0 equal within tolerance, 1 different, 2 on error; text and --json."""
import json

import numpy as np
import pytest

import modelgen
from explorer.cli import main
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D: the session's shared server pool)

TWO = "saved_model_half_plus_two_2_versions"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return modelgen.compare_pairs(tmp_path_factory.mktemp("compare_cli"))


def compare_json(capsys, *argv):
    code = main(["compare", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


def test_two_version_folders_are_equal(shared_models, capsys):
    base = shared_models / TWO
    code = main(["compare", str(base / "00000123"), str(base / "00000124")])
    out = capsys.readouterr().out
    assert code == 0
    assert "signature serving_default: the same on both sides" in out
    assert "seeded random request" in out  # no inputs given: said so
    assert out.rstrip().endswith("EQUAL: every output agrees within rtol=1e-05 atol=1e-06, on your input and on all "
                                 "8 probes")


def test_base_path_versions_json(shared_models, capsys):
    base = shared_models / TWO
    code, data = compare_json(capsys, base, base, "--version-a", 123, "--version-b", 124, "--input", "x=[[1],[2],[5]]")
    assert code == 0 and data["equal"] is True
    assert (data["a"]["version"], data["b"]["version"]) == (123, 124)
    assert data["generated_inputs"] is False
    assert data["inputs"]["x"] == {"dtype": "float32", "shape": [3, 1], "source": "literal [[1],[2],[5]]"}
    assert all(d["status"] == "same" for d in data["signatures"])
    y = data["outputs"]["y"]
    assert y["status"] == "equal" and y["max_abs_diff"] == 0.0 and y["shape_a"] == [3, 1]


def test_one_output_differs(pairs, capsys):
    code, data = compare_json(capsys, pairs["base"], pairs["one_output"], "--seed", 7)
    assert code == 1 and data["equal"] is False
    assert data["generated_inputs"] is True and data["inputs"]["x"]["shape"] == [4, 4]
    assert data["outputs"]["scores"]["status"] == "equal"
    z = data["outputs"]["z"]
    assert z["status"] == "different" and z["mismatched"] == 8
    assert z["max_abs_diff"] == pytest.approx(0.5, abs=1e-6)
    assert data["outputs"]["scores"]["argmax_agree"] == 1.0


def test_difference_only_beyond_a_tolerance(pairs, capsys):
    code = main(["compare", str(pairs["base"]), str(pairs["slightly"])])
    out = capsys.readouterr().out
    assert code == 1 and "DIFFERENT: differs on your input and on 8 of 8 probes (scores, z) beyond rtol=1e-05" in out
    code, data = compare_json(capsys, pairs["base"], pairs["slightly"], "--rtol", "1e-3")
    assert code == 0 and data["equal"] is True
    assert {d["status"] for d in data["outputs"].values()} == {"close"}
    assert data["outputs"]["z"]["max_rel_diff"] == pytest.approx(1e-4, rel=0.05)


def test_inputs_file_is_sent_as_is(pairs, tmp_path, capsys):
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 8
    np.savez(tmp_path / "in.npz", x=x)
    code, data = compare_json(capsys, pairs["base"], pairs["base"], "--inputs-file", tmp_path / "in.npz")
    assert code == 0 and data["inputs"]["x"]["shape"] == [2, 4] and data["generated_inputs"] is False


def test_local_against_server_same_and_other_version(pairs, model_servers, capsys):
    server = model_servers.get(str(pairs["versions"]), "pairs", "specific:1")  # pinned to the old version
    code, data = compare_json(capsys, pairs["versions"], server.target("rest"), "--version-a", 1)
    assert code == 0 and data["b"]["engine"] == "rest" and data["b"]["version"] == 1
    code, data = compare_json(capsys, pairs["versions"], server.target("grpc"))  # A: the newest version, 2
    assert code == 1 and data["a"]["version"] == 2
    assert data["outputs"]["z"]["status"] == "different" and data["outputs"]["scores"]["agrees"] is True


def test_shared_model_against_pinned_server(shared_models, two_versions_server, capsys):
    code, data = compare_json(capsys, shared_models / TWO, two_versions_server.target("rest"), "-i", "x=[[1],[3]]")
    assert code == 0 and data["a"]["version"] == 124 and data["b"]["version"] == 123


def test_missing_signature_on_one_side_is_a_difference(shared_models, capsys):
    code, data = compare_json(capsys, shared_models / TWO / "00000123", shared_models / "saved_model_half_plus_two_cpu",
                              "--signature", "classify_x2_to_y3", "-e", 'inputs=[{"x2": 1.0}]')
    assert code == 1 and data["equal"] is False
    assert any("B has no signature" in n for n in data["notes"])
    assert next(d for d in data["signatures"] if d["key"] == "classify_x2_to_y3")["status"] == "only_a"


@pytest.mark.parametrize("argv, words", [
    (["/nonexistent/model", "/nonexistent/other"], "does not exist"),
    (["{two}", "{two}", "--input", "x=[[1, 2]]"], "do not fit"),
    (["{two}", "{two}", "--rtol", "-1"], "cannot be negative"),
])
def test_errors_exit_2_with_one_line(shared_models, capsys, argv, words):
    argv = [a.format(two=shared_models / TWO) for a in argv]
    code = main(["compare", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and words in err and len(err.strip().splitlines()) == 1


def test_unreachable_server_is_an_error_not_a_difference(shared_models, capsys):
    from tests.servers.launch import free_port

    code = main(["compare", str(shared_models / TWO), f"rest://127.0.0.1:{free_port()}/m"])
    assert code == 2 and capsys.readouterr().err.startswith("error: ")


def test_no_shape_recorded_fits_the_other_sides_shape(shared_models, capsys):
    # A's signature records no shape for x (its graph takes (None, 1)); B's says (-1, 1): one request fits both.
    code, data = compare_json(capsys, shared_models / "saved_model_half_plus_three",
                              shared_models / "saved_model_half_plus_two_cpu")
    assert "no_common_request" not in data, data["notes"]
    assert code == 1 and data["inputs"]["x"]["shape"] == [4, 1]
    assert data["outputs"]["y"]["status"] == "different"  # x/2 + 3 against x/2 + 2
