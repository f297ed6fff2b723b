"""Writing a download's bytes off the event loop.

One worker thread per download appends blocks to ``<file>.part`` and feeds the
SHA-256 as it goes (both release the interpreter lock on large buffers), so the
event loop only receives. Up to two blocks are in flight: the network and the
disk work at the same time, and a slow disk slows the download rather than
filling memory.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from app.core.models.download_errors import DiskFull, DownloadError

log = logging.getLogger(__name__)

BLOCK_BYTES = 4 << 20
_IN_FLIGHT = 2


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
        self._pending: deque[Future] = deque()
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
        self._pending.append(self._executor.submit(self._append, chunks))

    def _append(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                written = self._handle.write(view)
                view = view[written:]
            self._hash.update(chunk)

    async def _settle(self, future: Future) -> None:
        try:
            await asyncio.wrap_future(future)
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
