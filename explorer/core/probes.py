"""Probes: inputs made on purpose to see whether a model's outputs move, and how they are sent.

build_probes() makes a probe set for a signature (the user's input and perturbations of it, zeros, ones, a sweep of
each input key, random draws at the 0..1, normal and 0..255 scales, and a repeat of one probe for a separate call);
plan_for() says how the signature lets them be packed into calls; run_probes() sends them and stacks the outputs.
diagnose.py reads what came back.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import ExplorerError
from .request import Request
from .signature import CLASSIFY, REGRESS, Signature, TensorSpec

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]

MAX_ROWS_PER_CALL = 256
MAX_BYTES_PER_CALL = 64 << 20  # keep one request well under gRPC/REST limits and memory

# Scales of random probes. "byte" is where unnormalised images live (0..255); "unit" is where most models
# were trained (0..1); a model that saturates at the first and not the second was fed the wrong preprocessing.
SCALES = ("unit", "normal", "byte")


class DiagnosisCancelled(ExplorerError):
    """The user cancelled a check between two calls."""

    def __init__(self):
        super().__init__("The check was cancelled; no verdict.")



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
        # What comes back counts too: 58 probes of a [None, 1000000] float32 output answered 232 MB in one call,
        # held beside the values it is copied into.
        row_bytes += sum(_output_row_bytes(spec) for spec in signature.outputs.values())
        rows = max(1, min(MAX_ROWS_PER_CALL, MAX_BYTES_PER_CALL // max(row_bytes, 1)))
    return Plan(mode, rows, shapes)


def _output_row_bytes(spec: TensorSpec) -> int:
    """Bytes of one row of a batched output, as far as its declared shape says (unknown dims count as 1)."""
    if spec.shape is None or not spec.has_shape or len(spec.shape) == 0:
        return 0
    return int(np.prod([max(d, 1) for d in spec.shape[1:]], dtype=np.int64)) * _itemsize(spec)


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
    return spec.dt.is_string and (
        signature.method_name in (CLASSIFY, REGRESS) or spec.key in signature.example_features
        or spec.key in ("inputs", "examples", "tf_example", "serialized_examples") or spec.name.startswith("tf_example"))


def _blank_text(spec: TensorSpec, value) -> bool:
    """Empty strings only (the form's default for a text input): no text to probe around, so the base draws some;
    around "" a flag that changes the text (upper-casing it) could not be seen, and read as ignored."""
    if not spec.dt.is_string:
        return False
    array = np.asarray(value, dtype=object).reshape(-1)
    return bool(array.size) and all(v in (b"", "") for v in array)


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
    if dt.name == "DT_UINT8":
        # uint8 inputs are pixels or bytes, not ids: their range at every scale (at 0..2 and 0..10 a model that
        # divides its pixels by 255 barely moved, and its image input was called ignored).
        return rng.integers(0, 256, size=shape).astype(npdt)
    if dt.is_integer:
        # Integer inputs are often ids into a table: stay small so no lookup runs out of range.
        high = {"unit": 2, "normal": 10, "byte": 10}[scale]
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
        return np.array(base, copy=True)
    magnitude = float(np.abs(base).astype(np.float64).mean()) if base.size else 0.0  # |z| for complex inputs
    noise = rng.standard_normal(base.shape) * relative * (magnitude or 1.0)
    if spec.dt.is_integer:
        return np.clip(base + np.round(noise * 10), 0, None).astype(base.dtype)
    return (base + noise).astype(base.dtype)


def _example_draw(template: dict, scale: str, rng: np.random.Generator) -> dict:
    """A tf.Example feature dict shaped like `template`, numeric features drawn at `scale`."""
    out = {}
    for name, value in template.items():
        if isinstance(value, dict):  # {"bytes_list": [...]}: a kind given with the values (text: kept as it is)
            out[name] = value
            continue
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


RANDOM_BASE, RANDOM_SWEEP = "base:random", "@random"  # the second sweep base's group, and its sweeps' suffix
DEFAULT_EXAMPLE = {"x": [0.5]}  # TF Serving's own classify/regress test models read one float feature "x"


def example_template(signature: Signature) -> dict:
    """The tf.Example probes are drawn around when the user gave none: the graph's own features (numbers at 0.5,
    so draws and perturbations have a scale), else the guess DEFAULT_EXAMPLE."""
    from .example_features import default_example

    features = next(iter(signature.example_features.values()), None)
    if not features:
        return DEFAULT_EXAMPLE
    return {name: [0.5 if isinstance(v, float) else v for v in values]
            for name, values in default_example(features, typed=False).items()}


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
    template = (examples[0] if examples else example_template(signature)) if example_keys else None

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
        if current and k in current and not _blank_text(specs[k], current[k]):
            array = np.asarray(current[k])
            # array[0] of a string vector is a bytes object, not an array: keep every base value an ndarray.
            base[k] = np.asarray(array[0] if plan.mode != "single" and array.ndim else array, dtype=array.dtype)
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
    bases = [("", base, base_ex)]
    if current and len(sweep_keys) > 1:
        # Around the user's input another input may gate a key (a scale or mask of 0, as in the form's all-zero
        # default), and its sweep is flat there although the model uses it: the same sweeps around a unit-scale
        # draw ("sweep:KEY@random", against the probe of group RANDOM_BASE) tell the two apart.
        other = {k: _draw(specs[k], plan.unit_shapes[k], "unit", rng) for k in plain_keys}
        other_ex = (_example_draw(template, "unit", rng),) if template is not None else ()
        add_one("random base (0..1)", "base", RANDOM_BASE, other, other_ex)
        bases.append((RANDOM_SWEEP, other, other_ex))
    remaining = count - len(metas) - 1  # one repeat at the end
    per_key = max(3, remaining // (2 * max(len(sweep_keys), 1))) if len(sweep_keys) > 1 else max(3, remaining // 4)
    if len(bases) > 1:
        per_key = max(2, per_key // 2)
    for suffix, at, at_ex in bases:
        for key in sweep_keys:
            for scale, m in (("unit", (per_key + 1) // 2), ("normal", per_key // 2)):
                if not m:
                    continue
                where = ", random base" if suffix else ""
                labels = [f"sweep {key} #{i + 1} ({scale}{where})" for i in range(m)]
                rows = dict(at)
                if key in example_keys:
                    exs_list = [(_example_draw(template, scale, rng),) for _ in range(m)]
                else:
                    rows[key] = block(key, scale, m)
                    exs_list = [at_ex] * m
                add_rows(labels, "sweep", f"sweep:{key}{suffix}", rows, exs_list)
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
    per_probe_ok: dict[str, bool] = {}
    notes: list[str] = []
    calls = 0
    row_mismatch = False
    t0 = time.perf_counter()
    predict_ms = 0.0
    first_shapes: dict[str, tuple] = {}  # the first call's output shapes (a cache answering the repeat with them)
    base_rows: dict[str, np.ndarray] = {}
    # Each output's probe rows are copied into one array as the calls return: keeping every call's answer and
    # concatenating at the end held the values twice (64 probes of a million float32 values: 2 x 256 MB).
    values: dict[str, np.ndarray] = {}
    filled: dict[str, int] = {}
    ragged: dict[str, list] = {}  # outputs whose row shape or dtype changes between calls: their blocks

    def store(key: str, rows: np.ndarray) -> None:
        at = filled.get(key, 0)
        if key in ragged:
            ragged[key].append(rows)
        elif key not in values:
            values[key] = np.empty((main,) + rows.shape[1:], rows.dtype)
            values[key][:len(rows)] = rows
            filled[key] = len(rows)
        elif rows.shape[1:] != values[key].shape[1:] or rows.dtype != values[key].dtype or at + len(rows) > main:
            ragged[key] = [values.pop(key)[:at], rows]
        else:
            values[key][at:at + len(rows)] = rows
            filled[key] = at + len(rows)

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
        if start == 0:
            first_shapes = {k: v.shape for k, v in outputs.items()}
            for k, v in outputs.items():
                rows = _split(v, stop - start, plan)
                if rows is not None:
                    base_rows[k] = np.array(rows[0])  # a copy: a view would keep the whole first answer
        for key, value in outputs.items():
            rows = _split(value, stop - start, plan)
            if rows is None:
                if per_probe_ok.get(key, True):
                    expected = plan.rows if plan.mode == "fixed" else stop - start
                    if value.ndim and plan.mode != "single":
                        notes.append(f"output {key} has {value.shape[0]} rows for {expected} probes sent: "
                                     "it is not per example, so it was left out of the analysis")
                    elif plan.mode != "single":  # a scalar over the whole batch (a sum, a mean) said too
                        notes.append(f"output {key} is one value for {expected} probes sent together: it is not "
                                     "per example, so it was left out of the analysis")
                per_probe_ok[key] = False
                continue
            per_probe_ok.setdefault(key, True)
            store(key, rows)
        outputs = value = rows = None  # the call's answer is in `values` now: free it before the next call
    repeat_out = call(main, main + 1)
    repeat_rows = {}
    for key, value in repeat_out.items():
        rows = _split(value, 1, plan)
        if rows is None:
            spec = signature.outputs.get(key)
            fixed_rows = spec is not None and bool(spec.shape) and spec.shape[0] > 0  # declared (32, 10): not per row
            if plan.mode == "batch" and value.ndim and key in first_shapes and not fixed_rows and \
                    first_shapes[key] == value.shape and value.shape[0] != 1:
                row_mismatch = True  # one row asked, a whole earlier batch answered: a cache keyed on the URL
            continue
        repeat_rows[key] = rows[0]
    for key in list(values):
        if not per_probe_ok.get(key):
            del values[key]
        elif filled[key] < main:
            values[key] = values[key][:filled[key]]
    for key, blocks in ragged.items():
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
