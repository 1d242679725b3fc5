"""Models for the window's tests: a two-tag-set SavedModel and the broken folders users actually open."""
import shutil

import pytest

from explorer.core import schema


def _tensor_info(name: str, dtype: int, dims) -> "schema.message_class":
    info = schema.message_class("TensorInfo")(name=name, dtype=dtype)
    for d in dims:
        info.tensor_shape.dim.add(size=d)
    return info


def write_multi_tag_model(folder):
    """saved_model.pb with two MetaGraphs (tags serve / serve,gpu), each with its own signatures.

    Written with our private schema, whose field numbers match TensorFlow's (checked by the core tests), so the
    bytes are what TF's SavedModelBuilder writes for these fields; building a two-graph model with TF1 code in
    a fixture would cost seconds of TensorFlow import for the same bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    model = schema.SavedModel(saved_model_schema_version=1)
    for tags, keys, version in ((["serve"], ["serving_default", "embed"], "2.21.0"),
                                (["serve", "gpu"], ["serving_default", "gpu_only"], "2.21.0-gpu")):
        meta = model.meta_graphs.add()
        meta.meta_info_def.tags.extend(tags)
        meta.meta_info_def.tensorflow_version = version
        for key in keys:
            sig = meta.signature_def[key]
            sig.method_name = "tensorflow/serving/predict"
            sig.inputs["images"].CopyFrom(_tensor_info(f"{key}_images:0", 1, (-1, 28, 28, 1)))
            sig.outputs["probabilities"].CopyFrom(_tensor_info(f"{key}/softmax:0", 1, (-1, 10)))
        init = meta.signature_def["__saved_model_init_op"]
        init.outputs["__saved_model_init_op"].CopyFrom(_tensor_info("NoOp", 0, ()))
    (folder / "saved_model.pb").write_bytes(model.SerializeToString())
    return folder


@pytest.fixture(scope="session")
def multi_tag_model(tmp_path_factory):
    return write_multi_tag_model(tmp_path_factory.mktemp("multi_tag") / "model")


@pytest.fixture(scope="session")
def bad_models(tmp_path_factory, shared_models):
    """name -> path of each kind of folder that is not a SavedModel, with a word its message must contain."""
    root = tmp_path_factory.mktemp("bad")
    empty = root / "empty"
    empty.mkdir()
    no_pb = root / "no_pb"
    (no_pb / "variables").mkdir(parents=True)
    truncated = root / "truncated"
    truncated.mkdir()
    pb = (shared_models / "saved_model_half_plus_two_cpu" / "00000123" / "saved_model.pb").read_bytes()
    (truncated / "saved_model.pb").write_bytes(pb[: len(pb) // 2])
    empty_versions = root / "empty_versions"
    (empty_versions / "1").mkdir(parents=True)
    (empty_versions / "2").mkdir()
    tflite = root / "tflite"
    tflite.mkdir()
    data = (shared_models / "saved_model_half_plus_two_tflite" / "00000123" / "model.tflite").read_bytes()
    (tflite / "model.tflite").write_bytes(data[: len(data) // 2])
    return {
        "empty": (empty, "is empty"),
        "no saved_model.pb": (no_pb, "has no saved_model.pb"),
        "legacy SessionBundle": (shared_models / "bad_half_plus_two", "legacy SessionBundle"),
        "tflite": (tflite, "truncated or corrupted: it is not a complete TensorFlow Lite"),
        "truncated": (truncated, "truncated or corrupted"),
        "empty version folders": (empty_versions, "no version folder holds a model"),
        "missing": (root / "does_not_exist", "does not exist"),
    }


@pytest.fixture
def window(qtbot):
    """A shown MainWindow whose server actions, run panel and worker are idle before it is torn down."""
    from explorer.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.server.worker.wait()
    w.run_panel.wait()
    w.worker.wait()


@pytest.fixture
def readme_window(qtbot):
    """A shown MainWindow at the README's size (1280x800) whose every worker is idle before it is torn down."""
    from explorer.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    for worker in (w.sessions.worker, w.sessions.view.worker, w.server.worker, w.run_panel.worker, w.worker,
                   w.diagnostics.worker):
        worker.wait(180_000)
