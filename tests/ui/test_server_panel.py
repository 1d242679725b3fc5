"""ServerPanel against real test servers: versions and states, served signatures, refresh, errors explained inline."""
import pytest
from PySide6.QtGui import QColor

from explorer.ui.widgets.endpoint_dialog import Endpoint
from explorer.ui.widgets.server_panel import STATE, ServerPanel
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import TWO_VERSIONS
from tests.servers.launch import free_port

TIMEOUT = 20000


@pytest.fixture
def panel(qtbot):
    p = ServerPanel()
    qtbot.addWidget(p)
    yield p
    p.worker.wait()


def endpoint_of(handle, model=None, **kw) -> Endpoint:
    return Endpoint("127.0.0.1", handle.rest_port, handle.grpc_port, model or handle.model_name, **kw)


def test_connect_lists_versions_states_and_served_signatures(qtbot, panel, all_versions_server):
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT) as blocker:
        panel.set_endpoint(endpoint_of(all_versions_server))
    state = blocker.args[0]
    assert state.available == [124, 123] and state.served_version == 124
    rows = [(panel.versions.item(r, 0).text(), panel.versions.item(r, STATE).text())
            for r in range(panel.versions.rowCount())]
    assert rows == [("124", "AVAILABLE"), ("123", "AVAILABLE")]
    from explorer.ui import theme

    assert panel.versions.item(0, STATE).foreground().color() == QColor(theme.colors().inks["ok"])  # reads green
    assert panel.tree.visible_signature_keys()[0] == "serving_default"
    assert set(panel.signatures()) >= {"serving_default", "classify_x_to_y", "regress_x2_to_y3"}
    assert panel.signatures()["serving_default"].inputs["x"].shape == (-1, 1)
    assert "version 124" in panel.served_label.text()
    assert TWO_VERSIONS in panel.title.text() and str(all_versions_server.rest_port) in panel.url_label.text()
    assert panel.message.level() == "" and panel.refresh_button.isEnabled()


def test_a_pinned_version_and_a_label_are_what_the_panel_asks_for(qtbot, panel, all_versions_server):
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT) as blocker:
        panel.set_endpoint(endpoint_of(all_versions_server, label="stable"))
    assert blocker.args[0].served_version == 123
    assert "label stable" in panel.title.text()


def test_refresh_and_auto_refresh_ask_again(qtbot, panel, default_server):
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT) as first:
        panel.set_endpoint(endpoint_of(default_server))
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT) as second:
        panel.refresh()
    assert second.args[0].fetched_at > first.args[0].fetched_at
    panel.set_auto_refresh(1)
    assert panel.timer.isActive() and panel.timer.interval() == 1000
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT) as third:
        pass  # the timer fires on its own
    assert third.args[0].fetched_at > second.args[0].fetched_at
    panel.set_endpoint(None)
    assert not panel.timer.isActive() and panel.title.text() == "Not connected"
    assert not panel.refresh_button.isEnabled() and panel.versions.rowCount() == 0


def test_unreachable_server_is_explained_and_a_later_refresh_recovers(qtbot, panel, default_server):
    with qtbot.waitSignal(panel.refresh_failed, timeout=TIMEOUT) as blocker:
        panel.set_endpoint(Endpoint("127.0.0.1", free_port(), 0, "default"))
    assert "Nothing is listening" in str(blocker.args[0])
    assert panel.message.level() == "error" and panel.message.fix() and panel.message.has_details()
    assert panel.refresh_button.isEnabled()  # the user can try again
    with qtbot.waitSignal(panel.refreshed, timeout=TIMEOUT):
        panel.set_endpoint(endpoint_of(default_server))
    assert panel.message.level() == "" and panel.versions.rowCount() == 1


def test_a_version_the_server_does_not_serve_is_explained_with_the_raw_text(qtbot, panel, two_versions_server):
    # two_versions_server has policy specific:123: version 124 exists on disk but is not served.
    with qtbot.waitSignal(panel.refresh_failed, timeout=TIMEOUT) as blocker:
        panel.set_endpoint(endpoint_of(two_versions_server, version=124))
    error = blocker.args[0]
    assert error.status == 404
    assert "124" in panel.message.text()
    assert panel.message.fix()  # names the version policy
    assert error.raw in panel.message.details()  # the server's own words behind Details
