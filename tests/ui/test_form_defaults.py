"""The form's first state on generated signatures: the default it shows passes its own check (issue 13, item 1)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.signature import PREDICT, Signature, TensorSpec
from explorer.ui.widgets.tensor_form import TensorForm

SIGNATURES = [
    {"features": TensorSpec("features", "DT_FLOAT", (32, 5))},
    {"a": TensorSpec("a", "DT_FLOAT", (-1, 3)), "b": TensorSpec("b", "DT_INT64", (-1, 3))},
    {"x": TensorSpec("x", "DT_DOUBLE", (-1, 1))},
    {"x": TensorSpec("x", "DT_FLOAT", (10, 64))},
    {"x": TensorSpec("x", "DT_FLOAT", (12,))},
    {"x": TensorSpec("x", "DT_INT32", ())},
    {"x": TensorSpec("x", "DT_FLOAT", None)},
    {"tokens": TensorSpec("tokens", "DT_FLOAT", (-1, -1, 100))},
    {"image": TensorSpec("image", "DT_FLOAT", (-1, 28, 28, 1))},
    {"text": TensorSpec("text", "DT_STRING", (-1,))},
    {"text": TensorSpec("text", "DT_STRING", (4,))},
    {"examples": TensorSpec("examples", "DT_STRING", (-1,))},
    {"flag": TensorSpec("flag", "DT_BOOL", (-1, 2)), "n": TensorSpec("n", "DT_UINT8", (3, 3))},
]


def _first_check(qtbot, signature):
    form = TensorForm(Signature("serving_default", PREDICT, signature))
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.problems_changed, timeout=10000) as blocker:
        form.check_now()
    return form, blocker.args[0]


@pytest.mark.parametrize("inputs", SIGNATURES, ids=lambda s: ",".join(f"{k}{v.shape}" for k, v in s.items()))
def test_the_forms_default_passes_its_own_check(qtbot, inputs):
    form, problems = _first_check(qtbot, inputs)
    errors = [p.message for p in problems if p.severity == "error"]
    assert not errors
    assert form.prepared is not None and set(form.prepared.inputs) == set(inputs)
    for key, spec in inputs.items():
        if spec.shape and all(d > 0 for d in spec.shape):
            assert form.prepared.inputs[key].shape == spec.shape


def test_a_fixed_batch_grid_is_32_rows_of_5(qtbot):
    form, _ = _first_check(qtbot, SIGNATURES[0])
    grid = form.row("features").editor("grid")
    assert (grid.table.rowCount(), grid.table.columnCount()) == (32, 5)


dims = st.one_of(st.just(-1), st.integers(1, 12))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(["x", "y", "input_image:0"]),
                       st.tuples(st.sampled_from(["DT_FLOAT", "DT_INT64", "DT_STRING", "DT_BOOL", "DT_DOUBLE"]),
                                 st.one_of(st.none(), st.lists(dims, max_size=4).map(tuple))),
                       min_size=1, max_size=3))
def test_generated_signatures_start_without_an_error(qtbot, table):
    inputs = {k: TensorSpec(k, dt, shape) for k, (dt, shape) in table.items()}
    _form, problems = _first_check(qtbot, inputs)
    assert not [p.message for p in problems if p.severity == "error"]


def test_a_classify_forms_default_is_an_example_the_model_accepts(qtbot, tmp_path):
    # The form starts from the features the graph's ParseExample reads ("pair", two floats), not an empty Example
    # that the model refuses: Run works on a stranger's classify signature before anything is typed.
    import modelgen
    from explorer.core.request import Request
    from explorer.core.savedmodel import read_model
    from explorer.core.targets import open_runner, parse_target

    path = modelgen.tf1_pair_feature(tmp_path)
    signature = read_model(path).signatures["classify_pair"]
    form = TensorForm(signature)
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.problems_changed, timeout=10000) as blocker:
        form.check_now()
    assert not [p for p in blocker.args[0] if p.severity == "error"]
    assert form.prepared.examples == ({"pair": [0.0, 0.0]},)
    runner = open_runner(parse_target(str(path)), engine="local")
    try:
        prediction = runner.predict(Request(signature.key, form.prepared.inputs, method="classify",
                                            examples=form.prepared.examples))
    finally:
        runner.close()
    assert prediction.outputs["scores"].shape == (1, 2)


def test_a_required_text_feature_keeps_its_empty_string_through_the_table(qtbot):
    from explorer.core.example_features import Feature
    from explorer.core.signature import CLASSIFY

    features = (Feature("city", "bytes", (1,), True), Feature("n", "int64", (2,), True))
    signature = Signature("c", CLASSIFY, {"inputs": TensorSpec("inputs", "DT_STRING", (-1,))},
                          example_features={"inputs": features})
    form = TensorForm(signature)
    qtbot.addWidget(form)
    # The table showed an empty cell of kind bytes and read it back as no value at all ({"bytes_list": []}).
    assert form.sources()["inputs"].text == '[{"city": {"bytes_list": [""]}, "n": [0, 0]}]'


def test_a_server_classify_input_says_its_features_are_unknown(qtbot):
    from explorer.core.signature import CLASSIFY

    # A server's metadata: "string", no features. The form starts from an empty Example and says why, under it.
    signature = Signature("classify", CLASSIFY, {"inputs": TensorSpec("inputs", "DT_STRING", (-1,))})
    form = TensorForm(signature)
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.problems_changed, timeout=10000):
        form.check_now()
    label = form.row("inputs").notes_label
    assert "cannot be known" in label.text() and "+ feature" in label.text() and not label.isHidden()
