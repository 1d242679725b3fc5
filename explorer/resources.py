"""Where the app's resources live: `resource_dir()` and the named paths below, in a clone, an install or the bundle.

The files sit in the repository's top-level `resources/` folder (the layout the product card names). pyproject.toml
maps that folder onto the package `explorer._resources`, so the wheel, the editable install and the PyInstaller bundle
all reach it by import; code run from a checkout uses the folder beside its `explorer/`.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"


@lru_cache(maxsize=1)
def resource_dir() -> Path:
    """The folder holding icons/, demo_model/ and examples/."""
    # A checkout's own resources/ first: with another checkout installed editable in the same environment, the
    # import would find that one's (explorer._resources maps to the installed checkout's folder).
    if (_CHECKOUT / "icons" / "signature-explorer.svg").is_file():
        return _CHECKOUT
    try:
        spec = importlib.util.find_spec("explorer._resources")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "icons").is_dir():
                return Path(location)
    return _CHECKOUT


def icon_path() -> Path:
    """The app's SVG icon."""
    return resource_dir() / "icons" / "signature-explorer.svg"


def demo_model_path() -> Path:
    """The bundled demo model (a TF Serving base path with one version)."""
    return resource_dir() / "demo_model"


def examples_dir() -> Path:
    """The example models the tour uses (TensorFlow Serving's test models, with their licence)."""
    return resource_dir() / "examples"
