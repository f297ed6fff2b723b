"""Download faults against the loopback server with the real GGUF: wrong or
missing checksums, a full disk, refused connections, HTTP errors.

The full disk is tested two ways:
- a real small file system: a tmpfs mounted by the test (needs root and a
  working ``mount -t tmpfs``; where that is not available those tests skip,
  saying so), once too small from the start (refused before any byte) and
  once filled by another file mid-download (a real ENOSPC from the kernel);
- simulated, always run: the free-space probe is replaced
  (``free_space=``) and the part writer's append is monkeypatched to raise
  ENOSPC after some bytes.
"""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.models import download_state, part_writer
from app.core.models.download_errors import (
    ChecksumConflict, ChecksumMismatch, DiskFull, HttpStatusError, InsufficientSpace,
    NoChecksum, ServerUnreachable)
from app.core.models.downloads import DownloadManager
from tests.support.download_helpers import (  # noqa: F401 (fixtures)
    MB, folder_listing, model_file, models_dir, progress_of, real_gguf, received_at_least)
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.support.llama_server import free_port


async def _download(models_dir: Path, file, **manager_options):
    manager = DownloadManager(models_dir, retries=0, **manager_options)
    download_id = await manager.start(file)
    final = await manager.wait(download_id)
    error = manager.failure(download_id)
    await manager.aclose()
    return final, error


# -- checksums ---------------------------------------------------------------------------
def test_wrong_catalogue_checksum_deletes_the_file(real_gguf, models_dir):
    with gguf_server(real_gguf.path) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server, sha256="0" * 64)))
    assert final.state == "failed" and isinstance(error, ChecksumMismatch)
    assert "deleted" in final.error and real_gguf.sha256 in final.error
    assert folder_listing(models_dir) == [".downloads", f".downloads/{final.id}.json"]
    assert download_state.load_all(models_dir)[0].state == "failed"


def test_published_checksum_is_used_when_the_catalogue_has_none(real_gguf, models_dir):
    """Hugging Face's layout: the X-Linked-ETag rides on the redirect to the CDN."""
    options = ServerOptions(linked_etag="right", redirect=True)
    with gguf_server(real_gguf.path, options) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server, sha256=None)))
    assert error is None and final.state == "done"
    assert (models_dir / "model.gguf").stat().st_size == real_gguf.size


def test_wrong_published_checksum_deletes_the_file(real_gguf, models_dir):
    with gguf_server(real_gguf.path, ServerOptions(linked_etag="wrong")) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server, sha256=None)))
    assert isinstance(error, ChecksumMismatch) and "publishes" in final.error
    assert not (models_dir / "model.gguf").exists()
    assert not (models_dir / "model.gguf.part").exists()


def test_no_checksum_anywhere_is_refused_before_downloading(real_gguf, models_dir):
    with gguf_server(real_gguf.path) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server, sha256=None)))
    assert isinstance(error, NoChecksum) and not error.resumable
    assert "could not be verified" in final.error
    assert not (models_dir / "model.gguf.part").exists()


def test_server_publishing_another_checksum_than_the_catalogue_is_refused(real_gguf,
                                                                           models_dir):
    with gguf_server(real_gguf.path, ServerOptions(linked_etag="wrong")) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server)))
    assert isinstance(error, ChecksumConflict) and "catalogue says" in final.error
    assert not (models_dir / "model.gguf.part").exists()


# -- connection and HTTP errors ----------------------------------------------------------
def test_refused_connection_is_a_resumable_unreachable_error(real_gguf, models_dir):
    with gguf_server(real_gguf.path) as server:
        file = model_file(server)
    dead = file.model_copy(update={"urls": [f"http://127.0.0.1:{free_port()}/files/x.gguf"]})
    final, error = asyncio.run(_download(models_dir, dead))
    assert isinstance(error, ServerUnreachable) and error.resumable
    assert "Could not connect" in final.error


@pytest.mark.parametrize("status, resumable", [(404, False), (503, True)])
def test_http_error_status_is_typed(real_gguf, models_dir, status, resumable):
    with gguf_server(real_gguf.path, ServerOptions(status=status)) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server)))
    assert isinstance(error, HttpStatusError) and error.status == status
    assert error.resumable is resumable and f"HTTP {status}" in final.error


# -- a full disk, simulated (always runs) ------------------------------------------------
def test_too_little_free_space_is_refused_before_connecting(real_gguf, models_dir):
    with gguf_server(real_gguf.path) as server:
        manager = DownloadManager(models_dir, free_space=lambda _path: real_gguf.size - 1)
        with pytest.raises(InsufficientSpace) as refused:
            asyncio.run(manager.start(model_file(server)))
        assert server.requests == []
    assert refused.value.needed == real_gguf.size and "Not enough disk space" in str(
        refused.value)
    assert folder_listing(models_dir) == []


def test_free_space_checked_once_the_server_tells_the_size(real_gguf, models_dir):
    """No size in the catalogue: refused after the headers, before any byte is kept."""
    with gguf_server(real_gguf.path) as server:
        final, error = asyncio.run(_download(models_dir, model_file(server, size=None),
                                             free_space=lambda _path: 10 * MB))
    assert isinstance(error, InsufficientSpace) and not error.resumable
    assert not (models_dir / "model.gguf.part").exists()


def test_disk_full_while_writing_keeps_bytes_and_resumes(real_gguf, models_dir, monkeypatch):
    """ENOSPC simulated: the writer's append fails once 40 MB are on disk."""
    real_append = part_writer.PartWriter._append
    state = {"full": True}

    def append(self, chunks):
        if state["full"] and self._handle.tell() + sum(map(len, chunks)) > 40 * MB:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_append(self, chunks)

    monkeypatch.setattr(part_writer.PartWriter, "_append", append)

    async def scenario(server):
        manager = DownloadManager(models_dir, retries=3)
        download_id = await manager.start(model_file(server))
        failed = await manager.wait(download_id)
        error = manager.failure(download_id)
        kept = (models_dir / "model.gguf.part").stat().st_size
        state["full"] = False  # space was freed
        await manager.resume(download_id)
        final = await manager.wait(download_id)
        await manager.aclose()
        return failed, error, kept, final

    with gguf_server(real_gguf.path) as server:
        failed, error, kept, final = asyncio.run(scenario(server))
        starts = server.range_starts()
    assert isinstance(error, DiskFull) and error.resumable and "disk is full" in failed.error
    assert 0 < kept <= 40 * MB
    assert starts == [0, kept]  # not retried on its own: a full disk needs a person
    assert final.state == "done"


# -- a full disk, a real small file system ------------------------------------------------
@contextmanager
def small_filesystem(where: Path, size_mb: int) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the simulated full-disk tests cover it")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",
                              str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_real_small_filesystem_refuses_before_downloading(real_gguf, tmp_path):
    with small_filesystem(tmp_path / "small", 64) as folder, \
            gguf_server(real_gguf.path) as server:
        manager = DownloadManager(folder / "models")
        with pytest.raises(InsufficientSpace):
            asyncio.run(manager.start(model_file(server)))
        assert server.requests == [] and not (folder / "models").exists()


def test_real_filesystem_filling_up_mid_download(real_gguf, tmp_path):
    """A 300 MB tmpfs: the check passes, then another file takes the space left."""
    with small_filesystem(tmp_path / "small", 300) as folder, \
            gguf_server(real_gguf.path, ServerOptions(throttle_bps=40 * MB)) as server:
        models = folder / "models"

        async def scenario():
            manager = DownloadManager(models, retries=3)
            download_id = await manager.start(model_file(server))
            await received_at_least(manager, download_id, 10 * MB)
            filler = folder / "filler"
            with open(filler, "wb", buffering=0) as handle:  # whatever else fills the disk
                try:
                    while True:
                        handle.write(bytes(4 * MB))
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
            server.options.throttle_bps = None
            failed = await manager.wait(download_id)
            error = manager.failure(download_id)
            kept = (models / "model.gguf.part").stat().st_size
            filler.unlink()
            await manager.resume(download_id)
            final = await manager.wait(download_id)
            await manager.aclose()
            return failed, error, kept, final

        failed, error, kept, final = asyncio.run(scenario())
        assert isinstance(error, DiskFull) and failed.state == "failed"
        assert kept > 0 and kept in server.range_starts()
        assert final.state == "done"
        assert (models / "model.gguf").stat().st_size == real_gguf.size
