"""read_model().functions against TensorFlow's own decoding of the same object graph (nested_structure_coder)."""
from pathlib import Path

import pytest

import modelgen
from explorer.core import functions as fn
from explorer.core.savedmodel import read_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_functions(tmp_path_factory):
    return modelgen.two_functions(tmp_path_factory.mktemp("functions"))


def tf_functions(model_dir: Path) -> dict[str, tuple]:
    """concrete function name -> (flat input specs, flat output specs) as TensorFlow decodes them."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2
    from tensorflow.python.saved_model import nested_structure_coder

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(model_dir) / "saved_model.pb").read_bytes())
    graph = proto.meta_graphs[0].object_graph_def
    out = {}
    for name, concrete in graph.concrete_functions.items():
        args = nested_structure_coder.decode_proto(concrete.canonicalized_input_signature)
        result = nested_structure_coder.decode_proto(concrete.output_signature)
        flat_in = [s for s in tf.nest.flatten(args) if isinstance(s, tf.TensorSpec)]
        flat_out = [s for s in tf.nest.flatten(result) if isinstance(s, tf.TensorSpec)]
        out[name] = (flat_in, flat_out)
    return out


def as_pairs(specs):
    return [(s.dtype.as_datatype_enum, None if s.shape.rank is None else tuple(-1 if d is None else d for d in s.shape))
            for s in specs]


def ours_pairs(specs):
    from explorer.core import dtypes

    return [(dtypes.lookup(s.dtype).number, s.shape) for s in specs.values()]


@pytest.mark.parametrize("model", ["two_functions", "tf2_model", "keras_model", "demo"])
def test_functions_match_tensorflow(request, model):
    path = ROOT / "resources" / "demo_model" if model == "demo" else request.getfixturevalue(model)
    info = read_model(path)
    expected = tf_functions(Path(info.model_dir))
    assert info.functions, "a TF2 export lists its functions"
    for f in info.functions:
        flat_in, flat_out = expected[f.concrete_name]
        assert ours_pairs(f.inputs) == as_pairs(flat_in), f.name
        assert sorted(ours_pairs(f.outputs)) == sorted(as_pairs(flat_out)), f.name


def test_two_functions_without_signatures(two_functions):
    info = read_model(two_functions)
    assert info.user_signatures == {}
    by_name = {f.name: f for f in info.functions}
    assert set(by_name) == {"predict", "scaled"}  # traces (predict.trace_0) and the signature map are not repeated
    predict, scaled = by_name["predict"], by_name["scaled"]
    assert list(predict.inputs) == ["x"] and predict.inputs["x"].shape == (-1, 3)
    assert list(predict.outputs) == ["y"] and predict.outputs["y"].dtype == "DT_FLOAT"
    # Unnamed specs take the Python argument names; a tuple result becomes output_0, output_1 as TF names them.
    assert list(scaled.inputs) == ["features", "factor"] and scaled.inputs["factor"].shape == ()
    assert list(scaled.outputs) == ["output_0", "output_1"]
    assert [f.name for f in fn.signature_candidates(info.functions)] == ["predict", "scaled"]


def test_tf1_models_have_no_object_graph(tf1_model):
    info = read_model(tf1_model)
    assert info.functions == () and not info.meta_graph.has_object_graph


def test_field_numbers_match_tensorflow():
    from tensorflow.core.protobuf import saved_object_graph_pb2 as sog
    from tensorflow.core.protobuf import struct_pb2 as st
    from tensorflow.core.protobuf import trackable_object_graph_pb2 as tog

    def num(message, field):
        return message.DESCRIPTOR.fields_by_name[field].number

    ref = tog.TrackableObjectGraph.TrackableObject.ObjectReference
    assert (fn.GRAPH_NODES, fn.GRAPH_CONCRETE) == (num(sog.SavedObjectGraph, "nodes"),
                                                   num(sog.SavedObjectGraph, "concrete_functions"))
    assert (fn.OBJECT_CHILDREN, fn.OBJECT_FUNCTION, fn.OBJECT_BARE) == (
        num(sog.SavedObject, "children"), num(sog.SavedObject, "function"), num(sog.SavedObject, "bare_concrete_function"))
    assert (fn.REF_NODE_ID, fn.REF_LOCAL_NAME) == (num(ref, "node_id"), num(ref, "local_name"))
    assert (fn.FUNCTION_CONCRETE, fn.FUNCTION_SPEC) == (num(sog.SavedFunction, "concrete_functions"),
                                                        num(sog.SavedFunction, "function_spec"))
    assert (fn.SPEC_FULLARGSPEC, fn.SPEC_IS_METHOD) == (num(sog.FunctionSpec, "fullargspec"),
                                                        num(sog.FunctionSpec, "is_method"))
    assert (fn.BARE_NAME, fn.BARE_KEYWORDS) == (num(sog.SavedBareConcreteFunction, "concrete_function_name"),
                                                num(sog.SavedBareConcreteFunction, "argument_keywords"))
    assert (fn.CONCRETE_INPUTS, fn.CONCRETE_OUTPUTS) == (
        num(sog.SavedConcreteFunction, "canonicalized_input_signature"),
        num(sog.SavedConcreteFunction, "output_signature"))
    sv = st.StructuredValue
    for const, field in [("SV_NONE", "none_value"), ("SV_FLOAT64", "float64_value"), ("SV_INT64", "int64_value"),
                         ("SV_STRING", "string_value"), ("SV_BOOL", "bool_value"), ("SV_SHAPE", "tensor_shape_value"),
                         ("SV_DTYPE", "tensor_dtype_value"), ("SV_TENSOR_SPEC", "tensor_spec_value"),
                         ("SV_TYPE_SPEC", "type_spec_value"), ("SV_BOUNDED_SPEC", "bounded_tensor_spec_value"),
                         ("SV_LIST", "list_value"), ("SV_TUPLE", "tuple_value"), ("SV_DICT", "dict_value"),
                         ("SV_NAMED_TUPLE", "named_tuple_value"), ("SV_TENSOR", "tensor_value"),
                         ("SV_NUMPY", "numpy_value")]:
        assert getattr(fn, const) == num(sv, field), const
    assert [num(st.TensorSpecProto, f) for f in ("name", "shape", "dtype")] == [1, 2, 3]
    assert num(st.TypeSpecProto, "type_spec_class_name") == 3
    assert (num(st.NamedTupleValue, "name"), num(st.NamedTupleValue, "values")) == (1, 2)
    assert (num(st.PairValue, "key"), num(st.PairValue, "value")) == (1, 2)


def test_a_corrupt_object_graph_leaves_the_signatures_readable(tmp_path, tf2_model):
    """Deeply nested structured values (a hostile file) are refused for the functions only."""
    import shutil

    from explorer.core import wire

    src = read_model(tf2_model)
    copy = tmp_path / "m"
    shutil.copytree(src.model_dir, copy)
    pb = (copy / "saved_model.pb").read_bytes()

    def message(number, payload: bytes) -> bytes:
        return _varint(number << 3 | wire.LEN) + _varint(len(payload)) + payload

    nested = b""
    for _ in range(200):  # a list inside a list ... 200 deep
        nested = message(fn.SV_LIST, message(1, nested))
    concrete = message(fn.CONCRETE_INPUTS, nested)
    # Root node 0 has a child "deep" (node 1), a tf.function whose one trace "f" holds the nested inputs.
    root = message(fn.OBJECT_CHILDREN, _varint(fn.REF_NODE_ID << 3) + _varint(1) + message(fn.REF_LOCAL_NAME, b"deep"))
    function = message(fn.OBJECT_FUNCTION, message(fn.FUNCTION_CONCRETE, b"f"))
    graph = (message(fn.GRAPH_NODES, root) + message(fn.GRAPH_NODES, function)
             + message(fn.GRAPH_CONCRETE, message(1, b"f") + message(2, concrete)))
    # A second MetaGraph tagged "evil" whose object graph is the hostile one; the serve tag-set stays intact.
    meta = message(1, message(4, b"evil")) + message(7, graph)
    (copy / "saved_model.pb").write_bytes(pb + message(2, meta))
    evil = read_model(copy, tag_set="evil")
    assert evil.functions == () and "cannot be read" in evil.meta_graph.functions_problem
    assert read_model(copy).user_signatures.keys() == src.user_signatures.keys()


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def test_functions_are_decoded_on_first_use_only(two_functions):
    """Listing signatures must not pay for the object graph (20-40 ms for a large Keras model): it waits for use."""
    from explorer.core.savedmodel import read_model_with_functions

    info = read_model(two_functions)
    assert "_functions" not in info.meta_graph.__dict__ and "functions" not in info.to_dict()
    assert [f.name for f in info.functions] == ["predict", "scaled"]
    assert "_functions" in info.meta_graph.__dict__
    assert "_functions" in read_model_with_functions(two_functions).meta_graph.__dict__  # the window's read
    assert set(info.to_dict(functions=True)["functions"]) == {"predict", "scaled"}
