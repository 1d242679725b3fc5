"""explorer.core.defaults: the input a signature starts from passes the app's own check, for every dtype and shape
(a generated table of signatures: fixed dims, -1, unknown rank, no shape recorded, scalars, strings, several inputs)."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.defaults import default_input, default_sources
from explorer.core.signature import CLASSIFY, PREDICT, REGRESS, Signature, TensorSpec
from explorer.core.validate import check

DTYPES = ["DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_BFLOAT16", "DT_INT8", "DT_INT16", "DT_INT32", "DT_INT64",
          "DT_UINT8", "DT_UINT16", "DT_UINT32", "DT_UINT64", "DT_BOOL", "DT_STRING", "DT_COMPLEX64", "DT_COMPLEX128"]

dims = st.one_of(st.just(-1), st.integers(1, 40), st.sampled_from([32, 224, 1, 3]))
shapes = st.one_of(st.none(), st.lists(dims, min_size=0, max_size=5).map(tuple))


@st.composite
def specs(draw, key):
    shape = draw(shapes)
    has_shape = draw(st.booleans()) if shape == () else True
    name = draw(st.sampled_from([f"{key}:0", "input_image:0", "serialized_example:0", ""]))
    return TensorSpec(key, draw(st.sampled_from(DTYPES)), shape, name=name, has_shape=has_shape)


@st.composite
def signatures(draw):
    keys = draw(st.lists(st.sampled_from(["x", "features", "input_image:0", "a", "b", "tokens", "examples"]),
                         min_size=1, max_size=4, unique=True))
    inputs = {k: draw(specs(k)) for k in sorted(keys)}
    method = draw(st.sampled_from([PREDICT, PREDICT, CLASSIFY, REGRESS, ""]))
    return Signature("serving_default", method, inputs, {"y": TensorSpec("y", "DT_FLOAT", (-1,))})


def _small(signature: Signature) -> bool:  # the fill limit, not a default's fault: (224,)*5 is 550 billion values
    return all(spec.shape is None or np.prod([max(d, 1) for d in spec.shape]) <= 2_000_000
               for spec in signature.inputs.values())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(signatures().filter(_small), st.sampled_from([1, 2, 7]))
def test_every_default_passes_the_check(signature, batch):
    arrays = default_input(signature, batch=batch)
    assert set(arrays) == set(signature.inputs)
    errors = [p for p in check(arrays, signature) if p.severity == "error"]
    assert not errors, [p.message for p in errors]


def test_a_fixed_batch_of_32_gets_32_rows_of_5():
    signature = Signature("serving_default", PREDICT, {"features": TensorSpec("features", "DT_FLOAT", (32, 5))})
    assert default_input(signature)["features"].shape == (32, 5)
    assert default_sources(signature)["features"].kind == "literal"


def test_the_models_own_default_values_come_first():
    signature = Signature("serving_default", PREDICT, {"x": TensorSpec("x", "DT_FLOAT", (2,))},
                          defaults={"x": [1.5, 2.5]})
    np.testing.assert_array_equal(default_input(signature)["x"], [1.5, 2.5])


def test_a_summarised_default_falls_back_to_zeros():
    summary = {"dtype": "DT_FLOAT", "shape": [2000], "count": 2000, "first": [1.0]}  # savedmodel.DefaultSummary
    signature = Signature("serving_default", PREDICT, {"x": TensorSpec("x", "DT_FLOAT", (2000,))},
                          defaults={"x": summary})
    assert default_input(signature)["x"].shape == (2000,)
