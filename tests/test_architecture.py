"""Dependencies point one way (ui -> core, cli -> core) and core loads neither Qt nor TensorFlow when imported."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "explorer"
HEAVY = ("PySide6", "shiboken6", "pyqtgraph", "tensorflow", "keras")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(sub: str) -> list[str]:
    return sorted(module_name(p) for p in (PACKAGE / sub).rglob("*.py"))


CORE_MODULES = modules_under("core")

IMPORT_CHECK = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:]))))
"""


def loaded_after_import(module: str, watched=HEAVY) -> list[str]:
    """Top-level packages among `watched` that importing `module` in a fresh interpreter loads."""
    done = subprocess.run([sys.executable, "-c", IMPORT_CHECK, module, *watched], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, f"importing {module} failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_explorer_core_is_light():
    assert loaded_after_import("explorer.core") == []
    assert loaded_after_import("explorer.core.dtypes", ("explorer", "numpy")) == ["explorer"]  # the probe works


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_loads_neither_qt_nor_tensorflow(module):
    assert loaded_after_import(module) == [], f"{module} must import TensorFlow/Qt lazily, inside functions"


def test_reader_loads_neither_numpy_nor_protobuf():
    """`inspect` starts in tens of milliseconds because the reader needs neither (bench/inspect.py)."""
    assert loaded_after_import("explorer.core.savedmodel", ("numpy", "google", *HEAVY)) == []
    assert loaded_after_import("explorer.cli", ("numpy", "google", *HEAVY)) == []


# --- static: what each module imports, wherever in the module --------------------------------------------------

def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[str, int, bool]]:
    """(absolute module name, line, at module level) for every import statement of `source`."""
    package = module if is_package else module.rpartition(".")[0]
    found = []

    def visit(node, top_level):
        for child in ast.iter_child_nodes(node):
            nested = top_level and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports never run
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, top_level) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    anchor = ".".join(parts[: len(parts) - child.level + 1])
                    base = f"{anchor}.{base}" if base else anchor
                names = [f"{base}.{a.name}" for a in child.names] if not child.module or child.level else [base]
                found.extend((n, child.lineno, top_level) for n in names)
            visit(child, nested)

    visit(ast.parse(source), True)
    return found


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def violations(layer: str, forbidden: tuple[str, ...], top_level_only: tuple[str, ...] = ()) -> list[str]:
    out = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for target, line, top in imports_of(path.read_text(), module_name(path), path.name == "__init__.py"):
            if _matches(target, forbidden) or (top and _matches(target, top_level_only)):
                out.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return out


def _matches(target: str, prefixes) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def test_core_imports_no_ui_cli_or_qt():
    assert violations("core", ("explorer.ui", "explorer.cli", "PySide6", "shiboken6", "pyqtgraph"),
                      top_level_only=("tensorflow", "keras")) == []


def test_ui_imports_no_cli():
    assert violations("ui", ("explorer.cli",)) == []


def test_import_scanner_sees_every_form():
    """The scanner itself: relative, absolute, nested and typing-only imports are resolved as Python would."""
    source = (
        "from ..ui import widgets\n"
        "from ..cli.inspect import run\n"
        "import PySide6.QtCore\n"
        "from . import dtypes\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import pyqtgraph\n"
        "def run():\n    import tensorflow as tf\n"
        "try:\n    import keras\nexcept ImportError:\n    pass\n"
    )
    found = {(target, top) for target, _, top in imports_of(source, "explorer.core.savedmodel")}
    assert ("explorer.ui.widgets", True) in found
    assert ("explorer.cli.inspect.run", True) in found
    assert ("PySide6.QtCore", True) in found
    assert ("explorer.core.dtypes", True) in found
    assert ("tensorflow", False) in found and ("keras", True) in found
    assert not any(t.startswith("pyqtgraph") for t, _ in found)
    init = {t for t, _, _ in imports_of("from .base import Runner\nfrom .. import errors\n",
                                        "explorer.core.runners", is_package=True)}
    assert init == {"explorer.core.runners.base.Runner", "explorer.core.errors"}


def _calls_to(source: str, dotted: str) -> list[int]:
    """Lines calling `dotted` (e.g. "gc.collect"), as written."""
    owner, name = dotted.rsplit(".", 1)
    return [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == name
            and isinstance(node.func.value, ast.Name) and node.func.value.id == owner]


def test_garbage_is_collected_on_the_gui_thread_only():
    """Rule (issue 13, item 17): a Qt object is never destroyed off the GUI thread. The cyclic collector runs in
    whichever thread allocates, so the app turns automatic collection off and collects on a GUI timer
    (ui/collector.py), and no other module collects or turns collection back on. Workers keep no Qt object alive
    past their call (tests/ui/test_workers.py checks that at run time)."""
    app = (PACKAGE / "ui" / "app.py").read_text()
    assert _calls_to(app, "collector.collect_on_gui_thread") or "collect_on_gui_thread()" in app
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "ui" / "collector.py":
            continue
        source = path.read_text()
        for dotted in ("gc.collect", "gc.enable"):
            offenders += [f"{path.relative_to(ROOT)}:{line} calls {dotted}" for line in _calls_to(source, dotted)]
    assert offenders == []
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    assert _calls_to(conftest, "gc.disable"), "the test suite must collect on the main thread too"


THREAD_STARTERS = {"Thread", "Timer", "start_new_thread", "ThreadPoolExecutor", "QThread", "QThreadPool"}


def test_the_windows_threads_start_where_the_collector_is_installed():
    """Rule (issue 13, item 17), the half that create_app() alone missed: the widgets' quick looks start a bare
    QApplication, and there a collection started by a pool thread deadlocked as before (tests/stress/README.md).
    So the window's threads start in ui/workers.py only, and its Worker installs the GUI-thread collector before it
    takes a pool, however Qt was started."""
    workers = PACKAGE / "ui" / "workers.py"
    tree = ast.parse(workers.read_text())
    init = next(f for c in tree.body if isinstance(c, ast.ClassDef) and c.name == "Worker"
                for f in c.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    calls = {n.func.id: n.lineno for n in ast.walk(init) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "collect_on_gui_thread" in calls and "shared_executor" in calls
    assert calls["collect_on_gui_thread"] < calls["shared_executor"], "the collector goes in before the threads"
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        if path == workers:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name in THREAD_STARTERS:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} starts a thread with {name}")
    assert offenders == []


def test_the_window_imports_tensorflow_only_in_its_engine():
    """The window's models run in the engine process (explorer.core.engine): no ui module imports TensorFlow or
    the in-process runner, even inside a function. tests/ui/test_engine_window.py checks the running window too."""
    assert violations("ui", ("tensorflow", "keras", "explorer.core.runners.local")) == []
    engine_modules = {module_name(p) for p in (PACKAGE / "core" / "engine").rglob("*.py")}
    assert engine_modules >= {"explorer.core.engine.client", "explorer.core.engine.process"}
    assert loaded_after_import("explorer.core.engine.client", ("numpy", *HEAVY)) == []  # light for the first screen
