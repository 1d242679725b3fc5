"""KServe's Python ModelServer (REST and gRPC, Open Inference Protocol) with two numpy models, for tests.

Runs in KServe's own interpreter (tests/servers/v2_servers.py says why), so it imports nothing of the app:
- half_plus_two: y = 0.5 * x + 2 on FP32 x of shape [-1, 1] (TF Serving's test model, computed in numpy);
- echo: every input back as output "<name>_out", whatever its datatype (the datatype conformance test);
- scores: any input in, a fixed (64, 1000) FP32 table out (bench/serving_v2.py).
KServe listens on 0.0.0.0 / [::] by default; the tests' rule is 127.0.0.1 only, so both binds are narrowed here.

    python kserve_model_server.py --http_port P --grpc_port Q [--ssl_cert CERT --ssl_key KEY]
"""
from __future__ import annotations

import argparse
import sys


def _loopback_only(cert: str | None = None, key: str | None = None) -> None:
    import uvicorn
    from grpc import aio

    import kserve.protocol.grpc.server as grpc_server

    config_init = uvicorn.Config.__init__

    def config(self, *args, **kwargs):
        kwargs["host"] = "127.0.0.1"
        if cert:  # https, for the TLS tests
            kwargs.update(ssl_certfile=cert, ssl_keyfile=key)
        config_init(self, *args, **kwargs)

    uvicorn.Config.__init__ = config
    make_server = aio.server

    def server(*args, **kwargs):
        srv = make_server(*args, **kwargs)
        if cert:
            import grpc

            with open(cert, "rb") as c, open(key, "rb") as k:
                credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
            secure = srv.add_secure_port
            srv.add_insecure_port = lambda address: secure(address.replace("[::]", "127.0.0.1"), credentials)
        else:
            add = srv.add_insecure_port
            srv.add_insecure_port = lambda address: add(address.replace("[::]", "127.0.0.1"))
        return srv

    grpc_server.aio.server = server


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http_port", type=int, required=True)
    parser.add_argument("--grpc_port", type=int, required=True)
    parser.add_argument("--ssl_cert")
    parser.add_argument("--ssl_key")
    args = parser.parse_args(argv)
    sys.argv = sys.argv[:1]  # kserve parses the command line itself at import
    _loopback_only(args.ssl_cert, args.ssl_key)
    import numpy as np
    from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer

    class HalfPlusTwo(Model):
        def load(self) -> bool:
            self.ready = True
            return self.ready

        def get_input_types(self):
            return [{"name": "x", "datatype": "FP32", "shape": [-1, 1]}]

        def get_output_types(self):
            return [{"name": "y", "datatype": "FP32", "shape": [-1, 1]}]

        async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
            x = payload.inputs[0].as_numpy().astype(np.float32)
            y = (0.5 * x + 2).astype(np.float32)
            out = InferOutput(name="y", shape=list(y.shape), datatype="FP32")
            out.set_data_from_numpy(y, binary_data=payload.use_binary_outputs)
            return InferResponse(payload.id or "", self.name, [out], use_binary_outputs=payload.use_binary_outputs)

    class Echo(Model):
        def load(self) -> bool:
            self.ready = True
            return self.ready

        async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
            outputs = []
            for item in payload.inputs:
                value = item.as_numpy()
                out = InferOutput(name=f"{item.name}_out", shape=list(value.shape), datatype=item.datatype)
                out.set_data_from_numpy(value, binary_data=payload.use_binary_outputs)
                outputs.append(out)
            return InferResponse(payload.id or "", self.name, outputs, use_binary_outputs=payload.use_binary_outputs)

    class Scores(Model):
        """bench/serving_v2.py: any input in, a fixed (64, 1000) FP32 score table out."""

        scores = np.random.default_rng(0).random((64, 1000), dtype=np.float32)

        def load(self) -> bool:
            self.ready = True
            return self.ready

        async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
            out = InferOutput(name="scores", shape=[64, 1000], datatype="FP32")
            out.set_data_from_numpy(self.scores, binary_data=payload.use_binary_outputs)
            return InferResponse(payload.id or "", self.name, [out], use_binary_outputs=payload.use_binary_outputs)

    models = [HalfPlusTwo("half_plus_two"), Echo("echo"), Scores("scores")]
    for model in models:
        model.load()
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port, workers=1, enable_grpc=True).start(models)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
