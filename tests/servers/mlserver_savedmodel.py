"""An MLServer runtime that serves a SavedModel's default signature through TensorFlow (tests only).

Tensors are named the way Triton's TensorFlow backend names them: the signature's input and output keys. Datatypes go
through the app's dtype table, so the test checks the table against a real server. The model-settings parameters give
`uri` (the SavedModel folder), `version`, and optionally `extra.signature`.
"""
from __future__ import annotations

import numpy as np
from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor, ResponseOutput

from explorer.core import dtypes


class SavedModelRuntime(MLModel):
    async def load(self) -> bool:
        import tensorflow as tf

        params = self.settings.parameters
        key = (params.extra or {}).get("signature", "serving_default") if params.extra else "serving_default"
        self._model = tf.saved_model.load(params.uri)
        self._fn = self._model.signatures[key]
        args = self._fn.structured_input_signature[1]
        self._specs = {k: s for k, s in sorted(args.items())}
        self.inputs = [MetadataTensor(name=k, datatype=_datatype(s.dtype), shape=_shape(s.shape))
                       for k, s in self._specs.items()]
        self.outputs = [MetadataTensor(name=k, datatype=_datatype(s.dtype), shape=_shape(s.shape))
                        for k, s in sorted(self._fn.structured_outputs.items())]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        import tensorflow as tf

        feeds = {}
        for item in payload.inputs:
            spec = self._specs[item.name]
            data = getattr(item.data, "root", item.data)
            if spec.dtype == tf.string:
                values = [v if isinstance(v, bytes) else str(v).encode() for v in data]
                array = np.array(values, dtype=object).reshape(item.shape)
            else:
                array = np.asarray(data, dtype=dtypes.lookup(item.datatype).np).reshape(item.shape)
            feeds[item.name] = tf.constant(array, dtype=spec.dtype)
        result = self._fn(**feeds)
        outputs = []
        for name in sorted(result):
            value = result[name].numpy()
            datatype = _datatype(result[name].dtype)
            flat = value.reshape(-1)
            data = [v.decode("utf-8", "replace") for v in flat.tolist()] if datatype == "BYTES" else flat.tolist()
            outputs.append(ResponseOutput(name=name, shape=list(value.shape), datatype=datatype, data=data))
        return InferenceResponse(model_name=self.name, model_version=self.version, outputs=outputs)


class ScoresRuntime(MLModel):
    """bench/serving_v2.py: any input in, a fixed (64, 1000) FP32 score table out (no TensorFlow)."""

    async def load(self) -> bool:
        self._scores = np.random.default_rng(0).random((64, 1000), dtype=np.float32)
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        output = ResponseOutput(name="scores", shape=[64, 1000], datatype="FP32",
                                data=self._scores.reshape(-1).tolist())
        return InferenceResponse(model_name=self.name, model_version=self.version, outputs=[output])


def _datatype(tf_dtype) -> str:
    return dtypes.BY_NUMBER[tf_dtype.as_datatype_enum].kserve


def _shape(shape) -> list[int]:
    return [-1 if d is None else int(d) for d in shape.as_list()] if shape.rank is not None else [-1]
