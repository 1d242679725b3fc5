"""Run on Both (Local ⇄ Server) with a model that has dangerous ops: the consent question comes once, before the
local side runs; refusing runs neither side; the server side never needs consent (issue 12's last gap). Canary files
written by the models' own WriteFile prove which side ran."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from explorer.core.request import Prediction
from explorer.core.sources import Source
from explorer.ui.widgets.endpoint_dialog import Endpoint
from tests.servers.fixtures import model_servers  # noqa: F401 - a fixture

TIMEOUT = 30000
RUN_TIMEOUT = 180000  # the first local run imports TensorFlow


@pytest.fixture(scope="module")
def dangerous_pair(tmp_path_factory):
    """The same WriteFile model twice: a folder that writes canary 'local', a TF Serving base path that writes 'server'."""
    import unsafe_models

    root = tmp_path_factory.mktemp("both_consent")
    canaries = {"local": root / "canary_local", "server": root / "canary_server"}
    local = unsafe_models.write_through_function(root / "local", canaries["local"])
    served = unsafe_models.write_through_function(root / "served_src", canaries["server"])
    base = root / "base"
    shutil.copytree(served, base / "1")
    return local, base, canaries


def test_both_asks_once_before_the_local_side_and_refusing_runs_neither(qtbot, window, dangerous_pair,
                                                                        model_servers):  # noqa: F811
    local, base, canaries = dangerous_pair
    server = model_servers.get(str(base), "danger")
    for canary in canaries.values():
        canary.unlink(missing_ok=True)
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(local)
    with qtbot.waitSignal(window.server.panel.refreshed, timeout=TIMEOUT):
        window.server.connect_to(Endpoint("127.0.0.1", server.rest_port, server.grpc_port, "danger"))
    actions, rp = window.server, window.run_panel
    actions.set_run_on("both")
    rp.form.set_sources({"x": Source("literal", text="[1.0, 2.0]")})
    done = []
    actions.both_done.connect(done.append)

    qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
    rp.run()
    qtbot.waitUntil(lambda: window.consent.dialog is not None and window.consent.dialog.isVisible(),
                    timeout=RUN_TIMEOUT)
    # Asked before anything ran: not the folder (its WriteFile), and not the server either.
    assert not canaries["local"].exists() and not canaries["server"].exists() and not done
    assert "would write files" in window.consent.dialog.heading.text()
    qtbot.mouseClick(window.consent.dialog.cancel_button, Qt.MouseButton.LeftButton)
    actions.worker.wait()
    qtbot.wait(300)
    assert not canaries["local"].exists() and not canaries["server"].exists() and not done  # refused: neither ran
    assert window.consent.dialog is None and window.settings.unsafe_consents() == {}

    qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
    rp.run()
    qtbot.waitUntil(lambda: window.consent.dialog is not None and window.consent.dialog.isVisible(),
                    timeout=RUN_TIMEOUT)
    dialogs = []
    window.consent.changed.connect(lambda: dialogs.append(window.consent.dialog))
    with qtbot.waitSignal(actions.both_done, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.consent.dialog.run_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert isinstance(outcome.local, Prediction) and isinstance(outcome.server, Prediction), outcome
    assert canaries["local"].exists() and canaries["server"].exists()
    assert window.consent.dialog is None and len(dialogs) == 1  # one question for the run, not one per side


def test_the_server_side_alone_never_asks(qtbot, window, dangerous_pair, model_servers):  # noqa: F811
    local, base, canaries = dangerous_pair
    server = model_servers.get(str(base), "danger")
    canaries["server"].unlink(missing_ok=True)
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(local)
    with qtbot.waitSignal(window.server.panel.refreshed, timeout=TIMEOUT):
        window.server.connect_to(Endpoint("127.0.0.1", server.rest_port, server.grpc_port, "danger"))
    actions, rp = window.server, window.run_panel
    actions.set_run_on("server")
    rp.form.set_sources({"x": Source("literal", text="[1.0, 2.0]")})
    with qtbot.waitSignal(rp.prediction_done, timeout=RUN_TIMEOUT):
        qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
        rp.run()
    assert window.consent.dialog is None and canaries["server"].exists()
