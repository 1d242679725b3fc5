"""tf.Example from plain feature dicts, serialized with the private schema (no TensorFlow import).

A feature dict maps a feature name to a value or a list of values. The kind of each feature is inferred
the way TF Serving's REST API infers it for classify/regress: whole numbers -> int64_list, any float ->
float_list, text or {"b64": ...} -> bytes_list. A value may also be written {"float_list": [...]},
{"int64_list": [...]} or {"bytes_list": [...]} to say the kind outright (e.g. a float feature of whole numbers).
"""
from __future__ import annotations

import base64
import binascii
import json
import numbers

import numpy as np

from .errors import InputProblem

_KINDS = ("bytes_list", "float_list", "int64_list")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_examples(text: str, key: str | None = None) -> list[dict]:
    """JSON text of one feature dict or a list of them -> list of dicts; InputProblem when it is not that."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputProblem(
            key,
            f"{_who(key)}the tf.Example text is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
            fix='Write a JSON list of feature dicts, e.g. [{"x": 1.0}, {"x": 2.0}].',
        ) from exc
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        got = _json_kind(value)
    else:
        bad = next((i for i, v in enumerate(value) if not isinstance(v, dict)), None)
        got = None if bad is None else f"a list whose item {bad} is {_json_kind(value[bad])}"
    if got:
        raise InputProblem(
            key, f"{_who(key)}tf.Examples must be written as a JSON object or a list of objects, not {got}.",
            fix='Write a JSON list of feature dicts, e.g. [{"x": 1.0}, {"x": 2.0}].',
        )
    return value


def serialize_examples(examples: list[dict], key: str | None = None) -> np.ndarray:
    """Feature dicts -> 1-D object array of serialized tf.Example bytes (deterministic: same dicts, same bytes)."""
    from .schema import Example

    if isinstance(examples, dict):
        examples = [examples]
    out = np.empty(len(examples), dtype=object)
    for i, features in enumerate(examples):
        if not isinstance(features, dict):
            raise InputProblem(
                key, f"{_who(key)}example {i} is {_json_kind(features)}, not a dict of features.",
                fix='Each example is a dict such as {"x": 1.0, "label": "cat"}.',
            )
        message = Example()
        for name, value in features.items():
            kind, values = feature_values(value, name=str(name), index=i, key=key)
            getattr(message.features.feature[str(name)], kind).value.extend(values)
        out[i] = message.SerializeToString(deterministic=True)
    return out


def feature_values(value, *, name: str = "", index: int = 0, key: str | None = None) -> tuple[str, list]:
    """One feature's value -> (kind, values): kind is "bytes_list", "float_list" or "int64_list"."""
    forced = None
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _KINDS:
        forced, value = next(iter(value.items()))
    items = list(value.reshape(-1)) if isinstance(value, np.ndarray) else (
        list(value) if isinstance(value, (list, tuple)) else [value])
    where = f"{_who(key)}feature {name!r} of example {index}"

    kinds = set()
    for item in items:
        if isinstance(item, (bytes, str)) or (isinstance(item, dict) and "b64" in item):
            kinds.add("bytes_list")
        elif isinstance(item, (bool, np.bool_)) or isinstance(item, numbers.Integral):
            kinds.add("int64_list")
        elif isinstance(item, numbers.Real):
            kinds.add("float_list")
        else:
            raise InputProblem(
                key, f"{where} holds {_json_kind(item)}; a tf.Example feature holds numbers or text.",
                fix="Use numbers, strings, {\"b64\": \"...\"} for raw bytes, or a flat list of one of these.",
            )
    if forced:
        kind = forced
    elif not kinds:
        kind = "float_list"  # an empty list: TF Serving's REST API also defaults to floats
    elif kinds <= {"int64_list", "float_list"}:
        kind = "float_list" if "float_list" in kinds else "int64_list"
    elif len(kinds) == 1:
        kind = kinds.pop()
    else:
        raise InputProblem(
            key, f"{where} mixes text and numbers; one feature holds values of one kind.",
            fix="Split it into two features, or write the numbers as text.",
        )

    if kind == "bytes_list":
        if kinds - {"bytes_list"}:
            raise InputProblem(key, f"{where} is declared bytes_list but holds numbers.", fix="Write the values as strings.")
        return kind, [_bytes(v, where, key) for v in items]
    if "bytes_list" in kinds:
        raise InputProblem(key, f"{where} is declared {kind} but holds text.", fix="Write the values as numbers.")
    if kind == "int64_list":
        ints = []
        for v in items:
            if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral) and not float(v).is_integer():
                raise InputProblem(key, f"{where} is declared int64_list but holds {v}, not a whole number.",
                                   fix="Use float_list for fractional values.")
            iv = int(v)
            if not _INT64_MIN <= iv <= _INT64_MAX:
                raise InputProblem(key, f"{where} holds {iv}, which does not fit in int64.", fix="Use smaller values.")
            ints.append(iv)
        return kind, ints
    return kind, [float(v) for v in items]


def _bytes(value, where: str, key: str | None) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise InputProblem(key, f"{where} has a \"b64\" value that is not valid base64.",
                               fix="Encode the bytes with standard base64 (A-Z, a-z, 0-9, +, /, = padding).") from exc
    return value.encode("utf-8")


def _who(key: str | None) -> str:
    return f"{key}: " if key else ""


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
