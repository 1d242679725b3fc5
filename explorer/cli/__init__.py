"""`signature-explorer` commands, headless. Each command lives in its own module, imported only when run,
so that `inspect` starts in tens of milliseconds (no numpy, protobuf or TensorFlow unless needed)."""
from __future__ import annotations

import argparse
import importlib
import sys

# command -> one-line help; the module explorer.cli.<command> defines add_arguments(parser) and run(args) -> int
COMMANDS = {
    "inspect": "list every version, tag-set and signature of a model folder or server",
    "predict": "build inputs, check them against a signature, run the model and print its outputs",
    "status": "list the versions a TF Serving endpoint serves for a model, with their states and errors",
    "check": "probe a model or server for identical outputs and name the likely cause",
    "compare": "send the same request to two models, versions or servers and compare outputs and signatures",
    "scan": "list the ops of a model that would touch files or run Python, and where they run, without running it",
    "reexport": "write a model again with a corrected signature (batch, dtype, scaling, keys) and prove it equal",
    "convert-compare": "convert a SavedModel to .tflite (float, dynamic range or int8) and show how far it drifts",
}

EXIT_OK, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signature-explorer",
        description="Inspect, run, check and compare TensorFlow SavedModels and TF Serving endpoints. "
        "Without a command, opens the desktop app (optionally on PATH).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"explorer.cli.{name.replace('-', '_')}")
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def one_line(exc) -> str:
    """An ExplorerError as the single line a terminal user reads: the message, then the fix if it adds one."""
    text = str(exc)
    fix = getattr(exc, "fix", "") or ""
    if fix and fix not in text:
        text = f"{text.rstrip()} Fix: {fix}"
    return "error: " + " ".join(text.split())


def problem_line(problem) -> str:
    """A validate.Problem as the one line every command prints for it, success or not: "warning: ... Fix: ..."."""
    fix = f" Fix: {problem.fix}" if problem.fix else ""
    return f"{problem.severity}: {problem.message}{fix}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; ExplorerErrors become one readable line on stderr and a non-zero exit."""
    from explorer.core.errors import ExplorerError, ServingError

    args = build_parser().parse_args(argv)
    if not args.command:
        build_parser().print_help()
        return EXIT_ERROR
    module = importlib.import_module(f"explorer.cli.{args.command.replace('-', '_')}")
    try:
        return module.run(args)
    except ServingError as exc:
        print(one_line(exc), file=sys.stderr)
        return EXIT_DIFFERENT
    except ExplorerError as exc:
        print(one_line(exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head` closed the pipe: not an error of ours
        sys.stderr.close()
        return EXIT_OK
