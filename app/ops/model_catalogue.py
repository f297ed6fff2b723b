"""The model catalogue as the window, the CLI and the HTTP API show it.

- ``catalogue_rows``: entries (optionally searched and filtered by use case),
  each with whether it is installed and whether it is this computer's
  recommended pick for that use case.
- ``recommended``: the pick for this computer (its memory and the free disk of
  the models folder; app/core/models/catalogue.py, RECOMMEND_RULE).
- ``entry_info``: one entry by id, or ``UnknownModelError``.

"Installed" is decided from file names: an entry is installed when every one of
its files is in the models folder (``installed_filenames``; a ``.part`` file
is a download still under way, never installed), or, for the bundled model,
when its package is importable or its file ships beside an installed app
(app/core/bundled_model.py). Callers that already know the installed names
(the model library, M-C's ModelLibrary) pass them in instead.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.bundled_model import bundled_model_file
from app.core.models import catalogue, system
from app.domain.model_library import CatalogueEntry, UseCase


class UnknownModelError(LookupError):
    """No catalogue entry has that id."""


@dataclass(frozen=True)
class CatalogueRow:
    entry: CatalogueEntry
    installed: bool
    recommended: bool


@dataclass(frozen=True)
class MachineFit:
    """What the recommendation was based on (None: could not tell)."""

    memory_bytes: int | None
    free_disk_bytes: int | None


def machine(models_dir: Path) -> MachineFit:
    """This computer's total memory and the free disk where models are saved."""
    return MachineFit(system.memory_bytes(), system.free_disk_bytes(models_dir))


def installed_filenames(models_dir: Path) -> set[str]:
    """The names of the finished files in the models folder."""
    try:
        return {p.name for p in models_dir.iterdir()
                if p.is_file() and not p.name.endswith(".part")}
    except FileNotFoundError:
        return set()


def is_installed(entry: CatalogueEntry, filenames: set[str]) -> bool:
    """In the models folder (``filenames``), or the bundled model: its package
    installed (a source install), or its file shipped beside an installed app."""
    if entry.bundled_package:
        shipped = bundled_model_file()
        if shipped is not None and shipped.name in {f.filename for f in entry.files}:
            return True
        if importlib.util.find_spec(entry.bundled_package.replace("-", "_")) is not None:
            return True
    return all(f.filename in filenames for f in entry.files)


def recommended(fit: MachineFit, use_case: UseCase | str = "chat") -> CatalogueEntry | None:
    return catalogue.recommend(fit.memory_bytes, fit.free_disk_bytes, use_case)


def catalogue_rows(fit: MachineFit, filenames: Iterable[str], query: str = "",
                   use_case: UseCase | str | None = None) -> list[CatalogueRow]:
    """The entries matching ``query`` and ``use_case``, in catalogue order; the
    recommended pick is the one for ``use_case`` (chat when none is given)."""
    names = set(filenames)
    pick = recommended(fit, use_case or "chat")
    return [CatalogueRow(entry, is_installed(entry, names), pick is not None and entry.id == pick.id)
            for entry in catalogue.search(query, use_case)]


def entry_info(entry_id: str) -> CatalogueEntry:
    entry = catalogue.find(entry_id)
    if entry is None:
        raise UnknownModelError(f"no catalogue model {entry_id!r} — see: agentdesk models search")
    return entry
