"""What is refused before a download writes anything: a file already in the
models folder, no or non-web addresses, and less free disk space than the
bytes still to come (``DownloadRefused``, ``InsufficientSpace``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import httpx

from app.core.models.download_errors import DownloadRefused, InsufficientSpace
from app.core.models.download_state import DownloadRecord
from app.domain.model_library import ModelFile

FreeSpace = Callable[[Path], int]


def disk_free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def check_startable(models_dir: Path, file: ModelFile) -> None:
    if (models_dir / file.filename).exists():
        raise DownloadRefused(f"{file.filename} is already in the models folder.")
    if not file.urls:
        raise DownloadRefused(f"{file.filename} has no download address.")
    for url in file.urls:
        if httpx.URL(url).scheme not in {"http", "https"}:
            raise DownloadRefused(f"Not a web address: {url}")


def check_space(models_dir: Path, free_space: FreeSpace, record: DownloadRecord,
                have: int) -> None:
    """Refuse when the free space is less than the bytes still to come."""
    total = record.total or record.size_bytes
    if total is None:
        return
    needed = max(total - have, 0)
    folder = models_dir if models_dir.exists() else models_dir.parent
    free = free_space(folder)
    if free < needed:
        raise InsufficientSpace(
            f"Not enough disk space for {record.filename}: {_mb(needed)} more needed, "
            f"{_mb(free)} free in {models_dir}.", needed=needed, free=free)


def _mb(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"
