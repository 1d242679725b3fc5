"""How large an input may be before it is built: a share of available memory by default, or the user's setting.

Measured on main before this limit: a 400 MB fill (10^8 float32) peaked at 13 GB through validation, TensorFlow's
conversion, the outputs and printing -- about 32 copies. So the default is 1/64 of the memory available when asked
(never under 64 MB): an input that passes leaves room for the copies a run makes. The CLI's --max-input-mb and the
window's preference set it for the process (set_max_input_mb).
"""
from __future__ import annotations

import os
import threading

from .errors import InputProblem

MB = 1024 * 1024
DEFAULT_SHARE = 1 / 64
DEFAULT_FLOOR_MB = 64.0

_lock = threading.Lock()
_override_mb: float | None = None


def available_bytes() -> int:
    """Memory available to new allocations now (Linux MemAvailable; else free physical pages; else 4 GB)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4096 * MB


def default_max_input_mb() -> float:
    """1/64 of available memory, at least 64 MB."""
    return max(DEFAULT_FLOOR_MB, available_bytes() * DEFAULT_SHARE / MB)


def set_max_input_mb(mb: float | None) -> None:
    """Set the limit for this process (None: back to the default share of available memory)."""
    global _override_mb
    if mb is not None and not mb > 0:
        raise ValueError("the input limit must be a positive number of MB")
    with _lock:
        _override_mb = None if mb is None else float(mb)


def max_input_bytes() -> int:
    """The current limit in bytes."""
    with _lock:
        mb = _override_mb
    return int((mb if mb is not None else default_max_input_mb()) * MB)


def mb_text(nbytes: float) -> str:
    """1234567 -> '1.2 MB'; astronomically large sizes stay readable."""
    if nbytes >= 1024 ** 5:
        return f"{nbytes / 1024 ** 4:.3g} TB"
    if nbytes >= 1024 ** 3:
        return f"{nbytes / 1024 ** 3:,.1f} GB"
    if nbytes >= MB:
        return f"{nbytes / MB:,.1f} MB"
    return f"{nbytes / 1024:,.1f} KB"


def check_input_size(key: str | None, nbytes: int, what: str) -> None:
    """Refuse an input whose estimated size is over the limit, naming both; `what` says what would be built."""
    limit = max_input_bytes()
    if nbytes > limit:
        who = f"{key}: " if key else ""
        raise InputProblem(key, f"{who}{what} would take {mb_text(nbytes)}, over the input limit of "
                                f"{mb_text(limit)}.",
                           fix="Use a smaller shape, batch or file, or raise the limit (--max-input-mb, or "
                               "Preferences > Input limit).")
