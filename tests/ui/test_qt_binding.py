"""The installed PySide6 keeps Python's reference counts right (6.12.0 on Python 3.11 does not, and aborts)."""
import subprocess
import sys

PROBE = r"""
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Emitter(QObject):
    fired = Signal(bool)
emitter, received = Emitter(), []
emitter.fired.connect(received.append)
label = QLabel()
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(3000):
    label.setText("x")      # a void Qt call: must not consume a reference to None
    emitter.fired.emit(True)  # must not consume a reference to True (received holds 3000 of them)
print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before - len(received))
"""


def test_void_calls_and_emits_keep_refcounts():
    # A fresh interpreter that imports PySide6 directly: nothing of ours may hide a binding bug.
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-2000:]
    none_delta, true_delta = map(int, out.stdout.split())
    assert abs(none_delta) < 50, f"None lost {-none_delta} references: this PySide6 build is broken on this Python"
    assert abs(true_delta) < 50, f"True lost {-true_delta} references: this PySide6 build is broken on this Python"
