"""The layout audit (issue 13, items 6, 7, 12 and 14): at 1280x800 and 1600x1000, on the demo model and on a generated
many-output model, every tab shown after a run, a check and a comparison: every visible label and button gets at
least its minimumSizeHint (a wrapped label the height its text needs), every plot at least 180 px, the window
keeps the size asked for, and the splitter beside the tabs does not move when the tab changes."""
import os

import numpy as np
import pytest

import modelgen
from explorer.resources import demo_model_path
from explorer.ui.main_window import MainWindow
from tests.ui.layout_audit import MIN_PLOT_HEIGHT, audit, predict_audit
from tests.servers.fixtures import two_versions_server, model_servers  # noqa: F401 - pytest fixtures

TIMEOUT = 180_000
SIZES = [(1280, 800), (1600, 1000)]
SHOTS = os.environ.get("LAYOUT_SHOTS")  # a folder to keep the screenshots in (they are looked at, not compared)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    return modelgen.many_outputs(tmp_path_factory.mktemp("many"))


@pytest.fixture(scope="module")
def many_inputs(tmp_path_factory):
    return modelgen.many_inputs(tmp_path_factory.mktemp("many_inputs"))


def _settle(qtbot, w):
    for worker in (w.sessions.worker, w.sessions.view.worker, w.server.worker, w.run_panel.worker, w.worker,
                   w.diagnostics.worker):
        worker.wait(TIMEOUT)
    qtbot.wait(30)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["demo", "many"])
def test_every_tab_fits(qtbot, tmp_path, many, which, size):
    model = str(demo_model_path() if which == "demo" else many)
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(model)
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Predict")
    with qtbot.waitSignal(w.run_panel.prediction_done, timeout=TIMEOUT):
        w.run_panel.run()
    w.show_panel("Diagnostics")
    with qtbot.waitSignal(w.diagnostics.worker.finished, timeout=TIMEOUT):
        w.diagnostics.start()
    view = w.sessions.view
    view.add_target(model)
    view.add_target(model)
    w.show_panel("Compare")
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        view.compare()
    # Local ⇄ Server with both sides answered (its server-side plot was 8 px tall): the same prediction twice.
    from explorer.core.compare import compare_predictions
    from explorer.core.request import Request
    from explorer.ui.widgets.both_outputs import BothOutcome

    prediction = w.run_panel.outputs.prediction
    w.server._set_tab_visible(w.server.page, True)
    w.server.both.show_outcome(BothOutcome(Request(prediction.signature, {}), prediction, prediction, None, None,
                                           compare_predictions(prediction, prediction)), w.run_panel.signature())
    _settle(qtbot, w)
    problems, splitter = [], None
    for i in range(w.tabs.count()):
        if not w.tabs.isTabVisible(i):
            continue
        name = w.tabs.tabText(i)
        w.tabs.setCurrentIndex(i)
        _settle(qtbot, w)
        pages = [None]
        if name == "Predict":  # every output's pane: a plot, a heatmap, class scores, text
            pages = list(range(w.run_panel.outputs.tabs.count()))
        for page in pages:
            if page is not None:
                w.run_panel.outputs.tabs.setCurrentIndex(page)
                _settle(qtbot, w)
            shot = w.grab()  # what a user sees; audited after it, as painting settles late layouts
            if SHOTS:
                shot.save(os.path.join(SHOTS, f"layout_{which}_{size[0]}_{name.replace(' ', '')}"
                                              f"{'' if page is None else f'_{page}'}.png"))
            found = audit(w)
            problems += [f"{which} {size} {name}{'' if page is None else f' output {page}'}: {p}" for p in found]
        assert (w.width(), w.height()) == size, f"{name} made the window {w.width()}x{w.height()}"
        sizes = w.splitter.sizes()
        splitter = splitter or sizes
        assert sizes == splitter, f"the splitter moved when {name} was shown: {splitter} -> {sizes}"
    assert problems == [], "\n".join(problems)


def test_outputs_read_plainly(qtbot, many):
    """Item 6: no SI-prefix scaling, a (32, 10) table drawn over its own columns, a text output gets the table."""
    from explorer.ui.widgets.output_view import OutputPane

    pane = OutputPane("table")
    qtbot.addWidget(pane)
    pane.resize(600, 420)
    pane.show()
    pane.show_array(np.random.default_rng(0).random((32, 10)).astype(np.float32) * 1e-3)
    vb = pane.plot.plot_item.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    assert -1 <= x0 and x1 <= 11 and -1 <= y0 and y1 <= 33  # not x -400..400
    assert not pane.plot.plot_item.getAxis("left").autoSIPrefix
    assert pane.plot.plot_widget.height() >= MIN_PLOT_HEIGHT
    pane.show_array(np.array([b"cat", b"dog"], object))
    assert not pane.plot.plot_widget.isVisibleTo(pane) and pane.table.isVisibleTo(pane)


# (name, model, signature, inputs typed, batch): one, two and three inputs, a session-loader run, 8 inputs, 8 outputs
PREDICT_CASES = [("image", "demo", "serving_default", None, None), ("score", "demo", "score", None, None),
                 ("text_stats", "demo", "text_stats", None, None),
                 ("half_plus_three", "half_plus_three", "serving_default", {"x": "[[1],[2],[5]]"}, 3),
                 ("8_inputs", "many_inputs", "serving_default", None, None),
                 ("8_outputs", "many", "serving_default", None, None)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", PREDICT_CASES, ids=lambda c: c[0])
def test_predict_tab_shows_the_inputs_then_the_outputs(qtbot, shared_models, many, many_inputs, case, size):
    """Item 12: before a run the form gets the height its rows need (every row of a signature with up to 3
    inputs is seen whole, not scrolled out of view beside an empty outputs box); after a run at least the first
    row stays whole above the outputs; the run history, shown, shows its runs; the window keeps its size."""
    from explorer.core.tensors import Source

    name, which, key, typed, batch = case
    model = {"demo": demo_model_path(), "many": many, "many_inputs": many_inputs,
             "half_plus_three": shared_models / "saved_model_half_plus_three"}[which]
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(model))
    w.tree.select_signature(key)
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None and w.run_panel.signature().key == key,
                    timeout=TIMEOUT)
    w.show_panel("Predict")
    panel = w.run_panel
    if typed:
        panel.form.set_sources({k: Source("literal", text=v) for k, v in typed.items()}, batch=batch)
    qtbot.waitUntil(lambda: panel.form.prepared is not None and not panel.form.is_checking(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not panel.worker.busy(), timeout=TIMEOUT)  # the model loaded, as a user waits for it
    _settle(qtbot, w)
    problems = []

    def look(when):
        shot = w.grab()
        if SHOTS:
            shot.save(os.path.join(SHOTS, f"predict_{name}_{size[0]}_{when}.png"))
        problems.extend(f"{name} {size} {when}: {p}" for p in audit(w) + predict_audit(panel, w))
        if (w.width(), w.height()) != size:
            problems.append(f"{name} {size} {when}: the window grew to {w.width()}x{w.height()}")

    look("before")
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    _settle(qtbot, w)
    look("after")
    assert problems == [], "\n".join(problems)
    panel.show_history()
    _settle(qtbot, w)
    look("history")
    assert problems == [], "\n".join(problems)


def _drag(handle, dx: int, dy: int) -> None:
    """Drag a splitter handle as a user does: press, move, release."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    start = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, start + QPoint(dx // 2, dy // 2))
    QTest.mouseMove(handle, start + QPoint(dx, dy))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(dx, dy))


def test_the_tabs_get_the_width_the_tree_does_not_need_and_a_dragged_splitter_stays(qtbot, shared_models):
    """Item 12: the tree pane is as wide as its columns need (it was 720 of 1280 px, mostly empty, while the form
    and the plots were stacked in 560), a wider window widens the tabs; a width or height the user drags stays
    (across runs, checks and other models) and never grows the window."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(demo_model_path()))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Predict")
    _settle(qtbot, w)
    tree, tabs = w.splitter.sizes()
    assert tree <= 0.42 * 1280 and tabs >= 0.58 * 1280 - 10, (tree, tabs)
    w.resize(1600, 1000)
    _settle(qtbot, w)
    assert w.splitter.sizes()[0] == tree  # the extra width went to the tabs

    # The user drags the form/outputs handle down: it stays through a check and a run, and the window keeps its size.
    w.resize(1280, 800)
    _settle(qtbot, w)
    panel = w.run_panel
    before = panel.splitter.sizes()
    _drag(panel.splitter.handle(1), 0, 60)
    _settle(qtbot, w)
    dragged = panel.splitter.sizes()
    assert dragged[0] > before[0] + 30, (before, dragged)
    with qtbot.waitSignal(panel.form.problems_changed, timeout=TIMEOUT):
        panel.form.check_now()
    _settle(qtbot, w)
    assert panel.splitter.sizes() == dragged
    # The user drags the tree pane wider: opening another model keeps it; the window never grows.
    _drag(w.splitter.handle(1), 150, 0)
    _settle(qtbot, w)
    chosen = w.splitter.sizes()
    assert chosen[0] > tree + 100, (tree, chosen)
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(shared_models / "saved_model_half_plus_three"))
    _settle(qtbot, w)
    assert w.splitter.sizes() == chosen
    assert (w.width(), w.height()) == (1280, 800)
    # Dragged as far as it goes, the tabs keep what their widgets need: nothing is cut, the window keeps its size.
    _drag(w.splitter.handle(1), 1000, 0)
    _settle(qtbot, w)
    assert (w.width(), w.height()) == (1280, 800)
    assert w.splitter.sizes()[1] >= w.tabs.minimumSizeHint().width()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_failed_run_keeps_the_marked_input_row_whole(qtbot, tmp_path, size):
    """After a run, a float64 file is not run: the banner above the form, the problem, its fix buttons and the
    preview under the row need the height the previous run's outputs held. The row stays whole (the outputs scroll;
    it showed 114 of its 214 px) and the window keeps its size."""
    import numpy as np

    from explorer.core.tensors import Source

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(demo_model_path()))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Predict")
    panel = w.run_panel
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    f64 = tmp_path / "digit_f64.npy"
    np.save(f64, np.random.default_rng(0).random((1, 28, 28, 1)))
    panel.form.set_sources({"image": Source("file", path=str(f64))}, check_now=False)
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT):
        panel.run()
    _settle(qtbot, w)
    shot = w.grab()
    if SHOTS:
        shot.save(os.path.join(SHOTS, f"predict_failed_after_run_{size[0]}.png"))
    assert panel.message.text().startswith("Not run:") and panel.outputs.keys()
    assert predict_audit(panel, w) + audit(w) == []
    assert (w.width(), w.height()) == size


@pytest.mark.parametrize("which", ["demo", "versions"])
def test_every_tab_is_in_sight_with_a_server_connected(qtbot, tmp_path, two_versions_server, which):
    """With a model open and a server connected (six tabs) at 1280x800, no tab hides behind the bar's scroll
    arrows (Compare did)."""
    from explorer.ui.widgets.endpoint_dialog import Endpoint
    import shutil

    from tests.servers.fixtures import MODELS, TWO_VERSIONS
    from tests.ui.layout_audit import tabs_audit

    model = demo_model_path()
    if which == "versions":  # a base path of two versions: the summary's version row widens the tree's pane
        model = tmp_path / "half_plus_two"
        shutil.copytree(MODELS / TWO_VERSIONS, model)

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(model))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    handle = two_versions_server
    with qtbot.waitSignal(w.server.panel.refreshed, timeout=60_000):
        w.server.connect_to(Endpoint("127.0.0.1", handle.rest_port, handle.grpc_port, handle.model_name))
    assert w.tabs.count() >= 6
    # The user widens the tree to read its tensor names (the tour's Local ⇄ Server shot had it at 715 px): the
    # tabs' pane keeps every tab in sight, it does not hide the last behind scroll arrows.
    w.splitter.setSizes([720, w.width() - 720])
    for i in range(w.tabs.count()):  # the tree pane's width may change with the tab shown
        w.tabs.setCurrentIndex(i)
        name = w.tabs.tabText(i)
        if SHOTS:
            w.grab().save(os.path.join(SHOTS, f"tabs-{which}-{i}-1280x800.png"))
        assert tabs_audit(w.tabs, w) == [], f"with {name!r} shown"
    _settle(qtbot, w)
