"""explorer/core/schema.py's private messages against TensorFlow's own descriptors: same numbers, types, labels."""
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.core import dtypes, schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tf_pool():
    """TensorFlow's descriptor pool, with every file that declares a message our schema mirrors."""
    from google.protobuf import descriptor_pool
    from tensorflow.core.example import example_pb2  # noqa: F401  (registers the descriptors)
    from tensorflow.core.protobuf import fingerprint_pb2, saved_model_pb2, struct_pb2  # noqa: F401

    return descriptor_pool.Default()


def _ours(name):
    return schema.POOL.FindMessageTypeByName(f"{schema.PACKAGE}.{name}")


def _type_name(descriptor, package):
    """A field's message/enum type with the package removed, so explorer.tf.X and tensorflow.X compare."""
    target = descriptor.message_type or descriptor.enum_type
    return target.full_name.removeprefix(package + ".") if target else None


@pytest.mark.parametrize("name", list(schema._MESSAGES))
def test_fields_match_tensorflow(tf_pool, name):
    ours = _ours(name)
    theirs = tf_pool.FindMessageTypeByName(f"tensorflow.{name}")
    for field in ours.fields:
        assert field.name in theirs.fields_by_name, f"{name}.{field.name} is not a field of TensorFlow's {name}"
        tf_field = theirs.fields_by_name[field.name]
        assert field.number == tf_field.number, f"{name}.{field.name}"
        assert field.type == tf_field.type, f"{name}.{field.name}"
        assert field.is_repeated == tf_field.is_repeated, f"{name}.{field.name}"
        assert _type_name(field, schema.PACKAGE) == _type_name(tf_field, "tensorflow"), f"{name}.{field.name}"
        assert bool(field.containing_oneof) == bool(tf_field.containing_oneof), f"{name}.{field.name}"
        if field.containing_oneof:
            assert field.containing_oneof.name == tf_field.containing_oneof.name
        if field.message_type and field.message_type.GetOptions().map_entry:
            entry, tf_entry = field.message_type, tf_field.message_type
            assert tf_entry.GetOptions().map_entry, f"{name}.{field.name} is a map only on our side"
            for part in ("key", "value"):
                assert entry.fields_by_name[part].type == tf_entry.fields_by_name[part].type
                assert _type_name(entry.fields_by_name[part], schema.PACKAGE) == \
                    _type_name(tf_entry.fields_by_name[part], "tensorflow")


def test_data_type_enum_matches_tensorflow_and_the_dtype_table():
    from tensorflow.core.framework import types_pb2

    theirs = {v.name: v.number for v in types_pb2.DataType.DESCRIPTOR.values}
    ours = {v.name: v.number for v in schema.POOL.FindEnumTypeByName(f"{schema.PACKAGE}.DataType").values}
    assert ours == theirs
    table = {d.name: d.number for d in dtypes.all_dtypes()}
    assert table == {k: v for k, v in theirs.items() if not k.endswith("_REF")}


def test_a_saved_model_round_trips_through_our_schema():
    """Bytes TensorFlow wrote, parsed by our schema and re-encoded, are what TensorFlow parses back unchanged."""
    from tensorflow.core.protobuf import saved_model_pb2

    pb = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_tf2_cpu" / "00000123" / \
        "saved_model.pb"
    data = pb.read_bytes()
    ours = schema.SavedModel.FromString(data)
    assert sorted(ours.meta_graphs[0].signature_def) == sorted(saved_model_pb2.SavedModel.FromString(data)
                                                               .meta_graphs[0].signature_def)
    assert saved_model_pb2.SavedModel.FromString(ours.SerializeToString()) == saved_model_pb2.SavedModel.FromString(data)


TRAP = """
import sys
first, second = sys.argv[1:]
def load(what):
    if what == "schema":
        from explorer.core import schema
        return schema.SavedModel
    from tensorflow.core.protobuf import saved_model_pb2
    import tensorflow as tf
    return saved_model_pb2.SavedModel
a = load(first)
b = load(second)
tensor = __import__("explorer.core.schema", fromlist=["x"]).TensorProto(dtype=1)
tensor.tensor_shape.dim.add(size=3)
print("ok", a.DESCRIPTOR.full_name, b.DESCRIPTOR.full_name, tensor.ByteSize())
"""


@pytest.mark.parametrize("order", [("schema", "tensorflow"), ("tensorflow", "schema")])
def test_schema_and_tensorflow_share_a_process(order):
    """The descriptor-pool trap (docs/ARCHITECTURE.md): TensorFlow's full names in protobuf's default pool would break
    a later `import tensorflow`."""
    done = subprocess.run([sys.executable, "-c", TRAP, *order], capture_output=True, text=True, cwd=ROOT,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[0] == "ok"
