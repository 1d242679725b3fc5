"""The main window with a real test server: connect, versions, the Local ⇄ Server diff, runs on the server and on
both, Show request, and an unreachable endpoint that leaves the app working."""
import numpy as np
from PySide6.QtGui import QKeySequence

from explorer.core.sources import Source
from explorer.ui.server_actions import LOCAL_SERVER, SERVER
from explorer.ui.widgets.endpoint_dialog import Endpoint
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS
from tests.servers.launch import free_port

TIMEOUT = 20000
RUN_TIMEOUT = 180000  # the first local run imports TensorFlow: tens of seconds on a busy 2-core box
FOLDER = MODELS / "saved_model_half_plus_two_cpu"


def tab_visible(window, name) -> bool:
    return window.tabs.isTabVisible(window.tabs.indexOf(window.panel(name)))


def open_folder(qtbot, window, path=FOLDER):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(path)


def connect(qtbot, window, handle, **kw):
    endpoint = Endpoint("127.0.0.1", handle.rest_port, handle.grpc_port, handle.model_name, **kw)
    with qtbot.waitSignal(window.server.panel.refreshed, timeout=TIMEOUT):
        window.server.connect_to(endpoint)
    return endpoint


def test_menu_shortcuts_and_tabs_appear_with_a_server(qtbot, window, default_server):
    actions = window.server
    assert actions.connect_action.shortcut() == QKeySequence("Ctrl+Shift+O")
    assert actions.request_action.shortcut() == QKeySequence("Ctrl+Shift+C")
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert "Server" in titles and titles.index("Server") < titles.index("Help")
    assert not tab_visible(window, SERVER) and actions.run_on_box.isHidden()
    connect(qtbot, window, default_server)
    assert tab_visible(window, SERVER) and window.tabs.currentWidget() is actions.panel
    assert actions.panel.versions.item(0, 1).text() == "AVAILABLE"
    assert not actions.run_on_box.isHidden()
    assert not tab_visible(window, LOCAL_SERVER)  # no local model yet: nothing to diff
    dialog = actions.open_connect_dialog()
    assert dialog.isVisible() and dialog.endpoint().rest_port == default_server.rest_port
    dialog.reject()
    actions.disconnect()
    assert not tab_visible(window, SERVER) and actions.endpoint is None


def test_local_and_server_diff_run_on_server_and_on_both(qtbot, window, default_server):
    open_folder(qtbot, window)
    connect(qtbot, window, default_server)
    actions, rp = window.server, window.run_panel
    qtbot.waitUntil(lambda: actions.diff_view.report() is not None, timeout=TIMEOUT)
    assert tab_visible(window, LOCAL_SERVER)
    assert actions.diff_view.report().cause == "same"  # the server serves this very folder

    actions.set_run_on("server")
    assert rp.spec.kind == "rest" and rp.spec.target == f"rest://127.0.0.1:{default_server.rest_port}/default"
    assert rp.signature().key == "serving_default" and rp.form.target == "serving"
    rp.form.set_sources({"x": Source("literal", text="[[1.0], [2.0], [5.0]]")})
    with qtbot.waitSignal(rp.prediction_done, timeout=TIMEOUT) as blocker:
        qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
        assert rp.run() is not None
    prediction = blocker.args[0]
    assert prediction.engine == "rest"
    np.testing.assert_allclose(prediction.outputs["y"], [[2.5], [3.0], [4.5]])
    assert rp.outputs.keys() == ["y"]

    # Show request: the form's request for the server, as curl first
    dialog = actions.show_request()
    qtbot.waitUntil(lambda: bool(dialog.text("curl")), timeout=TIMEOUT)
    assert f"127.0.0.1:{default_server.rest_port}/v1/models/default:predict" in dialog.text("curl")
    assert "[[1.0],[2.0],[5.0]]" in dialog.text("curl").replace(" ", "")
    dialog.close()

    # Both: the inputs followed the switch; the same arrays go to the folder and the server
    actions.set_run_on("both")
    assert rp.spec.kind == "folder"
    assert rp.form.sources()["x"].text == "[[1.0], [2.0], [5.0]]"
    with qtbot.waitSignal(actions.both_done, timeout=RUN_TIMEOUT) as blocker:
        assert rp.run() is not None  # Run (and Ctrl+Enter) go to both
    outcome = blocker.args[0]
    assert outcome.diff is not None and outcome.diff.equal
    np.testing.assert_allclose(outcome.local.outputs["y"], outcome.server.outputs["y"])
    assert outcome.local.engine in ("local", "session") and outcome.server.engine == "rest"
    assert window.tabs.currentWidget() is window.panel(LOCAL_SERVER)
    assert "agree" in actions.both.headline.text()
    assert actions.both.table.item(0, 0).text() == "y" and actions.both.table.item(0, 3).text() == "equal"
    # Both sides answered: the outputs now take the height the diff had before (both plots readable at 1280x800).
    from tests.ui.layout_audit import audit

    window.resize(1280, 800)
    diff, outputs = actions.page.sizes()
    assert outputs > diff, (diff, outputs)
    assert not [p for p in audit(window) if p.startswith("plot")]


def test_unreachable_server_is_explained_and_the_app_keeps_working(qtbot, window, default_server):
    actions = window.server
    with qtbot.waitSignal(actions.panel.refresh_failed, timeout=TIMEOUT):
        actions.connect_to(Endpoint("127.0.0.1", free_port(), 0, "default"))
    assert actions.panel.message.level() == "error"
    assert "Nothing is listening" in actions.panel.message.text()
    open_folder(qtbot, window)  # the window still opens models ...
    assert window.model() is not None and not tab_visible(window, LOCAL_SERVER)
    connect(qtbot, window, default_server)  # ... and connects once the endpoint is right
    assert actions.panel.message.level() == ""
