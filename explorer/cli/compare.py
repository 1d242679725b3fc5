"""`signature-explorer compare A B`: the same request to two targets; signatures and outputs side by side.

Targets are model folders, version folders, TF Serving base paths (with --version-a/--version-b) or rest:// and
grpc:// endpoints, in any mix. Exit 0 when every output agrees within --rtol/--atol, 1 when they differ (an output
or the signature), 2 on an error (bad input, a model that cannot load, a server that refuses).
Without --input/--example/--inputs-file a seeded random request is built from A's signature, and said so.
Besides that input, --probes N seeded inputs spread like it go to both sides (core.agreement): equal on one input
is not agreement, so the verdict is "equal on your input, differs on k of N probes" when the probes disagree.
"""
from __future__ import annotations

import argparse
import json
import sys

from explorer.cli import count

DEFAULT_RANDOM_BATCH = 4  # several rows, so argmax/top-k agreement means something
DEFAULT_PROBES = 8  # core.agreement.DEFAULT_PROBES (a test keeps them equal): importing it here pulls numpy into --help


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target_a", metavar="TARGET_A", help="folder, base path, rest://HOST:PORT/MODEL or grpc://...")
    parser.add_argument("target_b", metavar="TARGET_B", help="the other side, in any of the same forms")
    parser.add_argument("--signature", default="", help="signature key (default: A's serving_default, or its only one)")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                        help="a value for input KEY, in one of the forms listed below; repeatable")
    parser.add_argument("--example", "-e", action="append", default=[], metavar="KEY=JSON",
                        help='tf.Example features for a string input: KEY=\'[{"x": 2.0}]\'; repeatable')
    parser.add_argument("--inputs-file", metavar="F.npz",
                        help="arrays named by input key (e.g. a run exported from the app); sent as they are")
    parser.add_argument("--batch", type=count(1), help=f"batch size for -1 dimensions (random request: "
                                                  f"{DEFAULT_RANDOM_BATCH})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random request and the probes (default 0)")
    parser.add_argument("--probes", type=count(0), default=DEFAULT_PROBES, metavar="N",
                        help=f"seeded inputs at your input's scale sent besides it (default {DEFAULT_PROBES}; "
                             "0 for only yours): one input cannot show that two models agree")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance (default 1e-6)")
    parser.add_argument("--version-a", type=int, help="version of A when it is a base path or endpoint")
    parser.add_argument("--version-b", type=int, help="version of B when it is a base path or endpoint")
    parser.add_argument("--engine", default="auto", choices=("auto", "local", "session", "litert"),
                        help="how model folders run (auto: TensorFlow 2, then the TF1 session loader)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: both targets, the signature diff, inputs and per-output statistics")
    parser.add_argument("--allow-unsafe-ops", action="store_true",
                        help="load a model folder even though `scan` finds ops that would touch files or run Python")
    from explorer.cli.predict import add_input_limit_argument
    from explorer.cli.status import add_endpoint_arguments  # rest:// and grpc:// targets: timeout, headers, TLS

    add_input_limit_argument(parser)
    add_endpoint_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from explorer.core.errors import ExplorerError

    try:
        return _compare(args)
    except ExplorerError as exc:
        # A refusing server is an error here, not a difference: exit 1 must mean "the outputs differ".
        if args.json:
            _dump({"error": exc.message, "fix": exc.fix, "input": getattr(exc, "key", None)})
        else:
            print(f"error: {exc.message}" + (f" Fix: {exc.fix}" if exc.fix else ""), file=sys.stderr)
        return 2


def _compare(args: argparse.Namespace) -> int:
    from explorer.core import agreement, compare, tensors, validate
    from explorer.core.errors import ExplorerError, InputProblem
    from explorer.core.request import Request
    from explorer.core.signature import default_key, missing_signature
    from explorer.core.sources import cli_examples, parse_cli_sources
    from explorer.cli.predict import refuse_unsafe
    from explorer.core.targets import open_runner, parse_target

    from explorer.cli.predict import apply_input_limit
    from explorer.cli.status import endpoint_options

    apply_input_limit(args)
    if args.rtol < 0 or args.atol < 0:
        raise ExplorerError("Tolerances cannot be negative.", fix="Give --rtol and --atol of 0 or more.")
    sources = parse_cli_sources(args.input, args.example)
    arrays_from_file = _read_npz(args.inputs_file) if args.inputs_file else {}

    runners = []
    try:
        for text, version in ((args.target_a, args.version_a), (args.target_b, args.version_b)):
            target = parse_target(text)
            runners.append(open_runner(target, engine=args.engine if target.kind == "folder" else "auto",
                                       version=version, allow_unsafe_ops=args.allow_unsafe_ops,
                                       **(endpoint_options(args) if target.kind != "folder" else {})))
            refuse_unsafe(runners[-1])
        runner_a, runner_b = runners
        sigs_a, sigs_b = runner_a.signatures(), runner_b.signatures()
        sig_diffs = compare.compare_signatures(sigs_a, sigs_b)
        key = args.signature or default_key(sigs_a) or ""
        if key not in sigs_a:
            raise missing_signature(args.target_a, key, sigs_a)
        signature = sigs_a[key]
        sources = parse_cli_sources(args.input, args.example, keys=signature.inputs)  # keys holding '='
        report = {"a": _side(runner_a, args.target_a), "b": _side(runner_b, args.target_b), "signature": key,
                  "signatures": [d.to_dict() for d in sig_diffs], "notes": [], "generated_inputs": False,
                  "rtol": args.rtol, "atol": args.atol}
        this_diff = next((d for d in sig_diffs if d.key == key), None)
        if key not in sigs_b:
            report.update(equal=False, outputs={}, inputs={})
            report["notes"].append(f"B has no signature '{key}': nothing to run there.")
            return _finish(args, report, this_diff, None)
        no_common = agreement.common_request_problem(signature, sigs_b[key])
        if no_common:  # a difference, not an error: what differs is the answer
            report.update(equal=False, outputs={}, inputs={}, no_common_request=no_common)
            report["notes"].append(f"No request fits both sides: {no_common}. Nothing was run.")
            return _finish(args, report, this_diff, None)
        signature = agreement.common_signature(signature, sigs_b[key])  # A's unknown shapes take B's

        notes: list[str] = []
        if not sources and not arrays_from_file:
            sources = compare.random_sources(signature, args.seed,
                                             args.batch if args.batch is not None else DEFAULT_RANDOM_BATCH)
            report["generated_inputs"] = True
            notes.append(f"No inputs given: a seeded random request (uniform in [0, 1), seed {args.seed}) was built "
                         f"from A's signature.")
        batch = args.batch if args.batch is not None else (DEFAULT_RANDOM_BATCH if report["generated_inputs"]
                                                           else None)
        arrays, build_notes = tensors.build_inputs(signature, sources, batch=batch) if sources else ({}, [])
        notes += build_notes
        for name, array in arrays_from_file.items():
            arrays.setdefault(name, array)
        where = "local" if parse_target(args.target_a).kind == "folder" else "serving"
        problems = validate.check(arrays, signature, target=where)
        first, more = validate.lead_error(problems)
        if first is not None:
            raise InputProblem(first.input, f"The inputs do not fit A's signature '{key}': {first.message}"
                               + (f" (and {more} more)" if more else ""), fix=first.fix)
        examples = tuple(cli_examples(sources, signature))
        method = signature.request_method
        request = Request(key, arrays, method=method, examples=examples)
        report["inputs"] = {k: {"dtype": _dtype(v), "shape": list(v.shape),
                                "source": sources[k].describe() if k in sources else f"@{args.inputs_file}:{k}"}
                            for k, v in arrays.items()}
        pa = _predict(runner_a, request, "A")
        pb = _predict(runner_b, request, "B")
        for side, prediction in (("a", pa), ("b", pb)):
            report[side].update(engine=prediction.engine, version=prediction.version,
                                timing_ms={k: round(v, 3) for k, v in prediction.timing_ms.items()})
            notes += [f"{side.upper()}: {n}" for n in prediction.notes]
        example_sources = [k for k, s in sources.items() if s.kind == "examples"]
        features = examples
        if not features and len(example_sources) == 1:  # a predict signature's tf.Examples: drawn all the same
            from explorer.core.examples import parse_examples

            features = tuple(parse_examples(sources[example_sources[0]].text))
        probes = agreement.request_probes(arrays, features, max(args.probes, 0), args.seed,
                                          example_sources[0] if len(example_sources) == 1 else None)
        # REST classify/regress send the Examples as JSON; other signatures only the serialized strings.
        probes = [(p, exs if examples else ()) for p, exs in probes]
        if args.probes > 0 and not probes:
            notes.append("No probes: every input is text, which random values cannot stand in for.")
        probes_a = [_probe(runner_a, key, p, method, exs) for p, exs in probes]
        probes_b = [_probe(runner_b, key, p, method, exs) for p, exs in probes]
        verdict = agreement.agreement(pa.outputs, pb.outputs, probes_a, probes_b,
                                      inputs=None if report["generated_inputs"] else arrays,
                                      rtol=args.rtol, atol=args.atol)
        diff = verdict.yours
        report["notes"] += notes
        report.update(equal=verdict.equal, outputs={k: d.to_dict() for k, d in diff.outputs.items()},
                      agreement=verdict.to_dict())
        return _finish(args, report, this_diff, diff, verdict)
    finally:
        for runner in runners:
            runner.close()


def _finish(args, report: dict, sig_diff, diff, verdict=None) -> int:
    breaking = sig_diff is not None and sig_diff.breaking
    report["signature_breaking"] = breaking
    equal = bool(report["equal"])
    if args.json:
        _dump(report)
    else:
        if verdict is not None and verdict.warning:
            print(f"warning: {verdict.warning} Fix: give a real input with --input KEY=@file.npy (or KEY=JSON).",
                  file=sys.stderr)
        sys.stdout.write(render(report, sig_diff, diff, verdict))
    return 0 if equal else 1


def render(report: dict, sig_diff, diff, verdict=None) -> str:
    """The comparison as text: both targets, the signature's differences, inputs, a table of outputs, a verdict."""
    lines = []
    for side in ("a", "b"):
        s = report[side]
        version = f" (version {s['version']})" if s.get("version") is not None else ""
        timing = s.get("timing_ms", {})
        spent = f" · {timing['predict']:.1f} ms" if "predict" in timing else ""
        lines.append(f"{side.upper()}: {s['target']}{version} · {s.get('engine', '')}{spent}")
    key = report["signature"]
    if sig_diff is None or sig_diff.status == "same":
        lines.append(f"signature {key}: the same on both sides")
    elif sig_diff.status in ("only_a", "only_b"):
        lines.append(f"signature {key}: only in {'A' if sig_diff.status == 'only_a' else 'B'}")
    else:
        names_only = all(c.what == "name" for c in sig_diff.changes)
        lines.append(f"signature {key}: differs" + (" (breaking)" if sig_diff.breaking else
                                                     " (tensor names only)" if names_only else " (not breaking)"))
        lines.extend(f"  {c.text()}" for c in sig_diff.changes)
    for name, info in report.get("inputs", {}).items():
        shape = "(" + ", ".join(map(str, info["shape"])) + ("," if len(info["shape"]) == 1 else "") + ")"
        lines.append(f"input {name}  {info['dtype']}  {shape}  {info['source']}")
    if diff is not None:
        header = ("output", "status", "shape A -> B", "max |diff|", "max rel", "beyond tol", "argmax", "NaN/Inf")
        rows = [header]
        for name, d in diff.outputs.items():
            shape = _shape_text(d.shape_a) + (" -> " + _shape_text(d.shape_b) if d.shape_b != d.shape_a else "")
            rows.append((name, d.status, shape, _num(d.max_abs), _num(d.max_rel), f"{d.mismatched}/{d.size}",
                         "" if d.argmax_agree is None else f"{d.argmax_agree:.0%}",
                         f"{d.nonfinite_a}/{d.nonfinite_b}" + (f" ({d.nonfinite_differ} differ)"
                                                               if d.nonfinite_differ else "")))
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
        lines.extend("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    lines.extend(f"note: {n}" for n in report.get("notes", []))
    tol = f"rtol={report['rtol']:g} atol={report['atol']:g}"
    if verdict is not None and verdict.probe_count:
        differing = verdict.probe_differing_outputs
        lines.append(f"probes: {verdict.probe_count} seeded inputs across your input's range, "
                     + (f"{verdict.differing_probes} differ ({', '.join(differing) or 'a side failed'})"
                        if verdict.differing_probes else "all agree"))
    if report["equal"]:
        lines.append(f"EQUAL: every output agrees within {tol}"
                     + (f", on your input and on all {verdict.probe_count} probes" if verdict and verdict.probe_count
                        else ""))
    elif report.get("no_common_request"):
        lines.append("DIFFERENT: the signatures differ; no request fits both")
    elif diff is None:
        lines.append("DIFFERENT: the signature is missing on one side")
    elif verdict is not None:
        which = diff.differing or verdict.probe_differing_outputs
        lines.append(f"DIFFERENT: {verdict.verdict()}" + (f" ({', '.join(which)})" if which else "")
                     + f" beyond {tol}")
    else:
        lines.append(f"DIFFERENT: {', '.join(diff.differing)} beyond {tol}")
    return "\n".join(lines) + "\n"


def _side(runner, text: str) -> dict:
    info = getattr(runner, "info", None)
    return {"target": text, "engine": getattr(runner, "engine", ""),
            "version": getattr(info, "version", None) if info is not None else None}


def _predict(runner, request, side: str):
    from explorer.core.errors import ExplorerError

    try:
        return runner.predict(request)
    except ExplorerError as exc:
        exc.message = f"{side} ({runner.target}) failed: {exc.message}"
        raise


def _probe(runner, key: str, inputs: dict, method: str, examples: tuple):
    """One probe's outputs, or None when this side refuses it (counted as a difference, never an error)."""
    from explorer.core.errors import ExplorerError
    from explorer.core.request import Request

    try:
        return runner.predict(Request(key, inputs, method=method, examples=examples)).outputs
    except ExplorerError:
        return None


def _read_npz(path: str) -> dict:
    import numpy as np

    from explorer.core.errors import InputProblem

    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("not an .npz archive")
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise InputProblem(None, f"--inputs-file {path} cannot be read as an .npz of arrays ({exc}).",
                           fix="Save one with numpy.savez(path, x=array, ...), one array per input key.") from exc


def _dtype(array) -> str:
    return "string" if array.dtype.kind in "OSU" else array.dtype.name


def _shape_text(shape) -> str:
    if shape is None:
        return "-"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _num(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _dump(data: dict) -> None:
    from explorer.cli.json_output import dump

    dump(data)
