"""How each output moved across the probes: `OutputStats` and `analyse_output(s)`, plain numpy over blocks of
elements, so they are tested and reused without a model (verdict.py judges them, diagnose.py runs the probes)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .probes import RANDOM_BASE, RANDOM_SWEEP

# Relative tolerances. float32 round-off across batch sizes is ~1e-7 of the magnitude; a collapsed softmax
# pinned at one-hot differs by ~1e-20: both are "the same answer" to a user.
IDENTICAL_RTOL = 1e-4  # an output whose every element moves less than this (relative to its magnitude) is constant
INSENSITIVE_RATIO = 1e-3  # a key whose sweep moves the output less than this share of the overall spread
SATURATED_EPS = 1e-3  # a probability within this of 0 or 1 is pinned
CHUNK_VALUES = 1 << 20  # float64 values per block of elements the analysis holds at once (8 MB)


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


def _num(x: float) -> float | None:
    x = float(x)
    return round(x, 9) if np.isfinite(x) else None


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


def spread_across(values: np.ndarray, groups: list[str], names: list[str], magnitude: float) -> float:
    """Mean per-element std of the named groups' outputs, relative to the output's magnitude over all probes."""
    idx = [i for i, g in enumerate(groups) if g in names]
    if len(idx) < 2:
        return float("inf")  # one probe shows no spread, and no saturation either
    data = np.asarray(values, np.float64).reshape(len(values), -1)[idx]
    data = np.where(np.isfinite(data), data, 0.0)
    return float(data.std(axis=0).mean() / (magnitude or 1.0))


def identical_across(values: np.ndarray, groups: list[str], names: list[str]) -> bool:
    """True when the probes of the named groups all gave the same output (relative to its magnitude)."""
    idx = [i for i, g in enumerate(groups) if g in names]
    if len(idx) < 2:
        return True
    data = np.asarray(values, np.float64).reshape(len(values), -1)[idx]
    data = np.where(np.isfinite(data), data, 0.0)
    scale = float(np.abs(data).mean()) or 1.0
    return bool((data.max(axis=0) - data.min(axis=0)).max() / scale <= IDENTICAL_RTOL)
