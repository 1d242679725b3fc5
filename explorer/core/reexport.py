"""Re-export a SavedModel with a corrected signature, then prove the new one answers as the old one did.

The fix the app names for most signature problems is "re-export with the right signature". This module does it:
`plan_from_options` turns the user's edits into a `Plan` (checked against the model without TensorFlow);
`planned_signatures` says what the new model will hold; `reexport` loads the model with TensorFlow, wraps the chosen
signature (or a saved tf.function) in a new tf.function whose input signature applies the edits -- free a dimension,
accept another dtype and cast inside, scale/shift inside the graph, rename keys -- and saves it with
`tf.saved_model.save` next to the other signatures (variables stay variables: the loaded object is tracked, not
frozen). The model is written to a staging folder and renamed into place, so a TF Serving base path never shows a
half-written version. Then the old and new signatures run on the same inputs (the user's, plus seeded probes
transformed by the edits) through core.compare: a re-export that changes answers is reported as such.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import dtypes
from .errors import ExplorerError, RunError
from .functions import Function
from .savedmodel import ModelInfo, list_versions, read_model
from .signature import CLASSIFY, PREDICT, REGRESS, Signature, TensorSpec

DEFAULT_KEY = "serving_default"
PROBES = 3  # seeded probe requests run on both sides, besides the user's inputs
PROBE_BATCH = 4  # rows of a probe where the batch is free
# A key tf.saved_model.save can write: it names a graph op, and op names allow only these characters.
_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-]*$")
_METHOD_KEYS = {CLASSIFY: ({"inputs"}, {"classes", "scores"}), REGRESS: ({"inputs"}, {"outputs"})}


@dataclass(frozen=True)
class TensorEdit:
    """What changes for one input or output. Inputs: the wrapper accepts `dtype` and `shape`, casts to the old dtype,
    then computes x / divisor or x * scale, then + shift. Outputs: y * scale (or / divisor) + shift, cast to `dtype`."""

    key: str = ""  # the new key; "" keeps it
    dtype: str = ""  # "DT_UINT8"; "" keeps it
    shape: tuple[int, ...] | None = None  # new dims, -1 free; None keeps them
    scale: float | None = None
    divisor: float | None = None  # "1/255" is kept as a division, so x / 255 inside is what users compute outside
    shift: float | None = None

    @property
    def numeric(self) -> bool:
        return self.scale is not None or self.divisor is not None or self.shift is not None

    def describe(self) -> str:
        parts = []
        if self.divisor is not None:
            parts.append(f"/ {self.divisor:g}")
        elif self.scale is not None:
            parts.append(f"* {self.scale:g}")
        if self.shift is not None:
            parts.append(f"{'+' if self.shift >= 0 else '-'} {abs(self.shift):g}")
        return " ".join(parts)


@dataclass(frozen=True)
class Plan:
    """The edits of one re-export: which signature (or function) is wrapped, how, and what else the model keeps."""

    signature: str = ""  # the source signature to edit ...
    function: str = ""  # ... or the saved function (functions.Function.name) to make a signature from
    key: str = ""  # its key in the new model; "" keeps the signature's key (a function: serving_default if free)
    inputs: dict[str, TensorEdit] = field(default_factory=dict)  # by the source's input key
    outputs: dict[str, TensorEdit] = field(default_factory=dict)  # by the source's output key
    free_batch: bool = False  # every input's first dimension becomes -1
    default: str = ""  # a key of the new model that also becomes serving_default
    drop: tuple[str, ...] = ()  # source signatures left out

    def to_dict(self) -> dict:
        def edit(e: TensorEdit) -> dict:
            return {k: (list(v) if isinstance(v, tuple) else v) for k, v in e.__dict__.items() if v not in ("", None)}

        return {"signature": self.signature, "function": self.function, "key": self.key,
                "inputs": {k: edit(e) for k, e in self.inputs.items()},
                "outputs": {k: edit(e) for k, e in self.outputs.items()},
                "free_batch": self.free_batch, "default": self.default, "drop": list(self.drop)}


@dataclass(frozen=True)
class Source:
    """The signature-like thing a plan edits: a SignatureDef, or a saved function seen as one."""

    key: str
    signature: Signature
    function: Function | None = None


# --- planning (no TensorFlow) ---------------------------------------------------------------------------------------

def parse_factor(text: str, key: str) -> tuple[float | None, float | None]:
    """"0.5" -> (scale 0.5, None); "1/255" -> (None, divisor 255); ExplorerError for anything else."""
    raw = str(text).strip()
    m = re.fullmatch(r"1\s*/\s*([0-9.eE+-]+)", raw)
    try:
        if m:
            divisor = float(m.group(1))
            if divisor == 0:
                raise ValueError
            return None, divisor
        return float(raw), None
    except ValueError:
        raise ExplorerError(f"The scale of {key} must be a number or 1/N (got {raw!r}).",
                            fix=f"Write e.g. --scale {key}=1/255 or --scale {key}=0.5.") from None


def _pairs(items, option: str) -> list[tuple[str, str]]:
    out = []
    for item in items or ():
        key, sep, value = str(item).rpartition("=")
        if not sep or not key or not value:
            raise ExplorerError(f"{option} {item!r} is not KEY=VALUE.", fix=f"Write {option} KEY=VALUE.")
        out.append((key, value))
    return out


def source_of(info: ModelInfo, signature: str = "", function: str = "") -> Source:
    """The signature or function a plan edits; ExplorerError listing the choices when it is not there."""
    if signature and function:
        raise ExplorerError("Choose a signature or a function to re-export, not both.",
                            fix="Give --signature KEY or --from-function NAME.")
    if function:
        matches = [f for f in info.functions if f.name == function or f.path == function]
        names = ", ".join(f.name for f in info.functions) or "none"
        if not matches:
            raise ExplorerError(f"{info.path} has no saved function '{function}'. Functions: {names}.",
                                fix="Pick one listed by `signature-explorer inspect --functions`.")
        if len(matches) > 1:
            raise ExplorerError(f"'{function}' was traced {len(matches)} times: "
                                f"{', '.join(f.name for f in matches)}.", fix="Name one trace, e.g. "
                                                                             f"--from-function {matches[0].name}.")
        f = matches[0]
        if not f.servable:
            raise ExplorerError(f"The function '{f.name}' cannot become a signature: {f.problem}.")
        return Source(f.name, Signature(key=f.name, method_name=PREDICT, inputs=f.inputs, outputs=f.outputs), f)
    users = info.user_signatures
    key = signature or info.default_signature or ""
    if key not in users:
        hint = ""
        if not users and info.functions:
            hint = " It has no signatures; make one from a function with --from-function NAME."
        raise ExplorerError(f"{info.path} has no signature '{key}'. Signatures: {', '.join(users) or 'none'}."
                            + hint, fix="Pick one of them with --signature KEY.")
    return Source(key, users[key])


def plan_from_options(info: ModelInfo, *, signature: str = "", function: str = "", key: str = "",
                      free_batch: bool = False, casts=(), scales=(), shifts=(), renames=(), shapes=(),
                      default: str = "", drop=()) -> Plan:
    """The CLI's KEY=VALUE options as a Plan, checked against the model (ExplorerError naming the bad key)."""
    source = source_of(info, signature, function)
    sig = source.signature
    inputs: dict[str, dict] = {}
    outputs: dict[str, dict] = {}

    def where(name: str, option: str) -> dict:
        if name in sig.inputs:
            return inputs.setdefault(name, {})
        if name in sig.outputs:
            return outputs.setdefault(name, {})
        raise ExplorerError(f"{option} names '{name}', which is neither an input nor an output of "
                            f"'{source.key}'. Inputs: {', '.join(sig.inputs) or 'none'}; outputs: "
                            f"{', '.join(sig.outputs) or 'none'}.", fix="Use one of the listed keys.")

    for name, value in _pairs(casts, "--cast"):
        try:
            where(name, "--cast")["dtype"] = dtypes.lookup(value).name
        except KeyError:
            raise ExplorerError(f"--cast {name}={value}: unknown dtype.",
                                fix="Use a dtype such as float32, float64, uint8, int32, int64.") from None
    for name, value in _pairs(scales, "--scale"):
        where(name, "--scale")["scale"], where(name, "--scale")["divisor"] = parse_factor(value, name)
    for name, value in _pairs(shifts, "--shift"):
        try:
            where(name, "--shift")["shift"] = float(value)
        except ValueError:
            raise ExplorerError(f"--shift {name}={value}: not a number.", fix=f"Write e.g. --shift {name}=-0.5.") from None
    for name, value in _pairs(renames, "--rename"):
        where(name, "--rename")["key"] = value
    for name, value in _pairs(shapes, "--shape"):
        if name not in sig.inputs:
            raise ExplorerError(f"--shape names '{name}', which is not an input of '{source.key}'.",
                                fix=f"Inputs: {', '.join(sig.inputs) or 'none'}.")
        try:
            dims = tuple(-1 if d.strip() in ("-1", "None", "?", "") else int(d) for d in value.strip("()[] ").split(","))
        except ValueError:
            raise ExplorerError(f"--shape {name}={value}: not a list of dimensions.",
                                fix=f"Write e.g. --shape {name}=-1,224,224,3 (-1 for a free dimension).") from None
        inputs.setdefault(name, {})["shape"] = dims
    plan = Plan(signature="" if source.function else source.key, function=source.function.name if source.function
                else "", key=key, inputs={k: TensorEdit(**v) for k, v in inputs.items()},
                outputs={k: TensorEdit(**v) for k, v in outputs.items()}, free_batch=free_batch, default=default,
                drop=tuple(drop or ()))
    planned_signatures(info, plan)  # checks the whole plan
    return plan


def edited_key(info: ModelInfo, plan: Plan) -> str:
    """The key the edited signature gets in the new model."""
    if plan.key:
        return plan.key
    if plan.function:
        taken = set(info.user_signatures) - set(plan.drop)
        return DEFAULT_KEY if DEFAULT_KEY not in taken else re.sub(r"[^A-Za-z0-9_.\-]", "_", plan.function)
    return plan.signature


def edited_signature(source: Source, plan: Plan, new_key: str) -> Signature:
    """The edited signature as the new model will declare it (tensor names unknown until saved)."""
    sig = source.signature
    inputs, outputs = {}, {}
    for key, spec in sig.inputs.items():
        edit = plan.inputs.get(key, TensorEdit())
        shape = edit.shape if edit.shape is not None else spec.shape
        if plan.free_batch and shape:
            shape = (-1,) + tuple(shape[1:])
        new = edit.key or key
        inputs[new] = TensorSpec(key=new, dtype=edit.dtype or spec.dtype, shape=shape)
    for key, spec in sig.outputs.items():
        edit = plan.outputs.get(key, TensorEdit())
        shape = spec.shape
        if _frees_batch(sig, plan) and shape:
            shape = (-1,) + tuple(shape[1:])
        new = edit.key or key
        outputs[new] = TensorSpec(key=new, dtype=edit.dtype or spec.dtype, shape=shape)
    method = sig.method_name if _keeps_method(sig.method_name, inputs, outputs) else PREDICT
    return Signature(key=new_key, method_name=method or PREDICT, inputs=dict(sorted(inputs.items())),
                     outputs=dict(sorted(outputs.items())))


def _frees_batch(sig: Signature, plan: Plan) -> bool:
    """True when the first dimension of the inputs becomes free: the outputs' first dimension follows."""
    if plan.free_batch:
        return True
    return any(e.shape and sig.inputs[k].shape and e.shape[0] == -1 and sig.inputs[k].shape[0] != -1
               for k, e in plan.inputs.items() if k in sig.inputs)


def _keeps_method(method: str, inputs, outputs) -> bool:
    """classify/regress survive a re-export only while the keys still follow TF Serving's convention for them."""
    if method not in _METHOD_KEYS:
        return True
    want_in, want_out = _METHOD_KEYS[method]
    return set(inputs) == want_in and set(outputs) <= want_out and bool(outputs)


def planned_signatures(info: ModelInfo, plan: Plan) -> dict[str, Signature]:
    """The new model's signatures (sorted), as planned; ExplorerError for a plan TensorFlow could not write."""
    source = source_of(info, plan.signature, plan.function)
    new_key = edited_key(info, plan)
    unknown = [k for k in plan.drop if k not in info.user_signatures]
    if unknown:
        raise ExplorerError(f"Cannot drop '{unknown[0]}': {info.path} has no such signature. "
                            f"Signatures: {', '.join(info.user_signatures) or 'none'}.")
    kept = {k: s for k, s in info.user_signatures.items() if k not in plan.drop}
    if source.function is None:
        kept.pop(source.key, None)  # the edited one replaces it (under its new key)
    if new_key in kept:
        raise ExplorerError(f"The new key '{new_key}' is taken by another signature of the model.",
                            fix=f"Choose another key, or drop '{new_key}'.")
    for key, edit in list(plan.inputs.items()) + list(plan.outputs.items()):
        spec = source.signature.inputs.get(key) or source.signature.outputs.get(key)
        if edit.numeric and spec is not None and not dtypes.lookup(spec.dtype).is_float:
            raise ExplorerError(f"{key} is {dtypes.lookup(spec.dtype).short}: scaling or shifting needs a float "
                                "tensor inside the model.", fix="Scale only float inputs and outputs.")
        if edit.dtype and spec is not None and dtypes.lookup(spec.dtype).is_string != dtypes.lookup(edit.dtype).is_string:
            raise ExplorerError(f"{key}: a cast between text and numbers is not a re-export edit.",
                                fix="Cast numbers to numbers.")
        if edit.shape is not None and key in source.signature.inputs:
            old = source.signature.inputs[key].shape
            if old is not None and len(old) != len(edit.shape):
                raise ExplorerError(f"{key}: the new shape {edit.shape} has rank {len(edit.shape)}; the model's "
                                    f"{old} has rank {len(old)}.", fix="Keep the rank; free a dimension with -1.")
            if old is not None and any(o >= 0 and n >= 0 and o != n for o, n in zip(old, edit.shape)):
                raise ExplorerError(f"{key}: {edit.shape} fixes a dimension the model fixes otherwise ({old}); the "
                                    "graph inside would reject it.", fix="Only free dimensions (-1) or keep them.")
    edited = edited_signature(source, plan, new_key)
    seen_in, seen_out = {}, {}
    for old, spec in source.signature.inputs.items():
        seen_in.setdefault(plan.inputs.get(old, TensorEdit()).key or old, []).append(old)
    for old in source.signature.outputs:
        seen_out.setdefault(plan.outputs.get(old, TensorEdit()).key or old, []).append(old)
    for kind, seen in (("input", seen_in), ("output", seen_out)):
        twice = [k for k, olds in seen.items() if len(olds) > 1]
        if twice:
            raise ExplorerError(f"Two {kind}s would both be called '{twice[0]}'.", fix="Give each a different key.")
    out = dict(kept)
    out[new_key] = edited
    if plan.default:
        if plan.default not in out:
            raise ExplorerError(f"--default {plan.default}: the new model would have no such signature "
                                f"(it would have: {', '.join(sorted(out))}).", fix="Name one of them.")
        out[DEFAULT_KEY] = replace(out[plan.default], key=DEFAULT_KEY)
    for key, sig in out.items():
        bad = [k for k in sig.inputs if not _OP_NAME.match(k)]
        if bad:
            which = "the edited signature" if key == new_key else f"the kept signature '{key}'"
            raise ExplorerError(f"TensorFlow 2 cannot write the input key '{bad[0]}' of {which}: tf.saved_model.save "
                                "names a graph op after each input key, and op names allow only letters, digits "
                                "and _ . -", fix=(f"Rename it, e.g. --rename '{bad[0]}={_safe(bad[0])}'."
                                                  if key == new_key else f"Drop it with --drop {key}, or re-export "
                                                                         f"it with --signature {key} and a rename."))
        composite = [k for k, s in list(sig.inputs.items()) + list(sig.outputs.items()) if s.encoding != "dense"]
        if composite:
            raise ExplorerError(f"Signature '{key}' has sparse or ragged tensors ({', '.join(composite)}): TensorFlow 2 "
                                "splits them into their components when it loads the model, so it cannot write "
                                "them back as they were.", fix=f"Leave it out with --drop {key}.")
    return dict(sorted(out.items()))


def _safe(key: str) -> str:
    safe = re.sub(r":\d+$", "", key)
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", safe).lstrip("_.-") or "input"
    return safe


def edit_lines(info: ModelInfo, plan: Plan, new: Signature | None = None) -> list[str]:
    """The edited signature's changes in words, one line per input or output that changes: "image float32
    (-1, 28, 28, 1) -> pixels uint8 (-1, 28, 28, 1), / 255 inside"."""
    source = source_of(info, plan.signature, plan.function)
    new = new or edited_signature(source, plan, edited_key(info, plan))
    lines = []
    for kind, old_specs, new_specs, edits in (("input", source.signature.inputs, new.inputs, plan.inputs),
                                              ("output", source.signature.outputs, new.outputs, plan.outputs)):
        for key, spec in old_specs.items():
            edit = edits.get(key, TensorEdit())
            after = new_specs.get(edit.key or key)
            if after is None:
                continue
            before_text = f"{key} {spec.dt.short} {spec.shape_text()}"
            after_text = f"{after.key} {after.dt.short} {after.shape_text()}"
            inside = edit.describe()
            if before_text == after_text and not inside:
                continue
            where = " inside" if kind == "input" else " applied"
            lines.append(f"{kind} {before_text} -> {after_text}" + (f", {inside}{where}" if inside else ""))
    return lines


# --- where it goes --------------------------------------------------------------------------------------------------

def destination_of(destination, base_path: bool = False) -> tuple[Path, int | None]:
    """(the folder to write the SavedModel into, its version number when DESTINATION is a TF Serving base path).

    A base path (a folder holding numbered versions, or any folder with `base_path`) gets the next version number;
    a new or empty folder gets the model itself; a non-empty folder that is neither is refused."""
    dest = Path(os.fspath(destination)).expanduser().resolve()
    if dest.exists() and not dest.is_dir():
        raise ExplorerError(f"{dest} is a file, not a folder.", fix="Give a new folder or a TF Serving base path.")
    versions = list_versions(dest) if dest.is_dir() else {}
    numbered = [int(p.name) for p in dest.iterdir() if p.name.isdigit()] if dest.is_dir() else []
    if versions or numbered or base_path:
        version = max(numbered, default=0) + 1
        return dest / str(version), version
    if dest.is_dir() and any(dest.iterdir()):
        if (dest / "saved_model.pb").exists() or (dest / "saved_model.pbtxt").exists():
            raise ExplorerError(f"{dest} already holds a SavedModel; a re-export never overwrites one.",
                                fix="Give a new folder, or the model's TF Serving base path to add a version.")
        raise ExplorerError(f"{dest} is not empty and is not a TF Serving base path.",
                            fix="Give a new folder, or a base path (numbered version folders).")
    return dest, None


# --- the result -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ReexportResult:
    """What was written where, the new signatures against the old, and the proof."""

    source: str
    source_version: int | None
    destination: str  # the folder holding the new saved_model.pb
    base_path: str | None  # the base path when a version was added
    version: int | None
    plan: Plan
    signatures: dict[str, Signature]
    key: str = ""  # the edited signature's key in the new model
    changes: tuple[str, ...] = ()  # edit_lines(): the edited signature's changes in words
    signature_diff: tuple = ()  # compare.SignatureDiff, old vs new
    proof: "Proof | None" = None  # core.reexport_proof.Proof
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        return self.proof is not None and self.proof.equal and not self.proof.error

    def to_dict(self) -> dict:
        return {"source": self.source, "source_version": self.source_version, "destination": self.destination,
                "base_path": self.base_path, "version": self.version, "plan": self.plan.to_dict(),
                "equal": self.equal, "key": self.key, "changes": list(self.changes),
                "signatures": {k: s.to_dict() for k, s in self.signatures.items()},
                "signature_diff": [d.to_dict() for d in self.signature_diff],
                "proof": self.proof.to_dict() if self.proof else None, "notes": list(self.notes),
                "seconds": round(self.seconds, 3)}


# --- doing it -------------------------------------------------------------------------------------------------------

def reexport(source, destination, plan: Plan, *, version: int | None = None, tag_set=None, base_path: bool = False,
             inputs: dict | None = None, seed: int = 0, probes: int = PROBES, rtol: float = 1e-5, atol: float = 1e-6,
             allow_unsafe_ops=False, progress=None, cancelled=None) -> ReexportResult:
    """Write the re-exported model (staged, then renamed into place) and prove it against the source.

    `inputs` are arrays for the source signature's inputs (the user's own); seeded probes are added. Raises
    ExplorerError when nothing could be written; a written model whose answers differ is a result, not an error.
    `allow_unsafe_ops`: as for LocalRunner (True, or consent keys); a model with dangerous ops is refused without."""
    progress = progress or (lambda fraction, text: None)
    began = time.perf_counter()
    info = read_model(source, version=version, tag_set=tag_set)
    planned = planned_signatures(info, plan)
    consent_required(info, allow_unsafe_ops)
    final, new_version = destination_of(destination, base_path)
    if os.path.realpath(final) == os.path.realpath(info.model_dir):
        raise ExplorerError("The destination is the model itself.", fix="Give a new folder or its base path.")
    final.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside the destination (same file system, so the rename is atomic); a dot name TF Serving ignores.
    staging = final.parent / f".{final.name}.reexport-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    notes: list[str] = []
    try:
        progress(0.05, "loading the model with TensorFlow")
        from .runners.local import tensorflow

        tf = tensorflow()
        loaded = _load(tf, info)
        if cancelled and cancelled():
            raise ExplorerError("Re-export cancelled.")
        progress(0.4, "writing the new model")
        notes += _save(tf, info, loaded, plan, planned, staging)
        del loaded
        # Proven while still staged: a model that cannot run at all never reaches the destination (TensorFlow's
        # TF1-to-TF2 path writes one for graphs with reference variables, whose values it does not carry over).
        staged = read_model(staging)
        from .reexport_proof import prove

        progress(0.6, "proving: running the old and the new model on the same inputs")
        proof = prove(info, staged, plan, inputs=inputs, seed=seed, probes=probes, rtol=rtol, atol=atol,
                      allow_unsafe_ops=allow_unsafe_ops)
        if proof.failed == "new":
            tf1 = "" if info.meta_graph.has_object_graph else (
                " This TF1 export went through TensorFlow's TF1-to-TF2 loader, which does not carry reference "
                "variables (TF1's default) over into the new model.")
            raise RunError(f"The re-exported model cannot run, so it was not written: {proof.error}.{tf1}",
                           fix="Re-export it from the code that built it, with the signature you need.")
        os.replace(staging, final)
    except ExplorerError:
        raise
    except Exception as exc:  # TensorFlow's many error classes: one readable line, its text behind details
        raise RunError(f"TensorFlow could not re-export {info.model_dir}: {_first_line(exc)}",
                       details=f"{type(exc).__name__}: {exc}",
                       fix="If a signature cannot be written, leave it out with --drop KEY.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    new_info = read_model(final)
    from .compare import compare_signatures

    sig_diff = tuple(compare_signatures(info.user_signatures, new_info.user_signatures))
    written = new_info.user_signatures
    mismatch = [k for k in planned if k not in written or _shape_dtype(planned[k]) != _shape_dtype(written[k])]
    if mismatch:
        notes.append(f"TensorFlow wrote {', '.join(mismatch)} differently than planned; see the signature diff.")
    progress(1.0, "done")
    base = str(final.parent) if new_version is not None else None
    key = edited_key(info, plan)
    changes = tuple(edit_lines(info, plan, written[key])) if key in written else ()
    return ReexportResult(source=info.path, source_version=info.version, destination=str(final), base_path=base,
                          version=new_version, plan=plan, signatures=written, key=key, changes=changes,
                          signature_diff=sig_diff, proof=proof,
                          notes=tuple(notes), seconds=time.perf_counter() - began)


def consent_required(info: ModelInfo, allow_unsafe_ops=False) -> None:
    """Loading runs the model's own init code: a model with high-severity scan findings needs the user's consent
    (core.scan, the same gate as predict); raises UnsafeModelError otherwise."""
    from .scan import require_consent

    require_consent(info, allow_unsafe_ops)


def _shape_dtype(sig: Signature):
    return ({k: (s.dtype, s.shape) for k, s in sig.inputs.items()}, {k: (s.dtype, s.shape) for k, s in sig.outputs.items()},
            sig.method_name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _load(tf, info: ModelInfo):
    try:
        return tf.saved_model.load(info.model_dir, tags=list(info.tag_set) or None)
    except Exception as exc:  # noqa: BLE001 - TF1 graphs TF2 cannot load land here
        tf1 = "" if info.meta_graph.has_object_graph else (
            " It is a TF1 export, and TensorFlow 2's TF1-to-TF2 loader cannot load it (reference variables, or "
            "placeholders without shapes, are the usual causes)")
        raise RunError(f"TensorFlow 2 cannot load {info.model_dir}, so it cannot re-export it.{tf1}: "
                       f"{_first_line(exc)}", details=str(exc),
                       fix="Re-export it from the code that built it, with the signature you need.") from exc


def _callee(tf, loaded, source: Source):
    """A function of the loaded model taking the source's flat inputs (by key) and returning its outputs by key."""
    if source.function is None:
        fn = loaded.signatures[source.key]
        keys = list(fn.structured_input_signature[1])

        def call(values: dict):
            result = fn(**{k: values[k] for k in keys})
            return dict(result) if isinstance(result, dict) else named_outputs(tf, result)
        return call
    obj = loaded
    for part in source.function.path.split("."):
        obj = getattr(obj, part)
    concretes = list(getattr(obj, "concrete_functions", None) or [obj])
    concrete = next((c for c in concretes if _name(c) == source.function.concrete_name), None)
    if concrete is None:
        index = int(source.function.name.rsplit("[", 1)[1].rstrip("]")) - 1 if source.function.name.endswith("]") else 0
        concrete = concretes[min(index, len(concretes) - 1)]
    structure = concrete.structured_input_signature
    leaves = tf.nest.flatten(structure)
    slots = [i for i, leaf in enumerate(leaves) if isinstance(leaf, tf.TensorSpec)]
    keys = list(source.signature.inputs)

    def call(values: dict):
        flat = list(leaves)
        for slot, key in zip(slots, keys):
            flat[slot] = values[key]
        args, kwargs = tf.nest.pack_sequence_as(structure, flat)
        return named_outputs(tf, concrete(*args, **kwargs))
    return call


def _name(concrete) -> str:
    name = getattr(concrete, "name", b"")
    return name.decode() if isinstance(name, bytes) else str(name)


def named_outputs(tf, result) -> dict:
    """A function's result as {key: tensor}, keyed as core.functions names a function's outputs."""
    out: dict = {}

    def walk(name, value):
        if isinstance(value, dict):
            for k in sorted(value):
                walk(f"{name}_{k}", value[k])
        elif isinstance(value, (list, tuple)):
            items = value._asdict().items() if hasattr(value, "_asdict") else enumerate(value)
            for k, v in items:
                walk(f"{name}_{k}", v)
        elif value is not None:
            out[name] = value

    if isinstance(result, dict):
        for k in sorted(result):
            walk(str(k), result[k])
    elif isinstance(result, (list, tuple)):
        for i, v in enumerate(result):
            walk(f"output_{i}", v)
    else:
        walk("output_0", result)
    return out


def _wrapper(tf, loaded, info: ModelInfo, plan: Plan, new_key: str):
    """The new tf.function: the edited input signature, casts and scaling inside, the old function called."""
    source = source_of(info, plan.signature, plan.function)
    edited = edited_signature(source, plan, new_key)
    call = _callee(tf, loaded, source)
    old_inputs = list(source.signature.inputs.items())
    new_keys = [plan.inputs.get(k, TensorEdit()).key or k for k, _ in old_inputs]
    specs = [tf.TensorSpec(_tf_shape(edited.inputs[n].shape), _tf_dtype(tf, edited.inputs[n].dtype), name=n)
             for n in new_keys]
    frees = _frees_batch(source.signature, plan)

    def signature_function(*args):
        values = {}
        for (old_key, spec), arg in zip(old_inputs, args):
            edit = plan.inputs.get(old_key, TensorEdit())
            x = arg
            if edit.dtype and edit.dtype != spec.dtype:
                x = tf.cast(x, _tf_dtype(tf, spec.dtype))
            x = _affine(tf, x, edit, _tf_dtype(tf, spec.dtype))
            values[old_key] = x
        result = call(values)
        out = {}
        for old_key, spec in source.signature.outputs.items():
            edit = plan.outputs.get(old_key, TensorEdit())
            y = result[old_key]
            y = _affine(tf, y, edit, y.dtype)
            if edit.dtype and edit.dtype != spec.dtype:
                y = tf.cast(y, _tf_dtype(tf, edit.dtype))
            if frees and y.shape.rank:
                # The old graph's outputs carry its fixed batch as a static shape; declare the first dim free.
                y = tf.raw_ops.PlaceholderWithDefault(input=y, shape=[None] + y.shape.as_list()[1:])
            out[edit.key or old_key] = y
        return out

    return tf.function(signature_function, input_signature=specs).get_concrete_function()


def _affine(tf, x, edit: TensorEdit, dtype):
    if edit.divisor is not None:
        x = x / tf.constant(edit.divisor, dtype)
    elif edit.scale is not None:
        x = x * tf.constant(edit.scale, dtype)
    if edit.shift is not None:
        x = x + tf.constant(edit.shift, dtype)
    return x


def _tf_dtype(tf, name: str):
    dt = dtypes.lookup(name)
    return tf.string if dt.is_string else tf.as_dtype(dt.np)


def _tf_shape(shape):
    return None if shape is None else [None if d is None or d < 0 else d for d in shape]


def _save(tf, info: ModelInfo, loaded, plan: Plan, planned: dict[str, Signature], staging: Path) -> list[str]:
    notes = []
    new_key = edited_key(info, plan)
    functions = {new_key: _wrapper(tf, loaded, info, plan, new_key)}
    for key in planned:
        if key in functions or key == DEFAULT_KEY and plan.default:
            continue
        functions[key] = loaded.signatures[key]  # kept as it was: the restored function itself
    if plan.default:
        functions[DEFAULT_KEY] = functions[plan.default]
    module = tf.Module()
    module.model = loaded  # tracked, so its variables are saved as variables (not folded into constants)
    tf.saved_model.save(module, str(staging), signatures=functions)
    methods = {k: s.method_name for k, s in planned.items() if s.method_name not in ("", PREDICT)}
    if methods:
        _set_methods(tf, staging, methods)
        notes.append("kept the method of " + ", ".join(f"{k} ({m.rsplit('/', 1)[-1]})" for k, m in methods.items())
                     + " (tf.saved_model.save writes every signature as predict; the file was corrected after)")
    if info.user_signatures and any(s.defaults for k, s in info.user_signatures.items() if k in planned):
        notes.append("TF2 default input values were not carried over (tf.saved_model.save writes them only for "
                     "functions declared with defaults).")
    return notes


def _set_methods(tf, folder: Path, methods: dict[str, str]) -> None:
    """Put classify/regress back on signatures (TF2's save writes predict) and write the fingerprint again."""
    from tensorflow.core.protobuf import saved_model_pb2

    pb = folder / "saved_model.pb"
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString(pb.read_bytes())
    for meta in proto.meta_graphs:
        for key, method in methods.items():
            if key in meta.signature_def:
                meta.signature_def[key].method_name = method
    pb.write_bytes(proto.SerializeToString())
    try:
        from tensorflow.python.saved_model import fingerprinting_utils

        fingerprinting_utils.write_fingerprint(str(folder))
    except Exception:  # noqa: BLE001 - a stale fingerprint would lie about the file: better none than wrong
        (folder / "fingerprint.pb").unlink(missing_ok=True)


# --- from a problem to an edit -------------------------------------------------------------------------------------

FIXABLE = ("batch", "dtype", "value_range", "unknown_key")


def plan_for_problem(info: ModelInfo, signature_key: str, problem) -> Plan | None:
    """The re-export that fixes a validate.Problem on the model's side ("Fix in a re-export"): a fixed batch is freed,
    a dtype clients send is accepted and cast inside, 0..255 values are divided by 255 inside, a key clients send
    becomes the input's key. None when the problem is not one a re-export fixes."""
    sig = info.user_signatures.get(signature_key)
    if sig is None or problem.kind not in FIXABLE:
        return None
    key = problem.input
    if problem.kind == "batch":
        return Plan(signature=signature_key, free_batch=True)
    if problem.kind == "dtype" and key in sig.inputs:
        try:
            dtype = dtypes.lookup(problem.got).name
        except KeyError:
            return None
        return Plan(signature=signature_key, inputs={key: TensorEdit(dtype=dtype)})
    if problem.kind == "value_range" and key in sig.inputs and dtypes.lookup(sig.inputs[key].dtype).is_float:
        return Plan(signature=signature_key, inputs={key: TensorEdit(dtype="DT_UINT8", divisor=255.0)})
    if problem.kind == "unknown_key" and problem.got and key not in sig.inputs:
        import difflib

        candidates = list(sig.inputs)
        target = candidates[0] if len(candidates) == 1 else next(iter(
            difflib.get_close_matches(problem.got, candidates, n=1, cutoff=0.0)), None)
        if target is not None and _OP_NAME.match(problem.got):
            return Plan(signature=signature_key, inputs={target: TensorEdit(key=problem.got)})
    return None


def suggested_destination(info: ModelInfo) -> str:
    """Where a re-export goes unless the user says otherwise: the next version of a base path, else a new folder
    beside the model ("NAME_reexport", numbered if taken)."""
    if info.versions:
        return info.path
    model = Path(info.model_dir)
    if list_versions(model.parent) and model.name.isdigit():  # a version folder opened on its own
        return str(model.parent)
    candidate = model.parent / f"{model.name}_reexport"
    n = 2
    while candidate.exists():
        candidate = model.parent / f"{model.name}_reexport{n}"
        n += 1
    return str(candidate)
