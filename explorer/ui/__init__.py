"""The Qt side of the app: PySide6 and pyqtgraph widgets over the Qt-free core."""
