"""read_model() against TensorFlow's own parse of the same files: every tag-set, signature, tensor and default."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from explorer.core.errors import ModelReadError
from explorer.core.savedmodel import list_versions, read_model
from explorer.core.signature import Signature, TensorSpec

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "resources" / "examples" / "tfserving"
NOT_SAVED_MODELS = {"bad_half_plus_two", "parse_example_tflite", "saved_model_half_plus_two_tflite",
                    "saved_model_half_plus_two_tflite_with_sigdef"}
SHARED_SAVED_MODELS = sorted(p.name for p in SHARED.iterdir() if p.is_dir() and p.name not in NOT_SAVED_MODELS)
GENERATED = ["keras_model", "tf2_model", "tf1_model", "tf1_text_model", "big_graph_model"]


# --- what TensorFlow says ---------------------------------------------------------------------------------------

def tf_saved_model(pb_path: Path):
    """The file parsed by TensorFlow's own generated protobuf classes (text or binary)."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    if pb_path.name.endswith(".pbtxt"):
        text_format.Parse(pb_path.read_text(), proto)
    else:
        proto.ParseFromString(pb_path.read_bytes())
    return proto


def tf_tensor_spec(key, info) -> TensorSpec:
    from tensorflow.core.framework import types_pb2

    encoding = info.WhichOneof("encoding")
    if encoding == "coo_sparse":
        sparse = info.coo_sparse
        name = (f"sparse: values={sparse.values_tensor_name} indices={sparse.indices_tensor_name} "
                f"dense_shape={sparse.dense_shape_tensor_name}")
    elif encoding == "composite_tensor":
        comp = info.composite_tensor
        names = [c.name for c in comp.components]
        name = f"{comp.type_spec.type_spec_class_name or 'composite tensor'} of {len(names)} components: " + \
            ", ".join(names)
    else:
        name = info.name
    shape = None if info.tensor_shape.unknown_rank else tuple(d.size for d in info.tensor_shape.dim)
    return TensorSpec(key=key, dtype=types_pb2.DataType.Name(info.dtype), shape=shape, name=name,
                      has_shape=info.HasField("tensor_shape"),
                      encoding={"coo_sparse": "coo_sparse", "composite_tensor": "composite"}.get(encoding, "dense"))


def as_text(value):
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def tf_signatures(meta_graph) -> dict[str, Signature]:
    import tensorflow as tf

    out = {}
    for key, sig in meta_graph.signature_def.items():
        out[key] = Signature(
            key=key, method_name=sig.method_name,
            inputs={k: tf_tensor_spec(k, v) for k, v in sig.inputs.items()},
            outputs={k: tf_tensor_spec(k, v) for k, v in sig.outputs.items()},
            defaults={k: as_text(tf.make_ndarray(v).tolist()) for k, v in sig.defaults.items()},
        )
    return out


DEMO = ROOT / "resources" / "demo_model"


def model_path(request, name) -> Path:
    if name == "demo_model":
        return DEMO
    return request.getfixturevalue(name) if name in GENERATED else SHARED / name


def assert_equals_tensorflow(info):
    """Every meta graph of `info` equals TensorFlow's parse of the same file; facts about the files too."""
    import tensorflow as tf

    model_dir = Path(info.model_dir)
    pb = model_dir / ("saved_model.pbtxt" if info.file_format == "pbtxt" else "saved_model.pb")
    proto = tf_saved_model(pb)
    assert [m.tags for m in info.meta_graphs] == [tuple(m.meta_info_def.tags) for m in proto.meta_graphs]
    for ours, theirs in zip(info.meta_graphs, proto.meta_graphs):
        assert ours.tensorflow_version == theirs.meta_info_def.tensorflow_version
        assert ours.tensorflow_git_version == theirs.meta_info_def.tensorflow_git_version
        expected = tf_signatures(theirs)
        assert set(ours.signatures) == set(expected)
        for key in expected:  # one by one, so a failure names the signature
            assert ours.signatures[key] == expected[key], key
        assert list(ours.signatures) == sorted(ours.signatures)  # export order changes between runs: we sort
    if (model_dir / "fingerprint.pb").is_file():
        checksum = tf.saved_model.experimental.read_fingerprint(str(model_dir)).saved_model_checksum
        assert info.fingerprint == f"{checksum:016x}" and info.fingerprint_source == "fingerprint.pb"
    else:
        assert info.fingerprint == hashlib.sha256(pb.read_bytes()).hexdigest()[:16]
    assert info.saved_model_bytes == pb.stat().st_size
    assert info.variables_bytes == sum(f.stat().st_size for f in (model_dir / "variables").rglob("*") if f.is_file())


# --- every model equals TensorFlow's parse ---------------------------------------------------------------------

@pytest.mark.parametrize("name", SHARED_SAVED_MODELS + GENERATED + ["demo_model"])
def test_every_version_equals_tensorflow(request, name):
    path = model_path(request, name)
    versions = list_versions(path)
    if versions:
        info = read_model(path)
        assert info.versions == tuple(versions) == tuple(sorted(versions, reverse=True))
        assert info.version == max(versions)
        for v in versions:
            assert_equals_tensorflow(read_model(path, version=v))
    else:
        assert_equals_tensorflow(read_model(path))


@pytest.mark.parametrize("name", ["tf1_model", "saved_model_half_plus_two_cpu"])
def test_every_tag_set_equals_tensorflow(request, name):
    path = model_path(request, name)
    info = read_model(path)
    for tags in info.tag_sets:
        chosen = read_model(path, tag_set=",".join(tags))
        assert chosen.tag_set == tags
        assert chosen.signatures == chosen.meta_graph.signatures


def test_saved_model_pb_file_itself(tf1_model):
    folder = read_model(tf1_model)
    file = read_model(tf1_model / "saved_model.pb")
    assert file.versions == () and file.version is None
    assert file.meta_graphs == folder.meta_graphs and file.fingerprint == folder.fingerprint


def test_text_saved_model_equals_tensorflow_text_parse(tf1_text_model):
    info = read_model(tf1_text_model / "saved_model.pbtxt")
    assert info.file_format == "pbtxt"
    assert "serving_default" in info.signatures
    assert_equals_tensorflow(info)


# --- what the issue asks to see ----------------------------------------------------------------------------------

def test_tf1_builder_methods_odd_keys_and_tag_sets(tf1_model):
    info = read_model(tf1_model)
    assert info.tag_sets == [("serve",), ("serve", "gpu")] and info.tag_set == ("serve",)
    methods = {k: s.method_short for k, s in info.signatures.items()}
    assert methods["classify_x"] == "classify" and methods["regress_x"] == "regress"
    assert methods["serving_default"] == "predict"
    image = info.signatures["serving_default"].inputs["input_image:0"]
    assert (image.dtype, image.shape, image.name) == ("DT_FLOAT", (-1, 28, 28, 1), "input_image:0")
    assert info.signatures["tokens"].inputs["tokens"].shape == (-1, -1, 100)
    sparse = info.signatures["sparse_and_ragged"].inputs["sparse_ids"]
    assert sparse.encoding == "coo_sparse" and "sparse_ids/indices:0" in sparse.name
    gpu = read_model(tf1_model, tag_set=["gpu", "serve"])  # order of tags does not matter
    assert list(gpu.signatures) == ["serving_default"]


def test_tf2_dtypes_scalars_defaults_and_internal(tf2_model):
    info = read_model(tf2_model)
    sigs = info.signatures
    mixed = sigs["mixed"].inputs
    assert {k: (s.dtype, s.shape) for k, s in mixed.items()} == {
        "ids": ("DT_INT64", (-1, 5)), "mask": ("DT_BOOL", (-1, 5)),
        "pixels": ("DT_UINT8", (-1, 8, 8, 3)), "scale": ("DT_DOUBLE", ())}
    assert sigs["strings"].inputs["text"].dtype == "DT_STRING"
    assert sigs["scalar"].inputs["value"].shape == () and sigs["scalar"].inputs["value"].has_shape
    assert sigs["sequence"].inputs["sequence"].shape == (-1, -1, 100)
    defaults = sigs["with_defaults"].defaults
    assert defaults["b"] == [7, -9] and defaults["label"] == ["hi", "thére"] and defaults["flag"] is True
    assert defaults["c"] == [[1.5, 2.0], [-3.0, 0.25]] and defaults["big"] == [1 << 40, -5, 0]
    assert sigs["__saved_model_init_op"].internal
    assert "__saved_model_init_op" not in info.user_signatures
    assert info.default_signature == "serving_default"


def test_unknown_rank_is_not_unknown_dims(request):
    mlmd = read_model(SHARED / "saved_model_half_plus_two_mlmd").signatures["serving_default"].inputs["x"]
    cpu = read_model(SHARED / "saved_model_half_plus_two_cpu").signatures["serving_default"].inputs["x"]
    assert mlmd.shape is None and mlmd.to_dict()["shape"] is None
    assert cpu.shape == (-1, 1) and cpu.to_dict()["shape"] == [-1, 1]
    three = read_model(SHARED / "saved_model_half_plus_three").signatures
    no_shape = [s for sig in three.values() for s in sig.inputs.values() if not s.has_shape]
    assert no_shape and all(s.shape == () for s in no_shape)  # TF reads a missing shape as a scalar


def test_big_graph_is_read_without_loading_it(big_graph_model):
    pb = big_graph_model / "saved_model.pb"
    assert pb.stat().st_size > 100e6
    tracemalloc.start()
    try:
        info = read_model(big_graph_model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.signatures["serving_default"].outputs["values"].shape == (-1, 256)
    # The graph is skipped by its length prefix, never copied: Python allocates a tiny fraction of the file.
    assert peak < 5e6, f"read_model allocated {peak / 1e6:.1f} MB for a {pb.stat().st_size / 1e6:.0f} MB file"


def test_versions_newest_first_and_choice():
    base = SHARED / "saved_model_half_plus_two_2_versions"
    info = read_model(base)
    assert info.versions == (124, 123) and info.version == 124
    assert info.model_dir.endswith("00000124") and info.base_path == str(base)
    older = read_model(base, version=123)
    assert older.version == 123 and older.model_dir.endswith("00000123")
    with pytest.raises(ModelReadError, match="no version 7; available: 124, 123"):
        read_model(base, version=7)


def test_servable_versions_listed_and_others_explained(tmp_path, tf1_model):
    shutil.copytree(tf1_model, tmp_path / "3")
    (tmp_path / "5").mkdir()  # newer, but empty: TF Serving would skip it
    shutil.copytree(SHARED / "bad_half_plus_two" / "00000123", tmp_path / "4")
    (tmp_path / "notes").mkdir()
    info = read_model(tmp_path)
    assert info.versions == (3,) and info.version == 3
    assert info.skipped_versions == {"5": "empty", "4": "a legacy SessionBundle (export.meta), not a SavedModel"}


# --- bad input: one clear message naming the path and what was expected -----------------------------------------

def _bad_inputs(tmp: Path, tf1_model: Path) -> dict[str, tuple[Path, str]]:
    (tmp / "empty").mkdir()
    (tmp / "no_pb").mkdir()
    (tmp / "no_pb" / "variables").mkdir()
    (tmp / "all_empty" / "1").mkdir(parents=True)
    (tmp / "all_empty" / "2").mkdir()
    data = (tf1_model / "saved_model.pb").read_bytes()
    for name, content in {"truncated": data[: len(data) // 3], "corrupted": bytes(range(256)) * 40,
                          "zero": b""}.items():
        (tmp / name).mkdir()
        (tmp / name / "saved_model.pb").write_bytes(content)
    (tmp / "bad_text").mkdir()
    (tmp / "bad_text" / "saved_model.pbtxt").write_text("meta_graphs { signature_def { oops")
    (tmp / "a_file").write_text("not a folder")
    tflite = SHARED / "saved_model_half_plus_two_tflite" / "00000123" / "model.tflite"
    (tmp / "two_tflite").mkdir()
    for name in ("a.tflite", "b.tflite"):
        (tmp / "two_tflite" / name).write_bytes(tflite.read_bytes())
    (tmp / "bad_tflite").mkdir()
    (tmp / "bad_tflite" / "model.tflite").write_bytes(tflite.read_bytes()[:300])
    return {
        "empty folder": (tmp / "empty", "is empty: expected saved_model.pb"),
        "folder without saved_model.pb": (tmp / "no_pb", "has no saved_model.pb: expected a SavedModel folder"),
        "legacy SessionBundle base path": (SHARED / "bad_half_plus_two", "legacy SessionBundle (export.meta)"),
        "legacy SessionBundle folder": (SHARED / "bad_half_plus_two" / "00000123",
                                        "legacy SessionBundle (export.meta), not a SavedModel"),
        "two tflite files": (tmp / "two_tflite", "several .tflite files and none is named model.tflite"),
        "truncated tflite": (tmp / "bad_tflite", "is truncated or corrupted"),
        "truncated": (tmp / "truncated", "is truncated or corrupted"),
        "corrupted": (tmp / "corrupted", "is truncated or corrupted"),
        "zero bytes": (tmp / "zero", "is empty (0 bytes)"),
        "bad text": (tmp / "bad_text", "is not a valid text SavedModel"),
        "all versions empty": (tmp / "all_empty", "no version folder holds a model (2/: empty; 1/: empty)"),
        "missing": (tmp / "nowhere", "does not exist"),
        "below a file": (tmp / "a_file" / "model", "a_file is a file, not a folder"),
    }


BAD = ["empty folder", "folder without saved_model.pb", "legacy SessionBundle base path", "legacy SessionBundle folder",
       "two tflite files", "truncated tflite", "truncated", "corrupted", "zero bytes", "bad text", "all versions empty",
       "missing", "below a file"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gives_one_clear_message(tmp_path, tf1_model, case):
    path, expected = _bad_inputs(tmp_path, tf1_model)[case]
    with pytest.raises(ModelReadError) as caught:
        read_model(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message or str(path.parent) in message  # names the path (a file's folder for pb errors)
    assert "\n" not in message and "Traceback" not in message


def test_truncated_at_every_point_never_crashes(tf1_model):
    """Any prefix of a real file is a ModelReadError or a (smaller) model, never another exception."""
    data = (tf1_model / "saved_model.pb").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        pb = Path(tmp) / "saved_model.pb"
        for cut in range(1, len(data), max(1, len(data) // 97)):
            pb.write_bytes(data[:cut])
            try:
                read_model(tmp)
            except ModelReadError:
                pass


UNREADABLE_CHECK = """
import sys
from explorer.core.errors import ModelReadError
from explorer.core.savedmodel import read_model
try:
    info = read_model(sys.argv[1])
except ModelReadError as exc:
    print("ERROR", exc)
else:
    print("OK", info.versions, dict(info.skipped_versions))
"""


def _as_unprivileged(path: Path) -> str:
    """read_model(path) as a user who lacks permissions: root ignores chmod, so root runs it as `nobody`."""
    cmd = [sys.executable, "-c", UNREADABLE_CHECK, str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: cannot drop privileges to test permissions")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def world_readable_tmp():
    # pytest's tmp_path lives under a 0700 folder that `nobody` cannot enter at all.
    tmp = Path(tempfile.mkdtemp(prefix="explorer-perm-"))
    tmp.chmod(0o755)
    yield tmp
    for p in tmp.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(tmp)


def test_unreadable_folder_and_version(world_readable_tmp, tf1_model):
    locked = world_readable_tmp / "locked"
    shutil.copytree(tf1_model, locked)
    base = world_readable_tmp / "base"
    shutil.copytree(tf1_model, base / "1")
    shutil.copytree(tf1_model, base / "2")
    for p in (world_readable_tmp, base, base / "1", *(base / "1").rglob("*"), *(base / "2").rglob("*")):
        p.chmod(0o755 if p.is_dir() else 0o644)
    locked.chmod(0o700)
    (base / "2").chmod(0o700)  # newest version unreadable: TF Serving could not load it either

    assert _as_unprivileged(locked) == f"ERROR {locked} cannot be read (permission denied)."
    assert _as_unprivileged(locked / "1") .startswith(f"ERROR {locked / '1'} cannot be read (permission denied")
    assert _as_unprivileged(base) == "OK (1,) {'2': 'unreadable (Permission denied)'}"
    (base / "1").chmod(0o700)
    out = _as_unprivileged(base)
    assert out.startswith(f"ERROR {base} looks like a TF Serving base path, but no version folder holds a model")
    assert "1/: unreadable" in out and "2/: unreadable" in out


# --- the bundled demo model -----------------------------------------------------------------------------------------

def test_demo_model_signatures_as_documented():
    info = read_model(DEMO)
    assert info.versions == (1,) and info.skipped_versions == {}
    shapes = {key: {k: (s.dtype, s.shape) for k, s in {**sig.inputs, **sig.outputs}.items()}
              for key, sig in info.user_signatures.items()}
    assert shapes == {
        "serving_default": {"image": ("DT_FLOAT", (-1, 28, 28, 1)), "probabilities": ("DT_FLOAT", (-1, 10))},
        "score": {"features": ("DT_FLOAT", (-1, 4)), "category": ("DT_INT64", (-1,)), "score": ("DT_FLOAT", (-1,))},
        "text_stats": {"text": ("DT_STRING", (-1,)), "length": ("DT_INT64", (-1,)), "words": ("DT_INT64", (-1,)),
                       "bucket": ("DT_INT64", (-1,))},
    }
    assert {s.method_short for s in info.user_signatures.values()} == {"predict"}
    size = sum(f.stat().st_size for f in DEMO.rglob("*") if f.is_file())
    assert size < 1 << 20, f"the demo model is a shipped resource: {size} bytes is too big"


def test_demo_model_is_not_collapsed():
    """Its sample digits come out as themselves, and different inputs give clearly different outputs."""
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    model = tf.saved_model.load(str(DEMO / "1"))
    images = np.stack([np.asarray(Image.open(DEMO / "samples" / f"digit_{d}.png"), np.float32)[..., None] / 255
                       for d in range(10)])
    probabilities = model.signatures["serving_default"](image=tf.constant(images))["probabilities"].numpy()
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert (probabilities.argmax(axis=1) == np.arange(10)).sum() >= 9
    features = tf.constant(np.random.default_rng(0).normal(size=(6, 4)), tf.float32)
    scores = model.signatures["score"](features=features, category=tf.constant([0, 1, 2, 3, 4, 5], tf.int64))
    assert np.ptp(scores["score"].numpy()) > 0.3
    stats = model.signatures["text_stats"](text=tf.constant(["two words", "three short words"]))
    assert stats["words"].numpy().tolist() == [2, 3] and stats["length"].numpy().tolist() == [9, 17]
