"""Prediction benchmark: our LocalRunner against TensorFlow called directly, measured side by side in one run.

    .venv/bin/python bench/predict.py [--megabytes 300] [--rounds 200]

(1) overhead: median time of runner.predict vs calling the loaded signature directly (same process, interleaved
    rounds), for a small model (TF Serving's half_plus_two) and a large one (~300 MB of variables).
    Goal: at most 1.05x, or at most 0.5 ms added.
(2) memory: resident set size after loading the large model through LocalRunner vs tf.saved_model.load alone,
    each in a fresh subprocess. Goal: at most 1.2x.
(3) GUI responsiveness: the longest gap between ticks of a 5 ms QTimer while the large model is loaded and
    predicted on a worker (explorer.ui.workers.Worker). Goal: at most 50 ms.
The large model is generated into bench/out/ (gitignored) on first use.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SMALL = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu"
# bench/ holds inspect.py (the inspect benchmark), which would shadow the standard library's inspect module.
sys.path[:] = [str(ROOT), str(ROOT / "tests")] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def big_model(megabytes: int) -> Path:
    path = OUT / f"big_variables_{megabytes}mb"
    if not (path / "saved_model.pb").is_file():
        # In a subprocess: building the model costs memory this process should not keep.
        code = f"import modelgen; modelgen.big_variables({str(OUT)!r}, {megabytes})"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests",
                       env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    return path


def inputs_for(model: Path):
    import numpy as np

    if model == SMALL:
        return {"x": np.array([[1.0], [2.0], [5.0]], np.float32)}
    return {"x": np.random.default_rng(0).standard_normal((8, 256)).astype(np.float32)}


# --- (1) overhead --------------------------------------------------------------------------------------------------


def part_overhead(model: Path, rounds: int) -> dict:
    import tensorflow as tf

    from explorer.core.request import Request
    from explorer.core.runners.local import LocalRunner

    inputs = inputs_for(model)
    runner = LocalRunner(model, engine="local")
    runner.load()
    direct = tf.saved_model.load(str(runner.info.model_dir)).signatures["serving_default"]
    request = Request("serving_default", inputs)

    def baseline():
        result = direct(**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in result.items()}

    def ours():
        return runner.predict(request).outputs

    for fn in (baseline, ours):  # warm up: first calls trace and allocate
        for _ in range(5):
            fn()
    times = {"baseline": [], "ours": []}
    for _ in range(rounds):  # interleaved, so load from other processes hits both alike
        for name, fn in (("baseline", baseline), ("ours", ours)):
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    base, mine = statistics.median(times["baseline"]), statistics.median(times["ours"])
    runner.close()
    return {"model": model.name, "rounds": rounds, "baseline_ms": base, "ours_ms": mine,
            "ratio": mine / base, "added_ms": mine - base}


# --- (2) memory ----------------------------------------------------------------------------------------------------


def part_memory(model: Path, how: str) -> dict:
    if how == "baseline":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(model))
        outputs = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs_for(model).items()})
    else:
        from explorer.core.request import Request
        from explorer.core.runners.local import LocalRunner

        runner = LocalRunner(model, engine="local")
        outputs = runner.predict(Request("serving_default", inputs_for(model))).outputs
    assert outputs
    current, peak = rss_mb()
    return {"how": how, "rss_mb": current, "peak_mb": peak}


# --- (3) GUI responsiveness ----------------------------------------------------------------------------------------


def part_import(preload: str) -> dict:
    """The longest event-loop gap while TensorFlow is imported on a worker, with or without our preload."""
    os.environ["EXPLORER_TF_PRELOAD"] = "1" if preload == "preload" else "0"
    gap, wall = _gui_probe()(lambda: __import__("explorer.core.runners.local", fromlist=["x"]).tensorflow())
    return {"preload": preload, "gap_ms": gap, "wall_ms": wall}


def _gui_probe():
    """measure(fn, *args) -> (longest gap ms, wall ms): fn runs on a Worker while a 5 ms QTimer ticks."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from explorer.ui.workers import Worker

    app = QApplication.instance() or QApplication([])
    worker = Worker()
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0.0]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)

    def measure(fn, *args) -> tuple[float, float]:
        gaps.clear()
        box = {}
        clock.start()
        last[0] = 0.0
        timer.start()
        began = time.perf_counter()
        worker.submit(fn, *args, caller="bench", on_done=lambda t, r: box.setdefault("done", r),
                      on_failed=lambda t, e: box.setdefault("failed", e))
        while "done" not in box and "failed" not in box:
            app.processEvents()
            time.sleep(0.001)
        wall = (time.perf_counter() - began) * 1000
        timer.stop()
        if "failed" in box:
            raise box["failed"]
        return max(gaps[1:] or [0.0]), wall

    measure.keep = (app, worker, timer)  # alive as long as the probe
    return measure


def part_gui(model: Path) -> dict:
    from explorer.core.request import Request
    from explorer.core.runners import local
    from explorer.core.runners.local import LocalRunner

    measure = _gui_probe()
    runner = LocalRunner(model, engine="local")
    # The noise floor: a worker that only sleeps. On a shared, loaded machine the OS alone delays the GUI thread.
    measure(time.sleep, 0.2)  # warm-up: the first task starts the worker thread and the queued-signal machinery
    idle_gap, idle_wall = measure(time.sleep, 2.0)
    import_gap, import_wall = measure(local.tensorflow)
    load_gap, load_wall = measure(runner.load)
    request = Request("serving_default", inputs_for(model))
    first_gap, first_wall = measure(runner.predict, request)  # the first call traces the function
    predict_gap, predict_wall = measure(runner.predict, request)
    # Contrast: the same prediction on the GUI thread blocks the loop for its whole duration.
    began = time.perf_counter()
    runner.predict(request)
    on_gui = (time.perf_counter() - began) * 1000
    return {"idle_gap_ms": idle_gap, "idle_wall_ms": idle_wall, "import_gap_ms": import_gap,
            "import_wall_ms": import_wall, "load_gap_ms": load_gap, "load_wall_ms": load_wall,
            "first_predict_gap_ms": first_gap, "first_predict_wall_ms": first_wall,
            "predict_gap_ms": predict_gap, "predict_wall_ms": predict_wall, "predict_on_gui_thread_gap_ms": on_gui}


# --- driver --------------------------------------------------------------------------------------------------------


def child(part: str, *args) -> dict:
    done = subprocess.run([sys.executable, "-X", "faulthandler", __file__, "--part", part, *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        tail = [line for line in done.stderr.splitlines() if not line.startswith(("I0000", "W0000", "WARNING"))]
        sys.stderr.write("\n".join(tail[-25:]) + "\n")
        raise SystemExit(f"bench part {part} {' '.join(map(str, args))} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--import-rounds", type=int, default=3, help="fresh processes per import variant")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        model = Path(args.rest[0]) if args.part != "import" else None
        result = {"overhead": lambda: part_overhead(model, int(args.rest[1])),
                  "memory": lambda: part_memory(model, args.rest[1]),
                  "gui": lambda: part_gui(model),
                  "import": lambda: part_import(args.rest[0])}[args.part]()
        print(json.dumps(result))
        return 0

    big = big_model(args.megabytes)
    print(f"models: small {SMALL.name}; large {big.name} "
          f"({sum(f.stat().st_size for f in (big / 'variables').iterdir()) / 2**20:.0f} MB of variables)\n")

    print("(1) overhead of runner.predict over the loaded signature called directly (median, interleaved)")
    for model, rounds in ((SMALL, args.rounds), (big, max(20, args.rounds // 10))):
        r = child("overhead", model, rounds)
        verdict = "ok" if r["ratio"] <= 1.05 or r["added_ms"] <= 0.5 else "MISSED"
        print(f"    {r['model']:<34} direct {r['baseline_ms']:8.3f} ms   ours {r['ours_ms']:8.3f} ms   "
              f"ratio {r['ratio']:.3f}x   added {r['added_ms']:+.3f} ms   [{verdict}: <=1.05x or <=0.5 ms]")

    print("\n(2) memory after load + one prediction, fresh processes (RSS)")
    base = child("memory", big, "baseline")
    ours = child("memory", big, "ours")
    ratio = ours["rss_mb"] / base["rss_mb"]
    print(f"    tf.saved_model.load alone {base['rss_mb']:7.0f} MB (peak {base['peak_mb']:.0f})   "
          f"LocalRunner {ours['rss_mb']:7.0f} MB (peak {ours['peak_mb']:.0f})   ratio {ratio:.3f}x   "
          f"[{'ok' if ratio <= 1.2 else 'MISSED'}: <=1.2x]")

    print("\n(3) GUI responsiveness: longest event-loop gap (5 ms QTimer), work on explorer.ui.workers.Worker")
    g = child("gui", big)
    for label, gap, wall in (("idle worker (noise floor)", g["idle_gap_ms"], g["idle_wall_ms"]),
                             ("import TensorFlow", g["import_gap_ms"], g["import_wall_ms"]),
                             ("load the large model", g["load_gap_ms"], g["load_wall_ms"]),
                             ("first predict (traces)", g["first_predict_gap_ms"], g["first_predict_wall_ms"]),
                             ("predict", g["predict_gap_ms"], g["predict_wall_ms"])):
        print(f"    {label:<26} longest gap {gap:7.1f} ms   (work took {wall:8.1f} ms)   "
              f"[{'ok' if gap <= 50 else 'MISSED'}: <=50 ms]")
    print(f"    contrast: the same predict on the GUI thread stalls it {g['predict_on_gui_thread_gap_ms']:.1f} ms")
    print("    TensorFlow import on a worker, fresh processes, with and without loading its two big .so files "
          "through a GIL-free dlopen first:")
    runs = {"no-preload": [], "preload": []}
    for _ in range(args.import_rounds):  # interleaved: the machine's load changes by the minute
        for mode in runs:
            runs[mode].append(child("import", mode))
    for mode, results in runs.items():
        gaps = sorted(r["gap_ms"] for r in results)
        gap, wall = statistics.median(gaps), statistics.median(r["wall_ms"] for r in results)
        print(f"    {mode:<26} longest gap {gap:7.1f} ms median of {len(gaps)} ({', '.join(f'{g:.0f}' for g in gaps)})"
              f"   (import took {wall:8.1f} ms)   [{'ok' if gap <= 50 else 'MISSED'}: <=50 ms]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
