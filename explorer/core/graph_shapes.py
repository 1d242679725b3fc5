"""The shapes a TF1 graph's Placeholders take, read from saved_model.pb without TensorFlow.

Old TF1 exports may build a signature input with no shape at all (TensorInfo without tensor_shape), yet the
Placeholder it names takes e.g. (None, 1). Reading that node's `shape` attr (or its `_output_shapes`) lets the
default request and the fix texts use the graph's shape. Only read for signatures with such an input.
"""
from __future__ import annotations

from . import wire
from .graph_nodes import read_node


def placeholder_shapes(buf, graph_span, tensors: set[str]) -> dict[str, tuple[int, ...]]:
    """tensor name ("x:0") -> the shape (-1 for an unknown dim) its top-level graph node declares, for the names
    in `tensors` whose node records a shape of known rank; others are left out."""
    from .savedmodel import _shape as shape_proto

    wanted: dict[str, set[int]] = {}
    for tensor in tensors:
        node, _, index = tensor.partition(":")
        wanted.setdefault(node, set()).add(int(index) if index.isdigit() else 0)
    out: dict[str, tuple[int, ...]] = {}
    for n, w, v, _ in wire.fields(buf, *graph_span):
        if n != 1 or w != wire.LEN:  # GraphDef: 1 node
            continue
        name, attrs = _node(buf, v)
        if name not in wanted:
            continue
        for index in wanted[name]:
            try:
                shape = None
                if index == 0 and "shape" in attrs:  # AttrValue: 7 shape
                    shape = next((shape_proto(buf, v2) for n2, w2, v2, _ in wire.fields(buf, *attrs["shape"])
                                  if n2 == 7 and w2 == wire.LEN), None)
                if shape is None and "_output_shapes" in attrs:  # AttrValue: 1 list {7 shape}
                    shapes = [shape_proto(buf, v3) for n2, w2, v2, _ in wire.fields(buf, *attrs["_output_shapes"])
                              if n2 == 1 and w2 == wire.LEN
                              for n3, w3, v3, _ in wire.fields(buf, *v2) if n3 == 7 and w3 == wire.LEN]
                    shape = shapes[index] if index < len(shapes) else None
            except (wire.WireError, ValueError, IndexError):
                continue  # an attr we cannot read is a shape we do not know, never an unreadable model
            if shape is not None:
                out[f"{name}:{index}"] = tuple(-1 if d < 0 else d for d in shape)
    return out


def _node(buf, span) -> tuple[str, dict]:
    """NodeDef -> its name and the spans of its `shape` and `_output_shapes` attrs."""
    node = read_node(buf, span, keep=lambda key: key in ("shape", "_output_shapes"))
    return node.name, node.attrs
