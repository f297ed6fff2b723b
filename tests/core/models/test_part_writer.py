"""PartWriter: the bytes and the SHA-256 of a download, written and hashed on
two worker threads side by side, with the kernel asked to start writing each
block to disk as soon as it is written (so the final fsync has little left)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import threading

import pytest

from app.core.models import part_writer
from app.core.models.part_writer import BLOCK_BYTES, PartWriter


class SpyHash:
    """A sha256 that notes on which thread it was fed."""

    def __init__(self) -> None:
        self.inner = hashlib.sha256()
        self.threads: set[str] = set()

    def update(self, data) -> None:
        self.threads.add(threading.current_thread().name)
        self.inner.update(data)

    def hexdigest(self) -> str:
        return self.inner.hexdigest()


def chunks(total: int, size: int = 300_000) -> list[bytes]:
    data = os.urandom(total)
    return [data[i:i + size] for i in range(0, total, size)]


def test_blocks_are_written_and_hashed_on_two_threads_with_early_writeback(
        tmp_path, monkeypatch):
    ranges: list[tuple[int, int, str]] = []
    monkeypatch.setattr(part_writer, "_START_WRITEBACK", lambda fd, offset, length: ranges.append(
        (offset, length, threading.current_thread().name)))
    pieces = chunks(3 * BLOCK_BYTES + 12345)
    spy = SpyHash()

    async def run() -> str:
        writer = PartWriter(tmp_path / "m.gguf.part", 0)
        await writer.open()
        writer._hash = spy
        for piece in pieces:
            await writer.write(piece)
        return await writer.finish()

    digest = asyncio.run(run())
    whole = b"".join(pieces)
    assert digest == hashlib.sha256(whole).hexdigest()
    assert (tmp_path / "m.gguf.part").read_bytes() == whole
    # Hashed off the writer's thread; writeback asked for every byte, in order, by the writer.
    assert {name.split("_")[0] for name in spy.threads} == {"download-hasher"}
    assert {name.split("_")[0] for _, _, name in ranges} == {"download-writer"}
    assert [offset for offset, _, _ in ranges] == [
        sum(length for _, length, _ in ranges[:i]) for i in range(len(ranges))]
    assert sum(length for _, length, _ in ranges) == len(whole)


def test_a_resumed_part_starts_writeback_after_the_kept_bytes(tmp_path, monkeypatch):
    ranges: list[tuple[int, int]] = []
    monkeypatch.setattr(part_writer, "_START_WRITEBACK",
                        lambda fd, offset, length: ranges.append((offset, length)))
    kept = os.urandom(1000)
    (tmp_path / "m.part").write_bytes(kept + b"garbage past the offset")
    rest = os.urandom(BLOCK_BYTES + 10)

    async def run() -> str:
        writer = PartWriter(tmp_path / "m.part", len(kept))
        await writer.open()
        await writer.write(rest)
        return await writer.finish()

    assert asyncio.run(run()) == hashlib.sha256(kept + rest).hexdigest()
    assert ranges == [(len(kept), len(rest))]
    assert (tmp_path / "m.part").read_bytes() == kept + rest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_the_real_writeback_call_is_found_and_accepts_a_file(tmp_path):
    assert part_writer._START_WRITEBACK is not None
    path = tmp_path / "f"
    path.write_bytes(os.urandom(100_000))
    with open(path, "r+b") as handle:
        part_writer._START_WRITEBACK(handle.fileno(), 0, 100_000)   # does not raise
    assert path.stat().st_size == 100_000
