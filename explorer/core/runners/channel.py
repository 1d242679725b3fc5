"""open_channel: the gRPC channel both gRPC runners (TF Serving, KServe V2) open, with caps and TLS, said once."""
from __future__ import annotations

from pathlib import Path

from ..errors import ServingError
from ..targets import host_port


def open_channel(grpc, host: str, port: int, *, tls: bool, ca_file: str | None, server_name: str | None,
                 max_message_bytes: int, target: str):
    """A channel to host:port (`grpc` is the caller's imported module); ServingError when the CA file is unreadable."""
    options = [("grpc.max_send_message_length", max_message_bytes),
               ("grpc.max_receive_message_length", max_message_bytes)]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    address = host_port(host, port)
    if not tls:
        return grpc.insecure_channel(address, options=options)
    root = None
    if ca_file:
        try:
            root = Path(ca_file).read_bytes()
        except OSError as exc:
            raise ServingError(f"The CA certificate file {ca_file} cannot be read: {exc.strerror or exc}.", url=target,
                               fix="Give the PEM file of the server's root certificate.") from exc
    return grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=root), options=options)
