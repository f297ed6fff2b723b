"""``agentdesk conversations export|import``: conversations as files.

Export writes JSON (lossless, imports back), Markdown, HTML or PDF; import reads
our JSON or Markdown, a ChatGPT ``conversations.json`` or an Open WebUI chat
export, always into new conversations, skipping duplicates with a reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import CliError, cli_message, positive_int
from app.commands.output import print_json, say, warn
from app.commands.terminal_text import terminal_text
from app.core.export import FORMATS, ImportRejected, render
from app.ops import exchange
from app.core.wording import plural
from app.store import NotFoundError, Store


def register(commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser(
        "export", parents=[common],
        help="write conversations as JSON, Markdown, HTML or PDF")
    export.add_argument("ids", type=positive_int, nargs="*", metavar="ID",
                        help="conversations to export")
    export.add_argument("--all", action="store_true", help="export every conversation")
    export.add_argument("--format", choices=FORMATS, default="json",
                        help="json (imports back without loss), md, html or pdf "
                             "(default json)")
    export.add_argument("--theme", choices=("light", "dark"), default="light",
                        help="colours of the HTML and PDF export (default light)")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="file to write (default: standard output; required for pdf)")
    export.set_defaults(handler=export_conversations)

    imp = commands.add_parser(
        "import", parents=[common],
        help="import conversations (AgentDesk JSON/Markdown, ChatGPT, Open WebUI)")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--agent", metavar="NAME",
                     help="attach the conversations to this agent (default: the agent "
                          "in the file, else an agent named 'Imported')")
    imp.set_defaults(handler=import_conversations)


def export_conversations(args: argparse.Namespace, store: Store) -> int:
    if args.all == bool(args.ids):
        raise CliError("give conversation IDs or --all (not both)")
    ids = None if args.all else args.ids
    if args.format == "pdf" and not args.output:
        raise CliError("a PDF export needs a file: add -o FILE")
    try:
        if not args.output:
            text = render(exchange.load_conversations(store, ids), args.format,
                          theme=args.theme)
            # On a terminal the export is read, not saved: the chat's text must not
            # drive it (escape sequences shown, not obeyed); a pipe gets the file as is.
            sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
            return 0
        result = exchange.export_conversations(
            store, Path(args.output), args.format, ids, theme=args.theme,
            pdf_writer=getattr(args, "pdf_writer", None))
    except NotFoundError as exc:
        raise CliError(f"{exc} (see: agentdesk conversations list)") from None
    except exchange.ExportError as exc:
        raise CliError(cli_message(str(exc))) from None
    except ImportError as exc:
        raise CliError(f"PDF export needs Qt, which is not available: {exc}") from None
    if args.json:
        print_json({"exported": result.conversations, "format": result.format,
                    "file": str(result.path.resolve())})
    else:
        say(f"exported {plural(result.conversations, 'conversation')} "
            f"as {result.format} to {args.output}")
    return 0


def import_conversations(args: argparse.Namespace, store: Store) -> int:
    try:
        report = exchange.import_conversations(store, Path(args.file).expanduser(),
                                               agent_name=args.agent)
    except ImportRejected as exc:
        raise CliError(f"nothing imported: {exc}") from None
    if args.json:
        print_json(report.as_dict())
        return 0
    say(report.summary())
    for item in report.imported:
        say(f"  imported: {item.title!r} -> conversation {item.conversation_id} "
            f"({plural(item.messages, 'message')}, agent {item.agent!r})")
    for item in report.skipped:
        say(f"  skipped: {item.title!r}: {item.reason}")
    for name in report.agents_created:
        say(f"  created agent {name!r}")
    for note in report.notes:
        warn(note)
    return 0
