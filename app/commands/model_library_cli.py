"""``agentdesk models search [QUERY] [--use-case U]`` and ``models info
ID|NAME|PATH``: the curated catalogue (app/ops/model_catalogue.py), with this
computer's recommended pick marked, or an installed model / .gguf file
(app/core/models/library.py); and the installed-models part of ``models list``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.domain import units
from app.commands.common import CliError, cli_message
from app.commands.output import fields, print_json, say, table
from app.core.models.library import LibraryError, ModelLibrary, ModelNotFound
from app.domain.model_library import USE_CASES, CatalogueEntry, InstalledModel
from app.ops import model_catalogue as ops
from app.store import Store

MODELS_FOLDER = "models"
SOURCE_TEXT = {"download": "downloaded", "import-copy": "imported (a copy)",
               "import-link": "imported (a link to the file where it is)",
               "bundled": "bundled with the app", "file": "a file, not installed"}
RECOMMENDED_MARK = "*"


def register(commands, common: argparse.ArgumentParser) -> None:
    search = commands.add_parser(
        "search", parents=[common],
        help="search the curated model catalogue (the pick for this computer is marked)")
    search.add_argument("query", nargs="*", default=[], metavar="QUERY",
                        help="words to look for (name, family, what it is good for …)")
    search.add_argument("--use-case", choices=USE_CASES, metavar="U",
                        help=f"only models for: {', '.join(USE_CASES)}")
    search.set_defaults(handler=search_models)

    info = commands.add_parser("info", parents=[common],
                               help="every detail of one catalogue model, with its sources, "
                                    "or of an installed model or a .gguf file")
    info.add_argument("id", metavar="ID|NAME|PATH",
                      help="a catalogue id (see: agentdesk models search), an installed "
                           "model (see: agentdesk models list) or a .gguf file")
    info.set_defaults(handler=show_info)


def models_dir(store: Store) -> Path:
    """``<data folder>/models``."""
    return store.path.parent / MODELS_FOLDER


def search_models(args: argparse.Namespace, store: Store) -> int:
    folder = models_dir(store)
    fit = ops.machine(folder)
    rows = ops.catalogue_rows(fit, ops.installed_filenames(folder), " ".join(args.query),
                              args.use_case)
    if args.json:
        pick = next((row.entry.id for row in rows if row.recommended), None)
        print_json({"models": [_row_json(row) for row in rows], "recommended": pick,
                    "memory_bytes": fit.memory_bytes, "free_disk_bytes": fit.free_disk_bytes})
        return 0
    if not rows:
        say("no catalogue model matches")
        return 0
    table(["PICK", "ID", "NAME", "SIZE", "RAM", "USE", "CAPABILITIES", "INSTALLED"],
          [(RECOMMENDED_MARK if row.recommended else "", row.entry.id, row.entry.name,
            _size(row.entry.size_bytes), _size(row.entry.ram_bytes), row.entry.use_cases,
            sorted(row.entry.capabilities), row.installed) for row in rows])
    if any(row.recommended for row in rows):
        say(f"{RECOMMENDED_MARK} recommended for this computer ({_machine(fit)})")
    return 0


def show_info(args: argparse.Namespace, store: Store) -> int:
    try:
        entry = ops.entry_info(args.id)
    except ops.UnknownModelError as exc:
        return _show_installed(args, store, exc)
    installed = ops.is_installed(entry, ops.installed_filenames(models_dir(store)))
    if args.json:
        print_json({**_entry_json(entry), "installed": installed})
        return 0
    fields([
        ("id", entry.id), ("name", entry.name), ("family", entry.family),
        ("kind", entry.kind), ("use cases", entry.use_cases),
        ("parameters", entry.parameters),
        ("instruction-tuned", entry.instruction_tuned if entry.instruction_tuned else
         "no — a base model: it completes text, it does not chat"),
        ("bundled", entry.bundled_package), ("licence", entry.licence),
        ("context", entry.context_length), ("capabilities", sorted(entry.capabilities)),
        ("size", _size(entry.size_bytes)), ("RAM needed", _size(entry.ram_bytes)),
        ("good for", entry.good_for), ("installed", installed),
        ("unconfirmed", entry.unconfirmed or "nothing: every value is from a source below"),
    ])
    for number, file in enumerate(entry.files, 1):
        say(f"file {number}:")
        fields([("  name", file.filename),
                ("  size", _file_size(file.size_bytes, "size_bytes" in entry.unconfirmed)),
                ("  quantization", file.quantization),
                ("  sha256", file.sha256 or "unknown: checked against the server's "
                 "published hash at download"),
                ("  url", file.urls)])
    say("sources:")
    for source in entry.sources:
        say(f"  {source}")
    return 0


def _show_installed(args: argparse.Namespace, store: Store,
                    unknown: ops.UnknownModelError) -> int:
    """``models info NAME|PATH``: an installed model or a .gguf file."""
    try:
        model = ModelLibrary(models_dir(store)).info(args.id)
    except ModelNotFound:
        raise CliError(str(unknown)) from None
    except LibraryError as exc:
        raise CliError(cli_message(str(exc))) from None
    if args.json:
        print_json(model.model_dump(mode="json"))
        return 0
    print_model(model)
    return 0


def installed_models(folder: Path) -> list[InstalledModel]:
    """The models in the folder (app/core/models/library.py)."""
    return ModelLibrary(folder).installed()


def print_model(model: InstalledModel) -> None:
    """Every detail of an installed model or a .gguf file."""
    fields([
        ("name", model.name), ("model name", model.model_name), ("path", model.path),
        ("size", f"{model.size_bytes:,} bytes"), ("architecture", model.architecture),
        ("quantization", model.quantization), ("context", model.context_length),
        ("chat template", "yes" if model.has_chat_template else "no"),
        ("instruction-tuned", _tuned(model.instruction_tuned)),
        ("source", SOURCE_TEXT.get(model.source, model.source)),
        *([("problem", model.problem)] if model.problem else []),
    ])


def _tuned(value: bool | None) -> str:
    if value is None:
        return "unknown"
    return "yes" if value else "no — a base model: it completes text, it does not chat"


def print_installed(models: list[InstalledModel]) -> None:
    if not models:
        say("no local models installed (find one with: agentdesk models search)")
        return
    table(["LOCAL MODEL", "SIZE", "QUANT", "CONTEXT", "CHAT", "SOURCE"],
          [(m.name, _size(m.size_bytes), m.quantization, m.context_length,
            _chat(m), f"{m.source} ({m.problem})" if m.problem else m.source)
           for m in models])


def _chat(model: InstalledModel) -> str | None:
    if model.instruction_tuned is None:
        return None
    return "yes" if model.instruction_tuned else "base model"


def _row_json(row: ops.CatalogueRow) -> dict[str, Any]:
    return {**_entry_json(row.entry), "installed": row.installed,
            "recommended": row.recommended}


def _entry_json(entry: CatalogueEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    data["capabilities"] = sorted(entry.capabilities)
    data["size_bytes"] = entry.size_bytes
    return data


def _file_size(size_bytes: int | None, rounded: bool) -> str | None:
    if size_bytes is None:
        return None
    if rounded:
        return f"about {_size(size_bytes)} (as rounded on its source page)"
    return f"{size_bytes:,} bytes"


def _machine(fit: ops.MachineFit) -> str:
    memory = f"{_size(fit.memory_bytes)} memory" if fit.memory_bytes else "memory unknown"
    disk = f"{_size(fit.free_disk_bytes)} free" if fit.free_disk_bytes is not None \
        else "free disk unknown"
    return f"{memory}, {disk}"


def _size(size_bytes: int | None) -> str | None:
    return units.decimal_size(size_bytes) if size_bytes else None
