"""Installed versions of the app and what it runs on, read from package metadata: never imports TensorFlow
(seconds and ~500 MB) just to name its version."""
from __future__ import annotations

import sys

# The distributions that provide `import tensorflow`, in the order they are looked for.
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tf-nightly")


def distribution_version(*names: str) -> str:
    """The installed version of the first of `names` that is installed, or "" when none is."""
    from importlib import metadata

    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ""


def tensorflow_installed() -> str:
    """TensorFlow's installed version ("" when not installed), without importing it."""
    return distribution_version(*TENSORFLOW_DISTRIBUTIONS)


def tensorflow_loaded() -> str:
    """TensorFlow's version when this process has imported it, else ""."""
    tf = sys.modules.get("tensorflow")
    return (getattr(tf, "__version__", None) or "") if tf is not None else ""


def version_lines() -> list[str]:
    """What `signature-explorer --version` prints: the app's version, then TensorFlow's (or that it is missing)."""
    import explorer

    tf = tensorflow_installed()
    if tf:
        tf_line = f"TensorFlow {tf}"
    elif _importable("tensorflow"):  # e.g. a bundle built without TensorFlow's package metadata
        tf_line = "TensorFlow installed (version unknown: no package metadata)"
    else:
        tf_line = "TensorFlow not installed (needed to run models locally)"
    return [f"signature-explorer {explorer.__version__}", tf_line]


def _importable(name: str) -> bool:
    """Whether a top-level module can be imported, found without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
