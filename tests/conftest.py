"""Test-wide setup: Qt offscreen before it loads, settings in a temp dir, and shared model paths."""
import faulthandler
import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # without a display pytest would abort (docs/ARCHITECTURE.md)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Test modules import the model generators as `modelgen` and the servers as `tests.servers...`; importlib mode
# leaves sys.path alone, so both roots are put there explicitly.
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
# TF Serving's test models and REST exchanges, copied into the repo with their licence (resources/examples/tfserving/NOTICE).
SHARED_MODELS = ROOT / "resources" / "examples" / "tfserving"
FIXTURES = ROOT / "tests" / "data" / "tfserving_rest"


# Cyclic garbage is collected on the main thread only, between tests (the app does it on a GUI timer,
# explorer/ui/collector.py): a collection that starts on a worker thread destroys the Qt objects of a collected
# cycle there, which deadlocked this suite (issue 13, item 17).
_THRESHOLD = gc.get_threshold()
gc.disable()


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    yield
    counts = gc.get_count()
    for generation in (2, 1, 0):  # the oldest due generation collects the younger ones with it
        if counts[generation] > _THRESHOLD[generation]:
            gc.collect(generation)
            break


@pytest.fixture(autouse=True)
def _hang_watchdog(request):
    """Ends the run when a test outlives its timeout by a minute while the GIL is held (a deadlock in C code that
    pytest-timeout's thread cannot interrupt): faulthandler's C thread dumps every stack and exits."""
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(request.config.getini("timeout") or 900)
    faulthandler.dump_traceback_later(limit + 60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Every test gets its own config dir: tests never touch the user's real settings."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("SIGNATURE_EXPLORER_CONFIG_DIR", str(config))
    return config


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.fail(f"example models missing at {SHARED_MODELS}: they ship in the repo's resources/ folder")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def rest_fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tflite_models(tmp_path_factory) -> dict:
    """tests/modelgen.tflite_set: a two-signature SavedModel (-1 batch) as float, dynamic and int8 .tflite, and a
    Flex-op model; built once per run (about 6 s)."""
    import modelgen

    return modelgen.tflite_set(tmp_path_factory.mktemp("tflite"))


@pytest.fixture(scope="session")
def unsafe_corpus(tmp_path_factory):
    """The dangerous models of tests/unsafe_models.py, the safe twin and the vocab model: name -> (folder, canary).
    Built once per run with TensorFlow (a few seconds) and shared by the core, CLI and window tests."""
    import unsafe_models

    return unsafe_models.build_corpus(tmp_path_factory.mktemp("unsafe"))


@pytest.fixture(autouse=True)
def _no_consent_left_over():
    """A test that agreed to run a dangerous model must not leave that consent to the next test of the process."""
    yield
    from explorer.core import scan

    scan.forget_in_process()
