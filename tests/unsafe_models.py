"""SavedModels with dangerous ops, generated with TensorFlow, for the safety scan's tests and bench/scan.py.

Each generator is a plain function(out_dir, canary) -> folder. `canary` is a file the model would write (or read,
for the readers) when it runs or loads: a test proves nothing ran by the canary's absence. CORPUS lists them with
the op and place the scan must report; `safe_twin` is the same model without the dangerous op.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _save(module, path: Path, signatures) -> Path:
    import tensorflow as tf

    tf.saved_model.save(module, str(path), signatures=signatures)
    return path


def safe_twin(out_dir, canary=None) -> Path:
    """The same shape as write_through_function, without the write: y = 2x through a nested tf.function."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function
        def inner(self, x):
            return x * 2.0

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": self.inner(x)}

    model = Model()
    return _save(model, Path(out_dir) / "safe_twin", {"serving_default": model.serve})


def write_through_function(out_dir, canary) -> Path:
    """serving_default calls a nested tf.function that writes `canary` (tf.io.write_file): WriteFile, 2 calls deep."""
    import tensorflow as tf

    target = str(canary)

    class Model(tf.Module):
        @tf.function
        def inner(self, x):
            tf.io.write_file(target, tf.strings.as_string(x[0]))
            return x * 2.0

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": self.inner(x)}

    model = Model()
    return _save(model, Path(out_dir) / "write_through_function", {"serving_default": model.serve})


def read_file(out_dir, canary) -> Path:
    """Signature `leak` returns the bytes of `canary` (tf.io.read_file); serving_default is harmless."""
    import tensorflow as tf

    source = str(canary)

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": x + 1.0}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def leak(self, x):
            return {"y": x, "content": tf.io.read_file(source)}

    model = Model()
    return _save(model, Path(out_dir) / "read_file", {"serving_default": model.serve, "leak": model.leak})


def print_to_file_in_loop(out_dir, canary) -> Path:
    """tf.print(..., output_stream='file://canary') inside a tf.while_loop body: PrintV2 in a While's body."""
    import tensorflow as tf

    stream = "file://" + str(canary)

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            def body(i, acc):
                tf.print("row", i, output_stream=stream)
                return i + 1, acc + 1.0

            _, total = tf.while_loop(lambda i, acc: i < 2, body, [tf.constant(0), x])
            return {"y": total}

    model = Model()
    return _save(model, Path(out_dir) / "print_to_file_in_loop", {"serving_default": model.serve})


def tf1_main_op(out_dir, canary) -> Path:
    """A TF1 SavedModelBuilder model whose main_op writes `canary`: it runs when the model loads, before any run."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    path = Path(out_dir) / "tf1_main_op"
    with graph.as_default(), v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(x * 2.0, name="y")
        main_op = tf.group(tf.io.write_file(str(canary), "written at load"), v1.tables_initializer())
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], main_op=main_op,
            signature_def_map={"serving_default": v1.saved_model.signature_def_utils.predict_signature_def(
                {"x": x}, {"y": y})})
        builder.save()
    return path


def tf2_resource_init(out_dir, canary) -> Path:
    """A TF2 resource whose _initialize writes `canary`: runs at load (__saved_model_init_op), before any run."""
    import tensorflow as tf

    target = str(canary)

    class Flag(tf.saved_model.experimental.TrackableResource):
        def _create_resource(self):
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="flag")

        def _initialize(self):
            tf.io.write_file(target, "written at load")
            return tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=1.0)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.flag = Flag()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": x + tf.raw_ops.ReadVariableOp(resource=self.flag.resource_handle, dtype=tf.float32)}

    model = Model()
    return _save(model, Path(out_dir) / "tf2_resource_init", {"serving_default": model.serve})


def py_function(out_dir, canary) -> Path:
    """tf.py_function in the signature (EagerPyFunc): the graph calls back into Python."""
    import tensorflow as tf

    target = str(canary)

    def touch(x):
        Path(target).write_text("python ran")
        return x

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.py_function(touch, [x], tf.float32)}

    model = Model()
    return _save(model, Path(out_dir) / "py_function", {"serving_default": model.serve})


def matching_files(out_dir, canary) -> Path:
    """Lists the files next to `canary` (tf.io.matching_files) and returns their names."""
    import tensorflow as tf

    pattern = str(Path(canary).parent / "*")

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": x, "files": tf.io.matching_files(pattern)}

    model = Model()
    return _save(model, Path(out_dir) / "matching_files", {"serving_default": model.serve})


def save_checkpoint(out_dir, canary) -> Path:
    """SaveV2 inside the signature: writes checkpoint files at `canary` (outside the model's own save path)."""
    import tensorflow as tf

    prefix = str(canary)

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["x"], shape_and_slices=[""], tensors=[x])
            return {"y": x}

    model = Model()
    return _save(model, Path(out_dir) / "save_checkpoint", {"serving_default": model.serve})


def text_dataset(out_dir, canary) -> Path:
    """A tf.data TextLineDataset over `canary` inside the signature: counts its lines."""
    import tensorflow as tf

    source = str(canary)

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            lines = tf.data.TextLineDataset(source).reduce(tf.constant(0, tf.int64), lambda n, _: n + 1)
            return {"y": x, "lines": lines}

    model = Model()
    return _save(model, Path(out_dir) / "text_dataset", {"serving_default": model.serve})


def summary_writer(out_dir, canary) -> Path:
    """A TensorBoard summary writer created in the signature, logging into the folder `canary`."""
    import tensorflow as tf

    logdir = str(canary)

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            # Raw ops: tf.summary.create_file_writer's resource lives outside the function and cannot be saved.
            writer = tf.raw_ops.SummaryWriter(shared_name="explorer_canary", container="")
            tf.raw_ops.CreateSummaryFileWriter(writer=writer, logdir=logdir, max_queue=10, flush_millis=1000,
                                               filename_suffix=".v2")
            tf.raw_ops.WriteScalarSummary(writer=writer, step=tf.constant(0, tf.int64), tag="mean",
                                          value=tf.reduce_mean(x))
            tf.raw_ops.FlushSummaryWriter(writer=writer)
            return {"y": x}

    model = Model()
    return _save(model, Path(out_dir) / "summary_writer", {"serving_default": model.serve})


def keras_lambda(out_dir, canary=None) -> Path:
    """A Keras 2 (tf_keras) SavedModel with a Lambda layer: keras_metadata.pb carries its Python bytecode."""
    import tf_keras

    x = tf_keras.Input((3,), name="x")
    doubled = tf_keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    model = tf_keras.Model(x, tf_keras.layers.Dense(1, name="out")(doubled))
    path = Path(out_dir) / "keras_lambda"
    model.save(str(path), save_format="tf")
    return path


def vocab_asset(out_dir, canary=None) -> Path:
    """A lookup table read from a vocabulary shipped in assets/ (InitializeTableFromTextFileV2): normal, not high."""
    import tensorflow as tf

    vocab = Path(out_dir) / "vocab_source.txt"
    vocab.write_text("red\ngreen\nblue\n")

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            init = tf.lookup.TextFileInitializer(str(vocab), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                                 tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
            self.table = tf.lookup.StaticHashTable(init, -1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="word")])
        def serve(self, word):
            return {"id": self.table.lookup(word)}

    model = Model()
    return _save(model, Path(out_dir) / "vocab_asset", {"serving_default": model.serve})


# generator -> (op the scan must report, words its `where` must contain, severity)
CORPUS = {
    write_through_function: ("WriteFile", "signature 'serving_default' via serve > inner", "high"),
    read_file: ("ReadFile", "signature 'leak'", "high"),
    print_to_file_in_loop: ("PrintV2", "signature 'serving_default' via serve > while_body", "high"),
    tf1_main_op: ("WriteFile", "at load, by main_op", "high"),
    tf2_resource_init: ("WriteFile", "at load", "high"),
    py_function: ("EagerPyFunc", "signature 'serving_default'", "high"),
    matching_files: ("MatchingFiles", "signature 'serving_default'", "high"),
    save_checkpoint: ("SaveV2", "signature 'serving_default'", "high"),
    text_dataset: ("TextLineDataset", "signature 'serving_default'", "high"),
    summary_writer: ("CreateSummaryFileWriter", "signature 'serving_default'", "high"),
    keras_lambda: ("Lambda", "Keras layer 'double'", "high"),
}


def build_corpus(out_dir) -> dict[str, tuple[Path, Path]]:
    """Every model of CORPUS plus the safe twin and the vocab model: name -> (folder, canary)."""
    out_dir = Path(out_dir)
    built = {}
    for gen in list(CORPUS) + [safe_twin, vocab_asset]:
        canary = out_dir / "canaries" / gen.__name__
        canary.parent.mkdir(parents=True, exist_ok=True)
        built[gen.__name__] = (gen(out_dir, canary), canary)
    return built


CUSTOM_OP = "ZebraFusedMul"  # no TensorFlow registers it: a stand-in for an op from a library the user must load


def custom_op(out_dir, canary=None) -> Path:
    """safe_twin with its nested function's Mul renamed to CUSTOM_OP in saved_model.pb (edited with TensorFlow's
    own SavedModel proto), as a model built against a custom-op library looks; TF1-style: also a top-level node."""
    import shutil

    from tensorflow.core.protobuf import saved_model_pb2

    source = safe_twin(Path(out_dir) / "custom_op_source")
    path = Path(out_dir) / "custom_op"
    shutil.copytree(source, path)
    pb = path / "saved_model.pb"
    model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    renamed = 0
    for function in model.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "Mul":
                node.op = CUSTOM_OP
                renamed += 1
    assert renamed, "safe_twin has no Mul to rename"
    pb.write_bytes(model.SerializeToString())
    return path
