"""Build the bundled demo model: a TF Serving base path `demo_model/1/` with three signatures worth exploring.

- `serving_default`: a small convolutional digit classifier, `image` float32 [-1, 28, 28, 1] in 0..1 (white digit on
  black, like MNIST) -> `probabilities` float32 [-1, 10] (softmax). Trained here for a few seconds on digits drawn
  with Pillow's bundled font (no download), so a drawn "3" really comes out as 3.
- `score`: two named inputs of different dtypes, `features` float32 [-1, 4] and `category` int64 [-1]
  -> `score` float32 [-1] in 0..1 (a seeded two-layer net with a category embedding).
- `text_stats`: `text` string [-1] -> `length`, `words` and `bucket` (int64 [-1] each).

Weights are seeded, so a rebuild gives the same model; `samples/digit_N.png` are images to try it with, and
`samples/digit_3_rgb.npy` / `digit_3_float64.npy` arrays that do not fit it (the tour's mistakes).
Run: python resources/make_demo_model.py [BASE_PATH]   (default: demo_model/ beside this file)
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240611
CATEGORIES = 5


def render_digits(count: int, rng):
    """`count` 28x28 digits (float32 0..1, white on black) with random size, place, slant and stroke; and labels."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    images = np.zeros((count, 28, 28, 1), np.float32)
    labels = rng.integers(0, 10, count)
    fonts = {size: ImageFont.load_default(size=size) for size in range(16, 27)}
    for i, digit in enumerate(labels):
        canvas = Image.new("L", (56, 56))
        font = fonts[int(rng.integers(16, 27))]
        draw = ImageDraw.Draw(canvas)
        draw.text((28 + rng.normal(0, 2), 28 + rng.normal(0, 2)), str(digit), fill=255, font=font, anchor="mm",
                  stroke_width=int(rng.integers(0, 3)), stroke_fill=255)
        canvas = canvas.rotate(float(rng.normal(0, 10)), resample=Image.BILINEAR, center=(28, 28))
        canvas = canvas.crop((14, 14, 42, 42)).filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 0.8))))
        images[i, :, :, 0] = np.asarray(canvas, np.float32) / 255.0
    return images, labels.astype(np.int64)


def build(base: Path = HERE / "demo_model", train_steps: int = 1500) -> Path:
    """Train, export with explicit signatures to `base`/1 and write sample images; returns the version folder."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.random.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(SEED)
    init = tf.keras.initializers.GlorotUniform(seed=SEED)

    class Demo(tf.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tf.Variable(init((3, 3, 1, 8)), name="conv1")
            self.bias1 = tf.Variable(tf.zeros(8), name="bias1")
            self.conv2 = tf.Variable(init((3, 3, 8, 16)), name="conv2")
            self.bias2 = tf.Variable(tf.zeros(16), name="bias2")
            self.dense = tf.Variable(init((7 * 7 * 16, 10)), name="dense")
            self.bias3 = tf.Variable(tf.zeros(10), name="bias3")
            # The `score` net: untrained but seeded, with weights large enough that inputs change the output.
            self.embedding = tf.Variable(tf.constant(rng.normal(0, 1, (CATEGORIES, 4)), tf.float32), name="embed")
            self.hidden = tf.Variable(tf.constant(rng.normal(0, 0.8, (8, 8)), tf.float32), name="hidden")
            self.out = tf.Variable(tf.constant(rng.normal(0, 0.8, (8, 1)), tf.float32), name="out")

        def logits(self, image):
            x = tf.nn.relu(tf.nn.conv2d(image, self.conv1, 1, "SAME") + self.bias1)
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            x = tf.nn.relu(tf.nn.conv2d(x, self.conv2, 1, "SAME") + self.bias2)
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            return tf.matmul(tf.reshape(x, (-1, 7 * 7 * 16)), self.dense) + self.bias3

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
        def classify(self, image):
            return {"probabilities": tf.nn.softmax(self.logits(image))}

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="features"),
                                      tf.TensorSpec([None], tf.int64, name="category")])
        def score(self, features, category):
            # floormod: any integer is a valid category, so random inputs in the app never fail here.
            embedded = tf.gather(self.embedding, tf.math.floormod(category, CATEGORIES))
            hidden = tf.tanh(tf.matmul(tf.concat([features, embedded], axis=1), self.hidden))
            return {"score": tf.sigmoid(tf.squeeze(tf.matmul(hidden, self.out), axis=1))}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def text_stats(self, text):
            words = tf.strings.split(tf.strings.strip(text))
            return {
                "length": tf.cast(tf.strings.length(text, unit="UTF8_CHAR"), tf.int64),
                "words": tf.cast(words.row_lengths(), tf.int64),
                "bucket": tf.strings.to_hash_bucket_fast(tf.strings.lower(text), 100),
            }

    model = Demo()
    images, labels = render_digits(6000, rng)
    held_images, held_labels = render_digits(1000, rng)
    _train(model, images, labels, train_steps, rng)
    accuracy = float(np.mean(np.argmax(model.classify(held_images)["probabilities"], axis=1) == held_labels))
    print(f"held-out accuracy on drawn digits: {accuracy:.3f}")
    if accuracy < 0.9:
        raise SystemExit(f"the demo classifier reached only {accuracy:.3f}: refusing to ship it")

    version = base / "1"
    if version.exists():
        shutil.rmtree(version)
    tf.saved_model.save(model, str(version), signatures={
        "serving_default": model.classify, "score": model.score, "text_stats": model.text_stats})
    _write_samples(base / "samples", rng)
    return version


def _train(model, images, labels, steps: int, rng) -> None:
    """Adam on the classifier's variables (written out: Keras 3 optimizers want Keras variables, not tf.Variable)."""
    import tensorflow as tf

    params = [model.conv1, model.bias1, model.conv2, model.bias2, model.dense, model.bias3]
    moments = [(tf.Variable(tf.zeros_like(p)), tf.Variable(tf.zeros_like(p))) for p in params]
    lr, b1, b2, eps = 3e-3, 0.9, 0.999, 1e-7

    @tf.function
    def step(x, y, t):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, model.logits(x)))
        for p, g, (m, v) in zip(params, tape.gradient(loss, params), moments):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * g * g)
            p.assign_sub(lr * (m / (1 - b1 ** t)) / (tf.sqrt(v / (1 - b2 ** t)) + eps))
        return loss

    for t in range(1, steps + 1):
        idx = rng.integers(0, len(images), 64)
        loss = step(images[idx], labels[idx], tf.constant(float(t)))
        if t % 200 == 0:
            print(f"step {t}: loss {float(loss):.3f}")


def _write_samples(folder: Path, rng) -> None:
    """One drawn image per digit, as 28x28 grayscale PNGs, to open in the app's input form."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    images, labels = render_digits(200, rng)
    for digit in range(10):
        first = int(np.argmax(labels == digit))
        Image.fromarray((images[first, :, :, 0] * 255).round().astype(np.uint8), "L").save(folder / f"digit_{digit}.png")
    write_mistaken_arrays(folder)


def write_mistaken_arrays(folder: Path) -> None:
    """digit_3 as two arrays users get wrong, for the tour: RGB (3 channels) and float64 (.npy keeps its dtype)."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(folder / "digit_3.png").convert("RGB"), np.float32)[None] / 255
    np.save(folder / "digit_3_rgb.npy", rgb)
    np.save(folder / "digit_3_float64.npy", rgb[..., :1].astype(np.float64))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    version = build(Path(argv[0]) if argv else HERE / "demo_model")
    total = sum(f.stat().st_size for f in version.parent.rglob("*") if f.is_file())
    print(f"wrote {version} ({total / 1024:.0f} KB with samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
