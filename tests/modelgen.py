"""SavedModels generated with TensorFlow for tests and benchmarks: each is a plain function(dir) -> path.

Every generator imports TensorFlow inside itself (explorer.core must never need it) and writes into `out_dir`,
returning the folder to open. Others may APPEND generators here; keep them small, deterministic and plain.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def keras_export(out_dir) -> Path:
    """Keras 3 `model.export`: two named Input layers -> one softmax output; signatures serve and serving_default."""
    import keras

    keras.utils.set_random_seed(0)
    features = keras.Input((4,), name="features")
    extra = keras.Input((2,), name="extra")
    x = keras.layers.Concatenate()([features, extra])
    y = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8, activation="relu")(x))
    model = keras.Model([features, extra], y)
    path = Path(out_dir) / "keras_export"
    model.export(str(path), verbose=False)
    return path


def tf2_signatures(out_dir) -> Path:
    """`tf.saved_model.save` with several signatures and dtypes: string, int64, bool, uint8, float64, scalars,
    a variable-length [None, None, 100] input and a TF2 default value; as a TF Serving base path (version 1)."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.constant([[0.5], [-1.0], [2.0]]), name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def predict(self, x):
            return {"y": tf.matmul(x, self.w)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def strings(self, text):
            return {"length": tf.cast(tf.strings.length(text), tf.int64), "upper": tf.strings.upper(text)}

        @tf.function(input_signature=[
            tf.TensorSpec([None, 5], tf.int64, name="ids"),
            tf.TensorSpec([None, 5], tf.bool, name="mask"),
            tf.TensorSpec([None, 8, 8, 3], tf.uint8, name="pixels"),
            tf.TensorSpec([], tf.float64, name="scale"),
        ])
        def mixed(self, ids, mask, pixels, scale):
            kept = tf.reduce_sum(tf.where(mask, ids, tf.zeros_like(ids)), axis=1)
            brightness = tf.reduce_mean(tf.cast(pixels, tf.float64), axis=[1, 2, 3]) * scale
            return {"kept": kept, "brightness": brightness, "any": tf.reduce_any(mask)}

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32, name="value")])
        def scalar(self, value):
            return {"doubled": value * 2.0}

        @tf.function(input_signature=[tf.TensorSpec([None, None, 100], tf.float32, name="sequence")])
        def sequence(self, sequence):
            return {"mean": tf.reduce_mean(sequence, axis=1)}

        @tf.function(input_signature=[
            tf.TensorSpec([2], tf.float32, name="a"), tf.TensorSpec([2], tf.int32, name="b"),
            tf.TensorSpec([2, 2], tf.float64, name="c"), tf.TensorSpec([], tf.bool, name="flag"),
            tf.TensorSpec([2], tf.string, name="label"), tf.TensorSpec([3], tf.int64, name="big"),
            tf.TensorSpec([], tf.uint8, name="small"),
        ])
        def with_defaults(self, a, b=tf.constant([7, -9], tf.int32), c=tf.constant([[1.5, 2.0], [-3.0, 0.25]],
                          tf.float64), flag=tf.constant(True), label=tf.constant(["hi", "thére"]),
                          big=tf.constant([1 << 40, -5, 0], tf.int64), small=tf.constant(200, tf.uint8)):
            total = a + tf.cast(b, tf.float32) + tf.cast(tf.reduce_sum(c), tf.float32) + tf.cast(small, tf.float32)
            return {"sum": tf.where(flag, total, -total), "label": label, "big": big}

    model = Model()
    path = Path(out_dir) / "tf2_signatures" / "1"
    tf.saved_model.save(model, str(path), signatures={
        "serving_default": model.predict, "strings": model.strings, "mixed": model.mixed,
        "scalar": model.scalar, "sequence": model.sequence, "with_defaults": model.with_defaults,
    })
    return path.parent


def _tf1_graph_model(path: Path, as_text: bool) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        # classify/regress read serialized tf.Example protos, as TF Serving's Classify and Regress APIs send them.
        examples = v1.placeholder(tf.string, [None], name="tf_example")
        parsed = v1.io.parse_example(examples, {"x": tf.io.FixedLenFeature([1], tf.float32)})
        a = v1.get_variable("a", initializer=0.5)
        b = v1.get_variable("b", initializer=2.0)
        y = tf.identity(a * parsed["x"] + b, name="y")
        scores = tf.concat([tf.sigmoid(y), 1 - tf.sigmoid(y)], axis=1, name="scores")
        classes = tf.tile(tf.constant([["yes", "no"]]), [tf.shape(y)[0], 1], name="classes")

        image = v1.placeholder(tf.float32, [None, 28, 28, 1], name="input_image")
        logits = tf.reduce_mean(image, axis=[1, 2]) * a + b
        probabilities = tf.nn.softmax(tf.concat([logits, -logits], axis=1), name="probabilities")

        tokens = v1.placeholder(tf.float32, [None, None, 100], name="tokens")
        pooled = tf.reduce_max(tokens, axis=1, name="pooled")

        sparse = v1.sparse_placeholder(tf.int64, [None, 10], name="sparse_ids")
        sparse_sum = tf.sparse.reduce_sum(sparse, axis=1, name="sparse_sum")
        ragged = tf.RaggedTensor.from_row_lengths(
            v1.placeholder(tf.float32, [None], name="ragged_values"),
            v1.placeholder(tf.int64, [None], name="ragged_lengths"))
        ragged_mean = tf.reduce_mean(ragged, axis=1, name="ragged_mean")

        info = v1.saved_model.utils.build_tensor_info
        sigs = v1.saved_model.signature_def_utils
        signature_defs = {
            # A key spelled like a tensor name: users copy these from old tutorials and trip over them.
            "serving_default": sigs.predict_signature_def({"input_image:0": image}, {"probabilities": probabilities}),
            "classify_x": sigs.classification_signature_def(examples, classes, scores),
            "regress_x": sigs.regression_signature_def(examples, y),
            "tokens": sigs.predict_signature_def({"tokens": tokens}, {"pooled": pooled}),
            "sparse_and_ragged": sigs.build_signature_def(
                inputs={"sparse_ids": info(sparse), "ragged": v1.saved_model.utils.build_tensor_info(ragged)},
                outputs={"sparse_sum": info(sparse_sum), "ragged_mean": info(ragged_mean)},
                method_name=v1.saved_model.signature_constants.PREDICT_METHOD_NAME),
        }
        sess.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, [v1.saved_model.tag_constants.SERVING],
                                             signature_def_map=signature_defs)
        # A second tag-set, as GPU/TPU exports have, holding only the predict signature.
        builder.add_meta_graph(["serve", "gpu"], signature_def_map={"serving_default": signature_defs["serving_default"]})
        builder.save(as_text=as_text)
    return path


def tf1_builder(out_dir) -> Path:
    """A TF1 `SavedModelBuilder` model: classify/regress/predict, key `input_image:0`, [None, None, 100],
    sparse and ragged inputs, and two tag-sets (serve; serve,gpu)."""
    return _tf1_graph_model(Path(out_dir) / "tf1_builder", as_text=False)


def tf1_builder_text(out_dir) -> Path:
    """The same TF1 model written by TensorFlow as text (saved_model.pbtxt)."""
    return _tf1_graph_model(Path(out_dir) / "tf1_builder_text", as_text=True)


def big_graph(out_dir, megabytes: int = 100) -> Path:
    """A model whose saved_model.pb is `megabytes` MB: a tf.function closing over a large constant, which
    TensorFlow embeds in the graph (not in variables/), as frozen or constant-folded exports do."""
    import numpy as np
    import tensorflow as tf

    # Random values: a constant of equal values is stored in a few bytes, not `megabytes` MB.
    table = np.random.default_rng(0).standard_normal((megabytes * (1 << 20) // 4 // 256, 256)).astype(np.float32)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = tf.constant(table)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="row")])
        def lookup(self, row):
            return {"values": tf.gather(self.table, row)}

    model = Model()
    path = Path(out_dir) / f"big_graph_{megabytes}mb"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.lookup})
    return path


# --- identical-output pathologies (diagnose) ----------------------------------------------------------------------


def _dense_classifier(path: Path, w1, b1, w2, b2, hidden: str = "relu", inputs: int | None = None,
                      ignored: int | None = None) -> Path:
    """x [None, N] -> Dense(hidden activation) -> Dense(softmax) "probabilities", saved with tf.saved_model.save;
    with `ignored` a second input "extra" [None, ignored] that the function takes and never uses."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1, self.b1 = tf.Variable(w1, dtype=tf.float32), tf.Variable(b1, dtype=tf.float32)
            self.w2, self.b2 = tf.Variable(w2, dtype=tf.float32), tf.Variable(b2, dtype=tf.float32)

        def _forward(self, x):
            h = getattr(tf.nn, hidden)(tf.matmul(x, self.w1) + self.b1)
            return {"probabilities": tf.nn.softmax(tf.matmul(h, self.w2) + self.b2)}

    model = Model()
    width = inputs or len(w1)
    if ignored:
        fn = tf.function(lambda x, extra: model._forward(x), input_signature=[
            tf.TensorSpec([None, width], tf.float32, name="x"), tf.TensorSpec([None, ignored], tf.float32, name="extra")])
    else:
        fn = tf.function(lambda x: model._forward(x), input_signature=[tf.TensorSpec([None, width], tf.float32, name="x")])
    tf.saved_model.save(model, str(path), signatures={"serving_default": fn.get_concrete_function()})
    return path


def classifier_pair(out_dir) -> tuple[Path, Path]:
    """A collapsed classifier (dead ReLUs: a hidden bias of -1e6 zeroes every unit for any input up to 0..255, so
    every input gets the same softmax) and its healthy twin with the same weights and a zero bias.
    Returns (collapsed, healthy)."""
    import numpy as np

    rng = np.random.default_rng(1)
    w1, w2 = rng.standard_normal((8, 16)) * 0.5, rng.standard_normal((16, 3))
    b2 = np.array([0.2, -0.1, 0.3])
    collapsed = _dense_classifier(Path(out_dir) / "collapsed", w1, np.full(16, -1e6), w2, b2)
    healthy = _dense_classifier(Path(out_dir) / "healthy", w1, np.zeros(16), w2, b2)
    return collapsed, healthy


def ignores_input(out_dir) -> Path:
    """Two inputs, x [None, 8] and extra [None, 4]; the outputs depend on x only."""
    import numpy as np

    rng = np.random.default_rng(2)
    return _dense_classifier(Path(out_dir) / "ignores_extra", rng.standard_normal((8, 16)) * 0.5, np.zeros(16),
                             rng.standard_normal((16, 3)), np.zeros(3), ignored=4)


def saturating(out_dir) -> Path:
    """A classifier trained for inputs in 0..1: tanh units centred for that range. Fed raw 0..255 values every
    unit pins at +1, so every such input gets the same softmax (the "forgot to divide by 255" bug)."""
    import numpy as np

    rng = np.random.default_rng(3)
    w1 = 0.3 + rng.standard_normal((16, 8)) * 0.2  # positive on average: 255-scale inputs push all units to +1
    b1 = -(w1.sum(axis=0) * 0.5)  # centred at x = 0.5, so 0..1 inputs land in tanh's linear range
    return _dense_classifier(Path(out_dir) / "saturating", w1, b1, rng.standard_normal((8, 3)) * 2, np.zeros(3),
                             hidden="tanh")


def two_versions(out_dir) -> Path:
    """A TF Serving base path with versions 1 and 2 of one classifier (different weights, same signature)."""
    import numpy as np

    base = Path(out_dir) / "two_versions"
    for version in (1, 2):
        rng = np.random.default_rng(10 + version)
        _dense_classifier(base / str(version), rng.standard_normal((8, 16)) * 0.5, np.zeros(16),
                          rng.standard_normal((16, 3)), np.zeros(3))
    return base


def matmul_and_pair(out_dir) -> Path:
    """TF2 model whose kernels fail in ways users meet: serving_default y = x @ [[2]] with x [-1, 1] (a wrong inner
    dimension -> "Matrix size-incompatible"), and `pair` s = a + b (different batch sizes -> "Incompatible shapes")."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[2.0]], name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32, name="x")])
        def predict(self, x):
            return {"y": tf.matmul(x, self.w)}

        @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32, name="a"),
                                      tf.TensorSpec([None, 1], tf.float32, name="b")])
        def pair(self, a, b):
            return {"s": a + b}

    model = Model()
    path = Path(out_dir) / "matmul_and_pair"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.predict, "pair": model.pair})
    return path


def big_variables(out_dir, megabytes: int = 300) -> Path:
    """A dense model with `megabytes` MB of float32 variables (tf.saved_model.save): y = relu(x @ W1) @ W2, x [-1, 256]."""
    import numpy as np
    import tensorflow as tf

    hidden = max(1, megabytes * (1 << 20) // 4 // (256 + 10))
    rng = np.random.default_rng(0)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(rng.standard_normal((256, hidden), dtype=np.float32) * 0.01, name="w1")
            self.w2 = tf.Variable(rng.standard_normal((hidden, 10), dtype=np.float32) * 0.01, name="w2")

        @tf.function(input_signature=[tf.TensorSpec([None, 256], tf.float32, name="x")])
        def predict(self, x):
            return {"y": tf.matmul(tf.nn.relu(tf.matmul(x, self.w1)), self.w2)}

    model = Model()
    path = Path(out_dir) / f"big_variables_{megabytes}mb"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.predict})
    return path


def fixed_batch(out_dir, batch: int = 32) -> Path:
    """x [batch, 5] (a fixed batch dim, as some exports have) -> y = tanh(x @ w): TF Serving takes exactly `batch` rows."""
    import numpy as np
    import tensorflow as tf

    w = tf.Variable(np.random.default_rng(4).standard_normal((5, 2)).astype(np.float32))

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = w

        @tf.function(input_signature=[tf.TensorSpec([batch, 5], tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.tanh(tf.matmul(x, self.w))}

    model = Model()
    path = Path(out_dir) / f"fixed_batch_{batch}"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def image_classifier(out_dir, size: int = 32, classes: int = 10) -> Path:
    """A small CNN, x [None, size, size, 3] -> two 3x3 convolutions, global pooling, softmax "probabilities":
    a batch of 256 costs tens of milliseconds on a CPU, like the image models users check."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(5)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.k1 = tf.Variable(rng.standard_normal((3, 3, 3, 16)).astype(np.float32) * 0.3)
            self.k2 = tf.Variable(rng.standard_normal((3, 3, 16, 32)).astype(np.float32) * 0.1)
            self.w = tf.Variable(rng.standard_normal((32, classes)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32, name="image")])
        def serve(self, image):
            h = tf.nn.relu(tf.nn.conv2d(image, self.k1, 1, "SAME"))
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.relu(tf.nn.conv2d(h, self.k2, 1, "SAME"))
            return {"probabilities": tf.nn.softmax(tf.matmul(tf.reduce_mean(h, axis=[1, 2]), self.w))}

    model = Model()
    path = Path(out_dir) / f"image_classifier_{size}"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


# --- compare: pairs whose differences are known by construction -------------------------------------------------


def _two_output_model(path: Path, w, v, z_shift: float = 0.0, scale: float = 1.0) -> Path:
    """x [None, 4] float32 -> {"scores": softmax(x @ w) * scale, "z": (tanh(x @ v) + z_shift) * scale}."""
    import numpy as np
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.asarray(w, np.float32))
            self.v = tf.Variable(np.asarray(v, np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x):
            return {"scores": tf.nn.softmax(tf.matmul(x, self.w)) * scale,
                    "z": (tf.tanh(tf.matmul(x, self.v)) + z_shift) * scale}

    model = Model()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def compare_pairs(out_dir) -> dict[str, Path]:
    """Three models with one signature (x [None, 4] -> scores [None, 3], z [None, 2]): "base"; "one_output", equal
    in scores and with z shifted by 0.5; "slightly", both outputs scaled by 1 + 1e-4 (different at rtol 1e-5,
    equal at rtol 1e-3). Also "versions": a TF Serving base path with base as version 1 and one_output as 2."""
    import numpy as np

    rng = np.random.default_rng(21)
    w, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    root = Path(out_dir) / "compare_pairs"
    models = {"base": _two_output_model(root / "base", w, v),
              "one_output": _two_output_model(root / "one_output", w, v, z_shift=0.5),
              "slightly": _two_output_model(root / "slightly", w, v, scale=1.0 + 1e-4)}
    import shutil

    models["versions"] = root / "versions"
    shutil.copytree(models["base"], root / "versions" / "1")  # copies: saving with TensorFlow again costs seconds
    shutil.copytree(models["one_output"], root / "versions" / "2")
    return models


def tflite_source(out_dir) -> Path:
    """The SavedModel the TFLite tests convert: two signatures with a -1 batch. "classify": x [None, 32] float32 ->
    {"probs": softmax [None, 4], "logits" [None, 4]}; "regress": features [None, 3] -> {"y": [None, 2]}. Weights
    are seeded; the logits' spread makes argmax clear enough to survive int8."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(16)
    w1, w2 = rng.standard_normal((32, 64)) * 0.4, rng.standard_normal((64, 4)) * 0.6
    v = rng.standard_normal((3, 2))

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(np.asarray(w1, np.float32))
            self.w2 = tf.Variable(np.asarray(w2, np.float32))
            self.v = tf.Variable(np.asarray(v, np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None, 32], tf.float32, name="x")])
        def classify(self, x):
            logits = tf.matmul(tf.nn.relu(tf.matmul(x, self.w1)), self.w2)
            return {"probs": tf.nn.softmax(logits), "logits": logits}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="features")])
        def regress(self, features):
            return {"y": tf.matmul(features, self.v) + 0.5}

    model = Model()
    path = Path(out_dir) / "tflite_source"
    tf.saved_model.save(model, str(path), signatures={"classify": model.classify, "regress": model.regress})
    return path


def flex_source(out_dir) -> Path:
    """A SavedModel whose op (tf.strings.length on a string input) has no TFLite builtin: converting it needs
    SELECT_TF_OPS, and the .tflite then needs the Flex delegate."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text):
            return {"length": tf.strings.length(text)}

    model = Model()
    path = Path(out_dir) / "flex_source"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def tflite_set(out_dir) -> dict[str, Path]:
    """tflite_source converted by the product's own converter (explorer.core.convert: tf.lite.TFLiteConverter) to
    "float", "dynamic" and "int8" .tflite files, plus "flex" (flex_source with SELECT_TF_OPS) and "offset_int8" (a
    quantisation that loses the whole signal); with the SavedModels as "source", "flex_source", "offset_source"."""
    from explorer.core.convert import convert_to_tflite

    out = Path(out_dir) / "tflite_set"
    models = {"source": tflite_source(out), "flex_source": flex_source(out)}
    for quantize, name in (("none", "float"), ("dynamic", "dynamic"), ("int8", "int8")):
        models[name] = Path(convert_to_tflite(models["source"], quantize, out=out / f"{name}.tflite",
                                              representative=200).tflite)
    models["flex"] = Path(convert_to_tflite(models["flex_source"], "none", out=out / "flex.tflite",
                                            select_tf_ops=True).tflite)
    models["offset_source"] = offset_source(out)
    models["offset_int8"] = Path(convert_to_tflite(models["offset_source"], "int8", out=out / "offset_int8.tflite",
                                                   representative=50).tflite)
    return models


def _scale_model(path: Path, factor: float, key: str = "x", width: int = 3) -> Path:
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32, name=key)])
        def serve(self, x):  # the signature's input key is the TensorSpec's name
            return {"y": x * factor}

    model = Model()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def identity_and_triple(out_dir) -> Path:
    """A TF Serving base path whose version 1 computes y = x and version 2 y = 3x (x [None, 3]): equal on zeros only."""
    base = Path(out_dir) / "identity_and_triple"
    _scale_model(base / "1", 1.0)
    _scale_model(base / "2", 3.0)
    return base


def other_input_key(out_dir) -> Path:
    """y = x with the input named `features` instead of `x`: no request fits both it and identity_and_triple."""
    return _scale_model(Path(out_dir) / "other_input_key", 1.0, key="features")


def saturates_at_byte_scale(out_dir) -> Path:
    """A classifier of 16 "pixels" trained for 0..1: zero-mean tanh units, linear at 0..1 and pinned at +-1 by raw
    0..255 values. Random 0..255 draws still land on different sign patterns (outputs vary), but around one raw
    image nothing moves: the case a check must name from the user's own input."""
    import numpy as np

    rng = np.random.default_rng(5)
    return _dense_classifier(Path(out_dir) / "saturates_at_byte_scale", rng.standard_normal((16, 8)) * 0.4,
                             np.zeros(8), rng.standard_normal((8, 4)) * 1.5, np.zeros(4), hidden="tanh")


# --- re-export: models whose signature needs fixing (issue 17) -------------------------------------------------


def two_functions(out_dir) -> Path:
    """A tf.Module saved with two tf.functions and NO signatures (TF Serving cannot serve it): `predict`
    x [None, 3] float32 -> {"y": x @ w}, and `scaled` (features [None, 3], factor scalar) -> (x @ w * factor, sum)."""
    import numpy as np
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.array([[0.5], [-1.0], [2.0]], np.float32), name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def predict(self, x):
            return {"y": tf.matmul(x, self.w)}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([], tf.float32)])
        def scaled(self, features, factor):
            return tf.matmul(features, self.w) * factor, tf.reduce_sum(features)

    model = Model()
    path = Path(out_dir) / "two_functions"
    tf.saved_model.save(model, str(path))
    return path


def float64_model(out_dir, sensitive: bool = False) -> Path:
    """x [None, 4] float64 -> y [None, 2] float64 (a float64 export clients must send float64 to). With `sensitive`,
    y = (x - 1) * 1e9 @ w: float32 rounding of an input near 1 changes the answer (a cast that is not harmless)."""
    import numpy as np
    import tensorflow as tf

    w = np.random.default_rng(6).standard_normal((4, 2))

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(w, dtype=tf.float64)

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float64, name="x")])
        def serve(self, x):
            if sensitive:
                return {"y": tf.matmul((x - 1.0) * 1e9, self.w)}
            return {"y": tf.tanh(tf.matmul(x, self.w))}

    model = Model()
    path = Path(out_dir) / ("float64_sensitive" if sensitive else "float64")
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def grayscale_cnn(out_dir, size: int = 28, classes: int = 10) -> Path:
    """A grayscale CNN trained-style for 0..1 floats: image [None, size, size, 1] float32 -> softmax "probabilities";
    the export clients send 0..255 bytes to (the "forgot to divide by 255" model)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(7)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.k = tf.Variable(rng.standard_normal((3, 3, 1, 8)).astype(np.float32))
            self.w = tf.Variable(rng.standard_normal((8, classes)).astype(np.float32) * 2)

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 1], tf.float32, name="image")])
        def serve(self, image):
            h = tf.nn.relu(tf.nn.conv2d(image - 0.5, self.k, 1, "SAME"))
            return {"probabilities": tf.nn.softmax(tf.matmul(tf.reduce_mean(h, axis=[1, 2]), self.w))}

    model = Model()
    path = Path(out_dir) / f"grayscale_cnn_{size}"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


V2_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
             "uint64", "bool", "string")


def v2_dtypes(out_dir, with_bfloat16: bool = False) -> Path:
    """serving_default takes one [-1, 2] input per KServe V2 datatype (`in_<dtype>`) and returns each unchanged as
    `out_<dtype>` (strings upper-cased, so the server's answer is not just the request): a datatype round trip."""
    import tensorflow as tf

    names = list(V2_DTYPES) + (["bfloat16"] if with_bfloat16 else [])
    specs = [tf.TensorSpec([None, 2], tf.as_dtype(n), name=f"in_{n}") for n in names]

    class Model(tf.Module):
        @tf.function(input_signature=specs)
        def serve(self, *args):
            out = {}
            for name, value in zip(names, args):
                out[f"out_{name}"] = tf.strings.upper(value) if name == "string" else tf.identity(value)
            return out

    model = Model()
    path = Path(out_dir) / ("v2_dtypes_bf16" if with_bfloat16 else "v2_dtypes")
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def offset_source(out_dir) -> Path:
    """A SavedModel whose output is a large offset plus a small signal: y = 100 + 0.05 * tanh(sum(x)), which varies
    by up to 0.1 (far beyond `check`'s 1e-4 threshold). Full-int8 quantisation spends its 256 steps on [0, ~100]
    (the range must hold 0): one step is ~0.39, so every input gives the same y."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x):
            return {"y": 100.0 + 0.05 * tf.tanh(tf.reduce_sum(x, axis=1, keepdims=True))}

    model = Model()
    path = Path(out_dir) / "offset_source"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def many_outputs(out_dir) -> Path:
    """One signature with the outputs users meet, for layout checks: class scores [None, 10] (softmax), logits
    [None, 10], a [None, 4, 10] heatmap, a [None, 100] curve, a per-row scalar [None], an int64 class id [None], a
    string label [None] and a fixed [32, 10] table. Input x [None, 8]."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(13)
    w = tf.constant(rng.standard_normal((8, 10)).astype(np.float32))
    w3 = tf.constant(rng.standard_normal((8, 40)).astype(np.float32))
    w100 = tf.constant(rng.standard_normal((8, 100)).astype(np.float32))
    fixed = tf.constant(rng.standard_normal((32, 10)).astype(np.float32) * 50)
    names = tf.constant([f"class_{i}" for i in range(10)])

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
        def serve(self, x):
            logits = tf.matmul(x, w)
            classes = tf.argmax(logits, axis=1)
            return {"scores": tf.nn.softmax(logits), "logits": logits,
                    "heatmap": tf.reshape(tf.matmul(x, w3), [-1, 4, 10]), "curve": tf.sin(tf.matmul(x, w100)),
                    "total": tf.reduce_sum(x, axis=1), "class_id": classes, "label": tf.gather(names, classes),
                    "table": fixed + tf.reduce_mean(x)}

    model = Model()
    path = Path(out_dir) / "many_outputs"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def many_inputs(out_dir) -> Path:
    """serving_default with the 8 inputs a feature model takes, for layout checks: float32 [None, 4] `dense`, int64
    [None] `category`, string [None] `text`, float32 [None, 3] `a`..`e`; y [None] is their float sum (text counted
    by length)."""
    import tensorflow as tf

    specs = [tf.TensorSpec([None, 4], tf.float32, name="dense"), tf.TensorSpec([None], tf.int64, name="category"),
             tf.TensorSpec([None], tf.string, name="text")]
    specs += [tf.TensorSpec([None, 3], tf.float32, name=n) for n in "abcde"]

    class Model(tf.Module):
        @tf.function(input_signature=specs)
        def serve(self, dense, category, text, a, b, c, d, e):
            rest = tf.add_n([tf.reduce_sum(t, axis=1) for t in (dense, a, b, c, d, e)])
            return {"y": rest + tf.cast(category, tf.float32) + tf.cast(tf.strings.length(text), tf.float32)}

    model = Model()
    path = Path(out_dir) / "many_inputs"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def slow_loop(out_dir) -> Path:
    """x [None] float32 -> y = x, steps: a tf.while_loop of max(x) * 1,000,000 steps. x of zeros returns at once;
    x = [1000] runs for hours (a prediction that hangs, for Cancel and engine-kill tests)."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def predict(self, x):
            steps = tf.cast(tf.reduce_max(tf.concat([x, [0.0]], 0)), tf.int64) * 1_000_000
            i, total = tf.while_loop(lambda i, t: i < steps, lambda i, t: (i + 1, t + 1.0),
                                     [tf.constant(0, tf.int64), tf.constant(0.0)])
            return {"y": x + total * 0.0, "steps": i}

    model = Model()
    path = Path(out_dir) / "slow_loop"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.predict})
    return path


def big_image_model(out_dir, megabytes: int = 300) -> Path:
    """An image model with `megabytes` MB of float32 variables: x [None, 224, 224, 3] -> 4x4 average pooling ->
    Dense(relu) -> Dense(10) "y" (tf.saved_model.save). For benchmarks of large inputs on a large model."""
    import numpy as np
    import tensorflow as tf

    flat = 56 * 56 * 3
    hidden = max(1, megabytes * (1 << 20) // 4 // (flat + 10))
    rng = np.random.default_rng(0)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(rng.standard_normal((flat, hidden), dtype=np.float32) * 0.01, name="w1")
            self.w2 = tf.Variable(rng.standard_normal((hidden, 10), dtype=np.float32) * 0.01, name="w2")

        @tf.function(input_signature=[tf.TensorSpec([None, 224, 224, 3], tf.float32, name="x")])
        def predict(self, x):
            pooled = tf.reshape(tf.nn.avg_pool2d(x, 4, 4, "VALID"), [-1, flat])
            return {"y": tf.matmul(tf.nn.relu(tf.matmul(pooled, self.w1)), self.w2)}

    model = Model()
    path = Path(out_dir) / f"big_image_{megabytes}mb"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.predict})
    return path


def unusual_outputs(out_dir) -> Path:
    """serving_default: x [None, 4] float32 -> one output per dtype users meet beyond float32 (int8, uint16, bool,
    string, float16, complex64, complex128), each x times a constant; `seq` [None, None, 100] -> its mean over time
    (a large float input the default fills with noise); `any_rank`: x of unknown rank -> doubled, and total (a
    scalar over all of x); `complex_in`: z [None, 3] complex64 and h float16 -> re, im, squared. A second folder `no_signatures` holds a tf.Module saved with
    signatures={} (one saved function, f)."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x):
            return {"i8": tf.cast(x * 3.0, tf.int8), "u16": tf.cast(x * 7.0, tf.uint16), "flag": x > 0.5,
                    "text": tf.strings.as_string(x), "half": tf.cast(x, tf.float16),
                    "c64": tf.complex(x, -2.0 * x), "c128": tf.cast(tf.complex(x, x), tf.complex128)}

        @tf.function(input_signature=[tf.TensorSpec([None, None, 100], tf.float32, name="seq")])
        def sequence(self, seq):
            return {"mean": tf.reduce_mean(seq, axis=1)}

        @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name="x")])
        def any_rank(self, x):
            return {"doubled": x * 2.0, "total": tf.reduce_sum(x)}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.complex64, name="z"),
                                      tf.TensorSpec([None, 3], tf.float16, name="h")])
        def complex_in(self, z, h):
            return {"re": tf.math.real(z) + tf.cast(h, tf.float32), "im": tf.math.imag(z), "squared": z * z}

    class Bare(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def f(self, x):
            return x + 1.0

    model = Model()
    path = Path(out_dir) / "unusual_outputs"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve, "sequence": model.sequence,
                                                         "any_rank": model.any_rank,
                                                         "complex_in": model.complex_in})
    tf.saved_model.save(Bare(), str(Path(out_dir) / "no_signatures"), signatures={})
    return path


def flag_and_text(out_dir) -> Path:
    """serving_default: flag [None] bool, text [None] string -> out (text upper-cased where flag is true) and len
    (the text's length, which the flag does not change): the flag moves only a string output."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.bool, name="flag"),
                                      tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, flag, text):
            return {"out": tf.where(flag, tf.strings.upper(text), text), "len": tf.strings.length(text)}

    model = Model()
    path = Path(out_dir) / "flag_and_text"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def tf1_pair_feature(out_dir, weights=(1.0, -2.0), name: str = "tf1_pair_feature") -> Path:
    """A TF1 builder model whose classify/regress signatures parse tf.Examples with a feature "pair" of TWO floats
    (not TF Serving's one float "x"): classify_pair -> classes/scores, regress_pair -> outputs; odd_keys takes
    "input_image:0", "with space" and "ключ=é" ([None, 3] each) -> "out put:0" = a + 2b + 3c."""
    import tensorflow as tf

    v1 = tf.compat.v1
    path = Path(out_dir) / name
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        examples = v1.placeholder(tf.string, [None], name="tf_example")
        pair = v1.io.parse_example(examples, {"pair": tf.io.FixedLenFeature([2], tf.float32)})["pair"]
        y = tf.matmul(pair, tf.constant([[weights[0]], [weights[1]]]))  # 0 at pair = 0 whatever the weights
        scores = tf.nn.softmax(tf.concat([y, -y], axis=1))
        classes = tf.tile(tf.constant([["pos", "neg"]]), [tf.shape(y)[0], 1])
        a, b, c = (v1.placeholder(tf.float32, [None, 3], name=n) for n in ("img", "sp", "uni"))
        sigs = v1.saved_model.signature_def_utils
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "classify_pair": sigs.classification_signature_def(examples, classes, scores),
            "regress_pair": sigs.regression_signature_def(examples, y),
            # Keys as users meet them: a tensor name, a space, unicode and '=' inside a key.
            "odd_keys": sigs.predict_signature_def({"input_image:0": a, "with space": b, "ключ=é": c},
                                                   {"out put:0": a + 2.0 * b + 3.0 * c})})
        builder.save()
    return path


def long_names(out_dir) -> Path:
    """serving_default: input_image_with_a_very_long_name [None, 8, 8, 3] and another_rather_long_bounding_box_prior
    [None, 4] -> detection_scores_for_every_anchor_box and bbox: tensor names like
    serving_default_input_image_with_a_very_long_name:0, for layout checks."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[
            tf.TensorSpec([None, 8, 8, 3], tf.float32, name="input_image_with_a_very_long_name"),
            tf.TensorSpec([None, 4], tf.float32, name="another_rather_long_bounding_box_prior")])
        def serve(self, input_image_with_a_very_long_name, another_rather_long_bounding_box_prior):
            return {"detection_scores_for_every_anchor_box": tf.reduce_mean(input_image_with_a_very_long_name, [1, 2]),
                    "bbox": another_rather_long_bounding_box_prior * 2}

    model = Model()
    path = Path(out_dir) / "long_names"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


OUTPUT_KINDS = ("string", "complex64", "bool", "uint8", "int8", "float16", "scalar", "scores_1000", "image",
                "dark_photo", "rank5", "nonfinite", "empty", "million", "twelve")


def output_kinds(out_dir) -> Path:
    """One signature per kind of output the Outputs view must show (keys in OUTPUT_KINDS), each from x [None, 4]
    float32: string words [None, 3], complex64 z [None, 4], bool, uint8, int8, float16 (each [None, 4]), a scalar
    total (), class scores [None, 1000] (softmax), an image [None, 64, 64, 3] in 0..1, a dark uint8 photo
    [None, 32, 32, 3] in 0..62, a 5-D [None, 2, 3, 4, 5],
    all-NaN/inf values [None, 10], an empty [None, 0], a million values [None, 1000000], and `twelve` with twelve
    [None, 4 * i] outputs named out_01..out_12."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(7)
    w1000 = tf.constant(rng.standard_normal((4, 1000)).astype(np.float32))
    spec = [tf.TensorSpec([None, 4], tf.float32, name="x")]

    class Model(tf.Module):
        @tf.function(input_signature=spec)
        def string(self, x):
            words = tf.constant(["cat", "a rather longer sentence of several words", "été ✓"])
            return {"words": tf.tile(words[tf.newaxis], [tf.shape(x)[0], 1]),
                    "as_text": tf.strings.as_string(x, precision=3)}

        @tf.function(input_signature=spec)
        def complex64(self, x):
            t = tf.range(4, dtype=tf.float32) + x
            return {"z": tf.complex(tf.cos(t), tf.sin(t) * 2.0)}

        @tf.function(input_signature=spec)
        def bool(self, x):
            return {"positive": x + tf.constant([0.5, -0.5, 1.0, -1.0]) > 0}

        @tf.function(input_signature=spec)
        def uint8(self, x):
            return {"pixels": tf.cast(tf.clip_by_value(x * 50.0 + tf.constant([0.0, 80.0, 160.0, 255.0]), 0, 255),
                                      tf.uint8)}

        @tf.function(input_signature=spec)
        def int8(self, x):
            return {"q": tf.cast(tf.clip_by_value(x * 20.0 + tf.constant([-128.0, -5.0, 5.0, 127.0]), -128, 127),
                                 tf.int8)}

        @tf.function(input_signature=spec)
        def float16(self, x):
            return {"half": tf.cast(x * 1.5 + tf.constant([0.1, 1.0, 10.0, 65000.0]), tf.float16)}

        @tf.function(input_signature=spec)
        def scalar(self, x):
            return {"total": tf.reduce_sum(x) + 1.5}

        @tf.function(input_signature=spec)
        def scores_1000(self, x):
            return {"probabilities": tf.nn.softmax(tf.matmul(x, w1000) * 3.0 + tf.sin(tf.range(1000.0)) * 2.0)}

        @tf.function(input_signature=spec)
        def image(self, x):
            g = tf.linspace(0.0, 1.0, 64)
            yy, xx = tf.meshgrid(g, g, indexing="ij")
            img = tf.stack([xx, yy, 0.5 + 0.5 * tf.sin(6.0 * (xx + yy))], axis=-1)
            return {"image": tf.tile(img[tf.newaxis], [tf.shape(x)[0], 1, 1, 1]) + 0.0 * x[:, :1, tf.newaxis,
                                                                                              tf.newaxis]}

        @tf.function(input_signature=spec)
        def dark_photo(self, x):
            ramp = tf.cast(tf.range(32) * 2, tf.uint8)  # 0..62: a dark uint8 picture
            img = tf.stack([tf.tile(ramp[tf.newaxis], [32, 1])] * 3, axis=-1)
            return {"photo": tf.tile(img[tf.newaxis], [tf.shape(x)[0], 1, 1, 1])}

        @tf.function(input_signature=spec)
        def rank5(self, x):
            v = tf.reshape(tf.sin(tf.range(120.0)), [1, 2, 3, 4, 5])
            return {"volume": tf.tile(v, [tf.shape(x)[0], 1, 1, 1, 1])}

        @tf.function(input_signature=spec)
        def nonfinite(self, x):
            inf = tf.constant(np.inf, tf.float32)
            row = tf.stack([np.nan, inf, -inf] * 3 + [np.nan])
            return {"all_nan": tf.fill([tf.shape(x)[0], 10], tf.constant(np.nan, tf.float32)),
                    "nan_inf": tf.tile(row[tf.newaxis], [tf.shape(x)[0], 1]) + 0.0 * x[:, :1]}

        @tf.function(input_signature=spec)
        def empty(self, x):
            return {"nothing": tf.zeros([tf.shape(x)[0], 0], tf.float32)}

        @tf.function(input_signature=spec)
        def million(self, x):
            t = tf.range(1_000_000, dtype=tf.float32)
            return {"signal": tf.sin(t / 5000.0)[tf.newaxis] + tf.reduce_sum(x, axis=1, keepdims=True)}

        @tf.function(input_signature=spec)
        def twelve(self, x):
            return {f"out_{i:02d}": tf.sin(tf.tile(x, [1, i]) + float(i)) for i in range(1, 13)}

    model = Model()
    path = Path(out_dir) / "output_kinds"
    tf.saved_model.save(model, str(path), signatures={k: getattr(model, k) for k in OUTPUT_KINDS})
    return path


def slash_colon_keys(out_dir) -> Path:
    """A TF1 builder model whose serving_default keys hold '/', ':' (not a tensor index) and a space: "input/a",
    "input:b", "input c" ([None, 3] float32 each) -> "out/y:0" = 2a + b - c."""
    import tensorflow as tf

    v1 = tf.compat.v1
    path = Path(out_dir) / "slash_colon_keys"
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        a, b, c = (v1.placeholder(tf.float32, [None, 3], name=n) for n in ("a", "b", "c"))
        sigs = v1.saved_model.signature_def_utils
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": sigs.predict_signature_def({"input/a": a, "input:b": b, "input c": c},
                                                          {"out/y:0": 2.0 * a + b - c})})
        builder.save()
    return path


def tf1_no_shape(out_dir) -> Path:
    """A TF1 builder model whose signature records no shape for its input (TensorInfo without tensor_shape, as old
    exports wrote it) while the graph's Placeholder "x" takes [None, 3]: serving_default x -> y = 2x."""
    import tensorflow as tf

    v1 = tf.compat.v1
    path = Path(out_dir) / "tf1_no_shape"
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        y = tf.multiply(x, 2.0, name="y")
        info = v1.saved_model.utils.build_tensor_info
        x_info, y_info = info(x), info(y)
        x_info.ClearField("tensor_shape")
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": v1.saved_model.signature_def_utils.build_signature_def(
                {"x": x_info}, {"y": y_info}, v1.saved_model.signature_constants.PREDICT_METHOD_NAME)})
        builder.save()
    return path


def gated_sum(out_dir) -> Path:
    """serving_default: x [None, 3] and gate [None, 1] -> y = sum(x) * gate: at gate = 0 (the form's all-zero
    default) x moves nothing, though the model uses it."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"),
                                      tf.TensorSpec([None, 1], tf.float32, name="gate")])
        def serve(self, x, gate):
            return {"y": tf.reduce_sum(x, axis=1, keepdims=True) * gate}

    model = Model()
    path = Path(out_dir) / "gated_sum"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def uint8_image_and_bias(out_dir) -> Path:
    """serving_default: image uint8 [None, 8, 8, 3] and bias float32 [None, 1] -> y = image[:, 0, 0, :1] / 255 +
    10 * bias (a model that scales its own pixels, beside a second input)."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.uint8, name="image"),
                                      tf.TensorSpec([None, 1], tf.float32, name="bias")])
        def serve(self, image, bias):
            pixels = tf.cast(image[:, 0, 0, :1], tf.float32) / 255.0
            return {"y": pixels + 10.0 * bias}

    model = Model()
    path = Path(out_dir) / "uint8_image_and_bias"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return path


def many_signatures(out_dir, count: int = 30) -> Path:
    """`count` signatures: serving_default and head_01.. each x [None, 4] -> y = x + i."""
    import tensorflow as tf

    module = tf.Module()
    signatures = {}
    for i in range(count):
        fn = tf.function(lambda x, i=i: {"y": x + float(i)}, input_signature=[tf.TensorSpec([None, 4], tf.float32,
                                                                                             name="x")])
        setattr(module, f"f{i}", fn)
        signatures["serving_default" if i == 0 else f"head_{i:02d}"] = fn
    path = Path(out_dir) / "many_signatures"
    tf.saved_model.save(module, str(path), signatures=signatures)
    return path


def tf2_parse_examples(out_dir) -> Path:
    """serving_default: examples [None] string (serialized tf.Examples, parsed in the graph by ParseExampleV2 with
    age int64 [1] and income float [2] required, city bytes [1] defaulted, tags sparse bytes) -> score = 0.1 age +
    income[0] - income[1] + len(city); no feature is TF Serving's "x". And text: text [None] string -> length."""
    import tensorflow as tf

    spec = {"age": tf.io.FixedLenFeature([1], tf.int64), "income": tf.io.FixedLenFeature([2], tf.float32),
            "city": tf.io.FixedLenFeature([1], tf.string, default_value=[""]), "tags": tf.io.VarLenFeature(tf.string)}

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
        def serve(self, examples):
            f = tf.io.parse_example(examples, spec)
            score = (0.1 * tf.cast(f["age"][:, 0], tf.float32) + f["income"][:, 0] - f["income"][:, 1]
                     + tf.cast(tf.strings.length(f["city"][:, 0]), tf.float32))
            return {"score": score}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def text(self, text):
            return {"length": tf.strings.length(text)}

    model = Model()
    path = Path(out_dir) / "tf2_parse_examples"
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve, "text": model.text})
    return path
