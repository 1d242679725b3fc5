"""Benchmark: `signature-explorer scan` vs `saved_model_cli scan` (speed) and vs saved_model_cli and modelscan (what
each finds), side by side in one run.

Speed: whole-process wall time of each tool on fresh processes, on small models and on a model whose
saved_model.pb is 100 MB (constants embedded in the graph). Goal: at least 10x faster than `saved_model_cli scan`.
Findings: on the corpus of dangerous models tests/unsafe_models.py builds with TensorFlow (each op, through
functions, at load, in Keras), the ops we report must include every op saved_model_cli and ProtectAI's modelscan
report. modelscan also reports, as MEDIUM, any op name missing from tf.raw_ops: those are counted apart.

Run: .venv/bin/python bench/scan.py [--runs N] [--baseline-runs N]
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
GOAL = 10.0
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _generated(folder: Path, code: str) -> None:
    if not folder.exists():
        print(f"generating {folder} with TensorFlow (once) ...", flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        env = {**ENV, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{ROOT}"}
        subprocess.run([sys.executable, "-c", code, str(OUT)], check=True, env=env, stderr=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)


def corpus() -> dict[str, Path]:
    """Name -> folder of every model tests/unsafe_models.py builds (the dangerous ones, the safe twin, vocab)."""
    folder = OUT / "unsafe_corpus"
    _generated(folder, "import sys, unsafe_models; unsafe_models.build_corpus(sys.argv[1] + '/unsafe_corpus')")
    import importlib

    sys.path.insert(0, str(ROOT / "tests"))
    unsafe_models = importlib.import_module("unsafe_models")
    names = [g.__name__ for g in unsafe_models.CORPUS] + ["safe_twin", "vocab_asset"]
    return {name: folder / name for name in names}


def speed_models(unsafe: dict[str, Path]) -> dict[str, Path]:
    big = OUT / "big_graph_100mb"
    _generated(big, "import sys, modelgen; modelgen.big_graph(sys.argv[1], megabytes=100)")
    return {
        "small TF1 (half_plus_two_cpu)": ROOT / "resources" / "examples" / "tfserving"
        / "saved_model_half_plus_two_cpu" / "00000123",
        "small TF2 (demo model)": ROOT / "resources" / "demo_model" / "1",
        "small TF2, WriteFile via functions": unsafe["write_through_function"],
        "small TF1, WriteFile at load": unsafe["tf1_main_op"],
        "100 MB graph": big,
    }


def ours_cmd(model: Path) -> list[str]:
    return [str(BIN / "signature-explorer"), "scan", "--json", str(model)]


def cli_cmd(model: Path) -> list[str]:
    return [str(BIN / "saved_model_cli"), "scan", "--dir", str(model)]


def timed(cmd: list[str], runs: int) -> list[float]:
    """Wall times (s) of `runs` fresh processes after one warm-up (exit codes 0 and 1 both mean 'scanned')."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            subprocess.run([hyperfine, "-N", "-i", "--warmup", "1", "--runs", str(runs), "--style", "none",
                            "--export-json", report.name, " ".join(f'"{c}"' if " " in c else c for c in cmd)],
                           check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return json.loads(Path(report.name).read_text())["results"][0]["times"]
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode})")
        if i:  # the first run only warms the page cache
            times.append(time.perf_counter() - start)
    return times


# --- what each tool finds --------------------------------------------------------------------------------------

def ours_ops(model: Path) -> set[str]:
    done = subprocess.run(ours_cmd(model), env=ENV, capture_output=True, text=True, timeout=120)
    return {f["op"] for f in json.loads(done.stdout)["findings"]}


def cli_ops(model: Path) -> set[str]:
    done = subprocess.run(cli_cmd(model), env=ENV, capture_output=True, text=True, timeout=300)
    found: set[str] = set()
    for match in re.finditer(r"contains the following denylisted ops: (\{.*?\})", done.stdout):
        found |= set(ast.literal_eval(match.group(1)))
    return found


def modelscan_ops(model: Path) -> tuple[set[str], set[str]]:
    """(ops modelscan's denylists name, other op names it flags as not in tf.raw_ops)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([str(BIN / "modelscan"), "-p", str(model), "-r", "json", "-o", str(report)], env=ENV,
                       capture_output=True, text=True, timeout=300)
        data = json.loads(report.read_text()) if report.is_file() else {"issues": [], "errors": ["no report"]}
    if data.get("errors"):
        print(f"  modelscan errors on {model.name}: {data['errors']}")
    named, unknown = set(), set()
    for issue in data.get("issues", []):
        op = issue.get("operator", "")
        (named if op in ("ReadFile", "WriteFile", "Lambda") else unknown).add(op)
    return named, unknown


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of signature-explorer scan per model")
    parser.add_argument("--baseline-runs", type=int, default=3, help="runs of saved_model_cli scan per model")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-findings", action="store_true")
    args = parser.parse_args(argv)
    unsafe = corpus()
    ok = True

    if not args.skip_speed:
        rows, worst = [], None
        for name, model in speed_models(unsafe).items():
            ours_t = statistics.median(timed(ours_cmd(model), args.runs))
            theirs_t = statistics.median(timed(cli_cmd(model), args.baseline_runs))
            ratio = theirs_t / ours_t
            worst = ratio if worst is None else min(worst, ratio)
            size = (model / "saved_model.pb").stat().st_size / 1e6
            rows.append((name, f"{size:.2f} MB", f"{ours_t * 1000:.0f} ms", f"{theirs_t * 1000:.0f} ms",
                         f"{ratio:.1f}x"))
            print(f"  measured {name}", flush=True)
        _table(("model", "saved_model.pb", "scan (ours)", "saved_model_cli scan", "ratio"), rows)
        meets = worst >= GOAL
        ok &= meets
        print(f"\nmedian whole-process times; worst ratio {worst:.1f}x {'meets' if meets else 'MISSES'} the "
              f"{GOAL:.0f}x goal ({'hyperfine' if shutil.which('hyperfine') else 'timing loop'}, "
              f"{args.runs}/{args.baseline_runs} runs)\n")

    if not args.skip_findings:
        rows, missed, extra_unknown = [], [], 0
        for name, model in unsafe.items():
            ours = ours_ops(model)
            cli = cli_ops(model)
            ms_named, ms_unknown = modelscan_ops(model)
            extra_unknown += len(ms_unknown)
            lacking = (cli | ms_named) - ours
            if lacking:
                missed.append(f"{name}: {sorted(lacking)}")
            rows.append((name, ", ".join(sorted(ours)) or "-", ", ".join(sorted(cli)) or "-",
                         ", ".join(sorted(ms_named)) or "-", ", ".join(sorted(ms_unknown)) or "-",
                         "yes" if not lacking else "NO"))
            print(f"  scanned {name}", flush=True)
        _table(("model", "ours", "saved_model_cli scan", "modelscan", "modelscan: not in tf.raw_ops", "superset"),
               rows)
        caught_only_by_us = sum(1 for r in rows if r[1] != "-" and r[2] == "-" and r[3] == "-")
        print(f"\nsuperset of saved_model_cli and modelscan on {len(rows)} models: "
              f"{'yes' if not missed else 'NO: ' + '; '.join(missed)}; models only ours flags: {caught_only_by_us}")
        ok &= not missed
    return 0 if ok else 1


def _table(header, rows) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    sys.exit(main())
