"""Structure-aware fuzzing of the SavedModel reader: mutate the protobuf tree of the repo's own saved_model.pb files.

Every case must give MetaGraphs or a ModelReadError, in bounded time, and whatever it gives must print and turn into
JSON. Used by tests/core/test_fuzz_reader.py (hypothesis drives the choices, a few hundred cases) and run alone for
a long campaign (README "Reliability"):

    nice -n 19 python tests/fuzz_reader.py --cases 1000000 --seed 1 [--crashers tests/data/reader_crashers]

Mutations work on the wire tree (a LEN payload that parses as a message is a message): drop, duplicate, reorder or
retype a field, set a number to an extreme, replace a payload, nest a message deeper, splice in a hostile default
value or shape where the reader looks for them; then bytes: flip bits, truncate, corrupt a length prefix.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from explorer.core import savedmodel, wire  # noqa: E402
from explorer.core.errors import ModelReadError  # noqa: E402

VARINT, I64, LEN, I32 = wire.VARINT, wire.I64, wire.LEN, wire.I32
RAW_LIMIT = 2048  # payloads larger than this stay raw bytes (graph_def): the reader skips them by length anyway
EXTREMES = [0, 1, 2, 7, 8, 14, 18, 19, 21, 101, 127, 128, 255, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63,
            2**64 - 1, 10**8, 10**12]
MAX_CASE_SECONDS = 2.0


def seeds() -> list[bytes]:
    """Every saved_model.pb shipped in the repo (TF Serving's test models and the demo model)."""
    files = sorted((ROOT / "resources").rglob("saved_model.pb"))
    return [f.read_bytes() for f in files]


# --- the wire tree ------------------------------------------------------------------------------------------------

def _enc_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def parse(data: bytes, depth: int = 0):
    """bytes -> [[number, wire type, value]] where value is an int, raw bytes, or a nested list; None if not a
    message."""
    nodes = []
    try:
        for number, wtype, value, _ in wire.fields(data):
            if wtype == LEN:
                payload = bytes(data[value[0]:value[1]])
                child = parse(payload, depth + 1) if payload and len(payload) <= RAW_LIMIT and depth < 12 else None
                nodes.append([number, LEN, child if child else payload])
            else:
                nodes.append([number, wtype, value])
    except wire.WireError:
        return None
    return nodes


def serialize(nodes) -> bytes:
    out = bytearray()
    for number, wtype, value in nodes:
        out += _enc_varint((number << 3) | wtype)
        if wtype == VARINT:
            out += _enc_varint(value if isinstance(value, int) else len(value))
        elif wtype == I64:
            out += (value if isinstance(value, int) else 0).to_bytes(8, "little", signed=False) if \
                isinstance(value, int) and 0 <= value < 2**64 else b"\0" * 8
        elif wtype == I32:
            out += (value if isinstance(value, int) and 0 <= value < 2**32 else 0).to_bytes(4, "little")
        else:
            payload = serialize(value) if isinstance(value, list) else (
                value if isinstance(value, (bytes, bytearray)) else _enc_varint(value))
            out += _enc_varint(len(payload)) + payload
    return bytes(out)


def _messages(nodes, path=()):
    """Every (message node list, path of field numbers) in the tree."""
    yield nodes, path
    for node in nodes:
        if isinstance(node[2], list):
            yield from _messages(node[2], path + (node[0],))


# --- hostile pieces the reader meets where it looks -----------------------------------------------------------------

def _shape(dims) -> list:
    return [[2, LEN, [[1, VARINT, d & ((1 << 64) - 1)]]] for d in dims]


def hostile_default(rng: random.Random) -> list:
    """A TensorProto a default value could be: huge shapes, odd dtypes, wrong wire types."""
    choice = rng.randrange(12)
    if choice == 0:  # 10^8 floats declared, one present
        return [[1, VARINT, 1], [2, LEN, _shape([10000, 10000])], [5, I32, 0x3F800000]]
    if choice == 1:  # complex64
        return [[1, VARINT, 8], [2, LEN, _shape([2])], [9, LEN, struct.pack("<4f", 1, 2, 3, 4)]]
    if choice == 2:  # complex128, huge
        return [[1, VARINT, 18], [2, LEN, _shape([10**6, 10**3])], [12, LEN, struct.pack("<2d", 1, 2)]]
    if choice == 3:  # half / bfloat16
        return [[1, VARINT, rng.choice([14, 19])], [2, LEN, _shape([3])], [13, LEN, _enc_varint(15360) * 3]]
    if choice == 4:  # a string default with a huge shape
        return [[1, VARINT, 7], [2, LEN, _shape([10**9])], [8, LEN, b"x"]]
    if choice == 5:  # negative and 2^63 dims
        return [[1, VARINT, 1], [2, LEN, _shape([rng.choice([-5, 2**63, -1]), 1])], [5, I32, 0]]
    if choice == 6:  # rank past TensorFlow's 254
        return [[1, VARINT, 3], [2, LEN, _shape([1] * rng.choice([255, 300, 2000]))], [7, VARINT, 1]]
    if choice == 7:  # dtype as a LEN field, values of the wrong wire type
        return [[1, LEN, b"\x01"], [2, LEN, _shape([2])], [5, VARINT, 2**40], [7, I64, 5], [8, VARINT, 3]]
    if choice == 8:  # tensor_content far shorter than the shape, and one far longer
        return [[1, VARINT, rng.choice([1, 2, 3, 9])], [2, LEN, _shape([rng.choice([10**7, 2])])],
                [4, LEN, bytes(rng.randrange(256) for _ in range(rng.choice([3, 64])))]]
    if choice == 9:  # an unknown or resource dtype with a shape
        return [[1, VARINT, rng.choice([0, 20, 21, 24, 99, 120, 2**31])], [2, LEN, _shape([4, 4])]]
    if choice == 10:  # many dims of 0 and a value list
        return [[1, VARINT, 10], [2, LEN, _shape([0, 10**9])], [11, LEN, b"\x01\x00"]]
    return [[1, VARINT, 9], [2, LEN, _shape([3])], [10, LEN, _enc_varint(2**64 - 1) * 3]]


def hostile_tensor_info(rng: random.Random) -> list:
    choice = rng.randrange(5)
    if choice == 0:
        return [[1, LEN, b"x:0"], [2, VARINT, 1], [3, LEN, _shape([1] * 400)]]
    if choice == 1:
        return [[1, LEN, b"x:0"], [2, LEN, b"\x01"], [3, LEN, [[2, LEN, [[1, LEN, b"big"]]], [3, LEN, b"\x01"]]]]
    if choice == 2:
        return [[1, LEN, b"x:0"], [2, VARINT, rng.choice(EXTREMES)], [3, LEN, _shape([2**63, 2**64 - 1])]]
    if choice == 3:
        return [[5, LEN, [[1, LEN, [[3, VARINT, 5]]], [2, LEN, [[1, VARINT, 7]]], [2, I64, 1]]]]
    return [[4, LEN, [[1, VARINT, 1], [2, I32, 1], [3, LEN, b"\xff" * 11]]]]


def _splice_into_signatures(tree, rng: random.Random) -> bool:
    sigs = [m for m, path in _messages(tree) if path[-3:] == (2, 5, 2)]  # MetaGraphDef.signature_def value
    if not sigs:
        return False
    sig = rng.choice(sigs)
    if rng.random() < 0.5:
        sig.append([4, LEN, [[1, LEN, b"x"], [2, LEN, hostile_default(rng)]]])
    else:
        sig.append([rng.choice([1, 2]), LEN, [[1, LEN, b"evil"], [2, LEN, hostile_tensor_info(rng)]]])
    return True


# --- mutations -------------------------------------------------------------------------------------------------------

def mutate(tree, rng: random.Random) -> bytes:
    """Apply 1-4 structure-aware mutations to a copy of `tree`, serialise, then maybe 1 byte-level mutation."""
    tree = copy.deepcopy(tree)
    for _ in range(rng.randint(1, 4)):
        messages = [m for m, _ in _messages(tree) if m]
        if not messages:
            tree.append([2, LEN, [[5, LEN, [[1, LEN, b"k"], [2, LEN, [[4, LEN, [[1, LEN, b"x"],
                                                                             [2, LEN, hostile_default(rng)]]]]]]]]])
            continue
        nodes = rng.choice(messages)
        node = rng.choice(nodes)
        op = rng.randrange(10)
        if op == 0:
            nodes.remove(node)
        elif op == 1:
            nodes.insert(rng.randrange(len(nodes) + 1), copy.deepcopy(node))
        elif op == 2:
            rng.shuffle(nodes)
        elif op == 3:  # retype: the value keeps its Python form, serialize() writes what the new type can
            node[1] = rng.choice([VARINT, I64, LEN, I32])
            if node[1] in (VARINT, I64, I32) and not isinstance(node[2], int):
                node[2] = rng.choice(EXTREMES)
        elif op == 4:
            node[1], node[2] = VARINT, rng.choice(EXTREMES)
        elif op == 5:
            node[1], node[2] = LEN, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        elif op == 6:  # nest deeper, as raw bytes (the tree itself stays shallow enough to copy)
            inner = serialize([node])
            tag, heads, length = _enc_varint((node[0] << 3) | LEN), [], len(inner)
            for _ in range(rng.choice([2, 20, 200, 2000])):  # headers from the inside out, joined once
                head = tag + _enc_varint(length)
                heads.append(head)
                length += len(head)
            node[1], node[2] = LEN, b"".join(reversed(heads)) + inner
        elif op == 7:
            node[0] = rng.choice([0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 2**29 - 1])
        elif op == 8 or op == 9:
            if not _splice_into_signatures(tree, rng):
                nodes.append([4, LEN, hostile_default(rng)])
    data = bytearray(serialize(tree))
    op = rng.randrange(6)
    if op == 0 and data:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == 1 and data:
        del data[rng.randrange(len(data)):]
    elif op == 2 and data:  # a corrupt length prefix: ten 0xff bytes decode as a huge varint
        at = rng.randrange(len(data))
        data[at:at + rng.randint(1, 10)] = b"\xff" * rng.randint(1, 10) + b"\x01"
    return bytes(data)


class Crash(Exception):
    """A case the reader failed: a traceback, a hang, or an answer that does not print or turn into JSON."""


def check(data: bytes) -> str:
    """Read `data`; 'ok' or 'refused' (ModelReadError); raise Crash for anything else."""
    started = time.perf_counter()
    try:
        metas = savedmodel.decode_meta_graphs(data)
    except ModelReadError as exc:
        outcome = "refused"
        str(exc)
    except Exception as exc:  # noqa: BLE001 - the point of the fuzzer
        raise Crash(f"{type(exc).__name__}: {exc}") from exc
    else:
        outcome = "ok"
        try:
            for meta in metas:
                doc = {k: s.to_dict() for k, s in meta.signatures.items()}
                json.dumps(doc)
                for sig in meta.signatures.values():
                    "".join(f"{k}={v}" for k, v in sig.defaults.items())
                    for spec in (*sig.inputs.values(), *sig.outputs.values()):
                        spec.shape_text()
        except Exception as exc:  # noqa: BLE001
            raise Crash(f"output: {type(exc).__name__}: {exc}") from exc
    elapsed = time.perf_counter() - started
    if elapsed > MAX_CASE_SECONDS:
        raise Crash(f"took {elapsed:.1f} s")
    return outcome


def campaign(cases: int, seed: int, crashers: Path | None, seconds: float | None = None) -> dict:
    rng = random.Random(seed)
    trees = [t for t in (parse(s) for s in seeds()) if t]
    counts = {"ok": 0, "refused": 0, "crash": 0}
    started = time.monotonic()
    done = 0
    for done in range(1, cases + 1):
        data = mutate(rng.choice(trees), rng)
        try:
            counts[check(data)] += 1
        except Crash as exc:
            counts["crash"] += 1
            if crashers is not None:
                crashers.mkdir(parents=True, exist_ok=True)
                (crashers / f"crash-{seed}-{done}.pb").write_bytes(data)
            print(f"case {done}: {exc}", file=sys.stderr, flush=True)
        if done % 50000 == 0:
            print(f"{done} cases {counts} {time.monotonic() - started:.0f} s", flush=True)
        if seconds is not None and time.monotonic() - started > seconds:
            break
    return {"cases": done, **counts, "seconds": round(time.monotonic() - started, 1), "seed": seed}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--cases", type=int, default=100000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, help="stop after this long, whatever the count")
    p.add_argument("--crashers", type=Path, help="folder to keep failing inputs in")
    p.add_argument("--memory-mb", type=int, default=2048, help="address-space limit (a MemoryError is a crash)")
    args = p.parse_args(argv)
    try:
        import resource

        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    result = campaign(args.cases, args.seed, args.crashers, args.seconds)
    print(json.dumps(result), flush=True)
    return 1 if result["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
