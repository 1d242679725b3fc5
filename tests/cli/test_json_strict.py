"""--json answers are strict JSON: a default holding NaN or an infinity reads as text, not as a bare NaN token."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _refuse(token):
    raise ValueError(f"bare {token} in --json output")


@pytest.fixture(scope="module")
def nan_defaults(tmp_path_factory):
    import tensorflow as tf

    class Module(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([2], tf.float32)])
        def serve(self, x, scale=tf.constant([float("nan"), float("inf")], tf.float32)):
            return {"y": x * scale[0] + scale[1]}

    path = tmp_path_factory.mktemp("nan") / "1"
    module = Module()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def test_inspect_json_writes_non_finite_defaults_as_text(nan_defaults):
    done = subprocess.run([sys.executable, "-m", "explorer", "inspect", "--json", str(nan_defaults)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout, parse_constant=_refuse)
    text = json.dumps(data)
    assert '"nan"' in text and '"inf"' in text
