"""check(inputs, signature) before a run: the problems users bring (CONTRIBUTING.md), each named, with expected vs got
and a fix in plain words; apply_offer performs the fixes that can be done automatically.

Checks are strict where TensorFlow is lax: a TF2 signature function accepts a batch of 1 for a [32, 5] input,
while TF Serving rejects it (docs/ARCHITECTURE.md), so a fixed batch is always flagged.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from . import dtypes
from .errors import InputProblem
from .signature import CLASSIFY, REGRESS, Signature, TensorSpec, shape_text

OFFERS = ("cast", "convert_channels", "add_batch_axis", "add_trailing_axis", "drop_batch_axis", "channels_last",
          "normalize")
_CHANNEL_WORDS = {1: "grayscale", 3: "RGB", 4: "RGBA"}
_IMAGE_NAME = re.compile(r"image|img|pixel|photo|picture|frame|rgb", re.IGNORECASE)
_EXACT_INT = {"DT_FLOAT": 2**24, "DT_HALF": 2**11, "DT_BFLOAT16": 2**8, "DT_DOUBLE": 2**53}
JSON_EXACT = 2**53  # TF Serving's REST API parses JSON numbers as doubles


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about the inputs, written for the user."""

    kind: str  # "missing", "unknown_key", "dtype", "rank", "batch", "channels", "layout", "shape", "batch_disagree",
    #            "string_for_number", "number_for_string", "value_range", "precision", "json_precision",
    #            "non_finite", "empty", "wire_dtype", "default_used", "encoding", "quantization_clip"
    input: str | None
    message: str
    fix: str
    expected: str = ""
    got: str = ""
    severity: str = "error"  # "error" | "warning"
    offer: str | None = None  # one of OFFERS: a fix apply_offer can do

    def to_dict(self) -> dict:
        """JSON form for --json output and saved sessions."""
        return {"input": self.input, "kind": self.kind, "message": self.message, "fix": self.fix,
                "expected": self.expected, "got": self.got, "severity": self.severity}


def check(inputs: dict[str, np.ndarray], signature: Signature, target: str = "local") -> list[Problem]:
    """Every problem of `inputs` for `signature`, errors first; target "local" or "serving" (TF Serving's rules)."""
    specs = signature.inputs
    problems: list[Problem] = []
    missing = [k for k in specs if k not in inputs]
    unknown = [k for k in inputs if k not in specs]
    for key, spec in specs.items():
        if spec.encoding != "dense":
            problems.append(_not_dense(key, spec))
    named = set()  # a missing key that a wrong key's "Did you mean" names is said there, once
    for key in unknown:
        problem, suggestion = _unknown(key, specs, signature, missing)
        problems.append(problem)
        if suggestion in missing:
            named.add(suggestion)
    for key in missing:
        if specs[key].encoding == "dense" and key not in named:
            problems.append(_missing(key, specs[key], signature))
    for key, value in inputs.items():
        spec = specs.get(key)
        if spec is not None and spec.encoding == "dense":
            problems.extend(_check_one(key, value, spec, signature, target))
    problems.extend(_batch_agreement(inputs, specs))
    return sorted(problems, key=lambda p: p.severity != "error")


def lead_error(problems: list[Problem]) -> tuple[Problem | None, int]:
    """The error a one-line report names (the first: check() puts a wrong key, which also names the key it was meant
    for, before the rest) and how many other errors it leaves unsaid."""
    errors = [p for p in problems if p.severity == "error"]
    return (errors[0], len(errors) - 1) if errors else (None, 0)


def has_errors(problems: list[Problem]) -> bool:
    """True when any problem would stop a run (warnings don't)."""
    return any(p.severity == "error" for p in problems)


# ---------------------------------------------------------------- keys

def _missing(key: str, spec: TensorSpec, signature: Signature) -> Problem:
    want = f"{spec.dt.short} {spec.shape_text()}"
    if key in signature.defaults:
        return Problem("default_used", key, f"{key} is not given; the signature's default value "
                       f"{_short(signature.defaults[key])} will be used.",
                       fix=f"Give {key} to override the default.", expected=want, got="not given", severity="warning")
    return Problem("missing", key, f"Input {key!r} is missing: signature {signature.key!r} needs it ({want}).",
                   fix=f"Add a value for {key} ({want}).", expected=want, got="not given")


def _not_dense(key: str, spec: TensorSpec) -> Problem:
    what = "a sparse" if spec.encoding == "coo_sparse" else "a composite (e.g. ragged)"
    return Problem("encoding", key, f"{key} is {what} tensor ({spec.name}); TF Serving's Predict API and this tool "
                   "feed dense tensors only, so this signature cannot be called as exported.",
                   fix="Re-export with dense inputs (convert inside the serving function, e.g. tf.sparse.from_dense "
                       "or tf.RaggedTensor.from_tensor), or call the model from Python.",
                   expected="dense tensor", got=spec.encoding)


def _unknown(key: str, specs: dict[str, TensorSpec], signature: Signature,
             missing: list[str]) -> tuple[Problem, str | None]:
    names = ", ".join(repr(k) for k in specs) or "none"
    suggestion, why = _nearest(key, specs, missing)
    if suggestion is not None:
        message = f"{key!r} is not an input of signature {signature.key!r}{why}. Did you mean {suggestion!r}?"
        fix = f"Rename {key!r} to {suggestion!r}."
    else:
        message = f"{key!r} is not an input of signature {signature.key!r}; its inputs are {names}."
        fix = f"Use one of the signature's input keys: {names}."
    return Problem("unknown_key", key, message, fix=fix, expected=names, got=key), suggestion


def _without_index(name: str) -> str:
    """'input_image:0' -> 'input_image'; a colon not followed by a tensor index ('input:b') stays."""
    return re.sub(r":\d+$", "", name)


def _nearest(key: str, specs: dict[str, TensorSpec], missing: list[str]) -> tuple[str | None, str]:
    bare = _without_index(key)
    for spec in specs.values():
        if key == spec.name and spec.name != spec.key:
            return spec.key, f" ({key!r} is the graph tensor name; requests use the signature's input key)"
        if bare == _without_index(spec.key):
            spelled = "with" if _without_index(spec.key) != spec.key else "without"
            return spec.key, f" (the key is spelled {spelled} the ':0' suffix)"
    lower = {k.lower(): k for k in specs}
    if key.lower() in lower:
        return lower[key.lower()], " (keys are case-sensitive)"
    # A missing key first: of 'input/a', 'input:b', 'input c', the one not given is the one meant.
    close = (difflib.get_close_matches(key, missing, n=1, cutoff=0.6)
             or difflib.get_close_matches(key, list(specs), n=1, cutoff=0.6))
    if close:
        return close[0], ""
    if len(missing) == 1:
        return missing[0], f" (and {missing[0]!r} is missing)"
    return None, ""


# ---------------------------------------------------------------- one input

def _check_one(key: str, value, spec: TensorSpec, signature: Signature, target: str) -> list[Problem]:
    array = np.asarray(value)
    try:
        want = spec.dt
    except KeyError:
        return []  # a dtype this tool does not know: nothing sensible to check
    got_string = array.dtype.kind in "OSU"
    out: list[Problem] = []
    if want.is_string and not got_string:
        out.append(_number_for_string(key, array, spec, signature))
    elif not want.is_string and got_string:
        out.append(_string_for_number(key, array, spec, signature))
    elif not want.is_string and want.numpy and array.dtype != _np_of(want) and not _raw_quantized(array, spec):
        out.append(_dtype_problem(key, array, want))
    out.extend(_shape_problems(key, array, spec))
    if not got_string and array.size and array.dtype.kind in "biuf":
        out.extend(_value_problems(key, array, spec, want, target))
    if array.size == 0 and array.ndim:
        out.append(Problem("empty", key, f"{key} is empty (shape {shape_text(array.shape)}): the model will return "
                           "empty outputs, or fail on a reduction.", fix=f"Give {key} at least one row.",
                           expected=spec.shape_text(), got=shape_text(array.shape), severity="warning"))
    if target == "serving" and not want.rest_json:
        out.append(Problem("wire_dtype", key, f"{key} is {want.short}, which TF Serving's REST JSON API cannot carry.",
                           fix="Call this model over gRPC, which sends typed tensors.", expected=want.short,
                           got=want.short, severity="warning"))
    return out


def _raw_quantized(array: np.ndarray, spec: TensorSpec) -> bool:
    """Integers already in a quantised input's storage dtype: the runner passes them on unchanged."""
    return spec.quantization is not None and array.dtype == _np_of(spec.storage_dt)


def _quantization_clip(key: str, finite: np.ndarray, spec: TensorSpec) -> Problem | None:
    """Real values a quantised input cannot hold: they would be clipped to the integer range."""
    from .quantization import real_range

    low, high = real_range(spec.quantization)
    outside = int(np.count_nonzero((finite < low) | (finite > high)))
    if not outside:
        return None
    storage = spec.storage_dt.short
    return Problem("quantization_clip", key,
                   f"{key} is quantised to {storage} and holds {outside} value(s) outside [{low:.6g}, {high:.6g}], "
                   f"the real range it can carry: they will be clipped.",
                   fix="Scale the inputs as the model was calibrated (often 0..1), or re-convert with a "
                       "representative dataset that covers these values.",
                   expected=f"{low:.6g}..{high:.6g}", got=f"{float(finite.min()):g}..{float(finite.max()):g}",
                   severity="warning")


def _np_of(dt: dtypes.DType):
    try:
        return dt.np
    except (TypeError, ImportError):
        return None


def _number_for_string(key, array, spec, signature) -> Problem:
    examples = signature.method_name in (CLASSIFY, REGRESS) or "example" in (spec.name + key).lower()
    if examples:
        fix = (f"{key} takes serialized tf.Examples: build them from features in the Examples builder "
               f"(CLI: --example '{key}=[{{\"x\": 1.0}}]').")
    else:
        fix = f"Give {key} text values, e.g. [\"a\", \"b\"]; numbers are not converted to strings."
    return Problem("number_for_string", key,
                   f"{key} takes strings (DT_STRING) but got {array.dtype} numbers, shape {shape_text(array.shape)}.",
                   fix=fix, expected="string", got=str(array.dtype))


def _string_for_number(key, array, spec, signature) -> Problem:
    sample = array.reshape(-1)[0] if array.size else b""
    if isinstance(sample, bytes) and sample[:1] == b"\n":
        fix = (f"These look like serialized tf.Examples, but {key} takes {spec.dt.short} numbers directly: give the "
               "feature values, or use a classify/regress signature that parses examples.")
    else:
        fix = f"Give {key} numbers; text such as {_short(sample)} is not parsed into numbers."
    return Problem("string_for_number", key, f"{key} takes {spec.dt.short} numbers but got strings, "
                   f"shape {shape_text(array.shape)}.", fix=fix, expected=spec.dt.short, got="string")


def _dtype_problem(key: str, array: np.ndarray, want: dtypes.DType) -> Problem:
    safe, why = cast_safety(array, want)
    got = str(array.dtype)
    verdict = f"safe, {why}" if safe else f"NOT safe: {why}"
    return Problem("dtype", key, f"{key} is {got} but the signature wants {want.short}.",
                   fix=f"Cast with np.{want.short}(...) — {verdict}.", expected=want.short, got=got, offer="cast")


def cast_safety(array: np.ndarray, want: dtypes.DType) -> tuple[bool, str]:
    """Whether casting `array` to `want` keeps its values, and why in a few words."""
    target = _np_of(want)
    src = array.dtype
    if target is None:
        return False, f"{want.short} has no numpy type"
    if array.size == 0:
        return True, "the array is empty"
    finite = array[np.isfinite(array)] if src.kind == "f" else array
    if want.name == "DT_BOOL":
        ok = bool(np.isin(array, (0, 1)).all())
        return ok, "values are 0 and 1" if ok else "values other than 0 and 1 would all become true"
    if want.is_float:
        info = np.finfo(target)
        if src.kind == "f":
            big = float(np.max(np.abs(finite))) if finite.size else 0.0
            if big > float(info.max):
                return False, f"values up to {big:g} overflow {want.short} (max {float(info.max):g})"
            if np.finfo(src).bits <= info.bits:
                return True, "exact"
            return True, f"values fit ({want.short} keeps about {info.precision} significant digits)"
        exact = _EXACT_INT.get(want.name, 2**53)
        big = int(np.max(np.abs(array.astype(np.int64 if src.kind != "u" else np.uint64)))) if src.kind in "iu" else 1
        if big > exact:
            return False, f"integers above {exact:,} are rounded in {want.short} (largest here {big:,})"
        return True, "values fit exactly"
    if want.is_integer:
        info = np.iinfo(target)
        if src.kind == "f":
            if finite.size != array.size:
                return False, "NaN or infinity has no integer value"
            if (np.mod(array, 1) != 0).any():
                bad = float(array[np.mod(array, 1) != 0].reshape(-1)[0])
                return False, f"fractional values would be cut ({bad:g} -> {int(bad)})"
        low, high = array.min(), array.max()
        if low < info.min or high > info.max:
            return False, f"values {low:g}..{high:g} do not fit {want.short} ({info.min}..{info.max})"
        return True, "values fit"
    return True, "values fit"


def _spec_shape(spec: TensorSpec) -> tuple[int, ...] | None:
    return spec.shape if spec.has_shape else None


def _fits(shape: tuple[int, ...], spec_shape: tuple[int, ...]) -> bool:
    return len(shape) == len(spec_shape) and all(s < 0 or s == g for g, s in zip(shape, spec_shape))


def _channels_axis(spec_shape: tuple[int, ...]) -> int | None:
    """The channel axis (last) when the spec looks like an NHWC/HWC image, else None."""
    r = len(spec_shape)
    if r == 4 and spec_shape[3] in (1, 3, 4):
        return 3
    if r == 3 and spec_shape[2] in (1, 3, 4) and spec_shape[0] != -1:
        return 2
    return None


def _shape_problems(key: str, array: np.ndarray, spec: TensorSpec) -> list[Problem]:
    want = _spec_shape(spec)
    if want is None:
        return []  # unknown rank, or no shape recorded: TF checks nothing here, nor can we
    got = tuple(array.shape)
    expected, got_text = spec.shape_text(), shape_text(got)
    if want == ():
        if got == ():
            return []
        return [Problem("rank", key, f"{key} is a scalar input but got shape {got_text}.",
                        fix=f"Give {key} a single value, not a list." + (" Take the one element: x.item()." if array.size == 1 else ""),
                        expected=expected, got=got_text, offer=None)]
    if len(got) != len(want):
        return [_rank_problem(key, got, want, expected, got_text)]

    out: list[Problem] = []
    channel = _channels_axis(want)
    if len(got) == 4 and channel is not None and got[1] in (1, 3, 4) and got[3] != want[3] \
            and _fits((got[0],) + got[2:] + (got[1],), want):
        return [Problem("layout", key, f"{key} looks channels-first {got_text} (N, C, H, W) but the model takes "
                        f"channels-last {expected} (N, H, W, C).", fix="Move the channel axis last: "
                        "np.moveaxis(x, 1, -1).", expected=expected, got=got_text, offer="channels_last")]
    bad_dims = [i for i, (g, s) in enumerate(zip(got, want)) if s >= 0 and g != s]
    if 0 in bad_dims and len(want) >= 1 and not (channel == 2 and len(want) == 3):
        bad_dims.remove(0)
        out.append(Problem(
            "batch", key, f"{key} has a batch of {got[0]} but the signature fixes it at {want[0]} (shape {expected}). "
            "A local TF2 run may accept it; TF Serving rejects it.",
            fix=f"Send exactly {want[0]} row{'s' if want[0] != 1 else ''} (pad with zeros or repeat rows), or "
                "re-export the model with a None batch dimension.", expected=expected, got=got_text))
    if channel is not None and channel in bad_dims and got[channel] in (1, 3, 4):
        bad_dims.remove(channel)
        g, w = got[channel], want[channel]
        out.append(Problem(
            "channels", key, f"{key} has {g} channel{'s' if g > 1 else ''} ({_CHANNEL_WORDS[g]}) but the model takes "
            f"{w} ({_CHANNEL_WORDS[w]}): got {got_text}, the signature wants {expected}.",
            fix=_channel_fix(g, w), expected=expected, got=got_text, offer="convert_channels"))
    if bad_dims:
        which = ", ".join(f"dimension {i} is {got[i]} (wants {want[i]})" for i in bad_dims)
        if channel is not None and set(bad_dims) <= {channel - 2, channel - 1}:
            h, w = want[channel - 2], want[channel - 1]
            fix = f"Resize the image to {w}x{h} (building the input from the image file resizes it for you)."
        else:
            fix = f"Reshape or re-create {key} as {expected}; a wrong inner size usually fails inside the model " \
                  "(\"Matrix size-incompatible\")."
        out.append(Problem("shape", key, f"{key} has shape {got_text} but the signature wants {expected}: {which}.",
                           fix=fix, expected=expected, got=got_text))
    return out


def _rank_problem(key, got, want, expected, got_text) -> Problem:
    r, R = len(got), len(want)
    base = f"{key} has {r} dimension{'s' if r != 1 else ''} {got_text} but the signature wants {R} {expected}"
    if r == R - 1 and _fits((1,) + got, want):
        return Problem("rank", key, base + ": the batch axis is missing.",
                       fix=f"Add a leading batch axis: x[np.newaxis] -> {shape_text((1,) + got)}.",
                       expected=expected, got=got_text, offer="add_batch_axis")
    if r == R - 1 and _fits(got + (1,), want):
        return Problem("rank", key, base + ": each value needs its own row.",
                       fix=f"Add a trailing axis: x[:, np.newaxis] -> {shape_text(got + (1,))}.",
                       expected=expected, got=got_text, offer="add_trailing_axis")
    if r == R + 1 and got[0] == 1 and _fits(got[1:], want):
        return Problem("rank", key, base + ": there is an extra leading axis of 1.",
                       fix=f"Drop it: x[0] -> {shape_text(got[1:])}.", expected=expected, got=got_text,
                       offer="drop_batch_axis")
    channel = _channels_axis(want)
    if channel is not None and r == R - 1 and want[channel] == 1 and _fits(got + (1,), want):
        pass  # handled above as add_trailing_axis
    if channel is not None and r == R - 2 and want[channel] == 1 and _fits((1,) + got + (1,), want):
        return Problem("rank", key, base + ": a grayscale image needs a batch axis and a channel axis.",
                       fix=f"x[np.newaxis, ..., np.newaxis] -> {shape_text((1,) + got + (1,))}.",
                       expected=expected, got=got_text)
    return Problem("rank", key, base + ".", fix=f"Reshape {key} to {expected} (-1 is any length).",
                   expected=expected, got=got_text)


def _channel_fix(got: int, want: int) -> str:
    if got in (3, 4) and want == 1:
        return "Convert to grayscale (luminance 0.299 R + 0.587 G + 0.114 B" + (", alpha dropped" if got == 4 else "") + ")."
    if got == 1 and want in (3, 4):
        return "Repeat the gray channel into R, G and B" + (" and add an opaque alpha" if want == 4 else "") + "."
    if got == 4 and want == 3:
        return "Drop the alpha channel."
    return "Add an opaque alpha channel."


# ---------------------------------------------------------------- values

def _value_problems(key: str, array: np.ndarray, spec: TensorSpec, want: dtypes.DType, target: str) -> list[Problem]:
    out: list[Problem] = []
    kind = array.dtype.kind
    if kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            out.append(Problem("non_finite", key, f"{key} holds {int(bad.sum())} NaN or infinite value(s).",
                               fix="Replace them; NaN spreads through the model and makes every output NaN.",
                               expected="finite numbers", got=f"{int(bad.sum())} NaN/inf", severity="warning"))
    if kind == "b":
        return out
    finite = array[np.isfinite(array)] if kind == "f" else array
    if not finite.size:
        return out
    high = float(finite.max())
    if spec.quantization is not None and kind == "f":
        clip = _quantization_clip(key, finite, spec)
        if clip is not None:
            out.append(clip)
    if want.is_float and high > 1.5 and looks_like_image(key, spec, array.shape):
        out.append(Problem(
            "value_range", key, f"{key} has values up to {high:g}; image models usually take 0..1 (or -1..1) values. "
            "Unnormalised pixels often give the same output for every input.",
            fix="If the model was trained on scaled images, divide by 255 (add normalize=true to an image file).",
            expected="0..1", got=f"{float(finite.min()):g}..{high:g}", severity="warning", offer="normalize"))
    exact = _EXACT_INT.get(want.name)
    target_np = _np_of(want)
    if exact and want.name != "DT_DOUBLE" and target_np is not None and array.dtype != target_np:
        over = np.abs(finite.astype(np.float64)) > exact
        if kind == "f":
            over &= np.mod(finite, 1) == 0  # whole numbers stored as floats count too
        if over.any():
            big = finite[over].reshape(-1)[:10000]
            cast = big.astype(target_np)
            lost = [(b, c) for b, c in zip(big, cast) if int(b) != int(c)]
            if lost:
                sample, became = lost[0]
                out.append(Problem(
                    "precision", key, f"{key} has integers above {exact:,} (2**{exact.bit_length() - 1}), which "
                    f"{want.short} cannot hold exactly: {_num(sample)} becomes {_num(became)}.",
                    fix=f"Keep the values within ±{exact:,}, or use a model input of type float64/int64.",
                    expected=f"|x| <= {exact:,}", got=_num(sample), severity="warning"))
    if target == "serving" and kind in "iu" and array.dtype.itemsize == 8:
        big = finite[(finite > JSON_EXACT) | (finite < -JSON_EXACT)] if kind == "i" else finite[finite > JSON_EXACT]
        lost = [int(v) for v in big.reshape(-1)[:10000] if int(float(v)) != int(v)]
        if lost:
            sample = lost[0]
            out.append(Problem(
                "json_precision", key, f"{key} has int64 values beyond 2**53 that REST JSON loses: TF Serving reads "
                f"JSON numbers as doubles, so {sample} arrives as {int(float(sample))}.",
                fix="Send this request over gRPC, which carries int64 exactly.", expected=f"|x| <= {JSON_EXACT:,}",
                got=str(sample), severity="warning"))
    return out


MIN_IMAGE_SIDE = 4  # narrower than this is a table or a sequence, whatever the name says (tiny test images are 4x4)


def looks_like_image(key: str, spec: TensorSpec, shape: tuple[int, ...]) -> bool:
    """Whether an input of this (built) shape is an image batch: rank 3 or 4 with plausible H, W and channels.
    The one image rule: the range warning here and the random fill's pixel range (tensors.py) both ask it.
    A name such as input_image:0 only settles a rank-3 (N, H, W) batch; it never makes a (-1, 1) column an image."""
    want = _spec_shape(spec)
    if want is not None and len(want) != len(shape):
        return False
    named = bool(_IMAGE_NAME.search(key) or _IMAGE_NAME.search(spec.name))

    def side(d: int) -> bool:
        return d >= MIN_IMAGE_SIDE

    if len(shape) == 4:
        n, a, b, c = shape
        return (c in (1, 3, 4) and side(a) and side(b)) or (a in (1, 3, 4) and side(b) and side(c))
    if len(shape) == 3:
        h, w, c = shape
        if c in (1, 3, 4) and side(h) and side(w):
            return True
        return named and side(w) and side(c)  # (N, H, W) grayscale, when the name says image
    return False


# ---------------------------------------------------------------- several inputs

def _batch_agreement(inputs: dict, specs: dict[str, TensorSpec]) -> list[Problem]:
    sizes: dict[str, int] = {}
    for key, value in inputs.items():
        spec = specs.get(key)
        shape = _spec_shape(spec) if spec is not None else None
        # An input of the wrong rank has its own problem; its first dimension is not a batch to compare.
        if shape and shape[0] == -1 and np.ndim(value) == len(shape):
            sizes[key] = int(np.shape(value)[0])
    if len(set(sizes.values())) <= 1:
        return []
    listed = ", ".join(f"{k} has {n}" for k, n in sizes.items())
    most = max(set(sizes.values()), key=list(sizes.values()).count)
    return [Problem("batch_disagree", None, f"The inputs' batch sizes disagree: {listed}. The first dimension of every "
                    "input is the batch, and all inputs must have the same number of rows.",
                    fix=f"Give every input the same number of rows (e.g. {most}).", expected="one batch size",
                    got=listed)]


# ---------------------------------------------------------------- fixes

def apply_offer(array: np.ndarray, problem: Problem, spec: TensorSpec) -> np.ndarray:
    """Perform problem.offer on `array` for `spec`; a new array. InputProblem when there is nothing to apply."""
    array = np.asarray(array)
    offer = problem.offer
    key = problem.input or spec.key
    if offer == "cast":
        return _cast(array, spec.dt, key)
    if offer == "add_batch_axis":
        return array[np.newaxis, ...].copy()
    if offer == "add_trailing_axis":
        return array[..., np.newaxis].copy()
    if offer == "drop_batch_axis":
        if not array.ndim or array.shape[0] != 1:
            raise InputProblem(key, f"{key}: only a leading axis of length 1 can be dropped.", fix="Pick one row instead.")
        return array[0].copy()
    if offer == "channels_last":
        return np.ascontiguousarray(np.moveaxis(array, 1 if array.ndim == 4 else 0, -1))
    if offer == "convert_channels":
        want = _spec_shape(spec)
        if not want or want[-1] not in (1, 3, 4) or not array.ndim or array.shape[-1] not in (1, 3, 4):
            raise InputProblem(key, f"{key}: channels can only be converted between 1, 3 and 4.",
                               fix="Convert the image yourself.")
        return convert_channels(array, want[-1])
    if offer == "normalize":
        dt = spec.dt
        target = _np_of(dt) if dt.is_float else np.float32
        return (array.astype(target) / target.type(255)).astype(target)
    raise InputProblem(key, f"{key}: there is no automatic fix for this problem ({problem.kind}).", fix=problem.fix)


def auto_fix(inputs: dict[str, np.ndarray], signature: Signature, target: str = "local",
             offers: tuple[str, ...] = ("cast",)) -> tuple[dict[str, np.ndarray], list[str]]:
    """Apply the listed offers where they lose nothing (casts only when cast_safety says safe); returns the new
    inputs and a note per fix. For a CLI flag such as --fix: what remains is for check() to report."""
    fixed = dict(inputs)
    notes: list[str] = []
    for _ in range(3):  # a fix can reveal the next (add an axis, then cast)
        todo = [p for p in check(fixed, signature, target)
                if p.offer in offers and p.input in fixed and p.input in signature.inputs]
        done = False
        for p in todo:
            spec = signature.inputs[p.input]
            array = np.asarray(fixed[p.input])
            if p.offer == "cast" and not cast_safety(array, spec.dt)[0]:
                continue
            fixed[p.input] = apply_offer(array, p, spec)
            notes.append(f"{p.input}: {p.offer.replace('_', ' ')} applied ({p.got} -> {p.expected}).")
            done = True
        if not done:
            break
    return fixed, notes


def convert_channels(array: np.ndarray, channels: int) -> np.ndarray:
    """Last axis 1/3/4 channels -> `channels`: luminance (ITU-R 601, as Pillow), gray repeated, alpha dropped or opaque."""
    src = array.shape[-1]
    out = array
    if src == 4 and channels != 4:
        out, src = out[..., :3], 3
    if src == channels:
        return out.copy()
    if src == 3 and channels == 1:
        lum = out[..., 0] * 0.299 + out[..., 1] * 0.587 + out[..., 2] * 0.114
        lum = lum.astype(np.float64)
        if array.dtype.kind in "iu":
            lum = np.rint(lum)
        return lum.astype(array.dtype)[..., np.newaxis]
    if src == 1:
        out = np.repeat(out, 3, axis=-1)
        src = 3
        if channels == 3:
            return out
    # 3 -> 4: an opaque alpha, 255 for integer pixels or 0..255 floats, 1.0 for normalised floats
    opaque = 255 if array.dtype.kind in "iu" or (out.size and float(np.max(out)) > 1.5) else 1.0
    alpha = np.full(out.shape[:-1] + (1,), opaque, dtype=array.dtype)
    return np.concatenate([out, alpha], axis=-1)


def _cast(array: np.ndarray, dt: dtypes.DType, key: str) -> np.ndarray:
    target = _np_of(dt)
    if dt.is_string:
        if array.dtype.kind in "OSU":
            return array.astype(object)
        raise InputProblem(key, f"{key}: numbers are not cast to strings.", fix="Give text values.")
    if target is None:
        raise InputProblem(key, f"{key}: cannot cast to {dt.short}.", fix="Give values of the right type.")
    if array.dtype.kind in "OSU":
        raise InputProblem(key, f"{key}: strings cannot be cast to {dt.short}.", fix="Give numbers.")
    if dt.is_integer and array.dtype.kind == "f":
        info = np.iinfo(target)
        with np.errstate(invalid="ignore"):
            return np.clip(np.rint(np.nan_to_num(array)), info.min, info.max).astype(target)
    with np.errstate(over="ignore"):
        return array.astype(target)


# ---------------------------------------------------------------- text

def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(value) -> str:
    v = value.item() if hasattr(value, "item") else value
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
