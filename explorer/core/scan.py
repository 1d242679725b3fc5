"""scan_model(info) -> ScanReport: which dangerous ops a SavedModel holds, and where they would run, without TensorFlow.

A SavedModel is a program: its signatures and its load step can read and write files, print into files or call
back into Python. This scan reads `saved_model.pb` with the same hand-written wire walker as the signature reader
(explorer.core.wire; no protobuf parse, no TensorFlow: the descriptor-pool trap in docs/ARCHITECTURE.md), walks every
meta graph's nodes AND its function library, and follows calls (PartitionedCall/StatefulPartitionedCall `f`,
While/If/Case bodies and any other function-valued attr, and nodes that call a library function by name) from
each place code starts:

- each signature's output tensors (what `predict` runs),
- the load step: `__saved_model_init_op`, the TF1 `saved_model_main_op` / `legacy_init_op` collections, the
  variable restore op, and the `_create_resource`/`_initialize` functions of TF2 resources,
- functions restored by `tf.saved_model.load` that no signature calls (only someone's Python could run them).

Each op of the table OPS found on the way becomes a Finding with its severity, where it sits and why it matters.
Checkpoint ops on the restore/save path are how variables load, not findings. A Keras `Lambda` layer in
`keras_metadata.pb` (Python bytecode that Keras would run) is a finding too. `require_consent` is the one gate every
code path that loads a model calls before TensorFlow sees it (see LocalRunner).
"""
from __future__ import annotations

import hashlib
import json
import mmap
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import wire
from .errors import ModelReadError, UnsafeModelError

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITIES = (HIGH, MEDIUM, LOW)

# --- THE table: op -> (severity when a signature or the load step runs it, why) --------------------------------
# Started from saved_model_cli's denylist (WriteFile, ReadFile, PrintV2) and ProtectAI modelscan's (ReadFile,
# WriteFile, Keras Lambda); the rest are ops whose kernels touch the file system, the network or Python.
# The README's "Safety" section shows this table (tests/core/test_scan.py checks they agree).
_FILES_READ = "reads a file named by the graph or the caller, anywhere the process may read"
_FILES_WRITE = "writes a file at a path the graph chooses, anywhere the process may write"
_DATASET_READ = "a tf.data source that opens and reads files named by the graph"
_SUMMARY = "writes TensorBoard event files into a log folder the graph names"
OPS: dict[str, tuple[str, str]] = {
    # files
    "WriteFile": (HIGH, _FILES_WRITE + " (tf.io.write_file)"),
    "ReadFile": (HIGH, _FILES_READ + " (tf.io.read_file) and can return its bytes in an output"),
    "MatchingFiles": (HIGH, "lists the files matching a glob (tf.io.matching_files): learns what is on the disk"),
    "ImmutableConst": (HIGH, "memory-maps a file from a path in the graph into a tensor"),
    "Save": (HIGH, "writes a checkpoint file at a path the graph chooses (outside the model's own save path)"),
    "SaveV2": (HIGH, "writes checkpoint files at a path the graph chooses (outside the model's own save path)"),
    "SaveSlices": (HIGH, "writes a checkpoint file at a path the graph chooses (outside the model's own save path)"),
    "MergeV2Checkpoints": (HIGH, "merges checkpoint files and deletes the originals (outside the model's own save "
                                 "path)"),
    "Restore": (HIGH, "reads a checkpoint file at a path the graph chooses (outside the variable restore)"),
    "RestoreV2": (HIGH, "reads checkpoint files at a path the graph chooses (outside the variable restore)"),
    "RestoreSlice": (HIGH, "reads a checkpoint file at a path the graph chooses (outside the variable restore)"),
    "LoadAndRemapMatrix": (HIGH, "reads a checkpoint file at a path the graph chooses"),
    "GenerateVocabRemapping": (HIGH, "reads two vocabulary files at paths the graph chooses"),
    "WholeFileReader": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "WholeFileReaderV2": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "TextLineReader": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "TextLineReaderV2": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "FixedLengthRecordReader": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "FixedLengthRecordReaderV2": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "TFRecordReader": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "TFRecordReaderV2": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "LMDBReader": (HIGH, _FILES_READ + " (a TF1 reader queue)"),
    "PrintV2": (LOW, "prints to the console (stderr); with output_stream='file://...' it appends to a file (high)"),
    # debugger dumps
    "DebugIdentity": (HIGH, "sends tensors to the debug URLs in its attrs: files (file://) or a gRPC server"),
    "DebugIdentityV2": (HIGH, "writes tensor dumps into the debugger folder named in its attrs (tfdbg2)"),
    "DebugIdentityV3": (HIGH, "sends tensors to the debug URLs in its attrs: files (file://) or a gRPC server"),
    "DebugNanCount": (HIGH, "sends NaN counts to the debug URLs in its attrs: files or a gRPC server"),
    "DebugNumericSummary": (HIGH, "sends tensor summaries to the debug URLs in its attrs: files or a gRPC server"),
    "DebugNumericSummaryV2": (MEDIUM, "computes debugger summaries (tfdbg2); harmless alone, a sign of a debug dump"),
    # summaries
    "CreateSummaryFileWriter": (HIGH, _SUMMARY),
    "CreateSummaryDbWriter": (HIGH, "writes summaries into an SQLite database at a path the graph names"),
    "WriteSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteScalarSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteHistogramSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteImageSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteAudioSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteGraphSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "WriteRawProtoSummary": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "ImportEvent": (MEDIUM, _SUMMARY + " (through a summary writer)"),
    "FlushSummaryWriter": (MEDIUM, _SUMMARY + " (flushes a summary writer to disk)"),
    # tf.data sources and sinks that touch files
    "TextLineDataset": (HIGH, _DATASET_READ),
    "TFRecordDataset": (HIGH, _DATASET_READ),
    "TFRecordDatasetV2": (HIGH, _DATASET_READ),
    "FixedLengthRecordDataset": (HIGH, _DATASET_READ),
    "FixedLengthRecordDatasetV2": (HIGH, _DATASET_READ),
    "CSVDataset": (HIGH, _DATASET_READ),
    "CSVDatasetV2": (HIGH, _DATASET_READ),
    "ExperimentalCSVDataset": (HIGH, _DATASET_READ),
    "LMDBDataset": (HIGH, _DATASET_READ),
    "ExperimentalLMDBDataset": (HIGH, _DATASET_READ),
    "SqlDataset": (HIGH, "opens an SQLite database at a path the graph names and runs a query on it"),
    "ExperimentalSqlDataset": (HIGH, "opens an SQLite database at a path the graph names and runs a query on it"),
    "MatchingFilesDataset": (HIGH, "lists the files matching a glob: learns what is on the disk"),
    "ExperimentalMatchingFilesDataset": (HIGH, "lists the files matching a glob: learns what is on the disk"),
    "LoadDataset": (HIGH, "reads a saved dataset from a folder the graph names"),
    "SaveDataset": (HIGH, "writes a dataset into a folder the graph names"),
    "SaveDatasetV2": (HIGH, "writes a dataset into a folder the graph names"),
    "SnapshotDataset": (HIGH, "writes and reads dataset snapshots in a folder the graph names"),
    "SnapshotDatasetV2": (HIGH, "writes and reads dataset snapshots in a folder the graph names"),
    "DatasetToTFRecord": (HIGH, "writes a dataset into a TFRecord file the graph names"),
    "ExperimentalDatasetToTFRecord": (HIGH, "writes a dataset into a TFRecord file the graph names"),
    "CacheDataset": (MEDIUM, "caches a dataset in memory, or in files under a path the graph names"),
    "CacheDatasetV2": (MEDIUM, "caches a dataset in memory, or in files under a path the graph names"),
    "DataServiceDataset": (HIGH, "reads data from a tf.data service over the network"),
    "DataServiceDatasetV2": (HIGH, "reads data from a tf.data service over the network"),
    "DataServiceDatasetV3": (HIGH, "reads data from a tf.data service over the network"),
    "DataServiceDatasetV4": (HIGH, "reads data from a tf.data service over the network"),
    # Python
    "PyFunc": (HIGH, "calls back into a Python function of the process that saved it (tf.numpy_function); "
                     "runs whatever Python is registered under its token"),
    "PyFuncStateless": (HIGH, "calls back into a Python function of the process that saved it; runs whatever "
                              "Python is registered under its token"),
    "EagerPyFunc": (HIGH, "calls back into a Python function of the process that saved it (tf.py_function); "
                          "runs whatever Python is registered under its token"),
    # other effects on the machine
    "Abort": (MEDIUM, "ends the process that runs it"),
    "DecodeProtoV2": (MEDIUM, "may read a protobuf descriptor file named in its attrs (descriptor_source)"),
    "EncodeProto": (MEDIUM, "may read a protobuf descriptor file named in its attrs (descriptor_source)"),
    # assets: normal, reported so nothing is hidden
    "InitializeTableFromTextFile": (LOW, "reads a vocabulary file into a lookup table: normal when the file is one "
                                         "of the model's own assets (assets/)"),
    "InitializeTableFromTextFileV2": (LOW, "reads a vocabulary file into a lookup table: normal when the file is "
                                           "one of the model's own assets (assets/)"),
}
# An op TensorFlow itself does not register is a custom op: a library (tf.load_op_library, or a package such as
# tensorflow_text that loads one on import) must be loaded before the model can load, and that library is native
# code. Told from a shipped table of TensorFlow's op names (core/tf_ops.py, kept complete by a test that asks the
# installed TensorFlow for its registry) rather than by asking TensorFlow: scan runs before any load, in processes
# that never import TensorFlow (the window, `scan`, `inspect`), and must say the same thing everywhere. Medium, not
# high: without its library the op cannot run at all (the load fails), so there is nothing to consent to; the user
# decides to run native code when they load the library, and this names which library is needed.
CUSTOM_OP_WHY = ("custom op: needs the library that defines it (tf.load_op_library) before it can load; runs native "
                 "code (not one of TensorFlow {version}'s own ops)")
KERAS_LAMBDA = "Lambda"
_KERAS_LAMBDA_WHY = ("a Keras Lambda layer stores Python bytecode that Keras deserializes and runs when it loads "
                     "the model (keras.models.load_model); TensorFlow's loader runs its traced graph instead")
# Ops of the checkpoint family: on the saver's own save/restore path they are how variables load and save.
_CHECKPOINT_OPS = frozenset({"Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "Restore", "RestoreV2",
                             "RestoreSlice"})
_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
INIT_SIGNATURE = "__saved_model_init_op"
_LOAD_COLLECTIONS = {"saved_model_main_op": "main_op", "legacy_init_op": "legacy_init_op"}
_RESOURCE_LOAD_FUNCTIONS = ("_create_resource", "_initialize")

CAPS = {"nodes": 5_000_000, "functions": 200_000}  # a hostile file cannot make the scan run away


@dataclass(frozen=True)
class Finding:
    """One dangerous op: its name, severity, where it sits (in words) and why it matters."""

    op: str
    severity: str
    where: str
    why: str
    signatures: tuple[str, ...] = ()  # signature keys that reach it
    at_load: bool = False  # runs when the model is loaded, before any prediction

    def to_dict(self) -> dict:
        return {"op": self.op, "severity": self.severity, "where": self.where, "why": self.why}

    def line(self) -> str:
        """"WriteFile (high) in signature 'serving_default' via serve > inner: writes a file ..." """
        return f"{self.op} ({self.severity}) {self.where}: {self.why}"


@dataclass(frozen=True)
class ScanReport:
    """What the scan found in one model folder (every tag-set), and how many nodes it looked at."""

    path: str
    model_dir: str
    fingerprint: str
    findings: tuple[Finding, ...]
    ops_seen: int  # nodes read, in the graphs and every library function

    @property
    def high(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == HIGH)

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def consent_key(self) -> str:
        """What a user's "run it anyway" is remembered under: the model's fingerprint and what it would do, so
        consent given to one model does not carry to another that reuses its fingerprint.pb with other ops."""
        digest = hashlib.sha256("\n".join(sorted(f"{f.op}|{f.where}" for f in self.high)).encode()).hexdigest()
        return f"{self.fingerprint}-{digest[:12]}"

    def signatures_reaching(self, severity: str | None = None) -> dict[str, list[Finding]]:
        """Signature key -> findings it reaches (of `severity`, or all)."""
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            if severity is None or f.severity == severity:
                for key in f.signatures:
                    out.setdefault(key, []).append(f)
        return out

    def summary(self, findings=None, limit: int = 4) -> str:
        """The ops and where they are, in one line: "WriteFile in signature 'serving_default'; ReadFile at load"."""
        findings = list(self.high if findings is None else findings)
        parts = [f"{f.op} {f.where}" for f in findings[:limit]]
        if len(findings) > limit:
            parts.append(f"and {len(findings) - limit} more")
        return "; ".join(parts)

    def effects(self) -> list[str]:
        """What the high findings would do, in plain words, each once ("writes a file ...")."""
        seen: list[str] = []
        for f in self.high:
            text = f"{f.op}: {f.why}"
            if text not in seen:
                seen.append(text)
        return seen

    def to_dict(self) -> dict:
        """The stable `scan --json` schema."""
        return {"path": self.path, "findings": [f.to_dict() for f in self.findings], "ops_seen": self.ops_seen}


# --- public entry points -------------------------------------------------------------------------------------------

_cache: dict[tuple, ScanReport] = {}
_cache_lock = threading.Lock()


def scan_path(path, version: int | None = None) -> ScanReport:
    """Read and scan a model folder, TF Serving base path or saved_model.pb(txt); ModelReadError if unreadable."""
    from .savedmodel import read_model

    return scan_model(read_model(path, version=version))


def scan_model(info) -> ScanReport:
    """Scan the folder of a ModelInfo (every tag-set); cached per file identity, so repeated gates cost nothing."""
    if getattr(info, "tflite", None) is not None:
        return _scan_tflite(info)
    model_dir = Path(info.model_dir)
    pb = model_dir / ("saved_model.pbtxt" if info.file_format == "pbtxt" else "saved_model.pb")
    keras = model_dir / "keras_metadata.pb"
    key = _cache_key(info)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    scanner = _Scanner(has_assets=info.assets_bytes > 0)
    if info.file_format == "pbtxt":
        from .savedmodel import _pbtxt_bytes

        scanner.scan_saved_model(_pbtxt_bytes(pb), pb)
    else:
        try:
            with open(pb, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                scanner.scan_saved_model(mm, pb)
        except (OSError, ValueError) as exc:
            raise ModelReadError(pb, f"{pb} cannot be read for the safety scan: {exc}.") from exc
    scanner.scan_keras_metadata(keras)
    report = ScanReport(path=info.path, model_dir=str(model_dir), fingerprint=info.fingerprint,
                        findings=tuple(scanner.findings()), ops_seen=scanner.ops_seen)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = report
    return report


def cached_report(info) -> ScanReport | None:
    """The report scan_model(info) made already (no scanning: a stat per file), else None."""
    if getattr(info, "tflite", None) is not None:
        return _scan_tflite(info)  # from facts the reader already holds
    key = _cache_key(info)
    with _cache_lock:
        return _cache.get(key)


def _cache_key(info) -> tuple:
    model_dir = Path(info.model_dir)
    pb = model_dir / ("saved_model.pbtxt" if info.file_format == "pbtxt" else "saved_model.pb")
    return (str(pb.resolve()), _stamp(pb), _stamp(model_dir / "keras_metadata.pb"), info.path)


def _scan_tflite(info) -> ScanReport:
    """A .tflite runs LiteRT's builtin ops, which touch nothing; TensorFlow ops it carries as Select ops (Flex)
    run through the Flex delegate with TensorFlow's kernels: those are looked up in the same table."""
    facts = info.tflite
    findings = []
    for flex in facts.flex_ops:
        op = flex.removeprefix("Flex")
        if op in OPS:
            severity, why = OPS[op]
            findings.append(Finding(op, severity, f"in the .tflite model, as the TensorFlow Select op {flex} (run "
                                                  "by the Flex delegate)", why, at_load=False))
    return ScanReport(path=info.path, model_dir=info.model_dir, fingerprint=info.fingerprint,
                      findings=tuple(findings), ops_seen=facts.op_count)


def high_findings(info) -> tuple[Finding, ...]:
    """The high-severity findings of a ModelInfo's folder (what refuses a load without consent)."""
    return scan_model(info).high


_granted: set[str] = set()  # consent keys granted in this process (the window: from settings, see ui/consent.py)
_granted_lock = threading.Lock()


def grant_in_process(keys) -> None:
    """Let every later load in this process run the models with these consent keys (the window's remembered
    answers); a process that runs models for the window (an engine) is given the same keys."""
    with _granted_lock:
        _granted.update(keys)


def granted_in_process() -> frozenset:
    """The consent keys granted in this process (what an engine running models for it must be given)."""
    with _granted_lock:
        return frozenset(_granted)


def revoke_in_process(key: str) -> None:
    """Take back one model's consent: its next load asks again."""
    with _granted_lock:
        _granted.discard(key)


def forget_in_process() -> None:
    """Take back every grant of this process (settings reset; tests)."""
    with _granted_lock:
        _granted.clear()


def require_consent(info, allow=False) -> ScanReport:
    """The gate before any load: scan `info`'s model; raise UnsafeModelError when it has high findings that `allow`
    does not cover. `allow`: True (the user said so, e.g. --allow-unsafe-ops), or a collection of consent keys
    remembered for models the user agreed to run (ScanReport.consent_key); keys granted in this process count too."""
    report = scan_model(info)
    if not report.high or allow is True:
        return report
    with _granted_lock:
        if report.consent_key in _granted:
            return report
    if allow and not isinstance(allow, (bool, str)) and report.consent_key in allow:
        return report
    raise UnsafeModelError(report)


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# --- the scan --------------------------------------------------------------------------------------------------------

@dataclass
class _Node:
    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # functions named in attrs (f, body, then_branch, ...)
    print_to_file: bool = False  # PrintV2 with output_stream file://...
    debug_target: str = ""


@dataclass
class _MetaGraph:
    tags: tuple[str, ...] = ()
    nodes: dict[str, _Node] = field(default_factory=dict)
    functions: dict[str, list[_Node]] = field(default_factory=dict)
    signatures: dict[str, list[str]] = field(default_factory=dict)  # key -> tensor names
    collections: dict[str, list[str]] = field(default_factory=dict)
    saver: dict[str, str] = field(default_factory=dict)  # "save"/"restore" -> tensor or op name
    restored: dict[str, str] = field(default_factory=dict)  # function name -> object path (tf.saved_model.load)
    resource_loads: dict[str, str] = field(default_factory=dict)  # function -> "resource 'table' _initialize"
    has_assets: bool = False


class _Scanner:
    def __init__(self, has_assets: bool = False):
        self.metas: list[_MetaGraph] = []
        self.ops_seen = 0
        self.has_assets = has_assets
        self.keras: list[Finding] = []

    # ---- reading ----

    def scan_saved_model(self, buf, pb_path) -> None:
        try:
            for n, w, v, _ in wire.fields(buf):
                if n == 2 and w == wire.LEN:
                    self.metas.append(self._meta_graph(buf, v))
        except (wire.WireError, IndexError, ValueError, RecursionError) as exc:
            raise ModelReadError(pb_path, f"{pb_path} is truncated or corrupted: the safety scan cannot read it.",
                                 details=str(exc), fix="Copy or export the model again.") from None

    def _meta_graph(self, buf, span) -> _MetaGraph:
        meta = _MetaGraph(has_assets=self.has_assets)
        for n, w, v, _ in wire.fields(buf, *span):
            if w != wire.LEN:
                continue
            if n == 1:  # meta_info_def: 4 tags
                meta.tags = tuple(wire.text(buf, v2) for n2, w2, v2, _ in wire.fields(buf, *v) if n2 == 4)
            elif n == 2:  # graph_def: 1 node, 2 library
                for n2, w2, v2, _ in wire.fields(buf, *v):
                    if n2 == 1 and w2 == wire.LEN:
                        node = self._node(buf, v2)
                        meta.nodes[node.name] = node
                    elif n2 == 2 and w2 == wire.LEN:
                        self._library(buf, v2, meta)
            elif n == 3:  # saver_def: 1 filename, 2 save tensor, 3 restore op
                for n2, w2, v2, _ in wire.fields(buf, *v):
                    if n2 in (2, 3) and w2 == wire.LEN:
                        meta.saver["save" if n2 == 2 else "restore"] = wire.text(buf, v2)
            elif n == 4:  # collection_def map: key -> CollectionDef {1 node_list {1 value}}
                key, value = wire.map_entry(buf, v)
                if key in _LOAD_COLLECTIONS and value:
                    names = []
                    for n2, w2, v2, _ in wire.fields(buf, *value):
                        if n2 == 1 and w2 == wire.LEN:
                            names += [wire.text(buf, v3) for n3, _w, v3, _ in wire.fields(buf, *v2) if n3 == 1]
                    meta.collections[key] = names
            elif n == 5:  # signature_def map
                key, value = wire.map_entry(buf, v)
                meta.signatures[key] = _signature_tensors(buf, value) if value else []
            elif n == 6:
                meta.has_assets = True
            elif n == 7:
                self._object_graph(buf, v, meta)
        return meta

    def _library(self, buf, span, meta: _MetaGraph) -> None:
        for n, w, v, _ in wire.fields(buf, *span):
            if n != 1 or w != wire.LEN:
                continue
            name, nodes = "", []
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == 1 and w2 == wire.LEN:  # OpDef: 1 name
                    name = next((wire.text(buf, v3) for n3, _w, v3, _ in wire.fields(buf, *v2) if n3 == 1), "")
                elif n2 == 3 and w2 == wire.LEN:
                    nodes.append(self._node(buf, v2))
            meta.functions[name] = nodes
            if len(meta.functions) > CAPS["functions"]:
                raise wire.WireError("too many functions")

    def _node(self, buf, span) -> _Node:
        self.ops_seen += 1
        if self.ops_seen > CAPS["nodes"]:
            raise wire.WireError("too many nodes")
        node = _Node("", "")
        attrs = []
        for n, w, v, _ in wire.fields(buf, *span):
            if w != wire.LEN:
                continue
            if n == 1:
                node.name = wire.text(buf, v)
            elif n == 2:
                node.op = wire.text(buf, v)
            elif n == 3:
                node.inputs.append(wire.text(buf, v))
            elif n == 5:
                attrs.append(v)
        for span2 in attrs:
            key, value = wire.map_entry(buf, span2)
            if value is None:
                continue
            for n, w, v, _ in wire.fields(buf, *value):
                if n == 10 and w == wire.LEN:  # func: NameAttrList {1 name}
                    node.calls.append(_func_name(buf, v))
                elif n == 1 and w == wire.LEN:  # list: 9 func
                    node.calls += [_func_name(buf, v2) for n2, w2, v2, _ in wire.fields(buf, *v)
                                   if n2 == 9 and w2 == wire.LEN]
                elif n == 2 and w == wire.LEN:  # s
                    text = wire.text(buf, v)
                    if node.op == "PrintV2" and key == "output_stream" and text.startswith("file://"):
                        node.print_to_file = True
                    elif key in ("dump_root", "debug_urls", "debug_url"):
                        node.debug_target = text
        return node

    def _object_graph(self, buf, span, meta: _MetaGraph) -> None:
        # SavedObjectGraph: 1 nodes (SavedObject: 1 children {1 node_id, 2 local_name}, 6 function
        # {1 concrete_functions}, 8 bare_concrete_function {1 name}, 10 resource)
        objects = []
        for n, w, v, _ in wire.fields(buf, *span):
            if n == 1 and w == wire.LEN:
                children, functions, resource = [], [], False
                for n2, w2, v2, _ in wire.fields(buf, *v):
                    if w2 != wire.LEN:
                        continue
                    if n2 == 1:
                        ref = {n3: (v3 if w3 == wire.VARINT else wire.text(buf, v3))
                               for n3, w3, v3, _ in wire.fields(buf, *v2)}
                        children.append((ref.get(1, 0), ref.get(2, "")))
                    elif n2 in (6, 8):
                        functions += [wire.text(buf, v3) for n3, w3, v3, _ in wire.fields(buf, *v2)
                                      if n3 == 1 and w3 == wire.LEN]
                    elif n2 == 10:
                        resource = True
                    elif n2 == 4:  # SavedUserObject: 3 metadata (Keras metadata before keras_metadata.pb)
                        for n3, w3, v3, _ in wire.fields(buf, *v2):
                            if n3 == 3 and w3 == wire.LEN:
                                self._keras_layer(wire.text(buf, v3), "")
                objects.append((children, functions, resource))
        # Object paths from the root (0), breadth first, as tf.saved_model.load exposes them.
        paths, queue = {0: ""}, deque([0])
        while queue:
            i = queue.popleft()
            if not 0 <= i < len(objects):
                continue
            for child, name in objects[i][0]:
                if child not in paths:
                    paths[child] = f"{paths[i]}.{name}" if paths[i] else name
                    queue.append(child)
        for i, (children, functions, resource) in enumerate(objects):
            for fn in functions:
                meta.restored.setdefault(fn, paths.get(i, "?"))
            if resource:
                for child, name in children:
                    if name in _RESOURCE_LOAD_FUNCTIONS and 0 <= child < len(objects):
                        for fn in objects[child][1]:
                            meta.resource_loads[fn] = f"resource '{paths.get(i, '?')}' {name}"

    def scan_keras_metadata(self, path: Path) -> None:
        # keras_metadata.pb (SavedMetadata: 1 nodes {2 node_id, 3 node_path, 4 identifier, 5 metadata JSON})
        try:
            data = path.read_bytes()
        except OSError:
            return
        try:
            for n, w, v, _ in wire.fields(data):
                if n == 1 and w == wire.LEN:
                    parts = {n2: v2 for n2, w2, v2, _ in wire.fields(data, *v) if w2 == wire.LEN}
                    if 5 in parts and b'"Lambda"' in data[parts[5][0]:parts[5][1]]:
                        self._keras_layer(wire.text(data, parts[5]), wire.text(data, parts[3]) if 3 in parts else "")
        except wire.WireError:
            self.keras.append(Finding(KERAS_LAMBDA, MEDIUM, "in keras_metadata.pb (unreadable)",
                                      "the Keras metadata is corrupted; Keras may refuse or misread the model"))

    def _keras_layer(self, text: str, node_path: str) -> None:
        try:
            meta = json.loads(text)
        except ValueError:
            return
        if not isinstance(meta, dict) or meta.get("class_name") != KERAS_LAMBDA:
            return
        name = meta.get("name") or (meta.get("config") or {}).get("name", "?")
        where = f"in Keras layer '{name}'" + (f" ({node_path})" if node_path else "")
        if not any(f.where == where for f in self.keras):
            self.keras.append(Finding(KERAS_LAMBDA, HIGH, where, _KERAS_LAMBDA_WHY))

    # ---- reachability and findings ----

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        several = len(self.metas) > 1
        for meta in self.metas:
            prefix = f"[{','.join(meta.tags) or 'no tags'}] " if several else ""
            out += [f if not prefix else Finding(f.op, f.severity, prefix + f.where, f.why, f.signatures, f.at_load)
                    for f in _meta_findings(meta)]
        out += self.keras
        # Same op in the same place of several tag-sets: say it once.
        unique, seen = [], set()
        for f in out:
            if (f.op, f.where) not in seen:
                seen.add((f.op, f.where))
                unique.append(f)
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(unique, key=lambda f: (order.get(f.severity, 9), not f.at_load, f.op, f.where))


def _meta_findings(meta: _MetaGraph) -> list[Finding]:
    # Where code starts: (kind, label, top-level node names, functions entered directly)
    roots: list[tuple[str, str, list[str], list[str]]] = []
    for key, tensors in sorted(meta.signatures.items()):
        if key == INIT_SIGNATURE:
            roots.append(("load", "at load, by __saved_model_init_op", [_node_name(t) for t in tensors], []))
        else:
            roots.append(("signature", key, [_node_name(t) for t in tensors], []))
    for key, names in meta.collections.items():
        roots.append(("load", f"at load, by {_LOAD_COLLECTIONS[key]}", [_node_name(t) for t in names], []))
    for fn, label in sorted(meta.resource_loads.items()):
        roots.append(("load", f"at load, by {label}", [], [fn]))
    if meta.saver.get("restore"):
        roots.append(("restore", "at load, by the variable restore", [_node_name(meta.saver["restore"])], []))
    if meta.saver.get("save"):
        roots.append(("save", "when variables are saved", [_node_name(meta.saver["save"])], []))

    # container ("" = top-level graph, else a function) -> [(root index, path of function names)]
    reach: dict[tuple[str, str], list[tuple[int, tuple[str, ...]]]] = {}
    for index, (_kind, _label, starts, entry_functions) in enumerate(roots):
        top = _backward(meta.nodes, starts)
        for name in top:
            reach.setdefault(("", name), []).append((index, ()))
        calls = [(fn, (fn,)) for name in top for fn in _called(meta.nodes[name], meta.functions)]
        calls += [(fn, (fn,)) for fn in entry_functions]
        for fn, path in _functions_reached(calls, meta.functions).items():
            reach.setdefault((fn, ""), []).append((index, path))

    from .tf_ops import TF_OPS, TF_VERSION

    custom = (MEDIUM, CUSTOM_OP_WHY.format(version=TF_VERSION))
    findings = []
    for container, nodes in [("", list(meta.nodes.values()))] + list(meta.functions.items()):
        for node in nodes:
            base = OPS.get(node.op)
            if base is None and node.op and node.op not in TF_OPS and node.op not in meta.functions:
                base = custom  # a function called by name as an op is the model's own, not a custom op
            if base is None:
                continue
            hits = reach.get((container, "") if container else ("", node.name), [])
            findings += _place(meta, node, container, base, hits, roots)
    return findings


def _place(meta, node: _Node, container: str, base, hits, roots) -> list[Finding]:
    severity, why = base
    if node.op == "PrintV2" and node.print_to_file:
        severity, why = HIGH, "appends what it prints to a file named in its output_stream attr"
    if node.op.startswith("InitializeTableFromTextFile") and not meta.has_assets:
        severity, why = MEDIUM, "reads a text file into a lookup table, and the model ships no assets: the file " \
                                "is somewhere else on the machine"
    if node.debug_target:
        why = f"{why} ({node.debug_target})"
    kinds = {roots[i][0] for i, _ in hits}
    places = _describe(container, node, hits, roots, meta)
    if not hits and node.op in _CHECKPOINT_OPS:
        return []  # a Saver's idle save/restore ops (a meta graph without saver_def): nothing runs them
    if not hits:
        restored = meta.restored.get(container)
        where = (f"in function {_readable(container)}, restored as '{restored}' by tf.saved_model.load; no signature "
                 "or load step runs it" if restored else
                 f"in {'function ' + _readable(container) if container else 'node ' + repr(node.name)}, which no "
                 "signature or load step runs")
        return [Finding(node.op, MEDIUM if severity == HIGH else severity, where, why)]
    if kinds <= {"restore", "save"} and node.op in _CHECKPOINT_OPS:
        return []  # the saver's own path: how variables are restored and saved
    if kinds <= {"save"}:
        severity = MEDIUM if severity == HIGH else severity
    signatures = tuple(sorted({roots[i][1] for i, _ in hits if roots[i][0] == "signature"}))
    at_load = bool(kinds & {"load", "restore"})
    return [Finding(node.op, severity, places, why, signatures, at_load)]


def _describe(container: str, node: _Node, hits, roots, meta) -> str:
    """ "in signature 'serving_default' via serve > inner" / "at load (TF1 main_op)" plus the other places."""
    by_root: dict[int, tuple[str, ...]] = {}
    for index, path in hits:
        if index not in by_root or len(path) < len(by_root[index]):
            by_root[index] = path
    texts = []
    loads = [i for i in by_root if roots[i][0] in ("load", "restore", "save")]
    sigs = [i for i in by_root if roots[i][0] == "signature"]
    for i in loads[:1] + sigs:
        kind, label = roots[i][0], roots[i][1]
        path = [_readable(fn) for fn in by_root[i] if "signature_wrapper" not in fn]
        via = f" via {' > '.join(path)}" if path else (f" (node '{node.name}')" if not container else "")
        texts.append((f"in signature '{label}'" if kind == "signature" else label) + via)
    more = len(loads[1:]) + max(0, len(texts) - 3)
    texts = texts[:3] + ([f"and {more} more place{'s' * (more > 1)}"] if more else [])
    return "; ".join(texts)


def _backward(nodes: dict[str, _Node], starts: list[str]) -> set[str]:
    """Top-level nodes a fetch of `starts` runs: their inputs and control inputs, transitively."""
    seen: set[str] = set()
    stack = [s for s in starts if s in nodes]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for inp in nodes[name].inputs:
            src = _node_name(inp)
            if src in nodes and src not in seen:
                stack.append(src)
    return seen


def _called(node: _Node, functions: dict) -> list[str]:
    out = [fn for fn in node.calls if fn in functions]
    if node.op in functions:  # a function called by name as an op
        out.append(node.op)
    return out


def _functions_reached(calls, functions: dict) -> dict[str, tuple[str, ...]]:
    """Every function reached from `calls` (function, path), with the shortest call path to each."""
    paths: dict[str, tuple[str, ...]] = {}
    queue = deque(calls)
    while queue:
        fn, path = queue.popleft()
        if fn in paths or fn not in functions:
            continue
        paths[fn] = path
        for node in functions[fn]:
            for callee in _called(node, functions):
                if callee not in paths:
                    queue.append((callee, path + (callee,)))
    return paths


def _node_name(tensor: str) -> str:
    """ "^name", "name:0", "name:output:0" -> "name" (a function-body tensor keeps only its node part)."""
    return tensor.lstrip("^").split(":", 1)[0]


def _readable(fn: str) -> str:
    """ "__inference_serve_17" -> "serve"; "while_body_28" -> "while_body"; others as they are."""
    name = fn.removeprefix("__inference_")
    head, _, tail = name.rpartition("_")
    return head if head and tail.isdigit() else name


def _func_name(buf, span) -> str:
    return next((wire.text(buf, v) for n, w, v, _ in wire.fields(buf, *span) if n == 1 and w == wire.LEN), "")


def _signature_tensors(buf, span) -> list[str]:
    """Every tensor name a SignatureDef's outputs (and inputs) name, sparse and composite components included."""
    names: list[str] = []
    for n, w, v, _ in wire.fields(buf, *span):
        if n in (1, 2) and w == wire.LEN:
            _key, value = wire.map_entry(buf, v)
            if value:
                _tensor_names(buf, value, names)
    return names


def _tensor_names(buf, span, names: list[str], depth: int = 0) -> None:
    # TensorInfo: 1 name, 4 coo_sparse {1, 2, 3 names}, 5 composite_tensor {2 components: TensorInfo}
    if depth > 32:
        raise wire.WireError("composite tensors nested too deep")
    for n, w, v, _ in wire.fields(buf, *span):
        if w != wire.LEN:
            continue
        if n == 1:
            names.append(wire.text(buf, v))
        elif n == 4:
            names += [wire.text(buf, v2) for _n, w2, v2, _ in wire.fields(buf, *v) if w2 == wire.LEN]
        elif n == 5:
            for n2, w2, v2, _ in wire.fields(buf, *v):
                if n2 == 2 and w2 == wire.LEN:
                    _tensor_names(buf, v2, names, depth + 1)


def op_table() -> list[tuple[str, str, str]]:
    """The table (op, severity, why), high first, for the README and `scan --ops`."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rows = [(op, sev, why) for op, (sev, why) in OPS.items()] + [(f"Keras {KERAS_LAMBDA}", HIGH, _KERAS_LAMBDA_WHY)]
    return sorted(rows, key=lambda r: (order[r[1]], r[0]))
