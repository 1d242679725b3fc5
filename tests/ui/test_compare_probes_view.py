"""Issue 13 item 2 in the window: Compare ▸ all versions of a base path whose v1 is y = x and v2 y = 3x, from the
form's all-zero default, is not "equal": the probes differ, the headline says so, and warns about the zero input."""
import re

import pytest

import modelgen
from explorer.core.defaults import default_sources
from explorer.core.savedmodel import read_model
from explorer.core.settings import Settings
from explorer.ui.widgets.compare_view import CompareView

TIMEOUT = 180_000


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    return modelgen.identity_and_triple(tmp_path_factory.mktemp("scaled"))


def test_all_zero_default_with_probes_differs(qtbot, tmp_path, scaled):
    view = CompareView(settings=Settings(tmp_path / "config"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.add_all_versions(str(scaled))
    signature = read_model(scaled).user_signatures["serving_default"]
    view.request_provider = lambda: (signature, default_sources(signature), 1, {})  # what the form starts from
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        assert view.compare() is not None
    text = re.sub(r"<[^>]+>", "", view.headline.text())
    assert view.diffs[1].equal  # on the zeros alone they agree ...
    assert not view.agreements[1].equal  # ... which proves nothing
    assert "equal on your input, differs on 8 of 8 probes" in text and "they differ" in text
    assert "equals A on every output" not in text
    assert "Your input is all zeros" in text
    view.grab().save(str(tmp_path / "compare_probes.png"))
    view.clear_targets()
    view.wait(TIMEOUT)


def test_tf_example_inputs_are_probed_in_the_window(qtbot, tmp_path):
    # Two regressions equal at the form's default Example (pair = 0) and nowhere else: the probes draw "pair".
    a = modelgen.tf1_pair_feature(tmp_path)
    b = modelgen.tf1_pair_feature(tmp_path, weights=(1.0, -3.0), name="steeper")
    view = CompareView(settings=Settings(tmp_path / "config"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.add_target(str(a))
    view.add_target(str(b))
    signature = read_model(a).user_signatures["regress_pair"]
    view.request_provider = lambda: (signature, default_sources(signature), 1, {})
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        assert view.compare() is not None
    text = re.sub(r"<[^>]+>", "", view.headline.text())
    assert view.diffs[1].equal and not view.agreements[1].equal, text  # was: "equal", on the one zero Example
    assert "equal on your input, differs on" in text
    view.grab().save(str(tmp_path / "compare_examples.png"))
    view.clear_targets()
    view.wait(TIMEOUT)
