"""diagnose: the plain-numpy analysis, probe packing, and each verdict on models generated with TensorFlow."""
import subprocess
import sys

import numpy as np
import pytest

import modelgen
from explorer.core import diagnose as dg
from explorer.core.errors import RunError
from explorer.core.output_stats import analyse_output, analyse_outputs
from explorer.core.probes import MAX_BYTES_PER_CALL, MAX_ROWS_PER_CALL, build_probes, plan_for
from explorer.core.signature import Signature, TensorSpec
from explorer.core.targets import open_runner
from explorer.core.verdict import input_scale, verdict_for


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("diagnose_models")
    collapsed, healthy = modelgen.classifier_pair(out)
    return {"collapsed": collapsed, "healthy": healthy, "ignores": modelgen.ignores_input(out),
            "saturating": modelgen.saturating(out), "fixed": modelgen.fixed_batch(out)}


class Recording:
    """A real runner, wrapped to record the batch shape of every request it was sent."""

    def __init__(self, runner):
        self.runner, self.sent = runner, []
        self.engine, self.target = runner.engine, runner.target

    def signatures(self):
        return self.runner.signatures()

    def predict(self, request, progress=None):
        self.sent.append({k: np.shape(v) for k, v in request.inputs.items()})
        return self.runner.predict(request)


def causes(d, severity=None):
    return {c.cause for c in d.causes if severity is None or c.severity == severity}


# --- the analysis on plain arrays -----------------------------------------------------------------------------


def test_analysis_identical_and_nearly_identical_outputs():
    groups = ["base"] + ["unit"] * 9
    same = np.tile([[0.2, 0.3, 0.5]], (10, 1))
    stats = analyse_output("p", same, groups)
    assert stats.identical and stats.exact and stats.spread == 0 and stats.max_distance == 0
    nearly = same + np.random.default_rng(0).standard_normal(same.shape) * 1e-7
    stats = analyse_output("p", nearly, groups)
    assert stats.identical and not stats.exact
    varied = np.random.default_rng(1).random((10, 3))
    stats = analyse_output("p", varied, groups)
    assert not stats.identical and stats.spread > 0.1 and stats.max_distance > 0.1


def test_analysis_sensitivity_saturation_nan_and_argmax():
    rng = np.random.default_rng(2)
    groups = ["base"] + ["sweep:a"] * 4 + ["sweep:b"] * 4 + ["unit"] * 6 + ["byte"] * 6
    logits = rng.standard_normal((21, 3))
    logits[5:9] = logits[0]  # the sweep of b does not move the output
    logits[15:] = np.array([0.0, 0.0, 500.0]) + logits[15:]  # 0..255 draws pin the softmax at class 2
    soft = np.exp(logits - logits.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    stats = analyse_output("p", soft, groups, input_keys=("a", "b"))
    assert stats.insensitive_to == ("b",)
    assert stats.sensitivity["a"] > 0.01 and stats.sensitivity["b"] == 0
    assert stats.saturation == "softmax"
    assert stats.saturated_by_group["byte"] == 1.0 and stats.saturated_by_group["unit"] < 0.5
    assert stats.argmax_by_group["byte"] is True and stats.argmax_constant is False
    assert stats.identical_by_group["byte"]
    broken = soft.copy()
    broken[3, 1] = np.nan
    broken[4, 0] = np.inf
    stats = analyse_output("p", broken, groups)
    assert (stats.nan, stats.inf) == (1, 1)


def test_verdicts_from_plain_statistics():
    groups = ["base"] + ["sweep:x"] * 4 + ["unit"] * 5 + ["byte"] * 5
    flat = {"y": np.ones((15, 2))}
    stats = analyse_outputs(flat, groups, ("x",))
    verdict, found = verdict_for(stats, ("x",), flat, groups)
    assert verdict == "identical" and "collapsed_model" in {c.cause for c in found}
    moving = {"y": np.random.default_rng(3).random((15, 2))}
    stats = analyse_outputs(moving, groups, ("x",), repeat={"y": moving["y"][0] + 1}, base={"y": moving["y"][0]})
    verdict, found = verdict_for(stats, ("x",), moving, groups)
    assert verdict == "stateful" and "stateful" in {c.cause for c in found}
    stats = analyse_outputs(moving, groups, ("x",), repeat={"y": moving["y"][0]}, base={"y": moving["y"][0]})
    assert verdict_for(stats, ("x",), moving, groups) == ("ok", [])


def test_input_scale_reads_the_users_data():
    assert input_scale({"x": np.array([[0, 128, 255]], np.float32)}) == "byte"
    assert input_scale({"x": np.array([[0.1, 0.9]], np.float32)}) == "unit"
    assert input_scale({"t": np.array([b"a"], object)}) is None


# --- packing --------------------------------------------------------------------------------------------------


def spec(key, shape, dtype="DT_FLOAT"):
    return TensorSpec(key, dtype, shape, f"{key}:0")


def test_plan_follows_the_signature():
    batch = Signature("s", "tensorflow/serving/predict", {"a": spec("a", (-1, 4)), "b": spec("b", (-1, 2, 3))})
    plan = plan_for(batch)
    assert plan.mode == "batch" and plan.rows == MAX_ROWS_PER_CALL
    assert plan.unit_shapes == {"a": (4,), "b": (2, 3)}
    assert plan_for(Signature("s", "", {"x": spec("x", (32, 5))})).mode == "fixed"
    assert plan_for(Signature("s", "", {"x": spec("x", (32, 5))})).rows == 32
    assert plan_for(Signature("s", "", {"x": spec("x", (1,))})).mode == "single"
    assert plan_for(Signature("s", "", {"x": spec("x", ())})).mode == "single"
    assert plan_for(Signature("s", "", {})).mode == "single"
    mixed = Signature("s", "", {"x": spec("x", (-1, 3)), "scale": spec("scale", ())})
    assert plan_for(mixed).mode == "single"
    # Big rows: fewer per call, so one request stays under the byte cap.
    images = Signature("s", "", {"x": spec("x", (-1, 512, 512, 3))})
    assert plan_for(images).rows * 512 * 512 * 3 * 4 <= MAX_BYTES_PER_CALL


def test_probes_cover_scales_sweeps_and_a_repeat():
    sig = Signature("s", "tensorflow/serving/predict", {"a": spec("a", (-1, 4)), "ids": spec("ids", (-1, 3), "DT_INT64")})
    probes = build_probes(sig, 64)
    assert 60 <= len(probes) <= 68
    kinds = {p.kind for p in probes}
    assert {"base", "zeros", "ones", "perturb", "sweep", "random", "repeat"} <= kinds
    assert {p.group for p in probes} >= {"sweep:a", "sweep:ids", "unit", "normal", "byte"}
    assert probes[-1].kind == "repeat" and all(np.array_equal(probes[-1].inputs[k], probes[0].inputs[k]) for k in "a")
    byte = [p for p in probes if p.group == "byte"]
    assert max(float(p.inputs["a"].max()) for p in byte) > 100
    assert all(p.inputs["ids"].dtype == np.int64 and p.inputs["ids"].max() < 10 for p in probes)
    sweep_a = [p for p in probes if p.group == "sweep:a"]
    assert all(np.array_equal(p.inputs["ids"], probes[0].inputs["ids"]) for p in sweep_a)
    assert not all(np.array_equal(p.inputs["a"], probes[0].inputs["a"]) for p in sweep_a)


def test_user_input_is_the_base_and_is_perturbed():
    sig = Signature("s", "tensorflow/serving/predict", {"x": spec("x", (-1, 2))})
    current = {"x": np.array([[10.0, 20.0], [30.0, 40.0]], np.float32)}
    probes = build_probes(sig, 20, current=current)
    assert probes[0].label == "your input" and probes[0].inputs["x"].tolist() == [10.0, 20.0]
    assert probes[1].inputs["x"].tolist() == [30.0, 40.0]
    perturbed = [p.inputs["x"] for p in probes if p.kind == "perturb"]
    assert all(np.allclose(p, [10, 20], rtol=0.5) and not np.array_equal(p, [10, 20]) for p in perturbed)


# --- verdicts on real models --------------------------------------------------------------------------------------


def test_collapsed_model_is_identical_and_named(models):
    d = dg.diagnose(open_runner(models["collapsed"]), probes=48)
    assert d.verdict == "identical"
    assert "collapsed_model" in causes(d, "error")
    out = d.outputs["probabilities"]
    assert out.identical and out.spread < 1e-6
    assert d.mode == "batch" and d.calls == 2  # 47 probes in one call, the repeat in its own
    assert d.values["probabilities"].shape == (47, 3)


def test_healthy_twin_is_ok(models):
    d = dg.diagnose(open_runner(models["healthy"]), probes=48)
    assert d.verdict == "ok", d.causes
    assert not causes(d, "error")
    out = d.outputs["probabilities"]
    assert not out.identical and out.spread > 0.05 and out.insensitive_to == ()
    assert out.sensitivity["x"] > 0.05


def test_ignored_input_is_named(models):
    d = dg.diagnose(open_runner(models["ignores"]), probes=48)
    assert d.verdict == "insensitive"
    assert d.outputs["probabilities"].insensitive_to == ("extra",)
    ignored = [c for c in d.causes if c.cause == "ignored_input"]
    assert len(ignored) == 1 and "extra" in ignored[0].title
    assert d.to_dict()["outputs"]["probabilities"]["insensitive_to"] == ["extra"]


def test_an_input_gated_off_at_the_users_input_is_not_called_ignored(tmp_path):
    # y = sum(x) * gate, probed around the form's all-zero default: at gate = 0 the sweep of x is flat, and the
    # check said "input x is ignored" with a fix to wire x into the model. x is used wherever gate is not 0.
    runner = open_runner(modelgen.gated_sum(tmp_path))
    zeros = {"x": np.zeros((1, 3), np.float32), "gate": np.zeros((1, 1), np.float32)}
    d = dg.diagnose(runner, probes=48, current=zeros)
    assert "ignored_input" not in causes(d) and d.verdict == "ok", d.causes
    assert d.outputs["y"].insensitive_to == () and d.outputs["y"].sensitivity["x"] > 0.05
    # A key the model really ignores is still named around the user's input (the sweeps at both bases are flat).
    d = dg.diagnose(open_runner(modelgen.ignores_input(tmp_path)), probes=48,
                    current={"x": np.full((1, 8), 0.5, np.float32), "extra": np.zeros((1, 4), np.float32)})
    assert d.outputs["probabilities"].insensitive_to == ("extra",) and "ignored_input" in causes(d)


def test_a_uint8_image_input_is_probed_over_its_range(tmp_path):
    # uint8 inputs were swept at 0..2 and 0..10, like integer ids: a model that divides its pixels by 255 moved
    # by 0.0002 and its image input was called ignored.
    d = dg.diagnose(open_runner(modelgen.uint8_image_and_bias(tmp_path)), probes=48)
    assert "ignored_input" not in causes(d) and d.verdict == "ok", d.causes
    assert d.outputs["y"].insensitive_to == ()
    sweeps = [p.inputs["image"] for p in d.probes if p.group == "sweep:image"]
    assert sweeps and max(int(s.max()) for s in sweeps) > 200


def test_saturating_model_names_preprocessing(models):
    raw = np.random.default_rng(7).integers(0, 256, (4, 16)).astype(np.float32)  # what the user sends: pixels
    d = dg.diagnose(open_runner(models["saturating"]), probes=48, current={"x": raw})
    assert d.verdict == "identical"
    assert "preprocessing_mismatch" in causes(d, "error")
    assert d.outputs["probabilities"].identical_by_group["byte"]
    assert not d.outputs["probabilities"].identical_by_group["unit"]
    # Normalised input: the same model is fine, and says so.
    d = dg.diagnose(open_runner(models["saturating"]), probes=48, current={"x": raw / 255.0})
    assert d.verdict == "ok" and "preprocessing_mismatch" not in causes(d)
    # No input given: a warning for whoever sends raw pixels, not a verdict.
    d = dg.diagnose(open_runner(models["saturating"]), probes=48)
    assert d.verdict == "ok" and "preprocessing_mismatch" in causes(d, "warning")


def test_counter_is_stateful(shared_models):
    runner = open_runner(shared_models / "saved_model_counter", engine="session")
    d = dg.diagnose(runner, "incr_counter", probes=16)
    assert d.verdict == "stateful" and "stateful" in causes(d, "error")
    d = dg.diagnose(runner, "incr_counter_by", probes=16)
    assert d.verdict == "stateful"
    d = dg.diagnose(runner, "get_counter", probes=16)  # reading the counter does not change it
    assert d.verdict == "identical" and "no_inputs" in causes(d) and "stateful" not in causes(d)


def test_fixed_batch_is_sent_in_exact_chunks(models):
    runner = Recording(open_runner(models["fixed"]))
    d = dg.diagnose(runner, probes=70)
    assert d.mode == "fixed"
    assert all(shapes["x"] == (32, 5) for shapes in runner.sent)
    assert d.calls == len(runner.sent) == 3 + 1  # 69 probes in 3 chunks of 32, the repeat padded to 32
    assert d.values["y"].shape == (69, 2) and d.verdict == "ok"


def test_one_row_signature_forces_single_calls(shared_models):
    runner = Recording(open_runner(shared_models / "saved_model_half_plus_two_tf2_cpu"))
    d = dg.diagnose(runner, "regress_x2_to_y3", probes=16)
    assert d.mode == "single" and all(s["inputs"] == (1,) for s in runner.sent)
    assert d.calls == len(runner.sent) == 16 and d.verdict == "ok"


def test_string_inputs_are_probed_with_generated_examples(shared_models):
    runner = Recording(open_runner(shared_models / "saved_model_half_plus_two_cpu"))
    d = dg.diagnose(runner, "classify_x_to_y", probes=24)
    assert d.verdict == "ok" and d.calls == 2
    assert d.outputs["scores"].sensitivity["inputs"] > 0.01
    # y = 0.5 x + 2 on the generated feature x: zeros give 2, ones give 2.5
    zeros = [i for i, p in enumerate(d.probes) if p.kind == "zeros"][0]
    assert d.values["scores"][zeros].tolist() == [2.0]
    d = dg.diagnose(open_runner(shared_models / "saved_model_half_plus_two_cpu"), "classify_x_to_y", probes=24,
                    examples=[{"x": [3.0]}])
    assert d.values["scores"][0].tolist() == [3.5]


def test_progress_and_cancel(models):
    runner = open_runner(models["fixed"])
    seen = []
    dg.diagnose(runner, probes=70, progress=lambda f, t: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    calls = []
    counting = Recording(runner)
    with pytest.raises(dg.DiagnosisCancelled):
        dg.diagnose(counting, probes=70, cancelled=lambda: len(counting.sent) >= 1)
    assert len(counting.sent) == 1  # checked between calls: the second never went out
    del calls


def test_unknown_signature_is_a_clear_error(models):
    with pytest.raises(RunError, match="has no signature 'nope'. Available: .*serving_default"):
        dg.diagnose(open_runner(models["healthy"]), "nope")


def test_importing_diagnose_loads_neither_tensorflow_nor_qt():
    code = "import sys, explorer.core.diagnose; print('tensorflow' in sys.modules, 'PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- against a server ---------------------------------------------------------------------------------------------

from tests.servers.fixtures import *  # noqa: E402,F401,F403  (contract D: the session's shared server pool)


@pytest.fixture(scope="module")
def versions_base(tmp_path_factory):
    return modelgen.two_versions(tmp_path_factory.mktemp("diagnose_versions"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rest", "grpc"])
def test_server_pinned_to_an_old_version_is_named(model_servers, versions_base, kind):
    server = model_servers.get(str(versions_base), "clf", "specific:1")
    d = dg.diagnose(open_runner(server.target(kind)), probes=32, compare_local=str(versions_base))
    found = {c.cause: c for c in d.causes}
    assert "stale_version" in found and "version 1, not 2" in found["stale_version"].title
    assert "pinned_version" in found and "newest is 2" in found["pinned_version"].evidence
    assert d.compared["matches"] == 1 and d.compared["outputs_agree"] == {"2": False, "1": True}
    assert d.to_dict()["compared"]["versions"] == [2, 1]


@pytest.mark.slow
def test_server_agreeing_with_the_folder_is_ok(model_servers, versions_base):
    server = model_servers.get(str(versions_base), "clf", "specific:1")
    d = dg.diagnose(open_runner(server.target("rest")), probes=32, compare_local=str(versions_base / "1"))
    assert d.verdict == "ok" and d.compared["outputs_agree"] == {"None": True}
    assert not {"stale_version", "pinned_version", "other_model", "caching"} & causes(d)


@pytest.mark.slow
def test_server_with_another_model_is_named(model_servers, models, versions_base):
    server = model_servers.get(str(versions_base), "clf", "specific:1")
    d = dg.diagnose(open_runner(server.target("rest")), probes=32, compare_local=str(models["healthy"]))
    assert "other_model" in causes(d, "error") and d.compared["matches"] is None


class CachingProxy:
    """A real HTTP proxy in front of the test server that caches POST answers by URL, ignoring the body -- the
    misconfigured gateway behind many "TF Serving returns the same output" reports."""

    def __init__(self, upstream_port):
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        cache = {}

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                if method == "POST" and self.path in cache:
                    status, data = cache[self.path]
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                    conn.request(method, self.path, body=body, headers={"Content-Type": "application/json"})
                    response = conn.getresponse()
                    status, data = response.status, response.read()
                    conn.close()
                    if method == "POST" and status == 200:
                        cache[self.path] = (status, data)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
def test_caching_proxy_is_named(model_servers, versions_base):
    server = model_servers.get(str(versions_base), "clf", "specific:1")
    proxy = CachingProxy(server.rest_port)
    try:
        d = dg.diagnose(open_runner(f"rest://127.0.0.1:{proxy.port}/clf"), probes=32)
    finally:
        proxy.close()
    assert "caching" in causes(d, "error") and d.verdict == "identical"
