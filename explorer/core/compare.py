"""Side by side: two signature sets (keys, methods, dtypes, shapes, tensor names) and two predictions."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .signature import Signature, TensorSpec

# --- signatures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference inside a signature. Tensor-name changes are "info": exports rename graph tensors freely."""

    where: str  # "method", "input x", "output y"
    what: str  # "method_name", "missing", "dtype", "shape", "name"
    a: str
    b: str
    severity: str = "error"  # "error" breaks a request that works on the other side; "info" does not

    def text(self) -> str:
        if self.what == "missing":
            return f"{self.where}: only in {'A' if self.a else 'B'}"
        return f"{self.where}: {self.what} {self.a or '(none)'} -> {self.b or '(none)'}"  # a TFLite side has none


@dataclass(frozen=True)
class SignatureDiff:
    """How one signature key compares: "same", "changed", "only_a" or "only_b"."""

    key: str
    status: str
    changes: tuple[Change, ...] = ()

    @property
    def breaking(self) -> bool:
        return self.status in ("only_a", "only_b") or any(c.severity == "error" for c in self.changes)

    def to_dict(self) -> dict:
        return {"key": self.key, "status": self.status, "breaking": self.breaking,
                "changes": [{"where": c.where, "what": c.what, "a": c.a, "b": c.b, "severity": c.severity}
                            for c in self.changes]}


def compare_signatures(a: dict[str, Signature], b: dict[str, Signature],
                       include_internal: bool = False) -> list[SignatureDiff]:
    """Every signature key of either side, sorted, with what differs between A and B. Against a KServe V2 model (one
    signature), a SavedModel's side is first mapped the way a V2 server serves it (v2protocol.as_served)."""
    from . import v2protocol

    if v2protocol.is_v2(a) != v2protocol.is_v2(b):
        a, b = (a, v2protocol.as_served(b)) if v2protocol.is_v2(a) else (v2protocol.as_served(a), b)
    out = []
    for key in sorted(set(a) | set(b)):
        sa, sb = a.get(key), b.get(key)
        if not include_internal and (sa or sb).internal:
            continue
        if sa is None or sb is None:
            out.append(SignatureDiff(key, "only_a" if sb is None else "only_b"))
            continue
        changes = []
        if sa.method_name != sb.method_name:
            # A TFLite SignatureDef records no method (TF Serving serves it as predict): not a break.
            changes.append(Change("method", "method_name", sa.method_name, sb.method_name,
                                  severity="info" if not sa.method_name or not sb.method_name else "error"))
        changes += _tensor_changes("input", sa.inputs, sb.inputs)
        changes += _tensor_changes("output", sa.outputs, sb.outputs)
        out.append(SignatureDiff(key, "changed" if changes else "same", tuple(changes)))
    return out


def _tensor_changes(kind: str, a: dict[str, TensorSpec], b: dict[str, TensorSpec]) -> list[Change]:
    changes = []
    for key in sorted(set(a) | set(b)):
        ta, tb = a.get(key), b.get(key)
        where = f"{kind} {key}"
        if ta is None or tb is None:
            changes.append(Change(where, "missing", "present" if ta else "", "present" if tb else ""))
            continue
        if (ta.quantization is None) != (tb.quantization is None) and ta.dt == tb.dt:
            # One side quantised (a TFLite conversion): both take and give the same real values, the runner converts.
            changes.append(Change(where, "quantized", _storage_text(ta), _storage_text(tb), severity="info"))
        elif ta.dtype != tb.dtype:
            changes.append(Change(where, "dtype", ta.dt.short, tb.dt.short))
        if ta.shape != tb.shape:
            changes.append(Change(where, "shape", ta.shape_text(), tb.shape_text()))
        if ta.name != tb.name:
            changes.append(Change(where, "name", ta.name, tb.name, severity="info"))
    return changes


def _storage_text(spec: TensorSpec) -> str:
    return spec.quantization.text() if spec.quantization is not None else spec.storage_dt.short


# --- predictions --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OutputDiff:
    """One output key of two predictions: agreement of shape and dtype, and how far the values are apart."""

    key: str
    status: str  # "equal", "close", "different", "shape_mismatch", "only_a", "only_b"
    shape_a: tuple | None = None
    shape_b: tuple | None = None
    dtype_a: str = ""
    dtype_b: str = ""
    max_abs: float | None = None
    max_rel: float | None = None
    allclose: bool = False
    mismatched: int = 0  # elements outside tolerance
    size: int = 0
    argmax_agree: float | None = None  # fraction of batch rows whose argmax agrees (class-score outputs)
    topk_agree: float | None = None  # mean overlap of the top-k sets, 0..1
    nonfinite_a: int = 0
    nonfinite_b: int = 0
    nonfinite_differ: int = 0  # positions where NaN/Inf appears on one side only, or differently
    diff: np.ndarray | None = field(default=None, repr=False)  # element-wise b - a (numeric outputs of equal shape)

    @property
    def agrees(self) -> bool:
        return self.status in ("equal", "close")

    def to_dict(self) -> dict:
        out = {
            "status": self.status, "agrees": self.agrees,
            "shape_a": list(self.shape_a) if self.shape_a is not None else None,
            "shape_b": list(self.shape_b) if self.shape_b is not None else None,
            "dtype_a": self.dtype_a, "dtype_b": self.dtype_b,
            "max_abs_diff": self.max_abs, "max_rel_diff": self.max_rel, "allclose": self.allclose,
            "mismatched": self.mismatched, "size": self.size,
            "nonfinite_a": self.nonfinite_a, "nonfinite_b": self.nonfinite_b, "nonfinite_differ": self.nonfinite_differ,
        }
        if self.argmax_agree is not None:
            out["argmax_agree"] = self.argmax_agree
            out["topk_agree"] = self.topk_agree
        return out


@dataclass(frozen=True, eq=False)
class PredictionDiff:
    """All outputs of two predictions compared at one tolerance."""

    outputs: dict[str, OutputDiff]
    rtol: float
    atol: float

    @property
    def equal(self) -> bool:
        """True when every output is present on both sides and agrees within tolerance."""
        return all(d.agrees for d in self.outputs.values())

    @property
    def differing(self) -> list[str]:
        return [k for k, d in self.outputs.items() if not d.agrees]

    def to_dict(self) -> dict:
        return {"equal": self.equal, "rtol": self.rtol, "atol": self.atol,
                "outputs": {k: d.to_dict() for k, d in self.outputs.items()}}


def compare_outputs(a: dict[str, np.ndarray], b: dict[str, np.ndarray], rtol: float = 1e-5, atol: float = 1e-6,
                    top_k: int = 5) -> PredictionDiff:
    """Compare two output dicts key by key (np.allclose semantics: |b - a| <= atol + rtol * |a|, NaN == NaN)."""
    return PredictionDiff({k: _output_diff(k, a.get(k), b.get(k), rtol, atol, top_k) for k in sorted(set(a) | set(b))},
                          rtol, atol)


def compare_predictions(a, b, rtol: float = 1e-5, atol: float = 1e-6, top_k: int = 5) -> PredictionDiff:
    """Compare two Predictions' outputs."""
    return compare_outputs(a.outputs, b.outputs, rtol=rtol, atol=atol, top_k=top_k)


def _dtype_name(array: np.ndarray) -> str:
    return "string" if array.dtype.kind in "OSU" else array.dtype.name


def _output_diff(key, a, b, rtol, atol, top_k) -> OutputDiff:
    if a is None or b is None:
        present = np.asarray(a if b is None else b)
        return OutputDiff(key, "only_a" if b is None else "only_b",
                          shape_a=None if a is None else present.shape, shape_b=None if b is None else present.shape,
                          size=int(present.size))
    a, b = np.asarray(a), np.asarray(b)
    base = dict(key=key, shape_a=a.shape, shape_b=b.shape, dtype_a=_dtype_name(a), dtype_b=_dtype_name(b))
    if a.shape != b.shape:
        return OutputDiff(status="shape_mismatch", size=int(max(a.size, b.size)), **base)
    if a.dtype.kind in "OSUb" or b.dtype.kind in "OSUb":
        same = np.asarray(a == b) if a.dtype.kind == b.dtype.kind else np.zeros(a.shape, bool)
        mismatched = int(a.size - np.count_nonzero(same))
        return OutputDiff(status="equal" if not mismatched else "different", allclose=not mismatched,
                          mismatched=mismatched, size=int(a.size), **base)
    # Complex outputs are compared as complex numbers: |b - a| is the distance in the plane (a float64 cast would
    # drop the imaginary part, with a ComplexWarning on stderr).
    wide = np.complex128 if a.dtype.kind == "c" or b.dtype.kind == "c" else np.float64
    fa, fb = a.astype(wide), b.astype(wide)
    finite_a, finite_b = np.isfinite(fa), np.isfinite(fb)
    both = finite_a & finite_b
    all_finite = bool(both.all())  # the usual case: skip the masks that only NaN/Inf need (1M elements: 2x faster)
    if all_finite:
        nonfinite_differ = 0
        diff = fb - fa
    else:
        # Non-finite values agree only when both sides hold the same one (NaN with NaN, +Inf with +Inf).
        nonfinite_same = ~finite_a & ~finite_b & ((np.isnan(fa) & np.isnan(fb)) | (fa == fb))
        nonfinite_differ = int(np.count_nonzero(~both & ~nonfinite_same))
        with np.errstate(invalid="ignore"):  # inf - inf where both sides agree on Inf; masked just below
            diff = np.where(both, fb - fa, 0.0)
    abs_diff = np.abs(diff)
    abs_a = np.abs(fa)
    within = abs_diff <= atol + rtol * abs_a
    mismatched = int(np.count_nonzero(~within if all_finite else both & ~within)) + nonfinite_differ
    max_abs = float(abs_diff.max()) if abs_diff.size else 0.0
    # Relative difference over finite pairs: |b - a| / |a|, infinite where a == 0 but b is not.
    nonzero = both & (fa != 0)
    max_rel = float((abs_diff[nonzero] / abs_a[nonzero]).max()) if nonzero.any() else 0.0
    if np.any(both & (fa == 0) & (abs_diff > 0)):
        max_rel = float("inf")
    if mismatched:
        status = "different"
    elif max_abs == 0.0 and a.dtype == b.dtype:
        status = "equal"
    else:
        status = "close"
    argmax_agree = topk_agree = None
    if fa.ndim >= 1 and fa.shape[-1] > 1 and fa.size and wide is np.float64:  # complex numbers have no order
        # NaN ranks lowest; argpartition finds each row's top-k set in O(n) (a full argsort cost 25x np.allclose
        # on a (1000, 1000) output) and the overlap of two k-sets is a k*k comparison per row.
        rows_a = np.where(np.isnan(fa), -np.inf, fa).reshape(-1, fa.shape[-1])
        rows_b = np.where(np.isnan(fb), -np.inf, fb).reshape(-1, fb.shape[-1])
        argmax_agree = float(np.mean(rows_a.argmax(axis=1) == rows_b.argmax(axis=1)))
        k = min(top_k, fa.shape[-1])
        top_a = np.argpartition(-rows_a, k - 1, axis=1)[:, :k]
        top_b = np.argpartition(-rows_b, k - 1, axis=1)[:, :k]
        topk_agree = float(np.mean((top_a[:, :, None] == top_b[:, None, :]).any(axis=2).sum(axis=1) / k))
    return OutputDiff(status=status, max_abs=max_abs, max_rel=max_rel, allclose=not mismatched,
                      mismatched=mismatched, size=int(a.size), argmax_agree=argmax_agree, topk_agree=topk_agree,
                      nonfinite_a=int(np.count_nonzero(~finite_a)), nonfinite_b=int(np.count_nonzero(~finite_b)),
                      nonfinite_differ=nonfinite_differ, diff=diff, **base)


# --- several targets ------------------------------------------------------------------------------------------------


def compare_many(outputs: list[dict[str, np.ndarray] | None], reference: int = 0, rtol: float = 1e-5,
                 atol: float = 1e-6, top_k: int = 5) -> list[PredictionDiff | None]:
    """Each target's outputs against the reference's: one PredictionDiff per entry, None for the reference itself
    and for targets without outputs (not run yet, or failed)."""
    if not 0 <= reference < len(outputs) or outputs[reference] is None:
        return [None] * len(outputs)
    base = outputs[reference]
    return [None if i == reference or out is None else compare_outputs(base, out, rtol=rtol, atol=atol, top_k=top_k)
            for i, out in enumerate(outputs)]


RANDOM_FILL = "uniform"


def random_sources(signature: Signature, seed: int = 0, batch: int = 1) -> dict:
    """A seeded random request for every input of `signature` (sources.Source fills, uniform in [0, 1)), so two
    targets can be compared without any input given; string inputs get their default (empty strings, or tf.Examples
    of the graph's features at zero: random text means nothing to a model), as the form starts, `batch` rows."""
    from .defaults import default_source
    from .sources import Source

    sources = {}
    for i, (key, spec) in enumerate(sorted(signature.inputs.items())):
        if spec.dt.is_string:
            source = default_source(spec, signature.method_short or "predict", batch,
                                    signature.example_features.get(key))
            if source is not None:
                sources[key] = source
            continue
        # Each input gets its own seed so two inputs of one shape are not the same array.
        sources[key] = Source("fill", fill=RANDOM_FILL, params={"seed": seed + i})
    return sources
