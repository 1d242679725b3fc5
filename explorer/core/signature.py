"""Signatures as plain frozen dataclasses, the same whether read from a folder or from a server's metadata."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import dtypes

PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"


def shape_text(shape) -> str:
    """A concrete shape as users read it: "(1, 224, 224, 3)", "(3,)" or "() scalar"."""
    shape = tuple(shape)
    if not shape:
        return "() scalar"
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"


@dataclass(frozen=True)
class Quantization:
    """A quantised tensor's affine mapping real = scale * (q - zero_point), per tensor or per axis (TFLite)."""

    storage: str  # the integer dtype the file holds, "DT_INT8"
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0  # the quantised dimension when there is more than one scale

    @property
    def per_axis(self) -> bool:
        return len(self.scale) > 1

    def text(self) -> str:
        """"int8 · scale 0.0039 · zero-point -128" or "int8 per axis 3 · 16 scales" as users read it."""
        short = dtypes.lookup(self.storage).short
        if self.per_axis:
            return f"{short} per axis {self.axis} · {len(self.scale)} scales"
        return f"{short} · scale {self.scale[0]:.6g} · zero-point {self.zero_point[0]}"

    def to_dict(self) -> dict:
        out = {"storage_dtype": self.storage, "scale": list(self.scale), "zero_point": list(self.zero_point)}
        if self.per_axis:
            out["axis"] = self.axis
        return out


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a signature."""

    key: str
    dtype: str  # "DT_FLOAT"
    shape: tuple[int, ...] | None  # -1 for an unknown dim; None for unknown rank
    name: str = ""  # graph tensor name, e.g. "x:0"; for sparse/composite tensors a description
    has_shape: bool = True  # False when the TensorInfo records no shape at all (TF then reads it as a scalar)
    encoding: str = "dense"  # "dense", "coo_sparse" or "composite"
    # TFLite only: real = scale * (q - zero_point); the user types and reads real values (see `dt`).
    quantization: Quantization | None = None
    allocated_shape: tuple[int, ...] | None = None  # TFLite only: `shape` as allocated; `shape` holds shape_signature
    index: int | None = None  # TFLite only: the tensor's index in its subgraph
    # When the TensorInfo records no shape: the shape its graph Placeholder takes (read from the graph), else None.
    # Not part of the signature's record, so two signatures differing only here compare equal.
    graph_shape: tuple[int, ...] | None = field(default=None, compare=False)

    @property
    def dt(self) -> dtypes.DType:
        """The dtype of the values a user gives and reads: float32 for a quantised tensor (the runner converts),
        else `dtype`. Forms, checks, probes and compare all build inputs in this dtype, so it is decided here once."""
        if self.quantization is not None:
            return dtypes.BY_NAME["DT_FLOAT"]
        return dtypes.lookup(self.dtype)

    @property
    def storage_dt(self) -> dtypes.DType:
        """The dtype the model itself holds (int8 for a quantised tensor)."""
        return dtypes.lookup(self.dtype)

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def known_shape(self) -> tuple[int, ...] | None:
        """The shape a request must have as far as anyone knows: the recorded shape, the graph's when none is
        recorded, None when nothing constrains it (unknown rank, or no shape recorded and none read from the graph)."""
        if not self.has_shape:
            return self.graph_shape
        return self.shape

    def shape_text(self) -> str:
        """Shape as users read it: (-1, 224, 224, 3), "unknown rank", or "()"."""
        if self.shape is None:
            return "unknown rank"
        if not self.shape and not self.has_shape:
            graph = f" (graph: {shape_text(self.graph_shape)})" if self.graph_shape is not None else ""
            return "() — no shape recorded" + graph
        return shape_text(self.shape)

    def to_dict(self) -> dict:
        out = {"dtype": self.dtype, "shape": None if self.shape is None else list(self.shape), "name": self.name}
        if self.allocated_shape is not None:  # TFLite: `shape` is its shape_signature (-1 dims)
            out["tflite_shape"] = list(self.allocated_shape)
            out["index"] = self.index
        if self.quantization is not None:
            out["quantization"] = self.quantization.to_dict()
        return out


@dataclass(frozen=True)
class Signature:
    """A SignatureDef: key, method, inputs and outputs in sorted key order."""

    key: str
    method_name: str
    inputs: dict[str, TensorSpec] = field(default_factory=dict)
    outputs: dict[str, TensorSpec] = field(default_factory=dict)
    defaults: dict[str, list] = field(default_factory=dict)  # TF2 default input values, as nested lists
    # Serialized tf.Example inputs whose features the graph's ParseExample tells: key -> example_features.Feature
    # tuple (read from the folder; a server's metadata never says, so a server signature has none).
    example_features: dict[str, tuple] = field(default_factory=dict, compare=False)

    @property
    def internal(self) -> bool:
        """True for TF's own entries such as __saved_model_init_op, never a user's signature."""
        return self.key.startswith("__")

    @property
    def method_short(self) -> str:
        """"tensorflow/serving/predict" -> "predict"."""
        return self.method_name.rsplit("/", 1)[-1] if self.method_name else ""

    @property
    def request_method(self) -> str:
        """The server API a request for this signature goes to: "classify", "regress", or "predict" for anything else."""
        return self.method_short if self.method_short in ("classify", "regress") else "predict"

    def to_dict(self) -> dict:
        out = {
            "method_name": self.method_name,
            "internal": self.internal,
            "inputs": {k: v.to_dict() for k, v in self.inputs.items()},
            "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
        }
        if self.defaults:
            out["defaults"] = self.defaults
        return out


def user_signatures(signatures: dict[str, Signature]) -> dict[str, Signature]:
    """The signatures a user may call: internal entries removed."""
    return {k: s for k, s in signatures.items() if not s.internal}


def default_key(signatures: dict[str, Signature]) -> str | None:
    """The signature TF Serving picks when none is named: serving_default, else the only one."""
    users = user_signatures(signatures)
    if "serving_default" in users:
        return "serving_default"
    return next(iter(users), None)


def display_order(signatures: dict[str, Signature], default: str | None = None) -> list[Signature]:
    """Signatures in the order every view lists them: the default one first (what a request naming none hits),
    then by key, TensorFlow's internal entries last."""
    default = default if default is not None else default_key(dict(sorted(signatures.items())))
    return sorted(signatures.values(), key=lambda s: (s.internal, s.key != default, s.key))


def missing_signature(where: str, key: str | None, signatures: dict[str, Signature]):
    """The RunError for a signature `where` does not have: the ones it has, or, when it has none at all, that
    nothing can run or be served until a signature is made (not "no signature ''")."""
    from .errors import RunError

    users = user_signatures(signatures)
    if not users:
        return RunError(f"{where} has no signatures: nothing in it can be run or served as it is.", key=key,
                        fix="Make one from a saved function with signature-explorer reexport MODEL NEW_FOLDER "
                            "--from-function NAME (inspect lists the functions that can become one).")
    return RunError(f"{where} has no signature '{key}'. Available: {', '.join(sorted(users))}.", key=key,
                    fix="Pass one of them with --signature.")
