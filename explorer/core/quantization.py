"""Affine quantisation as TFLite does it: q = round(real / scale) + zero_point, clipped to the integer dtype;
real = scale * (q - zero_point). Per tensor, or per axis by broadcasting along the quantised dimension."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .signature import Quantization


@dataclass(frozen=True)
class Quantized:
    """Integers ready for the model, with how many real values fell outside the range and were clipped."""

    values: np.ndarray
    clipped: int
    low: float  # the real range the integers can represent
    high: float


def _params(q: Quantization, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    scale = np.asarray(q.scale, np.float64)
    zero = np.asarray(q.zero_point, np.float64)
    if q.per_axis and ndim:
        shape = [1] * ndim
        shape[q.axis] = -1
        return scale.reshape(shape), zero.reshape(shape)
    return scale[:1].reshape(()), zero[:1].reshape(())


def quantize(real, q: Quantization) -> Quantized:
    """Real values -> the storage integers (round half to even, as TFLite's reference kernels do), clipped."""
    real = np.asarray(real, np.float64)
    storage = np.dtype(q.storage.removeprefix("DT_").lower())
    info = np.iinfo(storage)
    scale, zero = _params(q, real.ndim)
    raw = np.rint(real / scale) + zero
    clipped = int(np.count_nonzero((raw < info.min) | (raw > info.max))) if raw.size else 0
    low = float(np.min((info.min - zero) * scale))
    high = float(np.max((info.max - zero) * scale))
    return Quantized(np.clip(raw, info.min, info.max).astype(storage), clipped, low, high)


def dequantize(values, q: Quantization) -> np.ndarray:
    """Storage integers -> float32 real values."""
    values = np.asarray(values)
    scale, zero = _params(q, values.ndim)
    return ((values.astype(np.float64) - zero) * scale).astype(np.float32)


def real_range(q: Quantization) -> tuple[float, float]:
    """The real values a (per-tensor) quantised tensor can hold: [(qmin - zp) * scale, (qmax - zp) * scale]."""
    info = np.iinfo(np.dtype(q.storage.removeprefix("DT_").lower()))
    scale, zero = q.scale[0], q.zero_point[0]
    return (info.min - zero) * scale, (info.max - zero) * scale
