"""SignatureTree built from real SavedModels: columns, order, internal entries, filter, selection."""
import subprocess
import sys

import pytest
from PySide6.QtGui import QFontMetrics

from explorer.core.savedmodel import read_model
from explorer.ui.widgets.signature_tree import BADGE_ROLE, NAME, SHAPE, TENSOR, TYPE, SignatureTree


@pytest.fixture(scope="module")
def two_versions(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_2_versions")


@pytest.fixture(scope="module")
def tf2(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_tf2_cpu")


@pytest.fixture
def tree(qtbot):
    widget = SignatureTree()
    qtbot.addWidget(widget)
    return widget


def test_rows_show_key_method_dtype_shape_and_tensor_name(tree, two_versions):
    tree.set_model(two_versions)
    assert tree.visible_signature_keys() == ["serving_default", "classify_x2_to_y3", "classify_x_to_y",
                                             "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2"]
    sig = tree.item_for(("serving_default",))
    assert sig.text(NAME) == "serving_default" and sig.font(NAME).bold()  # the default stands out
    assert sig.data(TYPE, BADGE_ROLE)[0] == "predict"
    assert tree.item_for(("classify_x_to_y",)).data(TYPE, BADGE_ROLE)[0] == "classify"
    assert tree.item_for(("regress_x_to_y",)).data(TYPE, BADGE_ROLE)[0] == "regress"
    x = tree.item_for(("serving_default", "inputs", "x"))
    assert [x.text(c) for c in (NAME, TYPE, SHAPE, TENSOR)] == ["x", "float32", "(-1, 1)", "x:0"]
    assert x.toolTip(TYPE) == "DT_FLOAT"
    # Tensor names in monospace, as the user sees it: every character as wide as any other. (Not
    # QFontInfo.fixedPitch(): fontconfig's monospace may be Noto Sans Mono, which Qt does not report as fixed-pitch.)
    mono, proportional = QFontMetrics(x.font(TENSOR)), QFontMetrics(x.font(NAME))
    assert mono.horizontalAdvance("iiiiiiii") == mono.horizontalAdvance("MMMMMMMM") > 0
    assert proportional.horizontalAdvance("iiiiiiii") < proportional.horizontalAdvance("MMMMMMMM")
    example = tree.item_for(("classify_x_to_y", "inputs", "inputs"))
    assert (example.text(TYPE), example.text(SHAPE), example.text(TENSOR)) == ("string", "unknown rank", "tf_example:0")
    assert tree.item_for(("classify_x2_to_y3", "outputs")).text(NAME) == "outputs (1)"


def test_the_default_signature_is_selected_and_announced(tree, two_versions, qtbot):
    with qtbot.waitSignal(tree.signature_selected) as blocker:
        tree.set_model(two_versions)
    assert blocker.args[0].key == "serving_default"
    assert tree.current_node().kind == "signature"


def test_selecting_a_tensor_reports_the_node_and_its_signature(tree, two_versions, qtbot):
    tree.set_model(two_versions)
    with qtbot.waitSignals([tree.node_selected, tree.signature_selected]) as blockers:
        assert tree.select_path(("regress_x2_to_y3", "outputs", "outputs"))
    node = tree.current_node()
    assert (node.kind, node.side, node.spec.name, node.signature.key) == ("tensor", "outputs", "y3:0",
                                                                          "regress_x2_to_y3")
    # Moving within the same signature announces the node, not the signature again.
    seen = []
    tree.signature_selected.connect(seen.append)
    tree.select_path(("regress_x2_to_y3", "inputs", "inputs"))
    assert seen == []


def test_selection_survives_a_reload_with_another_version(tree, shared_models, qtbot):
    tree.set_model(read_model(shared_models / "saved_model_half_plus_two_2_versions", version=124))
    tree.select_path(("classify_x2_to_y3", "inputs", "inputs"))
    tree.set_model(read_model(shared_models / "saved_model_half_plus_two_2_versions", version=123))
    assert tree.current_node().path == ("classify_x2_to_y3", "inputs", "inputs")


def test_internal_entries_are_hidden_until_asked_then_greyed(tree, tf2):
    tree.set_model(tf2)
    assert "__saved_model_init_op" not in tree.visible_signature_keys()
    assert len(tree.visible_signature_keys()) == 6
    tree.internal_check.setChecked(True)  # the user's toggle
    assert tree.visible_signature_keys()[-1] == "__saved_model_init_op"  # listed last
    init = tree.item_for(("__saved_model_init_op",))
    assert init.font(NAME).italic()
    assert init.foreground(NAME).color() != tree.item_for(("serving_default",)).foreground(NAME).color()
    tree.set_show_internal(False)
    assert not tree.internal_check.isChecked() and init.isHidden()


def test_filter_matches_keys_and_tensor_names(tree, two_versions):
    tree.set_model(two_versions)
    tree.set_filter("X2")  # case-insensitive; matches signature keys
    assert tree.visible_signature_keys() == ["classify_x2_to_y3", "regress_x2_to_y3"]
    tree.set_filter("tf_example")  # matches tensor names only: only the matching tensors stay
    assert tree.visible_signature_keys() == ["classify_x_to_y", "regress_x_to_y", "regress_x_to_y2"]
    assert tree.item_for(("classify_x_to_y", "outputs")).isHidden()
    assert not tree.item_for(("classify_x_to_y", "inputs", "inputs")).isHidden()
    tree.set_filter("no such thing")
    assert tree.visible_signature_keys() == [] and tree.current_node() is None
    tree.set_filter("")
    assert len(tree.visible_signature_keys()) == 6


def test_tensors_without_a_recorded_shape_say_so(tree, shared_models):
    tree.set_model(read_model(shared_models / "saved_model_half_plus_three"))
    shapes = {tree.item_for((k,)).child(0).child(0).text(SHAPE) for k in tree.visible_signature_keys()}
    assert "() — no shape recorded (graph: (-1, 1))" in shapes  # the record, then the graph Placeholder's shape


def test_server_signatures_and_empty_state(tree, two_versions):
    subset = {k: two_versions.signatures[k] for k in ("regress_x_to_y", "classify_x_to_y")}
    tree.set_signatures(subset)
    assert tree.visible_signature_keys() == ["classify_x_to_y", "regress_x_to_y"]
    assert tree.current_node().signature.key == "classify_x_to_y"  # no serving_default: the first is default
    tree.set_model(None)
    assert tree.tree.topLevelItemCount() == 0 and tree.current_node() is None
    assert "Open a SavedModel" in tree.tree.placeholder


def test_runs_alone_and_reports_a_bad_path(tmp_path):
    out = subprocess.run([sys.executable, "-m", "explorer.ui.widgets.signature_tree", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert f"error: {tmp_path} is empty" in out.stderr


def test_thirty_signatures_show_one_line_each_and_the_filter_unfolds_matches(tree, tmp_path):
    # Thirty signatures fully unfolded were 210 rows: the user scrolled past 200 of them to find head_29.
    import modelgen

    tree.set_model(read_model(modelgen.many_signatures(tmp_path)))
    assert len(tree.visible_signature_keys()) == 30
    default, other = tree.item_for(("serving_default",)), tree.item_for(("head_29",))
    assert default.isExpanded() and not other.isExpanded()
    assert other.text(SHAPE) == "1 input → 1 output"  # its summary line says what is folded
    assert tree.select_signature("head_28") and tree.item_for(("head_28",)).isExpanded()  # chosen: unfolded
    tree.set_filter("head_29_x")  # a tensor name: its signature unfolds to show it
    assert tree.visible_signature_keys() == ["head_29"] and tree.item_for(("head_29",)).isExpanded()
    assert not tree.item_for(("head_29", "inputs", "x")).isHidden()
    assert tree.select_path(("head_29", "inputs", "x"))
