"""Settings: a JSON file in the config dir, recent models, generic keys, and recovery from a corrupt file."""
import json
import subprocess
import sys

import pytest

from explorer.core import settings as settings_mod
from explorer.core.settings import RECENT_MAX, SCHEMA_VERSION, Settings, config_dir


def test_config_dir_follows_the_environment(_isolated_settings):
    assert config_dir() == _isolated_settings
    assert Settings().path == _isolated_settings / "settings.json"


def test_values_survive_a_restart_and_carry_the_schema_version(tmp_path):
    s = Settings(tmp_path)
    s.set("endpoints", [{"url": "rest://127.0.0.1:8501/half"}])
    s.set("tolerance", 1e-6)
    again = Settings(tmp_path)
    assert again.get("endpoints") == [{"url": "rest://127.0.0.1:8501/half"}]
    assert again.get("tolerance") == 1e-6
    assert again.get("missing", "fallback") == "fallback"
    on_disk = json.loads((tmp_path / "settings.json").read_text())
    assert on_disk["schema_version"] == SCHEMA_VERSION
    again.remove("tolerance")
    assert Settings(tmp_path).get("tolerance") is None


def test_unsaveable_values_are_refused_before_writing(tmp_path):
    s = Settings(tmp_path)
    with pytest.raises(TypeError):
        s.set("bad", object())
    with pytest.raises(KeyError):
        s.set("schema_version", 99)
    assert not (tmp_path / "settings.json").exists()


def test_recent_models_are_most_recent_first_deduplicated_and_capped(tmp_path):
    models = []
    for i in range(RECENT_MAX + 3):
        d = tmp_path / f"m{i}"
        d.mkdir()
        models.append(d)
    s = Settings(tmp_path / "cfg")
    for m in models:
        s.add_recent_model(m)
    s.add_recent_model(str(models[5]) + "/")  # the same folder, spelled with a trailing slash
    recent = Settings(tmp_path / "cfg").recent_models()
    assert len(recent) == RECENT_MAX
    assert recent[0] == str(models[5])
    assert recent[1] == str(models[-1])
    assert recent.count(str(models[5])) == 1
    assert str(models[0]) not in recent  # pushed out by the cap


def test_missing_paths_are_pruned_on_read(tmp_path):
    keep, gone = tmp_path / "keep", tmp_path / "gone"
    keep.mkdir()
    gone.mkdir()
    s = Settings(tmp_path / "cfg")
    s.add_recent_model(keep)
    s.add_recent_model(gone)
    gone.rmdir()
    assert s.recent_models() == [str(keep)]
    assert json.loads((tmp_path / "cfg" / "settings.json").read_text())["recent_models"] == [str(keep)]
    s.remove_recent_model(keep)
    assert s.recent_models() == []


def test_relative_paths_are_stored_absolute(tmp_path, monkeypatch):
    (tmp_path / "rel").mkdir()
    monkeypatch.chdir(tmp_path)
    s = Settings(tmp_path / "cfg")
    assert s.add_recent_model("rel") == [str(tmp_path / "rel")]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\x00\x01garbage"])
def test_corrupt_file_starts_from_defaults_and_keeps_a_backup(tmp_path, content):
    (tmp_path / "settings.json").write_text(content)
    s = Settings(tmp_path)
    assert s.recent_models() == []
    assert s.recovered_from == tmp_path / "settings.json.corrupt"
    assert s.recovered_from.read_text() == content
    assert "corrupt" in s.problem and str(tmp_path) in s.problem
    s.set("k", 1)  # and it can save again
    assert Settings(tmp_path).get("k") == 1


def test_wrong_types_inside_a_valid_file_do_not_crash(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"recent_models": "oops"}))
    s = Settings(tmp_path)
    assert s.recent_models() == []
    assert s.get("schema_version") == SCHEMA_VERSION


def test_newer_schema_keeps_unknown_keys(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "future": {"a": 1}}))
    s = Settings(tmp_path)
    s.set("k", 2)
    data = json.loads((tmp_path / "settings.json").read_text())
    assert data["future"] == {"a": 1} and data["schema_version"] == SCHEMA_VERSION + 1
    assert "newer" in s.problem


def test_unwritable_dir_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    s = Settings(blocker / "cfg")  # cannot mkdir under a file
    s.add_recent_model(tmp_path)
    assert s.get("recent_models") == [str(tmp_path)]
    assert "could not be saved" in s.problem


def test_settings_module_is_qt_free():
    code = ("import sys, explorer.core.settings as s; s.Settings().recent_models(); "
            "print(any(m.startswith(('PySide6', 'tensorflow')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert settings_mod.APP_NAME == "signature-explorer"
