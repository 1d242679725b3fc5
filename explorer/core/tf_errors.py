"""TensorFlow's error texts -> RunErrors that name the input, the dimension or dtype involved, and a fix.

explain(exc, signature, inputs) reads only the exception's text (never TensorFlow's classes), so this module
imports nothing heavy and is tested with the real exceptions TensorFlow raises. The original text is kept in
`details`: the message is for the user, the details for a bug report.
"""
from __future__ import annotations

import re
import traceback

import numpy as np

from . import dtypes
from .errors import RunError
from .signature import Signature, TensorSpec

# Lines of TF's text that are scaffolding around the one line that says what went wrong.
_NOISE = re.compile(
    r"^\s*$|^Graph execution error:|^Detected at node|defined at \(most recent call last\)|^<stack traces unavailable>"
    r"|^\s*File \"|^Node: |^\s*\[\[|^Original stack trace|^\s+\S|^Instructions for updating"
)
_SHAPE_LIST = r"\[([-\d,\s]*)\]"


def tf_message(exc: BaseException) -> str:
    """The one line of a TensorFlow exception that says what went wrong, without node names and stack noise."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    for line in str(text).splitlines():
        if not _NOISE.search(line):
            return re.sub(r"\s*\[Op:[^\]]*\]\s*$", "", line.strip())
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def explain(exc: BaseException, signature: Signature, inputs: dict[str, np.ndarray]) -> RunError:
    """A TensorFlow failure while running `signature` on `inputs` -> RunError(message, fix, key, details=TF's text)."""
    text = str(getattr(exc, "message", None) or exc)
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    for rule in _RULES:
        found = rule(text, signature, inputs)
        if found:
            message, fix, key, *model_fault = found  # a 4th item: no input can fix it
            return RunError(message, fix=fix, key=key, details=details, input_can_fix=not model_fault)
    where = f"signature '{signature.key}'"
    return RunError(
        f"TensorFlow could not run {where}: {tf_message(exc)}",
        fix=_overview(signature, inputs) or "Check the inputs against the signature.",
        details=details,
    )


def check_keys(signature: Signature, inputs: dict) -> RunError | None:
    """Inputs the signature lacks, or needs and did not get (defaults count as given) -> RunError, else None."""
    extra = [k for k in inputs if k not in signature.inputs]
    missing = [k for k in signature.inputs if k not in inputs and k not in signature.defaults]
    if extra:
        return RunError(_unexpected_message(signature, extra), fix=_keys_fix(signature, extra, missing), key=extra[0])
    if missing:
        return RunError(_missing_message(signature, missing), fix=_keys_fix(signature, extra, missing), key=missing[0])
    return None


def explain_load(model_dir: str, attempts: list[tuple[str, BaseException]]) -> RunError:
    """Every way we tried to load a model failed -> one RunError that says what each attempt ran into."""
    parts = [f"{engine_label(engine)} failed: {_short(tf_message(exc))}" for engine, exc in attempts]
    details = "\n\n".join(
        f"--- {engine_label(engine)} ---\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        for engine, exc in attempts
    )
    custom = next((m.group(1) for _e, exc in attempts
                   for m in [re.search(r"Op type not registered '([^']+)'", tf_message(exc))] if m), None)
    if custom:  # every loader fails the same way: one line naming the op, not two copies of TensorFlow's text
        return RunError(f"TensorFlow cannot load {model_dir}: it uses the custom op '{custom}', which this "
                        "TensorFlow does not define (`scan` shows where it runs).",
                        fix="Load the library that defines it first (tf.load_op_library on its .so, or import the "
                            "package that ships it, such as tensorflow_text) in your own Python; this app runs "
                            "TensorFlow's own ops only.", details=details)
    engines = [e for e, _ in attempts]
    if engines == ["local"]:
        fix = "Try the TF1 session loader (engine 'session', as TF Serving loads models): it runs TF1 graphs " \
              "that TensorFlow 2 rejects, such as reference variables or placeholders without shapes."
    elif engines == ["session"]:
        fix = "Try engine 'local' (tf.saved_model.load), or re-export the model with the TensorFlow version you run."
    else:
        fix = "The files may be incomplete (check variables/ and saved_model.pb were copied whole) or need ops " \
              "this TensorFlow lacks; re-export the model with tf.saved_model.save."
    return RunError(f"TensorFlow cannot load {model_dir}. " + "; ".join(parts) + ".", fix=fix, details=details)


def engine_label(engine: str) -> str:
    """"local" -> the way that engine loads, as users know it."""
    return {"local": "tf.saved_model.load (TensorFlow 2)",
            "session": "the TF1 session loader (tf.compat.v1.saved_model.loader.load, as TF Serving)"}.get(engine, engine)


# --- rules: each takes (text, signature, inputs) and returns (message, fix, input key) or None ------------------


def _matmul(text, signature, inputs):
    m = re.search(r"Matrix size-incompatible: In\[0\]: " + _SHAPE_LIST + r", In\[1\]: " + _SHAPE_LIST, text)
    if not m:
        return None
    left, right = _dims(m.group(1)), _dims(m.group(2))
    inner_left, inner_right = (left[-1] if left else None), (right[-2] if len(right) >= 2 else None)
    key = _input_with_shape(inputs, left)
    if key is not None:
        spec = signature.inputs.get(key)
        axis = len(left) - 1
        message = (f"Input '{key}' has shape {_shape(left)}, but the model multiplies it by a matrix of shape "
                   f"{_shape(right)}: its dimension {axis} (the last) must be {inner_right}, not {inner_left}.")
        return message, _shape_fix(key, spec, left, axis, inner_right), key
    key = _input_with_shape(inputs, right)
    if key is not None:
        spec = signature.inputs.get(key)
        axis = len(right) - 2
        message = (f"Input '{key}' has shape {_shape(right)}, but the model multiplies a matrix of shape "
                   f"{_shape(left)} by it: its dimension {axis} must be {inner_left}, not {inner_right}.")
        return message, _shape_fix(key, spec, right, axis, inner_left), key
    message = (f"A matrix multiplication inside signature '{signature.key}' got shapes {_shape(left)} and "
               f"{_shape(right)}: the inner dimensions ({inner_left} and {inner_right}) must match.")
    return message, _overview(signature, inputs) or "Check the inputs' last dimensions.", _guess_key(signature, inputs)


def _incompatible(text, signature, inputs):
    m = re.search(r"Incompatible shapes: " + _SHAPE_LIST + r" vs\. " + _SHAPE_LIST, text)
    if not m:
        return None
    a, b = _dims(m.group(1)), _dims(m.group(2))
    key_a, key_b = _input_with_shape(inputs, a), _input_with_shape(inputs, b)
    if key_a and key_b and key_a != key_b:
        message = (f"Inputs '{key_a}' {_shape(a)} and '{key_b}' {_shape(b)} are combined inside the model, "
                   f"but their shapes cannot be broadcast together.")
        if a and b and a[0] != b[0]:
            message += f" Their batch sizes differ ({a[0]} vs {b[0]})."
            fix = f"Give every input the same batch size (first dimension)."
        else:
            fix = _overview(signature, inputs) or "Make the two shapes equal."
        return message, fix, key_b
    # One side is not an input: a tensor fixed inside the graph. If a declared output has that fixed shape,
    # the export itself bakes in one batch size -- no input can fix it (saved_model_half_plus_two_mkl).
    for mine, theirs, key in ((a, b, key_a), (b, a, key_b)):
        fixed = [k for k, spec in signature.outputs.items()
                 if spec.shape is not None and tuple(spec.shape) == tuple(theirs) and -1 not in spec.shape]
        if fixed and mine and theirs:
            batch = mine[0]
            message = (f"Signature '{signature.key}' is broken in this export: inside the model a tensor of shape "
                       f"{_shape(mine)} (from your batch of {batch}) meets a fixed tensor of shape {_shape(theirs)}, "
                       f"and they cannot be broadcast together. Its output '{fixed[0]}' is declared "
                       f"{_shape(theirs)}, a shape that does not follow the batch: no input can fix this.")
            fix = (f"Use another signature of this model, or re-export it so that output '{fixed[0]}' keeps the "
                   f"batch dimension (-1). TF Serving fails the same way.")
            return message, fix, key or _guess_key(signature, inputs), True
    key = key_a or key_b
    other = b if key == key_a else a
    if key:
        spec = signature.inputs.get(key)
        declared = f" (the signature declares {spec.shape_text()})" if spec else ""
        message = (f"Input '{key}' has shape {_shape(inputs_shape(inputs, key))}, which the model cannot combine "
                   f"with a tensor of shape {_shape(other)}{declared}.")
        return message, _overview(signature, inputs) or "Match the shape the signature declares.", key
    message = (f"Inside signature '{signature.key}' two tensors of shapes {_shape(a)} and {_shape(b)} cannot be "
               f"broadcast together.")
    return message, _overview(signature, inputs) or "Check the inputs' shapes.", _guess_key(signature, inputs)


def _dtype_positional(text, signature, inputs):
    m = (re.search(r"input #(\d+)\(zero-based\) was expected to be a (\w+) tensor but is a (\w+) tensor", text)
         or re.search(r"[Ee]xpects arg\[(\d+)\] to be (\w+) but (\w+) is provided", text))
    if not m:
        return None
    index, expected, got = int(m.group(1)), _tf_dtype(m.group(2)), _tf_dtype(m.group(3))
    keys = sorted(inputs)  # TF flattens keyword inputs in sorted key order
    key = keys[index] if index < len(keys) else None
    if key is None:
        key = next((k for k, v in inputs.items() if _numpy_name(v) == got), None)
    return _dtype_explained(signature, key, expected, got)


def _dtype_cannot_convert(text, signature, inputs):
    m = re.search(r"could not convert string to (\w+)|invalid literal for (int)\(\)", text)
    if not m:
        return None
    key = next((k for k, v in inputs.items() if np.asarray(v).dtype.kind in "OSU"
                and k in signature.inputs and not signature.inputs[k].dt.is_string), None)
    expected = signature.inputs[key].dt.short if key else (m.group(1) or m.group(2))
    return _dtype_explained(signature, key, expected, "string")


def _cast_spec(text, signature, inputs):
    # Raised when arrays (not tensors) are bound to a TF2 signature: "Can not cast TensorSpec(shape=(3, 2),
    # dtype=tf.float32, name='x') to TensorSpec(shape=(None, 1), ...)".
    m = re.search(r"Can not cast TensorSpec\(shape=(\([^)]*\)|<unknown>), dtype=tf\.(\w+), name='([^']*)'\) to "
                  r"TensorSpec\(shape=(\([^)]*\)|<unknown>), dtype=tf\.(\w+)", text)
    if not m:
        return None
    key = m.group(3) if m.group(3) in signature.inputs else _guess_key(signature, inputs)
    if m.group(2) != m.group(5):
        return _dtype_explained(signature, key, _tf_dtype(m.group(5)), _tf_dtype(m.group(2)))
    spec = signature.inputs.get(key)
    message = f"Input '{key}' has shape {m.group(1)}, but signature '{signature.key}' takes {m.group(4)}."
    return message, _reshape_fix(key, spec), key


def _feed_shape(text, signature, inputs):
    m = re.search(r"Cannot feed value of shape \(([^)]*)\) for Tensor '?([^\s',]+)'?, which has shape \(([^)]*)\)", text)
    if not m:
        return None
    got, tensor, want = m.group(1), m.group(2), m.group(3)
    key = _input_by_tensor(signature, tensor) or _guess_key(signature, inputs)
    got_dims = _dims(got)
    want_dims = [None if d.strip() in ("None", "?", "-1") else int(d) for d in want.split(",") if d.strip()]
    if len(got_dims) != len(want_dims):
        what = f"rank {len(got_dims)} where the graph takes rank {len(want_dims)}"
    else:
        bad = [i for i, (g, w) in enumerate(zip(got_dims, want_dims)) if w is not None and g != w]
        what = ", ".join(f"dimension {i} is {got_dims[i]} but must be {want_dims[i]}" for i in bad) or "a different shape"
    want_text = f"({', '.join('None' if w is None else str(w) for w in want_dims)}{',' if len(want_dims) == 1 else ''})"
    message = f"Input '{key}' has shape {_shape(got_dims)}, but its graph tensor {tensor} takes {want_text}: {what}."
    spec = signature.inputs.get(key)
    if spec is not None and not spec.has_shape:  # "the shape the signature declares" would be no shape at all
        n_shape = ", ".join("N" if w is None else str(w) for w in want_dims)
        fix = (f"Give '{key}' shape ({n_shape}{',' if len(want_dims) == 1 else ''}): its graph tensor {tensor} takes "
               f"{want_text} (the signature records no shape).")
        return message, fix, key
    return message, _reshape_fix(key, spec), key


def _missing_feed(text, signature, inputs):
    m = re.search(r"You must feed a value for placeholder tensor '([^']+)'", text)
    if not m:
        return None
    key = _input_by_tensor(signature, m.group(1))
    if key is None:
        message = (f"Signature '{signature.key}' needs graph tensor '{m.group(1)}', which is not among its declared "
                   f"inputs ({_key_list(signature)}): the signature is incomplete in this export.")
        return message, "Re-export the model with that placeholder listed in the signature's inputs.", None
    return _missing_message(signature, [key]), _keys_fix(signature, [], [key]), key


def _missing_kwarg(text, signature, inputs):
    m = re.search(r"missing a required argument: '([^']+)'", text) or re.search(
        r"missing required arguments: ([\w, ]+)", text)
    if not m:
        return None
    missing = [k.strip() for k in m.group(1).split(",") if k.strip()]
    return _missing_message(signature, missing), _keys_fix(signature, [], missing), missing[0]


def _unexpected_kwarg(text, signature, inputs):
    m = re.search(r"got an unexpected keyword argument '([^']+)'", text) or re.search(
        r"got unexpected keyword arguments: ([\w, ]+)", text)
    if not m:
        return None
    extra = [k.strip() for k in m.group(1).split(",") if k.strip()]
    return _unexpected_message(signature, extra), _keys_fix(signature, extra, []), extra[0]


def _positional(text, signature, inputs):
    if "too many positional arguments" not in text:
        return None
    return (f"Signature '{signature.key}' takes its inputs by name ({_key_list(signature)}), not by position.",
            "Pass a dict of named inputs.", None)


def _example_feature(text, signature, inputs):
    m = re.search(r"Feature: (\S+) \(data type: (\w+)\) is required but could not be found", text)
    if m:
        key = _string_input(signature, inputs)
        message = (f"The tf.Examples in input '{key}' lack feature '{m.group(1)}' ({m.group(2)}), "
                   f"which the model parses and requires.")
        return message, f"Add \"{m.group(1)}\" to every example, e.g. {{\"{m.group(1)}\": 1.0}}.", key
    m = re.search(r"Key: ([^,\s]+)(?:, Index: \d+)?\.\s+Data types don't match\. Data type: (\w+) but expected type: (\w+)", text)
    if m:
        key = _string_input(signature, inputs)
        feature, got, want = m.groups()
        hint = "write it with a decimal point (2.0, not 2)" if want == "float" and got == "int64" else \
            f"write it as {want} values"
        message = (f"Feature '{feature}' of the tf.Examples in input '{key}' is {got}, but the model parses it "
                   f"as {want}.")
        return message, f"Change the feature's values: {hint}.", key
    m = re.search(r"Key: ([^,\s]+)(?:, Index: \d+)?\.\s+Number of (\w+) values != expected\.\s+"
                  r"Values size: (\d+) but output shape: \[([\d, ]*)\]", text)
    if m:
        key = _string_input(signature, inputs)
        feature, kind, got, dims = m.groups()
        want = int(np.prod([int(d) for d in dims.split(",") if d.strip()], dtype=np.int64))
        example = ", ".join(["0.0" if kind == "float" else "0"] * min(want, 4)) + (", ..." if want > 4 else "")
        message = (f"Feature '{feature}' of the tf.Examples in input '{key}' has {got} {kind} value"
                   f"{'' if got == '1' else 's'} in an example, but the model parses it as shape [{dims}] "
                   f"({want} per example).")
        return message, f"Give '{feature}' {want} values in every example, e.g. {{\"{feature}\": [{example}]}}.", key
    return None


def _example_bytes(text, signature, inputs):
    if re.search(r"Could not parse example input", text):
        key = _string_input(signature, inputs)
        return (f"Input '{key}' must hold serialized tf.Example protos, and a value in it is not one.",
                "Build the input from feature dicts (tf.Example), e.g. --example "
                f"'{key}=[{{\"x\": 1.0}}]', rather than plain text.", key)
    if re.search(r"Expected serialized to be a vector, got shape: \[\]", text):
        key = _string_input(signature, inputs)
        return (f"Input '{key}' must be a list (1-D batch) of serialized tf.Examples, not a single scalar value.",
                f"Wrap the example in a list: one entry per example.", key)
    return None


def _reshape_values(text, signature, inputs):
    m = re.search(r"Input to reshape is a tensor with (\d+) values, but the requested shape has (\d+)", text)
    if not m:
        return None
    have, want = int(m.group(1)), int(m.group(2))
    key = next((k for k, v in inputs.items() if np.size(v) == have), None) or _guess_key(signature, inputs)
    spec = signature.inputs.get(key)
    message = (f"The model reshapes {'input ' + repr(key) if key else 'a tensor'} ({have} values) into a shape "
               f"that holds {want}: the input's size does not fit the model.")
    return message, _reshape_fix(key, spec), key


def _rank_too_low(text, signature, inputs):
    m = re.search(r"In\[(\d)\] ndims must be >= (\d+)", text)
    if not m:
        return None
    need = int(m.group(2))
    key = next((k for k, v in inputs.items() if np.ndim(v) < need), None) or _guess_key(signature, inputs)
    spec = signature.inputs.get(key)
    message = (f"A matrix multiplication inside signature '{signature.key}' needs a tensor of rank {need} or more"
               + (f"; input '{key}' has rank {np.ndim(inputs[key])}" if key in inputs else "") + ".")
    return message, _reshape_fix(key, spec), key


def _out_of_memory(text, signature, inputs):
    if not re.search(r"\bOOM\b|out of memory|ResourceExhausted", text, re.IGNORECASE):
        return None
    return (f"TensorFlow ran out of memory running signature '{signature.key}'.",
            "Use a smaller batch size, or close other models.", None)


_RULES = (_missing_kwarg, _unexpected_kwarg, _positional, _cast_spec, _matmul, _incompatible, _dtype_positional,
          _dtype_cannot_convert, _feed_shape, _missing_feed, _example_feature, _example_bytes, _reshape_values,
          _rank_too_low, _out_of_memory)


# --- small pieces ------------------------------------------------------------------------------------------------


def _dims(text: str) -> tuple[int, ...]:
    return tuple(int(d) for d in text.replace(" ", "").split(",") if d not in ("", "None", "?"))


def _shape(dims) -> str:
    dims = tuple(dims)
    return f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(str(d) for d in dims) + ")"


def inputs_shape(inputs, key) -> tuple[int, ...]:
    return tuple(np.shape(inputs[key])) if key in inputs else ()


def _input_with_shape(inputs, dims) -> str | None:
    hits = [k for k, v in inputs.items() if tuple(np.shape(v)) == tuple(dims)]
    return hits[0] if len(hits) == 1 else (hits[0] if hits else None)


def _input_by_tensor(signature: Signature, tensor: str) -> str | None:
    """Graph tensor name ("x:0", or the op name "x") -> the signature's input key."""
    for key, spec in signature.inputs.items():
        if spec.name == tensor or spec.name.split(":")[0] == tensor.split(":")[0]:
            return key
    return None


def _string_input(signature: Signature, inputs) -> str | None:
    strings = [k for k, s in signature.inputs.items() if s.dt.is_string] if signature.inputs else []
    if not strings:  # half_plus_three declares its tf.Example input DT_FLOAT: look at what was given
        strings = [k for k, v in inputs.items() if np.asarray(v).dtype.kind in "OSU"]
    return strings[0] if strings else next(iter(signature.inputs), None)


def _guess_key(signature: Signature, inputs) -> str | None:
    return next(iter(signature.inputs), None) if len(signature.inputs) == 1 else None


def _tf_dtype(name: str) -> str:
    """TF's runtime spelling ("float", "double", "string") -> the name users read ("float32", "float64")."""
    try:
        return dtypes.lookup(name).short
    except KeyError:
        return name


def _numpy_name(array) -> str:
    try:
        return dtypes.from_numpy(np.asarray(array).dtype).short
    except (KeyError, TypeError):
        return str(np.asarray(array).dtype)


def _dtype_explained(signature, key, expected: str, got: str):
    who = f"Input '{key}'" if key else "An input"
    message = f"{who} is {got}, but signature '{signature.key}' expects {expected}."
    if got == "string" or expected == "string":
        fix = (f"Give {'it' if key else 'the input'} {expected} values"
               + (" (numbers, not text)." if expected != "string" else " (text or serialized tf.Examples)."))
    else:
        fix = f"Cast it to {expected}" + (f" (numpy: {key} = {key}.astype(np.{expected}))" if key else "") + \
            "; the input form offers this cast in one click."
    return message, fix, key


def _shape_fix(key, spec: TensorSpec | None, dims, axis: int, want) -> str:
    fixed = list(dims)
    fixed[axis] = want
    declared = f" -- the signature declares {spec.shape_text()}" if spec else ""
    return f"Give '{key}' shape {_shape(fixed)}{declared}."


def _reshape_fix(key, spec: TensorSpec | None) -> str:
    if spec is None:
        return "Match the shape the signature declares."
    return f"Give '{key}' the shape signature declares: {spec.shape_text()} (-1 is any size, usually the batch)."


def _key_list(signature: Signature) -> str:
    return ", ".join(signature.inputs) or "none"


def _missing_message(signature: Signature, missing) -> str:
    names = ", ".join(f"'{k}'" for k in missing)
    return (f"Signature '{signature.key}' needs input{'s' if len(missing) > 1 else ''} {names}, which "
            f"{'were' if len(missing) > 1 else 'was'} not given. Its inputs are: {_key_list(signature)}.")


def _unexpected_message(signature: Signature, extra) -> str:
    names = ", ".join(f"'{k}'" for k in extra)
    verb = "are not inputs" if len(extra) > 1 else "is not an input"
    return f"{names} {verb} of signature '{signature.key}'. Its inputs are: {_key_list(signature)}."


def _keys_fix(signature: Signature, extra, missing) -> str:
    hints = []
    for k in extra:
        close = [s for s in signature.inputs if s.split(":")[0] == k.split(":")[0] or s.lower() == k.lower()]
        if close:
            hints.append(f"'{k}' is spelled '{close[0]}' in the signature")
    base = f"Use exactly the signature's input keys: {_key_list(signature)}."
    return base + (" (" + "; ".join(hints) + ".)" if hints else "")


def _overview(signature: Signature, inputs) -> str:
    """"x: got (3, 2) float32, signature (-1, 1) float32" for every input: the table a user compares by eye."""
    rows = []
    for key, spec in signature.inputs.items():
        if key in inputs:
            got = f"{_shape(np.shape(inputs[key]))} {_numpy_name(inputs[key])}"
        else:
            got = "missing"
        rows.append(f"{key}: got {got}, signature {spec.shape_text()} {spec.dt.short}")
    return ("Compare: " + "; ".join(rows) + ".") if rows else ""


def _short(text: str, limit: int = 240) -> str:
    text = re.sub(r"\s+for '\{\{node .*$", "", text)  # node descriptions run to hundreds of characters
    return text if len(text) <= limit else text[: limit - 1] + "…"
