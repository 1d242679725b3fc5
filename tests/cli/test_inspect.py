"""`signature-explorer inspect` as users run it: a real process, its stdout, stderr and exit code."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import modelgen
from explorer.core.savedmodel import read_model

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "resources" / "examples" / "tfserving"
CPU = SHARED / "saved_model_half_plus_two_cpu"
TF2 = SHARED / "saved_model_half_plus_two_tf2_cpu"


def inspect(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", "inspect", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli_models")
    return {"tf1": modelgen.tf1_builder(out), "tf1_text": modelgen.tf1_builder_text(out),
            "tf2": modelgen.tf2_signatures(out)}


def test_tree_shows_versions_signatures_and_tensors():
    done = inspect(CPU)
    assert done.returncode == 0 and done.stderr == ""
    out = done.stdout
    assert "versions 123*" in out and "written by TensorFlow 1.14.0" in out
    for key, method in [("serving_default", "predict"), ("classify_x_to_y", "classify"),
                        ("regress_x_to_y", "regress"), ("regress_x2_to_y3", "regress")]:
        assert f"{key}  (tensorflow/serving/{method})" in out
    assert re.search(r"^    x +float32 +\(-1, 1\) +x:0$", out, re.M)
    assert re.search(r"^    inputs +string +unknown rank +tf_example:0$", out, re.M)


def test_internal_entries_hidden_unless_asked():
    out = inspect(TF2).stdout
    assert "__saved_model_init_op  (" not in out
    assert "1 internal entry hidden: __saved_model_init_op; --all shows them" in out
    assert "defaults: x=[0.0]" in out
    shown = inspect(TF2, "--all").stdout
    assert "__saved_model_init_op  (no method)  [internal]" in shown


@pytest.mark.parametrize("name", ["cpu", "tf2_cpu", "mlmd", "two_versions", "tf1", "tf1_text", "tf2"])
def test_json_is_the_documented_schema(generated, name):
    path = {"cpu": CPU, "tf2_cpu": TF2, "mlmd": SHARED / "saved_model_half_plus_two_mlmd",
            "two_versions": SHARED / "saved_model_half_plus_two_2_versions", **generated}[name]
    done = inspect(path, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc.pop("findings") == []  # the safety scan's findings (tests/cli/test_scan.py has models with some)
    assert doc == json.loads(json.dumps(read_model(path).to_dict()))
    assert doc["path"] == str(path)
    assert isinstance(doc["versions"], list) and all(isinstance(v, int) for v in doc["versions"])
    assert doc["version"] == (doc["versions"][0] if doc["versions"] else None)
    assert doc["tag_sets"] and all(isinstance(t, list) for t in doc["tag_sets"])
    assert doc["signatures"]
    for sig in doc["signatures"].values():
        assert isinstance(sig["method_name"], str) and isinstance(sig["internal"], bool)
        for spec in [*sig["inputs"].values(), *sig["outputs"].values()]:
            assert set(spec) >= {"dtype", "shape", "name"}
            assert spec["dtype"].startswith("DT_") and isinstance(spec["name"], str)
            assert spec["shape"] is None or all(isinstance(d, int) and d >= -1 for d in spec["shape"])


def test_json_keeps_unknown_rank_apart_from_unknown_dims():
    mlmd = json.loads(inspect(SHARED / "saved_model_half_plus_two_mlmd", "--json").stdout)
    cpu = json.loads(inspect(CPU, "--json").stdout)
    assert mlmd["signatures"]["serving_default"]["inputs"]["x"]["shape"] is None
    assert cpu["signatures"]["serving_default"]["inputs"]["x"] == {"dtype": "DT_FLOAT", "shape": [-1, 1], "name": "x:0"}


def test_version_and_tag_set_options(generated):
    older = json.loads(inspect(SHARED / "saved_model_half_plus_two_2_versions", "--version", "123", "--json").stdout)
    assert older["versions"] == [124, 123] and older["version"] == 123
    gpu = json.loads(inspect(generated["tf1"], "--tag-set", "serve,gpu", "--json").stdout)
    assert gpu["tag_sets"] == [["serve"], ["serve", "gpu"]] and list(gpu["signatures"]) == ["serving_default"]
    assert "input_image:0" in gpu["signatures"]["serving_default"]["inputs"]
    tree = inspect(generated["tf1"]).stdout
    assert "tag-set serve · others: serve,gpu" in tree


@pytest.mark.parametrize("case", ["empty", "no_pb", "bundle", "tflite", "truncated", "all_empty", "missing",
                                  "bad_version", "bad_tag_set"])
def test_bad_input_exits_2_with_one_line(tmp_path, generated, case):
    (tmp_path / "empty").mkdir()
    (tmp_path / "no_pb").mkdir()
    (tmp_path / "no_pb" / "variables").mkdir()
    (tmp_path / "all_empty" / "7").mkdir(parents=True)
    (tmp_path / "truncated").mkdir()
    (tmp_path / "tflite").mkdir()
    (tmp_path / "tflite" / "model.tflite").write_bytes(b"not a flatbuffer at all")
    data = (generated["tf1"] / "saved_model.pb").read_bytes()
    (tmp_path / "truncated" / "saved_model.pb").write_bytes(data[:1000])
    args, expected = {
        "empty": ([tmp_path / "empty"], "is empty: expected saved_model.pb"),
        "no_pb": ([tmp_path / "no_pb"], "has no saved_model.pb"),
        "bundle": ([SHARED / "bad_half_plus_two"], "legacy SessionBundle"),
        "tflite": ([tmp_path / "tflite" / "model.tflite"], "is not a TensorFlow Lite model"),
        "truncated": ([tmp_path / "truncated"], "is truncated or corrupted"),
        "all_empty": ([tmp_path / "all_empty"], "no version folder holds a model (7/: empty)"),
        "missing": ([tmp_path / "missing"], "does not exist"),
        "bad_version": ([SHARED / "saved_model_half_plus_two_2_versions", "--version", "9"], "available: 124, 123"),
        "bad_tag_set": ([generated["tf1"], "--tag-set", "train"], "it has: serve; serve,gpu"),
    }[case]
    done = inspect(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr
    assert expected in lines[0] and str(args[0]) in lines[0]


IMPORTS_ON_INSPECT = """
import io, json, sys, contextlib
from explorer.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["inspect", "--json", sys.argv[1]])
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "google", "tensorflow", "PySide6", "pyqtgraph"})
print(json.dumps({"code": code, "heavy": heavy, "signatures": len(json.loads(out.getvalue())["signatures"])}))
"""


@pytest.mark.parametrize("name", ["cpu", "tf2_cpu", "tf2", "tf1"])
def test_inspect_needs_neither_numpy_nor_protobuf(generated, name):
    """What keeps `inspect` 20x faster than saved_model_cli (bench/inspect.py); TF2 defaults included."""
    path = {"cpu": CPU, "tf2_cpu": TF2, **generated}[name]
    done = subprocess.run([sys.executable, "-c", IMPORTS_ON_INSPECT, str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    result = json.loads(done.stdout)
    assert result["code"] == 0 and result["signatures"] > 0
    assert result["heavy"] == []
