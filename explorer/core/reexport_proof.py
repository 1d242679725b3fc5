"""The proof of a re-export: the old and the new signature run on the same requests, compared as `compare` does.

The requests are the user's inputs (the old model gets them as they are, the new one as its clients would send
them, so precision a cast loses shows), probes at their scale (core.agreement, as compare sends them), or -- with no
inputs -- seeded probes over the range the new signature takes. The new side's request goes through the wrapper's
cast and scale in numpy for the old side, and the old outputs through the output edits, before core.compare.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import dtypes
from .errors import ExplorerError, RunError
from .reexport import PROBE_BATCH, PROBES, Plan, Source, TensorEdit, _callee, _first_line, edited_key, source_of
from .savedmodel import ModelInfo
from .signature import Signature


@dataclass(frozen=True, eq=False)
class Proof:
    """Old and new run on the same inputs: how many, and how far apart their answers are."""

    old_key: str
    new_key: str
    requests: int = 0
    rows: int = 0
    equal: bool = False
    max_abs: float = 0.0
    differing: tuple[str, ...] = ()  # new output keys that differ beyond tolerance
    rtol: float = 1e-5
    atol: float = 1e-6
    error: str = ""  # the new (or old) model failed to run: the re-export is not proven
    failed: str = ""  # "old" or "new": the side that failed to run
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        if self.error:
            return f"NOT PROVEN: {self.error}"
        if self.equal:
            return f"equal on {self.rows} inputs (max |Δ| {self.max_abs:.3g})"
        return (f"DIFFERENT on {self.rows} inputs: {', '.join(self.differing)} beyond rtol={self.rtol:g} "
                f"atol={self.atol:g} (max |Δ| {self.max_abs:.3g})")

    def to_dict(self) -> dict:
        return {"old_signature": self.old_key, "new_signature": self.new_key, "requests": self.requests,
                "inputs": self.rows, "equal": self.equal, "max_abs_diff": self.max_abs,
                "differing": list(self.differing), "rtol": self.rtol, "atol": self.atol, "error": self.error,
                "text": self.text(), "notes": list(self.notes)}


def _new_inputs_from_old(source: Source, plan: Plan, edited: Signature, arrays: dict) -> dict:
    """The user's inputs (for the old signature) as a client of the new one would send them: undo scale and cast."""
    import numpy as np

    out = {}
    for old_key, array in arrays.items():
        if old_key not in source.signature.inputs:
            continue
        edit = plan.inputs.get(old_key, TensorEdit())
        new_key = edit.key or old_key
        x = np.asarray(array)
        if edit.numeric:
            x = x.astype(np.float64)
            if edit.shift is not None:
                x = x - edit.shift
            if edit.divisor is not None:
                x = x * edit.divisor
            elif edit.scale is not None:
                x = x / edit.scale
        want = dtypes.lookup(edited.inputs[new_key].dtype)
        if not want.is_string:
            if want.is_integer:
                info = np.iinfo(want.np)
                x = np.clip(np.rint(x), info.min, info.max)
            x = x.astype(want.np)
        out[new_key] = x
    return out


def _old_inputs_from_new(source: Source, plan: Plan, arrays: dict) -> dict:
    """What the old signature receives for a request to the new one: the wrapper's cast and scale, in numpy."""
    import numpy as np

    out = {}
    for old_key, spec in source.signature.inputs.items():
        edit = plan.inputs.get(old_key, TensorEdit())
        x = np.asarray(arrays[edit.key or old_key])
        dt = dtypes.lookup(spec.dtype)
        if not dt.is_string:
            x = x.astype(dt.np)
            if edit.divisor is not None:
                x = x / np.asarray(edit.divisor, dt.np)
            elif edit.scale is not None:
                x = x * np.asarray(edit.scale, dt.np)
            if edit.shift is not None:
                x = x + np.asarray(edit.shift, dt.np)
            x = x.astype(dt.np)
        out[old_key] = x
    return out


def _old_outputs_as_new(source: Source, plan: Plan, outputs: dict) -> dict:
    import numpy as np

    out = {}
    for old_key, value in outputs.items():
        edit = plan.outputs.get(old_key, TensorEdit())
        y = np.asarray(value)
        if edit.numeric:
            if edit.divisor is not None:
                y = y / np.asarray(edit.divisor, y.dtype)
            elif edit.scale is not None:
                y = y * np.asarray(edit.scale, y.dtype)
            if edit.shift is not None:
                y = y + np.asarray(edit.shift, y.dtype)
        if edit.dtype and y.dtype.kind not in "OSU":
            y = y.astype(dtypes.lookup(edit.dtype).np)
        out[edit.key or old_key] = y
    return out


def probe_inputs(signature: Signature, source: Source, plan: Plan, seed: int, batch: int = PROBE_BATCH) -> dict:
    """A seeded request for the NEW signature: integers over their range (0..255 for uint8), floats over the range
    the old signature sees after the edits (0..255 for an input scaled by 1/255), free dims from the old model."""
    import numpy as np

    from .errors import InputProblem

    rng = np.random.default_rng(seed)
    out = {}
    old_by_new = {plan.inputs.get(k, TensorEdit()).key or k: (k, s) for k, s in source.signature.inputs.items()}
    for key, spec in signature.inputs.items():
        old_key, old_spec = old_by_new[key]
        dt = dtypes.lookup(spec.dtype)
        if dt.is_string:
            raise InputProblem(key, f"{key} takes text or serialized tf.Examples: seeded probes cannot make it up.",
                               fix="Give inputs of your own (--input or --example) to prove this signature.")
        dims = []
        for i, d in enumerate(spec.shape or (batch,)):
            old_d = old_spec.shape[i] if old_spec.shape and i < len(old_spec.shape) else -1
            dims.append(d if d >= 0 else old_d if old_d >= 0 else batch if i == 0 else 3)
        edit = plan.inputs.get(old_key, TensorEdit())
        if dt.name == "DT_BOOL":
            values = rng.random(dims) < 0.5
        elif dt.is_integer:
            info = np.iinfo(dt.np)
            low, high = (max(info.min, 0), min(info.max, 255) + 1) if edit.numeric or dt.name == "DT_UINT8" \
                else (0, 10)
            values = rng.integers(low, high, dims).astype(dt.np)
        else:
            span = 1.0
            if edit.divisor is not None:
                span = edit.divisor
            elif edit.scale:
                span = 1.0 / abs(edit.scale)
            values = (rng.random(dims) * span).astype(dt.np)
        out[key] = values
    return out


def prove(old: ModelInfo, new: ModelInfo, plan: Plan, *, inputs: dict | None = None, seed: int = 0,
          probes: int = PROBES, rtol: float = 1e-5, atol: float = 1e-6, allow_unsafe_ops=False) -> Proof:
    """Run the old signature and the new one on the same requests (the user's, then seeded probes) and compare."""
    import numpy as np

    from .compare import compare_outputs
    from .errors import InputProblem
    from .request import Request
    from .runners.local import LocalRunner

    source = source_of(old, plan.signature, plan.function)
    new_key = edited_key(old, plan)
    edited = new.user_signatures.get(new_key)
    if edited is None:
        return Proof(source.key, new_key, error=f"the new model has no signature '{new_key}'")
    # (request to the new signature, what the old one gets or None to derive it): the user's own arrays go to the
    # old model as they are and to the new one as its clients would send them, so precision a cast loses shows.
    requests, notes = [], []
    if inputs:
        from .agreement import probe_inputs as probes_like

        yours = _new_inputs_from_old(source, plan, edited, inputs)
        requests.append((yours, {k: v for k, v in inputs.items() if k in source.signature.inputs}))
        # Probes at the scale of the user's input, as compare sends them (core.agreement), in the new signature's
        # terms; the old side gets them through the wrapper's cast and scale.
        requests += [(probe, None) for probe in probes_like(yours, probes, seed)]
    else:
        try:
            for i in range(probes):
                requests.append((probe_inputs(edited, source, plan, seed + i), None))
        except InputProblem as exc:
            notes.append(f"no seeded probes: {exc}")
    if not requests:
        return Proof(source.key, new_key, error="nothing to run: " + "; ".join(notes), notes=tuple(notes))
    # The new model is the old one's graph plus casts and scaling, written by us after the old one passed the consent
    # gate (reexport checks it before loading): that consent covers it.
    old_runner = LocalRunner(old.path, version=old.version, tag_set=old.tag_set, allow_unsafe_ops=allow_unsafe_ops)
    new_runner = LocalRunner(new.model_dir, allow_unsafe_ops=True)
    worst, differing, rows, side = 0.0, [], 0, "old"
    run_function = None if source.function is None else _function_runner(old, source)
    try:
        for arrays, old_arrays in requests:
            if old_arrays is None:
                old_arrays = _old_inputs_from_new(source, plan, arrays)
            side = "old"
            if run_function is None:
                old_out = old_runner.predict(Request(source.key, old_arrays)).outputs
            else:
                old_out = run_function(old_arrays)
            side = "new"
            new_out = new_runner.predict(Request(new_key, arrays)).outputs
            diff = compare_outputs(_old_outputs_as_new(source, plan, old_out), new_out, rtol=rtol, atol=atol)
            rows += max((int(np.asarray(a).shape[0]) if np.ndim(a) else 1) for a in arrays.values())
            differing += [k for k in diff.differing if k not in differing]
            worst = max([worst] + [d.max_abs for d in diff.outputs.values() if d.max_abs is not None])
    except ExplorerError as exc:
        return Proof(source.key, new_key, requests=len(requests), error=f"the {side} model failed: {exc}",
                     failed=side, notes=tuple(notes))
    finally:
        old_runner.close()
        new_runner.close()
    return Proof(source.key, new_key, requests=len(requests), rows=rows, equal=not differing, max_abs=worst,
                 differing=tuple(differing), rtol=rtol, atol=atol, notes=tuple(notes))


def _function_runner(info: ModelInfo, source: Source):
    """A callable running a saved function of the old model (it has no signature to predict with): arrays -> arrays."""
    from .runners.local import tensorflow

    tf = tensorflow()
    loaded = tf.saved_model.load(info.model_dir, tags=list(info.tag_set) or None)
    call = _callee(tf, loaded, source)

    def run(arrays: dict) -> dict:
        try:
            result = call({k: tf.constant(v) for k, v in arrays.items()})
        except Exception as exc:  # noqa: BLE001 - TensorFlow's errors: the proof reports them
            raise RunError(f"the old function '{source.key}' failed: {_first_line(exc)}") from exc
        return {k: v.numpy() for k, v in result.items()}
    return run
