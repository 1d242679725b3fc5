"""The Qt side of the app; importing this package first guards against a refcount bug of PySide6 6.12 on Python 3.11."""
import sys


def _pin_singleton_refcounts() -> None:
    """Give None/True/False a huge refcount on Python < 3.12, where they are not yet immortal.

    Why: PySide6/shiboken6 6.12.0 (an abi3 wheel written for Python 3.12+, where these objects are immortal and
    need no refcounting) returns them without taking a reference on Python 3.11. Measured: every call of a
    void Qt method (setText, processEvents, ...) and every None-returning one (item() of an empty cell) lowers
    None's refcount by one; every Python-side Signal.emit() lowers True's. None starts near 4,000 and True near
    600, so within seconds of normal use the interpreter aborts ("Fatal Python error: none_dealloc" /
    "bool_dealloc") or corrupts memory. Python 3.12+ makes them immortal; this does the same here by hand.
    Harmless when the bug is absent. Runs before any explorer.ui module, because they all import from here.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for value in (None, True, False):
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40


_pin_singleton_refcounts()
