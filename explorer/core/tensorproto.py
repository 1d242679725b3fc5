"""TensorProto <-> numpy, for any message with TensorFlow's TensorProto fields (ours or TF Serving's)."""
from __future__ import annotations

import numpy as np

from . import dtypes


def to_numpy(proto) -> np.ndarray:
    """Decode a TensorProto: tensor_content or the typed *_val field, short value lists broadcast as TF does."""
    dt = dtypes.BY_NUMBER.get(int(proto.dtype) % dtypes.REF_OFFSET if int(proto.dtype) > dtypes.REF_OFFSET else int(proto.dtype))
    if dt is None or dt.proto_field is None:
        raise TypeError(f"cannot decode a tensor of dtype {dtypes.name_of(int(proto.dtype))}")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    size = int(np.prod(shape)) if shape else 1
    if dt.is_string:
        values = list(proto.string_val)
        flat = np.empty(len(values), dtype=object)
        flat[:] = values
    elif len(content := proto.tensor_content):  # read once: protobuf (upb) copies the bytes on every access
        return np.frombuffer(content, dtype=dt.np).reshape(shape).copy()
    elif dt.name in ("DT_HALF", "DT_BFLOAT16"):
        flat = np.array(list(proto.half_val), dtype=np.uint16).view(dt.np)
    elif dt.name in ("DT_COMPLEX64", "DT_COMPLEX128"):
        pairs = np.array(list(getattr(proto, dt.proto_field)), dtype=np.float64).reshape(-1, 2)
        flat = np.empty(len(pairs), dtype=dt.np)  # parts set, not multiplied: 1j * inf would make the real part nan
        flat.real, flat.imag = pairs[:, 0], pairs[:, 1]
    else:
        flat = np.array(list(getattr(proto, dt.proto_field)), dtype=dt.np)
    if flat.size == size:
        return flat.reshape(shape)
    if flat.size == 0:
        return np.zeros(shape, dtype=flat.dtype) if not dt.is_string else np.full(shape, b"", dtype=object)
    # TF repeats the last value to fill the shape (tensor_util.MakeNdarray does the same).
    filled = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)])
    return filled.reshape(shape)


def fill_proto(proto, array: np.ndarray, dtype: str | None = None):
    """Encode `array` into an empty TensorProto message `proto` (dtype name overrides the array's); returns proto."""
    dt = dtypes.lookup(dtype) if dtype else dtypes.from_numpy(np.asarray(array).dtype)
    arr = np.asarray(array)
    proto.dtype = dt.number
    for d in arr.shape:
        proto.tensor_shape.dim.add(size=int(d))
    if dt.is_string:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1))
    elif dt.name in ("DT_HALF", "DT_BFLOAT16"):
        proto.half_val.extend(arr.astype(dt.np).reshape(-1).view(np.uint16).tolist())
    elif dt.proto_field is None:
        raise TypeError(f"cannot encode a tensor of dtype {dt.name}")
    else:
        # tensor_content is the compact form TF itself writes for numeric tensors.
        # copy=False: an array already in the right dtype is not copied twice (tobytes copies once anyway).
        proto.tensor_content = np.ascontiguousarray(arr.astype(dt.np, copy=False)).tobytes()
    return proto
