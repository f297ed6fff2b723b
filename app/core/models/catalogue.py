"""The curated model catalogue shipped with the app, search, and the
"recommended for this computer" pick.

The catalogue is a data file (catalogue.json, package data) so a release can
update it without code. Each entry names where its values came from
(``sources``) and which it could not confirm (``unconfirmed``); see
app/domain/model_library.py.

RAM_RULE (how catalogue.json's ``ram_bytes`` were computed — not a sourced
value): the files' total size × 1.2 (weights plus runtime buffers) + 512 MiB
for a working context (128 MiB for an embedding model), rounded up to 100 MB.

RECOMMEND_RULE (``recommend``): among the entries that suit the use case and are
instruction-tuned (a base model is never recommended),

1. it fits memory: ``ram_bytes`` ≤ SAFE_MEMORY_SHARE (60 %) of total memory —
   the rest is left for the system, the app and the person's other programs;
2. it fits the disk: the download + DISK_MARGIN (10 % of it, at least 1 GB)
   ≤ free disk;
3. the best of those: for "chat" and "tools", tool-capable models first; for
   the other use cases, entries whose main kind *is* that use case first
   (a coding model for "coding"); then the largest download (in this catalogue
   a bigger file is a more capable model); ties by catalogue order.

None when nothing fits. An unknown memory or disk size (None) is not checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from app.domain.model_library import USE_CASES, CatalogueEntry, UseCase

log = logging.getLogger(__name__)

CATALOGUE_FILE = "catalogue.json"
SAFE_MEMORY_SHARE = 0.6
DISK_MARGIN_SHARE = 0.10
DISK_MARGIN_MIN = 1_000_000_000
#: The use cases where tool-capable models come first.
_TOOL_FIRST: frozenset[str] = frozenset({"chat", "tools"})


class CatalogueError(ValueError):
    """The catalogue file is missing or not in the expected shape."""


def load_catalogue(path: Path | str | None = None) -> list[CatalogueEntry]:
    """Every entry of the shipped catalogue (or of the file at ``path``)."""
    if path is None:
        return list(_shipped())
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def _shipped() -> tuple[CatalogueEntry, ...]:
    text = resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    return tuple(_parse(text, CATALOGUE_FILE))


def _parse(text: str, where: str) -> list[CatalogueEntry]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CatalogueError(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogueError(f"{where} has no 'entries' list")
    try:
        entries = [CatalogueEntry.model_validate(item) for item in data["entries"]]
    except ValidationError as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    ids = [entry.id for entry in entries]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{where} repeats an id")
    return entries


def find(entry_id: str, entries: Sequence[CatalogueEntry] | None = None) -> CatalogueEntry | None:
    """The entry with this id (case-insensitive), or None."""
    wanted = entry_id.strip().lower()
    return next((e for e in _entries(entries) if e.id == wanted), None)


def search(query: str = "", use_case: UseCase | str | None = None,
           entries: Sequence[CatalogueEntry] | None = None) -> list[CatalogueEntry]:
    """Entries suiting ``use_case`` (any when None) whose text holds every word of
    ``query`` (case-insensitive; name, id, family, quantization, capabilities,
    licence, what it is good for), in catalogue order."""
    if use_case is not None and use_case not in USE_CASES:
        raise ValueError(f"unknown use case {use_case!r} (one of: {', '.join(USE_CASES)})")
    words = query.lower().split()
    found = []
    for entry in _entries(entries):
        if use_case is not None and use_case not in entry.use_cases:
            continue
        text = _searchable(entry)
        if all(word in text for word in words):
            found.append(entry)
    return found


def _searchable(entry: CatalogueEntry) -> str:
    parts = [entry.id, entry.name, entry.family, entry.good_for, entry.licence or "",
             entry.parameters or "", *entry.use_cases, *entry.capabilities,
             *(f.quantization or "" for f in entry.files)]
    if not entry.instruction_tuned:
        parts.append("base")
    return " ".join(parts).lower()


def fits(entry: CatalogueEntry, memory_bytes: int | None, free_disk_bytes: int | None) -> bool:
    """Whether ``entry`` fits this memory and free disk (RECOMMEND_RULE 1 and 2)."""
    if memory_bytes is not None and entry.ram_bytes > SAFE_MEMORY_SHARE * memory_bytes:
        return False
    size = entry.size_bytes
    if free_disk_bytes is not None and size is not None:
        margin = max(DISK_MARGIN_MIN, int(size * DISK_MARGIN_SHARE))
        if size + margin > free_disk_bytes:
            return False
    return True


def recommend(memory_bytes: int | None, free_disk_bytes: int | None,
              use_case: UseCase | str = "chat",
              entries: Sequence[CatalogueEntry] | None = None) -> CatalogueEntry | None:
    """The best entry for ``use_case`` that fits (RECOMMEND_RULE), or None."""
    candidates = [(index, entry) for index, entry in enumerate(search("", use_case, entries))
                  if entry.instruction_tuned and fits(entry, memory_bytes, free_disk_bytes)]
    if not candidates:
        return None

    def preference(item: tuple[int, CatalogueEntry]) -> tuple[bool, int, int]:
        index, entry = item
        if use_case in _TOOL_FIRST:
            first = "tools" in entry.capabilities
        else:
            first = entry.kind == use_case
        return first, entry.size_bytes or 0, -index

    return max(candidates, key=preference)[1]


def _entries(entries: Iterable[CatalogueEntry] | None) -> Iterable[CatalogueEntry]:
    return _shipped() if entries is None else entries
