"""The one Runner protocol every engine implements: local (TF2), session (TF1), rest, grpc."""
from __future__ import annotations

from typing import Callable, Protocol

from ..request import Prediction, Request
from ..signature import Signature

Progress = Callable[[float, str], None]  # progress(fraction 0..1, text) -- plain callables, never Qt signals


def no_progress(fraction: float, text: str) -> None:
    """The default progress callback: ignore."""


class Runner(Protocol):
    """Runs requests against one model version or endpoint; thread-safe (each runner serialises its own TF use)."""

    engine: str  # "local", "session", "rest", "grpc"
    target: str  # what the user opened: a folder or a URL

    def signatures(self) -> dict[str, Signature]:
        """Signatures as this engine sees them (a server's metadata, or the folder's)."""
        ...

    def predict(self, request: Request, progress: Progress = no_progress) -> Prediction:
        """Run one request; raise an ExplorerError subclass whose message explains what went wrong."""
        ...

    def close(self) -> None:
        """Release the model or connection."""
        ...
