"""Run gc_thread_stress.py again and again for a time budget; a run with no heartbeat for --stall seconds is hung:
gdb's C stacks of every thread go to OUT/runN.gdb.txt (when gdb is installed), then the run is killed.

From a checkout root:
    PYTHONPATH=$PWD python tests/stress/run_until_hang.py --budget 360 --out /tmp/gc-stress [-- --plain-qapp]
Prints one line per run ("HUNG after 9 rounds, 6.7s" or "ok after 157 rounds, 123.0s") and a summary.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STRESS = Path(__file__).with_name("gc_thread_stress.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=360, help="seconds for all runs together (default 360)")
    parser.add_argument("--run-seconds", type=float, default=120, help="length of one run (default 120)")
    parser.add_argument("--stall", type=float, default=25, help="seconds without a heartbeat that mean hung")
    parser.add_argument("--out", required=True, help="folder for each run's log and gdb stacks")
    parser.add_argument("stress_args", nargs="*", help="passed on to gc_thread_stress.py (after --)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    began = time.monotonic()
    runs = hangs = total_rounds = 0
    while time.monotonic() - began < args.budget:
        runs += 1
        log = open(out / f"run{runs}.log", "w")
        cmd = ["nice", "-n", "10", sys.executable, str(STRESS), "--seconds", str(args.run_seconds),
               "--stall", str(args.stall + 30), "--keep-hung", *args.stress_args]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        state = {"last": time.monotonic(), "rounds": 0, "pid": proc.pid}

        def read(proc=proc, log=log, state=state):
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if m := re.match(r"round (\d+)", line):
                    state.update(rounds=int(m.group(1)), last=time.monotonic())
                elif line.startswith("pid "):
                    state["last"] = time.monotonic()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started = time.monotonic()
        hung = False
        while proc.poll() is None:
            time.sleep(1)
            if time.monotonic() - state["last"] > args.stall:
                hung = True
                break
        if hung:
            hangs += 1
            if shutil.which("gdb"):
                with open(out / f"run{runs}.gdb.txt", "w") as stacks:
                    subprocess.run(["gdb", "-q", "-batch", "-p", str(proc.pid), "-ex", "thread apply all bt 200"],
                                   stdout=stacks, stderr=subprocess.STDOUT, timeout=120)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(5)
        log.close()
        total_rounds += state["rounds"]
        took = (state["last"] if hung else time.monotonic()) - started
        print(f"run {runs}: {'HUNG' if hung else 'ok'} after {state['rounds']} rounds, {took:.1f}s"
              f"{'' if hung else f' (exit {proc.returncode})'}", flush=True)
        if not hung and proc.returncode != 0:
            print(f"run {runs} failed: see {out / f'run{runs}.log'}", flush=True)
            return 2
    print(f"summary: {runs} runs, {hangs} hung, {total_rounds} rounds", flush=True)
    return 1 if hangs else 0


if __name__ == "__main__":
    sys.exit(main())
