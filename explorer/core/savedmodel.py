"""read_model(path) -> ModelInfo: every version, tag-set and signature of a SavedModel, without TensorFlow.

How: `saved_model.pb` is memory-mapped and its protobuf wire format walked by hand only as far as each
MetaGraphDef's top-level fields; the fields we show (meta info, signatures, assets) are copied out and parsed
by the protobuf library with a private schema (explorer.core.schema), while `graph_def` -- which can be hundreds
of MB of embedded constants -- is skipped by its length prefix, never read into memory. A plain protobuf parse
of such a file takes 60-110 ms and ~360 MB; skipping it keeps listing signatures under a millisecond at any
graph size (docs/ARCHITECTURE.md). Importing TensorFlow's own protos would cost ~2 s and 500 MB and clash with TF.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import dtypes, wire
from .errors import ModelReadError
from .functions import Function, read_functions
from .signature import Signature, TensorSpec, default_key, user_signatures

if TYPE_CHECKING:
    from .tflite import TfliteFacts

PB = "saved_model.pb"
PBTXT = "saved_model.pbtxt"
SERVE = ("serve",)


@dataclass(frozen=True)
class MetaGraph:
    """One tag-set of a SavedModel and its signatures (sorted by key)."""

    tags: tuple[str, ...]
    signatures: dict[str, Signature]
    tensorflow_version: str = ""
    tensorflow_git_version: str = ""
    # The object graph's bytes (TF2 exports; None for TF1), decoded into `functions` on first use: a Keras model's
    # graph of ~2,000 objects takes 20-40 ms to walk, ten times what listing its signatures takes.
    object_graph: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def has_object_graph(self) -> bool:
        """TF2 exports have one; TF1 (SavedModelBuilder) exports do not."""
        return self.object_graph is not None

    @cached_property
    def _functions(self) -> tuple[tuple[Function, ...], str]:
        if self.object_graph is None:
            return (), ""
        try:
            return read_functions(self.object_graph, (0, len(self.object_graph))), ""
        except (wire.WireError, RecursionError, IndexError, ValueError, TypeError, OverflowError) as exc:
            # The signatures are what users came for: an odd object graph must not hide them.
            return (), f"the object graph (its saved functions) cannot be read: {exc}"

    @property
    def functions(self) -> tuple[Function, ...]:
        """The object graph's tf.functions (core.functions), decoded on first use; () for TF1 exports."""
        return self._functions[0]

    @property
    def functions_problem(self) -> str:
        """Why the object graph could not be read ("" when it could, or when there is none)."""
        return self._functions[1]


@dataclass(frozen=True)
class ModelInfo:
    """What a folder holds: versions, the chosen version's tag-sets and signatures, and facts about the files."""

    path: str  # what the user opened
    model_dir: str  # the folder holding saved_model.pb(txt)
    versions: tuple[int, ...]  # servable versions of a TF Serving base path, newest first; () for a plain folder
    version: int | None
    meta_graphs: tuple[MetaGraph, ...]
    tag_set: tuple[str, ...]
    file_format: str  # "pb" or "pbtxt"
    fingerprint: str
    fingerprint_source: str  # "fingerprint.pb" or "sha256 of saved_model.pb"
    saved_model_bytes: int
    variables_bytes: int
    assets_bytes: int
    skipped_versions: dict[str, str] = field(default_factory=dict)  # folder name -> why TF Serving would skip it
    tflite: "TfliteFacts | None" = None  # a .tflite model's subgraphs, ops and needs (file_format "tflite")

    @property
    def model_file(self) -> str:
        """The file holding the model: saved_model.pb(txt), or the .tflite."""
        if self.tflite is not None:
            return self.tflite.file
        return os.path.join(self.model_dir, PBTXT if self.file_format == "pbtxt" else PB)

    @property
    def meta_graph(self) -> MetaGraph:
        return next(m for m in self.meta_graphs if m.tags == self.tag_set)

    @property
    def signatures(self) -> dict[str, Signature]:
        """Every signature of the chosen tag-set, internal ones included (see Signature.internal)."""
        return self.meta_graph.signatures

    @property
    def user_signatures(self) -> dict[str, Signature]:
        return user_signatures(self.signatures)

    @property
    def default_signature(self) -> str | None:
        return default_key(self.signatures)

    @property
    def tensorflow_version(self) -> str:
        return self.meta_graph.tensorflow_version

    @property
    def functions(self) -> tuple[Function, ...]:
        """The chosen tag-set's saved tf.functions (core.functions), signatures' own wrappers left out."""
        return self.meta_graph.functions

    @property
    def tag_sets(self) -> list[tuple[str, ...]]:
        return [m.tags for m in self.meta_graphs]

    @property
    def base_path(self) -> str | None:
        return self.path if self.versions else None

    def to_dict(self, functions: bool = False) -> dict:
        """The stable `inspect --json` schema (documented in the README); `functions` adds the saved functions."""
        out = {
            "path": self.path,
            "model_dir": self.model_dir,
            "versions": list(self.versions),
            "version": self.version,
            "skipped_versions": dict(self.skipped_versions),
            "tag_sets": [list(t) for t in self.tag_sets],
            "tag_set": list(self.tag_set),
            "tensorflow_version": self.tensorflow_version,
            "fingerprint": self.fingerprint,
            "fingerprint_source": self.fingerprint_source,
            "file_format": self.file_format,
            "sizes": {
                "saved_model": self.saved_model_bytes,
                "variables": self.variables_bytes,
                "assets": self.assets_bytes,
            },
            "signatures": {k: s.to_dict() for k, s in self.signatures.items()},
            **({"tflite": self.tflite.to_dict()} if self.tflite is not None else {}),
        }
        if functions:
            out["functions"] = {f.name: f.to_dict() for f in self.functions}
            if self.meta_graph.functions_problem:
                out["functions_problem"] = self.meta_graph.functions_problem
        return out


def read_model(path, version: int | None = None, tag_set=None) -> ModelInfo:
    """Read a SavedModel folder, a TF Serving base path, a saved_model.pb(txt) or a .tflite file (or a folder or
    base path holding one); raise ModelReadError. The one place a model path is dispatched on its format."""
    given = Path(os.fspath(path)).expanduser()
    model_dir, versions, chosen, skipped = _resolve(given, version)
    tflite_file = given if given.is_file() and given.name not in (PB, PBTXT) else None
    if tflite_file is not None or not _has_saved_model(model_dir):
        from .tflite import read_tflite, tflite_file_in

        return read_tflite(tflite_file or tflite_file_in(model_dir), given, versions, chosen, skipped)
    pb_path = model_dir / PB if (model_dir / PB).is_file() else model_dir / PBTXT
    metas, file_format = _read_meta_graphs(pb_path)
    wanted = _parse_tag_set(tag_set)
    tags = [m.tags for m in metas]
    if wanted is None:
        chosen_tags = SERVE if SERVE in tags else next((t for t in tags if set(SERVE) <= set(t)), tags[0])
    else:
        match = [t for t in tags if set(t) == set(wanted)]
        if not match:
            raise ModelReadError(
                given,
                f"{pb_path} has no tag-set {','.join(wanted)}; it has: {'; '.join(','.join(t) or '(none)' for t in tags)}.",
                fix="Pick one of the listed tag-sets.",
            )
        chosen_tags = match[0]
    fingerprint, source = _fingerprint(model_dir, pb_path)
    return ModelInfo(
        path=str(given),
        model_dir=str(model_dir),
        versions=versions,
        version=chosen,
        meta_graphs=tuple(metas),
        tag_set=chosen_tags,
        file_format=file_format,
        fingerprint=fingerprint,
        fingerprint_source=source,
        saved_model_bytes=pb_path.stat().st_size,
        variables_bytes=_tree_size(model_dir / "variables"),
        assets_bytes=_tree_size(model_dir / "assets") + _tree_size(model_dir / "assets.extra"),
        skipped_versions=skipped,
    )


def read_model_with_functions(path, version: int | None = None, tag_set=None) -> ModelInfo:
    """read_model with the saved functions already decoded: for a worker thread, so the window that shows them
    never walks the object graph itself (20-40 ms for a large Keras model)."""
    info = read_model(path, version=version, tag_set=tag_set)
    for meta in info.meta_graphs:
        meta.functions  # noqa: B018 - decoded and cached here, on the caller's (worker) thread
    return info


def list_versions(base: str | os.PathLike) -> dict[int, Path]:
    """Numbered version folders under a TF Serving base path that hold a SavedModel: version -> folder."""
    out: dict[int, Path] = {}
    base = Path(base)
    try:
        children = list(base.iterdir())
    except OSError:
        return out
    for child in children:
        if child.is_dir() and child.name.isdigit() and _has_model(child):
            out.setdefault(int(child.name), child)
    return dict(sorted(out.items(), reverse=True))


# --- resolving what the user pointed at -------------------------------------------------------------------------

def _has_saved_model(folder: Path) -> bool:
    # os.path.isfile, not Path.is_file: on Python 3.11 the latter raises PermissionError for an unreadable folder.
    return os.path.isfile(folder / PB) or os.path.isfile(folder / PBTXT)


def _has_model(folder: Path) -> bool:
    """A SavedModel or a TFLite model (TF Serving serves both from a version folder)."""
    if _has_saved_model(folder):
        return True
    from .tflite import tflite_file_in

    return tflite_file_in(folder) is not None


def _missing(given: Path, exc: OSError) -> ModelReadError:
    """Why a path cannot be opened at all: absent, below a file, or below a folder we may not enter."""
    if isinstance(exc, PermissionError):
        return ModelReadError(given, f"{given} cannot be read (permission denied on it or a folder above it).",
                              fix="Check the folders' permissions.")
    if isinstance(exc, NotADirectoryError):
        blocker = next((p for p in reversed(given.parents) if os.path.isfile(p)), None)
        if blocker is not None:
            return ModelReadError(given, f"{given} cannot exist: {blocker} is a file, not a folder.",
                                  fix="Check the path; expected a SavedModel folder.")
    return ModelReadError(given, f"{given} does not exist.", fix="Check the path; expected a SavedModel folder.")


def _resolve(given: Path, version: int | None):
    try:
        given.stat()
    except OSError as exc:
        raise _missing(given, exc) from None
    if given.is_file():
        if given.name in (PB, PBTXT):
            if version is not None:
                raise ModelReadError(given, f"{given} is a single SavedModel file; it has no versions to choose from.")
            return given.parent, (), None, {}
        from .tflite import is_tflite_file

        if is_tflite_file(given):
            if version is not None:
                raise ModelReadError(given, f"{given} is a single model file; it has no versions to choose from.")
            return given.parent, (), None, {}
        raise ModelReadError(given, _not_a_saved_model(given, [given.name]))
    if not os.access(given, os.R_OK | os.X_OK):
        raise ModelReadError(given, f"{given} cannot be read (permission denied).", fix="Check the folder's permissions.")
    try:
        names = sorted(p.name for p in given.iterdir())
    except OSError as exc:
        raise ModelReadError(given, f"{given} cannot be read: {exc.strerror or exc}.") from exc
    if _has_model(given):
        if version is not None:
            raise ModelReadError(given, f"{given} is a single model, not a base path with version folders.")
        return given, (), None, {}
    numbered = sorted((n for n in names if n.isdigit() and (given / n).is_dir()), key=int, reverse=True)
    if not numbered:
        raise ModelReadError(given, _not_a_saved_model(given, names))
    found = list_versions(given)
    skipped = {n: _why_not_servable(given / n) for n in numbered if int(n) not in found}
    if not found:
        reasons = "; ".join(f"{n}/: {why}" for n, why in skipped.items())
        raise ModelReadError(
            given,
            f"{given} looks like a TF Serving base path, but no version folder holds a model ({reasons}).",
            fix="Each numbered folder must contain saved_model.pb (export with tf.saved_model.save or model.export).",
        )
    versions = tuple(found)
    if version is None:
        version = versions[0]
    elif version not in found:
        raise ModelReadError(
            given,
            f"{given} has no version {version}; available: {', '.join(map(str, versions))}.",
            fix="Choose one of the listed versions.",
        )
    return found[version], versions, version, skipped


def _why_not_servable(folder: Path) -> str:
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not names:
        return "empty"
    if "export.meta" in names:
        return "a legacy SessionBundle (export.meta), not a SavedModel"
    if sum(n.endswith(".tflite") for n in names) > 1:
        return "several .tflite files and none named model.tflite (TF Serving loads model.tflite)"
    return "no saved_model.pb or model.tflite"


def _not_a_saved_model(path: Path, names: list[str]) -> str:
    if not path.is_file() and sum(n.endswith(".tflite") for n in names) > 1:
        return (f"{path} holds several .tflite files and none is named model.tflite: "
                "open the .tflite file you mean.")
    if path.is_file():
        return f"{path} is not a SavedModel: expected a folder with saved_model.pb, or the saved_model.pb file itself."
    if not names:
        return f"{path} is empty: expected saved_model.pb, or numbered version folders (1/, 2/, ...) that hold one."
    if "export.meta" in names:
        return (f"{path} is a legacy SessionBundle (export.meta), not a SavedModel. "
                "Re-export it with tf.saved_model.save or SavedModelBuilder.")
    return (f"{path} has no saved_model.pb: expected a SavedModel folder, "
            "or a TF Serving base path with numbered version folders (1/, 2/, ...).")


def _parse_tag_set(tag_set) -> tuple[str, ...] | None:
    if tag_set is None or tag_set == "":
        return None
    if isinstance(tag_set, str):
        return tuple(t.strip() for t in tag_set.split(",") if t.strip())
    return tuple(tag_set)


# --- reading the protobuf -----------------------------------------------------------------------------------------

def _read_meta_graphs(pb_path: Path) -> tuple[list[MetaGraph], str]:
    if pb_path.name == PBTXT:
        return _decode_saved_model(_pbtxt_bytes(pb_path), pb_path), "pbtxt"
    try:
        if pb_path.stat().st_size == 0:
            raise ModelReadError(pb_path, f"{pb_path} is empty (0 bytes): the export did not finish or the copy failed.")
        with open(pb_path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            metas = _decode_saved_model(mm, pb_path)
    except PermissionError as exc:
        raise ModelReadError(pb_path, f"{pb_path} cannot be read (permission denied).") from exc
    except OSError as exc:
        raise ModelReadError(pb_path, f"{pb_path} cannot be read: {exc.strerror or exc}.") from exc
    return metas, "pb"


def _pbtxt_bytes(pb_path: Path) -> bytes:
    """A text SavedModel re-encoded as binary, so one decoder serves both (text models are small and rare)."""
    from google.protobuf import text_format

    from . import schema

    try:
        text = pb_path.read_text(encoding="utf-8")
        model = text_format.Parse(text, schema.SavedModel(), allow_unknown_field=True, allow_unknown_extension=True)
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelReadError(pb_path, f"{pb_path} cannot be read: {exc}.") from exc
    except (text_format.ParseError, ValueError, RecursionError) as exc:  # protobuf's DecodeError is a ValueError
        raise ModelReadError(pb_path, f"{pb_path} is not a valid text SavedModel.", details=str(exc)) from None
    return model.SerializeToString()


def decode_meta_graphs(data, name: str = PB) -> list[MetaGraph]:
    """saved_model.pb bytes -> its MetaGraphs, or ModelReadError; any bytes at all, in time and memory linear in
    their length (the fuzz test in tests/core/test_fuzz_reader.py holds it to that)."""
    return _decode_saved_model(data, Path(name))


def _decode_saved_model(buf, pb_path: Path) -> list[MetaGraph]:
    try:
        metas = [_meta_graph(buf, _span(w, v)) for n, w, v, _ in wire.fields(buf) if n == 2]
    except RecursionError:  # no recursion in the walk is deeper than a few levels; kept as a guard
        raise ModelReadError(pb_path, f"{pb_path} nests its messages too deeply to be a SavedModel.") from None
    except wire.WireError as exc:
        raise ModelReadError(
            pb_path,
            f"{pb_path} is truncated or corrupted: it is not a complete SavedModel protobuf.",
            details=str(exc),
            fix="Copy or export the model again.",
        ) from None
    if not metas:
        raise ModelReadError(pb_path, f"{pb_path} holds no MetaGraph: it is not a SavedModel, or it is corrupted.")
    return metas


def signature_from_bytes(data: bytes, key: str) -> Signature | None:
    """One serialized SignatureDef (as TFLite's signature_defs_metadata holds them); None if it does not parse."""
    try:
        return _signature(data, (0, len(data)), key)
    except (wire.WireError, UnicodeDecodeError, ValueError, IndexError):
        return None


def _span(wire_type: int, value):
    if wire_type != wire.LEN:
        raise wire.WireError("expected a length-delimited field")
    return value


def _number(wire_type: int, value) -> int:
    """A varint field's value; a field of another wire type where a number belongs is corruption."""
    if wire_type != wire.VARINT:
        raise wire.WireError("expected a varint field")
    return value


def _meta_graph(buf, span) -> MetaGraph:
    # MetaGraphDef: 1 meta_info_def, 5 signature_def, 7 object_graph_def; graph_def (2) and the rest are skipped
    # by length.
    tags, tf_version, git_version, sigs = [], "", "", {}
    object_graph = graph = None
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 2:
            graph = _span(w, v)
        elif n == 1:
            for n2, w2, v2, _ in wire.fields(buf, *_span(w, v)):
                if n2 == 4:
                    tags.append(wire.text(buf, _span(w2, v2)))
                elif n2 == 5:
                    tf_version = wire.text(buf, _span(w2, v2))
                elif n2 == 6:
                    git_version = wire.text(buf, _span(w2, v2))
        elif n == 5:
            key, value = wire.map_entry(buf, _span(w, v), strict=True)
            sigs[key] = _signature(buf, value, key)
        elif n == 7:
            start, end = _span(w, v)
            object_graph = bytes(buf[start:end])  # copied: the file's mapping closes after reading
    if graph is not None:
        try:
            sigs = _with_example_features(buf, graph, sigs)
            sigs = _with_graph_shapes(buf, graph, sigs)
        except (wire.WireError, ValueError, IndexError, RecursionError):
            pass  # what the graph adds is a bonus: a damaged graph leaves the signatures as recorded, still readable
    return MetaGraph(tags=tuple(tags), signatures=dict(sorted(sigs.items())), tensorflow_version=tf_version,
                     tensorflow_git_version=git_version, object_graph=object_graph)


def _with_example_features(buf, graph, sigs: dict[str, Signature]) -> dict[str, Signature]:
    """Signatures with a serialized-tf.Example input get the features its ParseExample reads (example_features);
    the graph is walked only when one has such an input, so listing other models' signatures stays as fast."""
    from dataclasses import replace

    from . import example_features

    wanted = {key: {k: spec.name for k, spec in sig.inputs.items() if spec.dtype == "DT_STRING" and (
        example_features.is_example_input(spec, sig.method_short) or k in example_features.MAYBE_EXAMPLE_KEYS)}
        for key, sig in sigs.items()}
    if not any(wanted.values()):
        return sigs
    sites = example_features.read_sites(buf, graph)
    if not sites:
        return sigs
    out = dict(sigs)
    for key, names in wanted.items():
        found = example_features.for_signature(sigs[key], names, sites) if names else {}
        if found:
            out[key] = replace(sigs[key], example_features=found)
    return out


def _with_graph_shapes(buf, graph, sigs: dict[str, Signature]) -> dict[str, Signature]:
    """Inputs whose TensorInfo records no shape get the shape their graph Placeholder takes (graph_shape); the
    graph is walked only when a signature has such an input."""
    from dataclasses import replace

    from . import graph_shapes

    names = {spec.name for sig in sigs.values() for spec in sig.inputs.values()
             if not spec.has_shape and spec.encoding == "dense" and spec.name}
    if not names:
        return sigs
    found = graph_shapes.placeholder_shapes(buf, graph, names)
    if not found:
        return sigs
    out = {}
    for key, sig in sigs.items():
        inputs = {k: replace(spec, graph_shape=found[spec.name]) if not spec.has_shape and spec.name in found
                  else spec for k, spec in sig.inputs.items()}
        out[key] = replace(sig, inputs=inputs) if any(inputs[k] is not sig.inputs[k] for k in inputs) else sig
    return out


def _signature(buf, span, key: str) -> Signature:
    # SignatureDef: 1 inputs, 2 outputs (map<string, TensorInfo>), 3 method_name, 4 defaults (map<string, TensorProto>)
    inputs, outputs, method, defaults = {}, {}, "", {}
    for n, w, v, _ in wire.fields(buf, *span) if span else ():
        if n in (1, 2):
            k, value = wire.map_entry(buf, _span(w, v), strict=True)
            (inputs if n == 1 else outputs)[k] = _tensor_info(buf, value, k)
        elif n == 3:
            method = wire.text(buf, _span(w, v))
        elif n == 4:
            k, value = wire.map_entry(buf, _span(w, v), strict=True)
            defaults[k] = _default_value(bytes(buf[value[0]:value[1]]) if value else b"")
    return Signature(key=key, method_name=method, inputs=dict(sorted(inputs.items())),
                     outputs=dict(sorted(outputs.items())), defaults=dict(sorted(defaults.items())))


def _tensor_info(buf, span, key: str) -> TensorSpec:
    # TensorInfo: oneof {1 name, 4 coo_sparse, 5 composite_tensor}, 2 dtype, 3 tensor_shape
    name, dtype, shape, has_shape, encoding = "", 0, (), False, "dense"
    for n, w, v, _ in wire.fields(buf, *span) if span else ():
        if n == 1:
            name, encoding = wire.text(buf, _span(w, v)), "dense"
        elif n == 2:
            dtype = _number(w, v)
        elif n == 3:
            shape, has_shape = _shape(buf, _span(w, v)), True
        elif n == 4:
            parts = {n2: wire.text(buf, _span(w2, v2)) for n2, w2, v2, _ in wire.fields(buf, *_span(w, v))}
            name = (f"sparse: values={parts.get(1, '')} indices={parts.get(2, '')} "
                    f"dense_shape={parts.get(3, '')}")
            encoding = "coo_sparse"
        elif n == 5:
            name, encoding = _composite(buf, _span(w, v)), "composite"
    return TensorSpec(key=key, dtype=dtypes.name_of(dtype), shape=shape, name=name, has_shape=has_shape,
                      encoding=encoding)


def _composite(buf, span) -> str:
    """ "RaggedTensorSpec of 2 components: values:0, row_lengths:0" (CompositeTensor: 1 type_spec, 2 components)."""
    kind, parts = "composite tensor", []
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 1:  # TypeSpecProto: 3 type_spec_class_name
            kind = next((wire.text(buf, _span(w2, v2)) for n2, w2, v2, _ in wire.fields(buf, *_span(w, v))
                         if n2 == 3), "") or kind
        elif n == 2:  # a component TensorInfo: 1 name
            parts.append(next((wire.text(buf, _span(w2, v2)) for n2, w2, v2, _ in wire.fields(buf, *_span(w, v))
                               if n2 == 1), "?"))
    return f"{kind} of {len(parts)} components" + (": " + ", ".join(parts) if parts else "")


MAX_RANK = 254  # TensorFlow's own limit (TensorShape::MaxDimensions); more dims are corruption, not a model


def _shape(buf, span) -> tuple[int, ...] | None:
    # TensorShapeProto: 2 dim {1 size (int64), 2 name}, 3 unknown_rank
    dims, unknown_rank = [], False
    for n, w, v, _ in wire.fields(buf, *span):
        if n == 2:
            size = 0
            for n2, w2, v2, _ in wire.fields(buf, *_span(w, v)):
                if n2 == 1:
                    size = wire.int64(_number(w2, v2))
            dims.append(size)
            if len(dims) > MAX_RANK:
                raise wire.WireError(f"a shape with more than {MAX_RANK} dimensions (TensorFlow's maximum)")
        elif n == 3:
            unknown_rank = bool(_number(w, v))
    return None if unknown_rank else tuple(dims)


# Struct codes of the dtypes a default value usually has. Hand-decoded because importing numpy (plus protobuf)
# costs 150-200 ms, more than the whole rest of `inspect`; other dtypes fall back to core.tensorproto.
_STRUCT = {"DT_FLOAT": "f", "DT_DOUBLE": "d", "DT_INT8": "b", "DT_UINT8": "B", "DT_INT16": "h", "DT_UINT16": "H",
           "DT_INT32": "i", "DT_UINT32": "I", "DT_INT64": "q", "DT_UINT64": "Q", "DT_BOOL": "?"}
# TensorProto value fields: number -> (wire type of one unpacked element, struct code for fixed-size ones)
_VALUE_FIELDS = {5: (wire.I32, "f"), 6: (wire.I64, "d"), 7: (wire.VARINT, ""), 10: (wire.VARINT, ""),
                 11: (wire.VARINT, ""), 16: (wire.VARINT, ""), 17: (wire.VARINT, "")}


MAX_DEFAULT_ELEMENTS = 1000  # a default with more values (or nested lists) is summarised: dtype, shape, count, first
SHOWN_DEFAULT_VALUES = 10


class DefaultSummary(dict):
    """A default value too large to hold: {"dtype", "shape", "count", "first"} (JSON as is); reads as one line."""

    def __str__(self) -> str:
        shape = "(" + ", ".join(map(str, self["shape"])) + ("," if len(self["shape"]) == 1 else "") + ")"
        first = ", ".join(map(str, self["first"]))
        return (f"<{self['dtype']} {shape}: {self['count']:,} values" +
                (f", first {len(self['first'])}: [{first}, ...]" if self["first"] else "") + ">")

    __repr__ = __str__


def _default_value(data: bytes):
    """A TF2 default input value as nested lists of JSON-safe values, strings as text; a DefaultSummary when it has
    more than MAX_DEFAULT_ELEMENTS values; None if it cannot be decoded (an odd default must not make the whole
    model unreadable). Time and memory are bounded by the bytes present, never by the shape they declare."""
    try:
        return _decode_tensor(data)
    except (wire.WireError, struct.error, ValueError, IndexError, OverflowError, TypeError, RecursionError,
            MemoryError):
        return None


def _decode_tensor(data: bytes):
    """TensorProto bytes -> nested lists (numpy only for complex and half dtypes)."""
    dtype, dims, content, values, numpy_values = 0, [], None, [], False
    for n, w, v, _ in wire.fields(data):
        if n == 1:
            dtype = _number(w, v)
        elif n == 2:
            dims = list(_shape(data, _span(w, v)) or ())
        elif n == 4:
            content = _span(w, v)
        elif n == 8:
            values.append(data[_span(w, v)[0]:v[1]].decode("utf-8", "replace"))
        elif n in _VALUE_FIELDS:
            element, code = _VALUE_FIELDS[n]
            if w == wire.LEN:  # packed (proto3's default for repeated scalars)
                chunk = data[v[0]:v[1]]
                if code:
                    values.extend(struct.unpack(f"<{len(chunk) // struct.calcsize(code)}{code}", chunk))
                else:
                    values.extend(wire.int64(x) for _, x in _varints(chunk))
            elif w != element:
                raise wire.WireError("a value of the wrong wire type")
            elif code:
                values.append(struct.unpack("<" + code, v.to_bytes(struct.calcsize(code), "little"))[0])
            else:
                values.append(wire.int64(v))
        elif n in (9, 12, 13):  # complex and half values: numpy's job
            numpy_values = True
    if any(d < 0 for d in dims):
        raise ValueError("a default value with an unknown dimension")
    name = dtypes.name_of(dtype)
    size, widest = 1, 1
    for d in dims:
        size *= d
        widest = max(widest, size)  # lists nested for the leading dims: (10^6, 0) builds 10^6 empty lists
    too_large = widest > MAX_DEFAULT_ELEMENTS
    code = _STRUCT.get(name)
    if numpy_values or (code is None and name != "DT_STRING"):
        return _default_value_numpy(data, name, dims, size, too_large)
    if content is not None and code:
        width = struct.calcsize(code)
        count = min((content[1] - content[0]) // width, SHOWN_DEFAULT_VALUES if too_large else size)
        values = list(struct.unpack_from(f"<{count}{code}", data, content[0]))
    elif name == "DT_BOOL":
        values = [bool(x) for x in values]
    elif name in ("DT_INT32", "DT_INT16", "DT_INT8"):  # int_val holds them sign-extended to 64 bits
        values = [int(x) for x in values]
    values = [_json_safe(x) for x in values[:max(MAX_DEFAULT_ELEMENTS, SHOWN_DEFAULT_VALUES)]]
    if too_large:
        return _summary(name, dims, size, values)
    if values and len(values) < size:  # TF repeats the last value to fill the shape
        values = values + [values[-1]] * (size - len(values))
    elif not values and size:
        values = [("" if name == "DT_STRING" else False if name == "DT_BOOL" else 0)] * size
    if len(values) != size:
        raise ValueError("value count does not match the shape")
    return _nest(values, dims)


def _summary(name: str, dims: list[int], size: int, values: list) -> DefaultSummary:
    return DefaultSummary(dtype=dtypes.BY_NAME[name].short if name in dtypes.BY_NAME else name, shape=list(dims),
                          count=size, first=values[:SHOWN_DEFAULT_VALUES])


def _json_safe(value):
    """A decoded scalar as JSON can hold it: complex as "(1+2j)" text, numpy scalars as Python ones, bytes as text."""
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        return _json_safe(value.item())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _varints(chunk):
    pos = 0
    while pos < len(chunk):
        value, pos = wire.varint(chunk, pos, len(chunk))
        yield pos, value


def _nest(flat: list, dims: list[int]):
    if not dims:
        return flat[0]
    if len(dims) == 1:
        return flat
    step = len(flat) // dims[0] if dims[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])]


def _default_value_numpy(data: bytes, name: str, dims: list[int], size: int, too_large: bool):
    from . import schema, tensorproto  # numpy and protobuf: only for the rare dtypes decoded above by hand

    try:
        proto = schema.TensorProto.FromString(data)
        if too_large:  # never fill a declared shape: take the values present, then summarise
            dt = dtypes.BY_NAME.get(name)
            field_name = dt.proto_field if dt is not None else None
            if field_name is None:
                return _summary(name, dims, size, [])
            head = list(getattr(proto, field_name)[:2 * SHOWN_DEFAULT_VALUES])
            if name in ("DT_COMPLEX64", "DT_COMPLEX128"):
                head = [complex(head[i], head[i + 1]) for i in range(0, len(head) - 1, 2)]
            return _summary(name, dims, size, [_json_safe(x) for x in head[:SHOWN_DEFAULT_VALUES]])
        array = tensorproto.to_numpy(proto)
    except Exception:  # noqa: BLE001 - an odd default must not make the whole model unreadable
        return None
    flat = [_json_safe(v) for v in array.reshape(-1).tolist()]
    return _nest(flat, list(array.shape))


# --- facts about the files ------------------------------------------------------------------------------------------

def _fingerprint(model_dir: Path, pb_path: Path) -> tuple[str, str]:
    fp_file = model_dir / "fingerprint.pb"
    if fp_file.is_file():
        try:
            data = fp_file.read_bytes()
            checksum = next((v for n, w, v, _ in wire.fields(data) if n == 1 and w == wire.VARINT), 0)
            if checksum:  # FingerprintDef.saved_model_checksum
                return f"{checksum:016x}", "fingerprint.pb"
        except (OSError, wire.WireError):
            pass  # an unreadable fingerprint is not worth refusing the model for; fall back to hashing
    import hashlib  # only old exports without fingerprint.pb need it

    digest = hashlib.sha256()
    with open(pb_path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16], f"sha256 of {pb_path.name}"


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total
