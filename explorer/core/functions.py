"""The tf.functions a TF2 SavedModel's object graph holds (name, inputs, outputs), read without TensorFlow.

`MetaGraphDef.object_graph_def` (field 7, a SavedObjectGraph) lists the saved Python objects from the root, the
tf.functions among them, and for each traced form (concrete function) its canonicalized input signature and
output signature as StructuredValues. A model saved with tf.functions but no `signatures=` holds only these, and
TF Serving cannot serve it: listing them is how the user learns which one could become a signature.

Walked with core.wire, like the rest of saved_model.pb, for the reasons savedmodel.py gives (no protobuf import,
no TensorFlow import, and TensorFlow's own message names must not enter protobuf's default pool: docs/ARCHITECTURE.md).
Field numbers are TensorFlow's (saved_object_graph.proto, struct.proto); tests/core/test_functions.py checks
them against TensorFlow's descriptors.
"""
from __future__ import annotations

import collections
import struct
from dataclasses import dataclass, field

from . import dtypes, wire
from .signature import TensorSpec

# SavedObjectGraph: 1 nodes, 2 concrete_functions (map<string, SavedConcreteFunction>)
GRAPH_NODES, GRAPH_CONCRETE = 1, 2
# SavedObject: 1 children (ObjectReference: 1 node_id, 2 local_name); kind oneof: 6 function, 8 bare_concrete_function
OBJECT_CHILDREN, OBJECT_FUNCTION, OBJECT_BARE = 1, 6, 8
REF_NODE_ID, REF_LOCAL_NAME = 1, 2
# SavedFunction: 1 concrete_functions (names), 2 function_spec (FunctionSpec: 1 fullargspec, 2 is_method)
FUNCTION_CONCRETE, FUNCTION_SPEC = 1, 2
SPEC_FULLARGSPEC, SPEC_IS_METHOD = 1, 2
# SavedBareConcreteFunction: 1 concrete_function_name, 2 argument_keywords
BARE_NAME, BARE_KEYWORDS = 1, 2
# SavedConcreteFunction: 3 canonicalized_input_signature, 4 output_signature (StructuredValues)
CONCRETE_INPUTS, CONCRETE_OUTPUTS = 3, 4
# StructuredValue's kinds
SV_NONE, SV_FLOAT64, SV_INT64, SV_STRING, SV_BOOL = 1, 11, 12, 13, 14
SV_SHAPE, SV_DTYPE, SV_TENSOR_SPEC, SV_TYPE_SPEC, SV_BOUNDED_SPEC = 31, 32, 33, 34, 35
SV_LIST, SV_TUPLE, SV_DICT, SV_NAMED_TUPLE, SV_TENSOR, SV_NUMPY = 51, 52, 53, 54, 55, 56
# TensorSpecProto / BoundedTensorSpecProto: 1 name, 2 shape, 3 dtype; TypeSpecProto: 3 type_spec_class_name

MAX_DEPTH = 32  # nesting of StructuredValues; TensorFlow's own exports stay under ten
MAX_FUNCTIONS = 2000  # listed per model; a hostile file cannot make the list (or the tree) unbounded


@dataclass(frozen=True)
class Function:
    """One traced form of a saved tf.function: where it hangs in the object graph, its tensor inputs and outputs."""

    name: str  # path from the root object: "predict", "encoder.__call__"; "name[2]" for a second trace
    path: str  # the same path without the trace index (what reexport's --from-function takes)
    concrete_name: str  # "__inference_predict_42": the graph function
    inputs: dict[str, TensorSpec] = field(default_factory=dict)  # flat, in argument order
    outputs: dict[str, TensorSpec] = field(default_factory=dict)  # dict keys, or output_0 ...; nested: "a_0"
    fixed: dict[str, str] = field(default_factory=dict)  # Python arguments the trace baked in: "training" -> "False"
    problem: str = ""  # why it cannot become a signature as it is ("" when it can)

    @property
    def internal(self) -> bool:
        """Framework plumbing (a leading underscore in the path, other than __call__), hidden by default."""
        return any(part.startswith("_") and part != "__call__" for part in self.path.split("."))

    @property
    def servable(self) -> bool:
        """True when a signature can be made from it: tensor inputs, and outputs that are tensors."""
        return not self.problem

    def to_dict(self) -> dict:
        out = {"path": self.path, "concrete_function": self.concrete_name, "internal": self.internal,
               "inputs": {k: v.to_dict() for k, v in self.inputs.items()},
               "outputs": {k: v.to_dict() for k, v in self.outputs.items()}}
        if self.fixed:
            out["fixed"] = dict(self.fixed)
        if self.problem:
            out["problem"] = self.problem
        return out


class _Composite:
    """A TypeSpec (RaggedTensorSpec, SparseTensorSpec ...) where a tensor would be."""

    def __init__(self, kind: str):
        self.kind = kind or "composite tensor"


class _NamedTuple:
    def __init__(self, name: str, values: dict):
        self.name, self.values = name, values


def read_functions(buf, span: tuple[int, int]) -> tuple[Function, ...]:
    """The functions of one SavedObjectGraph (bytes buf[span]), shortest object path first; raise wire.WireError."""
    nodes: list[tuple[int, int]] = []
    concrete: dict[str, tuple[int, int]] = {}
    for n, w, v, _ in wire.fields(buf, *span):
        if n == GRAPH_NODES and w == wire.LEN:
            nodes.append(v)
        elif n == GRAPH_CONCRETE and w == wire.LEN:
            key, value = wire.map_entry(buf, v)
            if value is not None:
                concrete[key] = value
    if not nodes:
        return ()
    out: list[Function] = []
    # Breadth first from the root, so each function is named by its shortest path (objects are shared freely:
    # a Keras layer is reachable as model.layers[0] and model.dense).
    seen = {0}
    queue = collections.deque([(0, "")])
    while queue and len(out) < MAX_FUNCTIONS:
        node_id, path = queue.popleft()
        children, kind, kind_span = _object(buf, nodes[node_id])
        found = []
        if kind == OBJECT_FUNCTION and path:
            found = _saved_function(buf, kind_span, path, concrete)
        elif kind == OBJECT_BARE and path:
            found = _bare_function(buf, kind_span, path, concrete)
        # A tf.function's traces are also its children (predict.trace_0): list each graph function once.
        out.extend(f for f in found if f.concrete_name not in {g.concrete_name for g in out})
        for child_id, local_name in children:
            if 0 <= child_id < len(nodes) and child_id not in seen:
                if local_name == "signatures":
                    continue  # a signature map (the root's, or a re-exported model's): shown as signatures
                seen.add(child_id)
                queue.append((child_id, f"{path}.{local_name}" if path else local_name))
    return tuple(out[:MAX_FUNCTIONS])


def _object(buf, span):
    children, kind, kind_span = [], 0, None
    for n, w, v, _ in wire.fields(buf, *span):
        if n == OBJECT_CHILDREN and w == wire.LEN:
            node_id, name = -1, ""
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == REF_NODE_ID and w2 == wire.VARINT:
                    node_id = v2
                elif n2 == REF_LOCAL_NAME and w2 == wire.LEN:
                    name = wire.text(buf, v2)
            children.append((node_id, name))
        elif n in (OBJECT_FUNCTION, OBJECT_BARE) and w == wire.LEN:
            kind, kind_span = n, v
    return children, kind, kind_span


def _saved_function(buf, span, path: str, concrete: dict) -> list[Function]:
    names, arg_names, is_method = [], [], False
    for n, w, v, _ in wire.fields(buf, *span):
        if n == FUNCTION_CONCRETE and w == wire.LEN:
            names.append(wire.text(buf, v))
        elif n == FUNCTION_SPEC and w == wire.LEN:
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == SPEC_FULLARGSPEC and w2 == wire.LEN:
                    spec = _value(buf, v2, 0)
                    if isinstance(spec, _NamedTuple):
                        arg_names = [a for a in spec.values.get("args") or [] if isinstance(a, str)]
                elif n2 == SPEC_IS_METHOD and w2 == wire.VARINT:
                    is_method = bool(v2)
    if is_method and arg_names:
        arg_names = arg_names[1:]  # `self` is bound, never passed
    out = []
    for i, name in enumerate(names):
        label = path if len(names) == 1 else f"{path}[{i + 1}]"
        out.append(_function(buf, concrete.get(name), label, path, name, arg_names))
    return out


def _bare_function(buf, span, path: str, concrete: dict) -> list[Function]:
    name, keywords = "", []
    for n, w, v, _ in wire.fields(buf, *span):
        if n == BARE_NAME and w == wire.LEN:
            name = wire.text(buf, v)
        elif n == BARE_KEYWORDS and w == wire.LEN:
            keywords.append(wire.text(buf, v))
    return [_function(buf, concrete.get(name), path, path, name, keywords)] if name else []


def _function(buf, span, label: str, path: str, concrete_name: str, arg_names: list[str]) -> Function:
    if span is None:
        return Function(label, path, concrete_name, problem="its traced graph is missing from the object graph")
    args_value, out_value = None, None
    for n, w, v, _ in wire.fields(buf, *span):
        if n == CONCRETE_INPUTS and w == wire.LEN:
            args_value = _value(buf, v, 0)
        elif n == CONCRETE_OUTPUTS and w == wire.LEN:
            out_value = _value(buf, v, 0)
    inputs: dict[str, TensorSpec] = {}
    fixed: dict[str, str] = {}
    problems: list[str] = []
    positional, keywords = (), {}
    if isinstance(args_value, tuple) and len(args_value) == 2 and isinstance(args_value[1], dict):
        positional, keywords = args_value
    elif isinstance(args_value, (tuple, list)):
        positional = tuple(args_value)
    named = [(arg_names[i] if i < len(arg_names) else f"arg_{i}", value) for i, value in enumerate(positional)]
    named += sorted(keywords.items())
    for arg, value in named:
        _flatten_inputs(arg, value, inputs, fixed, problems)
    outputs: dict[str, TensorSpec] = {}
    if isinstance(out_value, dict):
        for key, value in sorted(out_value.items()):
            _flatten_outputs(str(key), value, outputs, problems)
    elif isinstance(out_value, (tuple, list)):
        for i, value in enumerate(out_value):
            _flatten_outputs(f"output_{i}", value, outputs, problems)
    elif out_value is not None:
        _flatten_outputs("output_0", out_value, outputs, problems)
    if not outputs and not problems:
        problems.append("it returns no tensor")
    return Function(label, path, concrete_name, inputs, outputs, fixed, "; ".join(problems))


def _flatten_inputs(name: str, value, inputs: dict, fixed: dict, problems: list) -> None:
    if isinstance(value, TensorSpec):
        key = value.name or name
        if key in inputs:  # two specs named alike (nested arguments): the argument path is unique
            key = name
        inputs[key] = TensorSpec(key=key, dtype=value.dtype, shape=value.shape, name=name)
    elif isinstance(value, _Composite):
        problems.append(f"input {name} is a {value.kind}, which a signature built here cannot take")
    elif isinstance(value, dict):
        for k, v in sorted(value.items()):
            _flatten_inputs(f"{name}_{k}", v, inputs, fixed, problems)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _flatten_inputs(f"{name}_{i}", v, inputs, fixed, problems)
    elif isinstance(value, _NamedTuple):
        for k, v in value.values.items():
            _flatten_inputs(f"{name}_{k}", v, inputs, fixed, problems)
    else:
        fixed[name] = repr(value)  # a Python value (training=False, None): the trace baked it in


def _flatten_outputs(name: str, value, outputs: dict, problems: list) -> None:
    if isinstance(value, TensorSpec):
        outputs[name] = TensorSpec(key=name, dtype=value.dtype, shape=value.shape, name=value.name)
    elif isinstance(value, _Composite):
        problems.append(f"output {name} is a {value.kind}: a signature's outputs must be tensors")
    elif isinstance(value, dict):
        for k, v in sorted(value.items()):
            _flatten_outputs(f"{name}_{k}", v, outputs, problems)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _flatten_outputs(f"{name}_{i}", v, outputs, problems)
    elif isinstance(value, _NamedTuple):
        for k, v in value.values.items():
            _flatten_outputs(f"{name}_{k}", v, outputs, problems)
    elif value is not None:
        problems.append(f"output {name} is a Python value ({value!r}), not a tensor")


def _value(buf, span, depth: int):
    """One StructuredValue as Python: None, numbers, text, TensorSpec, _Composite, list, tuple, dict, _NamedTuple."""
    if depth > MAX_DEPTH:
        raise wire.WireError("structured value nested too deeply")
    for n, w, v, _ in wire.fields(buf, *span):
        if n == SV_NONE:
            return None
        if n == SV_FLOAT64 and w == wire.I64:
            return struct.unpack("<d", v.to_bytes(8, "little"))[0]
        if n == SV_INT64 and w == wire.VARINT:
            return (v >> 1) ^ -(v & 1)  # sint64: zigzag
        if n == SV_STRING and w == wire.LEN:
            return wire.text(buf, v)
        if n == SV_BOOL and w == wire.VARINT:
            return bool(v)
        if n in (SV_TENSOR_SPEC, SV_BOUNDED_SPEC) and w == wire.LEN:
            return _tensor_spec(buf, v)
        if n == SV_TYPE_SPEC and w == wire.LEN:
            kind = next((wire.text(buf, v2) for n2, w2, v2, _ in wire.fields(buf, *v) if n2 == 3 and w2 == wire.LEN),
                        "")
            return _Composite(kind)
        if n in (SV_LIST, SV_TUPLE) and w == wire.LEN:
            items = [_value(buf, v2, depth + 1) for n2, w2, v2, _ in wire.fields(buf, *v) if n2 == 1 and w2 == wire.LEN]
            return items if n == SV_LIST else tuple(items)
        if n == SV_DICT and w == wire.LEN:
            out = {}
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == 1 and w2 == wire.LEN:
                    key, value = wire.map_entry(buf, v2)
                    out[key] = _value(buf, value, depth + 1) if value is not None else None
            return out
        if n == SV_NAMED_TUPLE and w == wire.LEN:
            name, values = "", {}
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == 1 and w2 == wire.LEN:
                    name = wire.text(buf, v2)
                elif n2 == 2 and w2 == wire.LEN:  # PairValue: 1 key, 2 value
                    key, value = wire.map_entry(buf, v2)
                    values[key] = _value(buf, value, depth + 1) if value is not None else None
            return _NamedTuple(name, values)
        if n == SV_DTYPE and w == wire.VARINT:
            return dtypes.name_of(v)
        if n in (SV_SHAPE, SV_TENSOR, SV_NUMPY):
            return f"<{ {SV_SHAPE: 'shape', SV_TENSOR: 'tensor', SV_NUMPY: 'array'}[n]}>"
    return None


def _tensor_spec(buf, span) -> TensorSpec:
    from .savedmodel import _shape  # one TensorShapeProto decoder

    name, shape, dtype = "", None, 0
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 1 and w == wire.LEN:
            name = wire.text(buf, v)
        elif n == 2 and w == wire.LEN:
            shape = _shape(buf, v)
        elif n == 3 and w == wire.VARINT:
            dtype = v
    return TensorSpec(key=name, dtype=dtypes.name_of(dtype), shape=shape, name=name)


def signature_candidates(functions) -> list[Function]:
    """The functions a signature could be made from, the user's own first (internal plumbing left out)."""
    return [f for f in functions if f.servable and not f.internal]
