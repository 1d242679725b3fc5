"""TF Serving REST client benchmarks, printed as ratios against named baselines (measured side by side).

1. Codec: our restjson (orjson + numpy) vs plain `json` + `tolist()` / `np.array(json.loads(...))`, encoding a
   request and decoding a response for a (1, 224, 224, 3) and a (64, 1000) float32 tensor. Goal: >= 5x faster.
2. Round trip: RestRunner.predict vs a bare http.client POST of the same JSON (keep-alive, json.dumps/json.loads)
   to the same test server (tests/servers/model_server.py). Goal: our overhead <= 1.1x.

Run: .venv/bin/python bench/serving.py [--quick]
"""
from __future__ import annotations

import os
import sys

# bench/ holds inspect.py (the `inspect` benchmark), which would shadow the stdlib module numpy needs.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import http.client
import json
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explorer.core import restjson  # noqa: E402
from explorer.core.signature import TensorSpec  # noqa: E402


def best_of(fn, repeat: int) -> float:
    """Fastest of `repeat` runs in ms (the least disturbed by other processes on a shared machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def codec(repeat: int) -> list[tuple]:
    rows = []
    rng = np.random.default_rng(0)
    for shape in ((1, 224, 224, 3), (64, 1000)):
        array = rng.random(shape, dtype=np.float32)
        spec = {"y": TensorSpec("y", "DT_FLOAT", (-1,) + shape[1:], "y:0")}
        enc_ours = best_of(lambda: restjson.encode_predict({"x": array}), repeat)
        enc_json = best_of(lambda: json.dumps({"instances": array.tolist()}).encode(), repeat)
        body = restjson.dumps({"predictions": array})  # the same response body for both decoders
        out = restjson.decode_predict(body, spec)["y"]
        assert np.array_equal(out, array), "our decoder changed values"
        dec_ours = best_of(lambda: restjson.decode_predict(body, spec), repeat)
        dec_json = best_of(lambda: np.array(json.loads(body)["predictions"], dtype=np.float32), repeat)
        rows.append((shape, enc_json, enc_ours, dec_json, dec_ours))
    return rows


def round_trip(repeat: int) -> list[tuple]:
    from explorer.core.request import Request
    from explorer.core.runners.rest import RestRunner
    from tests.servers.launch import start_server

    server = start_server(ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu")
    rows = []
    try:
        runner = RestRunner(server.target())
        runner.signatures()  # metadata once, as a session does
        conn = http.client.HTTPConnection(server.host, server.rest_port, timeout=30)
        path = "/v1/models/default:predict"
        for batch in (1, 1000):
            x = np.linspace(0, 1, batch, dtype=np.float32).reshape(batch, 1)

            def bare():
                conn.request("POST", path, body=json.dumps({"instances": x.tolist()}).encode(),
                             headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                return np.array(json.loads(response.read())["predictions"], dtype=np.float32)

            def ours():
                return runner.predict(Request("serving_default", {"x": x})).outputs["y"]

            assert np.array_equal(bare(), ours())
            for _ in range(5):  # warm both connections and the server's callables
                bare(), ours()
            # interleave so both see the same machine load
            t_bare, t_ours = [], []
            for _ in range(repeat):
                t_bare.append(best_of(bare, 1))
                t_ours.append(best_of(ours, 1))
            rows.append((batch, statistics.median(t_bare), statistics.median(t_ours)))
        conn.close()
        runner.close()
    finally:
        server.stop()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 10
    print("REST JSON codec: json + tolist() (baseline) vs restjson (orjson), best of", repeat)
    for shape, enc_json, enc_ours, dec_json, dec_ours in codec(repeat):
        print(f"  {str(shape):18} encode {enc_json:7.1f} ms -> {enc_ours:6.1f} ms  {enc_json / enc_ours:5.1f}x | "
              f"decode {dec_json:7.1f} ms -> {dec_ours:6.1f} ms  {dec_json / dec_ours:5.1f}x | "
              f"both {(enc_json + dec_json) / (enc_ours + dec_ours):5.1f}x   (goal >= 5x)")
    print("Round trip to the test server: bare http.client + json (baseline) vs RestRunner.predict, median of",
          repeat * 20)
    for batch, t_bare, t_ours in round_trip(repeat * 20):
        print(f"  x[{batch},1]  bare {t_bare:6.2f} ms  RestRunner {t_ours:6.2f} ms  ratio {t_ours / t_bare:4.2f}x"
              "   (goal <= 1.1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
