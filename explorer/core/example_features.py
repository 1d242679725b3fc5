"""The tf.Example features a serialized-Example input takes, read from the graph's ParseExample ops (no TensorFlow).

A classify/regress signature (or any input of serialized tf.Examples) says only "string": the feature names, kinds
and shapes live in the ParseExample / ParseExampleV2 / ParseSingleExample node that reads it (dense keys and sparse
keys are Const inputs or attrs, kinds in Tdense/sparse_types, shapes in dense_shapes). Knowing them lets the default
request and the check's probes be Examples the model accepts, instead of `{}` (refused for every required feature)
or a guess. Read only for signatures with such an input, so other models pay nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import wire
from .graph_nodes import Node, read_node

PARSE_OPS = ("ParseExample", "ParseExampleV2", "ParseSingleExample")
_KINDS = {1: "float", 9: "int64", 7: "bytes"}  # DT_FLOAT, DT_INT64, DT_STRING: the three an Example holds
_PASS_THROUGH = ("Identity", "IdentityN", "Placeholder", "PlaceholderWithDefault", "Reshape", "ExpandDims")


def is_example_input(spec, method: str = "predict") -> bool:
    """Whether a string input most likely takes serialized tf.Examples (classify/regress, or named so)."""
    return method in ("classify", "regress") or "example" in (spec.key + spec.name).lower()


# TF2 re-exports of classify/regress signatures call every method "predict" but keep the key "inputs": the graph is
# read for these too, and its ParseExample (when there is one) says they are Examples.
MAYBE_EXAMPLE_KEYS = ("inputs", "examples", "tf_example", "serialized_examples")


@dataclass(frozen=True)
class Feature:
    """One feature a ParseExample reads: name, kind ("float", "int64", "bytes"), dense shape (() for sparse), and
    whether a dense one has no default (an Example without it is refused)."""

    name: str
    kind: str
    shape: tuple[int, ...] = ()
    required: bool = False
    sparse: bool = False

    def value(self) -> list:
        """A neutral value of this feature: zeros (empty text) of its shape; one value for sparse features."""
        count = 1
        for d in self.shape:
            count *= max(d, 1)  # -1 (a varlen dense feature) reads as one value
        zero = {"float": 0.0, "int64": 0, "bytes": ""}[self.kind]
        return [zero] * count


@dataclass
class _Site:
    container: str  # "" for the top-level graph, else a function's name
    serialized: str  # the node (in `container`) feeding its serialized input, traced through Identity and the like
    features: tuple[Feature, ...]


def read_sites(buf, graph_span) -> list[_Site]:
    """Every Parse*Example node of a GraphDef span (top level and function library) with the features it reads."""
    containers: dict[str, dict[str, Node]] = {"": {}}
    for n, w, v, _ in wire.fields(buf, *graph_span):
        if n == 1 and w == wire.LEN:
            name, facts = _node(buf, v)
            containers[""][name] = facts
        elif n == 2 and w == wire.LEN:  # FunctionDefLibrary: 1 function {1 signature {1 name}, 3 node_def}
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 != 1 or w2 != wire.LEN:
                    continue
                fname, nodes = "", {}
                for n3, w3, v3, _ in wire.fields(buf, *v2):
                    if n3 == 1 and w3 == wire.LEN:
                        fname = next((wire.text(buf, v4) for n4, w4, v4, _ in wire.fields(buf, *v3)
                                      if n4 == 1 and w4 == wire.LEN), "")
                    elif n3 == 3 and w3 == wire.LEN:
                        name, facts = _node(buf, v3)
                        nodes[name] = facts
                containers[fname] = nodes
    sites = []
    for container, nodes in containers.items():
        for facts in nodes.values():
            if facts.op in PARSE_OPS:
                try:
                    features = _features(buf, facts, nodes)
                except (wire.WireError, ValueError, IndexError, KeyError):
                    continue  # an op we cannot read is an unknown spec, never an unreadable model
                if features is not None:
                    sites.append(_Site(container, _source(facts.inputs[0] if facts.inputs else "", nodes), features))
    return sites


def for_signature(signature, input_names: dict[str, str], sites: list[_Site]) -> dict[str, tuple[Feature, ...]]:
    """input key -> features, for each serialized-Example input whose features the graph tells: the parse node fed
    by that input (TF1 graphs), else the one feature set every parse node of the model agrees on."""
    out = {}
    distinct = {s.features for s in sites}
    for key, tensor in input_names.items():
        node = tensor.split(":", 1)[0]
        fed = [s for s in sites if s.container == "" and s.serialized == node]
        if fed:
            merged: dict[str, Feature] = {}
            for site in fed:
                for f in site.features:
                    merged.setdefault(f.name, f)
            out[key] = tuple(merged.values())
        elif len(distinct) == 1:
            out[key] = next(iter(distinct))
    return out


def default_example(features, typed: bool = True) -> dict:
    """One tf.Example (feature -> values) the parse op accepts: every required dense feature at zero (empty text);
    features with a default, and sparse ones, are left out, so the model uses its own default. `typed` writes text
    features as {"bytes_list": [...]}: an empty string alone would read back from the form's table as a float."""
    return {f.name: ({"bytes_list": f.value()} if typed and f.kind == "bytes" else f.value())
            for f in features if f.required and not f.sparse}


def empty_examples_note(signature, key: str, source) -> str:
    """One line when `source` sends only empty tf.Examples to `key` and the signature does not know the features
    (a server's metadata never names them; a graph without a ParseExample): what was sent and the fix; else ""."""
    import json

    if source.kind != "examples" or key not in signature.inputs or key in signature.example_features:
        return ""
    try:
        value = json.loads(source.text)
    except ValueError:
        return ""
    examples = [value] if isinstance(value, dict) else value
    if not isinstance(examples, list) or any(not isinstance(ex, dict) or ex for ex in examples):
        return ""
    return (f"{key}: empty tf.Examples were sent: the features it takes cannot be known here (a server's metadata "
            f"does not name them). Fix: give yours, e.g. --example '{key}=[{{\"feature\": 1.0}}]' (the window: "
            "+ feature in the form).")


def _node(buf, span) -> tuple[str, Node]:
    node = read_node(buf, span)
    if node.op not in PARSE_OPS and node.op != "Const":
        node.attrs = {}  # only parse ops' and constants' attrs are used: the other nodes of a large graph hold none
    return node.name, node


def _source(tensor: str, nodes: dict[str, Node]) -> str:
    """The node a tensor comes from, through ops that pass the serialized strings on unchanged."""
    name = tensor.lstrip("^").split(":", 1)[0]
    for _ in range(16):
        facts = nodes.get(name)
        if facts is None or facts.op not in _PASS_THROUGH or not facts.inputs or facts.op.startswith("Placeholder"):
            return name
        name = facts.inputs[0].lstrip("^").split(":", 1)[0]
    return name


def _attr_list(buf, span, field: int) -> list:
    """AttrValue.list's repeated `field` (2 s, 3 i, 6 type, 7 shape): strings as text, shapes as spans."""
    out = []
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 1 and w == wire.LEN:
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 != field:
                    continue
                if w2 == wire.LEN and field == 2:
                    out.append(wire.text(buf, v2))
                elif w2 == wire.LEN and field == 7:
                    out.append(v2)
                elif w2 == wire.LEN:  # packed enums/ints
                    pos, end = v2
                    while pos < end:
                        value, pos = wire.varint(buf, pos, end)
                        out.append(value)
                else:
                    out.append(v2)
    return out


def _shape(buf, span) -> tuple[int, ...]:
    dims = []
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 2 and w == wire.LEN:  # Dim: 1 size
            dims.append(next((wire.int64(v2) for n2, w2, v2, _ in wire.fields(buf, *v) if n2 == 1), 0))
    return tuple(dims)


def _const(buf, tensor: str, nodes: dict[str, Node]):
    """A Const input's value (nested lists, as savedmodel decodes defaults) and whether it is empty; None if not."""
    from .savedmodel import _default_value

    facts = nodes.get(tensor.lstrip("^").split(":", 1)[0])
    if facts is None or facts.op != "Const" or "value" not in facts.attrs:
        return None
    for n, w, v, _ in wire.fields(buf, *facts.attrs["value"]):
        if n == 8 and w == wire.LEN:  # AttrValue.tensor
            return _default_value(bytes(buf[v[0]:v[1]]))
    return None


def _flat(value) -> list:
    if isinstance(value, list):
        return [x for item in value for x in _flat(item)]
    return [value]


def _features(buf, facts: Node, nodes) -> tuple[Feature, ...] | None:
    attrs, inputs = facts.attrs, facts.inputs
    tdense = _attr_list(buf, attrs["Tdense"], 6) if "Tdense" in attrs else []
    shapes = [_shape(buf, s) for s in _attr_list(buf, attrs["dense_shapes"], 7)] if "dense_shapes" in attrs else []
    sparse_types = _attr_list(buf, attrs["sparse_types"], 6) if "sparse_types" in attrs else []
    if facts.op == "ParseSingleExample":
        dense_keys = _attr_list(buf, attrs.get("dense_keys", (0, 0)), 2)
        sparse_keys = _attr_list(buf, attrs.get("sparse_keys", (0, 0)), 2)
        defaults = inputs[1:1 + len(dense_keys)]
    elif facts.op == "ParseExampleV2":
        sparse_value, dense_value = _const(buf, inputs[2], nodes), _const(buf, inputs[3], nodes)
        if sparse_value is None or dense_value is None:
            return None
        sparse_keys, dense_keys = _flat(sparse_value), _flat(dense_value)
        defaults = inputs[5:5 + len(dense_keys)]
    else:  # ParseExample: serialized, names, sparse_keys[Nsparse], dense_keys[Ndense], dense_defaults[Ndense]
        n_sparse = len(sparse_types)
        n_dense = len(tdense)
        keys = [_const(buf, t, nodes) for t in inputs[2:2 + n_sparse + n_dense]]
        if any(k is None for k in keys) or len(keys) != n_sparse + n_dense:
            return None
        sparse_keys = [str(_flat(k)[0]) for k in keys[:n_sparse]]
        dense_keys = [str(_flat(k)[0]) for k in keys[n_sparse:]]
        defaults = inputs[2 + n_sparse + n_dense:2 + n_sparse + 2 * n_dense]
    if len(dense_keys) != len(tdense) or len(sparse_keys) != len(sparse_types):
        return None
    features = []
    for i, (name, kind) in enumerate(zip(dense_keys, tdense)):
        # Required when its default is an empty Const; a computed default (TF1 reshapes it) is a default too.
        source = nodes.get(defaults[i].lstrip("^").split(":", 1)[0]) if i < len(defaults) else None
        default = _const(buf, defaults[i], nodes) if source is not None and source.op == "Const" else 0
        required = default is None or not _flat(default)
        shape = shapes[i] if i < len(shapes) else ()
        features.append(Feature(str(name), _KINDS.get(kind, "float"), tuple(shape), required))
    features += [Feature(str(name), _KINDS.get(kind, "bytes"), (), False, True)
                 for name, kind in zip(sparse_keys, sparse_types)]
    return tuple(features)
