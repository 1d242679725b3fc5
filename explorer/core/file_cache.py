"""File loads cached by (path, mtime, size): a form that rebuilds on every keystroke never re-reads a file, and an
edited file is read again."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def cached(tag: str, path: Path, extra: tuple, load):
    """load() once per (path, mtime, size, extra): edits to the file are seen, keystrokes are not re-reads."""
    stat = path.stat()
    ident = (tag, str(path.resolve()), stat.st_mtime_ns, stat.st_size) + extra
    with _CACHE_LOCK:
        if ident in _CACHE:
            _CACHE.move_to_end(ident)
            return _CACHE[ident]
    value = load()
    with _CACHE_LOCK:
        _CACHE[ident] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget cached file loads (tests, or a user asking to reload)."""
    with _CACHE_LOCK:
        _CACHE.clear()
