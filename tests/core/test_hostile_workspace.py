"""Malformed workspace files (issue 11): each is a SessionFileError saying what is wrong, never another exception;
zip bombs and absurd entry counts are refused from the zip directory; schema_version is a whole number 1..current."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from explorer.core import workspace
from explorer.core.errors import SessionFileError
from explorer.core.workspace import RunRecord, Workspace, load_workspace, save_workspace


def sigx(tmp_path, doc=None, raw_json: bytes | None = None, extra: dict | None = None,
         compress=zipfile.ZIP_DEFLATED, name="w.sigx"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compress) as zf:
        zf.writestr("workspace.json", raw_json if raw_json is not None else json.dumps(doc))
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return path


def load_error(path) -> str:
    with pytest.raises(SessionFileError) as info:
        load_workspace(path)
    return str(info.value)


def test_the_json_is_a_list(tmp_path):
    assert "the workspace should be an object, but is a list" in load_error(sigx(tmp_path, []))


@pytest.mark.parametrize("value, got", [("0.1", "text"), ([1], "a list"), (float("nan"), None), (-1, None)])
def test_rtol_of_the_wrong_type(tmp_path, value, got):
    message = load_error(sigx(tmp_path, {"schema_version": 1, "rtol": value}))
    assert "'rtol'" in message and (got is None or f"is {got}" in message)


def test_a_zero_d_lengths_array(tmp_path):
    ws = Workspace(runs=[RunRecord("t", "local", "s", {}, {"y": np.array([b"a", b"bc"], dtype=object)})])
    path = save_workspace(tmp_path / "w.sigx", ws)
    run_id = ws.runs[0].id
    buf = io.BytesIO()
    np.savez(buf, **{"out/y::bytes": np.frombuffer(b"abc", np.uint8), "out/y::lengths": np.array(5)})
    with zipfile.ZipFile(path) as zf:
        doc = zf.read("workspace.json")
    bad = sigx(tmp_path, raw_json=doc, extra={f"runs/{run_id}.npz": buf.getvalue()}, name="bad.sigx")
    assert f"run {run_id}'s arrays cannot be read" in load_error(bad)


def test_deep_nesting(tmp_path):
    assert "nests too deeply" in load_error(sigx(tmp_path, raw_json=b"[" * 100_000 + b"]" * 100_000))


def _patch(path, local_offset: int, central_offset: int, value: bytes):
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        at = data.find(signature)
        while at != -1:
            data[at + offset:at + offset + len(value)] = value
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


def test_an_unknown_compression_method(tmp_path):
    path = _patch(sigx(tmp_path, {"schema_version": 1}), 8, 10, (99).to_bytes(2, "little"))
    assert "zip compression this tool cannot read" in load_error(path)


def test_the_encrypted_flag(tmp_path):
    path = _patch(sigx(tmp_path, {"schema_version": 1}), 6, 8, (1).to_bytes(2, "little"))
    assert "is encrypted" in load_error(path)


def test_corrupt_deflate_data(tmp_path):
    path = sigx(tmp_path, {"schema_version": 1, "extra": {"padding": "x" * 5000 + "y" * 5000}})
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x03\x04") + 30 + len("workspace.json")
    data[start + 5:start + 25] = b"\xff" * 20
    path.write_bytes(bytes(data))
    message = load_error(path)
    assert "damaged" in message


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path):
    path = tmp_path / "bomb.sigx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("workspace.json", json.dumps({"schema_version": 1, "runs": []}))
        with zf.open("runs/x.npz", "w") as member:
            block = bytes(1 << 20)
            for _ in range(200):  # 200 MB of zeros, ~200 KB on disk
                member.write(block)
    assert path.stat().st_size < 1024**2
    assert "is a zip bomb: runs/x.npz would unpack" in load_error(path)


def test_too_many_entries_and_too_large_totals(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace, "MAX_ENTRIES", 5)
    path = sigx(tmp_path, {"schema_version": 1}, extra={f"e{i}": b"" for i in range(10)})
    assert "holds 11 entries" in load_error(path)
    monkeypatch.setattr(workspace, "MAX_TOTAL_BYTES", 1000)
    path = sigx(tmp_path, {"schema_version": 1}, extra={"big": bytes(5000)}, compress=zipfile.ZIP_STORED, name="b.sigx")
    assert "over the workspace limit" in load_error(path)


@pytest.mark.parametrize("version, words", [
    ("1", 'invalid workspace format version ("1")'), (-5, "invalid workspace format version (-5)"),
    (0, "invalid"), (True, "invalid"), (None, "invalid"), (1.0, "invalid"),
    (workspace.SCHEMA_VERSION + 1, "newer Signature Explorer"),
])
def test_schema_version_is_a_whole_number_from_1_to_current(tmp_path, version, words):
    assert words in load_error(sigx(tmp_path, {"schema_version": version}))


@pytest.mark.parametrize("doc", [
    {"schema_version": 1, "targets": "abc"}, {"schema_version": 1, "targets": [1]},
    {"schema_version": 1, "sources": []}, {"schema_version": 1, "sources": {"s": []}},
    {"schema_version": 1, "runs": {}}, {"schema_version": 1, "runs": [1]}, {"schema_version": 1, "runs": [{}]},
    {"schema_version": 1, "runs": [{"id": "a", "target": "t", "engine": "e", "signature": "s", "arrays": "nope"}]},
    {"schema_version": 1, "extra": []}, {"schema_version": 1, "current_target": 5},
])
def test_fields_of_the_wrong_type(tmp_path, doc):
    assert load_error(sigx(tmp_path, doc))


def test_random_bytes_and_a_folder(tmp_path):
    path = tmp_path / "noise.sigx"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    assert "not a zip file" in load_error(path)
    assert "is a folder" in load_error(tmp_path)


def test_a_sound_workspace_still_loads(tmp_path):
    ws = Workspace(targets=["a"], rtol=1e-3, runs=[RunRecord("t", "local", "s", {"x": np.ones(3)},
                                                             {"y": np.array([b"a"], dtype=object)})])
    back = load_workspace(save_workspace(tmp_path / "ok", ws))
    assert back.rtol == 1e-3 and back.runs[0].outputs["y"].tolist() == [b"a"]


@pytest.mark.parametrize("source, words", [
    ({"kind": "bogus"}, 'has the kind "bogus"'), ({"kind": "fill", "params": "abc"}, "'params' should be an object"),
    ({"kind": "literal", "text": 5}, "'text' should be text"),
])
def test_form_sources_of_the_wrong_shape(tmp_path, source, words):
    assert words in load_error(sigx(tmp_path, {"schema_version": 1, "sources": {"s": {"x": source}}}))
