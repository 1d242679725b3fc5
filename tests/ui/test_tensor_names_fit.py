"""Issue 13 item 12: tensor names are never cut in the window -- at 1280x800 and 1600x1000, on the demo model, TF
Serving's half_plus_two and a model with long input keys, every tensor name in the tree is reachable whole (its
column as wide as the name, the horizontal scrollbar reaching its end, the tooltip holding it) and in Details."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

import modelgen
from explorer.resources import demo_model_path
from explorer.ui.main_window import MainWindow
from explorer.ui.widgets.signature_tree import NODE_ROLE, TENSOR

TIMEOUT = 120_000


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    return modelgen.long_names(tmp_path_factory.mktemp("long_names"))


def _tensor_rows(tree):
    def walk(item):
        node = item.data(0, NODE_ROLE)
        if node is not None and node.kind == "tensor" and node.function is None:
            yield item
        for i in range(item.childCount()):
            yield from walk(item.child(i))

    for i in range(tree.topLevelItemCount()):
        yield from walk(tree.topLevelItem(i))


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
@pytest.mark.parametrize("model", ["demo", "half_plus_two", "long_names"])
def test_every_tensor_name_is_reachable_whole(qtbot, size, model, shared_models, long_names):
    path = {"demo": demo_model_path(), "half_plus_two": shared_models / "saved_model_half_plus_two_cpu",
            "long_names": long_names}[model]
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(path))
    w.worker.wait(TIMEOUT)
    for _ in range(5):
        QApplication.processEvents()
    tree = w.tree.tree
    tree.expandAll()
    QApplication.processEvents()
    rows = list(_tensor_rows(tree))
    assert rows, "no tensor rows"
    # The column's right edge is within reach of the horizontal scrollbar.
    bar = tree.horizontalScrollBar()
    right = tree.header().sectionPosition(TENSOR) + tree.columnWidth(TENSOR)
    assert right <= tree.viewport().width() + bar.maximum()
    for item in rows:
        name = item.text(TENSOR)
        assert item.toolTip(TENSOR) == name
        needed = QFontMetrics(item.font(TENSOR)).horizontalAdvance(name)
        assert tree.columnWidth(TENSOR) >= needed + 8, f"{name!r} cut: {tree.columnWidth(TENSOR)} px < {needed}"
        # Details shows it whole, too.
        tree.setCurrentItem(item)
        QApplication.processEvents()
        assert name in w.details.toPlainText()
    assert tree.textElideMode() == Qt.TextElideMode.ElideMiddle  # narrowed by hand, both ends stay
    w.close()
