"""The form's uniform fill starts at core's range for the input (tensors.random_range), so the window draws the
same values as `--input pixels=fill:random`: an integer image 0..255, not 0..1 (which drew all zeros)."""
from __future__ import annotations

import numpy as np
import pytest

import modelgen
from explorer.core.savedmodel import read_model
from explorer.core.sources import Source
from explorer.core.tensors import build_input
from explorer.ui.widgets.input_editors import FillEditor


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return read_model(modelgen.tf2_signatures(tmp_path_factory.mktemp("tf2"))).signatures["mixed"]


@pytest.mark.parametrize("key, low, high", [("pixels", "0", "256"), ("ids", "0", "10")])
def test_the_form_and_the_cli_draw_the_same(qtbot, mixed, key, low, high):
    editor = FillEditor(mixed.inputs[key])
    qtbot.addWidget(editor)
    editor.kind_box.setCurrentIndex(editor.kind_box.findData("uniform"))
    assert (editor.params["low"].text(), editor.params["high"].text()) == (low, high)
    spec = mixed.inputs[key]
    form = build_input(spec, editor.source(), batch=3).array
    cli = build_input(spec, Source("fill", fill="uniform"), batch=3).array
    np.testing.assert_array_equal(form, cli)
    assert form.max() > (100 if key == "pixels" else 0)
