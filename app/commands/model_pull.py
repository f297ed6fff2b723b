"""``agentdesk models pull|remove|import``: change what models are installed.

- ``pull ID``: download a catalogue model for the embedded engine (progress on
  stderr; Ctrl-C keeps the partial file and the next ``pull`` continues it);
  ``pull MODEL --provider NAME``: an Ollama provider pulls MODEL itself.
- ``remove NAME``: delete an installed model (a linked import: the link only);
  ``remove MODEL --provider NAME``: delete it from an Ollama server.
- ``import PATH [--copy|--link] [--name NAME]``: bring a local ``.gguf`` file
  in, copied (default) or linked where it is.

The work is app/ops/model_library.py (and app/ops/model_providers.py for a
provider); text from files, servers and the catalogue is printed through
app/commands/output.py (control characters shown, not obeyed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from app.commands.common import CliError, cli_message
from app.commands.model_library_cli import print_model
from app.commands.output import print_json, say, warn
from app.commands.terminal_text import terminal_text
from app.core.models import download_state
from app.core.models.download_errors import DownloadBusy, DownloadError
from app.core.models.library import LibraryError, ModelNotFound
from app.domain.model_library import DownloadProgress
from app.ops import model_catalogue, model_downloads
from app.ops import model_library as ops
from app.settings import AppSettings, SettingsError, load_settings
from app.store import Store

PROG = "agentdesk"
_STOPPED = {"done", "failed", "cancelled", "paused"}


def register(commands, common: argparse.ArgumentParser) -> None:
    pull = commands.add_parser(
        "pull", parents=[common],
        help="download a catalogue model for the embedded engine (or, with "
             "--provider, have an Ollama server pull a model)")
    pull.add_argument("id", metavar="ID", help="a catalogue id (see: agentdesk models search), "
                      "or with --provider the server's model name")
    pull.add_argument("--provider", metavar="NAME", help="an Ollama provider pulls the model")
    pull.set_defaults(handler=pull_model)

    remove = commands.add_parser(
        "remove", parents=[common],
        help="delete an installed model (a linked one: only the link)")
    remove.add_argument("name", metavar="NAME", help="an installed model (see: agentdesk "
                        "models list) or a pulled catalogue id, or with --provider the "
                        "server's model name")
    remove.add_argument("--provider", metavar="NAME", help="delete it from an Ollama server")
    remove.set_defaults(handler=remove_model)

    importing = commands.add_parser(
        "import", parents=[common],
        help="bring a local .gguf file into the models folder (copied, or linked)")
    importing.add_argument("path", metavar="PATH", help="the .gguf file")
    how = importing.add_mutually_exclusive_group()
    how.add_argument("--copy", dest="mode", action="store_const", const="copy",
                     help="copy the file into the models folder (the default)")
    how.add_argument("--link", dest="mode", action="store_const", const="link",
                     help="link to the file where it is (it must stay there)")
    importing.add_argument("--name", metavar="NAME",
                           help="the file name in the models folder (default: its own)")
    importing.set_defaults(handler=import_model, mode="copy")


# -- pull --------------------------------------------------------------------------------
def pull_model(args: argparse.Namespace, store: Store) -> int:
    if args.provider is not None:
        return _provider_pull(args, store)
    settings = _settings(args)
    printer = ProgressPrinter(sys.stderr)
    try:
        result = asyncio.run(ops.pull_catalogue(settings, args.id, printer))
    except KeyboardInterrupt:
        printer.end_line()
        sys.stderr.write(f"{PROG}: interrupted: {_kept(settings, args.id)}\n")
        return 130
    except DownloadBusy as exc:        # the sentence starts with the file's name
        printer.end_line()
        raise CliError(str(exc)) from None
    except (model_catalogue.UnknownModelError, LibraryError, DownloadError) as exc:
        raise CliError(cli_message(str(exc))) from None
    if args.json:
        print_json({"id": result.entry.id, "already_installed": result.already_installed,
                    "done": result.done, "paths": [str(p) for p in result.paths],
                    "files": [p.model_dump(mode="json") for p in result.files]})
    if not result.done:
        failed = [p for p in result.files if p.state != "done"]
        raise CliError("; ".join(model_downloads.describe(p) for p in failed) +
                       f" — run `agentdesk models pull {result.entry.id}` to try again")
    if not args.json:
        if result.already_installed:
            say(f"{result.entry.id} is already installed")
        for path in result.paths:
            say(f"installed {path}")
    return 0


def _kept(settings: AppSettings, entry_id: str) -> str:
    """What Ctrl-C left: the partial files and how to continue."""
    folder = model_downloads.models_dir(settings)
    entry = model_catalogue.entry_info(entry_id)
    kept = sum(part.stat().st_size for f in entry.files
               if (part := download_state.part_path(folder, f.filename)).exists())
    if not kept:
        return "nothing was downloaded"
    return (f"the partial download is kept ({kept / 1e6:,.1f} MB) — run "
            f"`agentdesk models pull {entry.id}` again to continue it")


class ProgressPrinter:
    """Download progress on stderr: one line rewritten in place on a terminal;
    elsewhere (a log, a pipe) a line per state change and per 10 %."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._open = False
        self._seen: dict[str, tuple[str, int]] = {}

    def __call__(self, progress: DownloadProgress) -> None:
        if progress.state == "paused" and progress.error:
            return   # another process downloads it: the command's one error line says so
        text = terminal_text(model_downloads.describe(progress), newlines=False)
        stopped = progress.state in _STOPPED
        if self.tty:
            # Our own erase sequence, written apart from the (escaped) text.
            self.stream.write("\r\x1b[2K" + text + ("\n" if stopped else ""))
            self._open = not stopped
        else:
            step = _step(progress)
            if self._seen.get(progress.id) == (progress.state, step):
                return
            self._seen[progress.id] = (progress.state, step)
            self.stream.write(text + "\n")
        if progress.note and stopped:
            self.stream.write(f"{PROG}: note: {terminal_text(progress.note)}\n")
        self.stream.flush()

    def end_line(self) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False


def _step(progress: DownloadProgress) -> int:
    if progress.total:
        return 10 * progress.received // progress.total
    return progress.received // 100_000_000


# -- remove and import -------------------------------------------------------------------
def remove_model(args: argparse.Namespace, store: Store) -> int:
    if args.provider is not None:
        _provider_call(_provider_ops().delete(store, args.provider, args.name))
        if args.json:
            print_json({"removed": args.name, "provider": args.provider})
        else:
            say(f"removed {args.name} from {args.provider}")
        return 0
    settings = _settings(args)
    try:
        paths = [ops.remove(settings, args.name)]
    except ModelNotFound as exc:
        paths = _remove_entry(settings, args.name, exc)
    except LibraryError as exc:
        raise CliError(cli_message(str(exc))) from None
    users = sorted({name for path in paths for name in ops.providers_using(store, path)})
    if args.json:
        print_json({"removed": [str(p) for p in paths], "providers_using_it": users})
        return 0
    for path in paths:
        say(f"removed {path}")
    for name in users:
        warn(f"provider {name!r} used this model file: its chats fail until it is "
             "given another model")
    return 0


def _remove_entry(settings: AppSettings, entry_id: str, unknown: ModelNotFound) -> list[Path]:
    """``remove ID``: the files a catalogue model's pull brought."""
    try:
        return ops.remove_entry(settings, entry_id)
    except model_catalogue.UnknownModelError:
        raise CliError(cli_message(str(unknown))) from None
    except LibraryError as exc:
        raise CliError(cli_message(str(exc))) from None


def import_model(args: argparse.Namespace, store: Store) -> int:
    settings = _settings(args)
    try:
        model = ops.import_gguf(settings, Path(args.path), args.mode, name=args.name)
    except LibraryError as exc:
        raise CliError(cli_message(str(exc))) from None
    except OSError as exc:
        raise CliError(f"could not import {args.path}: {exc.strerror or exc}") from None
    if args.json:
        print_json(model.model_dump(mode="json"))
        return 0
    say(f"imported {model.name} ({'linked' if args.mode == 'link' else 'copied'})")
    print_model(model)
    return 0


# -- providers (app/ops/model_providers.py) ----------------------------------------------
def _provider_pull(args: argparse.Namespace, store: Store) -> int:
    model_providers = _provider_ops()
    printer = ProviderPullPrinter(sys.stderr, model_providers.describe_pull)
    try:
        _provider_call(model_providers.pull(store, args.provider, args.id, printer))
    except KeyboardInterrupt:
        printer.end_line()
        sys.stderr.write(f"{PROG}: interrupted: the pull stopped; the server keeps what "
                         "it has — pulling again continues it\n")
        return 130
    finally:
        printer.end_line()
    if args.json:
        print_json({"pulled": args.id, "provider": args.provider})
    else:
        say(f"{args.provider} pulled {args.id}")
    return 0


def _provider_ops() -> Any:
    """app/ops/model_providers.py, loaded only for ``--provider``."""
    from app.ops import model_providers

    return model_providers


def _provider_call(operation: Coroutine[Any, Any, Any]) -> Any:
    """Run a provider op; its refusals and the server's errors become one line."""
    from app.core.secrets import SecretError
    from app.providers.base import ProviderError

    try:
        return asyncio.run(operation)
    except (ProviderError, SecretError, ValueError) as exc:
        raise CliError(cli_message(str(exc))) from None


class ProviderPullPrinter:
    """A provider's pull progress on stderr: one line rewritten in place on a
    terminal; elsewhere a line per status and per 10 %."""

    def __init__(self, stream: TextIO, describe: Callable[[Any], str]) -> None:
        self.stream = stream
        self.describe = describe
        self.tty = stream.isatty()
        self._open = False
        self._last: tuple[str, int] | None = None

    def __call__(self, progress: Any) -> None:
        text = terminal_text(self.describe(progress), newlines=False)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)   # our erase, apart from the text
            self._open = True
        else:
            key = (progress.status, int(10 * (progress.fraction or 0)))
            if key == self._last:
                return
            self._last = key
            self.stream.write(text + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False


def _settings(args: argparse.Namespace) -> AppSettings:
    try:
        return load_settings(args.home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
