"""`signature-explorer check TARGET`: probe a model folder or a server for identical outputs and name the cause.

Exit 0 whatever the verdict (it is data, read it from the output or --json); exit 2 when the check could not run.
--json: {"signature", "verdict": "identical" | "insensitive" | "stateful" | "ok",
         "outputs": {KEY: {"spread", "identical", "insensitive_to", ...}}, "causes": [{"cause", "evidence", "fix", ...}]}
"""
from __future__ import annotations

import argparse
import json
import sys

from explorer.cli import count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="SavedModel folder, TF Serving base path, or rest://HOST:PORT/MODEL, grpc://HOST:PORT/MODEL")
    parser.add_argument("--signature", default="", help="signature key (default: serving_default, or the only one)")
    parser.add_argument("--probes", type=count(1), default=64, metavar="N",
                        help="number of probe inputs (default 64; at least 12)")
    parser.add_argument("--compare-local", metavar="FOLDER",
                        help="for a server TARGET: send the same probes to this folder's versions, to name a stale, "
                             "pinned or other version, or a cache")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                        help="your own input, probed around (forms listed below): tells whether you send raw "
                             "0..255 values; repeatable")
    parser.add_argument("--example", "-e", action="append", default=[], metavar="KEY=JSON",
                        help='tf.Example features for a string input, used as the template for probes: '
                             'KEY=\'[{"x": 2.0}]\'')
    parser.add_argument("--version", type=int, help="version of a base path or endpoint (default: the newest)")
    parser.add_argument("--engine", default="auto", choices=("auto", "local", "session", "litert"),
                        help="for a folder: auto (TF2, then the TF1 session loader), local or session")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random probes (default 0)")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("--allow-unsafe-ops", action="store_true",
                        help="load a model folder even though `scan` finds ops that would touch files or run Python")
    from explorer.cli.predict import add_input_limit_argument
    from explorer.cli.status import add_endpoint_arguments  # rest:// and grpc:// targets: timeout, headers, TLS

    add_input_limit_argument(parser)
    add_endpoint_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from explorer.core.errors import ExplorerError

    try:
        diagnosis = _check(args)
    except ExplorerError as exc:
        # Every failure is exit 2 here, a refusing server too: exit 1 would read as a verdict.
        if args.json:
            _dump({"error": exc.message, "fix": exc.fix})
        else:
            print(f"error: {exc.message}" + (f" Fix: {exc.fix}" if exc.fix else ""), file=sys.stderr)
        return 2
    if args.json:
        _dump(diagnosis.to_dict())
    else:
        sys.stdout.write(render(diagnosis))
    return 0


def _check(args: argparse.Namespace):
    from explorer.core import tensors
    from explorer.core.diagnose import diagnose
    from explorer.core.errors import InputProblem
    from explorer.core.examples import parse_examples
    from explorer.core.sources import parse_cli_example, parse_cli_input
    from explorer.core.targets import open_runner, parse_target
    from explorer.core.signature import default_key

    from functools import partial

    from explorer.cli.predict import apply_input_limit, refuse_unsafe
    from explorer.cli.status import endpoint_options

    apply_input_limit(args)
    target = parse_target(args.target)
    runner = open_runner(target, engine=args.engine if target.kind == "folder" else "auto", version=args.version,
                         allow_unsafe_ops=args.allow_unsafe_ops,
                         **(endpoint_options(args) if target.kind != "folder" else {}))
    try:
        refuse_unsafe(runner)
        current, examples = None, None
        if args.input or args.example:
            signatures = runner.signatures()
            key = args.signature or default_key(signatures)
            signature = signatures.get(key)
            keys = signature.inputs if signature is not None else ()  # a key may hold '='
            sources = dict(parse_cli_input(text, keys) for text in args.input)
            for text in args.example:
                name, source = parse_cli_example(text)
                examples = parse_examples(source.text, name)
            if signature is not None and sources:
                unknown = [k for k in sources if k and k not in signature.inputs]
                if unknown:
                    raise InputProblem(unknown[0], f"Signature '{key}' has no input '{unknown[0]}'; it has: "
                                       f"{', '.join(signature.inputs) or 'none'}.", fix="Use one of those keys.")
                current, _ = tensors.build_inputs(signature, sources)
        return diagnose(runner, args.signature or None, probes=args.probes, current=current, examples=examples,
                        compare_local=args.compare_local, seed=args.seed,
                        open_local=partial(open_runner, allow_unsafe_ops=args.allow_unsafe_ops))
    finally:
        runner.close()


_MARK = {"error": "✗", "warning": "!"}
_HEAD = {"identical": "IDENTICAL", "insensitive": "INSENSITIVE", "stateful": "STATEFUL", "ok": "OK"}


def render(d) -> str:
    """The verdict as text: a header, per-output spread, then each cause with evidence and fix."""
    lines = [f"check {d.signature} of {d.target}",
             f"  {d.engine} engine · {len(d.probes)} probes in {d.calls} call{'s' if d.calls != 1 else ''} "
             f"({d.mode}) · {d.timing_ms.get('total', 0) - d.timing_ms.get('load', 0):.0f} ms"
             + (f" after {d.timing_ms['load']:.0f} ms loading" if d.timing_ms.get("load") else ""),
             "", f"verdict: {_HEAD.get(d.verdict, d.verdict)} — {d.summary}"]
    if d.outputs:  # none when every output was left out of the analysis (the notes say why)
        lines += ["", "outputs"]
    width = max((len(k) for k in d.outputs), default=0)
    for key, s in d.outputs.items():
        if not s.numeric:
            moved = f" · follows {', '.join(s.moved_by)}" if s.moved_by and not s.identical else ""
            lines.append(f"  {key.ljust(width)}  (not numeric) {'same for every probe' if s.identical else 'varies'}"
                         + moved)
            continue
        facts = [f"spread {s.spread:.3g}", "identical" if s.identical else "varies"]
        if s.insensitive_to:
            facts.append("ignores " + ", ".join(s.insensitive_to))
        if s.sensitivity:
            facts.append("sensitivity " + ", ".join(f"{k} {v:.3g}" for k, v in s.sensitivity.items()))
        if s.saturation and s.saturated:
            facts.append(f"{s.saturated:.0%} {s.saturation} pinned")
        if s.argmax_constant:
            facts.append(f"always class {s.argmax}")
        if s.nan or s.inf:
            facts.append(f"{s.nan} NaN, {s.inf} Inf")
        lines.append(f"  {key.ljust(width)}  " + " · ".join(facts))
    if d.causes:
        lines += ["", "likely causes"]
        for c in d.causes:
            lines.append(f"  {_MARK.get(c.severity, '-')} {c.title}" + (" (warning)" if c.severity == "warning" else ""))
            lines.append(f"      evidence: {c.evidence}")
            lines.append(f"      fix: {c.fix}")
    elif d.verdict == "ok":
        lines += ["", "  Nothing suspicious: every output follows the inputs."]
    if d.compared is not None:
        agree = ", ".join(f"{'folder' if v == 'None' else 'version ' + v}: {'same' if ok else 'different'}"
                          for v, ok in d.compared.get("outputs_agree", {}).items())
        lines += ["", f"compared with {d.compared['folder']}: {agree or 'nothing comparable'}"]
    for note in d.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def _dump(obj) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")
