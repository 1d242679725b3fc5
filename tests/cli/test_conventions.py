"""What a user tries first on any command-line tool: --version, --help, a mistyped command. Real processes."""
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import explorer
from explorer.cli import COMMANDS, EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu"


def run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=env)


def test_version_names_the_app_and_tensorflow_without_importing_it():
    for flag in ("--version", "-V"):
        done = run(flag)
        assert done.returncode == 0 and done.stderr == ""
        lines = done.stdout.splitlines()
        assert lines[0] == f"signature-explorer {explorer.__version__}"
        assert re.fullmatch(r"\d+\.\d+\.\d+", explorer.__version__)
        assert lines[1] == f"TensorFlow {metadata.version('tensorflow')}"
    # Read from package metadata: the process never imports TensorFlow (seconds, ~500 MB) to say it.
    probe = subprocess.run([sys.executable, "-c", "import sys; from explorer.__main__ import main; main(['--version']);"
                            " print('tensorflow' in sys.modules)"], capture_output=True, text=True, cwd=ROOT,
                           timeout=120)
    assert probe.stdout.splitlines()[-1] == "False"


def test_version_after_a_model_path_is_still_the_apps_version():
    """The window's parser: --version prints the version; a model's version is --model-version."""
    done = run(HELLO, "--version")
    assert done.returncode == 0 and done.stdout.startswith("signature-explorer ")
    from explorer.ui.app import build_parser

    args = build_parser().parse_args([str(HELLO), "--model-version", "123"])
    assert args.model_version == 123 and args.version is False


def test_help_lists_every_command_with_an_example_that_names_shipped_paths():
    done = run("--help")
    assert done.returncode == 0
    for name, help_text in COMMANDS.items():
        assert f"  {name}" in done.stdout and help_text in done.stdout
        assert EXAMPLES[name] in done.stdout, f"{name} has no example in --help"
        for path in re.findall(r"resources/[\w./-]+", EXAMPLES[name]):
            assert (ROOT / path.split("?")[0]).exists(), path
    assert "--version" in done.stdout


def test_each_command_help_shows_its_example_and_every_input_form():
    forms = ("x='[[1],[2],[5]]'", "@batch.npy", "@arrays.npz:name", "@table.csv", "@digit.png", "?normalize=true",
             "@folder/", "fill:random", "fill:normal?seed=3&std=2", "shape=2x7x100", "text:", "b64:", "--example")
    for name in COMMANDS:
        done = run(name, "--help")
        assert done.returncode == 0 and done.stdout.startswith(f"usage: signature-explorer {name} ")
        assert EXAMPLES[name] in done.stdout
        if name in ("predict", "check", "compare"):
            missing = [form for form in forms if form not in done.stdout]
            assert not missing, f"{name} --help does not show {missing}"


def test_the_input_forms_in_help_are_the_ones_the_readme_names():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.search(r"`--input` values\s+are (.*?)\. Every command", readme, re.S)[1]
    shown = run("predict", "--help").stdout
    for form in re.findall(r"`([^`]+)`", named):
        stem = form.split("...")[0].split("?")[0].replace("file.npy", "batch.npy").replace("image.png", "digit.png")
        stem = stem.replace("file.npz", "arrays.npz")
        assert stem in shown, f"README names {form} but predict --help does not"


def test_a_mistyped_command_exits_2_and_suggests_the_closest():
    done = run("insepct", HELLO)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: 'insepct' is neither a command nor ")
    assert "Did you mean 'inspect'?" in done.stderr
    assert all(name in done.stderr for name in COMMANDS)
    done = run("scna", HELLO)  # the example: a window on a folder that does not exist, before
    assert done.returncode == 2 and "Did you mean 'scan'?" in done.stderr
    # A path that does not exist is not opened in a window either; nothing close to suggest, the commands still named.
    done = run("no/such/model")
    assert done.returncode == 2 and "Did you mean" not in done.stderr and "inspect" in done.stderr


def test_an_existing_path_still_opens_the_app():
    """The first word is a real folder: the app's parser takes it (here it stops at once: no display)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    done = run(HELLO, env=env)
    assert done.returncode == 2 and "no display" in done.stderr and "neither a command" not in done.stderr


def test_inspect_lists_serving_default_first_like_the_tree():
    done = run("inspect", ROOT / "resources" / "demo_model")
    keys = [line.split()[0] for line in done.stdout.splitlines() if line and not line.startswith((" ", "("))][1:]
    assert keys == ["serving_default", "score", "text_stats"], done.stdout
    done = run("inspect", HELLO)
    keys = [line.split()[0] for line in done.stdout.splitlines() if line and not line.startswith((" ", "("))][1:]
    assert keys[0] == "serving_default" and keys[1:] == sorted(keys[1:])


def test_version_without_tensorflow_metadata_says_installed_not_missing(monkeypatch):
    """A bundle may carry TensorFlow without its package metadata: importable is installed, not 'not installed'."""
    from explorer.core import versions

    monkeypatch.setattr(versions, "tensorflow_installed", lambda: "")
    assert versions.version_lines()[1] == "TensorFlow installed (version unknown: no package metadata)"
    monkeypatch.setattr(versions, "_importable", lambda name: False)
    assert versions.version_lines()[1].startswith("TensorFlow not installed")


def test_a_mistyped_option_value_is_one_line():
    # argparse printed its 11-line usage block above the error; every other error is one line.
    done = run("predict", HELLO, "--version", "abc")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["error: argument --version: invalid int value: 'abc'. Fix: signature-explorer "
                                        "predict --help lists the options."]
    done = run("compare", HELLO)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "TARGET_B" in done.stderr


def test_counts_below_their_least_are_refused_in_one_line():
    # --batch 0 ran a batch of 1 and --probes -1 ran no probes, silently.
    for args, words in ((("predict", HELLO, "--batch", "0"), "argument --batch: 0 is less than 1"),
                        (("compare", HELLO, HELLO, "--probes", "-1"), "argument --probes: -1 is less than 0"),
                        (("check", HELLO, "--probes", "0"), "argument --probes: 0 is less than 1"),
                        (("predict", HELLO, "--batch", "two"), "argument --batch: invalid whole number: 'two'")):
        done = run(*args)
        assert done.returncode == 2 and done.stdout == "", args
        assert done.stderr.splitlines() == [f"error: {words}. Fix: signature-explorer {args[0]} --help lists the "
                                            "options."], done.stderr
