"""`signature-explorer status TARGET`: every version a TF Serving or KServe V2 endpoint knows of a model, with its
state and error."""
from __future__ import annotations

import argparse
import sys

ENDPOINT_SCHEMES = ("rest://", "grpc://", "v2://", "v2+grpc://", "http://", "https://")


def add_endpoint_arguments(parser: argparse.ArgumentParser) -> None:
    """Connection options shared by commands that talk to a server (status, inspect, predict, check, compare)."""
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds for each request to the server, all of it: connecting, sending and the whole "
                             "answer (default 30)")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="extra HTTP header / gRPC metadata, e.g. 'Authorization: Bearer TOKEN' (repeatable; "
                             "never saved)")
    parser.add_argument("--ca-file", help="PEM file of the CA that signed the server's certificate (implies TLS)")
    parser.add_argument("--tls", action="store_true", help="use https / TLS gRPC with the system's CAs")
    parser.add_argument("--max-response-mb", type=float, metavar="MB",
                        help="refuse answers larger than this (default 1024; gRPC: its message limit)")


def endpoint_options(args: argparse.Namespace) -> dict:
    """The runner keyword arguments the endpoint options name."""
    from explorer.core.errors import ExplorerError

    headers = {}
    for item in args.header or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ExplorerError(f"--header {item!r} is not 'NAME: VALUE'.", fix="e.g. --header 'Authorization: "
                                                                                "Bearer TOKEN'")
        headers[name.strip()] = value.strip()
    if not args.timeout > 0:
        raise ExplorerError(f"--timeout {args.timeout:g} is not a positive number of seconds.", fix="e.g. --timeout 5")
    options = {"timeout": args.timeout}
    if getattr(args, "max_response_mb", None) is not None:
        if not args.max_response_mb > 0:
            raise ExplorerError(f"--max-response-mb {args.max_response_mb:g} is not a positive size.",
                                fix="e.g. --max-response-mb 256")
        options["max_response_mb"] = args.max_response_mb
    if headers:
        options["headers"] = headers
    if args.ca_file:
        options["ca_file"] = args.ca_file
    if args.tls or args.ca_file:
        options["tls"] = True
    return options


def is_endpoint(text: str) -> bool:
    return text.strip().lower().startswith(ENDPOINT_SCHEMES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="rest://HOST:PORT/MODEL[/versions/N | /labels/L], grpc://..., "
                                       "v2://HOST:PORT/MODEL[/versions/V], v2+grpc://..., or a folder")
    add_endpoint_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    if not is_endpoint(args.target):
        return _folder(args)
    from explorer.core.errors import ServingError
    from explorer.core.targets import open_runner

    runner = open_runner(args.target, **endpoint_options(args))
    server = None
    try:
        rows = runner.status()
        if hasattr(runner, "server_metadata"):  # KServe V2: which server answers
            server = runner.server_metadata()
    except ServingError as exc:  # one line: what went wrong, then how to fix it
        print(f"error: {exc}" + (f" {exc.fix}" if exc.fix else ""), file=sys.stderr)
        return 1
    finally:
        runner.close()
    if args.json:
        import json

        out = {"target": runner.target, "versions": [r.to_dict() for r in rows]}
        if server is not None:
            out["server"] = server.to_dict()
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif server is not None:
        sys.stdout.write(render_v2_status(runner.target, server, rows))
    else:
        sys.stdout.write(render_status(runner.target, rows))
    return 0


def render_v2_status(target: str, server, rows) -> str:
    """A KServe V2 model: the server that answers, then each version (or the unversioned model) and its readiness."""
    lines = [target, f"  {server.title} (KServe V2)" + (f" · extensions: {', '.join(server.extensions)}"
                                                       if server.extensions else "")]
    for r in rows:
        name = f"version {r.version}" if r.version != "" else "the model (the server names no versions)"
        lines.append(f"  {name}: {'READY' if r.available else 'NOT READY'}")
    if rows and not any(r.available for r in rows):
        lines.append("  nothing is ready: requests will fail until the model loads (see the server's log)")
    return "\n".join(lines) + "\n"


def render_status(target: str, rows) -> str:
    """A table: version, state, and the load error when a version failed."""
    lines = [target]
    if not rows:
        lines.append("  (the server lists no versions of this model)")
    table = [("version", "state", "status")] + [
        (str(r.version), r.state, r.error_code + (f": {r.error_message}" if r.error_message else ""))
        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    for row in table:
        lines.append(f"  {row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}")
    available = [r.version for r in rows if r.state == "AVAILABLE"]
    if rows:
        lines.append(f"  serving {max(available)} when no version is named" if available
                     else "  no version is AVAILABLE: requests will fail until one loads")
    return "\n".join(lines) + "\n"


def _folder(args: argparse.Namespace) -> int:
    """A base path on disk: the versions TF Serving would find there (it serves the newest by default)."""
    from explorer.core.savedmodel import read_model

    info = read_model(args.target)
    rows = [{"version": v, "state": "ON DISK"} for v in info.versions]
    if args.json:
        import json

        json.dump({"target": info.path, "versions": rows, "skipped": info.skipped_versions}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    lines = [info.path]
    if not info.versions:
        lines.append("  a single SavedModel, not a TF Serving base path: TF Serving wants numbered version folders "
                     "(e.g. 1/) under --model_base_path")
    for v in info.versions:
        lines.append(f"  {v}  on disk" + ("  (TF Serving's default policy serves this one)" if v == info.versions[0]
                                          else ""))
    for name, reason in info.skipped_versions.items():
        lines.append(f"  {name}/  skipped: {reason}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
