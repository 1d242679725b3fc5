"""Whether two targets agree: the user's input plus seeded probes at that input's scale, and the verdict, said once.

One input proves little: an all-zero request makes y = x and y = 3x "equal". So a comparison sends the user's
input and DEFAULT_PROBES seeded random inputs spread like it; the CLI's `compare` and the window's Compare tab
both ask this module for the probes and for the verdict's words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compare import PredictionDiff, compare_outputs
from .signature import Signature

DEFAULT_PROBES = 8


def constant_input_warning(inputs: dict[str, np.ndarray]) -> str | None:
    """A warning when every numeric input is constant (all zeros, say): one such input cannot show agreement."""
    numeric = {k: np.asarray(v) for k, v in inputs.items() if np.asarray(v).dtype.kind in "biuf"}
    if not numeric:
        return None
    if any(a.size > 1 and np.ptp(a) != 0 for a in numeric.values()):
        return None
    zeros = all(not np.any(a) for a in numeric.values())
    what = "all zeros" if zeros else "constant"
    return (f"Your input is {what}: many different models give the same answer to it, so it cannot show that "
            "two models agree; the probes decide.")


def _range(array: np.ndarray) -> tuple[float, float]:
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = float(np.min(finite)), float(np.max(finite))
    if hi == lo:  # a constant says nothing of the scale: spread around it by its own size (or by 1)
        half = max(abs(lo), 1.0)
        lo, hi = lo - half, hi + half
    return lo, hi


def _probe(array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "b":
        return rng.random(array.shape) < 0.5
    if kind in "iu":
        lo, hi = _range(array)
        info = np.iinfo(array.dtype)
        lo, hi = max(int(np.floor(lo)), info.min), min(int(np.ceil(hi)), info.max)
        return rng.integers(lo, hi, size=array.shape, endpoint=True).astype(array.dtype)
    if kind == "f":
        lo, hi = _range(array.astype(np.float64))
        return rng.uniform(lo, hi, size=array.shape).astype(array.dtype)
    return array  # text, serialized tf.Examples, complex: probes vary the numbers, these stay the user's


def probe_inputs(inputs: dict[str, np.ndarray], count: int = DEFAULT_PROBES, seed: int = 0) -> list[dict]:
    """`count` seeded inputs shaped like `inputs`, each numeric value drawn across the range the user's spans
    (around it when constant); empty when no input holds numbers (text alone cannot be made up)."""
    arrays = {k: np.asarray(v) for k, v in inputs.items()}
    if count <= 0 or not any(a.dtype.kind in "biuf" and a.size for a in arrays.values()):
        return []
    rng = np.random.default_rng(seed)
    return [{k: _probe(a, rng) for k, a in arrays.items()} for _ in range(count)]


def example_probe_inputs(inputs: dict[str, np.ndarray], key: str, examples: list[dict],
                         count: int = DEFAULT_PROBES, seed: int = 0) -> list[tuple[dict[str, np.ndarray], tuple]]:
    """`count` seeded (inputs, tf.Examples) like the user's, the serialized tf.Examples under `key` with every
    numeric feature drawn (0..1, normal and 0..255 in turn, as check's probes) and the other inputs as given; []
    when no feature holds numbers. Without them a classify/regress pair was compared on one input alone."""
    from .examples import serialize_examples
    from .probes import SCALES, _example_draw

    numeric = any(isinstance(v, (int, float)) and not isinstance(v, bool)
                  for ex in examples for value in ex.values()
                  for v in (value if isinstance(value, (list, tuple)) else [value]))
    if count <= 0 or not numeric or key not in inputs:
        return []
    rng = np.random.Generator(np.random.SFC64(seed))
    shape = np.shape(inputs[key])
    out = []
    for i in range(count):
        drawn = tuple(_example_draw(ex, SCALES[i % len(SCALES)], rng) for ex in examples)
        serialized = serialize_examples(list(drawn), key)
        if serialized.size != int(np.prod(shape)):
            return []
        out.append(({**inputs, key: serialized.reshape(shape)}, drawn))
    return out


def request_probes(inputs: dict[str, np.ndarray], examples=(), count: int = DEFAULT_PROBES, seed: int = 0,
                   example_key: str | None = None) -> list[tuple[dict[str, np.ndarray], tuple]]:
    """The probes a comparison sends besides the user's request, as (inputs, tf.Examples) pairs: numeric inputs
    drawn (probe_inputs) with the request's examples; else, for a request of serialized tf.Examples (`examples`
    under `example_key`, by default the one text input), their numeric features drawn. The CLI and the window
    decide it here, once."""
    numeric = probe_inputs(inputs, count, seed)
    if numeric or not examples:
        return [(p, tuple(examples)) for p in numeric]
    if example_key is None:
        text = [k for k, v in inputs.items() if np.asarray(v).dtype.kind in "OSU"]
        example_key = text[0] if len(text) == 1 else None
    return example_probe_inputs(inputs, example_key, list(examples), count, seed) if example_key else []


@dataclass(eq=False)
class Agreement:
    """B against A on the user's input and on each probe; `equal` only when all of them agree."""

    yours: PredictionDiff
    probes: list[PredictionDiff] = field(default_factory=list)
    probe_count: int = 0  # probes sent (a probe that failed on one side counts as differing)
    warning: str | None = None

    @property
    def differing_probes(self) -> int:
        return self.probe_count - sum(1 for d in self.probes if d.equal)

    @property
    def equal(self) -> bool:
        return self.yours.equal and self.differing_probes == 0

    @property
    def probe_differing_outputs(self) -> list[str]:
        return sorted({k for d in self.probes for k in d.differing})

    def verdict(self) -> str:
        """The verdict in words, without who is compared: "equal on your input, differs on 3 of 8 probes"."""
        n, k = self.probe_count, self.differing_probes
        if self.yours.equal:
            if not n:
                return "equal on your input (no probes sent)"
            return f"equal on your input, differs on {k} of {n} probes" if k else \
                f"equal on your input and on all {n} probes"
        if not n:
            return "differs on your input"
        return f"differs on your input and on {k} of {n} probes"

    def to_dict(self) -> dict:
        return {"equal": self.equal, "verdict": self.verdict(), "probes": self.probe_count,
                "differing_probes": self.differing_probes, "probe_differing_outputs": self.probe_differing_outputs,
                "warning": self.warning}


def agreement(yours_a: dict, yours_b: dict, probes_a: list, probes_b: list, inputs: dict | None = None,
              rtol: float = 1e-5, atol: float = 1e-6) -> Agreement:
    """Compare A and B on the user's input and on each probe (None for a probe that failed on that side)."""
    diffs = [compare_outputs(a, b, rtol=rtol, atol=atol) for a, b in zip(probes_a, probes_b)
             if a is not None and b is not None]
    return Agreement(compare_outputs(yours_a, yours_b, rtol=rtol, atol=atol), diffs,
                     probe_count=min(len(probes_a), len(probes_b)),
                     warning=constant_input_warning(inputs) if inputs is not None else None)


def agreement_many(outputs: list, probe_outputs: list, reference: int = 0, inputs: dict | None = None,
                   rtol: float = 1e-5, atol: float = 1e-6) -> list[Agreement | None]:
    """Each target's Agreement with the reference; None for the reference and for targets without outputs."""
    if not 0 <= reference < len(outputs) or outputs[reference] is None:
        return [None] * len(outputs)
    ref_probes = probe_outputs[reference] or []
    return [None if i == reference or out is None else
            agreement(outputs[reference], out, ref_probes, probe_outputs[i] or [], inputs, rtol, atol)
            for i, out in enumerate(outputs)]


def common_request_problem(signature_a: Signature, signature_b: Signature) -> str | None:
    """Why no one request fits both signatures (input keys, dtypes or fixed dims differ), or None when one does."""
    a, b = signature_a.inputs, signature_b.inputs
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        parts = ([f"only A takes {', '.join(only_a)}"] if only_a else []) + (
            [f"only B takes {', '.join(only_b)}"] if only_b else [])
        return "the inputs differ (" + "; ".join(parts) + ")"
    for key in sorted(a):
        sa, sb = a[key], b[key]
        if sa.dt != sb.dt:  # the values a user gives: a quantised TFLite input takes float32 like its SavedModel
            return f"input {key} is {sa.dt.short} in A and {sb.dt.short} in B"
        # Unknown rank (or no shape recorded nor read from the graph) fits any shape.
        ka, kb = sa.known_shape, sb.known_shape
        if ka is not None and kb is not None and (
                len(ka) != len(kb) or any(x >= 0 and y >= 0 and x != y for x, y in zip(ka, kb))):
            return f"input {key} is {sa.shape_text()} in A and {sb.shape_text()} in B"
    return None


def common_signature(signature_a: Signature, signature_b: Signature) -> Signature:
    """A's signature for building the request both sides are sent: an input whose shape A does not know (unknown
    rank, no shape recorded) takes B's known shape, so the request fits B too (common_request_problem said one does)."""
    from dataclasses import replace

    inputs = {}
    for key, spec in signature_a.inputs.items():
        other = signature_b.inputs.get(key)
        known = other.known_shape if other is not None else None
        inputs[key] = replace(spec, shape=known, has_shape=True) if spec.known_shape is None and known is not None \
            else spec
    return replace(signature_a, inputs=inputs)
