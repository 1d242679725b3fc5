"""One place for each message after a run (issue 13, QA): a problem with one input is said under its row, the
banner only points there; a run failure of no input is said in the banner alone; "✔ Inputs match the signature"
never stands beside a message that an input is the problem."""
import pytest

from explorer.core.savedmodel import read_model
from explorer.core.sources import Source
from explorer.ui.run_panel import RunPanel

TIMEOUT = 120_000


@pytest.fixture
def panel(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 760)
    panel.show()
    yield panel
    panel.close()
    panel.wait(TIMEOUT)


def _open(panel, info, key):
    panel.set_model(info)
    panel.set_signature(info.user_signatures[key])


def _plain(html: str) -> str:
    from PySide6.QtGui import QTextDocumentFragment

    return QTextDocumentFragment.fromHtml(html).toPlainText()


def test_not_run_says_the_problem_under_the_row_and_the_banner_points_there(qtbot, panel, shared_models):
    _open(panel, read_model(shared_models / "saved_model_half_plus_two_cpu"), "serving_default")
    panel.form.row("x").editor().set_cell(0, 0, "two")
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT):
        panel.run()
    row = panel.form.row("x")
    assert "not a number" in _plain(row.problem_label.text()) and row.problem_label.isVisibleTo(panel)
    banner = panel.message.text()
    assert panel.message.isVisibleTo(panel) and banner == "Not run: fix the marked input x.", banner
    assert "Inputs match" not in _plain(panel.form.status.text())
    # A newer problem keeps the banner pointing, still without its text.
    row.set_source(Source("literal", text="[[1, 2]]"))
    with qtbot.waitSignal(panel.form.problems_changed, timeout=10_000):
        panel.form.check_now()
    assert "(1, 2)" in _plain(row.problem_label.text()) and "(1, 2)" not in panel.message.text()
    assert panel.message.isVisibleTo(panel)


def test_a_run_failure_on_one_input_is_said_under_it_once(qtbot, panel, shared_models):
    """The model refuses the input at run time (its tf.Examples lack feature x): the row says why and the fix, the
    banner says where, the form's status does not say the inputs match."""
    _open(panel, read_model(shared_models / "saved_model_half_plus_two_cpu"), "regress_x_to_y")
    row = panel.form.row("inputs")
    assert row.mode == "examples"
    row.editor().set_feature(0, "y", "float", ["1"])
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    error = blocker.args[0]
    assert error.key == "inputs" and "lack feature 'x'" in str(error)
    under = _plain(row.problem_label.text())
    assert str(error) in under and row.problem_label.isVisibleTo(panel)
    assert panel.message.isVisibleTo(panel) and "lack feature" not in panel.message.text() + panel.message.fix()
    assert panel.message.text() == "The run failed on input inputs: see it marked below."
    status = _plain(panel.form.status.text())
    assert "Inputs match" not in status and "refused inputs" in status, status
    panel.grab().save(str(__import__("pathlib").Path(__import__("tempfile").gettempdir()) / "run_failed_row.png"))


def test_a_signature_broken_in_the_export_is_said_in_the_banner_alone(qtbot, panel, shared_models):
    """No input can fix an export that bakes in a batch size: the banner says so (with the fix), the row does not
    repeat it."""
    _open(panel, read_model(shared_models / "saved_model_half_plus_two_mkl"), "regress_x2_to_y3")
    panel.form.set_batch_size(3)
    row = panel.form.row("inputs")
    row.set_mode("json")
    row.editor().edit.setPlainText("[[1.0], [2.0], [5.0]]")
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    error = blocker.args[0]
    assert "no input can fix this" in str(error) and not error.input_can_fix
    assert panel.message.isVisibleTo(panel) and panel.message.text() == str(error)
    assert "broken" not in _plain(row.problem_label.text()) and not row.problem_label.isVisibleTo(panel)


def test_the_status_bar_points_to_the_predict_tab_instead_of_a_third_copy(qtbot, shared_models):
    """The window's status bar read "Run failed: Not run: x ... not a number": the banner's and the row's text again,
    in a third wording. It says where to look."""
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(str(shared_models / "saved_model_half_plus_two_cpu"))
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None, timeout=TIMEOUT)
    window.show_panel("Predict")
    window.run_panel.form.row("x").editor().set_cell(0, 0, "two")
    with qtbot.waitSignal(window.run_panel.run_failed, timeout=TIMEOUT):
        window.run_panel.run()
    text = window.statusBar().currentMessage()
    assert text == "Not run: the Predict tab marks what to fix." and "not a number" not in text, text
    window.run_panel.wait(TIMEOUT)

