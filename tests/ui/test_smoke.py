"""`python -m explorer.ui.app --smoke-test`: opens the demo model offscreen, predicts once, one line, exit 0/1."""
import os
import re
import subprocess
import sys
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parents[2]
REAL_CONFIG = Path(platformdirs.user_config_dir("signature-explorer", appauthor=False))


def run_app(*args, env=None, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-m", "explorer.ui.app", "--smoke-test", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_smoke_test_predicts_the_demo_model_and_exits_0(tmp_path):
    out = run_app(env={"SIGNATURE_EXPLORER_CONFIG_DIR": str(tmp_path / "cfg")})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    assert re.fullmatch(r"smoke test ok: demo_model serving_default via (local|session): probabilities \(1, 10\) "
                        r"float32; read \d+ ms, .*predict \d+ ms.*, total [\d.]+ s", lines[0]), lines[0]


def test_smoke_test_of_a_bad_path_says_why_in_one_line_and_exits_1(tmp_path):
    before = REAL_CONFIG.exists() and REAL_CONFIG.stat().st_mtime_ns
    env = {k: v for k, v in os.environ.items() if k != "SIGNATURE_EXPLORER_CONFIG_DIR"}
    env.update(QT_QPA_PLATFORM="offscreen")
    # Without a config dir of its own, the smoke test must still leave the user's settings alone.
    out = subprocess.run([sys.executable, "-m", "explorer.ui.app", "--smoke-test", str(tmp_path / "nothing")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smoke test FAILED: "), out.stdout
    assert f"{tmp_path / 'nothing'} does not exist" in lines[0]
    assert (REAL_CONFIG.exists() and REAL_CONFIG.stat().st_mtime_ns) == before
