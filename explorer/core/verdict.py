"""The verdict on per-output statistics ("identical", "insensitive", "stateful" or "ok") and the likely causes
behind it, each with evidence and a fix: plain data in, `Cause`s out (output_stats.py measures, diagnose.py probes)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .output_stats import OutputStats, identical_across, spread_across
from .signature import Signature

REPEAT_RTOL = 1e-5  # the same input answered this differently in two calls: state or randomness
SATURATED_AROUND = 1e-3  # outputs moving less than this around the user's input (10% noise) are pinned there


@dataclass(frozen=True)
class Cause:
    """A likely cause behind the verdict: an id for machines, a title, what we saw, and what to do."""

    cause: str  # "collapsed_model", "ignored_input", "preprocessing_mismatch", "stale_version", "pinned_version",
    #             "other_model", "caching", "stateful", "nan_outputs", "no_inputs", "constant_prediction",
    #             "quantization"
    title: str
    evidence: str
    fix: str
    severity: str = "error"  # "error": explains identical outputs; "warning": worth knowing

    def to_dict(self) -> dict:
        return {"cause": self.cause, "title": self.title, "evidence": self.evidence, "fix": self.fix,
                "severity": self.severity}


def _preview(array: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(array).reshape(-1)
    shown = ", ".join(f"{float(v):.4g}" for v in flat[:limit])
    return f"[{shown}{', …' if flat.size > limit else ''}]"


def input_scale(current: dict[str, np.ndarray] | None) -> str | None:
    """"byte" when the user's float inputs look like raw 0..255 values, "unit" when they look normalised, None
    when there is no numeric input to judge by."""
    seen = None
    for array in (current or {}).values():
        array = np.asarray(array)
        if array.dtype.kind != "f" or not array.size:
            continue
        finite = array[np.isfinite(array)]
        if finite.size and float(finite.min()) >= 0.0 and float(finite.max()) > 2.0:
            return "byte"
        seen = "unit"
    return seen


def verdict_for(stats: dict[str, OutputStats], input_keys: tuple[str, ...], values: dict[str, np.ndarray],
                groups: list[str], engine: str = "local", row_mismatch: bool = False,
                user_scale: str | None = None) -> tuple[str, list[Cause]]:
    """The verdict and its likely causes from per-output statistics (plain data; no model needed). `user_scale`
    ("byte", "unit" or None, see input_scale) says whether saturation at 0..255 is what the user hits."""
    causes: list[Cause] = []
    numeric = {k: s for k, s in stats.items() if s.numeric}
    served = engine in ("rest", "grpc", "v2", "v2+grpc")
    n = len(groups)

    for k, s in numeric.items():
        if s.nan or s.inf:
            causes.append(Cause(
                "nan_outputs", f"NaN/Inf in output {k}",
                f"{s.nan} NaN and {s.inf} Inf values across {n} probes.",
                "Look for a division by zero, log of 0, or an overflow at the input scale you send; check the "
                "training for exploding weights.", "error" if s.nan + s.inf >= np.asarray(values[k]).size else
                "warning"))

    stateful = [k for k, s in numeric.items() if s.repeat_difference > REPEAT_RTOL]
    if stateful:
        k = stateful[0]
        causes.append(Cause(
            "stateful", "a stateful or random model",
            f"The same input gave different outputs in two calls: output {k} moved by "
            f"{numeric[k].repeat_difference:.3g} of its magnitude.",
            "Predictions should not change state: remove variable assignments (counters, running statistics) "
            "from the serving signature, export with training=False so dropout and batch-norm updates are off, "
            "and seed or remove random ops."))
    if row_mismatch:
        causes.append(Cause(
            "caching", "a cache answering with a stored response",
            "A one-row request came back with the rows of an earlier, larger request.",
            "Disable response caching in the proxy or gateway in front of TF Serving (predict is a POST whose "
            "answer depends on the body), or add the request body to the cache key."))

    if not input_keys:
        causes.append(Cause(
            "no_inputs", "a signature without inputs",
            "This signature takes no inputs, so its outputs cannot depend on a request.",
            "Pick the signature that takes your data (--signature), or re-export with inputs.", "warning"))

    all_identical = bool(numeric) and all(s.identical for s in numeric.values())
    # Identical for every probe at a natural scale, moving only for huge 0..255 draws, is a collapse too: the
    # dead units wake up only far outside the data the model sees.
    natural = [g for g in dict.fromkeys(groups) if g not in ("byte", "repeat")]
    natural_identical = bool(numeric) and user_scale != "byte" and all(
        all(s.identical_by_group.get(g, True) for g in natural) and identical_across(values[k], groups, natural)
        for k, s in numeric.items())
    collapsed = (all_identical or natural_identical) and input_keys
    if collapsed:
        k, s = next(iter(numeric.items()))
        first = np.asarray(values[k])[0]
        detail = ""
        if s.saturation == "softmax":
            row = np.asarray(first, np.float64).reshape(-1, first.shape[-1])[0] if first.ndim else first
            if np.allclose(row, 1.0 / row.size, atol=1e-4):
                detail = f" — a uniform softmax (1/{row.size} each): zero weights or dead ReLUs"
            elif s.saturated > 0.9:
                detail = f" — a one-hot softmax pinned at class {s.argmax}"
        elif np.allclose(first, 0.0):
            detail = " — all zeros: dead ReLUs or zero weights"
        elif s.saturation == "sigmoid" and s.saturated > 0.9:
            detail = " — a sigmoid pinned at its bounds"
        which = (f"Every one of {n} probes (zeros, ones, random at 0..1, normal and 0..255, sweeps of "
                 f"{', '.join(input_keys)})" if all_identical else
                 f"Every probe at a natural scale (zeros, ones, random at 0..1 and normal, sweeps of "
                 f"{', '.join(input_keys)}; only raw 0..255 draws moved it)")
        causes.append(Cause(
            "collapsed_model", "a collapsed or untrained model",
            f"{which} gave the same {k} = {_preview(first)}{detail}.",
            "Check that the export saved trained weights (restore the checkpoint before saving; a fresh model "
            "object has initial weights), look at the training loss for collapse (learning rate too high, dead "
            "ReLUs, all-zero initialisation), and compare with a known-good version."))
        if served and not row_mismatch:
            causes.append(Cause(
                "caching", "possibly a cache in front of the server",
                "A server gave the same answer to every probe; a cache keyed on the URL would look the same.",
                "Run the same check against the model folder (--compare-local FOLDER): if the folder's outputs "
                "vary, the server or a proxy is answering from a cache or serving another model.", "warning"))

    # Preprocessing: saturated or constant at 0..255 while varying at 0..1.
    preprocessing = []
    for k, s in numeric.items():
        if collapsed or "byte" not in s.by_group or "unit" not in s.by_group:
            continue
        byte_stuck = s.identical_by_group.get("byte") or (
            s.saturation is not None and s.saturated_by_group.get("byte", 0) >= 0.9
            and s.argmax_by_group.get("byte") is True)
        unit_free = not s.identical_by_group.get("unit", True) and (
            s.saturation is None or s.saturated_by_group.get("unit", 0) < 0.5)
        if byte_stuck and unit_free and user_scale != "unit":
            # Only the user's own data says which scale they send: raw 0..255 input makes this THE cause;
            # without it, many classifiers saturate at 255x their training scale, so it is only a warning.
            if user_scale == "byte":
                preprocessing.append(k)
            byte_rows = np.asarray(values[k])[[i for i, g in enumerate(groups) if g == "byte"]]
            pinned = s.saturated_by_group.get("byte", 0.0)
            parts = []
            if s.saturation and pinned >= 0.5:
                parts.append(f"{pinned:.0%} of the {s.saturation} outputs are pinned at 0 or 1")
            if s.identical_by_group.get("byte"):
                parts.append(f"every probe gives {k} = {_preview(byte_rows[0])}")
            else:
                parts.append(f"{k} always predicts the same class")
            own = [g for g in ("base", "current", "perturb") if g in groups]
            lead = ("Your input looks like raw 0..255 values" + (
                    ", and it and its perturbations all give the same answer" if own and identical_across(
                        values[k], groups, own) else "") + ". With" if user_scale == "byte" else
                    "If you send raw 0..255 values (unnormalised pixels), expect this: with")
            unit_pinned = f", {s.saturated_by_group.get('unit', 0):.0%} pinned" if s.saturation else ""
            causes.append(Cause(
                "preprocessing_mismatch", "unnormalised inputs saturating the model",
                f"{lead} random inputs at 0..255, {' and '.join(parts)}; at 0..1 it varies (spread "
                f"{s.by_group['unit']:.3g}{unit_pinned}).",
                "Scale inputs as in training before sending (e.g. pixels / 255.0, or the mean/std normalisation "
                "your training pipeline used), or build the preprocessing into the exported model (a Rescaling "
                "or Normalization layer) so clients can send raw values.",
                "error" if user_scale == "byte" else "warning"))

    # Saturation around the user's own raw input: random 0..255 draws may still land on different pinned patterns
    # (so the check above sees them vary), but the user's input and its perturbations all get one answer.
    own = [g for g in ("base", "current", "perturb") if g in groups]
    if user_scale == "byte" and not collapsed and not preprocessing and own:
        for k, s in numeric.items():
            around = spread_across(values[k], groups, own, s.magnitude)
            unit = s.by_group.get("unit", 0.0)
            if around <= SATURATED_AROUND and unit > 10 * around and not s.identical_by_group.get("unit", True):
                preprocessing.append(k)
                causes.append(Cause(
                    "preprocessing_mismatch", "the model saturates at your input's scale",
                    f"Your input looks like raw 0..255 values, and around it {k} barely moves: spread "
                    f"{around:.2g} across your input and its perturbations (up to 10% noise), while random 0..1 "
                    f"inputs move it (spread {unit:.3g}). The model saturates at this input's scale: probably "
                    "unnormalised input.",
                    "Scale inputs as in training before sending (e.g. pixels / 255.0, or the mean/std normalisation "
                    "your training pipeline used), or build the preprocessing into the exported model (a Rescaling "
                    "or Normalization layer) so clients can send raw values."))
                break

    ignored = {}
    for k, s in numeric.items():
        if not s.identical:
            for key in s.insensitive_to:
                ignored.setdefault(key, []).append(k)
    if len(input_keys) > 1 and not collapsed:
        for key, outs in ignored.items():
            if any(key in s.moved_by for s in stats.values() if not s.numeric):
                continue  # it moves a string or bool output, which numbers cannot measure
            # Ignored means: this key's sweep is flat while another key's sweep moves the same outputs.
            moved_by_others = all(any(numeric[o].sensitivity.get(other, 0.0) > 0 and other not in
                                      numeric[o].insensitive_to for other in input_keys if other != key)
                                  for o in outs)
            if moved_by_others and len(outs) == len([s for s in numeric.values() if not s.identical]):
                sens = {o: numeric[o].sensitivity.get(key, 0.0) for o in outs}
                causes.append(Cause(
                    "ignored_input", f"input {key} is ignored",
                    f"Sweeping {key} with the other inputs fixed left {', '.join(outs)} unchanged (spread "
                    f"{max(sens.values()):.3g}) while the other inputs move it (spread "
                    f"{max(numeric[o].spread for o in outs):.3g}).",
                    f"Check that {key} is wired into the model (a Keras Input that no layer uses, a feature "
                    "dropped by preprocessing, a multiplication by a zero mask), or that you fill the right key."))

    for k, s in numeric.items():
        if s.argmax_constant and not s.identical and not preprocessing and not collapsed:
            causes.append(Cause(
                "constant_prediction", f"{k} always predicts class {s.argmax}",
                f"The scores vary (spread {s.spread:.3g}) but the top class is {s.argmax} for all {n} probes.",
                "Random probes may all fall in one class; try real inputs. If real inputs also always give this "
                "class, the model learned the majority class: check class balance and the loss.", "warning"))

    if stateful:
        verdict = "stateful"
    elif all_identical or collapsed:
        verdict = "identical"
    elif preprocessing or row_mismatch:
        verdict = "identical"
    elif any(c.cause == "ignored_input" for c in causes):
        verdict = "insensitive"
    else:
        verdict = "ok"
    return verdict, causes


def quantization_causes(sig: Signature, stats: dict[str, OutputStats]) -> list[Cause]:
    """A quantised (TFLite int8) output that does not move, or sits pinned: its scale, not the model, is to blame."""
    out = []
    for key, spec in sig.outputs.items():
        s, q = stats.get(key), spec.quantization
        if s is None or q is None or not s.numeric or not (s.identical or s.saturated >= 0.2):
            continue
        what = "gives the same value for every probe" if s.identical else f"is pinned for {s.saturated:.0%} of probes"
        out.append(Cause(
            "quantization", f"int8 quantisation of output {key}",
            f"{key} is stored as {q.text()}: one step is {q.scale[0]:.3g}, and it {what}. Variation smaller than "
            "a step, or values beyond the calibrated range, are lost in the integers.",
            "Convert again with a representative dataset like the real inputs (convert-compare --representative N), "
            "keep this output in float (inference_output_type=tf.float32), or use 16x8 quantisation; compare with "
            "the SavedModel (convert-compare) to see the drift.",
            "error" if s.identical else "warning"))
    return out
