"""V2ModelViews: what both KServe V2 runners (REST and gRPC) derive from model metadata and readiness, said once."""
from __future__ import annotations

from .. import v2protocol
from ..serving_status import VersionStatus
from ..signature import Signature


class V2ModelViews:
    """metadata(), signatures() and status() over a subclass's model_metadata() and model_ready(version)."""

    _metadata: v2protocol.ModelMetadata | None = None
    version: str | None = None

    def model_metadata(self) -> v2protocol.ModelMetadata:  # pragma: no cover - each runner asks its own way
        raise NotImplementedError

    def model_ready(self, version: str | None = None) -> bool:  # pragma: no cover
        raise NotImplementedError

    def metadata(self) -> dict[str, Signature]:
        """The model's one signature, keyed serving_default."""
        meta = self.model_metadata()
        return {meta.signature.key: meta.signature}

    def signatures(self) -> dict[str, Signature]:
        """The model's one signature, fetched once then cached."""
        if self._metadata is None:
            return self.metadata()
        return {self._metadata.signature.key: self._metadata.signature}

    def status(self) -> list[VersionStatus]:
        """Every version the metadata names (or the one asked for) with its readiness, as TF Serving's states."""
        meta = self.model_metadata()
        versions = [self.version] if self.version is not None else list(meta.versions)[:32]
        if not versions:
            return [VersionStatus(version="", state="AVAILABLE" if self.model_ready() else "UNAVAILABLE")]
        out = []
        for v in versions:
            ready = self.model_ready(v)
            out.append(VersionStatus(version=v, state="AVAILABLE" if ready else "UNAVAILABLE",
                                     error_code="OK" if ready else "UNAVAILABLE",
                                     error_message="" if ready else "the server says this version is not ready"))
        return out
