"""User settings as one JSON file in the user config dir: recent models plus generic keys; never crashes on a bad file.

The folder comes from platformdirs (app name "signature-explorer") unless the environment variable
SIGNATURE_EXPLORER_CONFIG_DIR names another (tests do). The file carries a "schema_version" so later releases can
migrate it. A file that cannot be parsed is moved aside to `settings.json.corrupt` (the user's data is kept for a
look) and the app starts from defaults. Qt-free: the GUI keeps window geometry in QSettings beside this file.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

APP_NAME = "signature-explorer"
ENV_DIR = "SIGNATURE_EXPLORER_CONFIG_DIR"
FILE_NAME = "settings.json"
SCHEMA_VERSION = 1
RECENT_MAX = 10
RECENT_KEY = "recent_models"
PREFERENCES_KEY = "preferences"
ENDPOINTS_KEY = "endpoints"  # remembered TF Serving endpoints (written by ui.widgets.endpoint_dialog)
TOLERANCES_KEY = "tolerances"  # {"rtol", "atol"} for comparisons (written by the compare view too)
FOLDER_KEY = "last_folder"  # where File > Open started last (models); other purposes live in FOLDERS_KEY
FOLDERS_KEY = "last_folders"
CONSENTS_KEY = "unsafe_model_consents"  # consent key -> {"path", "ops", "granted_at"}: models the user agreed to run
DEFAULT_RTOL, DEFAULT_ATOL = 1e-5, 1e-6
ENGINES = ("auto", "local", "session")
THEMES = ("system", "light", "dark")
# Each preference: its default and a check of a stored value (a hand-edited file must not break the app).
PREFERENCES = {
    "engine": ("auto", lambda v: v in ENGINES),
    "theme": ("system", lambda v: v in THEMES),
    "recent_max": (RECENT_MAX, lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 50),
    "plot_grid": (True, lambda v: isinstance(v, bool)),
    "plot_antialias": (True, lambda v: isinstance(v, bool)),
    # The largest input built, in MB; 0: a share of available memory (core/limits.py)
    "max_input_mb": (0, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1024**2),
}


def config_dir() -> Path:
    """Where settings live: $SIGNATURE_EXPLORER_CONFIG_DIR, else the platform's user config dir."""
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only needed when no override is set

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


class Settings:
    """A JSON settings file: get/set any key, the recent-models list (most recent first, max `recent_max`),
    preferences, tolerances, last-used folders; reset() forgets everything."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else config_dir()
        self.path = self.directory / FILE_NAME
        self.recovered_from: Path | None = None  # set when a corrupt file was moved aside at load
        self.problem: str = ""  # why the file was not used as-is (shown by the app, never raised)
        self._lock = threading.Lock()  # settings may be touched from a worker (e.g. saving endpoints)
        self._data: dict[str, Any] = self._load()

    # --- generic keys -------------------------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of `key` (a JSON-compatible value), or `default`."""
        with self._lock:
            return self._data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-compatible value under `key` and write the file at once."""
        if key == "schema_version":
            raise KeyError("schema_version is managed by Settings")
        json.dumps(value)  # refuse what cannot be saved before touching the file
        with self._lock:
            self._data[key] = value
            self._save()

    def remove(self, key: str) -> None:
        """Forget `key` (no error if absent)."""
        with self._lock:
            if self._data.pop(key, None) is not None:
                self._save()

    # --- preferences, tolerances, folders ---------------------------------------------------------------------

    def preferences(self) -> dict[str, Any]:
        """Every preference (engine, theme, recent_max, plot_grid, plot_antialias): stored value or default."""
        with self._lock:
            stored = self._data.get(PREFERENCES_KEY)
        stored = stored if isinstance(stored, dict) else {}
        return {name: stored[name] if name in stored and valid(stored[name]) else default
                for name, (default, valid) in PREFERENCES.items()}

    def preference(self, name: str) -> Any:
        """One preference's value (KeyError for an unknown name)."""
        return self.preferences()[name]

    def set_preferences(self, **values: Any) -> dict[str, Any]:
        """Store preferences (ValueError for an unknown name or invalid value); returns them all."""
        for name, value in values.items():
            if name not in PREFERENCES:
                raise ValueError(f"unknown preference {name!r}")
            if not PREFERENCES[name][1](value):
                raise ValueError(f"invalid value {value!r} for preference {name!r}")
        with self._lock:
            stored = self._data.get(PREFERENCES_KEY)
            merged = {**(stored if isinstance(stored, dict) else {}), **values}
            self._data[PREFERENCES_KEY] = merged
            if "recent_max" in values:  # a smaller list takes effect now, not at the next open
                recent = self._data.get(RECENT_KEY, [])
                self._data[RECENT_KEY] = recent[: values["recent_max"]] if isinstance(recent, list) else []
            self._save()
        return self.preferences()

    def tolerances(self) -> tuple[float, float]:
        """(rtol, atol) for comparing outputs; defaults when unset or unreadable."""
        stored = self.get(TOLERANCES_KEY, {})
        try:
            rtol, atol = float(stored.get("rtol", DEFAULT_RTOL)), float(stored.get("atol", DEFAULT_ATOL))
        except (AttributeError, TypeError, ValueError):
            return DEFAULT_RTOL, DEFAULT_ATOL
        return (rtol if rtol >= 0 else DEFAULT_RTOL), (atol if atol >= 0 else DEFAULT_ATOL)

    def set_tolerances(self, rtol: float, atol: float) -> None:
        """Store (rtol, atol); ValueError when negative."""
        if rtol < 0 or atol < 0:
            raise ValueError("tolerances cannot be negative")
        self.set(TOLERANCES_KEY, {"rtol": float(rtol), "atol": float(atol)})

    def last_folder(self, purpose: str = "model", default: str | None = None) -> str:
        """The folder a file dialog for `purpose` ("model", "workspace", "export", "input") started in last."""
        fallback = default if default is not None else str(Path.home())
        if purpose == "model":
            value = self.get(FOLDER_KEY)
        else:
            folders = self.get(FOLDERS_KEY, {})
            value = folders.get(purpose) if isinstance(folders, dict) else None
        return value if isinstance(value, str) and os.path.isdir(value) else fallback

    def set_last_folder(self, folder: str | os.PathLike, purpose: str = "model") -> None:
        """Remember `folder` for the next file dialog of `purpose`."""
        folder = _normal(folder)
        if purpose == "model":
            self.set(FOLDER_KEY, folder)
            return
        folders = self.get(FOLDERS_KEY, {})
        self.set(FOLDERS_KEY, {**(folders if isinstance(folders, dict) else {}), purpose: folder})

    def unsafe_consents(self) -> dict[str, dict]:
        """Models the user agreed to run despite dangerous ops: consent key (core.scan) -> {path, ops, granted_at}."""
        stored = self.get(CONSENTS_KEY, {})
        return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, dict)} \
            if isinstance(stored, dict) else {}

    def grant_unsafe_consent(self, key: str, path: str, ops: list[str]) -> None:
        """Remember that the user agreed to run the model with this consent key (what it does: `ops`)."""
        import time

        entry = {"path": str(path), "ops": sorted(set(ops)), "granted_at": time.strftime("%Y-%m-%d %H:%M")}
        self.set(CONSENTS_KEY, {**self.unsafe_consents(), key: entry})

    def revoke_unsafe_consent(self, key: str) -> None:
        """Forget one model's consent: the app asks again before loading it."""
        self.set(CONSENTS_KEY, {k: v for k, v in self.unsafe_consents().items() if k != key})

    def clear_recent(self) -> None:
        """Forget recent models and remembered endpoints."""
        with self._lock:
            self._data[RECENT_KEY] = []
            self._data.pop(ENDPOINTS_KEY, None)
            self._save()

    def reset(self) -> None:
        """Forget every setting: the file holds only the defaults afterwards."""
        with self._lock:
            self._data = _defaults()
            self._save()

    # --- recent models --------------------------------------------------------------------------------------------

    def recent_models(self) -> list[str]:
        """Recently opened model paths, most recent first; paths that no longer exist are pruned (and saved)."""
        with self._lock:
            stored = self._data.get(RECENT_KEY, [])
            kept = _unique([p for p in stored if isinstance(p, str) and os.path.exists(p)])[:self._recent_max()]
            if kept != stored:
                self._data[RECENT_KEY] = kept
                self._save()
            return list(kept)

    def add_recent_model(self, path: str | os.PathLike) -> list[str]:
        """Put `path` (made absolute) first in the recent list, removing its older entry; return the new list."""
        entry = _normal(path)
        with self._lock:
            stored = [p for p in self._data.get(RECENT_KEY, []) if isinstance(p, str)]
            kept = _unique([entry] + [p for p in stored if _normal(p) != entry])[:self._recent_max()]
            self._data[RECENT_KEY] = kept
            self._save()
            return list(kept)

    def remove_recent_model(self, path: str | os.PathLike) -> None:
        """Drop `path` from the recent list."""
        entry = _normal(path)
        with self._lock:
            stored = self._data.get(RECENT_KEY, [])
            self._data[RECENT_KEY] = [p for p in stored if isinstance(p, str) and _normal(p) != entry]
            self._save()

    def clear_recent_models(self) -> None:
        """Empty the recent list."""
        with self._lock:
            self._data[RECENT_KEY] = []
            self._save()

    def _recent_max(self) -> int:
        # Called with the lock held: read the stored preference directly.
        stored = self._data.get(PREFERENCES_KEY)
        value = stored.get("recent_max") if isinstance(stored, dict) else None
        return value if PREFERENCES["recent_max"][1](value) else RECENT_MAX

    # --- file ---------------------------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _defaults()
        except OSError as exc:
            self.problem = f"Settings file {self.path} cannot be read ({exc.strerror or exc}); using defaults."
            return _defaults()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("the top level is not a JSON object")
        except ValueError as exc:
            self.recovered_from = self._move_aside()
            kept = f" It was kept as {self.recovered_from}." if self.recovered_from else ""
            self.problem = f"Settings file {self.path} was corrupt ({exc}); starting from defaults.{kept}"
            return _defaults()
        version = data.get("schema_version")
        if not isinstance(version, int):
            data["schema_version"] = SCHEMA_VERSION  # a file written by hand: adopt it
        elif version > SCHEMA_VERSION:
            # Written by a newer release: read what we understand, and never overwrite its keys with less.
            self.problem = (f"Settings file {self.path} is from a newer Signature Explorer "
                            f"(schema {version}); unknown settings are kept as they are.")
        if not isinstance(data.get(RECENT_KEY, []), list):
            data[RECENT_KEY] = []
        return data

    def _move_aside(self) -> Path | None:
        backup = self.path.with_name(FILE_NAME + ".corrupt")
        try:
            os.replace(self.path, backup)
        except OSError:
            return None
        return backup

    def _save(self) -> None:
        # Write a sibling file and rename it over the old one, so a crash mid-write never leaves a torn file.
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            # A read-only config dir must not stop the app; the setting lives on for this session.
            self.problem = f"Settings could not be saved to {self.path} ({exc.strerror or exc})."


def load_settings() -> Settings:
    """The settings of the current config dir (re-read from disk on every call)."""
    return Settings()


def _defaults() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, RECENT_KEY: []}


def _normal(path: str | os.PathLike) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def _unique(paths: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in paths:
        n = _normal(p)
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out
