"""Per-instance autosaves: each running window writes its own file and holds its lock, so two windows never
overwrite or restore each other's work; a start is offered the newest file no running instance holds, by name.

Layout in the config dir: autosaves/<instance>.sigx (the session) beside autosaves/<instance>.lock (held open with
an OS lock for as long as the instance runs; the OS drops it when the process dies, so a crash leaves an orphan
that the next start offers). A claimed orphan is renamed to <new instance>-previous.sigx: offered once, never by
two windows at a time, kept until that instance ends.
"""
from __future__ import annotations

import json
import os
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .workspace import SUFFIX

FOLDER = "autosaves"
LEGACY_NAME = "autosave" + SUFFIX  # the single shared file of earlier versions, offered as an orphan once


def _lock(path: Path):
    """An open file holding an exclusive OS lock, or None when another process holds it."""
    fh = open(path, "a+b")  # noqa: SIM115 - held open for the instance's lifetime on purpose
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


@dataclass(frozen=True)
class AutosaveInfo:
    """What an autosave would restore, read from its manifest only (no arrays)."""

    path: Path
    target: str
    signature: str
    runs: int
    saved_at: float

    def describe(self) -> str:
        """"half_plus_two · serving_default · 3 runs · saved 14:02" for a dialog or a status line."""
        name = self.target.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or "no model"
        parts = [name] + ([self.signature] if self.signature else [])
        parts.append(f"{self.runs} run{'s' if self.runs != 1 else ''}")
        parts.append("saved " + time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at)))
        return " · ".join(parts)


def read_info(path: Path) -> AutosaveInfo | None:
    """The manifest of an autosave; None when it is not a readable workspace."""
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read("workspace.json"))
        return AutosaveInfo(Path(path), str(doc.get("current_target", "")), str(doc.get("signature", "")),
                            len(doc.get("runs", [])), path.stat().st_mtime)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError):
        return None


def same_target(a: str, b: str) -> bool:
    """Whether two targets (folder paths or URLs) name the same model."""
    if not a or not b:
        return False
    norm = [os.path.normcase(os.path.abspath(t)) if "://" not in t else t.rstrip("/") for t in (a, b)]
    return norm[0] == norm[1]


class AutosaveSlot:
    """This instance's autosave file, locked for as long as the instance lives."""

    def __init__(self, config_dir: str | os.PathLike):
        self.folder = Path(config_dir) / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.folder / f"{self.instance}{SUFFIX}"
        self._lock = _lock(self.folder / f"{self.instance}.lock")
        self.claimed: Path | None = None

    def orphans(self) -> list[AutosaveInfo]:
        """Autosaves of instances that are not running any more (and the legacy shared file), newest first."""
        found = []
        candidates = list(self.folder.glob(f"*{SUFFIX}"))
        legacy = self.folder.parent / LEGACY_NAME
        if legacy.is_file():
            candidates.append(legacy)
        for path in candidates:
            if path == self.path or path == self.claimed:
                continue
            owner = path.name[: -len(SUFFIX)].removesuffix("-previous")
            if path != legacy and owner and not self._is_free(owner):
                continue  # a running window's file (or one it claimed): never ours to offer
            info = read_info(path)
            if info is not None and info.runs + bool(info.target):
                found.append(info)
        return sorted(found, key=lambda i: i.saved_at, reverse=True)

    def _is_free(self, owner: str) -> bool:
        lock_path = self.folder / f"{owner}.lock"
        if not lock_path.exists():
            return True
        held = _lock(lock_path)
        if held is None:
            return False
        held.close()
        lock_path.unlink(missing_ok=True)  # the owner is gone: its lock file is litter now
        return True

    def claim(self, info: AutosaveInfo) -> Path:
        """Take an orphan for this instance (renamed, so no other window offers it too); returns its new path."""
        target = self.folder / f"{self.instance}-previous{SUFFIX}"
        os.replace(info.path, target)
        self.claimed = target
        return target

    def close(self) -> None:
        """Release the lock (the app is quitting); the files stay for the next start."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None
