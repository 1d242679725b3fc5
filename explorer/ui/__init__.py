"""The Qt side of the app; importing this package first guards against a refcount bug of PySide6 6.12 on Python 3.11."""
import sys


def _pin_bool_refcounts() -> None:
    """Give True/False a huge refcount on Python < 3.12, where they are not yet immortal.

    Why: with PySide6/shiboken6 6.12.0 on Python 3.11 every Python-side `Signal.emit()` returns True without
    taking a reference, so each emit lowers True's refcount by one (measured: -1 per emit, unconnected signals
    too). True starts near 600, so after a few hundred pyqtgraph emits the interpreter aborts with
    "Fatal Python error: bool_dealloc" -- mid-session or at exit. Python 3.12+ makes True immortal; this does
    the same here by hand. Harmless when the bug is absent.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for value in (True, False):
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40


_pin_bool_refcounts()
