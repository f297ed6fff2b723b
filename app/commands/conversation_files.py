"""``agentdesk conversations export|import``: conversations as files.

Export writes JSON (lossless, imports back), Markdown, HTML or PDF; import reads
our JSON or Markdown, a ChatGPT ``conversations.json`` or an Open WebUI chat
export, always into new conversations, skipping duplicates with a reason.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from app.commands.agent_files import write_atomically
from app.commands.common import CliError, positive_int
from app.commands.output import print_json, say, warn
from app.core.export import (
    FORMATS,
    ImportRejected,
    import_file,
    load_bundles,
    render,
)
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
    try:
        bundles = load_bundles(store, None if args.all else args.ids)
    except NotFoundError as exc:
        raise CliError(f"{exc} (see: agentdesk conversations list)") from None
    if not bundles:
        raise CliError("there are no conversations to export")
    if args.format == "pdf":
        if not args.output:
            raise CliError("a PDF export needs a file: add -o FILE")
        _write_pdf(args, bundles, Path(args.output))
    else:
        text = render(bundles, args.format, theme=args.theme)
        if not args.output:
            sys.stdout.write(text)
            return 0
        write_atomically(Path(args.output), text)
    count = len(bundles)
    if args.json:
        print_json({"exported": count, "format": args.format,
                    "file": str(Path(args.output).expanduser().resolve())})
    else:
        say(f"exported {count} conversation{'s' if count != 1 else ''} "
            f"as {args.format} to {args.output}")
    return 0


def import_conversations(args: argparse.Namespace, store: Store) -> int:
    try:
        report = import_file(store, Path(args.file).expanduser(), agent_name=args.agent)
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


def _write_pdf(args: argparse.Namespace, bundles, path: Path) -> None:
    """Write through a temporary file next to ``path``: no half-written PDF.

    The writer (Qt) is handed down by app/cli.py as ``args.pdf_writer``."""
    writer = getattr(args, "pdf_writer", None)
    if writer is None:
        raise CliError("PDF export is not available here")
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pdf", dir=folder)
        os.close(handle)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        writer(bundles, tmp, theme=args.theme)
        if Path(tmp).stat().st_size == 0:
            raise CliError(f"cannot write {path}: the PDF writer produced nothing")
        os.replace(tmp, path)
    except ImportError as exc:
        raise CliError(f"PDF export needs Qt, which is not available: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
