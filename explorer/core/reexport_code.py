"""The TensorFlow code of a re-export (core.reexport's Plan), for users to read and put in their own export script.

The code does what core.reexport does -- load, wrap the signature (or function) in a tf.function whose input
signature applies the edits, save with the other signatures, put classify/regress back -- in plain TensorFlow, with
no import of this app. Tests run it and compare what it writes with what the app writes.
"""
from __future__ import annotations

import keyword
from pathlib import Path

from . import dtypes
from .errors import ExplorerError
from .reexport import (DEFAULT_KEY, Plan, TensorEdit, _frees_batch, edited_key, edited_signature, planned_signatures,
                       source_of)
from .request_code import Snippet
from .savedmodel import ModelInfo
from .signature import PREDICT

KIND = "tensorflow-reexport"


def reexport_code(info: ModelInfo, plan: Plan, destination: str) -> Snippet:
    """A Python script that writes the re-export of `plan` into `destination` (a base path: its next version)."""
    from .reexport import destination_of

    planned = planned_signatures(info, plan)
    source = source_of(info, plan.signature, plan.function)
    new_key = edited_key(info, plan)
    edited = edited_signature(source, plan, new_key)
    try:
        final, version = destination_of(destination)
        dest_note = f"  # version {version} of the TF Serving base path {final.parent}" if version else ""
        dest = str(final)
    except ExplorerError:
        dest, dest_note = str(Path(destination)), ""
    tags = list(info.tag_set)
    lines = [f'"""Re-export {info.model_dir} with a corrected signature (written by Signature Explorer).',
             "",
             "Run it with TensorFlow 2; it writes a new SavedModel and leaves the original untouched.",
             '"""',
             "import tensorflow as tf",
             "",
             f"SOURCE = {info.model_dir!r}",
             f"DESTINATION = {dest!r}{dest_note}",
             "",
             f"model = tf.saved_model.load(SOURCE, tags={tags!r})"]
    if source.function is None:
        lines.append(f"old = model.signatures[{source.key!r}]")
    else:
        f = source.function
        if f.fixed:
            raise ExplorerError(f"The function '{f.name}' takes nested or Python arguments; the app re-exports it, "
                                "but its code here would be too long to read.",
                                fix="Re-export it with Edit and Re-export (or the reexport command).")
        index = _trace_index(f.name)
        lines += [f"old = model.{f.path}.concrete_functions[{index}]  # the saved trace this signature calls",
                  "",
                  "",
                  "def named(result):",
                  '    """The function\'s result as {key: tensor}: a dict as it is, a tuple as output_0, output_1 ..."""',
                  "    if isinstance(result, dict):",
                  "        return dict(result)",
                  "    if isinstance(result, (list, tuple)):",
                  '        return {f"output_{i}": t for i, t in enumerate(result)}',
                  '    return {"output_0": result}']
    lines += ["", ""]
    old_inputs = list(source.signature.inputs.items())
    params = _params([plan.inputs.get(k, TensorEdit()).key or k for k, _ in old_inputs])
    lines.append("@tf.function(input_signature=[")
    for (old_key, _), param in zip(old_inputs, params):
        spec = edited.inputs[plan.inputs.get(old_key, TensorEdit()).key or old_key]
        lines.append(f"    tf.TensorSpec({_shape(spec.shape)}, {_tf(spec.dtype)}, name={spec.key!r}),")
    lines.append("])")
    function_name = _identifier(new_key)
    lines.append(f"def {function_name}({', '.join(params)}):")
    call_args = []
    for (old_key, spec), param in zip(old_inputs, params):
        edit = plan.inputs.get(old_key, TensorEdit())
        expr = param
        if edit.dtype and edit.dtype != spec.dtype:
            expr = f"tf.cast({expr}, {_tf(spec.dtype)})"
        expr = _affine(expr, edit, spec.dtype)
        if expr != param:
            lines.append(f"    {param} = {expr}")
        call_args.append((old_key, param))
    if source.function is None:
        kwargs = ", ".join(f"{k}={p}" if k.isidentifier() and not keyword.iskeyword(k) else f"**{{{k!r}: {p}}}"
                           for k, p in call_args)
        lines.append(f"    outputs = old({kwargs})")
    else:
        lines.append(f"    outputs = named(old({', '.join(p for _, p in call_args)}))")
    frees = _frees_batch(source.signature, plan)
    returned = []
    for old_key, spec in source.signature.outputs.items():
        edit = plan.outputs.get(old_key, TensorEdit())
        expr = _affine(f"outputs[{old_key!r}]", edit, spec.dtype)
        if edit.dtype and edit.dtype != spec.dtype:
            expr = f"tf.cast({expr}, {_tf(edit.dtype)})"
        new_spec = edited.outputs[edit.key or old_key]
        if frees and new_spec.shape:
            lines.append("    # The old graph fixed the batch in its outputs' static shape: declare it free.")
            expr = f"tf.raw_ops.PlaceholderWithDefault(input={expr}, shape={_shape(new_spec.shape)})"
        returned.append(f"{new_spec.key!r}: {expr}")
    lines.append("    return {" + ", ".join(returned) + "}")
    lines += ["", "",
              "module = tf.Module()",
              "module.model = model  # tracked, so the weights are saved as variables (not folded into constants)",
              "signatures = {",
              f"    {new_key!r}: {function_name}.get_concrete_function(),"]
    for key in planned:
        if key == new_key or key == DEFAULT_KEY and plan.default:
            continue
        lines.append(f"    {key!r}: model.signatures[{key!r}],  # kept as it was")
    if plan.default:
        lines.append(f"    {DEFAULT_KEY!r}: {function_name}.get_concrete_function(),  # also the default")
    lines += ["}", "tf.saved_model.save(module, DESTINATION, signatures=signatures)"]
    methods = {k: s.method_name for k, s in planned.items() if s.method_name not in ("", PREDICT)}
    if methods:
        lines += ["",
                  "# tf.saved_model.save writes every signature as predict: put classify/regress back.",
                  "from tensorflow.core.protobuf import saved_model_pb2",
                  "",
                  "proto = saved_model_pb2.SavedModel()",
                  'with open(f"{DESTINATION}/saved_model.pb", "rb") as f:',
                  "    proto.ParseFromString(f.read())",
                  f"for key, method in {methods!r}.items():",
                  "    proto.meta_graphs[0].signature_def[key].method_name = method",
                  'with open(f"{DESTINATION}/saved_model.pb", "wb") as f:',
                  "    f.write(proto.SerializeToString())",
                  'tf.io.gfile.remove(f"{DESTINATION}/fingerprint.pb")  # it described the file before the change']
    lines += ["", 'print("wrote", DESTINATION)']
    return Snippet(kind=KIND, language="python", text="\n".join(lines) + "\n")


def _trace_index(name: str) -> int:
    return int(name.rsplit("[", 1)[1].rstrip("]")) - 1 if name.endswith("]") else 0


def _params(keys: list[str]) -> list[str]:
    out = []
    for i, key in enumerate(keys):
        name = _identifier(key)
        out.append(name if name not in out else f"{name}_{i}")
    return out


def _identifier(key: str) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in key) or "arg"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _shape(shape) -> str:
    if shape is None:
        return "None"
    return "[" + ", ".join("None" if d is None or d < 0 else str(d) for d in shape) + "]"


def _tf(dtype: str) -> str:
    dt = dtypes.lookup(dtype)
    return "tf.string" if dt.is_string else f"tf.{dt.np.name}"


def _affine(expr: str, edit: TensorEdit, dtype: str) -> str:
    tf_dtype = _tf(dtype)
    if edit.divisor is not None:
        expr = f"{expr} / tf.constant({edit.divisor!r}, {tf_dtype})"
    elif edit.scale is not None:
        expr = f"{expr} * tf.constant({edit.scale!r}, {tf_dtype})"
    if edit.shift is not None:
        expr = f"{expr} + tf.constant({edit.shift!r}, {tf_dtype})"
    return expr
