"""Workspace files round-trip exactly, refuse what they are not, and export outputs like saved_model_cli --outdir."""
import zipfile

import numpy as np
import pytest

from explorer.core.errors import SessionFileError
from explorer.core.request import Prediction
from explorer.core.workspace import RunRecord, Workspace, export_outputs, load_workspace, save_workspace


def _run():
    pred = Prediction(signature="serving_default", engine="local", target="/models/half", version=123,
                      outputs={"y": np.array([[2.5], [3.0]], np.float32),
                               "label": np.array([b"cat", b"\x00bin\x00"], dtype=object)},
                      timing_ms={"load": 40.0, "predict": 1.5}, notes=("ran with the TF1 session loader",))
    return RunRecord.from_prediction(pred, {"x": np.array([[1.0], [2.0]], np.float32),
                                            "ids": np.array([1, 2**62], np.int64)})


def test_round_trip_keeps_everything_exact(tmp_path):
    run = _run()
    ws = Workspace(targets=["/models/half", "rest://127.0.0.1:8501/half"], current_target="/models/half",
                   signature="serving_default", sources={"serving_default": {"x": {"kind": "literal", "text": "[[1],[2]]"}}},
                   runs=[run], rtol=1e-3, atol=1e-4, extra={"layout": "compare"})
    path = save_workspace(tmp_path / "session", ws)
    assert path.suffix == ".sigx"
    back = load_workspace(path)
    assert back.targets == ws.targets and back.signature == "serving_default" and back.sources == ws.sources
    assert (back.rtol, back.atol, back.extra) == (1e-3, 1e-4, {"layout": "compare"})
    r = back.runs[0]
    assert (r.id, r.engine, r.version, r.notes, r.timing_ms) == (run.id, "local", 123, run.notes, run.timing_ms)
    np.testing.assert_array_equal(r.inputs["x"], run.inputs["x"])
    assert r.inputs["ids"].dtype == np.int64 and int(r.inputs["ids"][1]) == 2**62
    assert r.outputs["y"].dtype == np.float32
    assert list(r.outputs["label"]) == [b"cat", b"\x00bin\x00"]  # bytes with NULs survive exactly


def test_saved_file_holds_no_pickles(tmp_path):
    path = save_workspace(tmp_path / "w.sigx", Workspace(runs=[_run()]))
    with zipfile.ZipFile(path) as zf:
        npz_name = next(n for n in zf.namelist() if n.endswith(".npz"))
        (tmp_path / "a.npz").write_bytes(zf.read(npz_name))
    with np.load(tmp_path / "a.npz", allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)


@pytest.mark.parametrize("content", [b"", b"not a zip", None])
def test_bad_files_give_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.sigx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SessionFileError) as err:
        load_workspace(path)
    assert str(path) in str(err.value)


def test_newer_format_is_refused_with_advice(tmp_path):
    path = tmp_path / "new.sigx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("workspace.json", '{"schema_version": 99}')
    with pytest.raises(SessionFileError, match="newer"):
        load_workspace(path)


def test_failed_save_leaves_previous_file_intact(tmp_path):
    path = save_workspace(tmp_path / "w.sigx", Workspace(signature="first"))

    class Unsaveable:
        pass

    with pytest.raises(TypeError):
        save_workspace(path, Workspace(signature="second", extra={"bad": Unsaveable()}))
    assert load_workspace(path).signature == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["w.sigx"]  # no temporary file left behind


def test_export_npy_and_csv(tmp_path):
    outputs = {"scores": np.arange(6, dtype=np.float32).reshape(2, 3), "images/out": np.zeros((2, 2, 2))}
    npy = export_outputs(outputs, tmp_path / "npy")
    assert sorted(p.name for p in npy) == ["images_out.npy", "scores.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "npy" / "scores.npy"), outputs["scores"])
    csv = export_outputs(outputs, tmp_path / "csv", fmt="csv")
    rows = (tmp_path / "csv" / "scores.csv").read_text().splitlines()
    assert rows == ["0,1,2", "3,4,5"]
    assert np.loadtxt(csv[1], delimiter=",").shape == (2, 4)
