"""Benchmark: reading a .tflite's signatures with explorer.core.tflite vs `tf.lite.Interpreter(...).get_signature_list()`.

Baseline: TensorFlow's interpreter, the way users list a .tflite's signatures today (it imports TensorFlow).
Measured side by side in one run, each as fresh processes (import + read + print), then in-process per call
(after imports). Goal: at least 10x faster per process. Models: the int8 conversion of tests/modelgen.tflite_source
and the shipped saved_model_half_plus_two_tflite.

Run: .venv/bin/python bench/tflite.py [--runs N]
"""
import os
import sys

# As a script this folder comes first on sys.path, and bench/inspect.py would shadow the standard library's inspect
# (which TensorFlow imports): drop that entry first.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
GOAL = 10.0

OURS = ("import sys, json; from explorer.core.savedmodel import read_model; "
        "i = read_model(sys.argv[1]); print(json.dumps({k: [sorted(s.inputs), sorted(s.outputs)] "
        "for k, s in i.signatures.items()}))")
THEIRS = ("import sys, os, warnings; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; warnings.simplefilter('ignore'); "
          "import tensorflow as tf; print(tf.lite.Interpreter(model_path=sys.argv[1]).get_signature_list())")


def model() -> Path:
    path = OUT / "tflite_set" / "int8.tflite"
    if not path.is_file():
        print("converting the test model with TensorFlow (once) ...", flush=True)
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}", "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([sys.executable, "-c", "import sys, modelgen; modelgen.tflite_set(sys.argv[1])", str(OUT)],
                       check=True, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return path


def process_ms(code: str, path: Path, runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def call_us(fn, n: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    models = {"int8 two-signature model": model(),
              "half_plus_two_tflite": ROOT / "resources" / "examples" / "tfserving"
              / "saved_model_half_plus_two_tflite" / "00000123" / "model.tflite"}
    sys.path.insert(0, str(ROOT))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import warnings

    warnings.simplefilter("ignore")
    import tensorflow as tf

    from explorer.core.savedmodel import read_model

    worst = float("inf")
    for name, path in models.items():
        ours, theirs = process_ms(OURS, path, args.runs), process_ms(THEIRS, path, args.runs)
        ours_call = call_us(lambda: read_model(path), 200)
        theirs_call = call_us(lambda: tf.lite.Interpreter(model_path=str(path)).get_signature_list(), 200)
        ratio = theirs / ours
        worst = min(worst, ratio)
        print(f"{name}: process {ours:.0f} ms vs {theirs:.0f} ms ({ratio:.1f}x); "
              f"per call {ours_call:.0f} us vs {theirs_call:.0f} us ({theirs_call / ours_call:.1f}x)")
    print(f"goal {GOAL:.0f}x per process: {'met' if worst >= GOAL else 'NOT met'} (worst {worst:.1f}x)")
    return 0 if worst >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
