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

# command -> one example, shown by `signature-explorer --help` and the command's own --help (paths that ship).
EXAMPLES = {
    "inspect": "signature-explorer inspect resources/examples/tfserving/saved_model_half_plus_two_cpu",
    "predict": "signature-explorer predict resources/demo_model -i 'image=@resources/demo_model/samples/digit_3.png"
               "?normalize=true'",
    "status": "signature-explorer status rest://localhost:8501/half_plus_two",
    "check": "signature-explorer check rest://localhost:8501/half_plus_two "
             "--compare-local resources/examples/tfserving/saved_model_half_plus_two_2_versions",
    "compare": "signature-explorer compare resources/examples/tfserving/saved_model_half_plus_two_2_versions "
               "rest://localhost:8501/half_plus_two",
    "scan": "signature-explorer scan resources/examples/tfserving/saved_model_half_plus_two_cpu",
    "reexport": "signature-explorer reexport resources/examples/tfserving/saved_model_half_plus_two_tf2_cpu "
                "/tmp/half_plus_two_any_batch --free-batch",
    "convert-compare": "signature-explorer convert-compare resources/demo_model --quantize int8",
}

# Every form --input and --example take (core/sources.py parses them), for the help of each command that takes them.
INPUT_FORMS = """\
input values (--input/-i KEY=VALUE, repeatable):
  x='[[1],[2],[5]]'            a JSON literal in the signature's dtype; a scalar fills the shape
  x=@batch.npy                 a .npy file (its dtype is kept, so a float64 mistake shows)
  x=@arrays.npz:name           one array of an .npz file
  x=@table.csv                 CSV/TSV rows (a header row is skipped); also @lines.txt, @values.json
  image=@digit.png             an image, resized and converted to the signature's shape
  image=@digit.png?normalize=true   the same, pixels scaled to 0..1
  image=@folder/               every image in a folder, a batch row each (sorted by name)
  x=fill:random                fill:zeros|ones|constant?value=V|range|linspace|uniform|random|normal
  x='fill:normal?seed=3&std=2' a seeded fill; shape=2x7x100 sets free dimensions (or --batch N)
  s=text:hello                 a string input, one string per line
  s=b64:aGk=                   a string input, base64-decoded
tf.Examples (--example/-e KEY=JSON), for classify/regress and other serialized-example inputs:
  -e 'inputs=[{"x": 2.0}, {"x": 4.0}]'
"""

EXIT_OK, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; `only` builds just that command's options, importing no other command's module (what one
    of them imports at parse time, e.g. numpy, must not slow `inspect` down)."""
    width = max(map(len, COMMANDS))
    commands = "\n".join(f"  {name:<{width}}  {help_text}" + (f"\n  {'':<{width}}  e.g. {EXAMPLES[name]}"
                                                                if name in EXAMPLES else "")
                          for name, help_text in COMMANDS.items())
    parser = _Parser(
        prog="signature-explorer",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="signature-explorer [PATH] | COMMAND ... | --version",
        description="Inspect, run, check and compare TensorFlow SavedModels and TF Serving endpoints. "
        "Without a command, opens the desktop app (on PATH, a SavedModel folder or TF Serving base path, when "
        "given; --model-version N picks a version).",
        epilog=f"commands (signature-explorer COMMAND --help says more):\n{commands}\n\n"
               "the desktop app:\n  signature-explorer resources/demo_model    opens the bundled demo model",
    )
    parser.add_argument("-V", "--version", action=_VersionAction,
                        help="print the app's and TensorFlow's versions and exit")
    # The commands are listed, each with an example, in the epilog; argparse's own list would repeat them.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    for name, help_text in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"explorer.cli.{name.replace('-', '_')}")
        example = EXAMPLES.get(name, "")
        command = sub.add_parser(name, prog=f"signature-explorer {name}",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 description=help_text + (f"\n\nexample:\n  {example}" if example else ""))
        module.add_arguments(command)
        if any("--input" in action.option_strings for action in command._actions):
            command.epilog = INPUT_FORMS
    return parser


def count(least: int):
    """An argparse type: a whole number of at least `least` (a batch of 0 or -1 probes was taken silently)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is less than {least}")
        return value

    parse.__name__ = "count"
    return parse


class _Parser(argparse.ArgumentParser):
    """argparse whose usage mistakes are one line, like every other error (its own printed the usage block first)."""

    def error(self, message):
        self.exit(EXIT_ERROR, f"error: {message}. Fix: {self.prog} --help lists the options.\n")


class _VersionAction(argparse.Action):
    """--version: the app's version and TensorFlow's (read from package metadata, not imported); exits 0."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from explorer.core.versions import version_lines

        parser.exit(0, "\n".join(version_lines()) + "\n")


def unknown_command(word: str) -> bool:
    """True when the first word is neither an option, a command nor an existing path (so not for the app)."""
    import os

    return not word.startswith("-") and word not in COMMANDS and not os.path.exists(os.path.expanduser(word))


def unknown_command_line(word: str) -> str:
    """The one line a mistyped command gets: what is wrong, the closest command, and the commands."""
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1) if "/" not in word else []
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (f"error: '{word}' is neither a command nor an existing path.{hint} Commands: {', '.join(COMMANDS)} "
            f"(signature-explorer --help shows them; signature-explorer PATH opens a model folder in the app).")


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

    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    if not args.command:
        build_parser().print_help(sys.stderr)
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
    except MemoryError:  # the input and response limits should prevent it; if not, still one line, no traceback
        print("error: ran out of memory. Fix: use smaller inputs, or lower --max-input-mb / --max-response-mb.",
              file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `... | head` closed the pipe: not an error of ours
        sys.stderr.close()
        return EXIT_OK
