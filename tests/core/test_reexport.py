"""core.reexport: generate a model with a signature problem, re-export it fixed, then prove the fix with the reader,
predict (LocalRunner) and compare -- the issue's "done when" list, one test each."""
import shutil

import numpy as np
import pytest

import modelgen
from explorer.core import reexport as rx
from explorer.core.compare import compare_outputs
from explorer.core.errors import ExplorerError
from explorer.core.request import Request
from explorer.core.runners.local import LocalRunner
from explorer.core.savedmodel import read_model
from explorer.core.signature import CLASSIFY, REGRESS
from explorer.core.validate import check


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("reexport")


def predict(path, key, arrays, **kw):
    with LocalRunner(str(path), **kw) as runner:
        return runner.predict(Request(key, arrays)).outputs


def redo(out, src, name, **options):
    info = read_model(src)
    plan = rx.plan_from_options(info, **options)
    return rx.reexport(src, out / name, plan)


def test_fixed_batch_32_becomes_free_and_one_row_predicts(out):
    src = modelgen.fixed_batch(out)
    result = redo(out, src, "free_batch", free_batch=True)
    assert result.equal, result.proof.text()
    assert result.proof.rows == 3 * 32  # seeded probes at the old model's own batch
    assert result.changes == ("input x float32 (32, 5) -> x float32 (-1, 5)", "output y float32 (32, 2) -> y float32 (-1, 2)")
    new = read_model(result.destination)
    sig = new.signatures["serving_default"]
    assert sig.inputs["x"].shape == (-1, 5) and sig.outputs["y"].shape == (-1, 2)
    row = np.random.default_rng(0).standard_normal((1, 5)).astype(np.float32)
    # TF Serving refuses one row for the old signature and takes it for the new one.
    assert any(p.severity == "error" for p in check({"x": row}, read_model(src).signatures["serving_default"],
                                                    target="serving"))
    assert not [p for p in check({"x": row}, sig, target="serving") if p.severity == "error"]
    got = predict(result.destination, "serving_default", {"x": row})
    assert got["y"].shape == (1, 2)
    rows = np.repeat(row, 32, axis=0)
    assert compare_outputs({"y": predict(src, "serving_default", {"x": rows})["y"][:1]}, got).equal
    assert new.variables_bytes > 0  # the weights stay variables, not constants folded into the graph


def test_float64_model_takes_float32(out):
    src = modelgen.float64_model(out)
    result = redo(out, src, "float32", casts=["x=float32", "y=float32"])
    assert result.equal, result.proof.text()
    sig = read_model(result.destination).signatures["serving_default"]
    assert (sig.inputs["x"].dtype, sig.outputs["y"].dtype) == ("DT_FLOAT", "DT_FLOAT")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    got = predict(result.destination, "serving_default", {"x": x})
    assert got["y"].dtype == np.float32
    old = predict(src, "serving_default", {"x": x.astype(np.float64)})
    assert compare_outputs({"y": old["y"].astype(np.float32)}, got).equal


def test_grayscale_cnn_takes_bytes_and_scales_inside(out):
    src = modelgen.grayscale_cnn(out)
    result = redo(out, src, "uint8", casts=["image=uint8"], scales=["image=1/255"])
    assert result.equal, result.proof.text()
    assert result.changes == ("input image float32 (-1, 28, 28, 1) -> image uint8 (-1, 28, 28, 1), / 255 inside",)
    assert read_model(result.destination).signatures["serving_default"].inputs["image"].dtype == "DT_UINT8"
    pixels = np.random.default_rng(2).integers(0, 256, (5, 28, 28, 1)).astype(np.uint8)
    new = predict(result.destination, "serving_default", {"image": pixels})
    old = predict(src, "serving_default", {"image": pixels.astype(np.float32) / 255})
    diff = compare_outputs(old, new)
    assert diff.equal and diff.outputs["probabilities"].argmax_agree == 1.0
    # And the bug it fixes: the float model fed raw bytes answers differently.
    assert not compare_outputs(predict(src, "serving_default", {"image": pixels.astype(np.float32)}), new).equal


def test_renamed_keys(out):
    src = modelgen.grayscale_cnn(out / "rename_src")
    result = redo(out, src, "renamed", renames=["image=pixels", "probabilities=scores"])
    assert result.equal
    sig = read_model(result.destination).signatures["serving_default"]
    assert list(sig.inputs) == ["pixels"] and list(sig.outputs) == ["scores"]
    x = np.random.default_rng(3).random((2, 28, 28, 1)).astype(np.float32)
    assert compare_outputs({"scores": predict(src, "serving_default", {"image": x})["probabilities"]},
                           predict(result.destination, "serving_default", {"pixels": x})).equal


def test_two_functions_without_signatures_get_serving_default(out):
    src = modelgen.two_functions(out)
    info = read_model(src)
    assert info.user_signatures == {} and [f.name for f in info.functions] == ["predict", "scaled"]
    result = redo(out, src, "from_function", function="predict")
    assert result.equal and result.key == "serving_default"
    new = read_model(result.destination)
    assert list(new.user_signatures) == ["serving_default"]
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    assert predict(result.destination, "", {"x": x})["y"].tolist() == [[4.5]]  # 0.5 - 2 + 6
    assert {f.path for f in new.functions} >= {"model.predict", "model.scaled"}  # the functions are kept too


def test_tf1_classify_and_regress_keep_their_methods(out, tf1_model):
    info = read_model(tf1_model)
    with pytest.raises(ExplorerError, match="sparse or ragged") as caught:
        rx.plan_from_options(info, renames=["input_image:0=image"])
    assert caught.value.fix == "Leave it out with --drop sparse_and_ragged."
    with pytest.raises(ExplorerError, match="input_image:0") as caught:
        rx.plan_from_options(info, drop=["sparse_and_ragged"])
    assert "--rename 'input_image:0=input_image'" in caught.value.fix
    plan = rx.plan_from_options(info, renames=["input_image:0=image"], drop=["sparse_and_ragged"])
    result = rx.reexport(tf1_model, out / "tf1", plan)
    assert result.equal, result.proof.text()
    new = read_model(result.destination)
    assert new.meta_graph.has_object_graph  # now a TF2 export
    methods = {k: s.method_name for k, s in new.user_signatures.items()}
    assert methods["classify_x"] == CLASSIFY and methods["regress_x"] == REGRESS
    assert list(new.signatures["serving_default"].inputs) == ["image"]
    from explorer.core.examples import serialize_examples

    examples = {"inputs": serialize_examples([{"x": [1.0]}, {"x": [-3.0]}], key="inputs")}
    for key in ("classify_x", "regress_x"):
        old = predict(tf1_model, key, examples)
        assert compare_outputs(old, predict(result.destination, key, examples)).equal


def test_a_cast_that_changes_answers_is_reported(out):
    src = modelgen.float64_model(out, sensitive=True)
    info = read_model(src)
    plan = rx.plan_from_options(info, casts=["x=float32"])
    near_one = {"x": np.full((2, 4), 1.0 + 1e-12)}
    result = rx.reexport(src, out / "lossy", plan, inputs=near_one)
    assert not result.equal
    assert result.proof.differing == ("y",) and result.proof.text().startswith("DIFFERENT on")


def test_base_path_gets_the_next_version(out):
    base = out / "base"
    shutil.copytree(modelgen.fixed_batch(out / "b"), base / "3")
    assert rx.destination_of(base) == (base.resolve() / "4", 4)
    result = rx.reexport(base, base, rx.plan_from_options(read_model(base), free_batch=True))  # its own base path
    assert result.version == 4 and result.base_path == str(base.resolve())
    info = read_model(base)
    assert info.versions == (4, 3) and info.signatures["serving_default"].inputs["x"].shape == (-1, 5)
    assert not [p for p in base.iterdir() if p.name.startswith(".")]  # the staging folder is gone


def test_bad_plans_say_what_to_do(out, tmp_path):
    src = modelgen.fixed_batch(out / "bad")
    info = read_model(src)
    with pytest.raises(ExplorerError, match="neither an input nor an output"):
        rx.plan_from_options(info, casts=["nope=float32"])
    with pytest.raises(ExplorerError, match="no signature 'other'"):
        rx.plan_from_options(info, signature="other")
    with pytest.raises(ExplorerError, match="scale"):
        rx.parse_factor("a lot", "x")
    with pytest.raises(ExplorerError, match="fixes a dimension"):
        rx.plan_from_options(info, shapes=["x=-1,6"])
    with pytest.raises(ExplorerError, match="already holds a SavedModel"):
        rx.destination_of(src)
    (tmp_path / "stuff.txt").write_text("x")
    with pytest.raises(ExplorerError, match="not empty"):
        rx.destination_of(tmp_path)


@pytest.mark.parametrize("name, says", [
    ("saved_model_half_plus_three", "TensorFlow 2 cannot load"),  # TF 1.0, no shapes: TF2's loader refuses it
    ("saved_model_half_plus_two_cpu", "cannot run, so it was not written"),  # reference variables are not carried
])
def test_tf1_models_the_tf2_path_cannot_take_are_refused_clearly(out, shared_models, name, says):
    src = shared_models / name
    dest = out / f"refused_{name}"
    with pytest.raises(ExplorerError, match=says) as caught:
        rx.reexport(src, dest, rx.plan_from_options(read_model(src)))
    assert "TF1" in str(caught.value) and "code that built it" in caught.value.fix
    assert not dest.exists() and not [p for p in out.iterdir() if p.name.startswith(f".refused_{name}")]
