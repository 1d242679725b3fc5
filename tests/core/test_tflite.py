"""The .tflite reader (explorer.core.tflite) against LiteRT's own interpreter, on converted and shipped models."""
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core import dtypes
from explorer.core.errors import ModelReadError
from explorer.core.savedmodel import read_model
from explorer.core.tflite import FROM_METADATA, FROM_SIGNATURE_DEFS, FROM_SUBGRAPH, decode

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "resources" / "examples" / "tfserving"


def interpreter(path):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path))


@pytest.mark.parametrize("kind", ["float", "dynamic", "int8"])
def test_signatures_equal_the_interpreters(tflite_models, kind):
    """Keys, input/output names, tensor names, dtypes, shape, shape_signature and quantisation: as LiteRT sees them."""
    path = tflite_models[kind]
    info = read_model(path)
    it = interpreter(path)
    listed = it.get_signature_list()
    assert set(info.signatures) == set(listed) == {"classify", "regress"}
    for key, names in listed.items():
        sig = info.signatures[key]
        assert sorted(sig.inputs) == sorted(names["inputs"]) and sorted(sig.outputs) == sorted(names["outputs"])
        runner = it.get_signature_runner(key)
        for details, specs in ((runner.get_input_details(), sig.inputs), (runner.get_output_details(), sig.outputs)):
            for name, d in details.items():
                spec = specs[name]
                assert spec.name == d["name"] and spec.index == d["index"]
                assert spec.storage_dt.np == np.dtype(d["dtype"])
                assert spec.allocated_shape == tuple(d["shape"]) and spec.shape == tuple(d["shape_signature"])
                assert spec.shape[0] == -1  # the -1 batch survives conversion
                scales, zeros = d["quantization_parameters"]["scales"], d["quantization_parameters"]["zero_points"]
                if kind == "int8":
                    assert spec.quantization is not None and spec.dt.name == "DT_FLOAT"
                    assert np.allclose(spec.quantization.scale, scales) and spec.quantization.zero_point == tuple(zeros)
                    assert spec.quantization.storage == "DT_INT8"
                else:
                    assert spec.quantization is None and len(scales) == 0
    assert info.tflite.signature_source == FROM_SIGNATURE_DEFS
    assert info.tflite.quantization_kind == {"float": "float", "dynamic": "dynamic-range", "int8": "full integer"}[kind]
    assert [g.name for g in info.tflite.subgraphs] == ["classify", "regress"]
    assert info.tflite.op_counts["FULLY_CONNECTED"] == 3 and info.tflite.op_counts["SOFTMAX"] == 1


def test_json_schema_adds_quantization_and_tflite_facts(tflite_models):
    out = subprocess.run([sys.executable, "-m", "explorer", "inspect", "--json", str(tflite_models["int8"])],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    x = data["signatures"]["classify"]["inputs"]["x"]
    assert x["dtype"] == "DT_INT8" and x["shape"] == [-1, 32] and x["tflite_shape"] == [1, 32]
    assert x["quantization"]["storage_dtype"] == "DT_INT8" and len(x["quantization"]["scale"]) == 1
    assert data["file_format"] == "tflite" and data["tflite"]["op_count"] == 4
    assert set(data) >= {"path", "versions", "signatures", "fingerprint", "sizes"}  # the same schema, extended


def test_shipped_tflite_models_open():
    old = read_model(SHARED / "saved_model_half_plus_two_tflite")
    assert old.version == 123 and old.tflite.signature_source == FROM_SUBGRAPH
    assert list(old.signatures) == ["serving_default"]
    assert list(old.signatures["serving_default"].inputs) == ["x"]
    assert any("no SignatureDefs" in n and "pseudo-signature" in n for n in old.tflite.notes)

    meta = read_model(SHARED / "saved_model_half_plus_two_tflite_with_sigdef")
    sig = meta.signatures["serving_default"]
    assert meta.tflite.signature_source == FROM_METADATA and sig.method_name == "tensorflow/serving/predict"
    assert sig.inputs["x"].name == "tflite_input" and sig.inputs["x"].index is not None  # matched to the subgraph

    parse = read_model(SHARED / "parse_example_tflite" / "00000123" / "model.tflite")
    outs = parse.signatures["serving_default"].outputs
    assert {s.dtype for s in outs.values()} == {"DT_FLOAT", "DT_STRING"}  # ":1" kept apart from ":0"
    assert parse.tflite.custom_ops == ("ParseExampleV2",) and "ParseExampleV2" in " ".join(parse.tflite.needs())


def test_a_flex_model_says_what_it_needs(tflite_models):
    info = read_model(tflite_models["flex"])
    assert info.tflite.flex_ops == ("FlexStringLength",)
    needs = " ".join(info.tflite.needs())
    assert "Flex delegate" in needs and "SELECT_TF_OPS" in needs and "FlexStringLength" in needs
    out = subprocess.run([sys.executable, "-m", "explorer", "inspect", str(tflite_models["flex"])],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "needs TensorFlow Select ops" in out.stdout


def test_a_model_without_signature_defs_is_shown_as_a_pseudo_signature(tflite_models, tmp_path):
    """An old converter's file has no SignatureDefs: the subgraph's tensors stand in, and the tree says so."""
    out = subprocess.run([sys.executable, "-m", "explorer", "inspect", str(SHARED / "saved_model_half_plus_two_tflite")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0
    assert "no SignatureDefs" in out.stdout and "serving_default" in out.stdout and "  x  float32  (1, 1)" in out.stdout


def test_a_version_folder_with_a_tflite_is_a_servable_version(tflite_models, tmp_path):
    base = tmp_path / "base"
    for v, kind in ((1, "float"), (2, "int8")):
        (base / str(v)).mkdir(parents=True)
        (base / str(v) / "model.tflite").write_bytes(tflite_models[kind].read_bytes())
    info = read_model(base)
    assert info.versions == (2, 1) and info.tflite.quantization_kind == "full integer"
    assert read_model(base, version=1).tflite.quantization_kind == "float"


def _fuzz_cases(data: bytes, n: int, seed: int):
    rng = random.Random(seed)
    for i in range(n):
        mode = i % 3
        if mode == 0:
            yield data[: rng.randrange(len(data))]
        elif mode == 1:
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(8, len(b))] = rng.randrange(256)
            yield bytes(b)
        else:
            b = bytearray(data)
            at = rng.randrange(8, len(b) - 4)
            b[at:at + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff"])
            yield bytes(b)


@pytest.mark.parametrize("kind", ["int8", "flex", "metadata"])
def test_garbled_flatbuffers_never_crash(tflite_models, kind):
    """Truncations, random bytes and huge lengths/offsets: each is a model or a ModelReadError, quickly."""
    import time

    path = (SHARED / "saved_model_half_plus_two_tflite_with_sigdef" / "00000123" / "model.tflite"
            if kind == "metadata" else tflite_models[kind])
    data = path.read_bytes()
    for case in _fuzz_cases(data, 600, seed=16):
        start = time.perf_counter()
        try:
            sigs, facts = decode(case)
        except ModelReadError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(sigs, dict) and facts.op_count >= 0
        assert time.perf_counter() - start < 0.5


def test_not_a_flatbuffer_is_named(tmp_path):
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelReadError, match="is not a TensorFlow Lite model"):
        read_model(bad)
    bad.write_bytes(b"")
    with pytest.raises(ModelReadError, match="is empty"):
        read_model(bad)


def test_quantization_text_and_dtype_table():
    assert dtypes.from_tflite("INT8") == "DT_INT8" and dtypes.from_tflite("FLOAT32") == "DT_FLOAT"
    assert dtypes.from_tflite("NEW_TYPE").startswith("DT_UNKNOWN")


def test_reading_a_tflite_needs_no_tensorflow():
    code = ("import sys; from explorer.core.savedmodel import read_model; "
            "i = read_model(sys.argv[1]); print(len(i.signatures), 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(SHARED / "parse_example_tflite")], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.stdout.split() == ["1", "False"], done.stderr
