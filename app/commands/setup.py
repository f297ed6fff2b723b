"""``agentdesk setup``: the first-run offer in the terminal (app/ops/first_run.py).

Without options it only looks (Ollama and LM Studio on loopback, else the
catalogue's recommended small chat model for this computer) and prints the
one command that takes the offer:

- ``agentdesk setup --server ollama|lmstudio``: a provider for that server and
  an agent on its best chat model;
- ``agentdesk setup --download``: the recommended model downloaded (progress
  on stderr; Ctrl-C keeps the partial file and the same command continues it),
  verified, and an agent made on it.

Nothing is created or downloaded without one of those options.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.commands.common import CliError
from app.commands.output import print_json, say
from app.commands.terminal_text import terminal_text
from app.core.first_run_offer import (
    OFFERED_KINDS, SERVER_NAMES, FirstRunOffer, ServerOffer, size_text)
from app.core.local_probe import DEFAULT_PORTS, probe_local_servers
from app.core.models.download_errors import DownloadError
from app.core.models.downloads import DownloadManager
from app.domain import AgentSpec, ProviderConfig
from app.domain.model_library import DownloadProgress
from app.ops import first_run as ops
from app.ops import model_downloads
from app.settings import AppSettings, SettingsError, load_settings
from app.store import Store

PROG = "agentdesk"


def register(subparsers, common: argparse.ArgumentParser) -> None:
    setup = subparsers.add_parser(
        "setup", parents=[common],
        help="find a chat model: a running Ollama/LM Studio, or the recommended download")
    how = setup.add_mutually_exclusive_group()
    how.add_argument("--server", choices=OFFERED_KINDS,
                     help="make an agent on that server's best chat model")
    how.add_argument("--download", action="store_true",
                     help="download the recommended model and make an agent on it")
    for kind in OFFERED_KINDS:
        port = DEFAULT_PORTS[kind]
        setup.add_argument(f"--{kind}-port", type=int, default=port, metavar="PORT",
                           help=f"port to probe for {SERVER_NAMES[kind]} (default {port})")
    setup.set_defaults(handler=run_setup)


def run_setup(args: argparse.Namespace, store: Store) -> int:
    settings = _settings(args)
    ports = {kind: getattr(args, f"{kind}_port") for kind in OFFERED_KINDS}
    offer = asyncio.run(ops.find_offer(settings, store.providers.list(),
                                       probe=lambda: probe_local_servers(ports=ports)))
    if args.server:
        return _use_server(args, store, offer)
    if args.download:
        return _download(args, store, settings, offer)
    if args.json:
        print_json(_offer_json(offer))
    else:
        _show(offer)
    return 0


# -- showing -------------------------------------------------------------------------------
def _show(offer: FirstRunOffer) -> None:
    for server in offer.servers:
        count = f"{server.model_count} model" + ("" if server.model_count == 1 else "s")
        if server.model is None:
            say(f"{server.server_name} is running at {server.server.base_url} ({count}) but "
                "has no chat model yet")
            continue
        say(f"{server.server_name} is running at {server.server.base_url} ({count}); "
            f"best for chat: {server.model.id}")
        say(f"  to chat with it:  {PROG} setup --server {server.server.kind}")
    if not offer.servers:
        say("No Ollama or LM Studio server answered on this computer.")
    if offer.download is not None:
        entry = offer.download.entry
        state = "already downloaded" if offer.download.installed else (
            f"{size_text(offer.download.size_bytes)} download")
        say(f"Recommended for this computer: {entry.name} ({state}, runs without a server)")
        say(f"  to {'use' if offer.download.installed else 'download'} it and make an "
            f"agent:  {PROG} setup --download")
    elif offer.empty:
        say("No catalogue model fits this computer's memory and free disk; add a provider "
            f"with `{PROG} providers add`.")
    if offer.bundled_note:
        say(offer.bundled_note)


def _offer_json(offer: FirstRunOffer) -> dict:
    return {
        "servers": [{"kind": s.server.kind, "base_url": s.server.base_url,
                     "model_count": s.model_count, "model": s.model.id if s.model else None,
                     "configured": s.configured.name if s.configured else None,
                     "command": f"{PROG} setup --server {s.server.kind}" if s.model else None}
                    for s in offer.servers],
        "download": None if offer.download is None else {
            "id": offer.download.entry.id, "name": offer.download.entry.name,
            "size_bytes": offer.download.size_bytes, "installed": offer.download.installed,
            "command": f"{PROG} setup --download"},
        "bundled_note": offer.bundled_note,
    }


# -- taking the offer ----------------------------------------------------------------------
def _use_server(args: argparse.Namespace, store: Store, offer: FirstRunOffer) -> int:
    chosen: ServerOffer | None = next(
        (s for s in offer.servers if s.server.kind == args.server), None)
    if chosen is None:
        raise CliError(f"no {SERVER_NAMES[args.server]} server answered on port "
                       f"{getattr(args, f'{args.server}_port')} — start it, or see: "
                       f"{PROG} setup")
    try:
        provider, agent = ops.accept_server(store, chosen)
    except ops.FirstRunError as exc:
        raise CliError(str(exc)) from None
    _created(args, provider, agent)
    return 0


def _download(args: argparse.Namespace, store: Store, settings: AppSettings,
              offer: FirstRunOffer) -> int:
    if offer.download is None:
        raise CliError("there is no download to offer: " + (
            "a model server here has chat models — see: agentdesk setup"
            if offer.usable_servers else "no catalogue model fits this computer"))
    entry = offer.download.entry
    if not offer.download.installed:
        progress = _Progress()
        try:
            finals = asyncio.run(_pull(settings, entry, progress))
        except KeyboardInterrupt:
            progress.end()
            sys.stderr.write(f"{PROG}: interrupted: the partial download is kept — run "
                             f"`{PROG} setup --download` again to continue it\n")
            return 130
        except DownloadError as exc:
            progress.end()
            raise CliError(str(exc)) from None
        progress.end()
        failed = [p for p in finals if p.state != "done"]
        if failed:
            raise CliError("; ".join(model_downloads.describe(p) for p in failed)
                           + f" — run `{PROG} setup --download` to try again")
    try:
        provider, agent = ops.accept_download(store, settings, entry)
    except ops.FirstRunError as exc:
        raise CliError(str(exc)) from None
    _created(args, provider, agent)
    return 0


async def _pull(settings: AppSettings, entry, progress: _Progress) -> list[DownloadProgress]:
    manager: DownloadManager = model_downloads.open_manager(settings)
    try:
        await manager.resume_pending()
        return await ops.download(manager, entry, progress)
    finally:
        await manager.aclose()


class _Progress:
    """Download progress on stderr: rewritten in place on a terminal, else a
    line per change of state or per tenth of the file."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown: tuple[str, int] | None = None
        self.open_line = False

    def __call__(self, progress: DownloadProgress) -> None:
        tenth = int(10 * progress.received / progress.total) if progress.total else 0
        key = (progress.state, tenth)
        text = terminal_text(model_downloads.describe(progress), newlines=False)
        if self.tty:
            sys.stderr.write(f"\r\x1b[K{text}")
            self.open_line = True
        elif key != self.shown:
            sys.stderr.write(text + "\n")
        self.shown = key
        sys.stderr.flush()

    def end(self) -> None:
        if self.open_line:
            sys.stderr.write("\n")
            self.open_line = False


def _created(args: argparse.Namespace, provider: ProviderConfig, agent: AgentSpec) -> None:
    if args.json:
        print_json({"provider": provider, "agent": agent})
        return
    say(f"created the agent {agent.name!r} on {provider.name!r} (model {agent.model})")
    say(f"  chat with it:  {PROG} chat --agent {agent.id} \"Hello\"")


def _settings(args: argparse.Namespace) -> AppSettings:
    try:
        return load_settings(args.home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
