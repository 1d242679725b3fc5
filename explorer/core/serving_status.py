"""VersionStatus: one model version as a TF Serving server reports it, the same for REST and gRPC."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VersionStatus:
    """A served version: state "AVAILABLE", "LOADING", "END"...; error_code "OK" unless loading failed. TF Serving's
    versions are numbers; KServe V2's are strings ("" for a model that names none)."""

    version: int | str
    state: str
    error_code: str = "OK"
    error_message: str = ""

    @property
    def available(self) -> bool:
        return self.state == "AVAILABLE"

    def to_dict(self) -> dict:
        return {"version": self.version, "state": self.state, "error_code": self.error_code,
                "error_message": self.error_message}
