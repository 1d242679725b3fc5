"""LiteRunner: run a .tflite model with LiteRT (`ai_edge_litert`), the maintained TFLite runtime; no TensorFlow.

Each signature runs through LiteRT's signature runner, which resizes `-1` inputs to the request's shape. Models
without SignatureDefs (old converters; signatures from TF Serving's metadata or the subgraph itself) run through
the interpreter's tensor indices, resized the same way. Quantised inputs take real values: the runner quantises
them with the tensor's scale and zero-point and says so in the notes (with a warning when values were clipped);
quantised outputs come back dequantised, with the raw integers in Prediction.raw_outputs.
"""
from __future__ import annotations

import contextlib
import threading
import time

import numpy as np

from .. import tf_errors
from ..errors import ExplorerError, RunError
from ..quantization import dequantize, quantize
from ..request import Prediction, Request
from ..savedmodel import ModelInfo, read_model
from ..signature import Signature
from ..tflite import FROM_SIGNATURE_DEFS
from .base import Progress, no_progress
from .local import startup_output_filtered

ENGINE = "litert"


class LiteRunner:
    """Runs one .tflite model in-process with LiteRT; thread-safe (one lock around the interpreter)."""

    engine = ENGINE

    def __init__(self, path, version: int | None = None, num_threads: int | None = None, **_ignored):
        self.info: ModelInfo = read_model(path, version=version)
        if self.info.tflite is None:
            raise ExplorerError(f"{path} is a SavedModel, not a TensorFlow Lite model: LiteRT cannot run it.",
                                fix="Use engine auto or local, or convert it first (signature-explorer "
                                    "convert-compare).")
        self.target = str(path)
        self.notes: tuple[str, ...] = ()
        self._num_threads = num_threads
        self._interpreter = None
        self._ran = False
        self._lock = threading.Lock()

    # --- Runner protocol -----------------------------------------------------------------------------------------

    def signatures(self) -> dict[str, Signature]:
        """The model's signatures as the reader found them (no runtime needed)."""
        return self.info.user_signatures

    def load(self, progress: Progress = no_progress) -> float:
        """Create the interpreter now; return the time it took in ms (0 when already loaded)."""
        with self._lock:
            return self._ensure_loaded(progress)

    def predict(self, request: Request, progress: Progress = no_progress) -> Prediction:
        """Run one request: real values in, quantised where the model wants integers; dequantised values out."""
        with self._lock:
            signature = self._signature(request.signature)
            inputs = dict(request.inputs)
            problem = tf_errors.check_keys(signature, inputs)
            if problem:
                raise problem
            load_ms = self._ensure_loaded(progress)
            progress(0.9 if load_ms else 0.0, f"running {signature.key}")
            notes: list[str] = list(self.notes)
            feed = {k: self._to_model(signature.inputs[k], np.asarray(v), notes) for k, v in inputs.items()}
            start = time.perf_counter()
            try:
                # LiteRT announces its XNNPACK delegate on stderr at the first run; only that run is filtered.
                with startup_output_filtered() if not self._ran else contextlib.nullcontext():
                    if self.info.tflite.signature_source == FROM_SIGNATURE_DEFS:
                        raw = self._interpreter.get_signature_runner(signature.key)(**feed)
                    else:
                        raw = self._run_by_index(signature, feed)
                self._ran = True
            except ExplorerError:
                raise
            except Exception as exc:  # noqa: BLE001 - LiteRT raises ValueError/RuntimeError with its own text
                raise self._explain(exc, signature, feed) from exc
            predict_ms = (time.perf_counter() - start) * 1000.0
            self._note_resized(signature, feed, notes)
            outputs, raw_outputs = {}, {}
            for key in sorted(raw):
                value = np.array(raw[key])  # a copy: the interpreter reuses its buffers on the next call
                spec = signature.outputs.get(key)
                if spec is not None and spec.quantization is not None and value.dtype.kind in "iu":
                    raw_outputs[key] = value
                    outputs[key] = dequantize(value, spec.quantization)
                else:
                    outputs[key] = value
            if raw_outputs:
                notes.append(f"Dequantised {', '.join(raw_outputs)} with each output's scale and zero-point; "
                             "the raw integers are kept beside them.")
            progress(1.0, "done")
            return Prediction(signature=signature.key, engine=ENGINE, target=self.target, outputs=outputs,
                              timing_ms={"load": load_ms, "predict": predict_ms}, version=self.info.version,
                              notes=tuple(notes), raw_outputs=raw_outputs)

    def close(self) -> None:
        """Drop the interpreter."""
        with self._lock:
            self._interpreter = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"LiteRunner({self.info.model_file!r})"

    # --- internals -----------------------------------------------------------------------------------------------

    def _ensure_loaded(self, progress: Progress) -> float:
        if self._interpreter is not None:
            return 0.0
        progress(0.1, "loading with LiteRT")
        start = time.perf_counter()
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise RunError("LiteRT (the ai-edge-litert package) is not installed, so .tflite models cannot run.",
                           fix="pip install ai-edge-litert", details=str(exc)) from exc
        try:
            with startup_output_filtered():  # LiteRT's C++ side announces its delegate on stderr
                self._interpreter = Interpreter(model_path=self.info.model_file, num_threads=self._num_threads)
        except Exception as exc:  # noqa: BLE001 - unresolved custom/Flex ops, bad files: LiteRT's text explains
            needs = " ".join(self.info.tflite.needs())
            raise RunError(f"LiteRT cannot load {self.info.model_file}" + (f": it needs {needs}" if needs else "."),
                           details=str(exc),
                           fix="" if needs else "Check the file was copied whole; convert it again.") from exc
        return (time.perf_counter() - start) * 1000.0

    def _signature(self, key: str) -> Signature:
        key = key or self.info.default_signature or ""
        sigs = self.info.user_signatures
        if key not in sigs:
            raise RunError(f"{self.info.model_file} has no signature '{key}'. Available: "
                           f"{', '.join(sigs) or 'none'}.", fix="Pick one of the listed signatures.")
        return sigs[key]

    @staticmethod
    def _to_model(spec, array: np.ndarray, notes: list[str]) -> np.ndarray:
        """An input as the model stores it: real values quantised for a quantised input (said in the notes)."""
        q = spec.quantization
        storage = spec.storage_dt
        if q is None:
            if storage.is_string or storage.numpy is None or array.dtype == storage.np:
                return array
            return array.astype(storage.np)
        if array.dtype == storage.np:
            notes.append(f"{spec.key}: given as {storage.short}, so passed to the model unchanged (not quantised).")
            return array
        result = quantize(array, q)
        notes.append(f"{spec.key}: real values quantised to {storage.short} with scale {q.scale[0]:.6g} and "
                     f"zero-point {q.zero_point[0]} (q = round(x / scale) + zero-point)"
                     + (" per axis" if q.per_axis else "") + ".")
        if result.clipped:
            notes.append(f"Warning: {spec.key}: {result.clipped} of {array.size} values lie outside "
                         f"[{result.low:.6g}, {result.high:.6g}], the range {storage.short} can hold, and were "
                         "clipped: the model sees different inputs from the ones given.")
        return result.values

    def _run_by_index(self, signature: Signature, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        it = self._interpreter
        for key, array in feed.items():
            spec = signature.inputs[key]
            if spec.index is None:
                raise RunError(f"Input {key} (tensor {spec.name}) is not an input of the model's subgraph.",
                               fix="The model's signature metadata does not match its tensors; convert it again.")
            if tuple(it.get_tensor_details()[spec.index]["shape"]) != tuple(array.shape):
                it.resize_tensor_input(spec.index, list(array.shape), strict=False)
        it.allocate_tensors()
        for key, array in feed.items():
            it.set_tensor(signature.inputs[key].index, array)
        it.invoke()
        out = {}
        for key, spec in signature.outputs.items():
            if spec.index is None:
                raise RunError(f"Output {key} (tensor {spec.name}) is not a tensor of the model's subgraph.")
            out[key] = it.get_tensor(spec.index)
        return out

    @staticmethod
    def _note_resized(signature: Signature, feed: dict[str, np.ndarray], notes: list[str]) -> None:
        for key, array in feed.items():
            spec = signature.inputs[key]
            if spec.allocated_shape is not None and tuple(array.shape) != tuple(spec.allocated_shape):
                notes.append(f"{key}: resized from {tuple(spec.allocated_shape)} to {tuple(array.shape)} "
                             "before running.")

    def _explain(self, exc: BaseException, signature: Signature, feed: dict[str, np.ndarray]) -> RunError:
        text = str(exc)
        shapes = ", ".join(f"{k} {tuple(v.shape)} {v.dtype}" for k, v in feed.items())
        wants = ", ".join(f"{k} {s.shape_text()} {s.storage_dt.short}" for k, s in signature.inputs.items())
        fix = "Give inputs that fit the signature (the pre-flight check names what differs)."
        needs = " ".join(self.info.tflite.needs())
        if needs and ("custom op" in text.lower() or "flex" in text.lower() or "unresolved" in text.lower()):
            return RunError(f"LiteRT cannot run signature '{signature.key}': this model needs {needs}",
                            details=text)
        return RunError(f"LiteRT could not run signature '{signature.key}' with {shapes} (it takes {wants}).",
                        details=text, fix=fix)
