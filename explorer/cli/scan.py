"""`signature-explorer scan PATH`: the dangerous ops a model holds and where they would run, without TensorFlow.

Exit 0 when clean, 1 with findings, 2 when the model cannot be read.
--json: {"path", "findings": [{"op", "severity", "where", "why"}], "ops_seen": N}
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="SavedModel folder, TF Serving base path, or saved_model.pb(txt)")
    parser.add_argument("--version", type=int, help="version of a base path (default: the newest)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from explorer.cli.status import is_endpoint
    from explorer.core.errors import ExplorerError
    from explorer.core.scan import scan_path

    if is_endpoint(args.path):
        raise ExplorerError(f"{args.path} is a server: scan reads model folders (a server runs its models on its "
                            "own machine).", fix="Scan the folder the server loads its model from.")
    report = scan_path(args.path, version=args.version)
    if args.json:
        import json

        json.dump(report.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(report))
    return 1 if report.findings else 0


def render(report) -> str:
    """The findings as text: a summary line, then each finding (severity, op, where) with why under it."""
    if report.clean:
        return (f"{report.path}: no dangerous ops ({report.ops_seen} ops in every tag-set, function and load "
                "step scanned).\n")
    high = len(report.high)
    lines = [f"{report.path}: {len(report.findings)} finding{'s' * (len(report.findings) != 1)}"
             f" ({high} high) in {report.ops_seen} ops"]
    width = max(len(f.op) for f in report.findings)
    for f in report.findings:
        lines.append(f"  {f.severity:<6}  {f.op.ljust(width)}  {f.where}")
        lines.append(f"  {'':<6}  {'':<{width}}  {f.why}")
    if high:
        lines.append("predict, check and compare refuse to load it without --allow-unsafe-ops; "
                     "the app asks first.")
    return "\n".join(lines) + "\n"


def warning_lines(report) -> list[str]:
    """One "warning: ..." line per finding, for inspect."""
    return [f"warning: {f.op} ({f.severity}) {f.where}: {f.why}" for f in report.findings]
