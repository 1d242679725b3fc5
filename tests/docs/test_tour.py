"""The tour runs as written: every console block of README.md and docs/manual/tour.md is run for real and its output
compared with the quote, apart from timings, ports and temp paths. A README that drifts from the app fails here.

A console block is a fenced ```console block: `$ COMMAND` lines, each followed by the lines it prints (stdout and
stderr as a terminal shows them). A quoted line `...` stands for any number of lines. Numbers followed by `ms` or `s`
are timings and match any number; other decimals match within a relative 1e-3 (float results vary in their last
digits between CPUs); everything else must be equal.

What the commands need comes from the docs themselves: the ```sh block that sets `M=` and builds the tour's models
is run with bash (`/tmp/tour` moved to a temp dir), and every `tests/servers/model_server.py` line is started as
written, on free ports that replace the quoted ones in the commands and, back again, in the outputs.
"""
from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers.fixtures import model_servers  # noqa: F401 - the session's server pool

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/manual/tour.md")
TOUR_TMP = "/tmp/tour"
COMMAND_TIMEOUT_S = 300
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[\w-]*)\s*$")


@dataclass
class Step:
    """One `$ command` of a console block and the lines quoted after it."""

    doc: str
    line: int
    command: str
    expected: list[str]

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class Doc:
    name: str
    steps: list[Step] = field(default_factory=list)
    sh_blocks: list[list[str]] = field(default_factory=list)


def parse(name: str) -> Doc:
    """The console steps and sh blocks of one doc, in order (fenced blocks may be indented, as in lists)."""
    doc = Doc(name)
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m["info"]:
            i += 1
            continue
        indent, info, start = m["indent"], m["info"], i + 1
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append((i + 1, lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip()))
            i += 1
        i += 1
        if info == "sh":
            doc.sh_blocks.append([text for _, text in body])
        elif info == "console":
            for number, text in body:
                if text.startswith("$ "):
                    doc.steps.append(Step(name, number, text[2:], []))
                elif doc.steps and doc.steps[-1].line >= start:
                    doc.steps[-1].expected.append(text.rstrip())
    return doc


PARSED = {name: parse(name) for name in DOCS}
STEPS = [step for doc in PARSED.values() for step in doc.steps]


def test_the_docs_have_console_blocks_to_run():
    """Guards the parser: if the fences change, the tour must not silently stop being tested."""
    assert len(PARSED["README.md"].steps) >= 8 and len(PARSED["docs/manual/tour.md"].steps) >= 25
    assert all(step.expected for step in STEPS if not step.command.endswith("&")), "a command without its output"


def test_every_command_uses_paths_that_ship_with_the_repo():
    for step in STEPS:
        assert "../" not in step.command and "M/" not in step.command.replace("$M/", ""), step.id
        words = shlex.split(step.command.replace("$M", "resources/examples/tfserving"))
        for word in words:
            for path in re.findall(r"(?:^|[=@])((?:resources|tests)/[\w./-]+)", word):
                assert (ROOT / path.rstrip("/")).exists(), f"{step.id}: {path} is not in the repository"


# ----------------------------------------------------------------------------------------------------- running


class Tour:
    """The state the docs' commands run in: variables, the temp dir standing for /tmp/tour, servers and ports."""

    def __init__(self, tmp: Path, pool):
        self.tmp, self.pool = tmp, pool
        self.variables: dict[str, str] = {}
        self.ports: dict[int, int] = {}  # quoted port -> real port
        self.background: list[subprocess.Popen] = []
        self.prepared: set[str] = set()

    def prepare(self, doc: Doc) -> None:
        """Run the doc's setup block and start its servers, once per doc."""
        if doc.name in self.prepared:
            return
        self.prepared.add(doc.name)
        for block in doc.sh_blocks:
            text = "\n".join(block)
            for m in re.finditer(r"^(\w+)=(\S+)", text, re.MULTILINE):
                self.variables[m[1]] = m[2]
            if "model_server.py" in text:
                self._start_servers(text)
            elif TOUR_TMP in text:  # the block that builds the tour's models and arrays
                self._run_setup(text)

    def _run_setup(self, text: str) -> None:
        script = self.substitute(text.replace(".venv/bin/python", shlex.quote(sys.executable)))
        done = subprocess.run(["bash", "-euc", script], cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S)
        assert done.returncode == 0, f"the tour's setup block failed:\n{done.stdout}\n{done.stderr}"

    def _start_servers(self, text: str) -> None:
        """Each `model_server.py` line, started as written (through the session's pool), on free ports."""
        for line in re.sub(r"\\\n\s*", " ", text).splitlines():
            if "model_server.py" not in line:
                continue
            words = shlex.split(self.substitute(line.rstrip("& ").replace("$PWD/", ""), ports=False))
            args, flags = {}, iter(words[words.index("tests/servers/model_server.py") + 1:])
            for word in flags:  # "--flag value" as well as "--flag=value"
                name, _, value = word[2:].partition("=")
                args[name] = value or next(flags)
            base = Path(args["model_base_path"])
            server = self.pool.get(str(base if base.is_absolute() else ROOT / base), args["model_name"],
                                   args.get("model_version_policy", "latest"))
            self.ports[int(args["port"])] = server.grpc_port
            self.ports[int(args["rest_api_port"])] = server.rest_port

    def substitute(self, text: str, ports: bool = True) -> str:
        """A quoted command as it runs here: variables expanded, /tmp/tour and quoted ports replaced."""
        for name, value in self.variables.items():
            text = text.replace(f"${name}", value)
        text = text.replace(TOUR_TMP, str(self.tmp))
        for quoted, real in self.ports.items() if ports else ():
            text = re.sub(rf"\b{quoted}\b", str(real), text)
        return text

    def unsubstitute(self, text: str) -> str:
        """An output as the docs quote it: real ports and the temp dir named as in the docs."""
        for quoted, real in self.ports.items():
            text = re.sub(rf"\b{real}\b", str(quoted), text)
        return text.replace(str(self.tmp), TOUR_TMP).replace(str(ROOT) + "/", "")

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "QT_QPA_PLATFORM")}
        # A clone run without installing: the checkout's explorer/ first. Unbuffered, so stdout and stderr
        # interleave as in a terminal.
        env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", COLUMNS="120")
        return env

    def argv(self, command: str) -> list[str]:
        words = shlex.split(self.substitute(command))
        if words[0] in ("signature-explorer", ".venv/bin/signature-explorer"):
            return [sys.executable, "-m", "explorer", *words[1:]]
        if words[0] == ".venv/bin/python":
            return [sys.executable, *words[1:]]
        raise AssertionError(f"the tour test does not know how to run {words[0]!r}")

    def run(self, step: Step) -> list[str]:
        """Run one step; a background step (`... &`) prints a port on its first line, which is mapped."""
        if step.command.endswith("&"):
            process = subprocess.Popen(self.argv(step.command[:-1]), cwd=ROOT, env=self.env(), text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.background.append(process)
            first = process.stdout.readline().strip()
            if step.expected and re.fullmatch(r"\d+", step.expected[0]) and first.isdigit():
                self.ports[int(step.expected[0])] = int(first)
                return step.expected[:1]
            return [first]
        done = subprocess.run(self.argv(step.command), cwd=ROOT, env=self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT_S)
        out = self.unsubstitute(done.stdout)
        return [line.rstrip() for line in out.rstrip("\n").splitlines()]

    def close(self) -> None:
        for process in self.background:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


@pytest.fixture(scope="module")
def tour(tmp_path_factory, model_servers):  # noqa: F811 - the imported fixture
    state = Tour(tmp_path_factory.mktemp("tour"), model_servers)
    yield state
    state.close()


# ----------------------------------------------------------------------------------------------------- comparing

TOKEN = re.compile(r"(?P<time>\d+(?:\.\d+)?(?: ?(?:ms|s))\b)|(?P<num>-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+)")


def _tokens(line: str) -> list[tuple[str, str]]:
    """A line as (kind, text) tokens: 'time', 'num' (a decimal), 'text' (the rest, exact)."""
    out, at = [], 0
    for m in TOKEN.finditer(line):
        if m.start() > at:
            out.append(("text", line[at:m.start()]))
        out.append(("time", "") if m["time"] else ("num", m["num"]))
        at = m.end()
    if at < len(line):
        out.append(("text", line[at:]))
    return out


def line_matches(expected: str, actual: str) -> bool:
    a, b = _tokens(expected), _tokens(actual)
    if len(a) != len(b):
        return False
    for (kind_a, text_a), (kind_b, text_b) in zip(a, b):
        if kind_a != kind_b:
            return False
        if kind_a == "num" and not math.isclose(float(text_a), float(text_b), rel_tol=1e-3, abs_tol=1e-9):
            return False
        if kind_a == "text" and text_a != text_b:
            return False
    return True


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; an expected `...` line matches any number of actual lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(output_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and output_matches(expected[1:], actual[1:])


def test_matching_ignores_timings_and_float_noise_but_nothing_else():
    assert line_matches("TensorFlow import 9028.3 ms · load 356.2 ms", "TensorFlow import 12.0 ms · load 1 ms")
    assert line_matches("  [[0.17700640857219696, 0.8171185255050659]]", "  [[0.177006408, 0.817118525]]")
    assert not line_matches("  [[3.5], [4.0]]", "  [[3.5], [4.5]]")
    assert not line_matches("  123      AVAILABLE  OK", "  124      AVAILABLE  OK")
    assert not line_matches("error: x is float64", "error: x is float32")
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d"]) and output_matches(["a", "...", "b"], ["a", "b"])
    assert not output_matches(["a", "b"], ["a", "b", "extra line the quote does not show"])
    assert not output_matches(["a", "...", "d"], ["a", "b", "c"])


@pytest.mark.parametrize("step", STEPS, ids=[step.id for step in STEPS])
def test_console_step_prints_what_the_docs_quote(step: Step, tour: Tour):
    tour.prepare(PARSED[step.doc])
    actual = tour.run(step)
    if not output_matches(step.expected, actual):
        pytest.fail(f"{step.id}: `{step.command}` printed\n" + "\n".join(actual)
                    + "\n--- but the doc quotes\n" + "\n".join(step.expected), pytrace=False)
