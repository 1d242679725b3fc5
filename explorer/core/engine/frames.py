"""Messages between the window and the engine: a pickled header plus numpy buffers sent out of band, read straight
into their own memory (pickle protocol 5, PEP 574): a (64, 224, 224, 3) float32 batch crosses as one 38 MB copy
through the kernel, not as Python lists."""
from __future__ import annotations

import pickle
import struct

_HEAD = struct.Struct("!QI")  # header length, number of out-of-band buffers
_LEN = struct.Struct("!Q")
MAX_HEADER = 1 << 30  # a header this large is a broken peer, not a message


class PeerGone(EOFError):
    """The other side closed its end (exited, crashed or was killed)."""


def send(sock, message) -> None:
    """Send one message; its numpy arrays (and other PickleBuffer-aware objects) go as raw buffers."""
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    parts = [_HEAD.pack(len(header), len(raws)), header]
    for raw in raws:
        parts.append(_LEN.pack(raw.nbytes))
    sock.sendall(b"".join(parts))
    for raw in raws:
        sock.sendall(raw)


def receive(sock):
    """Receive one message (blocking); raises PeerGone when the other side has closed."""
    size, count = _HEAD.unpack(_exactly(sock, _HEAD.size))
    if size > MAX_HEADER:
        raise PeerGone(f"a {size}-byte message header")
    header = _exactly(sock, size)
    lengths = [_LEN.unpack(_exactly(sock, _LEN.size))[0] for _ in range(count)]
    buffers = []
    for length in lengths:
        buffer = bytearray(length)
        _into(sock, memoryview(buffer))
        buffers.append(buffer)
    return pickle.loads(header, buffers=buffers)


def _exactly(sock, size: int) -> bytes:
    buffer = bytearray(size)
    _into(sock, memoryview(buffer))
    return bytes(buffer)


def _into(sock, view: memoryview) -> None:
    got = 0
    while got < len(view):
        n = sock.recv_into(view[got:])
        if n == 0:
            raise PeerGone("the connection closed")
        got += n
