"""drift(A, B): every signature key two runners share, run with the same seeded inputs, compared output by output.

The headline case is a SavedModel against its TFLite conversion: matched by key, the same inputs to both, and per
output the max abs/rel difference, argmax and top-k agreement, whether it stays within the tolerance band and, for
a quantised output, how many quantisation steps the largest difference is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compare import PredictionDiff, compare_predictions, random_sources
from .convert import DEFAULT_BATCH
from .errors import ExplorerError
from .request import Request
from .runners.base import Progress, no_progress


@dataclass(frozen=True, eq=False)
class SignatureDrift:
    """One signature key: what was sent, and how B's outputs drift from A's (None when it could not run)."""

    key: str
    inputs: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)  # key -> (shape, dtype)
    diff: PredictionDiff | None = None
    steps: dict[str, float] = field(default_factory=dict)  # output -> max |diff| in B's quantisation steps
    skipped: str = ""  # why it did not run

    def to_dict(self) -> dict:
        out = {"key": self.key, "inputs": {k: {"shape": list(s), "dtype": d} for k, (s, d) in self.inputs.items()},
               "skipped": self.skipped or None, "equal": None if self.diff is None else self.diff.equal,
               "outputs": {} if self.diff is None else {k: d.to_dict() for k, d in self.diff.outputs.items()}}
        for name, steps in self.steps.items():
            if name in out["outputs"]:
                out["outputs"][name]["quantization_steps"] = steps
        return out


def drift(runner_a, runner_b, *, seed: int = 0, batch: int = DEFAULT_BATCH, rtol: float = 1e-5, atol: float = 1e-6,
          top_k: int = 5, keys: list[str] | None = None, progress: Progress = no_progress) -> list[SignatureDrift]:
    """Each key both runners have (or `keys`), the same seeded request to both, sorted by key."""
    from .tensors import build_inputs

    sigs_a, sigs_b = runner_a.signatures(), runner_b.signatures()
    shared = sorted(k for k in (keys or sigs_a) if k in sigs_a and k in sigs_b)
    if not shared:
        raise ExplorerError("The two models share no signature key, so there is nothing to compare.",
                            fix=f"A has {', '.join(sorted(sigs_a)) or 'none'}; B has {', '.join(sorted(sigs_b)) or 'none'}.")
    out = []
    for i, key in enumerate(shared):
        progress(i / len(shared), f"running {key} on both")
        signature = sigs_a[key]
        try:
            arrays, _ = build_inputs(signature, random_sources(signature, seed, batch or 1), batch=batch)
        except ExplorerError as exc:
            out.append(SignatureDrift(key, skipped=str(exc)))
            continue
        request = Request(key, arrays, method=signature.request_method)
        pa, pb = runner_a.predict(request), runner_b.predict(request)
        diff = compare_predictions(pa, pb, rtol=rtol, atol=atol, top_k=top_k)
        steps = {}
        for name, spec in sigs_b[key].outputs.items():
            d = diff.outputs.get(name)
            if spec.quantization is not None and d is not None and d.max_abs is not None:
                steps[name] = float(d.max_abs / spec.quantization.scale[0]) if spec.quantization.scale[0] else 0.0
        out.append(SignatureDrift(key, {k: (tuple(np.shape(v)), np.asarray(v).dtype.name) for k, v in arrays.items()},
                                  diff, steps))
    progress(1.0, "compared")
    return out


def all_equal(drifts: list[SignatureDrift]) -> bool:
    """True when every signature that ran agrees within the tolerance band."""
    ran = [d for d in drifts if d.diff is not None]
    return bool(ran) and all(d.diff.equal for d in ran)
