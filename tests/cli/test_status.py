"""`signature-explorer status` and `inspect` against a running test server (real HTTP and gRPC)."""
from __future__ import annotations

import json
import shutil

import pytest

from explorer.cli import main
from explorer.core.savedmodel import read_model
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TWO_VERSIONS
from tests.servers.launch import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def broken_version_server(model_servers, tmp_path_factory):
    """Version 1 loads; version 2 is a corrupt saved_model.pb, so TF Serving ends it with the loader's error."""
    base = tmp_path_factory.mktemp("broken_base")
    shutil.copytree(MODELS / "saved_model_half_plus_three" / "00000123", base / "1")
    (base / "2").mkdir()
    (base / "2" / "saved_model.pb").write_bytes(b"this is not a protobuf")
    return model_servers.get(str(base), "flaky", "all")


def test_status_lists_versions_and_states(all_versions_server, capsys):
    assert main(["status", all_versions_server.target()]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == all_versions_server.target()
    assert out[2].split() == ["124", "AVAILABLE", "OK"] and out[3].split() == ["123", "AVAILABLE", "OK"]
    assert "serving 124" in out[4]


def test_status_json_and_a_label(all_versions_server, capsys):
    assert main(["status", all_versions_server.target(suffix="/labels/stable"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["versions"] == [{"version": 123, "state": "AVAILABLE", "error_code": "OK", "error_message": ""}]


def test_status_shows_a_version_that_failed_to_load(broken_version_server, capsys):
    assert main(["status", broken_version_server.target()]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[2:4]}
    assert "END" in rows["2"] and "OK" not in rows["2"] and "AVAILABLE" in rows["1"]
    assert "serving 1 when no version is named" in out


def test_status_over_grpc(all_versions_server, capsys):
    assert main(["status", all_versions_server.target("grpc")]) == 0
    assert "124" in capsys.readouterr().out


def test_server_error_exits_1_with_one_explained_line(all_versions_server, capsys):
    assert main(["status", f"rest://127.0.0.1:{all_versions_server.rest_port}/nosuchmodel"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "nosuchmodel" in err


def test_connection_refused_exits_1(capsys):
    assert main(["status", f"rest://127.0.0.1:{free_port()}/m", "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "8501" in err  # says which port TF Serving's REST API usually uses


def test_bad_header_option_exits_2(all_versions_server, capsys):
    assert main(["status", all_versions_server.target(), "--header", "no-colon"]) == 2
    assert "NAME: VALUE" in capsys.readouterr().err


def test_status_of_a_folder_lists_versions_on_disk(capsys):
    assert main(["status", str(MODELS / TWO_VERSIONS)]) == 0
    out = capsys.readouterr().out
    assert "124  on disk  (TF Serving's default policy serves this one)" in out and "123  on disk" in out


def test_inspect_a_server_prints_the_folders_tree(all_versions_server, capsys):
    from explorer.cli.inspect import render_signatures

    assert main(["inspect", all_versions_server.target()]) == 0
    out = capsys.readouterr().out
    expected = render_signatures(read_model(MODELS / TWO_VERSIONS).signatures)
    assert out.splitlines()[3:] == expected
    assert "version 124" in out.splitlines()[1]
    assert main(["inspect", all_versions_server.target(), "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["signatures"]) == sorted(
        read_model(MODELS / TWO_VERSIONS).signatures)
