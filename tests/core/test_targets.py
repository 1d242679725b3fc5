"""parse_target: folders, rest:// and grpc:// endpoints, pasted TF Serving URLs; open_runner for folders."""
from __future__ import annotations

import pytest

from explorer.core.errors import ExplorerError, ModelReadError
from explorer.core.runners.local import LocalRunner
from explorer.core.targets import Target, open_runner, parse_target


@pytest.mark.parametrize("text, expected", [
    ("rest://localhost:8501/half", Target("rest", host="localhost", port=8501, model="half")),
    ("grpc://10.0.0.5:9000/half/versions/123", Target("grpc", host="10.0.0.5", port=9000, model="half", version=123)),
    ("REST://host:1/m/labels/stable", Target("rest", host="host", port=1, model="m", label="stable")),
    ("rest://localhost/half", Target("rest", host="localhost", port=8501, model="half")),
    ("grpc://[::1]:8500/m", Target("grpc", host="::1", port=8500, model="m")),
    ("http://127.0.0.1:8501/v1/models/half_plus_two/versions/2:predict",
     Target("rest", host="127.0.0.1", port=8501, model="half_plus_two", version=2)),
    # Pasted URLs take the scheme's default port, as curl and browsers do (issue 11), and a gateway's path prefix.
    ("https://serving.example/v1/models/m/metadata", Target("rest", host="serving.example", port=443, model="m", tls=True)),
    ("http://serving.example/v1/models/m:predict", Target("rest", host="serving.example", port=80, model="m")),
    ("https://gw/tfserving/v1/models/m", Target("rest", host="gw", port=443, model="m", tls=True, prefix="/tfserving")),
    ("http://gw:8080/a/b/v1/models/m/versions/3", Target("rest", host="gw", port=8080, model="m", version=3,
                                                           prefix="/a/b")),
])
def test_endpoints(text, expected):
    assert parse_target(text) == expected


def test_url_round_trips():
    for text in ("rest://h:8501/m", "grpc://h:8500/m/versions/7", "rest://h:1/m/labels/canary",
                 "https://gw:443/tfserving/v1/models/m/versions/2", "http://gw:80/a/b/v1/models/m"):
        assert parse_target(text).url() == text
        assert parse_target(parse_target(text).url()) == parse_target(text)


def test_folders(tmp_path):
    assert parse_target(str(tmp_path)) == Target("folder", path=str(tmp_path))
    assert parse_target(f"file://{tmp_path}").path == str(tmp_path)
    assert parse_target("~/models/x").path.endswith("/models/x") and "~" not in parse_target("~/models/x").path
    assert parse_target(str(tmp_path)).url() == str(tmp_path)


@pytest.mark.parametrize("text, words", [
    ("rest://host:8501", "rest://HOST:PORT/MODEL"),
    ("grpc://host:8500/m/versions/x", "/versions/N"),
    ("rest://host:99999/m", "out of range"),
    ("ftp://host/m", "neither a folder nor an endpoint"),
    ("http://host:8501/models/m", "rest://HOST:PORT/MODEL"),
    ("   ", "No model given"),
])
def test_malformed_targets_say_what_is_accepted(text, words):
    with pytest.raises(ExplorerError) as err:
        parse_target(text)
    assert words in str(err.value) + " " + err.value.fix


def test_open_runner_for_a_folder(shared_models):
    runner = open_runner(str(shared_models / "saved_model_half_plus_two_2_versions"), engine="session", version=123)
    assert isinstance(runner, LocalRunner)
    assert runner.info.version == 123 and runner.requested_engine == "session"
    assert "classify_x2_to_y3" in runner.signatures()
    newest = open_runner(Target("folder", path=str(shared_models / "saved_model_half_plus_two_2_versions")))
    assert newest.info.version == 124 and newest.engine == "auto"


def test_open_runner_refuses_mismatched_engines(shared_models):
    with pytest.raises(ExplorerError, match="cannot run a model folder"):
        open_runner(str(shared_models / "matrix_half_plus_two"), engine="rest")
    with pytest.raises(ExplorerError, match="runs on the server"):
        open_runner("rest://localhost:8501/m", engine="session")
    with pytest.raises(ModelReadError):
        open_runner(str(shared_models / "no_such_model"))


def test_ipv6_endpoints_round_trip_with_brackets():
    from explorer.core.runners.rest import RestRunner
    from explorer.core.targets import endpoint_url, host_port

    assert host_port("::1", 8500) == "[::1]:8500" and host_port("localhost", 8500) == "localhost:8500"
    for scheme in ("rest", "grpc"):
        text = endpoint_url(scheme, "::1", 9, "m", version=2)
        assert text == f"{scheme}://[::1]:9/m/versions/2"
        target = parse_target(text)
        assert (target.host, target.port, target.model, target.version) == ("::1", 9, "m", 2)
        assert target.url() == text
    assert RestRunner("rest://[::1]:9/m").base_url == "http://[::1]:9"
