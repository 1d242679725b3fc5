"""Outputs benchmark: the GUI thread's share of showing a large output in the Outputs view, ours against the
statistics computed on the GUI thread (the old way), measured side by side in one run.

    .venv/bin/python bench/outputs.py [--rounds 5]

For each output (a million float32 values as one row, as a million rows and as a 1000x1000 matrix; a million
complex64; 100,000 strings), one OutputView shows a fresh Prediction and then paints it. Measured: the GUI thread's
CPU time (time.thread_time, so other jobs on a loaded machine do not count) of show_prediction and of the paint,
median of the rounds, ours and the baseline interleaved. The baseline is the same view with STATS_ON_WORKER set
past the output's size, so its statistics run where they used to. Goal: at most 16 ms (one frame) for ours.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ holds inspect.py (the inspect benchmark), which would shadow the standard library's inspect module.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from explorer.core.request import Prediction  # noqa: E402
from explorer.ui.widgets import output_view  # noqa: E402


def outputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "float32 (1, 1000000)": np.sin(np.arange(1_000_000, dtype=np.float32) / 5000)[np.newaxis],
        "float32 (1000000,)": rng.standard_normal(1_000_000).astype(np.float32),
        "float32 (1000, 1000)": rng.standard_normal((1000, 1000)).astype(np.float32),
        "complex64 (1, 1000000)": (rng.standard_normal(1_000_000) + 1j).astype(np.complex64)[np.newaxis],
        "string (100000,)": np.array([f"w{i}".encode() for i in range(100_000)], dtype=object),
    }


def show_once(app, view, array, n: int) -> tuple[float, float]:
    """GUI-thread CPU ms of show_prediction, then of the paint that follows; waits for the stats worker after."""
    t0 = time.thread_time()
    view.show_prediction(Prediction("bench", "local", "m", {"y": array + 0 if array.dtype.kind != "O" else array},
                                    {"predict": float(n)}))
    t1 = time.thread_time()
    view.grab()
    t2 = time.thread_time()
    if view._worker is not None:
        view._worker.wait(60_000)
        app.processEvents()
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    print(f"uptime: {os.popen('uptime').read().strip()}")
    ours_limit = output_view.STATS_ON_WORKER
    views = {}
    for name in ("ours", "baseline"):
        view = output_view.OutputView()
        view.resize(560, 420)
        view.show()
        views[name] = view
    app.processEvents()
    print(f"{'output':24s} {'show ours':>10s} {'show base':>10s} {'ratio':>6s} {'paint ours':>11s}  goal 16 ms")
    for label, array in outputs().items():
        times = {"ours": [], "baseline": []}
        for n in range(args.rounds + 1):  # the first round makes the pane's widgets: not counted
            for name, view in views.items():
                output_view.STATS_ON_WORKER = ours_limit if name == "ours" else array.size + 1
                shown, painted = show_once(app, view, array, n)
                if n:
                    times[name].append((shown, painted))
        output_view.STATS_ON_WORKER = ours_limit
        ours = statistics.median(t[0] for t in times["ours"])
        base = statistics.median(t[0] for t in times["baseline"])
        paint = statistics.median(t[1] for t in times["ours"])
        print(f"{label:24s} {ours:8.1f}ms {base:8.1f}ms {ours / base:6.2f} {paint:9.1f}ms  "
              f"{'ok' if max(ours, paint) <= 16 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
