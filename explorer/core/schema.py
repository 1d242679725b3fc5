"""The few TensorFlow messages we read, declared in a private protobuf descriptor pool.

Why a private pool built here rather than TensorFlow's own `saved_model_pb2`: importing that loads all of
TensorFlow (~1.9 s, ~520 MB), and registering messages under TensorFlow's full names in protobuf's default pool
makes a later `import tensorflow` fail with duplicate symbols (docs/ARCHITECTURE.md). So the messages live under the
package `explorer.tf` in a pool of their own. Field numbers and types match TensorFlow's protos exactly (a test
compares them with TensorFlow's descriptors), so the wire bytes parse the same; fields we never read are left
out, and the reader skips their bytes before protobuf sees them.
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from . import dtypes

PACKAGE = "explorer.tf"
F = descriptor_pb2.FieldDescriptorProto

_SCALARS = {
    "int32": F.TYPE_INT32, "int64": F.TYPE_INT64, "uint32": F.TYPE_UINT32, "uint64": F.TYPE_UINT64,
    "float": F.TYPE_FLOAT, "double": F.TYPE_DOUBLE, "bool": F.TYPE_BOOL, "string": F.TYPE_STRING,
    "bytes": F.TYPE_BYTES,
}

# name -> list of (field name, number, type, "repeated"|"optional"|"map:<key>,<value>"|"oneof:<name>")
# A type that is not a scalar names a message or enum of this file.
_MESSAGES: dict[str, list[tuple]] = {
    "TensorShapeProto": [("dim", 2, "TensorShapeProto.Dim", "repeated"), ("unknown_rank", 3, "bool", "")],
    "TensorShapeProto.Dim": [("size", 1, "int64", ""), ("name", 2, "string", "")],
    "TensorProto": [
        ("dtype", 1, "DataType", ""), ("tensor_shape", 2, "TensorShapeProto", ""), ("version_number", 3, "int32", ""),
        ("tensor_content", 4, "bytes", ""), ("half_val", 13, "int32", "repeated"), ("float_val", 5, "float", "repeated"),
        ("double_val", 6, "double", "repeated"), ("int_val", 7, "int32", "repeated"),
        ("string_val", 8, "bytes", "repeated"), ("scomplex_val", 9, "float", "repeated"),
        ("int64_val", 10, "int64", "repeated"), ("bool_val", 11, "bool", "repeated"),
        ("dcomplex_val", 12, "double", "repeated"), ("uint32_val", 16, "uint32", "repeated"),
        ("uint64_val", 17, "uint64", "repeated"),
    ],
    "TensorInfo": [
        ("name", 1, "string", "oneof:encoding"), ("coo_sparse", 4, "TensorInfo.CooSparse", "oneof:encoding"),
        ("composite_tensor", 5, "TensorInfo.CompositeTensor", "oneof:encoding"),
        ("dtype", 2, "DataType", ""), ("tensor_shape", 3, "TensorShapeProto", ""),
    ],
    "TensorInfo.CooSparse": [
        ("values_tensor_name", 1, "string", ""), ("indices_tensor_name", 2, "string", ""),
        ("dense_shape_tensor_name", 3, "string", ""),
    ],
    "TensorInfo.CompositeTensor": [("type_spec", 1, "TypeSpecProto", ""), ("components", 2, "TensorInfo", "repeated")],
    # Only the class name and component count: type_spec_class (1) and type_state (2) are skipped as unknown
    # fields (text-format exports spell them out, so type_spec must be a message here, not opaque bytes).
    "TypeSpecProto": [("type_spec_class_name", 3, "string", ""), ("num_flat_components", 4, "int32", "")],
    "SignatureDef": [
        ("inputs", 1, "TensorInfo", "map:string"), ("outputs", 2, "TensorInfo", "map:string"),
        ("method_name", 3, "string", ""), ("defaults", 4, "TensorProto", "map:string"),
    ],
    "AssetFileDef": [("tensor_info", 1, "TensorInfo", ""), ("filename", 2, "string", "")],
    # The signature reader skips graph_def (2), saver_def (3), collection_def (4) and object_graph_def (7) by length;
    # they are declared so that a text SavedModel (saved_model.pbtxt) keeps its graph when re-encoded for the safety
    # scan (core/scan.py), which reads the same bytes as for a binary file. object_graph_def is TF2-only: TF2 never
    # writes text, so it stays out.
    "MetaGraphDef": [
        ("meta_info_def", 1, "MetaGraphDef.MetaInfoDef", ""), ("graph_def", 2, "GraphDef", ""),
        ("saver_def", 3, "SaverDef", ""), ("collection_def", 4, "CollectionDef", "map:string"),
        ("signature_def", 5, "SignatureDef", "map:string"), ("asset_file_def", 6, "AssetFileDef", "repeated"),
    ],
    "GraphDef": [("node", 1, "NodeDef", "repeated"), ("library", 2, "FunctionDefLibrary", "")],
    "NodeDef": [
        ("name", 1, "string", ""), ("op", 2, "string", ""), ("input", 3, "string", "repeated"),
        ("device", 4, "string", ""), ("attr", 5, "AttrValue", "map:string"),
    ],
    "AttrValue": [
        ("list", 1, "AttrValue.ListValue", "oneof:value"), ("s", 2, "bytes", "oneof:value"),
        ("i", 3, "int64", "oneof:value"), ("f", 4, "float", "oneof:value"), ("b", 5, "bool", "oneof:value"),
        ("type", 6, "DataType", "oneof:value"), ("shape", 7, "TensorShapeProto", "oneof:value"),
        ("tensor", 8, "TensorProto", "oneof:value"), ("placeholder", 9, "string", "oneof:value"),
        ("func", 10, "NameAttrList", "oneof:value"),
    ],
    "AttrValue.ListValue": [
        ("s", 2, "bytes", "repeated"), ("i", 3, "int64", "repeated"), ("f", 4, "float", "repeated"),
        ("b", 5, "bool", "repeated"), ("type", 6, "DataType", "repeated"), ("shape", 7, "TensorShapeProto", "repeated"),
        ("tensor", 8, "TensorProto", "repeated"), ("func", 9, "NameAttrList", "repeated"),
    ],
    "NameAttrList": [("name", 1, "string", ""), ("attr", 2, "AttrValue", "map:string")],
    "FunctionDefLibrary": [("function", 1, "FunctionDef", "repeated")],
    "FunctionDef": [
        ("signature", 1, "OpDef", ""), ("node_def", 3, "NodeDef", "repeated"), ("ret", 4, "string", "map:string"),
    ],
    "OpDef": [("name", 1, "string", "")],
    "SaverDef": [
        ("filename_tensor_name", 1, "string", ""), ("save_tensor_name", 2, "string", ""),
        ("restore_op_name", 3, "string", ""),
    ],
    "CollectionDef": [("node_list", 1, "CollectionDef.NodeList", "oneof:kind")],
    "CollectionDef.NodeList": [("value", 1, "string", "repeated")],
    "MetaGraphDef.MetaInfoDef": [
        ("meta_graph_version", 1, "string", ""), ("tags", 4, "string", "repeated"),
        ("tensorflow_version", 5, "string", ""), ("tensorflow_git_version", 6, "string", ""),
        ("stripped_default_attrs", 7, "bool", ""), ("function_aliases", 8, "string", "map:string"),
    ],
    "SavedModel": [("saved_model_schema_version", 1, "int64", ""), ("meta_graphs", 2, "MetaGraphDef", "repeated")],
    "FingerprintDef": [
        ("saved_model_checksum", 1, "uint64", ""), ("graph_def_program_hash", 2, "uint64", ""),
        ("signature_def_hash", 3, "uint64", ""), ("saved_object_graph_hash", 4, "uint64", ""),
        ("checkpoint_hash", 5, "uint64", ""),
    ],
    # tf.Example (tensorflow/core/example/{example,feature}.proto), so inputs can be serialized without TensorFlow.
    # Repeated scalars are packed, as in proto3 and as TF declares FloatList/Int64List.
    "BytesList": [("value", 1, "bytes", "repeated")],
    "FloatList": [("value", 1, "float", "repeated")],
    "Int64List": [("value", 1, "int64", "repeated")],
    "Feature": [
        ("bytes_list", 1, "BytesList", "oneof:kind"), ("float_list", 2, "FloatList", "oneof:kind"),
        ("int64_list", 3, "Int64List", "oneof:kind"),
    ],
    "Features": [("feature", 1, "Feature", "map:string")],
    "Example": [("features", 1, "Features", "")],
}

# Fields we keep of each MetaGraphDef; everything else (the graph above all) is skipped unread.
META_GRAPH_FIELDS_READ = frozenset({1, 5, 6})


def _file_proto() -> descriptor_pb2.FileDescriptorProto:
    fp = descriptor_pb2.FileDescriptorProto(name="explorer/tf_subset.proto", package=PACKAGE, syntax="proto3")
    enum = fp.enum_type.add(name="DataType")
    for dt in dtypes.all_dtypes():
        enum.value.add(name=dt.name, number=dt.number)
    for dt in dtypes.all_dtypes():
        if dt.number:
            enum.value.add(name=dt.name + "_REF", number=dt.number + dtypes.REF_OFFSET)

    protos: dict[str, descriptor_pb2.DescriptorProto] = {}
    for full in _MESSAGES:  # parents are listed before their nested types
        parent, _, leaf = full.rpartition(".")
        container = protos[parent].nested_type if parent else fp.message_type
        protos[full] = container.add(name=leaf)

    for full, fields in _MESSAGES.items():
        msg = protos[full]
        oneofs: dict[str, int] = {}
        for name, number, ftype, how in fields:
            field = msg.field.add(name=name, number=number, json_name=_camel(name))
            field.label = F.LABEL_REPEATED if how == "repeated" or how.startswith("map:") else F.LABEL_OPTIONAL
            if how.startswith("map:"):
                entry = msg.nested_type.add(name=_camel(name, upper=True) + "Entry")
                entry.options.map_entry = True
                _set_type(entry.field.add(name="key", number=1, label=F.LABEL_OPTIONAL, json_name="key"), how[4:])
                _set_type(entry.field.add(name="value", number=2, label=F.LABEL_OPTIONAL, json_name="value"), ftype)
                field.type = F.TYPE_MESSAGE
                field.type_name = f".{PACKAGE}.{full}.{entry.name}"
                continue
            if how.startswith("oneof:"):
                group = how[6:]
                if group not in oneofs:
                    oneofs[group] = len(msg.oneof_decl)
                    msg.oneof_decl.add(name=group)
                field.oneof_index = oneofs[group]
            _set_type(field, ftype)
    return fp


def _set_type(field, ftype: str) -> None:
    if ftype in _SCALARS:
        field.type = _SCALARS[ftype]
    elif ftype == "DataType":
        field.type = F.TYPE_ENUM
        field.type_name = f".{PACKAGE}.DataType"
    else:
        field.type = F.TYPE_MESSAGE
        field.type_name = f".{PACKAGE}.{ftype}"


def _camel(name: str, upper: bool = False) -> str:
    parts = name.split("_")
    head = parts[0].capitalize() if upper else parts[0]
    return head + "".join(p.capitalize() for p in parts[1:])


POOL = descriptor_pool.DescriptorPool()
POOL.Add(_file_proto())


def message_class(name: str):
    """The generated class of one message of the subset, e.g. message_class("SavedModel")."""
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))


SavedModel = message_class("SavedModel")
MetaGraphDef = message_class("MetaGraphDef")
FingerprintDef = message_class("FingerprintDef")
TensorProto = message_class("TensorProto")
Example = message_class("Example")
