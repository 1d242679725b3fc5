"""Messages between the window and the engine: a pickled header plus numpy buffers sent out of band (pickle
protocol 5, PEP 574), never as pickled lists.

Requests put buffers of 1 MB or more in an Arena (Linux): a memfd the window keeps and reuses, whose descriptor
goes along with the message (SCM_RIGHTS). The engine maps it once and its arrays are views on it, without a copy:
valid while it handles that request (the window reuses the arena for the next one, so an engine object that keeps
an array past its request must copy it). Measured on a busy 2-core machine for a (64, 224, 224, 3) float32 batch:
through the socket alone ~190 hand-overs of ~200 KB between the processes, each waiting to be scheduled (a 450 ms
prediction took 810 ms); a fresh memfd per message spent ~230 ms allocating its pages; a reused arena copies in
4-30 ms. Answers (and everything where memfd is missing) go through the socket, read straight into their own
memory. A memfd is freed by the kernel with its last mapping, so a crash leaks nothing.
"""
from __future__ import annotations

import mmap
import os
import pickle
import socket
import struct

_HEAD = struct.Struct("!QII")  # header length, number of out-of-band buffers, descriptors sent along (0 or 1)
_LEN = struct.Struct("!QQB")  # buffer length, offset in the arena, in the arena (1) or inline (0)
MAX_HEADER = 1 << 30  # a header this large is a broken peer, not a message
SHARED_MIN = 1 << 20
_MEMFD = hasattr(os, "memfd_create") and hasattr(socket, "send_fds") and hasattr(mmap, "MAP_POPULATE")


class PeerGone(EOFError):
    """The other side closed its end (exited, crashed or was killed)."""


class Arena:
    """The sender's reusable shared buffer (one per connection; one message at a time)."""

    def __init__(self):
        self.fd: int | None = None
        self.map: mmap.mmap | None = None
        self.size = 0

    def ensure(self, size: int) -> None:
        if size <= self.size:
            return
        self.close()
        size = max(size, 2 * self.size, SHARED_MIN)
        self.fd = os.memfd_create("explorer-engine-arena", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, size)
        # Populated at once: page by page, a fresh shared mapping cost ~230 ms per 38 MB on a busy machine.
        self.map = mmap.mmap(self.fd, size, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
        self.size = size

    def close(self) -> None:
        if self.map is not None:
            self.map.close()
        if self.fd is not None:
            os.close(self.fd)
        self.fd, self.map, self.size = None, None, 0


class Mappings:
    """The receiver's mapping of the sender's current arena (mapped again only when the arena changed)."""

    def __init__(self):
        self.key: tuple | None = None
        self.map: mmap.mmap | None = None

    def view(self, fd: int) -> memoryview:
        info = os.fstat(fd)
        key = (info.st_dev, info.st_ino, info.st_size)
        if key != self.key:
            self.map = mmap.mmap(fd, info.st_size, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
            self.key = key  # the previous mapping goes when the last array viewing it does
        return memoryview(self.map)


def send(sock, message, arena: Arena | None = None) -> None:
    """Send one message; its numpy arrays (and other PickleBuffer-aware objects) go as raw buffers, large ones in
    `arena` when given."""
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)  # fails before anything is sent
    raws = [b.raw() for b in buffers]
    shared = [bool(arena is not None and _MEMFD and raw.nbytes >= SHARED_MIN) for raw in raws]
    offsets, total = [], 0
    for raw, s in zip(raws, shared):
        offsets.append(total if s else 0)
        total += -(-raw.nbytes // 64) * 64 if s else 0  # 64-byte aligned, as TensorFlow likes its buffers
    if total:
        arena.ensure(total)
        for raw, s, offset in zip(raws, shared, offsets):
            if s:
                arena.map[offset:offset + raw.nbytes] = raw
    prefix = _HEAD.pack(len(header), len(raws), 1 if total else 0)
    if total:
        socket.send_fds(sock, [prefix], [arena.fd])
    else:
        sock.sendall(prefix)
    sock.sendall(header + b"".join(_LEN.pack(raw.nbytes, o, s) for raw, o, s in zip(raws, offsets, shared)))
    for raw, s in zip(raws, shared):
        if not s:
            sock.sendall(raw)


def receive(sock, mappings: Mappings | None = None):
    """Receive one message (blocking); raises PeerGone when the other side has closed."""
    if _MEMFD:
        data, fds, _flags, _addr = socket.recv_fds(sock, _HEAD.size, 1)
        if not data:
            raise PeerGone("the connection closed")
        data += _exactly(sock, _HEAD.size - len(data))
    else:
        data, fds = _exactly(sock, _HEAD.size), []
    try:
        size, count, nfds = _HEAD.unpack(data)
        if size > MAX_HEADER or nfds != len(fds) or (fds and mappings is None):
            raise PeerGone(f"a broken message ({size}-byte header, {nfds} descriptors, {len(fds)} came)")
        header = _exactly(sock, size)
        lengths = [_LEN.unpack(_exactly(sock, _LEN.size)) for _ in range(count)]
        arena = mappings.view(fds[0]) if fds else None
        buffers = []
        for length, offset, shared in lengths:
            if shared:
                buffers.append(arena[offset:offset + length])
            else:
                buffer = bytearray(length)
                _into(sock, memoryview(buffer))
                buffers.append(buffer)
    finally:
        for fd in fds:
            os.close(fd)
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
