"""`signature-explorer predict PATH`: build inputs, check them against the signature, run, print the outputs.

Exit 0 with outputs; exit 2 when the inputs have problems (found before anything runs) or TensorFlow fails;
exit 1 when a server refuses. With --json: Prediction.to_dict(), or {"problems": [...]}, or {"error": ...}.
"""
from __future__ import annotations

import argparse
import json
import sys

from explorer.cli import count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="SavedModel folder or TF Serving base path (or rest:// / grpc:// endpoint)")
    parser.add_argument("--version", type=int, help="version of a base path (default: the newest)")
    parser.add_argument("--signature", default="", help="signature key (default: serving_default, or the only one)")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                        help="a value for input KEY, in one of the forms listed below; repeatable")
    parser.add_argument("--example", "-e", action="append", default=[], metavar="KEY=JSON",
                        help='tf.Example features for a string input: KEY=\'[{"x": 2.0}]\'; repeatable')
    parser.add_argument("--batch", type=count(1), help="batch size for -1 dimensions of fills and broadcasts")
    parser.add_argument("--engine", default="auto", choices=("auto", "local", "session", "litert"),
                        help="auto: TensorFlow 2, then the TF1 session loader (as TF Serving) if TF2 cannot load; "
                             "local: tf.saved_model.load only; session: the TF1 loader only; litert: a .tflite (auto "
                             "picks it for one)")
    parser.add_argument("--tag-set", help="comma-separated tags of a folder, e.g. serve,gpu (default: serve)")
    parser.add_argument("--json", action="store_true", help="print JSON: outputs with dtype, shape and values")
    parser.add_argument("--raw", action="store_true",
                        help="also print the raw integers of quantised .tflite outputs (--json always has them)")
    parser.add_argument("--allow-unsafe-ops", action="store_true",
                        help="load a model folder even though `scan` finds ops that would touch files or run Python")
    parser.add_argument("--full", action="store_true",
                        help="print every value of large outputs (default: a summary with shape and statistics; "
                             "--json is always complete)")
    add_input_limit_argument(parser)
    from explorer.cli.status import add_endpoint_arguments  # rest:// and grpc:// targets: timeout, headers, TLS

    add_endpoint_arguments(parser)


def add_input_limit_argument(parser: argparse.ArgumentParser) -> None:
    """--max-input-mb: the largest input built (default: 1/64 of available memory, see core/limits.py)."""
    parser.add_argument("--max-input-mb", type=float, metavar="MB",
                        help="refuse inputs larger than this (default: 1/64 of available memory, at least 64 MB)")


def apply_input_limit(args: argparse.Namespace) -> None:
    from explorer.core import limits
    from explorer.core.errors import ExplorerError

    mb = getattr(args, "max_input_mb", None)
    if mb is not None:
        if not mb > 0:
            raise ExplorerError(f"--max-input-mb {mb:g} is not a positive size.", fix="Give a size in MB, e.g. 512.")
        limits.set_max_input_mb(mb)


def run(args: argparse.Namespace) -> int:
    from explorer.core.errors import ExplorerError, ServingError

    try:
        return _predict(args)
    except ExplorerError as exc:
        code = 1 if isinstance(exc, ServingError) else 2
        if args.json:
            _dump({"error": exc.message, "fix": exc.fix, "input": getattr(exc, "key", None)})
        else:
            print(f"error: {exc.message}" + (f" Fix: {exc.fix}" if exc.fix else ""), file=sys.stderr)
        return code


def _predict(args: argparse.Namespace) -> int:
    from explorer.cli import problem_line
    from explorer.core import tensors, validate
    from explorer.core.errors import RunError
    from explorer.core.request import Request
    from explorer.core.signature import missing_signature
    from explorer.core.sources import cli_examples, parse_cli_sources
    from explorer.core.targets import open_runner, parse_target

    from explorer.cli.status import endpoint_options

    apply_input_limit(args)
    sources = parse_cli_sources(args.input, args.example)

    target = parse_target(args.path)
    options = {"tag_set": args.tag_set} if target.kind == "folder" and args.tag_set else {}
    if target.kind != "folder":
        options = endpoint_options(args)
    runner = open_runner(target, engine=args.engine if target.kind == "folder" else "auto",
                         version=args.version, allow_unsafe_ops=args.allow_unsafe_ops, **options)
    try:
        refuse_unsafe(runner)
        signatures = runner.signatures()
        key = args.signature or _default_key(signatures)
        if key not in signatures:
            raise missing_signature(args.path, key, signatures)
        signature = signatures[key]
        sources = parse_cli_sources(args.input, args.example, keys=signature.inputs)  # keys holding '='
        notes = []
        if not sources and not signature.defaults and signature.inputs:
            from explorer.core.defaults import default_note, default_sources

            # The window's form starts from the same default; said, so nobody mistakes it for their data.
            sources = default_sources(signature, args.batch or 1)
            notes.append(default_note(signature, sources))
        arrays, built_notes = tensors.build_inputs(signature, sources, batch=args.batch)
        notes += built_notes
        problems = validate.check(arrays, signature, target="local" if target.kind == "folder" else "serving")
        errors = [p for p in problems if p.severity == "error"]
        # The runner notes the defaults it fills in; validate's "default_used" would say it twice.
        # (and the LiteRT runner warns of clipped quantised inputs itself)
        warnings = [p for p in problems if p.severity != "error" and p.kind not in ("default_used", "quantization_clip")]
        if errors:
            if args.json:
                _dump({"signature": key, "problems": [p.to_dict() for p in problems]})
            else:  # one line: the error that explains most, and how many more --json would list
                lead, more = validate.lead_error(problems)
                print(problem_line(lead) + (f" ({more} more problem{'s' if more > 1 else ''}: --json lists them)"
                                            if more else ""), file=sys.stderr)
            return 2

        examples = tuple(cli_examples(sources, signature))
        method = signature.request_method
        prediction = runner.predict(Request(key, arrays, method=method, examples=examples))
    finally:
        runner.close()

    notes = list(notes) + list(prediction.notes)
    if args.json:
        out = prediction.to_dict()
        out["notes"] = notes
        out["warnings"] = [p.to_dict() for p in warnings]
        _dump(out)
    else:
        # A warning reads the same whether the run then succeeds or fails: the line an error-stopped run prints.
        for p in warnings:
            print(problem_line(p), file=sys.stderr)
        sys.stdout.write(render(prediction, notes, raw=args.raw, full=args.full))
    return 0


def refuse_unsafe(runner) -> None:
    """Before anything is built or loaded: UnsafeModelError for a folder whose dangerous ops were not allowed."""
    check = getattr(runner, "require_consent", None)
    if check is not None:
        check()


SUMMARY_THRESHOLD = 64  # outputs with more values than this print as a summary unless --full


def render(prediction, notes: list[str], raw: bool = False, full: bool = False) -> str:
    """Outputs as text: a header, each output's dtype, shape and values -- large ones as numpy's summary (first and
    last rows) plus min/max/mean/std, or every value with full=True -- then timings and notes."""
    import numpy as np

    from explorer.core.request import output_dict

    where = prediction.target + (f" (version {prediction.version})" if prediction.version is not None else "")
    lines = [f"{prediction.signature} · {prediction.engine} · {where}"]
    for key, array in prediction.outputs.items():
        array = np.asarray(array)
        shape = "(" + ", ".join(map(str, array.shape)) + ("," if array.ndim == 1 else "") + ")"
        lines.append(f"{key}  {_short_dtype(_dtype_name(array))}  {shape}")
        if array.size <= SUMMARY_THRESHOLD:
            values = json.dumps(output_dict(array)["values"], ensure_ascii=False)
        elif full:
            values = np.array2string(array, threshold=array.size + 1, max_line_width=110)
        else:  # numpy's summary keeps the first and last rows: a terminal is not a table viewer
            values = np.array2string(array, threshold=SUMMARY_THRESHOLD, edgeitems=3, max_line_width=110)
            values += "\n" + _statistics(array)
        lines.extend("  " + line for line in values.splitlines())
        if raw and key in prediction.raw_outputs:
            ints = np.asarray(prediction.raw_outputs[key])
            text = (json.dumps(ints.tolist()) if ints.size <= 64
                    else np.array2string(ints, threshold=64, edgeitems=3, max_line_width=110))
            lines.append(f"  raw {ints.dtype.name}:")
            lines.extend("    " + line for line in text.splitlines())
    timing = prediction.timing_ms
    spent = [f"{label} {timing[k]:.1f} ms" for k, label in
             (("import_tensorflow", "TensorFlow import"), ("load", "load"), ("predict", "predict")) if k in timing]
    lines.append(" · ".join(spent))
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines) + "\n"


def _dtype_name(array) -> str:
    from explorer.core import dtypes

    try:
        return dtypes.from_numpy(array.dtype).name
    except KeyError:
        return str(array.dtype)


def _statistics(array) -> str:
    """'100,000,000 values · min 0 · max 1 · mean 0.5 · std 0.29 (--full prints them all)' for numeric arrays."""
    import numpy as np

    parts = [f"{array.size:,} values"]
    if array.dtype.kind in "biuf" and array.size:
        values = array.astype(np.float64, copy=False) if array.dtype.kind == "b" else array
        finite = np.isfinite(values) if values.dtype.kind == "f" else None
        if finite is not None and not finite.all():
            parts.append(f"{int(values.size - finite.sum()):,} NaN/inf")
            values = values[finite]
        if values.size:
            parts += [f"min {values.min():.6g}", f"max {values.max():.6g}", f"mean {values.mean(dtype=np.float64):.6g}",
                      f"std {values.std(dtype=np.float64):.6g}"]
    return " · ".join(parts) + " (--full prints them all)"


def _short_dtype(name: str) -> str:
    from explorer.core import dtypes

    try:
        return dtypes.lookup(name).short
    except KeyError:
        return name


def _default_key(signatures: dict) -> str:
    from explorer.core.signature import default_key

    return default_key(signatures) or ""


def _dump(data: dict) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
