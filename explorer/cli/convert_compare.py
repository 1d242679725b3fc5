"""`signature-explorer convert-compare SAVEDMODEL`: convert to .tflite (float, dynamic range or full int8) with
tf.lite.TFLiteConverter, then run every signature on both with the same seeded inputs and show the drift.

Exit 0 when every output agrees within --rtol/--atol, 1 when some drift beyond it (expected for a quantised
model: the table says how far), 2 on an error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explorer.cli import count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from explorer.core.convert import DEFAULT_BATCH, DEFAULT_REPRESENTATIVE, QUANTIZE

    parser.add_argument("saved_model", metavar="SAVEDMODEL", help="SavedModel folder or TF Serving base path")
    parser.add_argument("--quantize", default="none", choices=QUANTIZE,
                        help="none: float; dynamic: int8 weights (dynamic range); int8: full integer, calibrated "
                             "on seeded probes")
    parser.add_argument("--representative", type=count(1), default=DEFAULT_REPRESENTATIVE, metavar="N",
                        help=f"int8: probes per signature for calibration (default {DEFAULT_REPRESENTATIVE})")
    parser.add_argument("--out", metavar="FILE.tflite", help="where to write the .tflite (default: a temp folder)")
    parser.add_argument("--select-tf-ops", action="store_true",
                        help="allow TensorFlow ops without a TFLite builtin (the model then needs the Flex delegate)")
    parser.add_argument("--version", type=int, help="version of a base path (default: the newest)")
    parser.add_argument("--batch", type=count(1), default=DEFAULT_BATCH, help=f"rows per request (default {DEFAULT_BATCH})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the request (default 0)")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance (default 1e-6)")
    parser.add_argument("--json", action="store_true", help="print JSON: the conversion and the drift per output")


def run(args: argparse.Namespace) -> int:
    from explorer.core.convert import convert_to_tflite
    from explorer.core.drift import all_equal, drift
    from explorer.core.errors import ExplorerError
    from explorer.core.savedmodel import read_model
    from explorer.core.targets import open_runner

    if args.rtol < 0 or args.atol < 0:
        raise ExplorerError("Tolerances cannot be negative.", fix="Give --rtol and --atol of 0 or more.")
    info = read_model(args.saved_model, version=args.version)
    conversion = convert_to_tflite(info.model_dir, args.quantize, out=args.out, representative=args.representative,
                                   select_tf_ops=args.select_tf_ops)
    a = b = None
    try:
        a = open_runner(info.model_dir)
        b = open_runner(conversion.tflite)
        drifts = drift(a, b, seed=args.seed, batch=args.batch, rtol=args.rtol, atol=args.atol)
    finally:
        for runner in (a, b):
            if runner is not None:
                runner.close()
        if not args.out:  # a temp file nobody asked to keep
            import shutil
            from pathlib import Path

            shutil.rmtree(Path(conversion.tflite).parent, ignore_errors=True)
    equal = all_equal(drifts)
    if args.json:
        from explorer.cli.json_output import dump

        dump({"conversion": conversion.to_dict(), "a": info.model_dir, "b": conversion.tflite,
              "rtol": args.rtol, "atol": args.atol, "seed": args.seed, "equal": equal,
              "signatures": [d.to_dict() for d in drifts]})
    else:
        sys.stdout.write(render(info.model_dir, conversion, drifts, args))
    return 0 if equal else 1


def render(saved_model: str, conversion, drifts, args) -> str:
    """Both sides, then per signature the inputs sent and a table of the drift of each output, then a verdict."""
    where = conversion.tflite if args.out else f"{Path(conversion.tflite).name} (deleted after the run; --out keeps it)"
    lines = [f"A: {saved_model} (SavedModel, TensorFlow)",
             f"B: {where} (LiteRT) · {conversion.describe()}, "
             f"SavedModel {conversion.saved_model_bytes / 1024:.1f} KB",
             f"same seeded inputs to both: uniform in [0, 1), seed {args.seed}, {args.batch} rows"]
    header = ("output", "status", "max |diff|", "max rel", "argmax", "top-5", "steps", "beyond tol")
    for d in drifts:
        if d.diff is None:
            lines.append(f"{d.key}: not run ({d.skipped})")
            continue
        sent = ", ".join(f"{k} {tuple(s)} {t}" for k, (s, t) in d.inputs.items())
        lines.append(f"{d.key}: {sent}")
        rows = [header]
        for name, o in d.diff.outputs.items():
            rows.append((name, o.status, _num(o.max_abs), _num(o.max_rel), _pct(o.argmax_agree), _pct(o.topk_agree),
                         _num(d.steps.get(name)), f"{o.mismatched}/{o.size}"))
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
        lines.extend("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    tol = f"rtol={args.rtol:g} atol={args.atol:g}"
    differing = [f"{d.key}/{k}" for d in drifts if d.diff is not None for k in d.diff.differing]
    if differing:
        lines.append(f"DRIFT beyond {tol}: {', '.join(differing)}"
                     + ("  (steps: the largest difference in units of the int8 output's scale)"
                        if any(d.steps for d in drifts) else ""))
    else:
        lines.append(f"EQUAL: every output agrees within {tol}")
    return "\n".join(lines) + "\n"


def _num(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"
