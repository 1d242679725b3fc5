"""gRPC round-trip overhead: GrpcRunner.predict vs a bare PredictionService stub call, side by side, same server.

Baseline: what TF Serving's documentation shows a Python client doing for each call -- build a PredictRequest with
tf.make_tensor_proto, stub.Predict on an open channel, tf.make_ndarray on the output. Ours does the same work plus
what the app needs (model spec from the target, timings, the wire text for "show request", explained errors).
Goal: ours <= 1.1x the baseline. Calls alternate (ours, bare, ours, ...) so load from other processes hits both.

Server: tests/servers/model_server.py (the stand-in for tensorflow_model_server) on 127.0.0.1, serving
saved_model_half_plus_two_cpu; payloads of 3 floats and of 150,528 floats (one 224x224x3 image, 588 KiB).

Run: .venv/bin/python bench/serving_grpc.py [--calls N]
"""
from __future__ import annotations

import os
import sys

# bench/ holds inspect.py (the `inspect` benchmark), which would shadow the stdlib module numpy needs.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from explorer.core.request import Request  # noqa: E402
from explorer.core.runners.grpc import DEFAULT_MAX_MESSAGE_MB, GrpcRunner  # noqa: E402
from tests.servers.launch import start_server  # noqa: E402

MODEL = ROOT / "resources" / "examples" / "tfserving" / "saved_model_half_plus_two_cpu"
GOAL = 1.1


def measure(handle, values: np.ndarray, calls: int) -> tuple[float, float]:
    """(median ms of ours, median ms of the bare stub), alternating calls after a warm-up."""
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    limit = DEFAULT_MAX_MESSAGE_MB * 2**20
    channel = grpc.insecure_channel(f"127.0.0.1:{handle.grpc_port}", options=[
        ("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

    def bare():
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "default"
        request.model_spec.signature_name = "serving_default"
        request.inputs["x"].CopyFrom(tf.make_tensor_proto(values))
        response = stub.Predict(request, timeout=30.0)
        return {k: tf.make_ndarray(v) for k, v in response.outputs.items()}

    runner = GrpcRunner(handle.target("grpc"))
    request = Request("serving_default", {"x": values})

    def ours():
        return runner.predict(request).outputs

    assert np.array_equal(ours()["y"], bare()["y"]), "the two clients disagree"
    for _ in range(5):
        ours(), bare()
    t_ours, t_bare = [], []
    for _ in range(calls):
        for fn, sink in ((ours, t_ours), (bare, t_bare)):
            start = time.perf_counter()
            fn()
            sink.append((time.perf_counter() - start) * 1e3)
    runner.close()
    channel.close()
    return statistics.median(t_ours), statistics.median(t_bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per client and payload (default 200)")
    args = parser.parse_args()
    handle = start_server(MODEL, timeout=180)
    worst = 0.0
    try:
        print(f"gRPC Predict round trip, median of {args.calls} alternating calls, test server on 127.0.0.1")
        print(f"{'payload':<28} {'bare stub ms':>12} {'GrpcRunner ms':>14} {'ratio':>7}")
        for name, values in [("3 floats", np.array([[1.0], [2.0], [5.0]], np.float32)),
                             ("150,528 floats (588 KiB)",
                              np.random.default_rng(0).random((150_528, 1), dtype=np.float32))]:
            ours, bare = measure(handle, values, args.calls)
            ratio = ours / bare
            worst = max(worst, ratio)
            print(f"{name:<28} {bare:>12.3f} {ours:>14.3f} {ratio:>6.2f}x")
    finally:
        handle.stop()
    print(f"goal: <= {GOAL}x -> {'met' if worst <= GOAL else 'NOT met'} (worst {worst:.2f}x)")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
