"""One attempt at a download: ask the server (from the kept bytes on, where it
allows), check what it says against the catalogue, receive, verify, install.

Used by ``DownloadManager`` (downloads.py), which owns retries and state.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

import httpx

from app.core.models import download_state as store
from app.core.models.download_errors import (
    ChecksumConflict, ChecksumMismatch, DownloadError, DownloadRefused, HttpStatusError,
    NoChecksum, ServerUnreachable, TransferInterrupted)
from app.core.models.download_http import content_length, content_range, published_sha256
from app.core.models.download_state import DownloadRecord
from app.core.models.part_writer import PartWriter
from app.logs import redact_url
from app.providers.transport import close_body

class TransferOwner(Protocol):
    """What a transfer needs from its DownloadManager (downloads.py), named here
    so that this module does not import the manager back."""

    models_dir: Path

    def check_space(self, record: DownloadRecord, have: int) -> None: ...

    def changed(self, record: DownloadRecord, state: str | None = None) -> None: ...

    def received(self, record: DownloadRecord, count: int, *,
                 force: bool = False) -> None: ...

NO_RANGE_NOTE = "The server does not support resuming: the download restarted from zero."


class _Restart(Exception):
    """The kept bytes cannot be continued (the file on the server changed, or
    it answered another range): start again from zero."""


class Transfer:
    def __init__(self, manager: TransferOwner, record: DownloadRecord,
                 client: httpx.AsyncClient) -> None:
        self.manager = manager
        self.record = record
        self.client = client
        self.part = store.part_path(manager.models_dir, record.filename)

    async def run(self) -> None:
        for _ in range(2):
            offset = self.part.stat().st_size if self.part.exists() else 0
            try:
                digest = await self._from_any_url(offset)
            except _Restart:
                await asyncio.to_thread(self.part.unlink, True)
                continue
            await self._install(digest)
            return
        raise TransferInterrupted(f"The server keeps changing {self.record.filename}; "
                                  "try again later.")

    async def _from_any_url(self, offset: int) -> str:
        error: DownloadError | None = None
        for url in self.record.urls:
            try:
                return await self._from(url, offset)
            except (ServerUnreachable, HttpStatusError) as exc:
                error = exc  # try the next address, if any
        assert error is not None
        raise error

    async def _from(self, url: str, offset: int) -> str:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        shown = redact_url(url)
        try:
            async with self.client.stream("GET", url, headers=headers) as response:
                offset = self._accept(response, offset, shown)
                if offset is None:  # 416: the kept bytes are the whole file
                    return await self._digest_of_part(self.record.total or 0)
                return await self._receive(response, offset)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ServerUnreachable(f"Could not connect to {shown}: {exc}") from exc
        except httpx.TransportError as exc:
            raise TransferInterrupted(
                f"The connection to {shown} broke during the download ({type(exc).__name__}"
                f": {exc}); the bytes received are kept: resume to continue.") from exc

    def _accept(self, response: httpx.Response, offset: int, shown: str) -> int | None:
        """Check the answer's status and headers; return the offset the body
        starts at (None: nothing left to receive)."""
        record = self.record
        status = response.status_code
        if status == 416 and offset:
            answered = content_range_total(response)
            if answered is not None and answered == offset:
                record.total = answered
                return None
            raise _Restart
        if status >= 400:
            raise HttpStatusError(f"{shown} answered HTTP {status} "
                                  f"{response.reason_phrase}.", status)
        if status not in (200, 206):
            raise DownloadError(f"{shown} answered HTTP {status}, not the file.")
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            raise DownloadRefused(f"{shown} sent the file compressed; it cannot be verified.")
        if status == 206:
            answered = content_range(response)
            if answered is None or answered[0] != offset:
                raise _Restart
            total = answered[1]
        else:
            total = content_length(response)
            if offset:
                record.note = NO_RANGE_NOTE
                offset = 0
        published = published_sha256(response)
        if published and record.published_sha256 and published != record.published_sha256:
            record.published_sha256 = published
            if offset:
                raise _Restart  # the kept bytes belong to the earlier file
        record.published_sha256 = published or record.published_sha256
        if record.sha256 and published and published != record.sha256:
            raise ChecksumConflict(
                f"{shown} publishes SHA-256 {published} for {record.filename}, the catalogue "
                f"says {record.sha256}: not the catalogued file, so it is not downloaded.")
        if record.expected_sha256 is None:
            raise NoChecksum(
                f"No SHA-256 for {record.filename}: the catalogue has none and {shown} "
                "publishes none (X-Linked-ETag), so the file could not be verified and "
                "was not downloaded.")
        if record.size_bytes and total and total != record.size_bytes:
            raise ChecksumConflict(
                f"{shown} offers {total:,} bytes for {record.filename}, the catalogue says "
                f"{record.size_bytes:,}: not the catalogued file, so it is not downloaded.")
        record.total = total
        self.manager.check_space(record, offset)
        self.manager.changed(record)
        return offset

    async def _receive(self, response: httpx.Response, offset: int) -> str:
        writer = PartWriter(self.part, offset)
        try:
            await writer.open()
            received = offset
            self.manager.received(self.record, received, force=True)
            chunks = response.aiter_raw()
            try:
                async for chunk in chunks:
                    await writer.write(chunk)
                    received += len(chunk)
                    self.manager.received(self.record, received)
            except httpx.TransportError:
                # close() below keeps every byte that came: resume starts after it
                self.manager.received(self.record, received, force=True)
                raise
            except BaseException:
                # Paused or cancelled mid-body: close the stream in this task
                # (see transport.close_body), not later from the garbage collector.
                await asyncio.shield(close_body(response, chunks))
                raise
            total = self.record.total
            if total is not None and received != total:
                raise TransferInterrupted(f"The server sent {received:,} of {total:,} bytes; "
                                          "resume to continue.")
            self.manager.received(self.record, received, force=True)
            self.manager.changed(self.record, "verifying")
            return await writer.finish()
        finally:
            await writer.close()

    async def _digest_of_part(self, size: int) -> str:
        writer = PartWriter(self.part, size)
        try:
            await writer.open()
            self.manager.changed(self.record, "verifying")
            return await writer.finish()
        finally:
            await writer.close()

    async def _install(self, digest: str) -> None:
        record = self.record
        expected = record.expected_sha256
        final = self.manager.models_dir / record.filename
        if digest != expected:
            await asyncio.to_thread(self.part.unlink, True)
            whose = "the catalogue's" if record.sha256 else "the one the server publishes"
            raise ChecksumMismatch(
                f"{record.filename} arrived damaged or different: its SHA-256 is {digest}, "
                f"not {whose} ({expected}). The file was deleted.")
        await asyncio.to_thread(_rename_into_place, self.part, final)


def _rename_into_place(part: Path, final: Path) -> None:
    if final.exists():
        part.unlink(missing_ok=True)
        raise DownloadRefused(f"{final.name} appeared in the models folder meanwhile; "
                              "the download was not put over it.")
    os.replace(part, final)
    if os.name == "posix":
        handle = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def content_range_total(response: httpx.Response) -> int | None:
    """The size in a 416's ``Content-Range: bytes */N``."""
    value = response.headers.get("content-range", "")
    if value.startswith("bytes */") and value[8:].strip().isdigit():
        return int(value[8:].strip())
    return None
