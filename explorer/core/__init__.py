"""Qt-free core: model reading, tensors, checks, runners, diagnosis, comparison. Never imports PySide6 or TensorFlow at import time."""
