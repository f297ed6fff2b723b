"""Writing a download's bytes off the event loop.

Two worker threads per download: one appends blocks to ``<file>.part``, the
other feeds the SHA-256 with the same blocks (both release the interpreter
lock on large buffers), so the event loop only receives, and writing and
hashing run side by side instead of one after the other (measured here: the
one worker doing both was what held the transfer at ~0.45x curl). Up to two
blocks are in flight: the network, the disk and the hash work at the same
time, and a slow disk slows the download rather than filling memory.

After each block the writer asks the kernel to start writing it to disk
(Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which does not wait), so
the fsync before the file is installed finds little left to write instead of
the whole file (it was ~0.1 s of 0.5 s). Where that call is missing, the final
fsync does all the work, as before.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import errno
import hashlib
import logging
import os
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from app.core.models.download_errors import DiskFull, DownloadError

log = logging.getLogger(__name__)

BLOCK_BYTES = 4 << 20
_IN_FLIGHT = 2
_SYNC_FILE_RANGE_WRITE = 2   # linux/fs.h


def _writeback_starter() -> Callable[[int, int, int], None] | None:
    """``start(fd, offset, length)``: begin writing that range to disk without
    waiting (Linux sync_file_range); None where it is not available."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int

    def start(fd: int, offset: int, length: int) -> None:
        # Only a hint: a failure (EIO comes again from the fsync) is not raised here.
        function(fd, offset, length, _SYNC_FILE_RANGE_WRITE)

    return start


_START_WRITEBACK = _writeback_starter()


def _disk_error(exc: OSError, path: Path) -> DownloadError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"The disk is full while writing {path.name}: free some space "
                        "and resume, or cancel to delete the partial file.")
    return DownloadError(f"Could not write {path.name}: {exc.strerror or exc}")


class PartWriter:
    """Appends to a part file from ``offset`` on (truncating anything past it)."""

    def __init__(self, path: Path, offset: int) -> None:
        self.path = path
        self.offset = offset
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="download-writer")
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="download-hasher")
        self._pending: deque[tuple[Future, Future]] = deque()
        self._written = offset          # where the next block goes (writer thread)
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._hash = hashlib.sha256()
        self._handle = None

    async def open(self) -> None:
        """Open the file and hash the bytes already in it (a resumed download)."""
        await self._call(self._open)

    def _open(self) -> None:
        self._handle = open(self.path, "wb" if self.offset == 0 else "r+b", buffering=0)
        self._handle.truncate(self.offset)
        self._handle.seek(self.offset)
        if self.offset:
            with open(self.path, "rb") as handle:
                left = self.offset
                while left and (block := handle.read(min(left, BLOCK_BYTES))):
                    self._hash.update(block)
                    left -= len(block)

    async def write(self, data: bytes) -> None:
        """Queue ``data``; every ``BLOCK_BYTES`` the chunks go to the worker
        as they are (no copy on the loop)."""
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered >= BLOCK_BYTES:
            await self._submit()

    async def _submit(self) -> None:
        chunks, self._chunks, self._buffered = self._chunks, [], 0
        if not chunks:
            return
        while len(self._pending) >= _IN_FLIGHT:
            await self._settle(self._pending.popleft())
        self._pending.append((self._executor.submit(self._append, chunks),
                              self._hasher.submit(self._digest, chunks)))

    def _append(self, chunks: list[bytes]) -> None:
        start = self._written
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                written = self._handle.write(view)
                view = view[written:]
                self._written += written
        if _START_WRITEBACK is not None:
            _START_WRITEBACK(self._handle.fileno(), start, self._written - start)

    def _digest(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self._hash.update(chunk)

    async def _settle(self, futures: tuple[Future, Future]) -> None:
        write, digest = futures
        try:
            await asyncio.wrap_future(digest)
            await asyncio.wrap_future(write)
        except OSError as exc:
            raise _disk_error(exc, self.path) from exc

    async def flush(self) -> None:
        """Write what is buffered and wait for every write."""
        await self._submit()
        while self._pending:
            await self._settle(self._pending.popleft())

    async def finish(self) -> str:
        """Flush, sync to disk and return the SHA-256 of the whole file."""
        await self.flush()
        await self._call(lambda: os.fsync(self._handle.fileno()))
        return self._hash.hexdigest()

    async def _call(self, function) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, function)
        except OSError as exc:
            raise _disk_error(exc, self.path) from exc

    async def close(self) -> None:
        """Write what came (a pause or a cut keeps every received byte), then
        close the file. A write error here only means fewer bytes are kept."""
        try:
            await self.flush()
        except DownloadError as exc:
            log.info("%s: last bytes not kept: %s", self.path.name, exc)
        handle, self._handle = self._handle, None
        if handle is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, handle.close)
        self._executor.shutdown(wait=False)
        self._hasher.shutdown(wait=False)
