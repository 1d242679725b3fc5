"""What every `python -m explorer.ui...` quick look of a widget starts with: Qt, and the model named on the line."""
from __future__ import annotations

import sys

from PySide6 import QtWidgets

from explorer.core.errors import ExplorerError


def quick_look_model(argv: list[str], usage: str):
    """(QApplication, ModelInfo of argv[1]), or None after printing the usage or the one-line read error."""
    from explorer.core.savedmodel import read_model

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv)
    if len(argv) < 2:
        print(f"usage: {usage}", file=sys.stderr)
        return None
    try:
        return app, read_model(argv[1])
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
