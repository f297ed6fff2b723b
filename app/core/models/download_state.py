"""What a download keeps on disk so that it survives an app restart.

``<models_dir>/<filename>.part`` holds the bytes so far (never used as a
model: only a verified file is renamed to ``<filename>``), and
``<models_dir>/.downloads/<id>.json`` the record below. The bytes received are
never stored: the part file's size is the truth (a crash between a write and a
record update cannot make them disagree). A record is read back as untrusted
input: a malformed one is skipped and logged, never fatal.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core import atomic_file
from app.domain.model_library import DownloadState

log = logging.getLogger(__name__)

STATE_FOLDER = ".downloads"
PART_SUFFIX = ".part"
_ID = re.compile(r"[0-9a-f]{16}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_RECORD_BYTES = 64 * 1024


class DownloadRecord(BaseModel):
    """One download's durable state."""

    model_config = ConfigDict(extra="ignore")

    id: str
    filename: str = Field(min_length=1, max_length=255)
    urls: list[str] = Field(min_length=1, max_length=16)
    size_bytes: int | None = Field(default=None, ge=0)
    #: The catalogue's SHA-256 (preferred), else None.
    sha256: str | None = None
    #: The SHA-256 the server published (X-Linked-ETag), recorded at first answer.
    published_sha256: str | None = None
    total: int | None = Field(default=None, ge=0)
    state: DownloadState = "queued"
    error: str | None = None
    resumable: bool = False
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("bad download id")
        return value

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if ("/" in value or "\\" in value or "\x00" in value or value.startswith(".")
                or value in {".", ".."}):
            raise ValueError(f"not a plain file name: {value!r}")
        return value

    @field_validator("sha256", "published_sha256")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.fullmatch(value):
            raise ValueError("not a SHA-256 hex digest")
        return value

    @property
    def expected_sha256(self) -> str | None:
        """The digest the file must have: the catalogue's, else the server's."""
        return self.sha256 or self.published_sha256


def part_path(models_dir: Path, filename: str) -> Path:
    return models_dir / f"{filename}{PART_SUFFIX}"


def state_path(models_dir: Path, download_id: str) -> Path:
    return models_dir / STATE_FOLDER / f"{download_id}.json"


def save(models_dir: Path, record: DownloadRecord) -> None:
    """Write the record in one step (temporary file + rename)."""
    path = state_path(models_dir, record.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = record.model_dump_json(indent=1)
    atomic_file.write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def delete(models_dir: Path, download_id: str) -> None:
    state_path(models_dir, download_id).unlink(missing_ok=True)


def load_all(models_dir: Path) -> list[DownloadRecord]:
    """Every readable record in the folder (bad ones are logged and skipped)."""
    folder = models_dir / STATE_FOLDER
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            if path.stat().st_size > _MAX_RECORD_BYTES:
                raise ValueError("record too large")
            record = DownloadRecord.model_validate(json.loads(path.read_text("utf-8")))
            if record.id != path.stem:
                raise ValueError("record id differs from its file name")
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("skipping unreadable download record %s: %s", path.name, exc)
            continue
        records.append(record)
    return records
