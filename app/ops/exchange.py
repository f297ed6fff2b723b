"""Export and import: conversations and agents as files, for every entry point.

One writer: every export (File menu, "Export all", a drag out of the window,
``agentdesk conversations|agents export``, and later the HTTP API) ends in
``write_file``: the content goes to a temporary file beside the target (the
one scheme of app/core/atomic_file.py), which is renamed over the target only
when it is complete and not empty. A failed export leaves nothing behind and
raises ``ExportError``.

Threads: ``load_conversations`` reads the store (the window runs it on the
store's worker); ``write_conversations`` renders and writes and touches no
store, so the window runs it on an executor thread while running chats keep
writing, and never on the UI thread. ``export_conversations`` is both in one
call, for the CLI.

PDF is Qt's (app/ui/export_pdf.py); ops never import Qt, so the entry point
hands in a ``PdfWriter``.

Import: ``import_conversations`` (one file), ``import_files`` (a set of dropped
or picked files: agent files and conversation exports, each skipped with its
reason when it cannot be imported) and ``import_agent``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import atomic_file
from app.domain import AgentSpec
from app.store import Store

if TYPE_CHECKING:  # the exporters (Markdown, Pygments) load on the first export only
    from app.core.export.agent_grants import AgentGrants
    from app.core.export import ConversationBundle, ImportReport, Theme
    from app.core.export.html_format import HtmlPieces

#: Export formats by file suffix (what a picked file name says).
EXPORT_SUFFIXES = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html",
                   ".htm": "html", ".pdf": "pdf"}
#: The suffix written for each format.
FORMAT_SUFFIXES = {"json": ".json", "md": ".md", "html": ".html", "pdf": ".pdf"}
#: Writes an HTML export as a PDF at a path; called on the writing thread.
PdfWriter = Callable[["HtmlPieces", Path], None]


class ExportError(Exception):
    """An export could not be written; nothing was left at the target."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    conversations: int


def export_target(path: Path | str, fallback: str = "json") -> tuple[Path, str]:
    """(file, format): the format named by the suffix, else ``fallback`` with
    its suffix added (``notes`` + Markdown -> ``notes.md``)."""
    path = Path(path).expanduser()
    fmt = EXPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return path, fmt
    return path.with_name(path.name + FORMAT_SUFFIXES[fallback]), fallback


# -- the one writer ------------------------------------------------------------------------
def write_file(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary file)`` beside ``path``, then rename it into place.
    On any failure (an empty file included) ``path`` is untouched; raises ExportError."""

    def write_something(partial_file: Path) -> None:
        write(partial_file)
        if partial_file.stat().st_size == 0:
            raise ExportError(f"Nothing was written to {path}")

    try:
        atomic_file.write_atomically(path, write_something)
    except atomic_file.FolderNotWritable as exc:
        raise ExportError(f"Cannot write to {path.parent}: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def write_text(path: Path, text: str) -> None:
    """``write_file`` of UTF-8 text."""
    write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# -- conversations -------------------------------------------------------------------------
def load_conversations(store: Store, ids: Sequence[int] | None = None
                       ) -> list[ConversationBundle]:
    """The conversations ``ids`` (None: every one, archived too) as export
    bundles. Raises NotFoundError for an unknown id and ExportError when there
    is nothing to export."""
    from app.core.export import load_bundles

    bundles = load_bundles(store, ids)
    if not bundles:
        raise ExportError("There are no conversations to export." if ids is None
                          else "Those conversations no longer exist.")
    return bundles


def check_format(fmt: str, pdf_writer: PdfWriter | None) -> None:
    """Raise ExportError for a format this entry point cannot write."""
    if fmt not in FORMAT_SUFFIXES:
        raise ExportError(f"Unknown export format {fmt!r} (json, md, html or pdf)")
    if fmt == "pdf" and pdf_writer is None:
        raise ExportError("PDF export is not available here")


def write_conversations(path: Path, fmt: str, bundles: Sequence[ConversationBundle], *,
                        theme: Theme = "light",
                        pdf_writer: PdfWriter | None = None) -> ExportResult:
    """Render ``bundles`` in ``fmt`` and write them to ``path`` (atomically).
    Touches no store: runs on any thread but the UI's."""
    check_format(fmt, pdf_writer)
    path = Path(path).expanduser()
    if fmt == "pdf":
        from app.core.export.html_format import pdf_html_pieces

        assert pdf_writer is not None  # check_format
        write_file(path, partial(pdf_writer, pdf_html_pieces(bundles, theme)))
    else:
        from app.core.export import render

        write_text(path, render(bundles, fmt, theme=theme))
    return ExportResult(path, fmt, len(bundles))


def export_conversations(store: Store, path: Path, fmt: str,
                         ids: Sequence[int] | None = None, *, theme: Theme = "light",
                         pdf_writer: PdfWriter | None = None) -> ExportResult:
    """Load and write in one call (the CLI; the window splits the two across threads)."""
    check_format(fmt, pdf_writer)
    return write_conversations(path, fmt, load_conversations(store, ids), theme=theme,
                               pdf_writer=pdf_writer)


def write_each(bundles: Sequence[ConversationBundle], paths: Sequence[Path], fmt: str, *,
               pdf_writer: PdfWriter | None = None) -> list[str]:
    """One file per conversation (a drag out of the window: ``paths`` in a
    fresh folder), each written atomically; returns each one's Markdown text
    (what a text field receives when the drag is dropped there)."""
    from app.core.export import render

    texts = []
    for bundle, path in zip(bundles, paths, strict=True):
        write_conversations(path, fmt, [bundle], pdf_writer=pdf_writer)
        texts.append(render([bundle], "md"))
    return texts


def import_conversations(store: Store, path: Path, *,
                         agent_name: str | None = None) -> ImportReport:
    """Every conversation in the file at ``path``, into new conversations
    (duplicates skipped with a reason). Raises ImportRejected (nothing
    written) for a file that cannot be imported at all."""
    from app.core.export import import_file

    return import_file(store, Path(path), agent_name=agent_name)


# -- agents --------------------------------------------------------------------------------
def export_agent(path: Path, spec: AgentSpec) -> Path:
    """Write ``spec`` as a portable agent file at ``path`` (atomically)."""
    from app.core.export.agent_file import agent_json

    path = Path(path).expanduser()
    write_text(path, agent_json(spec))
    return path


@dataclass(frozen=True)
class ImportedAgent:
    """An imported agent, the name it asked for, the providers it names that
    are not configured here, and what it asked for and did not get."""

    agent: AgentSpec
    requested_name: str
    missing_providers: list[str]
    withheld: AgentGrants


def import_agent(store: Store, spec: AgentSpec, *, grant: bool = False) -> ImportedAgent:
    """Create the agent of an agent file under a free name ("Helper (2)" when
    "Helper" is taken): nothing already there is changed. The file is
    untrusted: the agent never gets the workspace it names, and tool policies
    looser than the defaults only with ``grant`` (the person said yes to the
    list ``withhold_grants`` gives; the window asks after the import and calls
    ``grant_policies``)."""
    from app.core.export.agent_file import import_agent as create_under_free_name

    created, missing, withheld = create_under_free_name(store, spec, grant=grant)
    return ImportedAgent(created, spec.name, missing, withheld)


def grant_policies(store: Store, agent_id: int, grants: AgentGrants) -> AgentSpec:
    """Give an imported agent the tool policies the person confirmed (exactly
    ``grants.policies``; never a workspace). NotFoundError when it is gone."""
    from app.core.export.agent_grants import with_grants

    return store.agents.update(with_grants(store.agents.get(agent_id), grants))


def agent_in_file(path: Path) -> AgentSpec | None:
    """The agent, when ``path`` is an AgentDesk agent file (small .json whose
    ``format`` says so); None for anything else (imported as conversations).
    Raises AgentFileError for an agent file that is not valid."""
    from app.core.bounded_read import BoundedReadError, read_bounded
    from app.core.export.agent_file import MAX_FILE_BYTES, is_agent_document, parse_agent_document

    if path.suffix.lower() != ".json":
        return None
    try:
        data = json.loads(read_bounded(path, MAX_FILE_BYTES))
    except (BoundedReadError, ValueError, RecursionError):
        return None          # not readable as JSON (or nested without end): the
                             # conversation import says why
    return parse_agent_document(data, path.name) if is_agent_document(data) else None


@dataclass
class ImportSummary:
    """What a set of files gave: imported titles, skipped (name, reason), agents."""

    files: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    agents: list[AgentSpec] = field(default_factory=list)   # agent files among them
    #: The imported agents that asked for a workspace or tool permissions
    #: they did not get.
    withheld: list[tuple[AgentSpec, AgentGrants]] = field(default_factory=list)
    #: The ids of the imported conversations, in import order (a window opened
    #: with files shows the last one).
    conversation_ids: list[int] = field(default_factory=list)

    def text(self) -> str:
        count = len(self.imported)
        lines = [f"Imported {count} conversation{'s' if count != 1 else ''} from "
                 f"{', '.join(self.files)}."]
        if self.agents:
            lines.append("Imported the agent" + ("s " if len(self.agents) > 1 else " ")
                         + ", ".join(f"“{a.name}”" for a in self.agents) + ".")
        lines += [f"“{agent.name}”: {note}" for agent, grants in self.withheld
                  if (note := grants.workspace_note()) is not None]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)}:")
            lines += [f"• {name}: {reason}" for name, reason in self.skipped]
        return "\n".join(lines)


def import_files(store: Store, paths: Sequence[Path]) -> ImportSummary:
    """Import each file, never overwriting anything: agent files as agents,
    anything else as conversations. A file that cannot be imported at all is
    listed as skipped with the reason."""
    from app.core.export import ImportRejected
    from app.core.export.agent_file import AgentFileError

    summary = ImportSummary(files=[p.name for p in paths])
    for path in paths:
        try:
            agent = agent_in_file(path)
        except AgentFileError as exc:
            summary.skipped.append((path.name, str(exc)))
            continue
        if agent is not None:
            imported = import_agent(store, agent)
            summary.agents.append(imported.agent)
            if imported.withheld.policies or imported.withheld.workspace is not None:
                summary.withheld.append((imported.agent, imported.withheld))
            continue
        try:
            report = import_conversations(store, path)
        except ImportRejected as exc:
            summary.skipped.append((path.name, str(exc)))
            continue
        summary.imported += [item.title for item in report.imported]
        summary.conversation_ids += [item.conversation_id for item in report.imported]
        summary.skipped += [(item.title, item.reason) for item in report.skipped]
    return summary
