"""TensorForm with real signatures read from TF Serving's models: type into editors, read problems off the fields."""
import json

import numpy as np
import pytest
from PIL import Image

from explorer.core.savedmodel import read_model
from explorer.core.signature import Signature, TensorSpec
from explorer.core.sources import Source
from explorer.ui.widgets.input_editors import editor_modes
from explorer.ui.widgets.tensor_form import TensorForm, prepare_inputs


@pytest.fixture(scope="module")
def half(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_cpu")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    np.save(root / "x.npy", np.array([[1.0], [2.0]], np.float32))
    np.save(root / "x64.npy", np.array([[1.0], [2.0]], np.float64))
    np.savez(root / "arrays.npz", a=np.ones((2, 1), np.float32), b=np.zeros((2, 1), np.float32))
    (root / "not_an_array.npy").write_text("hello, I am text")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    Image.new("RGB", (8, 6), (255, 0, 0)).save(root / "red.png")
    return root


def _form(qtbot, signature, **kw) -> TensorForm:
    form = TensorForm(signature, **kw)
    qtbot.addWidget(form)
    form.resize(600, 400)
    form.show()
    return form


def _settle(qtbot, form: TensorForm):
    """Wait until the check scheduled by the last edit has run and been shown."""
    with qtbot.waitSignal(form.problems_changed, timeout=10000) as blocker:
        form.check_now()
    return blocker.args[0]


def test_editor_modes_follow_dtype_and_shape():
    assert editor_modes(TensorSpec("x", "DT_FLOAT", (-1, 1)))[0] == "grid"
    assert editor_modes(TensorSpec("x", "DT_FLOAT", ()))[0] == "fields"
    assert editor_modes(TensorSpec("x", "DT_FLOAT", (3,)))[0] == "fields"
    assert editor_modes(TensorSpec("img", "DT_FLOAT", (-1, 224, 224, 3)))[0] == "fill"
    assert editor_modes(TensorSpec("x", "DT_FLOAT", (-1, -1, 100)))[0] == "fill"
    assert editor_modes(TensorSpec("inputs", "DT_STRING", None), "classify")[0] == "examples"
    assert editor_modes(TensorSpec("words", "DT_STRING", (-1,)))[0] == "text"
    assert "file" in editor_modes(TensorSpec("x", "DT_FLOAT", (-1, 1)))


def test_type_into_grid_builds_the_literal_and_checks(qtbot, half):
    form = _form(qtbot, half.user_signatures["serving_default"])
    form.set_batch_size(3)
    grid = form.row("x").editor()
    assert grid.mode == "grid" and grid.rows() == 3
    for i, v in enumerate(["1", "2", "5"]):
        grid.set_cell(i, 0, v)
    assert json.loads(form.sources()["x"].text) == [[1], [2], [5]]
    assert _settle(qtbot, form) == []
    np.testing.assert_array_equal(form.prepared.inputs["x"], np.array([[1], [2], [5]], np.float32))
    assert "Inputs match" in form.status.text()


def test_malformed_value_shown_inline_as_you_type(qtbot, half):
    form = _form(qtbot, half.user_signatures["serving_default"])
    form.row("x").editor().set_cell(0, 0, "abc")
    with qtbot.waitSignal(form.problems_changed, timeout=10000) as blocker:
        pass  # the edit itself schedules the check: no explicit call
    problems = blocker.args[0]
    assert [p.input for p in problems] == ["x"]
    assert "'abc'" in problems[0].message and "not a number" in problems[0].message
    row = form.row("x")
    assert row.problem_label.isVisibleTo(row) and "not a number" in row.problem_label.text()
    assert form.sources()["x"].text == '[["abc"]]'  # what was typed is kept verbatim
    # JSON mode: a malformed literal
    row.set_mode("json")
    row.editor().edit.setPlainText("[[1.0], [2.0")
    problems = _settle(qtbot, form)
    assert problems and "is not a valid value" in problems[0].message and problems[0].fix
    row.editor().edit.setPlainText("[[1.0], [2.0]]")
    assert _settle(qtbot, form) == []
    assert not row.problem_label.isVisibleTo(row)


def test_every_problem_kind_lands_on_its_field(qtbot, shared_models, files):
    info = read_model(shared_models / "saved_model_half_plus_two_tf2_cpu")
    form = _form(qtbot, info.user_signatures["serving_default"])  # x: float32 (1,), fixed
    row = form.row("x")
    row.set_mode("json")
    row.editor().edit.setPlainText("[[1.0], [2.0]]")  # rank 2 for a (1,) input
    problems = _settle(qtbot, form)
    assert problems and all(p.input == "x" for p in problems)
    assert {p.kind for p in problems} & {"rank", "shape", "batch"}
    assert all(p.message in row.problem_text() for p in problems)
    # a wrong dtype from a file, with the cast offered as a one-click fix
    sig = Signature("s", "tensorflow/serving/predict", {"x": TensorSpec("x", "DT_FLOAT", (-1, 1))})
    form2 = _form(qtbot, sig)
    row2 = form2.row("x")
    row2.set_mode("file")
    row2.editor().set_path(str(files / "x64.npy"))
    problems = _settle(qtbot, form2)
    dtype = [p for p in problems if p.kind == "dtype"]
    assert dtype and dtype[0].offer == "cast" and row2.offer_button.isVisibleTo(row2)
    row2.offer_button.click()
    problems = _settle(qtbot, form2)
    assert not [p for p in problems if p.kind == "dtype"]
    assert form2.prepared.inputs["x"].dtype == np.float32


@pytest.mark.parametrize("name, npz_key, words", [
    ("not_an_array.npy", "", "not_an_array.npy"),  # core words it "pickled"; reported to its owner
    ("arrays.npz", "c", "no array named 'c'"),
    ("arrays.npz", "", "holds 2 arrays"),
    ("broken.png", "", "could not be decoded as an image"),
    ("missing.npy", "", "file not found"),
])
def test_bad_files_explained_inline(qtbot, half, files, name, npz_key, words):
    form = _form(qtbot, half.user_signatures["serving_default"])
    row = form.row("x")
    row.set_mode("file")
    row.editor().set_path(str(files / name), npz_key)
    problems = _settle(qtbot, form)
    assert problems and problems[0].input == "x" and problems[0].severity == "error"
    assert words in problems[0].message, problems[0].message
    assert words in row.problem_label.text()
    assert row.source().path == str(files / name)  # the path stays as typed


def test_npz_key_choice_and_image(qtbot, half, files):
    form = _form(qtbot, half.user_signatures["serving_default"])
    row = form.row("x")
    row.set_mode("file")
    row.editor().set_path(str(files / "arrays.npz"), "a")
    assert row.editor().npz_key.count() == 2  # names listed from the zip directory
    assert _settle(qtbot, form) == []
    np.testing.assert_array_equal(form.prepared.inputs["x"], np.ones((2, 1), np.float32))
    img_sig = Signature("s", "tensorflow/serving/predict",
                        {"image": TensorSpec("image", "DT_FLOAT", (-1, 4, 4, 3))})
    form.set_signature(img_sig)
    row = form.row("image")
    row.set_mode("file")
    row.editor().set_path(str(files / "red.png"))
    assert row.editor().normalize.isVisibleTo(row.editor())
    row.editor().normalize.setChecked(True)
    _settle(qtbot, form)
    image = form.prepared.inputs["image"]
    assert image.shape == (1, 4, 4, 3) and float(image[..., 0].max()) == pytest.approx(1.0)
    assert "resized" in row.notes_label.text()
    assert row.preview.isVisibleTo(row) and not row.preview.pixmap().isNull()  # the image as the model gets it


def test_examples_table_builds_tf_examples(qtbot, half):
    form = _form(qtbot, half.user_signatures["classify_x_to_y"])
    row = form.row("inputs")
    assert row.mode == "examples"
    form.set_batch_size(2)
    table = row.editor()
    assert table.examples_count() == 2
    table.set_feature(0, "x", "float", ["2", "3"])
    assert json.loads(form.sources()["inputs"].text) == [{"x": {"float_list": [2.0]}}, {"x": {"float_list": [3.0]}}]
    assert _settle(qtbot, form) == []
    serialized = form.prepared.inputs["inputs"]
    assert serialized.shape == (2,) and all(isinstance(b, bytes) and b"x" in b for b in serialized)
    # the feature table round-trips through a Source
    restored = _form(qtbot, half.user_signatures["classify_x_to_y"])
    restored.set_sources(form.sources(), batch=2)
    assert restored.sources() == form.sources()


def test_sources_kept_per_model_and_signature(qtbot, half):
    form = _form(qtbot, None)
    form.set_signature(half.user_signatures["serving_default"], "half")
    form.set_batch_size(2)
    form.row("x").editor().set_cell(1, 0, "7")
    typed = form.sources()
    form.set_signature(half.user_signatures["regress_x2_to_y3"], "half")
    assert list(form.rows) == ["inputs"]
    form.set_signature(half.user_signatures["serving_default"], "other model")
    assert form.sources() != typed  # another model's form starts fresh
    form.set_signature(half.user_signatures["serving_default"], "half")
    assert form.sources() == typed and form.batch_size() == 2


def test_fill_with_variable_inner_dims(qtbot):
    sig = Signature("s", "tensorflow/serving/predict", {"seq": TensorSpec("seq", "DT_FLOAT", (-1, -1, 100))})
    form = _form(qtbot, sig)
    row = form.row("seq")
    assert row.mode == "fill"
    fill = row.editor()
    fill.kind_box.setCurrentIndex(fill.kind_box.findData("normal"))
    fill.params["seed"].setText("3")
    fill.dims[1].setValue(20)
    form.set_batch_size(2)
    assert _settle(qtbot, form) == []
    assert form.prepared.inputs["seq"].shape == (2, 20, 100)
    fill.params["std"].setText("-1")
    problems = _settle(qtbot, form)
    assert problems and "std" in problems[0].message


def test_prepare_inputs_without_qt(half):
    sig = half.user_signatures["serving_default"]
    prepared = prepare_inputs(sig, {"x": Source("literal", text="[[1], [2]]")})
    assert prepared.errors == [] and prepared.inputs["x"].dtype == np.float32
    prepared = prepare_inputs(sig, {"x": Source("literal", text="[[1], [2]")})
    assert prepared.errors and prepared.errors[0].kind == "build"
    assert not [p for p in prepared.problems if p.kind == "missing"]  # not reported twice
