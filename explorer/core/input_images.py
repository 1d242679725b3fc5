"""Images as inputs: one file or a folder (a batch row per image), laid out as the spec's shape asks (batch axis,
size, channels first or last), converted, resized and scaled only as said in the notes; bytes for string inputs."""
from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np

from . import dtypes, limits
from .errors import InputProblem
from .file_cache import cached
from .signature import TensorSpec, shape_text
from .sources import Source, param_flag
from .tensor_values import Built, dtype_of, numbers_to

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_MODE_WORDS = {"L": "grayscale", "RGB": "RGB", "RGBA": "RGBA", "P": "palette", "LA": "grayscale+alpha",
               "1": "black-and-white", "CMYK": "CMYK", "I;16": "16-bit grayscale", "I": "32-bit grayscale",
               "F": "float grayscale"}



def _image_layout(spec: TensorSpec):
    """(batch axis?, H, W, C or None for no channel axis, channels_first) from the spec, -1 where free."""
    shape = spec.shape
    if shape is None or not spec.has_shape:
        return True, -1, -1, -1, False
    r = len(shape)
    if r == 4:
        if shape[1] in (1, 3, 4) and shape[3] not in (1, 3, 4):
            return True, shape[2], shape[3], shape[1], True
        return True, shape[1], shape[2], shape[3], False
    if r == 3:
        if shape[0] == -1 and shape[2] not in (3, 4):
            return True, shape[1], shape[2], None, False
        return False, shape[0], shape[1], shape[2], False
    if r == 2:
        return False, shape[0], shape[1], None, False
    raise InputProblem(spec.key, f"{spec.key} has shape {spec.shape_text()}, which does not look like an image "
                                 "(an image input has 2 to 4 dimensions).",
                       fix="Load the pixels from .npy instead, or pick the image input of the signature.")


def from_images(spec: TensorSpec, source: Source, paths: list[Path], batch, loose: bool,
                folder: Path | None = None) -> Built:
    """One image, or a folder of images as one batch row each (sorted by name)."""
    key = spec.key
    dt = dtype_of(spec)
    many = folder is not None
    head = ([f"{key}: {len(paths)} image(s) from {folder.name}/, one row each, sorted by name: "
             + ", ".join(p.name for p in paths[:4]) + (", ..." if len(paths) > 4 else ".")] if many else [])
    if dt.is_string:
        blobs = [cached("bytes", p, (), p.read_bytes) for p in paths]
        array = np.empty(len(blobs), dtype=object)
        array[:] = blobs
        if not many and spec.shape is not None and spec.has_shape and spec.rank == 0:
            array = array.reshape(())
        said = (f"{key}: the encoded bytes of {paths[0].name} ({len(blobs[0]):,} B) as one string."
                if not many else f"{key}: the encoded bytes of each image, {len(blobs)} strings.")
        return Built(array, tuple(head) + (said,))
    batch_axis, h, w, c, channels_first = _image_layout(spec)
    if many and not batch_axis and len(paths) > 1:
        raise InputProblem(key, f"{key} takes one image {spec.shape_text()}, but the folder holds {len(paths)}.",
                           fix="Choose one image file, or a signature with a batch dimension.")
    mode = _MODES.get(c) if c not in (None, -1) else ("L" if c is None else "")
    if c not in (None, -1) and mode is None:
        raise InputProblem(key, f"{key} wants {c} channels; images have 1 (grayscale), 3 (RGB) or 4 (RGBA).",
                           fix="Load the pixels from .npy instead.")
    _check_image_sizes(key, paths, h, w, c, dt)
    loaded = [cached("image", p, (h, w, mode), lambda p=p: _load_image(key, p, h, w, mode)) for p in paths]
    sizes = {px.shape for px, _ in loaded}
    if len(sizes) > 1:
        raise InputProblem(key, f"{key}: the images have different sizes or channels {sorted(sizes)}, and the "
                                f"signature's shape {spec.shape_text()} does not fix them, so they cannot form one batch.",
                           fix="Resize the images to one size first, or load them one at a time.")
    notes = list(head)
    described = {n.replace(p.name, "\0", 1) for p, (_, image_notes) in zip(paths, loaded) for n in image_notes[:1]}
    if many and len(paths) > 1 and len(described) == 1:  # "digit_0.png is 28x28 grayscale." ten times says one thing
        notes.append(described.pop().replace("\0", f"each of the {len(paths)} images"))
        loaded_notes = [image_notes[1:] for _, image_notes in loaded]
    else:
        loaded_notes = [image_notes for _, image_notes in loaded]
    for image_notes in loaded_notes:
        notes.extend(n for n in image_notes if n not in notes)
    if len(notes) > 12:
        notes = notes[:11] + [f"{key}: ... and {len(notes) - 11} more notes like these."]
    array = np.stack([px for px, _ in loaded])  # a copy: the cached pixels are read-only and shared
    if array.ndim == 3 and c is not None:
        array = array[..., None]
    if dt.is_float:
        array = array.astype(dt.np)
        if param_flag(source.params, "normalize"):
            array /= np.asarray(255, dtype=dt.np)
            notes.append(f"{key}: scaled 0..255 to 0..1 (divided by 255), {dt.short}.")
        else:
            notes.append(f"{key}: pixel values 0..255 as {dt.short}, not scaled (add normalize=true to scale to 0..1).")
    elif dt.name != "DT_UINT8":
        array = numbers_to(dt, array, key) if dt.is_integer else array.astype(dt.np)
        notes.append(f"{key}: pixel values 0..255 as {dt.short}.")
    if channels_first:
        array = np.moveaxis(array, -1, 1)
        notes.append(f"{key}: channels moved first (C, H, W) as the signature's shape asks.")
    if not batch_axis:
        array = array[0]
    elif not many:
        n = 1
        if spec.shape is not None and spec.has_shape and spec.shape[0] > 0:
            n = spec.shape[0]
        elif batch:
            n = int(batch)
        array = np.repeat(array, n, axis=0)
        notes.append(f"{key}: added a batch axis: {shape_text(array.shape)}"
                     + (f" (the image repeated {n} times)." if n > 1 else "."))
    return Built(np.ascontiguousarray(array), tuple(notes))


def _check_image_sizes(key: str, paths: list[Path], h: int, w: int, c, dt: dtypes.DType) -> None:
    """Estimate the pixels from each image's header (no decoding) and refuse a batch over the input limit."""
    from PIL import Image

    total = 0
    itemsize = dt.np.itemsize if dt.numpy and not dt.is_string else 1
    for path in paths:
        try:
            with Image.open(path) as im:  # reads the header only
                ow, oh, bands = im.size[0], im.size[1], len(im.getbands())
        except Exception:  # noqa: BLE001 - _load_image says what is wrong with the file
            continue
        th, tw = (h if h and h > 0 else oh), (w if w and w > 0 else ow)
        channels = c if isinstance(c, int) and c > 0 else max(bands, 1)
        # decoded at full size (uint8, 4 bands at most) before any resize, then the tensor itself
        total += ow * oh * 4 + th * tw * channels * itemsize
    what = f"{len(paths)} images" if len(paths) > 1 else paths[0].name if paths else "the image"
    limits.check_input_size(key, total, f"{what} as pixels")


def _load_image(key: str, path: Path, h: int, w: int, mode: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            original_mode, (ow, oh) = im.mode, im.size
            notes = [f"{key}: {path.name} is {ow}x{oh} {_MODE_WORDS.get(im.mode, im.mode)}."]
            target_mode = mode or ("RGBA" if "A" in im.mode or im.mode == "P" and "transparency" in im.info
                                   else "L" if im.mode in ("L", "1", "I", "I;16", "F") else "RGB")
            if im.mode != target_mode:
                im = im.convert(target_mode)
                notes.append(f"{key}: converted {_MODE_WORDS.get(original_mode, original_mode)} -> "
                             f"{_MODE_WORDS.get(target_mode, target_mode)} ({len(target_mode)} channel"
                             f"{'s' if len(target_mode) > 1 else ''}).")
            th, tw = (h if h and h > 0 else oh), (w if w and w > 0 else ow)
            if (tw, th) != (ow, oh):
                im = im.resize((tw, th), Image.Resampling.BILINEAR)
                notes.append(f"{key}: resized {ow}x{oh} -> {tw}x{th} (bilinear, aspect ratio not kept).")
            pixels = np.asarray(im, dtype=np.uint8)
    except UnidentifiedImageError as exc:
        raise InputProblem(key, f"{key}: {path.name} is not an image Pillow can read.",
                           fix="Check the file: its name says image but its content is not PNG/JPEG/... data.",
                           details=str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise InputProblem(key, f"{key}: {path.name} could not be decoded as an image ({exc}).",
                           fix="Re-save the image as PNG or JPEG.", details=traceback.format_exc()) from exc
    pixels.setflags(write=False)
    return pixels, tuple(notes)
