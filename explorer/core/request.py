"""Request and Prediction: what goes into a runner and what comes back, for every engine alike."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import dtypes


@dataclass(frozen=True, eq=False)
class Request:
    """Inputs for one call of one signature; arrays are already in the signature's dtype where known."""

    signature: str
    inputs: dict[str, np.ndarray]
    method: str = "predict"  # "predict", "classify" or "regress": which server API to call
    # For classify/regress over REST: tf.Example features per example (the wire form TF Serving documents).
    examples: tuple[dict, ...] = ()
    context: dict = field(default_factory=dict)

    @property
    def batch_size(self) -> int | None:
        """The leading dimension shared by the inputs (None if they disagree or are scalars)."""
        sizes = {np.shape(a)[0] for a in self.inputs.values() if np.ndim(a) > 0}
        if self.examples:
            sizes.add(len(self.examples))
        return sizes.pop() if len(sizes) == 1 else None


@dataclass(frozen=True, eq=False)
class Prediction:
    """Outputs of one call, with how and where it ran and how long it took."""

    signature: str
    engine: str  # "local", "session", "rest", "grpc"
    target: str  # the folder or URL asked
    outputs: dict[str, np.ndarray]
    timing_ms: dict[str, float] = field(default_factory=dict)  # "load" and "predict" (and "encode"/"decode")
    version: int | None = None
    notes: tuple[str, ...] = ()  # things the user should know, e.g. a fallback from TF2 to the TF1 loader
    wire: dict | None = None  # the request and response as sent (REST JSON, gRPC as text), for "show request"
    # Quantised outputs as the model produced them (before dequantising into `outputs`), for "show raw integers"
    raw_outputs: dict[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The `predict --json` schema."""
        return {
            "signature": self.signature,
            "engine": self.engine,
            "target": self.target,
            "version": self.version,
            "outputs": {k: output_dict(v) for k, v in self.outputs.items()},
            "timing_ms": {k: round(v, 3) for k, v in self.timing_ms.items()},
            "notes": list(self.notes),
            **({"raw_outputs": {k: output_dict(v) for k, v in self.raw_outputs.items()}} if self.raw_outputs else {}),
        }


def output_dict(array: np.ndarray) -> dict:
    """One output as JSON: TF dtype name, shape, values (bytes decoded as UTF-8 where possible, complex numbers as
    "(1+2j)" text, as inspect --json prints complex defaults: JSON has no complex number)."""
    array = np.asarray(array)
    try:
        dtype = dtypes.from_numpy(array.dtype).name
    except KeyError:
        dtype = str(array.dtype)
    if array.dtype.kind in "OSU":
        flat = [_text(v) for v in array.reshape(-1)]
        values = np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]
    elif array.dtype.kind == "c":
        flat = [str(complex(v)) for v in array.reshape(-1)]
        values = np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]
    else:
        values = array.tolist()
    return {"dtype": dtype, "shape": list(array.shape), "values": values}


def _text(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            return {"b64": base64.b64encode(value).decode("ascii")}
    return value
