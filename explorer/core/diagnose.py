"""Identical-output verdicts: how the outputs moved across the probes (probes.py), and the likely cause, named.

`diagnose(runner, signature)` builds a probe set, sends it in as few calls as the signature allows, and turns the
spread of every output into a verdict — "identical", "insensitive", "stateful" or "ok" — with likely causes,
evidence and fixes. The analysis (`analyse_outputs`, `verdict_for`) is plain numpy, so it is tested and reused
without a model.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import ExplorerError, RunError
from .probes import (DEFAULT_EXAMPLE, MAX_BYTES_PER_CALL, MAX_ROWS_PER_CALL, SCALES, Cancelled, DiagnosisCancelled, Plan,  # noqa: F401
                     RANDOM_BASE, RANDOM_SWEEP, Probe, ProbeRun, ProbeSet, Progress, _never, _quiet, build_probes,
                     is_example_input, plan_for, run_probes)
from .signature import Signature, default_key, missing_signature, user_signatures

# Relative tolerances. float32 round-off across batch sizes is ~1e-7 of the magnitude; a collapsed softmax
# pinned at one-hot differs by ~1e-20: both are "the same answer" to a user.
IDENTICAL_RTOL = 1e-4  # an output whose every element moves less than this (relative to its magnitude) is constant
REPEAT_RTOL = 1e-5  # the same input answered this differently in two calls: state or randomness
INSENSITIVE_RATIO = 1e-3  # a key whose sweep moves the output less than this share of the overall spread
SATURATED_EPS = 1e-3  # a probability within this of 0 or 1 is pinned
CHUNK_VALUES = 1 << 20  # float64 values per block of elements the analysis holds at once (8 MB)
SATURATED_AROUND = 1e-3  # outputs moving less than this around the user's input (10% noise) are pinned there


# --- results --------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True, eq=False)
class OutputStats:
    """How one output moved across the probes, relative to its own magnitude."""

    key: str
    numeric: bool
    spread: float = 0.0  # mean per-element std across probes / mean |value|
    max_distance: float = 0.0  # largest L2 distance between two probes' outputs / mean L2 norm
    identical: bool = False  # every element moved less than IDENTICAL_RTOL of the magnitude
    exact: bool = False  # bit-for-bit the same answer for every probe
    insensitive_to: tuple[str, ...] = ()
    sensitivity: dict[str, float] = field(default_factory=dict)  # input key -> spread of its sweep
    by_group: dict[str, float] = field(default_factory=dict)  # probe group -> spread within it
    saturation: str | None = None  # "softmax", "sigmoid", "tanh" when the values look like one
    saturated: float = 0.0  # share of pinned values (rows for softmax) over all probes
    saturated_by_group: dict[str, float] = field(default_factory=dict)
    argmax_constant: bool | None = None  # None when the output has no class axis
    argmax: int | None = None  # the constant class when argmax_constant
    argmax_by_group: dict[str, bool] = field(default_factory=dict)  # group -> argmax constant within it
    identical_by_group: dict[str, bool] = field(default_factory=dict)
    nan: int = 0
    inf: int = 0
    repeat_difference: float = 0.0  # largest relative difference between answers to the same input
    element_spread: np.ndarray | None = field(default=None, repr=False)  # per-element std / magnitude, row shape
    magnitude: float = 0.0
    moved_by: tuple[str, ...] = ()  # non-numeric outputs: the inputs whose sweep changed them

    def to_dict(self) -> dict:
        out = {"spread": _num(self.spread), "identical": self.identical, "insensitive_to": list(self.insensitive_to)}
        if not self.numeric:
            out["numeric"] = False
            out["moved_by"] = list(self.moved_by)
            return out
        out.update({
            "exact": self.exact, "max_distance": _num(self.max_distance),
            "sensitivity": {k: _num(v) for k, v in self.sensitivity.items()},
            "by_group": {k: _num(v) for k, v in self.by_group.items()},
            "saturation": self.saturation, "saturated": _num(self.saturated),
            "argmax_constant": self.argmax_constant, "nan": self.nan, "inf": self.inf,
            "repeat_difference": _num(self.repeat_difference),
        })
        return out


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """The whole check: verdict, causes, per-output statistics, and the probe outputs for plots."""

    signature: str
    target: str
    engine: str
    verdict: str  # "identical" | "insensitive" | "stateful" | "ok"
    outputs: dict[str, OutputStats]
    causes: tuple[Cause, ...]
    probes: tuple[Probe, ...]
    values: dict[str, np.ndarray] = field(repr=False)  # output key -> (probes, *row shape) as returned
    mode: str = "batch"  # "batch", "fixed", "single": how probes were packed into calls
    calls: int = 0
    timing_ms: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    compared: dict | None = None  # local-vs-server findings when a folder was given

    @property
    def summary(self) -> str:
        """One sentence for a status line."""
        texts = {
            "identical": "Outputs are identical for different inputs.",
            "insensitive": "Outputs ignore some inputs.",
            "stateful": "The same input gave different outputs.",
            "ok": "Outputs vary with the inputs.",
        }
        head = texts.get(self.verdict, self.verdict)
        errors = [c.title for c in self.causes if c.severity == "error"]
        return head + (f" Likely: {errors[0]}." if errors else "")

    def to_dict(self) -> dict:
        """The `check --json` schema."""
        out = {
            "signature": self.signature,
            "target": self.target,
            "engine": self.engine,
            "verdict": self.verdict,
            "outputs": {k: s.to_dict() for k, s in self.outputs.items()},
            "causes": [c.to_dict() for c in self.causes],
            "probes": len(self.probes),
            "calls": self.calls,
            "mode": self.mode,
            "timing_ms": {k: round(v, 3) for k, v in self.timing_ms.items()},
            "notes": list(self.notes),
        }
        if self.compared is not None:
            out["compared"] = self.compared
        return out


def _num(x: float) -> float | None:
    x = float(x)
    return round(x, 9) if np.isfinite(x) else None


# --- analysis (plain numpy) -------------------------------------------------------------------------------------


def analyse_output(key: str, values: np.ndarray, groups: list[str], repeat: np.ndarray | None = None,
                   base: np.ndarray | None = None, input_keys: tuple[str, ...] = ()) -> OutputStats:
    """Statistics of one output over probes: `values` is (probes, ...) in probe order, `groups[i]` the group of
    probe i ("sweep:KEY" groups give the per-key sensitivity, relative to the base probe at index 0)."""
    values = np.asarray(values)
    if values.dtype.kind in "OSUb" or values.dtype.kind == "c":
        flat = values.reshape(len(values), -1)
        same = bool(all(np.array_equal(flat[0], row) for row in flat[1:]))
        # Which inputs' sweeps change it (against the base probe): a key that moves only a string or bool output
        # is not ignored, though no numeric output follows it.
        moved = tuple(k for k in input_keys if any(not np.array_equal(flat[at], flat[i]) for at, group in
                                                   _sweeps(groups, k) for i, g in enumerate(groups) if g == group))
        return OutputStats(key, numeric=False, identical=same, exact=same, moved_by=moved)
    n = len(values)
    row_shape = values.shape[1:]
    flat = values.reshape(n, -1)  # a view of the probes' outputs when they are contiguous: no copy
    width = flat.shape[1]
    last = row_shape[-1] if row_shape else 1
    index: dict[str, list[int]] = {}
    for i, name in enumerate(groups):  # one pass: a comprehension per group is O(groups x probes)
        index.setdefault(name, []).append(i)
    multi = {g: idx for g, idx in index.items() if len(idx) > 1}
    sweeps = {k: [[at] + index[group] for at, group in _sweeps(groups, k) if index.get(group)] for k in input_keys}
    classes_axis = bool(row_shape) and last > 1

    # Element blocks of ~CHUNK_VALUES float64 values across all probes (whole rows of the last axis, for softmax
    # and argmax): the float64 copies, |x|, x², std and ranges then take tens of MB, not 8 bytes x probes x
    # elements several times over (16 probes of a million values peaked at 549 MB, 64 at 2.2 GB).
    cols = max(CHUNK_VALUES // max(n, 1), 1)
    if last <= cols:  # whole rows per block
        step = (cols // last) * last
        blocks = [(a, min(a + step, width)) for a in range(0, width, step)]
    else:  # a row longer than a block ([None, 1000000]): pieces of one row at a time, its reductions carried over
        blocks = [(r + a, r + min(a + cols, last)) for r in range(0, width, last) for a in range(0, last, cols)]
    row_sum, row_max, row_arg = np.zeros(n), np.full(n, -np.inf), np.zeros(n, np.int64)  # the long row so far
    nan = inf = finite_count = 0
    abs_sum = 0.0
    exact = n > 0
    std = np.empty(width)
    range_max = 0.0
    gram = np.zeros((n, n))
    sq = np.zeros(n)
    group_std = dict.fromkeys(multi, 0.0)
    group_range = dict.fromkeys(multi, 0.0)
    sweep_std = {k: [0.0] * len(s) for k, s in sweeps.items()}
    sweep_abs = {k: [0.0] * len(s) for k, s in sweeps.items()}
    all_finite, lo, hi, sums_to_one = True, np.inf, -np.inf, True
    pinned_soft, pinned_sig, pinned_tanh = np.zeros(n), np.zeros(n), np.zeros(n)
    argmax_constant = classes_axis or None
    argmax = None
    argmax_by_group = dict.fromkeys(multi, True) if classes_axis else {}
    for start, stop in blocks:
        data = flat[:, start:stop].astype(np.float64)
        finite = np.isfinite(data)
        nan += int(np.isnan(data).sum())
        inf += int(np.isinf(data).sum())
        finite_count += int(finite.sum())
        if exact:
            exact = bool(np.array_equal(data, np.broadcast_to(data[:1], data.shape), equal_nan=True))
        if not finite.all():
            all_finite = False
            data[~finite] = 0.0  # the clean copy, in place
        clean = data
        abs_sum += float(np.abs(clean).sum())
        std[start:stop] = clean.std(axis=0)
        if n:
            range_max = max(range_max, float((clean.max(axis=0) - clean.min(axis=0)).max()))
            lo, hi = min(lo, float(clean.min())), max(hi, float(clean.max()))
        sq += (clean * clean).sum(axis=1)
        gram += clean @ clean.T
        for g, idx in multi.items():
            sub = clean[idx]
            group_std[g] += float(sub.std(axis=0).sum())
            group_range[g] = max(group_range[g], float((sub.max(axis=0) - sub.min(axis=0)).max()))
        for k, subs in sweeps.items():
            for j, rows in enumerate(subs):
                sub = clean[rows]  # the base plus the sweep: only key k differs between these
                sweep_std[k][j] += float(sub.std(axis=0).sum())
                sweep_abs[k][j] += float(np.abs(sub).sum())
        if all_finite and n:
            pinned_sig += ((clean <= SATURATED_EPS) | (clean >= 1.0 - SATURATED_EPS)).sum(axis=1)
            pinned_tanh += (np.abs(clean) >= 1.0 - SATURATED_EPS).sum(axis=1)
        if not (classes_axis and n):
            continue
        if stop - start >= last:  # whole rows: (probes, rows) sums, maxima and classes of this block
            rows = clean.reshape(n, -1, last)
            sums, maxes, classes = rows.sum(axis=-1), rows.max(axis=-1), rows.argmax(axis=-1)
        else:  # a piece of one long row: carry its sum, maximum and argmax (the first maximum, as argmax picks)
            row_sum += clean.sum(axis=1)
            piece_max = clean.max(axis=1)
            better = piece_max > row_max
            row_arg[better] = clean.argmax(axis=1)[better] + (start % last)
            row_max = np.maximum(row_max, piece_max)
            if stop % last:
                continue
            sums, maxes, classes = row_sum[:, None], row_max[:, None], row_arg[:, None].copy()
            row_sum, row_max, row_arg = np.zeros(n), np.full(n, -np.inf), np.zeros(n, np.int64)
        if all_finite:
            sums_to_one = sums_to_one and bool(np.allclose(sums, 1.0, atol=1e-3))
            pinned_soft += (maxes >= 1.0 - SATURATED_EPS).sum(axis=1)
        if argmax is None and classes.size:
            argmax = int(classes[0, 0])
        argmax_constant = argmax_constant and bool((classes == classes[:1]).all())
        for g, idx in multi.items():
            argmax_by_group[g] = argmax_by_group[g] and bool((classes[idx] == classes[idx[:1]]).all())

    magnitude = float(abs_sum / max(finite_count, 1))
    scale = magnitude if magnitude > 0 else 1.0
    if exact:  # an exact repeat has no spread at all; np.std would report summation round-off (~1e-17) instead
        std = np.zeros(width)
    spread = float(std.mean() / scale) if std.size else 0.0
    rel_range = float(range_max / scale) if width and n else 0.0
    identical = exact or rel_range <= IDENTICAL_RTOL
    # Largest pairwise distance through the Gram matrix: O(n^2 d) in BLAS calls, not a Python double loop.
    d2 = sq[:, None] + sq[None, :] - 2.0 * gram if n else np.zeros((0, 0))
    norms = np.sqrt(sq)
    max_distance = float(np.sqrt(max(float(d2.max()), 0.0)) / (norms.mean() or 1.0)) if n else 0.0
    by_group = {g: (group_std[g] / width if width else float("nan")) / scale for g in multi}
    identical_by_group = {g: bool((group_range[g] if width else float("nan")) / scale <= IDENTICAL_RTOL)
                          for g in multi}
    sensitivity = {}
    for k, subs in sweeps.items():
        # Relative to these probes' own magnitude: 0..255 probes of a linear model would otherwise set a scale
        # 100x above what the sweep (at 0..1 and normal) produces.
        around = [(sweep_std[k][j] / width if width else float("nan"))
                  / ((sweep_abs[k][j] / (len(rows) * width) if width else float("nan")) or scale)
                  for j, rows in enumerate(subs)]
        if around:
            sensitivity[k] = max(around)
    overall = max([spread] + list(sensitivity.values()))
    insensitive = tuple(k for k, s in sensitivity.items()
                        if s <= INSENSITIVE_RATIO * overall or s * scale <= 1e-12)

    saturation, saturated, saturated_by_group = None, 0.0, {}
    pinned = None
    if width and n and all_finite:
        if lo >= 0.0 and hi <= 1.0:
            if classes_axis and sums_to_one:
                pinned, saturation = pinned_soft / (width // last), "softmax"
            else:
                pinned, saturation = pinned_sig / width, "sigmoid"
        elif lo >= -1.0 and hi <= 1.0 and lo < 0.0:
            pinned, saturation = pinned_tanh / width, "tanh"
    if pinned is not None:
        saturated_by_group = {g: float(pinned[idx].mean()) for g, idx in index.items() if idx}
        saturated = float(pinned.mean())
    if not classes_axis:
        argmax_constant, argmax, argmax_by_group = None, None, {}
    elif not argmax_constant:
        argmax = None
    repeat_difference = 0.0
    if repeat is not None and base is not None and np.shape(repeat) == np.shape(base):
        a = np.asarray(base, np.float64).reshape(-1)
        b = np.asarray(repeat, np.float64).reshape(-1)
        both = np.isfinite(a) & np.isfinite(b)
        if both.any():
            repeat_difference = float(np.abs(a[both] - b[both]).max() / scale)
        if (np.isfinite(a) != np.isfinite(b)).any():
            repeat_difference = float("inf")
    element_spread = (std / scale).reshape(row_shape) if std.size else np.zeros(row_shape)
    return OutputStats(key, True, spread, max_distance, identical, exact, insensitive, sensitivity, by_group,
                       saturation, saturated, saturated_by_group, argmax_constant, argmax, argmax_by_group,
                       identical_by_group, nan, inf, repeat_difference, element_spread, magnitude)


def _sweeps(groups: list[str], key: str) -> list[tuple[int, str]]:
    """(index of the base probe, group of the sweep of `key` around it): the first base, and the random one."""
    out = [(0, f"sweep:{key}")]
    if RANDOM_BASE in groups:
        out.append((groups.index(RANDOM_BASE), f"sweep:{key}{RANDOM_SWEEP}"))
    return out


def analyse_outputs(values: dict[str, np.ndarray], groups: list[str], input_keys: tuple[str, ...] = (),
                    repeat: dict[str, np.ndarray] | None = None,
                    base: dict[str, np.ndarray] | None = None) -> dict[str, OutputStats]:
    """analyse_output for every output, in sorted key order."""
    repeat, base = repeat or {}, base or {}
    return {k: analyse_output(k, values[k], groups, repeat.get(k), base.get(k), input_keys) for k in sorted(values)}


# --- verdicts ---------------------------------------------------------------------------------------------------


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
        all(s.identical_by_group.get(g, True) for g in natural) and _identical_across(values[k], groups, natural)
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
                    ", and it and its perturbations all give the same answer" if own and _identical_across(
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
            around = _spread_across(values[k], groups, own, s.magnitude)
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


# --- local vs server --------------------------------------------------------------------------------------------


def _spread_across(values: np.ndarray, groups: list[str], names: list[str], magnitude: float) -> float:
    """Mean per-element std of the named groups' outputs, relative to the output's magnitude over all probes."""
    idx = [i for i, g in enumerate(groups) if g in names]
    if len(idx) < 2:
        return float("inf")  # one probe shows no spread, and no saturation either
    data = np.asarray(values, np.float64).reshape(len(values), -1)[idx]
    data = np.where(np.isfinite(data), data, 0.0)
    return float(data.std(axis=0).mean() / (magnitude or 1.0))


def _identical_across(values: np.ndarray, groups: list[str], names: list[str]) -> bool:
    """True when the probes of the named groups all gave the same output (relative to its magnitude)."""
    idx = [i for i, g in enumerate(groups) if g in names]
    if len(idx) < 2:
        return True
    data = np.asarray(values, np.float64).reshape(len(values), -1)[idx]
    data = np.where(np.isfinite(data), data, 0.0)
    scale = float(np.abs(data).mean()) or 1.0
    return bool((data.max(axis=0) - data.min(axis=0)).max() / scale <= IDENTICAL_RTOL)


def _compare_local(runner, signature: Signature, probes: list[Probe], plan: Plan, run: ProbeRun, folder: str,
                   stats: dict[str, OutputStats], progress: Progress, cancelled: Cancelled,
                   open_local=None) -> tuple[dict, list[Cause]]:
    """Send the same probes to the folder's versions; say whether the server matches the newest, an older one,
    or none, and what its version status shows."""
    from .compare import compare_signatures
    from .savedmodel import list_versions, read_model

    if open_local is None:
        from .targets import open_runner as open_local
    causes: list[Cause] = []
    versions = list(list_versions(folder))  # newest first
    info = read_model(folder)
    candidates = versions or [None]
    found: dict = {"folder": str(folder), "versions": versions, "matches": None, "outputs_agree": {}}
    served_versions: list[int] = []
    status_fn = getattr(runner, "status", None)
    if callable(status_fn):
        try:
            states = status_fn()
            # TF Serving's versions are numbers; a KServe V2 server's are strings, or "" when it names none.
            served_versions = sorted(int(s.version) for s in states
                                     if str(s.state).upper() == "AVAILABLE" and str(s.version).isdigit())
            found["server_status"] = [{"version": int(s.version) if str(s.version).isdigit() else s.version,
                                       "state": str(s.state)} for s in states]
        except ExplorerError as exc:
            found["server_status_error"] = str(exc)
    sig_diff = [d for d in compare_signatures(user_signatures(runner.signatures()), info.user_signatures)
                if d.breaking]
    if sig_diff:
        found["signature_differences"] = [d.to_dict() for d in sig_diff]
    newest = versions[0] if versions else None
    server_identical = bool(stats) and all(s.identical for s in stats.values() if s.numeric)
    match, matched = None, False  # a single SavedModel (no versions) matches as version None
    local_varies = None
    for i, version in enumerate(candidates):
        if cancelled():
            raise DiagnosisCancelled()
        progress(0.9 + 0.1 * i / len(candidates), f"sending the same probes to local version {version}")
        local = open_local(folder, version=version) if version is not None else open_local(folder)
        try:
            local_sig = local.signatures().get(signature.key)
            if local_sig is None:
                continue
            local_run = run_probes(local, local_sig, probes, plan)
        except ExplorerError as exc:
            found.setdefault("errors", {})[str(version)] = str(exc)
            continue
        finally:
            close = getattr(local, "close", None)
            if callable(close):
                close()
        agree = _outputs_agree(run.values, local_run.values)
        found["outputs_agree"][str(version)] = agree
        if local_varies is None:
            local_stats = analyse_outputs(local_run.values, [p.group for p in probes[:-1]])
            local_varies = not all(s.identical for s in local_stats.values() if s.numeric)
        if agree:
            match, matched = version, True
            break
    found["matches"], found["matched"] = match, matched
    local_text = f"version {newest} of the folder" if newest is not None else "the local model"
    if served_versions and newest is not None and max(served_versions) < newest:
        causes.append(Cause(
            "pinned_version", "a pinned version policy",
            f"The server's status lists version(s) {', '.join(map(str, served_versions))} as AVAILABLE while the "
            f"folder's newest is {newest}.",
            "Serve the newest version: set model_version_policy to latest (the default) in the model config, or "
            f"add {newest} to its specific versions; check the server reads this base path and has reloaded it."))
    if match is not None and newest is not None and match != newest:
        causes.append(Cause(
            "stale_version", f"the server serves version {match}, not {newest}",
            f"The same {len(probes)} probes give the server's answers on local version {match}, and different "
            f"answers on the newest, {newest}.",
            "Point clients at the version you mean (/versions/N or a version label), or make the server load the "
            "newest version (version policy, model config, a restart if files were replaced in place)."))
    elif not matched and (sig_diff or found["outputs_agree"]):
        evidence = (f"The server's signatures differ from the folder's ({len(sig_diff)} breaking difference(s))"
                    if sig_diff else f"The server's answers match no version of {folder} on the same probes")
        if server_identical and local_varies and not sig_diff:
            causes.append(Cause(
                "caching", "a cache or another model answering",
                f"The server gave one answer to every probe while {local_text} varies on the same "
                "probes.",
                "Check for a response cache in front of TF Serving (predict is a POST whose answer depends on the "
                "body) and that --model_base_path points at this folder."))
        else:
            causes.append(Cause(
                "other_model", "the server serves another model",
                evidence + ".",
                "Check the server's --model_base_path / model config points at this folder, and that the "
                "model name in the URL is the one you exported."))
    return found, causes


def _outputs_agree(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "OSUb" or y.dtype.kind in "OSUb":
            if not np.array_equal(x, y):
                return False
            continue
        fx, fy = x.astype(np.float64), y.astype(np.float64)
        scale = float(np.abs(fx[np.isfinite(fx)]).mean()) if np.isfinite(fx).any() else 1.0
        if not np.allclose(fx, fy, rtol=1e-4, atol=1e-5 * (scale or 1.0), equal_nan=True):
            return False
    return True


# --- the whole check --------------------------------------------------------------------------------------------


def diagnose(runner, signature: str | None = None, *, probes: int = 64, current: dict[str, np.ndarray] | None = None,
             examples: list[dict] | None = None, compare_local: str | None = None, seed: int = 0,
             progress: Progress = _quiet, cancelled: Cancelled = _never, open_local=None) -> Diagnosis:
    """Probe `runner`'s `signature` (default: serving_default) and name why its outputs do or do not vary.
    `current` is the user's input (perturbed and swept around), `examples` tf.Example feature dicts for string
    inputs, `compare_local` a model folder to send the same probes to (for a server target). Calls
    progress(fraction, text) after each call and raises DiagnosisCancelled if cancelled() turns true."""
    started = time.perf_counter()
    signatures = runner.signatures()
    key = signature or default_key(signatures)
    if key is None or key not in signatures:
        raise missing_signature(getattr(runner, "target", None) or "The model", key, signatures)
    sig = signatures[key]
    load_ms = 0.0
    if callable(getattr(runner, "load", None)):
        # Load before probing (TF import + restore can take seconds) so the probe timing is the probes' own.
        progress(0.0, "loading the model")
        loading = time.perf_counter()
        runner.load()
        load_ms = (time.perf_counter() - loading) * 1000  # wall time: TensorFlow's import included
    plan = plan_for(sig, current)
    probe_list = build_probes(sig, probes, plan, current, examples, seed)
    if not sig.inputs:
        probe_list = probe_list[:6]  # nothing to vary: a few calls to see whether the answer changes on its own
    progress(0.0, f"{len(probe_list)} probes, {plan.mode} calls")
    notes = []
    try:
        run = run_probes(runner, sig, probe_list, plan, progress, cancelled)
    except DiagnosisCancelled:
        raise
    except ExplorerError as exc:
        guessed = [k for k, spec in sig.inputs.items() if is_example_input(sig, spec)
                   and k not in sig.example_features] if not examples else []
        if guessed:
            # The probes' tf.Examples were a guess (TF Serving's one float "x"); the user must know it was not theirs.
            raise RunError(f"check has no tf.Example of yours for '{guessed[0]}', so it guessed "
                           f"{json.dumps(DEFAULT_EXAMPLE)}, and the model refused it: {' '.join(str(exc).split())}",
                           fix=f"Give one of yours: --example '{guessed[0]}=[{{\"feature\": 1.0}}]' (the window: type "
                               f"it in the form). {getattr(exc, 'fix', '')}".strip(),
                           details=getattr(exc, "details", ""), key=guessed[0]) from None
        if plan.mode == "single" or not any(s.shape is None or not s.has_shape for s in sig.inputs.values()):
            raise
        # Unknown-rank inputs: the batch of rows was refused, so probe with one scalar-shaped request per call.
        plan = plan_for(sig, None, force_single=True)
        probe_list = build_probes(sig, probes, plan, None, examples, seed)
        notes.append(f"a batch of probes was refused ({exc}); probed with one call each")
        try:
            run = run_probes(runner, sig, probe_list, plan, progress, cancelled)
        except DiagnosisCancelled:
            raise
        except ExplorerError:
            raise exc from None  # the batch's error is the one that explains the signature
    dropped = set(sig.outputs) - set(run.values)
    if plan.mode == "batch" and dropped and any(s.shape is None or not s.has_shape for s in sig.inputs.values()):
        # Unknown-rank inputs: stacking probes as rows was a guess, and an output that is not per row (a scalar
        # over the whole input) says it changed what the model computes; one call per probe sees every output.
        single = plan_for(sig, None, force_single=True)
        single_list = build_probes(sig, probes, single, None, examples, seed)
        try:
            single_run = run_probes(runner, sig, single_list, single, progress, cancelled)
        except DiagnosisCancelled:
            raise
        except ExplorerError:
            single_run = None
        if single_run is not None and set(single_run.values) > set(run.values):
            plan, probe_list, run = single, single_list, single_run
            notes.append(f"{', '.join(sorted(dropped))} is not per row when probes are stacked (an input of "
                         "unknown rank); probed with one call each")
    groups = [p.group for p in probe_list[:-1]]
    input_keys = tuple(k for k in sig.inputs if not is_example_input(sig, sig.inputs[k])) + tuple(
        k for k in sig.inputs if is_example_input(sig, sig.inputs[k]))[:1]
    if not sig.inputs:
        # Without inputs every probe is the same request: each later call is a repeat of the first.
        stats = {}
        for k, v in run.values.items():
            s = analyse_output(k, v, groups)
            stats[k] = s
        moved = {k: s for k, s in stats.items() if s.numeric and not s.identical}
        if moved:
            stats = {k: _with_repeat(s, max(s.spread, 1e-3)) if k in moved else s for k, s in stats.items()}
    else:
        stats = analyse_outputs(run.values, groups, input_keys, run.repeat, run.base_in_batch)
    verdict, causes = verdict_for(stats, input_keys if sig.inputs else (), run.values, groups,
                                  getattr(runner, "engine", "local"), run.row_mismatch, input_scale(current))
    causes = _quantization_causes(sig, stats) + causes
    compared = None
    if compare_local:
        compared, more = _compare_local(runner, sig, probe_list, plan, run, compare_local, stats, progress,
                                        cancelled, open_local)
        causes = [c for c in causes if not (c.cause == "caching" and c.severity == "warning")] + more
    progress(1.0, "done")
    timing = dict(run.timing_ms)
    timing["total"] = (time.perf_counter() - started) * 1000
    timing["load"] = load_ms
    return Diagnosis(key, getattr(runner, "target", ""), getattr(runner, "engine", ""), verdict, stats,
                     tuple(causes), tuple(probe_list), run.values, plan.mode, run.calls, timing,
                     tuple(notes) + run.notes, tuple(sig.inputs), compared)


def _quantization_causes(sig: Signature, stats: dict[str, OutputStats]) -> list[Cause]:
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


def _with_repeat(stats: OutputStats, difference: float) -> OutputStats:
    from dataclasses import replace

    return replace(stats, repeat_difference=difference)
