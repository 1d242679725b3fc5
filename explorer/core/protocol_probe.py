"""Which protocol a server really speaks, asked when a request got "no such path" or "method not found".

A rest:// or grpc:// (TF Serving) target that reaches a KServe V2 server, or a v2:// / v2+grpc:// target that reaches
TF Serving, fails with a 404 or UNIMPLEMENTED that reads like a wrong model name. One cheap probe of the other protocol
(GET /v2 or ServerMetadata; GET /v1/models/M or GetModelStatus) turns it into "this is a KServe V2 server (MLServer
1.7.1); use v2://...". Probes never raise: when they learn nothing the original error stands.
"""
from __future__ import annotations

from dataclasses import replace

from .errors import ServingError

PROBE_TIMEOUT_S = 3.0


def _v2_error(target, server, protocol: str) -> ServingError:
    kind = "v2+grpc" if protocol == "grpc" else "v2"
    suggested = replace(target, kind=kind, label=None,
                        version=None if target.version is None else str(target.version)).url()
    return ServingError(f"This is a KServe V2 server ({server.title}), not TF Serving: it does not speak TF "
                        f"Serving's {'gRPC' if protocol == 'grpc' else 'REST'} API.", url=target.url(),
                        fix=f"Use {suggested}", details=f"{server.name} {server.version} "
                                                       f"extensions: {', '.join(server.extensions)}")


def _tfserving_error(target, protocol: str) -> ServingError:
    kind = "grpc" if protocol == "grpc" else "rest"
    version = target.version
    version = int(version) if isinstance(version, str) and version.isdigit() else None
    suggested = replace(target, kind=kind, version=version, prefix="" if kind == "grpc" else target.prefix).url()
    return ServingError(f"This is TF Serving, not a KServe V2 server: it does not speak the V2 "
                        f"{'gRPC' if protocol == 'grpc' else 'REST'} API.", url=target.url(), fix=f"Use {suggested}")


def wrong_protocol_over_rest(connection, headers: dict, target, expected: str) -> ServingError | None:
    """After a 404 on `expected` ("rest" = TF Serving or "v2"): the other protocol's error if the server speaks it."""
    from . import v2protocol

    try:
        if expected == "v2":
            status, body = connection.exchange("GET", f"/v1/models/{_quoted(target.model)}", None, headers)
            text = body.decode("utf-8", "replace")
            if status == 200 and '"model_version_status"' in text or \
                    status == 404 and ("Servable not found" in text or "Could not find any versions" in text):
                return _tfserving_error(target, "rest")
            return None
        status, body = connection.exchange("GET", "/v2", None, headers)
        if status != 200:
            return None
        server = v2protocol.decode_server_metadata(body)
        return _v2_error(target, server, "rest") if server.name or server.extensions else None
    except ServingError:
        return None


def model_status_request(model: str) -> bytes:
    """TF Serving's GetModelStatusRequest{model_spec{name: model}} as protobuf bytes (field 1 in field 1)."""
    def length_delimited(field: int, payload: bytes) -> bytes:
        size, prefix = len(payload), bytearray([field << 3 | 2])
        while size > 0x7F:
            prefix.append(size & 0x7F | 0x80)
            size >>= 7
        prefix.append(size)
        return bytes(prefix) + payload

    return length_delimited(1, length_delimited(1, model.encode()) if model else b"")


def wrong_protocol_over_grpc(channel, metadata, target, expected: str) -> ServingError | None:
    """After UNIMPLEMENTED on `expected` ("grpc" = TF Serving or "v2"): the other protocol's error if spoken."""
    try:
        import grpc
    except ImportError:
        return None
    try:
        if expected == "v2":
            # TF Serving's official messages import all of TensorFlow (seconds, and never in the window's process),
            # and only the status code of the answer matters: the request is encoded here and the answer not read.
            call = channel.unary_unary("/tensorflow.serving.ModelService/GetModelStatus")
            try:
                call(model_status_request(target.model), timeout=PROBE_TIMEOUT_S, metadata=metadata)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    return None
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    return None
            return _tfserving_error(target, "grpc")
        from .runners.v2grpc import protos

        pb = protos().service
        call = channel.unary_unary("/inference.GRPCInferenceService/ServerMetadata",
                                   request_serializer=pb.ServerMetadataRequest.SerializeToString,
                                   response_deserializer=pb.ServerMetadataResponse.FromString)
        response = call(pb.ServerMetadataRequest(), timeout=PROBE_TIMEOUT_S, metadata=metadata)
        from .v2protocol import ServerInfo

        return _v2_error(target, ServerInfo(response.name, response.version, tuple(response.extensions)), "grpc")
    except grpc.RpcError:
        return None
    except (ImportError, ValueError, AttributeError):
        return None


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def detect_server(target, *, tls: bool = False, ca_file: str | None = None, headers: dict | None = None,
                  timeout: float = PROBE_TIMEOUT_S, **_ignored) -> tuple[str, str]:
    """(target kind, who answers) at a target's host and port over its transport (HTTP for rest/v2, gRPC for
    grpc/v2+grpc): ("v2", "MLServer 1.7.1"), ("rest", "TF Serving")...; ServingError when neither protocol answers."""
    from . import v2protocol
    from .targets import Target, host_port, parse_target

    if not isinstance(target, Target):
        target = parse_target(str(target))
    tls = tls or target.tls or bool(ca_file)
    headers = dict(headers or {})
    where = host_port(target.host, target.port)
    if target.kind in ("rest", "v2"):
        from .http import HttpConnection

        connection = HttpConnection(target.host, target.port, tls=tls, ca_file=ca_file, prefix=target.prefix,
                                    timeout=timeout)
        try:
            status, body = connection.exchange("GET", "/v2", None, headers)
            if status == 200:
                try:
                    server = v2protocol.decode_server_metadata(body)
                except ServingError:
                    server = None
                if server is not None and (server.name or server.extensions):
                    return "v2", f"{server.title} (KServe V2)"
            status, body = connection.exchange("GET", f"/v1/models/{_quoted(target.model or 'x')}", None, headers)
            text = body.decode("utf-8", "replace")
            if '"model_version_status"' in text or "Servable not found" in text or \
                    "Could not find any versions" in text:
                return "rest", "TF Serving"
        finally:
            connection.close()
        raise ServingError(f"Neither TF Serving nor a KServe V2 server answers over HTTP at {where}.",
                           url=target.url(), fix="Check the host and port (TF Serving REST: 8501; MLServer and "
                                                 "KServe: 8080; Triton: 8000), or try the gRPC port.")
    from .runners.v2grpc import protos

    grpc = protos().grpc
    address = where
    if tls:
        root = open(ca_file, "rb").read() if ca_file else None
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(root))
    else:
        channel = grpc.insecure_channel(address)
    metadata = tuple((k.lower(), v) for k, v in headers.items()) or None
    try:
        pb = protos().service
        call = channel.unary_unary("/inference.GRPCInferenceService/ServerMetadata",
                                   request_serializer=pb.ServerMetadataRequest.SerializeToString,
                                   response_deserializer=pb.ServerMetadataResponse.FromString)
        try:
            response = call(pb.ServerMetadataRequest(), timeout=timeout, metadata=metadata)
            from .v2protocol import ServerInfo

            return "v2+grpc", f"{ServerInfo(response.name, response.version).title} (KServe V2)"
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                from . import serving_errors

                exp = serving_errors.explain(exc.details() or str(exc), exc.code())
                raise ServingError(f"Nothing answers gRPC at {where}: {exp.cause}", url=target.url(),
                                   fix=exp.fix) from None
        found = wrong_protocol_over_grpc(channel, metadata, replace(target, kind="v2+grpc"), expected="v2")
        if found is not None:
            return "grpc", "TF Serving"
    finally:
        channel.close()
    raise ServingError(f"Neither TF Serving nor a KServe V2 server answers over gRPC at {where}.",
                       url=target.url(), fix="Check the host and port (TF Serving gRPC: 8500; MLServer and KServe: "
                                             "8081; Triton: 8001).")
