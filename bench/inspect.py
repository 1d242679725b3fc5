"""Benchmark: whole-process time of `signature-explorer inspect --json` vs `saved_model_cli show --all`.

Baseline: TensorFlow's own `saved_model_cli`, which users run to list signatures. Goal: at least 20x faster on a
small model and on a model whose saved_model.pb is 100 MB (constants embedded in the graph). Both tools run as
fresh processes, measured with hyperfine (pure-Python timing loop if hyperfine is missing), one after the other
in the same run; peak memory (max RSS) of one run of each is reported too.

Run: .venv/bin/python bench/inspect.py [--runs N] [--baseline-runs N]
Compile bytecode first (`make install` does) so neither side pays for compiling: python -m compileall -q -j 0
.venv/lib explorer.
"""
import os
import sys

# This file is named inspect.py: as a script its folder comes first on sys.path and would shadow the standard
# library's `inspect` for every module that imports it. Drop that entry before importing anything else.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
GOAL = 20.0


def models() -> dict[str, Path]:
    """Name -> SavedModel folder (saved_model_cli takes a folder, not a TF Serving base path)."""
    big = OUT / "big_graph_100mb"
    if not (big / "saved_model.pb").is_file():
        print(f"generating {big} with TensorFlow (once) ...", flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        code = "import sys, modelgen; modelgen.big_graph(sys.argv[1], megabytes=100)"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "tests"), "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([sys.executable, "-c", code, str(OUT)], check=True, env=env, stderr=subprocess.DEVNULL)
    return {
        "small TF1 (half_plus_two_cpu)": ROOT / "resources" / "examples" / "tfserving"
        / "saved_model_half_plus_two_cpu" / "00000123",
        "small TF2 (demo model)": ROOT / "resources" / "demo_model" / "1",
        "100 MB graph": big,
    }


def commands(model: Path) -> tuple[list[str], list[str]]:
    ours = [str(BIN / "signature-explorer"), "inspect", "--json", str(model)]
    theirs = [str(BIN / "saved_model_cli"), "show", "--all", "--dir", str(model)]
    return ours, theirs


def timed(cmd: list[str], runs: int) -> list[float]:
    """Wall times (s) of `runs` fresh processes after one warm-up; hyperfine when installed."""
    hyperfine = shutil.which("hyperfine")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if hyperfine:
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            subprocess.run([hyperfine, "-N", "--warmup", "1", "--runs", str(runs), "--style", "none",
                            "--export-json", report.name, " ".join(_quote(c) for c in cmd)],
                           check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return json.loads(Path(report.name).read_text())["results"][0]["times"]
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:  # the first run only warms the page cache
            times.append(time.perf_counter() - start)
    return times


def peak_rss_mb(cmd: list[str]) -> float:
    """Max resident memory of one run, from the kernel's accounting of the child."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return usage.ru_maxrss / 1024


def _quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of signature-explorer per model")
    parser.add_argument("--baseline-runs", type=int, default=5, help="runs of saved_model_cli per model")
    args = parser.parse_args(argv)

    rows, worst = [], None
    for name, model in models().items():
        ours, theirs = commands(model)
        subprocess.run(ours, check=True, stdout=subprocess.DEVNULL)  # fails loudly if inspect cannot read it
        ours_t = statistics.median(timed(ours, args.runs))
        theirs_t = statistics.median(timed(theirs, args.baseline_runs))
        ratio = theirs_t / ours_t
        worst = ratio if worst is None else min(worst, ratio)
        size = (model / "saved_model.pb").stat().st_size / 1e6
        rows.append((name, f"{size:.2f} MB", f"{ours_t * 1000:.0f} ms", f"{theirs_t * 1000:.0f} ms",
                     f"{ratio:.1f}x", f"{peak_rss_mb(ours):.0f} MB", f"{peak_rss_mb(theirs):.0f} MB"))
        print(f"  measured {name}", flush=True)

    header = ("model", "saved_model.pb", "inspect --json", "saved_model_cli", "ratio", "RSS ours", "RSS theirs")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    verdict = "meets" if worst >= GOAL else "MISSES"
    print(f"\nmedian whole-process times; worst ratio {worst:.1f}x {verdict} the {GOAL:.0f}x goal "
          f"({'hyperfine' if shutil.which('hyperfine') else 'timing loop'}, {args.runs}/{args.baseline_runs} runs)")
    return 0 if worst >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
