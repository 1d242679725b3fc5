"""Start-up benchmark: the app's window against a bare PySide6 window with a tree, measured side by side in one run.

    .venv/bin/python bench/startup.py [--rounds 7]

Each round starts fresh processes (offscreen), alternating: the baseline (a QMainWindow with a five-item
QTreeWidget, shown, grabbed to PNG) and the app (MainWindow opening a model, the signature tree grabbed to PNG once
it lists the model's signatures), for the demo model and a model whose saved_model.pb holds a 100 MB graph. The
time is process start (the interpreter's own start included) to the PNG written. Goal: median ratio at most 2x.
The 100 MB-graph model is generated into bench/out/ (gitignored) on first use.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DEMO = ROOT / "resources" / "demo_model"
GOAL = 2.0

# Both scripts print the seconds from the bench's start of the process to the tree's first paint with items in
# it (an event filter on the tree's viewport), then grab the tree to a PNG and exit.
FIRST_PAINT = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer

class FirstPaint(QObject):
    def __init__(self, tree, grab):
        super().__init__()
        self.tree, self.grab = tree, grab
        tree.viewport().installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and self.tree.topLevelItemCount():
            print(f"painted {time.time() - float(os.environ['STARTUP_T0']):.4f}", flush=True)
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.grab)
        return False
"""

BASELINE = FIRST_PAINT + """
from PySide6.QtWidgets import QApplication, QMainWindow, QTreeWidget, QTreeWidgetItem
app = QApplication([sys.argv[0]])
window = QMainWindow()
tree = QTreeWidget()
tree.setHeaderLabels(["Name", "Type"])
for i in range(5):
    tree.addTopLevelItem(QTreeWidgetItem([f"item {i}", "float32"]))
window.setCentralWidget(tree)
window.resize(1280, 800)

def grab():
    tree.grab().save(sys.argv[1])
    os._exit(0)

watch = FirstPaint(tree, grab)
window.show()
app.exec()
"""

APP = FIRST_PAINT + """
from explorer.ui.app import create_app
app = create_app()
from explorer.ui.main_window import MainWindow
window = MainWindow()
window.resize(1280, 800)
heavy = []

def grab():
    heavy.extend(sorted({m.split('.')[0] for m in sys.modules} & {"numpy", "pyqtgraph", "tensorflow"}))
    window.tree.grab().save(sys.argv[1])
    if os.environ.get("STARTUP_MODULES"):
        print("loaded at first paint:", ", ".join(heavy) or "none", file=sys.stderr)
    # The panels are built right after the first paint: wait for them, so a start that only looked fast because
    # it exited early cannot pass.
    QTimer.singleShot(0, lambda: (window.run_panel, os._exit(0)))

watch = FirstPaint(window.tree.tree, grab)
window.show()
window.open_model(sys.argv[2])  # as explorer.ui.app.main does
QTimer.singleShot(60000, lambda: os._exit(3))
app.exec()
"""


def big_graph() -> Path:
    path = OUT / "big_graph_100mb"
    if not (path / "saved_model.pb").is_file():
        code = f"import modelgen; modelgen.big_graph({str(OUT)!r}, 100)"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests",
                       env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    return path


def timed(code: str, *args: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "shot.png")
        env["SIGNATURE_EXPLORER_CONFIG_DIR"] = tmp
        env["STARTUP_T0"] = repr(time.time())
        done = subprocess.run([sys.executable, "-c", code, png, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        painted = [line for line in done.stdout.splitlines() if line.startswith("painted ")]
        if done.returncode != 0 or not os.path.isfile(png) or not painted:
            raise SystemExit(f"run failed ({done.returncode}):\n{done.stderr[-2000:]}")
        if "loaded at first paint" in done.stderr:
            print("   ", [line for line in done.stderr.splitlines() if "loaded at first paint" in line][-1])
    return float(painted[0].split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    models = {"demo model": DEMO}
    if not os.environ.get("STARTUP_DEMO_ONLY"):
        models["100 MB graph"] = big_graph()
    # As `make install` does: without bytecode (PYTHONDONTWRITEBYTECODE is set here) every start would compile our
    # modules again, which an installed app never does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "explorer")], check=True)
    os.environ["STARTUP_MODULES"] = "1"
    timed(BASELINE)  # warm the file cache for both
    for path in models.values():
        timed(APP, str(path))
    os.environ.pop("STARTUP_MODULES")
    worst = 0.0
    for name, path in models.items():
        base, app = [], []
        for _ in range(args.rounds):
            base.append(timed(BASELINE))
            app.append(timed(APP, str(path)))
        ratio = statistics.median(a / b for a, b in zip(app, base))
        worst = max(worst, ratio)
        print(f"{name:13s} app {statistics.median(app) * 1000:5.0f} ms, bare PySide6 tree "
              f"{statistics.median(base) * 1000:5.0f} ms: {ratio:.2f}x (goal <= {GOAL:.0f}x)")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
