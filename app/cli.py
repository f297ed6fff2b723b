"""The ``agentdesk`` command: the GUI with no subcommand, else a headless command.

Headless commands use the same data folder and database as the GUI. Every
command exits 0 on success; on failure it prints one line
``agentdesk: error: <message>`` on stderr and exits 1 (2 for usage errors),
never a traceback (the traceback of an unexpected error goes to the log file).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from app import __version__, gc_pause
from app.commands.common import CliError
from app.commands.output import error_line
from app.logs import LOG_FILENAME, configure_logging
from app.settings import AppSettings, SettingsError, load_settings
from app.store import Store, StoreError
from app.store.database import describe_database_error
from app.store.migrations import SchemaTooNewError

if TYPE_CHECKING:
    from app.core.export.html_format import HtmlPieces

log = logging.getLogger(__name__)

PROG = "agentdesk"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: The command groups, each a module of app/commands with a ``register`` function.
COMMANDS = ("agents", "providers", "models", "conversations", "chat", "compare", "search",
            "mcp", "tools", "memories", "knowledge", "setup", "serve", "workflows")
#: Top-level options that take a value (the GUI may be started with them).
_VALUE_OPTIONS = ("--home", "--log-level")


#: Where the parser of the command actually given is kept in the parsed
#: arguments (so an unrecognized argument is reported by that command).
_COMMAND_PARSER = "_command_parser"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors name the command given: its usage, then one
    error line pointing at its own help (subparsers inherit this class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.format_usage()}{PROG}: error: {message} "
                     f"(see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        """Remember the innermost command's parser (subcommands parse first)."""
        parsed, extras = super().parse_known_args(args, namespace)
        if not hasattr(parsed, _COMMAND_PARSER):
            setattr(parsed, _COMMAND_PARSER, self)
        return parsed, extras

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        """Like argparse's, but "unrecognized arguments" comes from the command
        they were given to (``agentdesk agents list extra``), not the top level."""
        parsed, extras = self.parse_known_args(args, namespace)
        command_parser = getattr(parsed, _COMMAND_PARSER, self)
        delattr(parsed, _COMMAND_PARSER)
        if extras:
            command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The argument parser; with ``commands=False`` only the top-level options
    (what starting the GUI needs), without importing any command module."""
    parser = _Parser(
        prog=PROG,
        description="AgentDesk: a local-first desktop workbench for AI agents. "
                    "Without a command, opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--home", metavar="PATH",
                        help="data folder (overrides $AGENTDESK_HOME)")
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS,
                        help="log file level (default from settings: INFO)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation in a temporary data folder: open "
                             "the window offscreen, load the built-in model, generate a few "
                             "tokens, list providers; exit 0 when all passed")
    parser.set_defaults(handler=None, pdf_writer=_write_pdf)
    if not commands:
        return parser

    # Options every leaf command accepts.
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print one machine-readable JSON document")

    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"app.commands.{name}").register(subparsers, common)
    return parser


def names_no_command(argv: Sequence[str]) -> bool:
    """True when ``argv`` is only ``--home``/``--log-level``/``--version``/
    ``--self-test`` options: the GUI (or the self-test) starts, so the command modules (and what they import) are not needed.
    Anything else (a command, --help, an abbreviation, a typo) gets the full parser."""
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUE_OPTIONS:
            next(tokens, None)
        elif token not in ("--version", "--self-test") and not token.startswith(
                tuple(f"{option}=" for option in _VALUE_OPTIONS)):
            return False
    return True


def split_open_paths(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """(options, paths) when ``argv`` starts the window with files to open
    (``agentdesk [OPTIONS] PATH...``, as a file manager starts it); None
    otherwise (a command, or no paths).

    The first word that is no option decides: a command name is a command; a
    word that names an existing file or looks like a file name (it has a
    separator or a suffix) is a path, and so is every later word. Anything
    else (``agentdesk agnets``) stays a usage error of the full parser. After
    ``--`` every word is a path.
    """
    options: list[str] = []
    paths: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            paths += list(tokens)
            break
        if paths and not token.startswith("-"):
            paths.append(token)
        elif token in _VALUE_OPTIONS:
            options += [token, *(value for value in [next(tokens, None)] if value is not None)]
        elif token.startswith("-"):
            options.append(token)
        elif token in COMMANDS or not _looks_like_a_file(token):
            return None
        else:
            paths.append(token)
    return (options, paths) if paths else None


def _looks_like_a_file(word: str) -> bool:
    if os.sep in word or "/" in word or Path(word).suffix:
        return True
    try:
        return os.path.lexists(word)
    except (OSError, ValueError):
        return False


def _write_pdf(pieces: HtmlPieces, path: Path) -> None:
    """``conversations export --format pdf``: Qt's PDF writer, loaded on demand
    (commands sit below the UI and may not import it themselves); in one go,
    as nothing runs beside it."""
    from app.ui.export_pdf import pieces_to_pdf

    pieces_to_pdf(pieces, path, batched=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``agentdesk`` with ``argv`` (default: the process arguments)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    opening = split_open_paths(arguments)
    open_paths: list[str] = []
    if opening is not None:    # agentdesk PATH...: the window, importing the files
        arguments, open_paths = opening
    parser = build_parser(commands=not names_no_command(arguments))
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if args.self_test:
        gc_pause.resume(freeze=False)
        from app.self_test import run_self_test

        return run_self_test()
    try:
        settings = _load_settings(args)
        if args.handler is None:
            return _start_gui(settings, open_paths)
        gc_pause.resume(freeze=False)
        return _run_command(args, settings)
    except CliError as exc:
        if args.handler is None:          # the window was to start: say it there too
            _show_startup_error(str(exc))
        return _fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130


def _load_settings(args: argparse.Namespace) -> AppSettings:
    overrides = {"logging": {"level": args.log_level}} if args.log_level else {}
    try:
        settings = load_settings(args.home, **overrides)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    try:
        configure_logging(settings.log_dir, level=settings.logging.level,
                          max_bytes=settings.logging.max_bytes,
                          backups=settings.logging.backups)
    except OSError as exc:
        if settings.home.is_dir() and not os.access(settings.home, os.W_OK):
            # Read-only data: the read commands still work (unlogged); a write
            # says the data is read-only (app/store/database.py).
            return settings
        raise CliError(f"cannot write the log in {settings.log_dir}: "
                       f"{exc.strerror or exc}") from None
    return settings


def _show_startup_error(message: str) -> None:
    """The window's start failed before it had a window: a box says why (one
    started by double-click has no terminal to read stderr in)."""
    try:
        from app.ui.qt_import import import_pyside
        import_pyside()
        from app.ui.application import show_startup_error
    except ImportError:
        log.warning("no window to show the start error in: %s", message)
        return
    show_startup_error(message)


def _start_gui(settings: AppSettings, open_paths: Sequence[str] = ()) -> int:
    try:
        from app.ui.qt_import import import_pyside
        import_pyside()   # before any Qt module: see app/ui/qt_import.py
        from app.ui.application import run_gui
    except ImportError as exc:
        gc_pause.resume(freeze=False)
        raise CliError(f"the desktop window is not available: {exc}") from None
    try:
        return run_gui(settings, open_paths)   # resumes collection once the window is drawn
    finally:
        gc_pause.resume(freeze=False)   # the window never came up


def _open_store(settings: AppSettings) -> Store:
    path = settings.database_path
    try:
        # recover="if_alone": a GUI or another chat may be streaming right now,
        # and its live reply is not "partial"; only when no other process has
        # the data open are "streaming" replies orphans of a killed process
        # (app/store/writer_lease.py), marked partial here as the GUI would.
        # allow_read_only: read commands work on read-only data; a write says
        # the data is read-only (ReadOnlyDataError, via _run_command).
        return Store(path, recover="if_alone", allow_read_only=True)
    except (SchemaTooNewError, StoreError) as exc:   # DataAccessError: what to do
        raise CliError(str(exc)) from None
    except Exception as exc:  # reported: the file is unreadable or not a database
        log.exception("cannot open database %s", path)
        raise CliError(f"cannot open the database {path}: {exc}") from None


def _run_command(args: argparse.Namespace, settings: AppSettings) -> int:
    store = _open_store(settings)
    try:
        return args.handler(args, store)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except BrokenPipeError:
        # The reader went away (e.g. `| head`). Point stdout at /dev/null so the
        # final flush at exit does not raise again (as the Python docs advise).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (CliError, KeyboardInterrupt):
        raise
    except Exception as exc:  # reported on stderr; the traceback goes to the log
        problem = describe_database_error(exc, settings.database_path)
        if problem is not None:          # read-only, damaged, disk full: what to do
            log.warning("command %s: %s (%s)", args.command, problem, exc)
            raise CliError(str(problem)) from None
        log.exception("command failed: %s", args.command)
        raise CliError(f"unexpected {type(exc).__name__}: {exc} "
                       f"(details in {settings.log_dir / LOG_FILENAME})") from None
    finally:
        store.close()


def _fail(message: str) -> int:
    """Report an error as exactly one line on stderr; returns the exit code."""
    sys.stderr.write(f"{PROG}: error: {error_line(message)}\n")
    return 1
