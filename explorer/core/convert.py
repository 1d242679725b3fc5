"""convert_to_tflite(SavedModel) -> .tflite: float, dynamic-range or full-int8, with tf.lite.TFLiteConverter.

The only module of the TFLite work that imports TensorFlow (reading and running a .tflite need none). The int8
representative dataset is drawn from the same seeded probes compare sends (compare.random_sources), so "what does
quantising cost me?" is measured on inputs like the ones calibration saw, and the same every run.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import ExplorerError, RunError

# Plain constants and no numpy at import: the CLI's argument parser reads them for every command.
QUANTIZE = ("none", "dynamic", "int8")
DEFAULT_REPRESENTATIVE = 100  # TFLite's guide suggests 100-500 samples
DEFAULT_BATCH = 16  # rows per compared request: enough for argmax/top-k agreement to mean something


@dataclass(frozen=True)
class Conversion:
    """A finished conversion: where the .tflite went and how it was made."""

    saved_model: str
    tflite: str
    quantize: str
    representative: int  # samples per signature fed to calibration (int8), 0 otherwise
    bytes: int
    saved_model_bytes: int

    def describe(self) -> str:
        how = {"none": "float", "dynamic": "dynamic-range (int8 weights)",
               "int8": f"full int8 (calibrated on {self.representative} seeded probes per signature)"}[self.quantize]
        return f"{how}, {self.bytes / 1024:.1f} KB"

    def to_dict(self) -> dict:
        return {"saved_model": self.saved_model, "tflite": self.tflite, "quantize": self.quantize,
                "representative": self.representative, "bytes": self.bytes}


def representative_samples(signatures: dict, count: int, seed: int = 1) -> list[tuple[str, dict]]:
    """`count` seeded probe requests per signature, batch 1, as (signature key, {input: array}) pairs. Seeds
    1, 1001, 2001, ...: never compare's default seed 0, so calibration rows are not the rows compared."""
    from .compare import random_sources
    from .tensors import build_inputs

    out = []
    for key, sig in sorted(signatures.items()):
        for i in range(count):
            arrays, _ = build_inputs(sig, random_sources(sig, seed=seed + 1000 * i), batch=1)
            out.append((key, arrays))
    return out


def default_output(saved_model: str, quantize: str) -> Path:
    """Where a conversion goes unless told: a fresh temp folder (never next to the user's model)."""
    folder = Path(tempfile.mkdtemp(prefix="signature-explorer-tflite-"))
    return folder / f"{Path(saved_model).name or 'model'}_{quantize}.tflite"


def convert_to_tflite(saved_model, quantize: str = "none", out: str | os.PathLike | None = None,
                      representative: int = DEFAULT_REPRESENTATIVE, select_tf_ops: bool = False,
                      progress: Callable[[float, str], None] | None = None) -> Conversion:
    """Convert a SavedModel (folder, or the newest version of a base path) to .tflite; RunError on failure."""
    from .runners.local import tensorflow
    from .savedmodel import read_model

    progress = progress or (lambda fraction, text: None)
    if quantize not in QUANTIZE:
        raise ExplorerError(f"Unknown quantisation {quantize!r}.", fix=f"Use one of: {', '.join(QUANTIZE)}.")
    info = read_model(saved_model)
    if info.tflite is not None:
        raise ExplorerError(f"{saved_model} is already a TensorFlow Lite model.",
                            fix="Convert the SavedModel it came from.")
    out = Path(out) if out else default_output(info.model_dir, quantize)
    progress(0.05, "importing TensorFlow")
    tf = tensorflow()
    signatures = info.user_signatures
    converter = tf.lite.TFLiteConverter.from_saved_model(info.model_dir, signature_keys=sorted(signatures),
                                                         tags=set(info.tag_set))
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quantize == "int8":
        samples = representative_samples(signatures, max(1, representative))
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(samples)
        # Full integer: int8 inputs and outputs too, the model an MCU or Edge TPU runs. The runner quantises
        # real inputs and dequantises outputs, so the user still types and reads real values.
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    if select_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops
    progress(0.2, f"converting ({quantize})")
    logged: list[str] = []
    try:
        with _stderr_into(logged):
            data = converter.convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many types; the user needs its message
        text = "\n".join(part for part in (str(exc), *logged) if part.strip())
        raise _conversion_error(saved_model, quantize, text) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    progress(1.0, "converted")
    return Conversion(saved_model=str(saved_model), tflite=str(out), quantize=quantize,
                      representative=representative if quantize == "int8" else 0, bytes=len(data),
                      saved_model_bytes=info.saved_model_bytes + info.variables_bytes)


def _conversion_error(saved_model, quantize: str, text: str) -> RunError:
    """The converter's failure in words: which ops stop it and what to do; its own text goes to details."""
    def ops(label: str) -> list[str]:
        found = re.search(label + r" ops: ([^\n]+)", text)
        return [op.strip() for op in found.group(1).split(",") if op.strip()] if found else []

    select, custom = ops("TF Select"), ops("Custom")
    what = f"TFLiteConverter could not convert {saved_model} ({quantize})"
    if select or custom:
        parts = []
        if select:
            parts.append(f"{', '.join(select)} {'has' if len(select) == 1 else 'have'} no TFLite builtin (TF Select "
                         "ops: the .tflite would need the Flex delegate)")
        if custom:
            parts.append(f"{', '.join(custom)} {'is' if len(custom) == 1 else 'are'} neither a TFLite builtin nor a "
                         "TF Select op")
        fix = ("Replace " + ", ".join(custom) + " in the model before exporting (TFLite has no kernel for "
               + ("it" if len(custom) == 1 else "them") + ")" if custom else
               "Convert with SELECT_TF_OPS (convert-compare --select-tf-ops), or replace them in the model")
        return RunError(f"{what}: {'; '.join(parts)}.", details=text, fix=fix + ".")
    fix = ("Some ops have no TFLite builtin; convert with SELECT_TF_OPS (Flex) or replace them."
           if "select" in text.lower() or "flex" in text.lower() or "not supported" in text.lower()
           else "Read the converter's message under details.")
    return RunError(f"{what}.", details=text, fix=fix)


@contextmanager
def _stderr_into(logged: list[str]):
    """File descriptor 2 into `logged` while the converter runs: its MLIR diagnostics, printed from C++, belong
    behind details, not above the one line the CLI promises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            logged.append(sink.read().decode("utf-8", "replace"))
