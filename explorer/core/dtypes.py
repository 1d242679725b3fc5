"""THE dtype table: TensorFlow DT_* enum <-> numpy <-> TensorProto value field <-> TF Serving JSON <-> KServe V2.

Every other module asks this table; nothing else spells out dtype names or numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

# numpy is imported inside the functions that need it: `inspect` must start fast and never needs it.


@dataclass(frozen=True)
class DType:
    """One TensorFlow dtype and its names on every side we talk to."""

    name: str  # "DT_FLOAT"
    number: int  # enum value in tensorflow/core/framework/types.proto
    numpy: str | None  # numpy dtype name, None where numpy has none
    proto_field: str | None  # TensorProto repeated field holding values
    kserve: str | None  # KServe V2 / Triton datatype name
    rest_json: bool  # whether TF Serving's REST JSON codec accepts it

    @property
    def short(self) -> str:
        """The name users read in tables: DT_FLOAT -> float32."""
        return self.numpy or self.name[3:].lower()

    @property
    def is_string(self) -> bool:
        return self.name == "DT_STRING"

    @property
    def is_float(self) -> bool:
        return self.name in ("DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_BFLOAT16")

    @property
    def is_integer(self) -> bool:
        return self.name in _INTEGERS

    @property
    def np(self):
        """The numpy dtype; object for strings; raises for dtypes numpy cannot hold."""
        import numpy as np

        if self.is_string:
            return np.dtype(object)
        if self.numpy is None:
            raise TypeError(f"{self.name} has no numpy equivalent")
        if self.name == "DT_BFLOAT16":
            import ml_dtypes  # shipped with TensorFlow; only needed for bfloat16

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.numpy)


_INTEGERS = {"DT_INT8", "DT_INT16", "DT_INT32", "DT_INT64", "DT_UINT8", "DT_UINT16", "DT_UINT32", "DT_UINT64"}

_TABLE = [
    # name, number, numpy, TensorProto field, KServe, REST JSON ok
    DType("DT_INVALID", 0, None, None, None, False),
    DType("DT_FLOAT", 1, "float32", "float_val", "FP32", True),
    DType("DT_DOUBLE", 2, "float64", "double_val", "FP64", True),
    DType("DT_INT32", 3, "int32", "int_val", "INT32", True),
    DType("DT_UINT8", 4, "uint8", "int_val", "UINT8", True),
    DType("DT_INT16", 5, "int16", "int_val", "INT16", True),
    DType("DT_INT8", 6, "int8", "int_val", "INT8", True),
    DType("DT_STRING", 7, None, "string_val", "BYTES", True),
    DType("DT_COMPLEX64", 8, "complex64", "scomplex_val", None, False),
    DType("DT_INT64", 9, "int64", "int64_val", "INT64", True),
    DType("DT_BOOL", 10, "bool", "bool_val", "BOOL", True),
    DType("DT_QINT8", 11, None, "int_val", None, False),
    DType("DT_QUINT8", 12, None, "int_val", None, False),
    DType("DT_QINT32", 13, None, "int_val", None, False),
    DType("DT_BFLOAT16", 14, "bfloat16", "half_val", "BF16", False),
    DType("DT_QINT16", 15, None, "int_val", None, False),
    DType("DT_QUINT16", 16, None, "int_val", None, False),
    DType("DT_UINT16", 17, "uint16", "int_val", "UINT16", True),
    DType("DT_COMPLEX128", 18, "complex128", "dcomplex_val", None, False),
    DType("DT_HALF", 19, "float16", "half_val", "FP16", False),
    DType("DT_RESOURCE", 20, None, None, None, False),
    DType("DT_VARIANT", 21, None, None, None, False),
    DType("DT_UINT32", 22, "uint32", "uint32_val", "UINT32", True),
    DType("DT_UINT64", 23, "uint64", "uint64_val", "UINT64", True),
    DType("DT_FLOAT8_E5M2", 24, None, None, None, False),
    DType("DT_FLOAT8_E4M3FN", 25, None, None, None, False),
    DType("DT_FLOAT8_E4M3FNUZ", 26, None, None, None, False),
    DType("DT_FLOAT8_E4M3B11FNUZ", 27, None, None, None, False),
    DType("DT_FLOAT8_E5M2FNUZ", 28, None, None, None, False),
    DType("DT_INT4", 29, None, None, None, False),
    DType("DT_UINT4", 30, None, None, None, False),
    DType("DT_INT2", 31, None, None, None, False),
    DType("DT_UINT2", 32, None, None, None, False),
    DType("DT_FLOAT4_E2M1FN", 33, None, None, None, False),
]

# TFLite's TensorType names (schema.fbs) -> our names; the TFLite reader and runner ask here.
_TFLITE = {"FLOAT32": "DT_FLOAT", "FLOAT16": "DT_HALF", "INT32": "DT_INT32", "UINT8": "DT_UINT8",
           "INT64": "DT_INT64", "STRING": "DT_STRING", "BOOL": "DT_BOOL", "INT16": "DT_INT16",
           "COMPLEX64": "DT_COMPLEX64", "INT8": "DT_INT8", "FLOAT64": "DT_DOUBLE", "COMPLEX128": "DT_COMPLEX128",
           "UINT64": "DT_UINT64", "RESOURCE": "DT_RESOURCE", "VARIANT": "DT_VARIANT", "UINT32": "DT_UINT32",
           "UINT16": "DT_UINT16", "INT4": "DT_INT4", "BFLOAT16": "DT_BFLOAT16", "INT2": "DT_INT2",
           "UINT4": "DT_UINT4", "FLOAT8_E4M3FN": "DT_FLOAT8_E4M3FN", "FLOAT8_E5M2": "DT_FLOAT8_E5M2"}

# Reference dtypes (DT_FLOAT_REF = 101, ...) appear in TF1 graphs such as saved_model_counter.
REF_OFFSET = 100

BY_NAME: dict[str, DType] = {d.name: d for d in _TABLE}
BY_NUMBER: dict[int, DType] = {d.number: d for d in _TABLE}
_BY_NUMPY: dict[str, DType] = {d.numpy: d for d in _TABLE if d.numpy}
_BY_KSERVE: dict[str, DType] = {d.kserve: d for d in _TABLE if d.kserve}


def all_dtypes() -> list[DType]:
    """Every dtype in enum order (reference types excluded)."""
    return list(_TABLE)


def name_of(number: int) -> str:
    """Enum number -> "DT_FLOAT"; reference types get "_REF"; unknown numbers stay visible."""
    if number in BY_NUMBER:
        return BY_NUMBER[number].name
    if number - REF_OFFSET in BY_NUMBER:
        return BY_NUMBER[number - REF_OFFSET].name + "_REF"
    return f"DT_UNKNOWN_{number}"


def from_tflite(type_name: str) -> str:
    """TFLite TensorType name ("INT8") -> "DT_INT8"; unknown types stay visible as DT_UNKNOWN_TFLITE_<name>."""
    return _TFLITE.get(type_name, f"DT_UNKNOWN_TFLITE_{type_name}")


def lookup(name: str) -> DType:
    """Any spelling we meet -> DType: "DT_FLOAT", "float32", "float", "FP32", "DT_FLOAT_REF"."""
    key = name.strip()
    if key.endswith("_REF"):
        key = key[: -len("_REF")]
    if key.upper() in BY_NAME:
        return BY_NAME[key.upper()]
    if "DT_" + key.upper() in BY_NAME:
        return BY_NAME["DT_" + key.upper()]
    if key in _BY_KSERVE:
        return _BY_KSERVE[key]
    aliases = {"float": "float32", "double": "float64", "half": "float16", "str": "DT_STRING", "bytes": "DT_STRING"}
    key = aliases.get(key.lower(), key.lower())
    if key in BY_NAME:
        return BY_NAME[key]
    if key in _BY_NUMPY:
        return _BY_NUMPY[key]
    raise KeyError(f"unknown dtype {name!r}")


def from_numpy(dtype) -> DType:
    """numpy dtype -> DType; str/bytes/object arrays map to DT_STRING."""
    import numpy as np

    dtype = np.dtype(dtype)
    if dtype.kind in "OSU":
        return BY_NAME["DT_STRING"]
    if dtype.name in _BY_NUMPY:
        return _BY_NUMPY[dtype.name]
    raise KeyError(f"no TensorFlow dtype for numpy {dtype}")
