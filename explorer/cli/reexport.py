"""`signature-explorer reexport SRC DST`: write the model again with a corrected signature, and prove it equal.

Exit 0 when the new model was written and answers as the old one on every input tried (the user's and seeded
probes), 1 when it was written but its answers differ (or could not be proven), 2 when nothing was written.
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SRC", help="SavedModel folder or TF Serving base path (newest version)")
    parser.add_argument("destination", metavar="DST",
                        help="a new folder, or a TF Serving base path (the model is written as its next version)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--signature", default="", help="the signature to edit (default: serving_default)")
    which.add_argument("--from-function", default="", metavar="NAME",
                       help="make a signature from a saved tf.function (inspect --functions lists them)")
    parser.add_argument("--key", default="", help="the edited signature's key in the new model "
                                                  "(default: the same; from a function: serving_default)")
    parser.add_argument("--free-batch", action="store_true", help="make every input's first dimension -1")
    parser.add_argument("--shape", action="append", default=[], metavar="KEY=DIMS",
                        help="an input's new dims, -1 for free ones: --shape x=-1,28,28,1")
    parser.add_argument("--cast", action="append", default=[], metavar="KEY=DTYPE",
                        help="an input accepts DTYPE and is cast inside (an output is cast to DTYPE)")
    parser.add_argument("--scale", action="append", default=[], metavar="KEY=FACTOR",
                        help="multiply inside the graph, after the cast: --scale image=1/255")
    parser.add_argument("--shift", action="append", default=[], metavar="KEY=OFFSET",
                        help="add inside the graph, after the scale: --shift image=-0.5")
    parser.add_argument("--rename", action="append", default=[], metavar="KEY=NEW", help="rename an input or output")
    parser.add_argument("--default", default="", metavar="KEY",
                        help="a signature (by its new key) that also becomes serving_default")
    parser.add_argument("--drop", action="append", default=[], metavar="KEY", help="leave a signature out")
    parser.add_argument("--version", type=int, help="version of SRC when it is a base path (default: the newest)")
    parser.add_argument("--tag-set", help="comma-separated tags of SRC (default: serve)")
    parser.add_argument("--base-path", action="store_true",
                        help="treat DST as a TF Serving base path even when it is new or empty (writes version 1)")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                        help="your own inputs for SRC's signature (as for predict), run on both besides the probes")
    parser.add_argument("--example", "-e", action="append", default=[], metavar="KEY=JSON",
                        help="tf.Example features for a string input, as for predict")
    parser.add_argument("--seed", type=int, default=0, help="seed of the probes (default 0)")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance of the proof (default 1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance of the proof (default 1e-6)")
    parser.add_argument("--allow-unsafe-ops", action="store_true",
                        help="re-export a model even though `scan` finds ops that would touch files or run Python "
                             "(loading it runs its init code)")
    parser.add_argument("--show-code", action="store_true",
                        help="print the TensorFlow code of this re-export and write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from explorer.core import reexport
    from explorer.core.errors import ExplorerError
    from explorer.core.savedmodel import read_model

    try:
        info = read_model(args.source, version=args.version, tag_set=args.tag_set)
        plan = reexport.plan_from_options(
            info, signature=args.signature, function=args.from_function, key=args.key, free_batch=args.free_batch,
            casts=args.cast, scales=args.scale, shifts=args.shift, renames=args.rename, shapes=args.shape,
            default=args.default, drop=args.drop)
        if args.show_code:
            from explorer.core.reexport_code import reexport_code

            sys.stdout.write(reexport_code(info, plan, args.destination).text)
            return 0
        inputs = _user_inputs(info, plan, args)
        result = reexport.reexport(info.path, args.destination, plan, version=info.version, tag_set=args.tag_set,
                                   base_path=args.base_path, inputs=inputs, seed=args.seed, rtol=args.rtol,
                                   atol=args.atol, allow_unsafe_ops=args.allow_unsafe_ops,
                                   progress=_progress(args))
    except ExplorerError as exc:
        if args.json:
            _dump({"error": exc.message, "fix": exc.fix})
        else:
            from explorer.cli import one_line

            print(one_line(exc), file=sys.stderr)
        return 2
    if args.json:
        _dump(result.to_dict())
    else:
        sys.stdout.write(render(result))
    return 0 if result.equal else 1


def _user_inputs(info, plan, args) -> dict | None:
    if not args.input and not args.example:
        return None
    from explorer.core import reexport, tensors, validate
    from explorer.core.errors import InputProblem
    from explorer.core.sources import parse_cli_sources

    source = reexport.source_of(info, plan.signature, plan.function)
    arrays, _ = tensors.build_inputs(source.signature, parse_cli_sources(args.input, args.example,
                                                                          keys=source.signature.inputs))
    errors = [p for p in validate.check(arrays, source.signature, target="local") if p.severity == "error"]
    if errors:
        raise InputProblem(errors[0].input, f"Your inputs do not fit '{source.key}': {errors[0].message}",
                           fix=errors[0].fix)
    return arrays


def _progress(args):
    if args.json or not sys.stderr.isatty():
        return None
    return lambda fraction, text: print(f"… {text}", file=sys.stderr)


def render(result) -> str:
    """The re-export as text: where it went, what changed in the signatures, and the proof."""
    where = result.destination + (f"  (version {result.version} of {result.base_path})" if result.version else "")
    source = result.source + (f" (version {result.source_version})" if result.source_version is not None else "")
    lines = [f"wrote {where}", f"  from {source} in {result.seconds:.1f} s"]
    for d in result.signature_diff:
        if d.key == result.key and d.key in result.signatures:
            lines.append(f"signature {d.key}: " + ("new, from " + (result.plan.function or result.plan.signature)
                                                  if d.status == "only_b" else "edited"))
            lines.extend(f"  {line}" for line in result.changes)
        elif d.status == "same":
            lines.append(f"signature {d.key}: kept as it was")
        elif d.status == "only_a":
            lines.append(f"signature {d.key}: dropped")
        elif d.status == "only_b":
            sig = result.signatures[d.key]
            ins = ", ".join(f"{k} {s.dt.short} {s.shape_text()}" for k, s in sig.inputs.items())
            lines.append(f"signature {d.key}: new ({sig.method_short}; inputs {ins})")
        elif not d.breaking:
            lines.append(f"signature {d.key}: kept as it was (its graph tensors were renamed)")
        else:
            lines.append(f"signature {d.key}: changed")
            lines.extend(f"  {c.text()}" for c in d.changes if c.severity == "error")
    lines.extend(f"note: {n}" for n in result.notes)
    proof = result.proof
    if proof is not None:
        lines.extend(f"note: {n}" for n in proof.notes)
        lines.append(f"proof: {proof.old_key} (old) vs {proof.new_key} (new): {proof.text()}")
    if result.equal:
        lines.append("EQUAL: the new model answers as the old one")
    elif proof is not None and proof.error:  # nothing was compared: "does not answer as the old one" was untrue
        lines.append("NOT PROVEN: the new model was written but not compared with the old one (see the proof above)")
    else:
        lines.append("DIFFERENT: the new model does not answer as the old one (see the proof above)")
    return "\n".join(lines) + "\n"


def _dump(data: dict) -> None:
    from explorer.cli.json_output import dump

    dump(data)
