"""A GraphDef's NodeDef read from its wire bytes without TensorFlow: the fields the graph walkers use."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import wire


@dataclass
class Node:
    """A NodeDef's name, op, inputs and the spans of the attrs that were kept."""

    name: str = ""
    op: str = ""
    inputs: list[str] = field(default_factory=list)
    attrs: dict[str, tuple[int, int]] = field(default_factory=dict)  # attr name -> AttrValue span


def read_node(buf, span: tuple[int, int], keep: Callable[[str], bool] = lambda key: True) -> Node:
    """NodeDef (1 name, 2 op, 3 input, 5 attr map<string, AttrValue>) -> Node holding the attrs `keep(name)` takes."""
    node = Node()
    for number, wire_type, value, _ in wire.fields(buf, *span):
        if wire_type != wire.LEN:
            continue
        if number == 1:
            node.name = wire.text(buf, value)
        elif number == 2:
            node.op = wire.text(buf, value)
        elif number == 3:
            node.inputs.append(wire.text(buf, value))
        elif number == 5:
            key, attr = wire.map_entry(buf, value)
            if attr is not None and keep(key):
                node.attrs[key] = attr
    return node
