"""Helpers for the download tests: the real GGUF, a ModelFile for a loopback
server, and waiting on a DownloadManager from inside the test's event loop."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.models.downloads import DownloadManager
from app.domain.model_library import DownloadProgress, ModelFile
from tests.support.gguf_server import GgufServer, sha256_of
from tests.support.llama_server import gemma_model_path

MB = 1_000_000


@dataclass(frozen=True)
class RealGguf:
    path: Path
    size: int
    sha256: str


@pytest.fixture(scope="session")
def real_gguf() -> RealGguf:
    """The GGUF from the package index and its SHA-256 (computed here, once)."""
    path = gemma_model_path()
    return RealGguf(path, path.stat().st_size, sha256_of(path))


@pytest.fixture
def models_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty models folder, deleted afterwards (each test writes ~250 MB)."""
    folder = tmp_path / "models"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


_UNSET = object()


def model_file(server: GgufServer, filename: str = "model.gguf", *, sha256: object = _UNSET,
               size: object = _UNSET) -> ModelFile:
    """A catalogue file for the server's GGUF (the real SHA-256 and size unless
    given), at the server's loopback http:// address (which ModelFile accepts)."""
    return ModelFile(filename=filename, urls=[server.url],
                     sha256=sha256_of(server.path) if sha256 is _UNSET else sha256,
                     size_bytes=server.size if size is _UNSET else size, quantization="Q4_K_M")


def progress_of(manager: DownloadManager, download_id: str) -> DownloadProgress:
    return next(p for p in manager.progress() if p.id == download_id)


async def until(condition: Callable[[], bool], limit_s: float = 60.0) -> None:
    """Let the loop run until ``condition()`` holds (a generous limit only
    turns a hang into a failure; nothing is asserted about time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


async def received_at_least(manager: DownloadManager, download_id: str, count: int) -> None:
    await until(lambda: progress_of(manager, download_id).received >= count)


def folder_listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
