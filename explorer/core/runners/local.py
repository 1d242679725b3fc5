"""LocalRunner: run a SavedModel in this process, with TensorFlow 2 (`local`) or the TF1 session loader (`session`).

`local` is tf.saved_model.load + signatures[key](**tensors); `session` is tf.compat.v1.saved_model.loader.load
into a Session fed by the signature's tensor names -- how TF Serving loads, and the only way to run TF1 graphs
that TensorFlow 2 rejects (reference variables, placeholders without shapes). Engine `auto` tries `local` first and
falls back to `session`, saying so in Prediction.notes.

TensorFlow is imported on the first load. Loaded models live in a process-wide cache keyed by model folder,
tag-set, fingerprint and engine, so opening the same version twice loads it once (timing_ms["load"] is 0 then);
a runner's close() releases its hold and the last one out frees the model.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import tf_errors
from ..errors import ExplorerError, InputProblem, RunError
from ..request import Prediction, Request
from ..savedmodel import ModelInfo, read_model
from ..signature import Signature
from .base import Progress, no_progress

ENGINES = ("auto", "local", "session")

_tf_module = None
_tf_import_lock = threading.Lock()
# What TensorFlow's C++ side prints while it starts, before absl logging is set up -- TF_CPP_MIN_LOG_LEVEL cannot
# silence it (measured with TF 2.21): INFO/WARNING lines, and the CUDA probe's error on machines without a GPU.
_STARTUP_NOISE = re.compile(
    r"^WARNING: All log messages before absl::InitializeLog|^[IW]\d{4} \d\d:\d\d:\d\d"
    r"|^E\d{4} .*(cuda|cuInit|cudnn|cufft|cublas)|^To enable the following instructions|rebuild TensorFlow"
    r"|^INFO: Created TensorFlow Lite"  # LiteRT, on every interpreter it creates
)


def tensorflow():
    """Import TensorFlow on first use (1.5-7 s), quietly: its start-up chatter is not for our users."""
    global _tf_module
    with _tf_import_lock:
        if _tf_module is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with startup_output_filtered():
                _preload_shared_libraries()
                import tensorflow as tf

                tf.config.list_logical_devices()  # starts the runtime (and its CUDA probe) inside the filter

            # The TF1 loader logs a deprecation notice on every load; users chose that loader on purpose.
            tf.get_logger().setLevel(logging.ERROR)
            # absl warns on every load of a key like `input_image:0` ("not a valid tf.function parameter name.
            # Sanitizing ..."): the run still feeds it by its key, and the line only alarmed users on the CLI.
            # A filter, not a level: absl resets its logger's level when its flags are parsed.
            logging.getLogger("absl").addFilter(_drop_sanitizing_notice)
            _tf_module = tf
    return _tf_module


def _drop_sanitizing_notice(record: logging.LogRecord) -> bool:
    return "is not a valid tf.function parameter name" not in str(record.msg)


# TensorFlow's largest shared libraries, in dependency order. Python's import dlopens them holding the GIL, which
# froze a GUI's event loop for 1.2-2 s while libtensorflow_cc.so (1 GB) loaded, even with the import on a worker
# thread. dlopen called through ctypes releases the GIL, so loading them first keeps the GUI responsive; the
# import then finds them loaded. RTLD_LOCAL, as Python loads extensions: RTLD_GLOBAL made the import crash.
_PRELOAD = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2")


def _preload_shared_libraries() -> None:
    """Load TensorFlow's big .so files without holding the GIL (Linux); any problem: leave it to the import."""
    if not sys.platform.startswith("linux") or os.environ.get("EXPLORER_TF_PRELOAD") == "0":
        return  # EXPLORER_TF_PRELOAD=0: bench/predict.py measures the stall without the preload
    import ctypes
    import importlib.util

    try:
        spec = importlib.util.find_spec("tensorflow")
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (ImportError, OSError, AttributeError, ValueError):
        return
    if spec is None or not spec.origin:
        return
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    base = os.path.dirname(spec.origin)
    for name in _PRELOAD:
        path = os.path.join(base, name)
        if os.path.isfile(path) and not dlopen(path.encode(), os.RTLD_NOW | os.RTLD_LOCAL):
            return  # the import will load it (and report a real problem) the usual way


@contextlib.contextmanager
def startup_output_filtered():
    """Send file descriptor 2 to a temp file while TF starts, then pass on every line that is not start-up noise
    (the C++ side writes to the descriptor, not to sys.stderr, so only a descriptor swap catches it)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (a frozen GUI app): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = "".join(line for line in text.splitlines(True) if not _STARTUP_NOISE.search(line))
            if kept.strip():
                sys.stderr.write(kept)


@dataclass(eq=False)
class _Loaded:
    """One model loaded by one engine; `lock` serialises every TensorFlow call on it."""

    key: tuple
    engine: str  # "local" or "session"
    model: Any = None  # TF2: the restored object; session: the Session
    load_ms: float = 0.0
    refs: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        if self.engine == "session" and self.model is not None:
            self.model.close()
        self.model = None


_cache: dict[tuple, _Loaded] = {}
_tf2_failures: dict[tuple, BaseException] = {}  # models TF2 could not load: `auto` goes straight to the session
_cache_lock = threading.Lock()  # held while loading too: two threads asking for one model load it once


def cached_models() -> list[tuple]:
    """Keys (model_dir, tag_set, fingerprint, engine) of the models loaded in this process."""
    with _cache_lock:
        return list(_cache)


def clear_cache() -> None:
    """Forget every loaded model (runners still holding one reload it on their next call)."""
    with _cache_lock:
        for entry in _cache.values():
            with entry.lock:
                entry.close()
        _cache.clear()
        _tf2_failures.clear()


class LocalRunner:
    """Runs one version of a SavedModel folder in-process; thread-safe, TensorFlow imported on first load."""

    def __init__(self, path, engine: str = "auto", version: int | None = None, tag_set=None,
                 allow_unsafe_ops=False):
        if engine not in ENGINES:
            raise ExplorerError(f"Unknown engine {engine!r} for a model folder.",
                                fix=f"Use one of: {', '.join(ENGINES)}.")
        self.info: ModelInfo = read_model(path, version=version, tag_set=tag_set)
        self.requested_engine = engine
        # True, or the consent keys of models the user agreed to run (core.scan.require_consent): checked before
        # every load, so no caller can load a model with dangerous ops by forgetting to ask.
        self.allow_unsafe_ops = allow_unsafe_ops
        self.engine = engine  # becomes "local" or "session" once loaded
        self.target = str(path)
        self.notes: tuple[str, ...] = ()
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._import_ms = 0.0  # TensorFlow's import, when this runner's load was the one that paid for it

    def require_consent(self):
        """Scan the model (no TensorFlow); UnsafeModelError now if it has dangerous ops the user did not allow."""
        from ..scan import require_consent

        return require_consent(self.info, self.allow_unsafe_ops)

    # --- Runner protocol -----------------------------------------------------------------------------------------

    def signatures(self) -> dict[str, Signature]:
        """The signatures a user may call, read from the folder (no TensorFlow needed)."""
        return self.info.user_signatures

    def load(self, progress: Progress = no_progress) -> float:
        """Load the model now (on a worker, before the first run); return the load time in ms, 0 if cached."""
        with self._lock:
            return self._ensure_loaded(progress)[1]

    def predict(self, request: Request, progress: Progress = no_progress) -> Prediction:
        """Run one request as given (no casting, no reshaping); TensorFlow's failures become explained RunErrors."""
        with self._lock:
            signature = self._signature(request.signature)
            inputs = self._inputs(signature, request)
            problem = tf_errors.check_keys(signature, inputs)
            if problem:
                raise problem
            defaulted = [k for k in signature.defaults if k in signature.inputs and k not in inputs]
            for key in defaulted:
                if isinstance(signature.defaults[key], dict):  # a DefaultSummary: too large to have been read
                    raise InputProblem(key, f"Input '{key}' has a default of {signature.defaults[key]['count']:,} "
                                            "values, too large to read from the model file.", fix=f"Give '{key}'.")
            for key in defaulted:  # TF2 signature functions do not apply their own defaults: we do, and say so
                inputs[key] = np.asarray(signature.defaults[key], dtype=signature.inputs[key].dt.np)
            load_ms = 0.0
            while True:
                loaded, spent = self._ensure_loaded(progress)
                load_ms += spent
                progress(0.9 if load_ms else 0.0, f"running {signature.key}")
                notes = list(self.notes) + [f"{k}: not given, so the signature's default {signature.defaults[k]} "
                                            "was used." for k in defaulted]
                with loaded.lock:
                    if loaded.model is None:  # freed underneath us by clear_cache(): load again
                        self._loaded = None
                        continue
                    start = time.perf_counter()
                    try:
                        if loaded.engine == "local":
                            outputs = _run_tf2(loaded.model, signature, inputs)
                        else:
                            outputs = _run_session(loaded.model, signature, inputs, notes)
                    except ExplorerError:
                        raise
                    except Exception as exc:  # TensorFlow's errors are many classes; explain() reads their text
                        raise tf_errors.explain(exc, signature, inputs) from exc
                    predict_ms = (time.perf_counter() - start) * 1000.0
                break
            progress(1.0, "done")
            timing = {"load": load_ms, "predict": predict_ms}
            if self._import_ms:
                timing["import_tensorflow"], self._import_ms = self._import_ms, 0.0
            return Prediction(
                signature=signature.key, engine=loaded.engine, target=self.target, outputs=outputs,
                timing_ms=timing, version=self.info.version, notes=tuple(notes),
            )

    def close(self) -> None:
        """Release this runner's hold on the loaded model; the last holder frees it."""
        with self._lock:
            loaded, self._loaded = self._loaded, None
            self.engine = self.requested_engine
        if loaded is None:
            return
        with _cache_lock:
            loaded.refs -= 1
            if loaded.refs <= 0 and _cache.get(loaded.key) is loaded:
                del _cache[loaded.key]
                with loaded.lock:
                    loaded.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"LocalRunner({self.info.model_dir!r}, engine={self.engine!r})"

    # --- loading -------------------------------------------------------------------------------------------------

    def _key(self, engine: str) -> tuple:
        return (os.path.realpath(self.info.model_dir), self.info.tag_set, self.info.fingerprint, engine)

    def _ensure_loaded(self, progress: Progress) -> tuple[_Loaded, float]:
        if self._loaded is not None and self._loaded.model is not None:
            return self._loaded, 0.0
        self.require_consent()  # before TensorFlow sees the model, cached or not
        with _cache_lock:
            loaded, load_ms, notes = self._load_locked(progress)
            loaded.refs += 1
        self._loaded, self.engine, self.notes = loaded, loaded.engine, notes
        return loaded, load_ms

    def _load_locked(self, progress: Progress) -> tuple[_Loaded, float, tuple[str, ...]]:
        wanted = self.requested_engine
        local_key, session_key = self._key("local"), self._key("session")
        if wanted in ("auto", "local") and local_key in _cache:
            return _cache[local_key], 0.0, ()
        if wanted == "session" and session_key in _cache:
            return _cache[session_key], 0.0, ()
        if wanted == "auto" and local_key in _tf2_failures and session_key in _cache:
            return _cache[session_key], 0.0, (self._fallback_note(),)

        if _tf_module is None:
            progress(0.0, "importing TensorFlow")
            began = time.perf_counter()
            tensorflow()
            # Reported apart from the load: 1.5-7 s of import would make any model look slow to load.
            self._import_ms = (time.perf_counter() - began) * 1000.0
        start = time.perf_counter()
        attempts: list[tuple[str, BaseException]] = []
        order = ["local", "session"] if wanted == "auto" else [wanted]
        if wanted == "auto" and local_key in _tf2_failures:
            attempts.append(("local", _tf2_failures[local_key]))
            order = ["session"]
        for engine in order:
            progress(0.1, f"loading with {tf_errors.engine_label(engine)}")
            try:
                model = _load_tf2(self.info) if engine == "local" else _load_session(self.info)
            except Exception as exc:  # any failure of TF's loaders: try the next, explain all at the end
                attempts.append((engine, exc))
                if engine == "local":
                    _tf2_failures[local_key] = exc
                continue
            load_ms = (time.perf_counter() - start) * 1000.0
            key = self._key(engine)
            loaded = _Loaded(key=key, engine=engine, model=model, load_ms=load_ms)
            _cache[key] = loaded
            notes = (self._fallback_note(),) if attempts else ()
            progress(0.9, "loaded")
            return loaded, load_ms, notes
        raise tf_errors.explain_load(self.info.model_dir, attempts)

    @staticmethod
    def _fallback_note() -> str:
        # TensorFlow's own reason is left out: on the same model it names whichever op its loader tried first, which
        # changes between runs (e.g. half_plus_three: "Shape must be rank 1 ..." or "Shapes must be equal rank ...").
        # The engine 'local' error states it in full.
        return ("TensorFlow 2 (tf.saved_model.load) cannot load this model; it ran with the TF1 session loader "
                "instead, the way TF Serving loads models (engine 'local' shows TensorFlow 2's error).")

    # --- requests ------------------------------------------------------------------------------------------------

    def _signature(self, key: str) -> Signature:
        key = key or self.info.default_signature or ""
        sigs = self.info.signatures
        if key not in sigs or sigs[key].internal:
            available = ", ".join(self.info.user_signatures) or "none"
            raise RunError(f"{self.info.model_dir} has no signature '{key}'. Available: {available}.",
                           fix="Pick one of the listed signatures.")
        return sigs[key]

    @staticmethod
    def _inputs(signature: Signature, request: Request) -> dict[str, np.ndarray]:
        """The request's arrays; tf.Example feature dicts (request.examples) fill the signature's string input."""
        inputs = dict(request.inputs)
        if request.examples:
            missing = [k for k in signature.inputs if k not in inputs]
            strings = [k for k in missing if signature.inputs[k].dt.is_string] or missing
            if len(strings) == 1:
                from ..examples import serialize_examples

                inputs[strings[0]] = serialize_examples(list(request.examples), key=strings[0])
        return inputs


def _load_tf2(info: ModelInfo):
    tf = tensorflow()
    return tf.saved_model.load(info.model_dir, tags=list(info.tag_set) or None)


def _load_session(info: ModelInfo):
    tf = tensorflow()
    v1 = tf.compat.v1
    graph = tf.Graph()
    session = v1.Session(graph=graph)
    try:
        with graph.as_default():
            v1.saved_model.loader.load(session, list(info.tag_set), info.model_dir)
    except Exception:
        session.close()
        raise
    return session


def _run_tf2(model, signature: Signature, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    tf = _tf_module
    function = model.signatures.get(signature.key)
    if function is None:
        raise RunError(f"TensorFlow 2 restored no function for signature '{signature.key}' "
                       f"(it restored: {', '.join(model.signatures) or 'none'}).",
                       fix="Run it with engine 'session' (the TF1 loader, as TF Serving).")
    # Tensors, not arrays: arrays are checked against the signature's TensorSpec (a batch of 3 for a [1] input
    # is refused), tensors go through the flat signature unchecked, as TF Serving passes them on (docs/ARCHITECTURE.md).
    tensors = {k: tf.convert_to_tensor(v) for k, v in inputs.items()}
    result = function(**tensors)
    if not isinstance(result, dict):
        result = {k: v for k, v in zip(signature.outputs, tf.nest.flatten(result))}
    return {k: _to_numpy(result[k]) for k in sorted(result)}


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "numpy"):
        return value.numpy()
    tf = _tf_module
    if isinstance(value, tf.SparseTensor):
        return tf.sparse.to_dense(value).numpy()
    if isinstance(value, tf.RaggedTensor):
        return value.to_tensor().numpy()
    return np.asarray(value)


def _run_session(session, signature: Signature, inputs: dict[str, np.ndarray], notes: list[str]):
    composite = [k for k, s in list(signature.inputs.items()) + list(signature.outputs.items()) if s.encoding != "dense"]
    if composite:
        raise RunError(f"Signature '{signature.key}' has sparse or composite tensors ({', '.join(composite)}), "
                       "which the session engine cannot feed or fetch by name.",
                       fix="Run it with engine 'local' (tf.saved_model.load).")
    feed = {}
    for key, array in inputs.items():
        spec = signature.inputs[key]
        feed[spec.name] = array
        want = spec.dt
        if not want.is_string and want.numpy and np.asarray(array).dtype.kind not in "OSU" \
                and np.asarray(array).dtype != want.np:
            notes.append(f"{key}: {np.asarray(array).dtype} was cast to {want.short} by the session; "
                         f"TF Serving would refuse a {np.asarray(array).dtype} tensor for this input.")
    keys = list(signature.outputs)
    values = session.run([signature.outputs[k].name for k in keys], feed_dict=feed)
    # Reference-typed outputs (DT_FLOAT_REF: saved_model_counter) come back as plain values from a fetch.
    return {k: np.asarray(v) for k, v in zip(keys, values)}
