"""``agentdesk models [--provider NAME] [--refresh]``: the merged model list;
``agentdesk models search|info|list``: the model library (model_library_cli.py);
``pull|remove|import`` (model_pull.py); ``load|unload`` on LM Studio (model_load.py).

Every enabled provider is asked concurrently (app.core.discovery). Providers
that fail are notes on stderr with their fix; the command fails only when no
provider answered. Successful answers are cached for a minute in the data
folder (``cache/models.json``) so repeated calls are instant; ``--refresh``
asks the providers again. Failures are never cached.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import logging
import os
from pathlib import Path

from app.domain import units
from app.commands import model_library_cli, model_load
from app.commands.common import CliError
from app.commands.output import print_json, say, table, warn
from app.commands.provider_checks import failure_line, find_provider
from app.core.discovery import Catalog, ModelCatalog
from app.domain.chat import BASE_MODEL_NOTE
from app.store import Store

log = logging.getLogger(__name__)

CACHE_FILE = Path("cache") / "models.json"


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("models", parents=[common],
                                   help="list the models of the enabled providers")
    parser.add_argument("--provider", metavar="NAME", help="only this provider's models")
    parser.add_argument("--refresh", action="store_true",
                        help="ask the providers again instead of using the "
                             "list cached in the last minute")
    parser.set_defaults(handler=list_models)
    # Without a subcommand: the merged provider list above, exactly as before.
    commands = parser.add_subparsers(dest="models_command", metavar="COMMAND")
    model_library_cli.register(commands, common)
    listing = commands.add_parser(
        "list", parents=[common],
        help="the local models in the data folder, then the enabled providers' models")
    listing.add_argument("--provider", metavar="NAME", help="only this provider's models")
    listing.add_argument("--refresh", action="store_true",
                         help="ask the providers again instead of using the cached list")
    listing.set_defaults(handler=list_everything)
    register_library_commands(commands, common)


def register_library_commands(commands, common: argparse.ArgumentParser) -> None:
    """``models pull`` and ``models remove`` (app/commands/model_pull.py) register
    here once that module exists; ``models load|unload`` (model_load.py)."""
    if importlib.util.find_spec("app.commands.model_pull") is not None:
        importlib.import_module("app.commands.model_pull").register(commands, common)
    model_load.register(commands, common)


def list_models(args: argparse.Namespace, store: Store) -> int:
    if args.provider is not None:
        config = find_provider(store, args.provider)
        if not config.enabled:
            raise CliError(f"provider {config.name!r} is disabled")
    elif not any(c.enabled for c in store.providers.list()):
        raise CliError("no enabled providers — add one with: "
                       "agentdesk providers add NAME --kind ...")
    result = _provider_models(args, store)
    if args.json:
        print_json({"models": result.models, "errors": result.errors})
    else:
        print_provider_models(result)
    if not result.answered:
        raise CliError(_all_failed(result))
    if not args.json:
        for name, report in result.errors.items():
            warn(f"{name}: {failure_line(report)}")
    return 0


def list_everything(args: argparse.Namespace, store: Store) -> int:
    """``models list``: the installed local models, then the providers' models
    (a provider that fails, or none enabled, is a note: the local list answered)."""
    installed = model_library_cli.installed_models(model_library_cli.models_dir(store))
    if args.provider is not None:
        find_provider(store, args.provider)
    providers = any(c.enabled for c in store.providers.list()
                    if args.provider is None or c.name == args.provider)
    result = _provider_models(args, store) if providers else None
    if args.json:
        print_json({"installed": [m.model_dump(mode="json") for m in installed],
                    "models": result.models if result else [],
                    "errors": result.errors if result else {}})
        return 0
    model_library_cli.print_installed(installed)
    if result is None:
        warn("no enabled providers — add one with: agentdesk providers add NAME --kind ...")
        return 0
    say()
    print_provider_models(result)
    for name, report in result.errors.items():
        warn(f"{name}: {failure_line(report)}")
    return 0


def _provider_models(args: argparse.Namespace, store: Store) -> Catalog:
    """The merged provider list (cached for a minute unless ``--refresh``)."""
    cache_path = store.path.parent / CACHE_FILE
    catalog = ModelCatalog(store.providers.list)
    _load_cache(catalog, cache_path)
    fetch = catalog.refresh if args.refresh else catalog.get
    result = asyncio.run(fetch(args.provider))
    _save_cache(catalog, cache_path)
    return result


def print_provider_models(result: Catalog) -> None:
    if not result.models:
        if result.answered:
            say("no models found")
        return
    table(["PROVIDER", "MODEL", "SIZE", "QUANT", "CONTEXT", "CAPABILITIES", "LOADED"],
          [(m.provider, m.id, _size(m.size_bytes), m.quantization, m.context_length,
            [*m.capabilities, BASE_MODEL_NOTE] if m.base_model else m.capabilities,
            m.loaded) for m in result.models])


def _all_failed(result: Catalog) -> str:
    if len(result.errors) == 1:
        name, report = next(iter(result.errors.items()))
        return f"{name}: {failure_line(report)}"
    return "no provider answered (" + "; ".join(
        f"{name}: {failure_line(report)}" for name, report in result.errors.items()) + ")"


def _size(size_bytes: int | None) -> str | None:
    return units.decimal_size(size_bytes) if size_bytes else None


def _load_cache(catalog: ModelCatalog, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        log.info("ignoring the unreadable model cache %s: %s", path, exc)
        return
    if isinstance(data, dict):
        catalog.import_cache(data)


def _save_cache(catalog: ModelCatalog, path: Path) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(catalog.export_cache()), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not write the model cache %s: %s", path, exc)
