"""An input whose signature records no shape: the graph Placeholder's shape is read (no TensorFlow), the default
request takes it, the record stays honest, and compare treats an unknown shape as fitting any shape."""
import numpy as np
import pytest

import modelgen
from explorer.core import agreement
from explorer.core.defaults import default_input
from explorer.core.savedmodel import read_model
from explorer.core.signature import Signature, TensorSpec
from explorer.core.validate import check


@pytest.fixture(scope="module")
def no_shape(tmp_path_factory):
    return modelgen.tf1_no_shape(tmp_path_factory.mktemp("no_shape"))


def test_half_plus_three_reads_the_graph_shape(shared_models):
    sig = read_model(shared_models / "saved_model_half_plus_three").signatures["serving_default"]
    x = sig.inputs["x"]
    assert not x.has_shape and x.shape == () and x.graph_shape == (-1, 1)  # the record kept as it is
    assert x.shape_text() == "() — no shape recorded (graph: (-1, 1))"
    arrays = default_input(sig)
    assert arrays["x"].shape == (1, 1)
    assert not [p for p in check(arrays, sig) if p.severity == "error"]


def test_generated_tf1_model_without_a_shape(no_shape):
    sig = read_model(no_shape).signatures["serving_default"]
    assert not sig.inputs["x"].has_shape and sig.inputs["x"].graph_shape == (-1, 3)
    assert default_input(sig, batch=2)["x"].shape == (2, 3)


def test_a_recorded_shape_is_not_replaced(shared_models):
    x = read_model(shared_models / "saved_model_half_plus_two_cpu").signatures["serving_default"].inputs["x"]
    assert x.has_shape and x.graph_shape is None and x.shape == (-1, 1)


def _sig(spec):
    return Signature("serving_default", "tensorflow/serving/predict", inputs={"x": spec})


def test_unknown_shape_fits_any_and_the_request_takes_the_known_side():
    unknown = TensorSpec("x", "DT_FLOAT", (), name="x:0", has_shape=False)
    rank_unknown = TensorSpec("x", "DT_FLOAT", None, name="x:0")
    known = TensorSpec("x", "DT_FLOAT", (-1, 4), name="x:0")
    for a in (unknown, rank_unknown):
        assert agreement.common_request_problem(_sig(a), _sig(known)) is None
        assert agreement.common_request_problem(_sig(known), _sig(a)) is None
        common = agreement.common_signature(_sig(a), _sig(known))
        assert default_input(common, batch=3)["x"].shape == (3, 4)
    graph_says = TensorSpec("x", "DT_FLOAT", (), name="x:0", has_shape=False, graph_shape=(-1, 3))
    assert "input x is" in agreement.common_request_problem(_sig(graph_says), _sig(known))  # the graph refuses it
    assert agreement.common_signature(_sig(known), _sig(unknown)).inputs["x"].shape == (-1, 4)
    np.testing.assert_equal(default_input(_sig(graph_says))["x"].shape, (1, 3))


def test_a_damaged_graph_leaves_the_signatures_readable(tmp_path, shared_models):
    """The graph is read only to add what a signature lacks (a Placeholder's shape, Example features): a NodeDef
    whose bytes run past their end must leave the model readable with its signatures as recorded, not unreadable."""
    import shutil

    from tensorflow.core.protobuf import saved_model_pb2

    source = next((shared_models / "saved_model_half_plus_three").glob("*/saved_model.pb")).parent
    folder = tmp_path / "damaged" / "1"
    shutil.copytree(source, folder)
    model = saved_model_pb2.SavedModel.FromString((folder / "saved_model.pb").read_bytes())
    meta = model.meta_graphs[0]
    meta.ClearField("graph_def")
    node = b"\x0a\x05ab"  # NodeDef.name claims 5 bytes, 2 follow
    graph = b"\x0a" + bytes([len(node)]) + node  # GraphDef.node
    meta_bytes = meta.SerializeToString() + b"\x12" + bytes([len(graph)]) + graph  # MetaGraphDef.graph_def
    model.ClearField("meta_graphs")
    blob = model.SerializeToString() + b"\x12" + _varint(len(meta_bytes)) + meta_bytes  # SavedModel.meta_graphs
    (folder / "saved_model.pb").write_bytes(blob)
    info = read_model(folder.parent)
    x = info.signatures["serving_default"].inputs["x"]
    assert not x.has_shape and x.graph_shape is None


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out
