"""Where a request goes: a model folder, a TF Serving endpoint or a KServe V2 endpoint, parsed from what the user
typed, and its runner.

Grammar: a folder path (or saved_model.pb), `rest://HOST:PORT/MODEL[/versions/N | /labels/L]`,
`grpc://HOST:PORT/MODEL[...]`, the Open Inference Protocol (KServe V2: MLServer, KServe, Triton)
`v2://HOST:PORT/MODEL[/versions/V]` (REST) and `v2+grpc://HOST:PORT/MODEL[/versions/V]` (V2 versions are strings),
and -- because users paste them -- the servers' own REST URLs: TF Serving's
`http(s)://HOST[:PORT][/PREFIX]/v1/models/MODEL[/versions/N | /labels/L][:predict|/metadata]` and V2's
`http(s)://HOST[:PORT][/PREFIX]/v2/models/MODEL[/versions/V][/infer|/ready]`: the port defaults to the scheme's
(80, 443), as in a browser, and a PREFIX is the path a gateway serves the server under.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ExplorerError

KINDS = ("folder", "rest", "grpc", "v2", "v2+grpc")
V2_KINDS = ("v2", "v2+grpc")
# TF Serving's ports; for V2 those of MLServer and KServe (Triton's are 8000 and 8001).
DEFAULT_PORTS = {"rest": 8501, "grpc": 8500, "v2": 8080, "v2+grpc": 8081, "http": 80, "https": 443}
PROTOCOL_NAMES = {"folder": "local", "rest": "TF Serving REST", "grpc": "TF Serving gRPC", "v2": "KServe V2 REST",
                  "v2+grpc": "KServe V2 gRPC"}
FOLDER_ENGINES = ("auto", "local", "session", "litert")

_ENDPOINT = re.compile(
    r"^(?P<scheme>rest|grpc)://(?P<host>\[[^\]]+\]|[^/:]+)(?::(?P<port>\d+))?"
    r"(?:/(?P<model>[^/:]+)(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?)?/?$",
    re.IGNORECASE,
)
_HTTP = re.compile(
    r"^(?P<scheme>https?)://(?P<host>\[[^\]]+\]|[^/:]+)(?::(?P<port>\d+))?(?P<prefix>(?:/[^/:?#]+)*?)"
    r"/v1/models/(?P<model>[^/:]+)"
    r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?(?::\w+|/metadata)?/?$",
    re.IGNORECASE,
)
_V2 = re.compile(
    r"^(?P<scheme>v2|v2\+grpc)://(?P<host>\[[^\]]+\]|[^/:]+)(?::(?P<port>\d+))?"
    r"(?:/(?P<model>[^/:]+)(?:/versions/(?P<version>[^/:]+))?)?/?$",
    re.IGNORECASE,
)
_HTTP_V2 = re.compile(
    r"^(?P<scheme>https?)://(?P<host>\[[^\]]+\]|[^/:]+)(?::(?P<port>\d+))?(?P<prefix>(?:/[^/:?#]+)*?)/v2/models/"
    r"(?P<model>[^/:]+)(?:/versions/(?P<version>[^/:]+))?(?:/infer|/ready|/config|/stats)?/?$",
    re.IGNORECASE,
)


def host_port(host: str, port: int) -> str:
    """"HOST:PORT" as URLs and gRPC addresses write it: an IPv6 address in brackets ("[::1]:8500")."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def endpoint_url(scheme: str, host: str, port: int, model: str, version: int | None = None,
                 label: str | None = None) -> str:
    """`SCHEME://HOST:PORT/MODEL[/versions/N | /labels/L]` (a version wins over a label): what parse_target reads."""
    text = f"{scheme}://{host_port(host, port)}/{model}"
    if version is not None:
        text += f"/versions/{version}"
    elif label:
        text += f"/labels/{label}"
    return text


@dataclass(frozen=True)
class Target:
    """A model folder, or a model on a TF Serving endpoint (optionally one version or label)."""

    kind: str  # "folder" | "rest" | "grpc"
    path: str = ""
    host: str = ""
    port: int = 0
    model: str = ""
    version: int | str | None = None  # a number for TF Serving; a string for V2 ("1", "v2-beta")
    label: str | None = None
    tls: bool = False  # pasted as https://
    prefix: str = ""  # the path before /v1/models or /v2/models behind a gateway ("/tfserving"), pasted as http(s)://

    @property
    def is_v2(self) -> bool:
        return self.kind in V2_KINDS

    def url(self) -> str:
        """The canonical text parse_target reads back: the folder path, rest:// / grpc:// with version/label, or the
        http(s):// form when only it can say what the target is (https, a path prefix)."""
        if self.kind == "folder":
            return self.path
        if self.kind == "rest" and (self.tls or self.prefix):
            scheme = "https" if self.tls else "http"
            text = f"{scheme}://{host_port(self.host, self.port)}{self.prefix}/v1/models/{self.model}"
            if self.version is not None:
                text += f"/versions/{self.version}"
            elif self.label:
                text += f"/labels/{self.label}"
            return text
        if self.kind == "v2" and (self.tls or self.prefix):
            return self.http_base() + v2_model_path(self.model, self.version)
        if self.is_v2:  # names quoted as in V2 URLs ("a%2Fb"); parse_target unquotes them
            from urllib.parse import quote

            return endpoint_url(self.kind, self.host, self.port, quote(self.model, safe=""),
                                None if self.version is None else quote(str(self.version), safe=""))
        return endpoint_url(self.kind, self.host, self.port, self.model, self.version, self.label)

    def http_base(self) -> str:
        """http(s)://HOST:PORT[/PREFIX] of a REST endpoint."""
        return f"{'https' if self.tls else 'http'}://{host_port(self.host, self.port)}{self.prefix}"

    def __str__(self) -> str:
        return self.url()


def v2_model_path(model: str, version: str | int | None = None) -> str:
    """/v2/models/MODEL[/versions/V], names quoted for the URL."""
    from urllib.parse import quote

    path = f"/v2/models/{quote(model, safe='')}"
    if version not in (None, ""):
        path += f"/versions/{quote(str(version), safe='')}"
    return path


def parse_target(text: str) -> Target:
    """What the user typed -> Target; ExplorerError with the accepted forms when a URL is malformed."""
    raw = (text or "").strip()
    if not raw:
        raise ExplorerError("No model given.", fix="Give a SavedModel folder or rest://HOST:PORT/MODEL.")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in V2_KINDS:
        m = _V2.match(raw)
        if not m or not m.group("model"):
            raise _malformed(raw, scheme)
        return _endpoint(m, scheme, tls=False)
    if scheme in ("http", "https") and "/v2/" in raw:
        m = _HTTP_V2.match(raw)
        if not m:
            raise _malformed(raw, "v2")
        return _endpoint(m, "v2", tls=scheme == "https", default_port=DEFAULT_PORTS[scheme])
    if scheme in ("rest", "grpc"):
        m = _ENDPOINT.match(raw)
        if not m or not m.group("model"):
            raise _malformed(raw, scheme)
        return _endpoint(m, scheme.lower(), tls=False)
    if scheme in ("http", "https"):
        m = _HTTP.match(raw)
        if not m:
            raise _malformed(raw, "rest")
        return _endpoint(m, "rest", tls=scheme == "https", default_port=DEFAULT_PORTS[scheme])
    if scheme == "file":
        raw = raw[len("file://"):]
    elif scheme:
        raise ExplorerError(f"{raw!r} is neither a folder nor an endpoint this tool knows ({scheme}://).",
                            fix="Use a folder path, rest://HOST:PORT/MODEL or grpc://HOST:PORT/MODEL (TF Serving), "
                                "or v2://HOST:PORT/MODEL or v2+grpc://HOST:PORT/MODEL (KServe V2: MLServer, KServe, "
                                "Triton).")
    return Target(kind="folder", path=str(Path(raw).expanduser()))


def open_runner(target, engine: str = "auto", version: int | None = None, *, in_engine=None, **options):
    """A Runner for a target (text or Target). Folders: engine auto (TF2, then the TF1 session loader), local or
    session; options tag_set=, allow_unsafe_ops= (see LocalRunner); `in_engine` (a core.engine.client.Engine)
    runs the model (SavedModel or .tflite) -- and a TF Serving gRPC endpoint, whose messages import TensorFlow --
    in that process instead of this one. Endpoints: engine auto or the endpoint's kind; options go to the runner."""
    if not isinstance(target, Target):
        target = parse_target(str(target))
    # Consent to run a model with dangerous ops (core.scan.require_consent) concerns folders only: a server runs
    # its models on its own machine. Accepted for any target so callers need not ask what kind it is.
    allow_unsafe_ops = options.pop("allow_unsafe_ops", False)
    if version is not None and target.kind != "folder":
        target = replace(target, version=str(version) if target.is_v2 else version, label=None)
    if target.kind == "folder":
        if engine not in FOLDER_ENGINES:
            raise ExplorerError(f"Engine {engine!r} cannot run a model folder.",
                                fix=f"Use one of {', '.join(FOLDER_ENGINES)}; rest and grpc need a server URL.")
        from .savedmodel import read_model

        if read_model(target.path, version=version).tflite is not None:  # ~1 ms; the runner reads it again
            if engine not in ("auto", "litert"):
                raise ExplorerError(f"Engine {engine!r} runs SavedModels; {target.path} is a TensorFlow Lite "
                                    "model.", fix="Use engine auto or litert.")
            if in_engine is not None:
                from .engine.client import LITE_RUNNER, EngineRunner

                return EngineRunner(in_engine, target.path, "litert", version=version, factory=LITE_RUNNER)
            from .runners.litert import LiteRunner

            return LiteRunner(target.path, version=version)
        if engine == "litert":
            raise ExplorerError(f"Engine litert runs .tflite models; {target.path} is a SavedModel.",
                                fix="Use engine auto, local or session, or convert it first (convert-compare).")
        if in_engine is not None:
            from .engine.client import EngineRunner

            return EngineRunner(in_engine, target.path, engine, version=version, allow_unsafe_ops=allow_unsafe_ops,
                                **options)
        from .runners.local import LocalRunner

        return LocalRunner(target.path, engine=engine, version=version, allow_unsafe_ops=allow_unsafe_ops, **options)
    if engine not in ("auto", target.kind):
        raise ExplorerError(f"Engine {engine!r} cannot run {target.url()}: a {target.kind} endpoint runs on the "
                            f"server.", fix=f"Use engine auto or {target.kind}, or give a model folder to run locally.")
    if target.kind == "rest":
        from .runners.rest import RestRunner

        return RestRunner(target, **options)
    if target.kind == "v2":
        from .runners.v2rest import V2RestRunner

        return V2RestRunner(target, **options)
    if target.kind == "v2+grpc":
        from .runners.v2grpc import V2GrpcRunner

        return V2GrpcRunner(target, **options)
    if "max_response_mb" in options:  # gRPC's own cap on a message is the response-size cap
        options["max_message_mb"] = options.pop("max_response_mb")
    if in_engine is not None:
        from .engine.client import EngineGrpcRunner

        return EngineGrpcRunner(in_engine, target, **options)
    from .runners.grpc import GrpcRunner

    return GrpcRunner(target, **options)


def _endpoint(m: re.Match, kind: str, tls: bool, default_port: int | None = None) -> Target:
    host = m.group("host").strip("[]")
    port = int(m.group("port")) if m.group("port") else (default_port or DEFAULT_PORTS[kind])
    if not 0 < port < 65536:
        raise ExplorerError(f"Port {port} is out of range (1-65535).", fix="Check the port in the URL.")
    prefix = m.groupdict().get("prefix") or ""
    if kind in V2_KINDS:
        from urllib.parse import unquote

        return Target(kind=kind, host=host, port=port, model=unquote(m.group("model")), tls=tls,
                      version=unquote(m.group("version")) if m.group("version") else None, prefix=prefix.rstrip("/"))
    version = int(m.group("version")) if m.group("version") else None
    return Target(kind=kind, host=host, port=port, model=m.group("model"), version=version,
                  label=m.group("label"), tls=tls, prefix=prefix.rstrip("/"))


def _malformed(raw: str, kind: str) -> ExplorerError:
    if kind in V2_KINDS:
        return ExplorerError(
            f"{raw!r} is not a KServe V2 endpoint this tool can read.",
            fix=f"Write {kind}://HOST:PORT/MODEL, optionally followed by /versions/V (e.g. "
                f"{kind}://localhost:{DEFAULT_PORTS[kind]}/iris/versions/1), or paste "
                "http(s)://HOST:PORT/v2/models/MODEL[/versions/V].")
    return ExplorerError(
        f"{raw!r} is not a {kind} endpoint this tool can read.",
        fix=f"Write {kind}://HOST:PORT/MODEL, optionally followed by /versions/N or /labels/LABEL "
            f"(e.g. {kind}://localhost:{DEFAULT_PORTS[kind]}/half_plus_two/versions/123).",
    )
