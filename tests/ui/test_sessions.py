"""Sessions in the real window: save, reopen, replay on another target, export, autosave and the restore offer."""
import numpy as np
import pytest

from explorer.core.sources import Source
from explorer.core.workspace import load_workspace
from explorer.ui.main_window import MainWindow
from explorer.ui.session_actions import COMPARE, spec_dict, spec_of
from explorer.ui.run_panel import RunSpec
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D: the session's shared server pool)

TIMEOUT = 20_000
RUN_TIMEOUT = 180_000  # the first run imports TensorFlow: tens of seconds on a busy 2-core machine
TWO = "saved_model_half_plus_two_2_versions"


def make_window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    return w


def settle(w):
    for worker in (w.sessions.worker, w.sessions.view.worker, w.server.worker, w.run_panel.worker, w.worker):
        worker.wait(RUN_TIMEOUT)


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    settle(w)


def open_and_run(qtbot, w, path, version, x_text, batch):
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(path, version=version)
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.run_panel.form.set_batch_size(batch)
    w.run_panel.form.set_sources({"x": Source("literal", text=x_text)})
    with qtbot.waitSignal(w.sessions.autosaved, timeout=RUN_TIMEOUT):  # autosaved after the run
        with qtbot.waitSignal(w.run_panel.prediction_done, timeout=RUN_TIMEOUT):
            w.run_panel.run()


def test_save_reopen_and_replay_on_other_targets(qtbot, window, shared_models, tmp_path, half_plus_three_server):
    base = shared_models / TWO
    open_and_run(qtbot, window, base, 123, "[[1], [2], [5]]", 3)
    view = window.sessions.view
    view.add_target(str(base), version=124)  # a compare target travels with the workspace too
    view.set_tolerances(1e-4, 1e-7)
    with qtbot.waitSignal(window.sessions.saved, timeout=TIMEOUT) as saved:
        window.sessions.save_to(tmp_path / "session")
    path = saved.args[0]
    assert path.endswith("session.sigx")

    again = make_window(qtbot)
    try:
        with qtbot.waitSignal(again.model_opened, timeout=TIMEOUT):
            with qtbot.waitSignal(again.sessions.opened, timeout=TIMEOUT):
                again.sessions.open_from(path)
        assert again.model().version == 123 and again.model().path == str(base)
        (entry,) = again.run_panel.history.entries()
        np.testing.assert_array_equal(entry.record.inputs["x"], [[1], [2], [5]])
        np.testing.assert_allclose(entry.record.outputs["y"], [[2.5], [3.0], [4.5]])
        assert entry.prediction is not None and entry.sources["x"].text == "[[1], [2], [5]]" and entry.batch == 3
        qtbot.waitUntil(lambda: again.run_panel.signature() is not None
                        and again.run_panel.form.sources().get("x") == Source("literal", text="[[1], [2], [5]]"),
                        timeout=TIMEOUT)
        assert (again.sessions.view.rtol, again.sessions.view.atol) == (1e-4, 1e-7)
        assert [(s.target, s.version) for s in again.sessions.view.specs()] == [(str(base), 124)]

        # Replay the saved arrays on version 124 (the same model) and on another server's model (0.5x + 3).
        with qtbot.waitSignal(again.sessions.view.compared, timeout=RUN_TIMEOUT) as done:
            tasks = again.sessions.replay(entry.record, str(base), version=124)
        assert len(tasks) == 1 and again.tabs.currentWidget() is again.panel(COMPARE)
        assert done.args[0][1].equal
        assert again.sessions.view.columns[0].state == "recorded"
        np.testing.assert_array_equal(again.sessions.view.inputs["x"], [[1], [2], [5]])
        with qtbot.waitSignal(again.sessions.view.compared, timeout=RUN_TIMEOUT) as done:
            again.sessions.replay(entry.record, half_plus_three_server.target("grpc"))
        y = done.args[0][1].outputs["y"]
        assert y.status == "different" and y.max_abs == pytest.approx(1.0) and y.mismatched == 3
    finally:
        settle(again)


def test_replay_dialog_runs_the_chosen_run(qtbot, window, shared_models):
    base = shared_models / TWO
    open_and_run(qtbot, window, base, 124, "[[7]]", 1)
    dialog = window.sessions.open_replay_dialog()
    assert dialog is not None and dialog.runs.count() == 1
    dialog.target_box.setCurrentText(str(base))
    dialog.version_edit.setText("123")
    with qtbot.waitSignal(window.sessions.view.compared, timeout=RUN_TIMEOUT) as done:
        dialog.accept()
    assert done.args[0][1].equal
    assert [c.prediction.version for c in window.sessions.view.columns] == [124, 123]


def test_autosave_after_run_and_quit_is_offered_back(qtbot, shared_models, _isolated_settings):
    first = make_window(qtbot)
    open_and_run(qtbot, first, shared_models / TWO, 123, "[[4]]", 1)
    autosave = first.sessions.autosave_path()
    assert autosave.parent == _isolated_settings / "autosaves"  # its own file, not one shared by every window
    ws = load_workspace(autosave)
    assert len(ws.runs) == 1 and ws.current_target == str(shared_models / TWO)
    settle(first)
    autosave.unlink()
    first.close()  # quitting writes it again, at once
    assert len(load_workspace(autosave).runs) == 1

    second = make_window(qtbot)
    try:
        qtbot.waitUntil(lambda: second.sessions.restore_box is not None, timeout=TIMEOUT)
        box = second.sessions.restore_box
        assert "Restore the last session?" in box.text() and box.isVisible()
        assert f"{TWO} · serving_default · 1 run" in box.informativeText()  # named: what it would restore
        assert not autosave.exists() and second.sessions.slot.claimed.exists()  # claimed, kept
        restore = next(b for b in box.buttons() if b.text() == "Restore")
        with qtbot.waitSignal(second.sessions.opened, timeout=TIMEOUT):
            restore.click()
        (entry,) = second.run_panel.history.entries()
        np.testing.assert_allclose(entry.record.outputs["y"], [[4.0]])
        qtbot.waitUntil(lambda: second.model() is not None, timeout=TIMEOUT)
    finally:
        settle(second)


def test_a_window_closed_at_once_leaves_the_last_session_for_the_next(qtbot, shared_models, _isolated_settings):
    """The restore offer is looked up once the event loop runs. A window deleted before that (closed at once) had the
    timer claim the autosave for the dead window and build its question on a deleted parent: the session was taken
    away from the next window, and a RuntimeError went to whatever ran next."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    first = make_window(qtbot)
    open_and_run(qtbot, first, shared_models / TWO, 123, "[[4]]", 1)
    autosave = first.sessions.autosave_path()
    settle(first)
    first.close()
    gone = MainWindow()  # no qtbot.addWidget: deleted here, before an event loop turn runs its offer
    gone.build_panels()  # as after its first paint: the offer is queued
    gone.close()
    gone.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(200)  # the offer's timer would run here; an exception raised in it fails the test (pytest-qt)
    assert autosave.exists()  # not claimed by the window that is gone
    second = make_window(qtbot)
    try:
        qtbot.waitUntil(lambda: second.sessions.restore_box is not None, timeout=TIMEOUT)
        assert f"{TWO} · serving_default · 1 run" in second.sessions.restore_box.informativeText()
    finally:
        settle(second)


def test_two_windows_never_offer_or_overwrite_each_others_session(qtbot, shared_models, _isolated_settings):
    """Issue 13 item 16: a running window's autosave is its own; another window neither writes nor offers it."""
    first = make_window(qtbot)
    open_and_run(qtbot, first, shared_models / TWO, 123, "[[4]]", 1)
    second = make_window(qtbot)
    try:
        qtbot.wait(200)  # the restore offer is looked up once the event loop runs
        assert second.sessions.restore_box is None  # the first window is still running: nothing to restore
        assert second.sessions.autosave_path() != first.sessions.autosave_path()
        assert load_workspace(first.sessions.autosave_path()).runs  # untouched
    finally:
        settle(first)
        settle(second)


def test_a_session_of_another_model_is_not_offered_on_launch(qtbot, shared_models, _isolated_settings):
    """Issue 13 item 10: started on model B, the app does not pop up "Restore?" for model A's session."""
    first = make_window(qtbot)
    open_and_run(qtbot, first, shared_models / TWO, 123, "[[4]]", 1)
    settle(first)
    first.close()
    from explorer.ui.main_window import MainWindow

    second = MainWindow()
    qtbot.addWidget(second)
    second.sessions.launch_path = str(shared_models / "saved_model_half_plus_three")
    second.show()
    try:
        qtbot.wait(200)
        assert second.sessions.restore_box is None
        assert "another model" in second.statusBar().currentMessage() and TWO in second.statusBar().currentMessage()
    finally:
        settle(second)


def test_export_outputs_as_npy_and_csv(qtbot, window, shared_models, tmp_path):
    open_and_run(qtbot, window, shared_models / TWO, None, "[[1], [3]]", 2)
    assert window.sessions.export_npy_action.isEnabled()
    (npy,) = window.sessions.export_outputs(tmp_path / "npy", "npy")
    np.testing.assert_allclose(np.load(npy), [[2.5], [3.5]])
    (csv,) = window.sessions.export_outputs(tmp_path / "csv", "csv")
    assert csv.name == "y.csv" and csv.read_text().split() == ["2.5", "3.5"]


def test_compare_all_versions_from_the_menu(qtbot, window, shared_models):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(shared_models / TWO)
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None, timeout=TIMEOUT)
    assert window.sessions.versions_action in window.sessions.menu.actions()
    with qtbot.waitSignal(window.sessions.view.compared, timeout=RUN_TIMEOUT) as done:
        window.sessions.versions_action.trigger()
    assert [c.spec.version for c in window.sessions.view.columns] == [123, 124]
    assert done.args[0][1].equal


def test_bad_workspace_file_is_explained_and_the_window_keeps_working(qtbot, window, tmp_path):
    bad = tmp_path / "broken.sigx"
    bad.write_bytes(b"not a zip at all")
    task = window.sessions.open_from(bad)
    qtbot.waitUntil(lambda: task.finished, timeout=TIMEOUT)
    assert window.messages.level() == "error" and "not a Signature Explorer workspace" in window.messages.text()
    assert window.sessions.export_outputs.__self__ is window.sessions  # still alive and wired
    with pytest.raises(Exception, match="no outputs to export"):
        window.sessions.export_outputs(tmp_path / "out")


def test_workspace_never_holds_header_values():
    spec = RunSpec("rest://h:1/m", "rest", "rest", None,
                   (("headers", (("Authorization", "Bearer secret"),)), ("timeout", 5.0)))
    data = spec_dict(spec)
    assert "secret" not in repr(data) and data["options"] == {"timeout": 5.0}
    assert spec_of(data) == RunSpec("rest://h:1/m", "rest", "rest", None, (("timeout", 5.0),))
