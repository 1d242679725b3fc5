"""`signature-explorer inspect PATH`: every signature as a readable tree, or the stable JSON schema."""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="SavedModel folder, TF Serving base path, saved_model.pb(txt), a .tflite, or a server: "
                                     "rest://HOST:PORT/MODEL, grpc://HOST:PORT/MODEL, v2://HOST:PORT/MODEL, "
                                     "v2+grpc://HOST:PORT/MODEL")
    parser.add_argument("--version", type=int, help="version of a base path (default: the newest)")
    parser.add_argument("--tag-set", help="comma-separated tags, e.g. serve,gpu (default: serve)")
    parser.add_argument("--all", action="store_true", help="also list internal entries such as __saved_model_init_op")
    parser.add_argument("--functions", action="store_true",
                        help="also list the tf.functions the model's object graph holds (TF2 exports), with their "
                             "inputs and outputs: the ones a signature can be made from")
    parser.add_argument("--json", action="store_true", help="print the stable JSON schema instead of a tree")
    from explorer.cli.status import add_endpoint_arguments  # rest:// and grpc:// targets: timeout, headers, TLS

    add_endpoint_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from explorer.cli.status import is_endpoint

    if is_endpoint(args.path):
        return _run_server(args)
    from explorer.core.savedmodel import read_model

    from explorer.cli.scan import warning_lines
    from explorer.core.scan import scan_model

    info = read_model(args.path, version=args.version, tag_set=args.tag_set)
    report = scan_model(info)  # no TensorFlow either: a few ms, and the user sees what the model would do
    if args.json:
        from explorer.cli.json_output import dump

        out = info.to_dict(functions=args.functions)
        out["findings"] = [f.to_dict() for f in report.findings]
        dump(out)
    else:
        sys.stdout.write(render_tree(info, show_internal=args.all, show_functions=args.functions))
        if report.findings:
            sys.stdout.write("\n" + "\n".join(warning_lines(report)) + "\n")
    return 0


def render_tree(info, show_internal: bool = False, show_functions: bool = False) -> str:
    """The text tree: a header of facts, then each signature with aligned inputs and outputs."""
    lines = [info.path]
    if info.versions:
        listed = ", ".join(f"{v}*" if v == info.version else str(v) for v in info.versions)
        lines.append(f"  TF Serving base path · versions {listed}  (* shown)")
    if info.tflite is not None:
        lines += _tflite_header(info)
        for reason in info.skipped_versions.items():
            lines.append(f"  skipped version folder {reason[0]}/: {reason[1]}")
        lines.append("")
        return "\n".join(lines + render_signatures(info.signatures, show_internal)) + "\n"
    facts = [f"tag-set {','.join(info.tag_set) or '(none)'}"]
    if len(info.tag_sets) > 1:
        facts.append("others: " + "; ".join(",".join(t) for t in info.tag_sets if t != info.tag_set))
    facts.append(f"written by TensorFlow {info.tensorflow_version or 'unknown'}")
    lines.append("  " + " · ".join(facts))
    pb_name = "saved_model.pbtxt" if info.file_format == "pbtxt" else "saved_model.pb"
    lines.append(f"  fingerprint {info.fingerprint} ({info.fingerprint_source}) · {pb_name} "
                 f"{_size(info.saved_model_bytes)} · variables {_size(info.variables_bytes)} · "
                 f"assets {_size(info.assets_bytes)}")
    for reason in info.skipped_versions.items():
        lines.append(f"  skipped version folder {reason[0]}/: {reason[1]}")
    lines.append("")
    signature_lines = render_signatures(info.signatures, show_internal)
    if not info.user_signatures:  # right under "(no signatures ...)": what could become one
        at = next((i + 1 for i, line in enumerate(signature_lines) if line.startswith("  (no signatures")), 0)
        signature_lines[at:at] = render_candidates(info)
    lines += signature_lines
    if show_functions:
        lines += render_functions(info, show_internal)
    return "\n".join(lines) + "\n"


def render_candidates(info) -> list[str]:
    """For a model without signatures: which saved functions could become one, and the command that does it."""
    from explorer.core.functions import signature_candidates

    if info.meta_graph.functions_problem:
        return [f"  ({info.meta_graph.functions_problem})"]
    candidates = signature_candidates(info.functions)
    if not candidates:
        if info.functions:
            return ["  none of its saved functions can become a signature as it is (--functions lists them)"]
        return []
    names = ", ".join(f.name for f in candidates)
    return [f"  functions that could become a signature: {names}",
            f"  fix: signature-explorer reexport {_quote(info.path)} NEW_FOLDER --from-function {candidates[0].name}"]


def render_functions(info, show_internal: bool = False) -> list[str]:
    """The saved tf.functions with aligned inputs and outputs (what `--functions` adds to the tree)."""
    lines = [""]
    if info.meta_graph.functions_problem:
        return lines + [f"functions: {info.meta_graph.functions_problem}"]
    shown = [f for f in info.functions if show_internal or not f.internal]
    hidden = len(info.functions) - len(shown)
    if not info.functions:
        if not info.meta_graph.has_object_graph:
            return lines + ["functions: none (a TF1 export has no object graph; its signatures are all it has)"]
        return lines + ["functions: none saved in the object graph"]
    lines.append(f"functions ({len(shown)}" + (f", {hidden} internal hidden; --all shows them" if hidden else "") + ")")
    for f in shown:
        tail = "" if f.servable else f"  [cannot be a signature: {f.problem}]"
        lines.append(f"{f.name}  (function {f.concrete_name}){tail}")
        if f.fixed:
            lines.append("  fixed by the trace: " + ", ".join(f"{k}={v}" for k, v in f.fixed.items()))
        for title, specs in (("inputs", f.inputs), ("outputs", f.outputs)):
            lines.append(f"  {title}" + ("" if specs else ": none"))
            rows = [(k, *_dtype_and_shape(s)) for k, s in specs.items()]
            widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
            for row in rows:
                lines.append(("    " + "  ".join(c.ljust(w) for c, w in zip(row, widths))).rstrip())
    return lines


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)


def render_signatures(signatures: dict, show_internal: bool = False) -> list[str]:
    """The signature part of the tree: each signature with aligned inputs and outputs (folders and servers), in the
    window's order (the default signature first)."""
    from explorer.core.signature import display_order

    lines = []
    shown = {s.key: s for s in display_order(signatures) if show_internal or not s.internal}
    hidden = [k for k in signatures if k not in shown]
    if not shown:
        lines.append("  (no signatures: TF Serving cannot serve this model)")
    for key, sig in shown.items():
        lines.append(f"{key}  ({sig.method_name or 'no method'}){'  [internal]' if sig.internal else ''}")
        for title, specs in (("inputs", sig.inputs), ("outputs", sig.outputs)):
            lines.append(f"  {title}" + ("" if specs else ": none"))
            rows = [(k, *_dtype_and_shape(s), s.name) for k, s in specs.items()]
            widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
            for row, spec in zip(rows, specs.values()):
                lines.append("    " + "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
                if spec.allocated_shape is not None and tuple(spec.allocated_shape) != tuple(spec.shape or ()):
                    lines.append(f"      shape_signature {tuple(spec.shape)} · shape {tuple(spec.allocated_shape)} "
                                 "until resized")
                if spec.quantization is not None:
                    lines.append(f"      quantised {spec.quantization.text()}: real (float32) values in and out")
        if sig.defaults:
            lines.append("  defaults: " + ", ".join(f"{k}={v}" for k, v in sig.defaults.items()))
    if hidden:
        lines.append(f"\n({len(hidden)} internal entr{'y' if len(hidden) == 1 else 'ies'} hidden: "
                     f"{', '.join(hidden)}; --all shows them)")
    return lines


def _tflite_header(info) -> list[str]:
    """A .tflite's facts: file, converter, subgraphs, ops, what a runtime needs, where its signatures came from."""
    t = info.tflite
    lines = [f"  TensorFlow Lite model · schema v{t.schema_version} · {_size(info.saved_model_bytes)}"
             + (f" · {t.description}" if t.description else "")
             + (f" · min runtime {t.min_runtime_version}" if t.min_runtime_version else ""),
             f"  fingerprint {info.fingerprint} ({info.fingerprint_source}) · {t.quantization_kind}"]
    for g in t.subgraphs:
        lines.append(f"  subgraph {g.index} {g.name or '(unnamed)'}: {g.tensors} tensors, {g.operators} op{'s' if g.operators != 1 else ''}")
    top = ", ".join(f"{name} {n}" for name, n in list(t.op_counts.items())[:8])
    more = len(t.op_counts) - 8
    lines.append(f"  {t.op_count} op{'s' if t.op_count != 1 else ''}: {top}" + (f", {more} more kinds" if more > 0 else ""))
    lines += [f"  needs {need}" for need in t.needs()]
    lines += [f"  note: {note}" for note in t.notes]
    return lines


def _run_server(args: argparse.Namespace) -> int:
    """inspect rest://... or grpc://...: the server's signatures (its metadata) with the same tree."""
    from explorer.cli.status import endpoint_options
    from explorer.core.targets import open_runner

    runner = open_runner(args.path, version=args.version, **endpoint_options(args))
    try:
        if hasattr(runner, "model_metadata"):
            return _run_v2(args, runner)
        signatures = runner.signatures()
    finally:
        runner.close()
    version = getattr(runner, "_served_version", None)
    if args.json:
        from explorer.cli.json_output import dump

        out = {"target": runner.target, "engine": runner.engine, "version": version,
               "signatures": {k: s.to_dict() for k, s in signatures.items()}}
        dump(out)
        return 0
    lines = [runner.target, f"  served by TF Serving ({runner.engine})" + (f" · version {version}" if version else ""),
             ""]
    sys.stdout.write("\n".join(lines + render_signatures(signatures, args.all)) + "\n")
    return 0


def _run_v2(args: argparse.Namespace, runner) -> int:
    """inspect v2://... or v2+grpc://...: the server, the model's versions and platform, and its one signature."""
    meta = runner.model_metadata()
    server = runner.server_metadata()
    signatures = {meta.signature.key: meta.signature}
    if args.json:
        from explorer.cli.json_output import dump

        out = {"target": runner.target, "engine": runner.engine, "server": server.to_dict(),
               "model": {"name": meta.name, "versions": list(meta.versions), "platform": meta.platform},
               "signatures": {k: s.to_dict() for k, s in signatures.items()}}
        dump(out)
        return 0
    facts = [f"served by {server.title} (KServe V2 {'gRPC' if runner.engine == 'v2+grpc' else 'REST'})"]
    facts.append(f"versions {', '.join(meta.versions)}" if meta.versions else "no versions named")
    if meta.platform:
        facts.append(f"platform {meta.platform}")
    lines = [runner.target, "  " + " · ".join(facts),
             "  a KServe V2 model has one signature: its inputs and outputs (shown as serving_default)", ""]
    sys.stdout.write("\n".join(lines + render_signatures(signatures, args.all)) + "\n")
    return 0


def _dtype_and_shape(spec) -> tuple[str, str]:
    """The dtype and shape columns; a composite tensor (ragged, ...) has neither, its components have them."""
    if spec.encoding == "composite" and spec.dtype == "DT_INVALID":
        return "composite", "-"
    if spec.dtype.startswith("DT_UNKNOWN"):
        return spec.dtype, spec.shape_text()
    return spec.storage_dt.short, spec.shape_text()  # the file's dtype; a quantised one says so on its own line


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
