"""Identical-output probes and their verdicts: vary the inputs on purpose, measure how the outputs move, name the cause.

`diagnose(runner, signature)` builds a probe set (random at three scales and several seeds, zeros, ones,
perturbations of the user's input, a sweep of each input key with the others fixed, and a repeat of one probe in
a separate call), sends it in as few calls as the signature allows, and turns the spread of every output into a
verdict — "identical", "insensitive", "stateful" or "ok" — with likely causes, evidence and fixes. The analysis
(`analyse_outputs`, `verdict_for`) is plain numpy, so it is tested and reused without a model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import ExplorerError, RunError
from .request import Request
from .signature import CLASSIFY, REGRESS, Signature, TensorSpec, default_key, user_signatures

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]

# Relative tolerances. float32 round-off across batch sizes is ~1e-7 of the magnitude; a collapsed softmax
# pinned at one-hot differs by ~1e-20: both are "the same answer" to a user.
IDENTICAL_RTOL = 1e-4  # an output whose every element moves less than this (relative to its magnitude) is constant
REPEAT_RTOL = 1e-5  # the same input answered this differently in two calls: state or randomness
INSENSITIVE_RATIO = 1e-3  # a key whose sweep moves the output less than this share of the overall spread
SATURATED_EPS = 1e-3  # a probability within this of 0 or 1 is pinned
MAX_ROWS_PER_CALL = 256
MAX_BYTES_PER_CALL = 64 << 20  # keep one request well under gRPC/REST limits and memory

# Scales of random probes. "byte" is where unnormalised images live (0..255); "unit" is where most models
# were trained (0..1); a model that saturates at the first and not the second was fed the wrong preprocessing.
SCALES = ("unit", "normal", "byte")


class DiagnosisCancelled(ExplorerError):
    """The user cancelled a check between two calls."""

    def __init__(self):
        super().__init__("The check was cancelled; no verdict.")


# --- results --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One probe: a label users read, its kind ("base", "zeros", "ones", "random", "perturb", "sweep", "repeat",
    "current"), a group for the analysis ("unit", "byte", "sweep:KEY", ...), and its input values (one row of a
    batch, or a whole request when the signature cannot be batched)."""

    label: str
    kind: str
    group: str
    inputs: dict[str, np.ndarray] = field(repr=False, compare=False)
    examples: tuple[dict, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Cause:
    """A likely cause behind the verdict: an id for machines, a title, what we saw, and what to do."""

    cause: str  # "collapsed_model", "ignored_input", "preprocessing_mismatch", "stale_version", "pinned_version",
    #             "other_model", "caching", "stateful", "nan_outputs", "no_inputs", "constant_prediction"
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

    def to_dict(self) -> dict:
        out = {"spread": _num(self.spread), "identical": self.identical, "insensitive_to": list(self.insensitive_to)}
        if not self.numeric:
            out["numeric"] = False
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


def _never() -> bool:
    return False


def _quiet(fraction: float, text: str) -> None:
    pass


# --- probe construction ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How probes become calls: "batch" (stack rows, any count), "fixed" (exactly `rows` per call) or "single"."""

    mode: str
    rows: int  # rows per call: MAX for batch, N for fixed, 1 for single
    unit_shapes: dict[str, tuple[int, ...]]  # input key -> shape of one probe (a row, or a whole request)


def plan_for(signature: Signature, current: dict[str, np.ndarray] | None = None,
             force_single: bool = False) -> Plan:
    """Pick the packing the signature allows: a [-1, ...] batch dim stacks probes, a fixed [N, ...] forces calls
    of N rows, a [1]-shaped, scalar or mixed input forces one call per probe."""
    specs = signature.inputs
    if not specs:
        return Plan("single", 1, {})
    leads = set()
    for key, spec in specs.items():
        if spec.shape is None or not spec.has_shape:
            leads.add(-1)  # unknown rank: try a batch of rows; diagnose() retries one call per probe if refused
        elif len(spec.shape) == 0:
            leads.add(0)
        else:
            leads.add(spec.shape[0])
    if force_single or len(leads) != 1 or leads & {0, 1}:
        mode, rows = "single", 1
    elif leads == {-1}:
        mode, rows = "batch", MAX_ROWS_PER_CALL
    else:
        mode, rows = "fixed", leads.pop()
    shapes = {}
    for key, spec in specs.items():
        shapes[key] = _unit_shape(spec, mode, None if current is None else current.get(key))
    if mode == "batch":
        row_bytes = sum(int(np.prod(s, dtype=np.int64)) * _itemsize(specs[k]) for k, s in shapes.items())
        rows = max(1, min(MAX_ROWS_PER_CALL, MAX_BYTES_PER_CALL // max(row_bytes, 1)))
    return Plan(mode, rows, shapes)


def _itemsize(spec: TensorSpec) -> int:
    try:
        return max(spec.dt.np.itemsize, 1) if not spec.dt.is_string else 64
    except (KeyError, TypeError):
        return 8


def _unit_shape(spec: TensorSpec, mode: str, current: np.ndarray | None) -> tuple[int, ...]:
    """Shape of one probe of this input: without the batch dim in batch/fixed mode, whole otherwise."""
    if current is not None:
        shape = tuple(np.shape(current))
        return shape[1:] if mode != "single" and shape else shape
    if spec.shape is None or not spec.has_shape:
        # Unknown rank (or no shape recorded, which TF1 graphs read as "anything"): a column of scalars per
        # probe; serialized tf.Examples as a 1-D batch, as every ParseExample takes them.
        if mode == "single":
            return (1,) if spec.dt.is_string else ()
        return () if spec.dt.is_string else (1,)
    dims = tuple(8 if d < 0 else d for d in spec.shape)  # 8 for variable inner dims: small, and > 1
    if mode == "single":
        return tuple(1 if (i == 0 and d < 0) else (8 if d < 0 else d) for i, d in enumerate(spec.shape))
    return dims[1:]


def is_example_input(signature: Signature, spec: TensorSpec) -> bool:
    """String inputs of classify/regress signatures carry serialized tf.Example protos."""
    # TF2 re-exports keep the classify/regress key "inputs" but call every signature "predict".
    return spec.dt.is_string and (signature.method_name in (CLASSIFY, REGRESS) or spec.key in (
        "inputs", "examples", "tf_example", "serialized_examples") or spec.name.startswith("tf_example"))


def _draw(spec: TensorSpec, shape: tuple[int, ...], scale: str, rng: np.random.Generator) -> np.ndarray:
    """Random values for one input at a scale, in the input's dtype."""
    dt = spec.dt
    if dt.is_string:
        words = rng.integers(0, 1 << 30, size=shape)
        return np.vectorize(lambda w: f"probe {w}".encode(), otypes=[object])(words) if words.size else \
            np.empty(shape, object)
    npdt = dt.np
    if dt.name == "DT_BOOL":
        return rng.random(shape) < 0.5
    if dt.is_integer:
        # Integer inputs are often ids into a table: stay small so no lookup runs out of range.
        high = {"unit": 2, "normal": 10, "byte": 256 if dt.name == "DT_UINT8" else 10}[scale]
        return rng.integers(0, high, size=shape).astype(npdt)
    # Drawn directly in float32/float64 (numpy's generators support both): a 256 x 224x224x3 probe set is
    # 38 M values, and a float64 draw plus a cast doubles the time and the memory.
    direct = npdt if npdt in (np.float32, np.float64) else np.float64
    if scale == "normal":
        values = rng.standard_normal(shape, dtype=direct)
    else:
        values = rng.random(shape, dtype=direct)
        if scale == "byte":
            values *= 255.0
    return values if values.dtype == npdt else values.astype(npdt)


def _filled(spec: TensorSpec, shape: tuple[int, ...], value: float) -> np.ndarray:
    if spec.dt.is_string:
        return np.full(shape, b"" if value == 0 else b"1", dtype=object)
    return np.full(shape, value, dtype=spec.dt.np)


def _perturbed(spec: TensorSpec, base: np.ndarray, relative: float, rng: np.random.Generator) -> np.ndarray:
    if spec.dt.is_string or spec.dt.name == "DT_BOOL":
        return base.copy()
    magnitude = float(np.abs(base.astype(np.float64)).mean()) if base.size else 0.0
    noise = rng.standard_normal(base.shape) * relative * (magnitude or 1.0)
    if spec.dt.is_integer:
        return np.clip(base + np.round(noise * 10), 0, None).astype(base.dtype)
    return (base + noise).astype(base.dtype)


def _example_draw(template: dict, scale: str, rng: np.random.Generator) -> dict:
    """A tf.Example feature dict shaped like `template`, numeric features drawn at `scale`."""
    out = {}
    for name, value in template.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if values and all(isinstance(v, bool) for v in values):
            out[name] = [bool(v) for v in rng.random(len(values)) < 0.5]
        elif values and all(isinstance(v, int) for v in values):
            high = {"unit": 2, "normal": 10, "byte": 256}[scale]
            out[name] = [int(v) for v in rng.integers(0, high, len(values))]
        elif values and all(isinstance(v, (int, float)) for v in values):
            n = len(values)
            drawn = {"unit": rng.random(n), "normal": rng.standard_normal(n), "byte": rng.random(n) * 255}[scale]
            out[name] = [float(v) for v in drawn]
        else:
            out[name] = list(values)  # text features stay as given: we cannot guess a vocabulary
    return out


def _example_filled(template: dict, value: float) -> dict:
    out = {}
    for name, v in template.items():
        values = v if isinstance(v, (list, tuple)) else [v]
        if values and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values):
            out[name] = [type(x)(value) for x in values]
        else:
            out[name] = list(values)
    return out


def _example_perturbed(example: dict, relative: float, rng: np.random.Generator) -> dict:
    out = {}
    for name, v in example.items():
        values = v if isinstance(v, (list, tuple)) else [v]
        if values and all(isinstance(x, float) for x in values):
            out[name] = [x + float(rng.standard_normal()) * relative * (abs(x) or 1.0) for x in values]
        else:
            out[name] = list(values)
    return out


DEFAULT_EXAMPLE = {"x": [0.5]}  # TF Serving's own classify/regress test models read one float feature "x"


class ProbeSet(list):
    """The probes in order (a list of Probe), plus `arrays`: every input stacked over all probes, so a batch of
    probes is a slice, not a re-stack of hundreds of rows (None when the probes' shapes differ)."""

    arrays: dict[str, np.ndarray] | None = None


def build_probes(signature: Signature, count: int = 64, plan: Plan | None = None,
                 current: dict[str, np.ndarray] | None = None, examples: list[dict] | None = None,
                 seed: int = 0) -> ProbeSet:
    """About `count` probes for `signature` (at least 12): a base (the user's input or a unit-scale draw), zeros,
    ones, perturbations of the base, a sweep of each input key with the others at the base, and random draws at
    the unit, normal and 0..255 scales. The last probe is a repeat of the base, meant for a separate call."""
    plan = plan or plan_for(signature, current)
    rng = np.random.Generator(np.random.SFC64(seed))  # ~1.5x faster draws than the default PCG64
    specs = signature.inputs
    count = max(int(count), 12)
    example_keys = [k for k, s in specs.items() if is_example_input(signature, s)]
    plain_keys = [k for k in specs if k not in example_keys]
    template = (examples[0] if examples else DEFAULT_EXAMPLE) if example_keys else None

    # Probes are collected as blocks of rows per key (one RNG call per block, no per-row copies) and stacked
    # once at the end: per-row draws and stacks cost more than a small model's whole batch.
    metas: list[tuple[str, str, str, tuple]] = []  # (label, kind, group, examples of the probe)
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in plain_keys}

    def add_rows(labels: list[str], kind: str, group: str, rows: dict[str, np.ndarray], exs_list: list[tuple]):
        """Append len(labels) probes; rows[k] is an (m, ...) block, or one row repeated for all m."""
        m = len(labels)
        for k in plain_keys:
            block = rows[k]
            pieces[k].append(block if block.ndim == len(plan.unit_shapes[k]) + 1 and len(block) == m
                             and not _is_row(block, plan.unit_shapes[k]) else
                             np.broadcast_to(block, (m,) + block.shape))
        for i, label in enumerate(labels):
            metas.append((label, kind, group, exs_list[i] if exs_list else ()))

    def add_one(label: str, kind: str, group: str, inputs: dict, exs: tuple = ()):
        add_rows([label], kind, group, {k: np.asarray(v)[None] for k, v in inputs.items()}, [exs])

    def block(key: str, scale: str, m: int) -> np.ndarray:
        return _draw(specs[key], (m,) + tuple(plan.unit_shapes[key]), scale, rng)

    # The base: what the user is looking at, else one unit-scale draw.
    base: dict[str, np.ndarray] = {}
    for k in plain_keys:
        if current and k in current:
            array = np.asarray(current[k])
            base[k] = array[0] if plan.mode != "single" and array.ndim else array
        else:
            base[k] = _draw(specs[k], plan.unit_shapes[k], "unit", rng)
    base_ex: tuple = ()
    if template is not None:
        base_ex = (examples[0],) if examples else (_example_draw(template, "unit", rng),)
    if current:
        base_label = "your input"
    elif examples and template is not None:
        base_label = "your example"
    else:
        base_label = "base (random 0..1)"
    add_one(base_label, "base", "base", base, base_ex)
    if examples and template is not None and plan.mode != "single":
        for i, example in enumerate(examples[1:4], start=1):
            add_one(f"your example {i}", "current", "current", base, (example,))
    if current and plan.mode != "single":
        # More rows of the user's batch are probes too.
        rows = min(int(min((np.shape(current[k])[0] for k in base if k in current and np.ndim(current[k])),
                           default=1)), 4)
        for i in range(1, rows):
            add_one(f"your input row {i}", "current", "current",
                    {k: (np.asarray(current[k])[i] if k in current else v) for k, v in base.items()}, base_ex)
    zeros_ex = (_example_filled(template, 0),) if template is not None else ()
    ones_ex = (_example_filled(template, 1),) if template is not None else ()
    add_one("zeros", "zeros", "fill", {k: _filled(specs[k], plan.unit_shapes[k], 0) for k in base}, zeros_ex)
    add_one("ones", "ones", "fill", {k: _filled(specs[k], plan.unit_shapes[k], 1) for k in base}, ones_ex)
    for relative in (1e-3, 1e-1):
        exs = tuple(_example_perturbed(e, relative, rng) for e in base_ex)
        add_one(f"base + {relative:g} noise", "perturb", "perturb",
                {k: _perturbed(specs[k], v, relative, rng) for k, v in base.items()}, exs)
    # Sweeps: one key varies, the others stay at the base. Example inputs sweep as one key.
    sweep_keys = plain_keys + example_keys[:1]
    remaining = count - len(metas) - 1  # one repeat at the end
    per_key = max(3, remaining // (2 * max(len(sweep_keys), 1))) if len(sweep_keys) > 1 else max(3, remaining // 4)
    for key in sweep_keys:
        for scale, m in (("unit", (per_key + 1) // 2), ("normal", per_key // 2)):
            if not m:
                continue
            labels = [f"sweep {key} #{i + 1} ({scale})" for i in range(m)]
            rows = dict(base)
            if key in example_keys:
                exs_list = [(_example_draw(template, scale, rng),) for _ in range(m)]
            else:
                rows[key] = block(key, scale, m)
                exs_list = [base_ex] * m
            add_rows(labels, "sweep", f"sweep:{key}", rows, exs_list)
    # Random draws at three scales fill the rest, in equal shares.
    remaining = max(count - len(metas) - 1, 2 * len(SCALES))
    unit_blocks: dict[str, np.ndarray] = {}
    for j, scale in enumerate(SCALES):
        m = remaining // len(SCALES) + (1 if j < remaining % len(SCALES) else 0)
        if not m:
            continue
        rows = {}
        for k in plain_keys:
            if scale == "byte" and k in unit_blocks and specs[k].dt.is_float and len(unit_blocks[k]) >= m:
                # The 0..1 draws scaled to 0..255: a paired comparison that isolates the scale, at the cost
                # of a multiply instead of another random draw.
                rows[k] = (unit_blocks[k][:m] * 255).astype(unit_blocks[k].dtype)
            else:
                rows[k] = block(k, scale, m)
            if scale == "unit":
                unit_blocks[k] = rows[k]
        exs_list = [(_example_draw(template, scale, rng),) for _ in range(m)] if template is not None else []
        add_rows([f"random {scale} #{i + 1}" for i in range(m)], "random", scale, rows, exs_list)
    add_one("repeat of base (separate call)", "repeat", "repeat", base, base_ex)
    return _assemble(metas, pieces, plan, example_keys)


def _is_row(array: np.ndarray, unit_shape: tuple) -> bool:
    """True when `array` is one probe's value (so it must be repeated), not a block of rows."""
    return array.shape == tuple(unit_shape)


def _assemble(metas, pieces, plan: Plan, example_keys: list[str]) -> ProbeSet:
    """Stack each key's blocks once and hand every Probe views of its rows."""
    n = len(metas)
    arrays: dict[str, np.ndarray] | None = {}
    try:
        for k, blocks in pieces.items():
            arrays[k] = np.concatenate(blocks) if blocks else np.empty((n,) + tuple(plan.unit_shapes[k]))
    except ValueError:
        arrays = None  # probes of different shapes (a user's input unlike the signature): no common stack
    if example_keys and any(m[3] for m in metas):
        serialized = _serialize([m[3][0] if m[3] else {} for m in metas])
        stacked = {}
        for k in example_keys:
            stacked[k] = serialized.reshape((n,) + (tuple(plan.unit_shapes[k]) or ()))
        if arrays is not None:
            arrays.update(stacked)
    else:
        stacked = {}
    out = ProbeSet()
    for i, (label, kind, group, exs) in enumerate(metas):
        if arrays is not None:
            inputs = {k: a[i] for k, a in arrays.items()}
        else:
            inputs = {k: _row(pieces[k], i) for k in pieces}
            inputs.update({k: a[i] for k, a in stacked.items()})
        out.append(Probe(label, kind, group, inputs, exs))
    out.arrays = arrays
    return out


def _row(blocks: list[np.ndarray], i: int) -> np.ndarray:
    for block in blocks:
        if i < len(block):
            return block[i]
        i -= len(block)
    raise IndexError(i)


def _serialize(examples: list[dict]) -> np.ndarray:
    from .examples import serialize_examples

    return serialize_examples(examples)


# --- running ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProbeRun:
    """Raw results: each output stacked over probes (None where it could not be split per probe)."""

    values: dict[str, np.ndarray]
    repeat: dict[str, np.ndarray]  # outputs for the repeat probe, from its own call
    base_in_batch: dict[str, np.ndarray]  # outputs for the base probe, from the first call
    calls: int
    mode: str
    notes: tuple[str, ...]
    timing_ms: dict[str, float]
    row_mismatch: bool = False  # a response held a different number of rows than the request sent


def _method(signature: Signature) -> str:
    return signature.request_method


def _request(signature: Signature, probes: list[Probe], plan: Plan, start: int = 0, stop: int | None = None) -> Request:
    """The request for probes[start:stop]: a slice of the stacked arrays when there are some, padded to the fixed
    batch size when the signature has one."""
    stop = len(probes) if stop is None else stop
    chosen = probes[start:stop]
    arrays = getattr(probes, "arrays", None)
    if plan.mode == "single":
        (probe,) = chosen
        inputs = {k: _cast(signature.inputs[k], v) for k, v in probe.inputs.items()}
        examples = probe.examples
    else:
        inputs = {}
        for k, spec in signature.inputs.items():
            dtype = object if spec.dt.is_string else spec.dt.np  # once per key: the lookup is not free
            rows = arrays[k][start:stop] if arrays is not None else np.stack([p.inputs[k] for p in chosen])
            if plan.mode == "fixed" and len(rows) < plan.rows:
                # Pad by repeating the last row: the signature takes exactly N rows.
                rows = np.concatenate([rows, np.repeat(rows[-1:], plan.rows - len(rows), axis=0)])
            inputs[k] = np.asarray(rows, dtype=dtype)
        pad = plan.rows - len(chosen) if plan.mode == "fixed" else 0
        examples = tuple(e for p in chosen for e in p.examples) + (chosen[-1].examples * pad)
    for k, spec in signature.inputs.items():
        if (spec.shape is None or not spec.has_shape) and plan.mode != "single" and spec.dt.is_string:
            inputs[k] = inputs[k].reshape(-1)
    return Request(signature.key, inputs, method=_method(signature), examples=examples)


def _cast(spec: TensorSpec, value) -> np.ndarray:
    array = np.asarray(value)
    if spec.dt.is_string:
        return array.astype(object)
    return array.astype(spec.dt.np, copy=False)


def run_probes(runner, signature: Signature, probes: list[Probe], plan: Plan,
               progress: Progress = _quiet, cancelled: Cancelled = _never) -> ProbeRun:
    """Send every probe but the last (the repeat) packed by `plan`, then the repeat in a call of its own; check
    `cancelled()` before each call. The base probe (first) goes in the first call, so its twin is separate."""
    main = len(probes) - 1
    step = 1 if plan.mode == "single" else plan.rows
    ranges = [(i, min(i + step, main)) for i in range(0, main, step)]
    total = len(ranges) + 1
    pieces: dict[str, list] = {}
    per_probe_ok: dict[str, bool] = {}
    notes: list[str] = []
    calls = 0
    row_mismatch = False
    t0 = time.perf_counter()
    predict_ms = 0.0
    first_outputs: dict[str, np.ndarray] = {}

    def call(start: int, stop: int) -> dict[str, np.ndarray]:
        nonlocal calls, predict_ms
        if cancelled():
            raise DiagnosisCancelled()
        request = _request(signature, probes, plan, start, stop)
        started = time.perf_counter()
        prediction = runner.predict(request)
        predict_ms += (time.perf_counter() - started) * 1000
        calls += 1
        progress(calls / total, f"probe call {calls} of {total}")
        return {k: np.asarray(v) for k, v in prediction.outputs.items()}

    for start, stop in ranges:
        outputs = call(start, stop)
        if not first_outputs:
            first_outputs = outputs
        for key, value in outputs.items():
            rows = _split(value, stop - start, plan)
            if rows is None:
                if per_probe_ok.get(key, True):
                    expected = plan.rows if plan.mode == "fixed" else stop - start
                    if value.ndim and plan.mode != "single":
                        notes.append(f"output {key} has {value.shape[0]} rows for {expected} probes sent: "
                                     "it is not per example, so it was left out of the analysis")
                per_probe_ok[key] = False
                continue
            pieces.setdefault(key, []).append(rows)
            per_probe_ok.setdefault(key, True)
    repeat_out = call(main, main + 1)
    repeat_rows = {}
    for key, value in repeat_out.items():
        rows = _split(value, 1, plan)
        if rows is None:
            if plan.mode == "batch" and value.ndim and key in first_outputs and \
                    first_outputs[key].shape == value.shape and value.shape[0] != 1:
                row_mismatch = True  # one row asked, a whole earlier batch answered: a cache keyed on the URL
            continue
        repeat_rows[key] = rows[0]
    first = ranges[0][1] - ranges[0][0] if ranges else 0
    base_rows = {}
    for k, v in first_outputs.items():
        rows = _split(v, first, plan)
        if rows is not None:
            base_rows[k] = rows[0]
    values = {}
    for key, blocks in pieces.items():
        if not per_probe_ok.get(key):
            continue
        if len({b.shape[1:] for b in blocks}) > 1:  # variable-length outputs: compare the common prefix
            flat = [np.asarray(r).reshape(-1) for b in blocks for r in b]
            n = min(f.size for f in flat)
            notes.append(f"output {key} changes shape between probes; compared its first {n} values")
            values[key] = np.stack([f[:n] for f in flat])
        else:
            values[key] = np.concatenate(blocks)
    timing = {"total": (time.perf_counter() - t0) * 1000, "predict": predict_ms}
    return ProbeRun(values, repeat_rows, base_rows, calls, plan.mode, tuple(notes), timing, row_mismatch)


def _split(value: np.ndarray, n: int, plan: Plan) -> np.ndarray | None:
    """One output of a call as a block of per-probe rows (n, ...), or None when it is not per probe."""
    if plan.mode == "single":
        return value[None]
    if value.ndim == 0 or value.shape[0] < n:
        return None
    if plan.mode == "batch" and value.shape[0] != n:
        return None
    return value[:n]


# --- analysis (plain numpy) -------------------------------------------------------------------------------------


def analyse_output(key: str, values: np.ndarray, groups: list[str], repeat: np.ndarray | None = None,
                   base: np.ndarray | None = None, input_keys: tuple[str, ...] = ()) -> OutputStats:
    """Statistics of one output over probes: `values` is (probes, ...) in probe order, `groups[i]` the group of
    probe i ("sweep:KEY" groups give the per-key sensitivity, relative to the base probe at index 0)."""
    values = np.asarray(values)
    if values.dtype.kind in "OSUb" or values.dtype.kind == "c":
        flat = values.reshape(len(values), -1)
        same = bool(all(np.array_equal(flat[0], row) for row in flat[1:]))
        return OutputStats(key, numeric=False, identical=same, exact=same)
    n = len(values)
    row_shape = values.shape[1:]
    data = values.reshape(n, -1).astype(np.float64)
    finite = np.isfinite(data)
    nan = int(np.isnan(data).sum())
    inf = int(np.isinf(data).sum())
    clean = np.where(finite, data, 0.0)
    magnitude = float(np.abs(clean).sum() / max(finite.sum(), 1))
    scale = magnitude if magnitude > 0 else 1.0
    exact = bool(n > 0 and np.array_equal(data, np.broadcast_to(data[:1], data.shape), equal_nan=True))
    # An exact repeat has no spread at all; np.std would report summation round-off (~1e-17) instead.
    std = np.zeros(data.shape[1]) if exact else clean.std(axis=0)
    spread = float(std.mean() / scale) if std.size else 0.0
    value_range = (clean.max(axis=0) - clean.min(axis=0)) if n else np.zeros(0)
    rel_range = float(value_range.max() / scale) if value_range.size else 0.0
    identical = exact or rel_range <= IDENTICAL_RTOL
    # Largest pairwise distance through the Gram matrix: O(n^2 d) in one BLAS call, not a Python double loop.
    sq = (clean * clean).sum(axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (clean @ clean.T) if n else np.zeros((0, 0))
    norms = np.sqrt(sq)
    max_distance = float(np.sqrt(max(float(d2.max()), 0.0)) / (norms.mean() or 1.0)) if n else 0.0

    index: dict[str, list[int]] = {}
    for i, name in enumerate(groups):  # one pass: a comprehension per group is O(groups x probes)
        index.setdefault(name, []).append(i)
    by_group, identical_by_group = {}, {}
    for g, idx in index.items():
        if len(idx) > 1:
            sub = clean[idx]
            by_group[g] = float(sub.std(axis=0).mean() / scale)
            identical_by_group[g] = bool((sub.max(axis=0) - sub.min(axis=0)).max() / scale <= IDENTICAL_RTOL)
    sensitivity = {}
    for k in input_keys:
        idx = index.get(f"sweep:{k}")
        if idx:
            sub = clean[[0] + idx]  # the base plus the sweep: only key k differs between these
            # Relative to these probes' own magnitude: 0..255 probes of a linear model would otherwise set a
            # scale 100x above what the sweep (at 0..1 and normal) produces.
            local = float(np.abs(sub).mean()) or scale
            sensitivity[k] = float(sub.std(axis=0).mean() / local)
    overall = max([spread] + list(sensitivity.values()))
    insensitive = tuple(k for k, s in sensitivity.items()
                        if s <= INSENSITIVE_RATIO * overall or s * scale <= 1e-12)

    saturation, saturated, saturated_by_group = _saturation(clean[:, :], row_shape, finite, index)
    argmax_constant, argmax, argmax_by_group = None, None, {}
    if row_shape and row_shape[-1] > 1:
        classes = clean.reshape((n,) + row_shape).argmax(axis=-1).reshape(n, -1)
        argmax_constant = bool((classes == classes[:1]).all())
        argmax = int(classes[0, 0]) if argmax_constant and classes.size else None
        for g, idx in index.items():
            if len(idx) > 1:
                argmax_by_group[g] = bool((classes[idx] == classes[idx[:1]]).all())
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


def _saturation(data: np.ndarray, row_shape: tuple, finite: np.ndarray, index: dict[str, list[int]]):
    """Does the output look like a softmax, sigmoid or tanh, and what share of it is pinned at its bounds?"""
    if not data.size or not finite.all():
        return None, 0.0, {}
    lo, hi = float(data.min()), float(data.max())
    n = len(data)
    if lo >= 0.0 and hi <= 1.0:
        if row_shape and row_shape[-1] > 1:
            rows = data.reshape((n,) + row_shape)
            if np.allclose(rows.sum(axis=-1), 1.0, atol=1e-3):
                pinned = (rows.max(axis=-1) >= 1.0 - SATURATED_EPS).reshape(n, -1).mean(axis=1)
                kind = "softmax"
            else:
                pinned = ((data <= SATURATED_EPS) | (data >= 1.0 - SATURATED_EPS)).mean(axis=1)
                kind = "sigmoid"
        else:
            pinned = ((data <= SATURATED_EPS) | (data >= 1.0 - SATURATED_EPS)).mean(axis=1)
            kind = "sigmoid"
    elif lo >= -1.0 and hi <= 1.0 and lo < 0.0:
        pinned = (np.abs(data) >= 1.0 - SATURATED_EPS).mean(axis=1)
        kind = "tanh"
    else:
        return None, 0.0, {}
    by_group = {g: float(pinned[idx].mean()) for g, idx in index.items() if idx}
    return kind, float(pinned.mean()), by_group


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
    served = engine in ("rest", "grpc")
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

    ignored = {}
    for k, s in numeric.items():
        if not s.identical:
            for key in s.insensitive_to:
                ignored.setdefault(key, []).append(k)
    if len(input_keys) > 1 and not collapsed:
        for key, outs in ignored.items():
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
            served_versions = sorted(int(s.version) for s in states if str(s.state).upper() == "AVAILABLE")
            found["server_status"] = [{"version": int(s.version), "state": str(s.state)} for s in states]
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
        known = ", ".join(sorted(user_signatures(signatures))) or "none"
        raise RunError(f"No signature {key!r} to check; this model has: {known}.", key=key,
                       fix="Pick one with --signature.")
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


def _with_repeat(stats: OutputStats, difference: float) -> OutputStats:
    from dataclasses import replace

    return replace(stats, repeat_difference=difference)
