"""SignatureDiffView with real folders against a real test server: changes highlighted, and the headline naming a
stale or pinned version when the server matches another version of the folder."""
import shutil

import pytest
from PySide6.QtGui import QColor

from explorer.core.savedmodel import read_model
from explorer.ui.widgets.signature_diff import COLOURS, KEY, LOCAL, SERVER, STATUS, SignatureDiffView, diff_local_server
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TWO_VERSIONS

TIMEOUT = 20000
TF1 = MODELS / "saved_model_half_plus_two_cpu"
TF2 = MODELS / "saved_model_half_plus_two_tf2_cpu"


@pytest.fixture(scope="module")
def mixed_base(tmp_path_factory):
    """A base path whose versions differ in signatures: 123 is the TF2 export, 124 the TF1 one (a re-export)."""
    base = tmp_path_factory.mktemp("mixed") / "half_plus_two"
    shutil.copytree(TF2 / "00000123", base / "123")
    shutil.copytree(TF1 / "00000123", base / "124")
    return base


@pytest.fixture(scope="module")
def pinned_server(model_servers, mixed_base):
    """The server pinned to the old version: --model_version_policy specific:123 (the TF2 export)."""
    return model_servers.get(str(mixed_base), "half_plus_two", "specific:123")


def served(handle):
    from explorer.core.targets import open_runner

    runner = open_runner(handle.target("rest"))
    try:
        return runner.metadata(), runner._served_version
    finally:
        runner.close()


@pytest.fixture
def view(qtbot):
    v = SignatureDiffView()
    qtbot.addWidget(v)
    yield v
    v.worker.wait()


def test_tf1_folder_against_a_server_serving_the_tf2_export(qtbot, view, pinned_server):
    signatures, version = served(pinned_server)
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT) as blocker:
        view.compare(read_model(TF1), signatures, version, pinned_server.target("rest"))
    report = blocker.args[0]
    assert report.cause == "signature_mismatch"
    assert report.headline.startswith(
        "Signature mismatch: serving_default's input x differs in shape: (-1, 1) locally vs (1,) on the server")
    assert view.headline.text() == report.headline
    row = view.item_for("serving_default")
    assert row.text(STATUS) == "changed" and row.isExpanded()
    assert row.foreground(STATUS).color() == QColor(COLOURS["error"])
    changes = {row.child(i).text(KEY) + " " + row.child(i).text(STATUS): row.child(i) for i in range(row.childCount())}
    shape = changes["input x shape"]
    assert (shape.text(LOCAL), shape.text(SERVER)) == ("(-1, 1)", "(1,)")
    assert shape.foreground(LOCAL).color() == QColor(COLOURS["error"])  # breaking: red
    name = changes["input x name"]
    assert (name.text(LOCAL), name.text(SERVER)) == ("x:0", "serving_default_x:0")
    assert name.foreground(LOCAL).color() == QColor(COLOURS["info"])  # tensor names: grey info
    # the TF2 export serves every signature as predict; only it has classify_x2_to_y3
    assert "classify" in " ".join(view.item_for("classify_x_to_y").child(i).text(LOCAL)
                                  for i in range(view.item_for("classify_x_to_y").childCount()))
    assert view.item_for("classify_x2_to_y3").text(STATUS) == "only on server"
    view.only_changed.setChecked(True)
    assert not row.isHidden()


def test_pinned_old_version_gives_the_stale_version_headline(qtbot, view, pinned_server, mixed_base):
    signatures, version = served(pinned_server)
    assert version == 123
    info = read_model(mixed_base)  # opens the newest: 124
    assert info.version == 124
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT) as blocker:
        view.compare(info, signatures, version, pinned_server.target("rest"))
    report = blocker.args[0]
    assert report.cause == "stale_version" and report.matching_versions == (123,)
    assert report.headline == ("The server's signatures differ from version 124 of the folder but match version "
                               "123: the server is serving an older version (stale or pinned version_policy).")
    assert "matching the server: 123" in view.sides.text()
    assert view.item_for("serving_default").text(STATUS) == "changed"  # the differences are still listed


def test_same_signatures_but_an_older_served_version_is_still_called_stale(qtbot, two_versions_server):
    # The shared two-version model has identical signatures in 123 and 124: the served version number tells.
    signatures, version = served(two_versions_server)
    report = diff_local_server(read_model(MODELS / TWO_VERSIONS), signatures, version)
    assert report.cause == "stale_version" and not report.breaking
    assert "server serves version 123 while the folder's newest is 124" in report.headline
    same = diff_local_server(read_model(MODELS / TWO_VERSIONS, version=123), signatures, version)
    assert same.cause == "same" and same.headline == "The server's signatures match version 123 of the folder exactly."


def test_cleared_view_says_what_to_do(view):
    view.set_report(None)
    assert "connect to a server" in view.headline.text() and view.tree.topLevelItemCount() == 0
