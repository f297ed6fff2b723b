"""Files handed to AgentDesk from outside, imported as if dropped on the window.

Three ways in, one way through:

* ``agentdesk PATH...`` (the Windows "Open with AgentDesk", the Linux menu
  entry's ``Exec=agentdesk %F``): run_app opens them once the window shows;
* a second launch with paths while AgentDesk runs: app/ui/single_instance.py
  hands them to the running instance, which comes forward and opens them;
* macOS Finder: the paths arrive as Apple events, which Qt turns into
  ``QFileOpenEvent`` on the application (``FileOpenEvents``).

Each ends in ``FileOpener.open_paths``: the paths are untrusted (any program
can start us with any arguments), so only existing regular files are taken,
at most ``MAX_FILES``, and names are shown as plain text, shortened. The files
are imported by the window's drop importer (app/ui/drag_drop.py: the same op,
report box and agent-permission question as a drop), then the last imported
conversation is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QUrl, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.ops import chats
from app.ops.exchange import ImportSummary
from app.services.store_bridge import StoreBridge
from app.ui.agent_list_model import AgentListModel
from app.ui.drag_drop import WindowDropImporter
from app.ui.prompts import warn

log = logging.getLogger(__name__)

#: At most this many files per request (a shell glob can name thousands).
MAX_FILES = 20
#: Longer arguments are no path any file system takes.
MAX_PATH_CHARS = 4096
#: How much of a refused name is shown.
SHOWN_CHARS = 200

Refusal = tuple[str, str]   # (name as shown, reason)


def shown_name(text: str) -> str:
    """A path as one short line of plain text (control characters replaced)."""
    line = "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)
    return line if len(line) <= SHOWN_CHARS else f"{line[:SHOWN_CHARS - 1]}…"


def checked_paths(raw: Sequence[str]) -> tuple[list[Path], list[Refusal]]:
    """(files to import, refusals): existing regular files only, each once, at
    most ``MAX_FILES``; everything else is refused with its reason."""
    items = [str(item) for item in raw]
    refused: list[Refusal] = []
    if len(items) > MAX_FILES:
        refused.append((f"{len(items) - MAX_FILES} more files",
                        f"at most {MAX_FILES} files are opened at once"))
        items = items[:MAX_FILES]
    accepted: list[Path] = []
    for item in items:
        if not item or len(item) > MAX_PATH_CHARS or "\0" in item:
            refused.append((shown_name(item) or "(empty)", "not a file name"))
            continue
        path = Path(item)
        try:
            if not path.exists():
                refused.append((shown_name(item), "no such file"))
            elif not path.is_file():   # folders, devices, pipes (a read would hang)
                refused.append((shown_name(item), "not a regular file"))
            elif (resolved := path.resolve()) not in accepted:
                accepted.append(resolved)
        except OSError as exc:         # a name too long, a folder we may not enter
            refused.append((shown_name(item), exc.strerror or "cannot be read"))
    return accepted, refused


def refusal_text(refused: Sequence[Refusal]) -> str:
    if len(refused) == 1:
        name, reason = refused[0]
        return f"AgentDesk could not open {name}: {reason}."
    return "\n".join(["AgentDesk could not open these files:",
                      *(f"• {name}: {reason}" for name, reason in refused)])


class FileOpener(QObject):
    """Opens files given from outside in the main window (see the module docstring)."""

    #: After the files were imported and the last conversation asked for: the ImportSummary.
    sig_opened = Signal(object)

    def __init__(self, window, bridge: StoreBridge, agents: AgentListModel,  # noqa: ANN001
                 importer: WindowDropImporter, bring_forward: Callable[[], None],
                 parent: QObject | None = None) -> None:
        """``window``: the MainWindow (its ``open_conversation``)."""
        super().__init__(parent)
        self._window = window
        self._bridge = bridge
        self._agents = agents
        self._importer = importer
        self._bring_forward = bring_forward
        self._pending_open: tuple[int, int] | None = None
        agents.rowsInserted.connect(self._agents_listed)
        agents.modelReset.connect(self._agents_listed)
        #: The box that said why nothing could be opened (tests look at it).
        self.refusal_box: QMessageBox | None = None

    def open_paths(self, raw: Sequence[str]):  # noqa: ANN201 (the task, or None)
        """Come forward and import the files in ``raw``; returns the import's task
        (None when no file could be opened: one box says why)."""
        self._bring_forward()
        paths, refused = checked_paths(raw)
        log.info("asked to open %d file(s): %d taken, %d refused",
                 len(raw), len(paths), len(refused))
        if not paths:
            if refused:
                self.refusal_box = warn(self._window, "Nothing opened", refusal_text(refused))
                self.refusal_box.setObjectName("openRefused")
            return None
        task = self._importer.import_paths(paths, refused)

        async def show() -> ImportSummary:
            summary = await task
            if summary.conversation_ids:
                conversation_id = summary.conversation_ids[-1]
                conversation = await self._bridge.run(
                    partial(chats.get, conversation_id=conversation_id))
                self._open(conversation.agent_id, conversation_id)
            self.sig_opened.emit(summary)
            return summary
        return self._bridge.spawn(show(), name="open-files")

    def _open(self, agent_id: int, conversation_id: int) -> None:
        """Show the conversation, now or once its agent (perhaps just
        created by the import) is listed."""
        if self._agents.row_of(agent_id) is None:
            self._pending_open = (agent_id, conversation_id)
            return
        self._pending_open = None
        self._window.open_conversation(agent_id, conversation_id)

    def _agents_listed(self, *_args: object) -> None:
        if self._pending_open is not None:
            self._open(*self._pending_open)


class FileOpenEvents(QObject):
    """``QFileOpenEvent`` on the application (macOS: a file opened from Finder
    or dropped on the Dock icon) as paths for ``FileOpener.open_paths``.

    An application-wide event filter sees every event of every object, so it
    is installed only where the events come (macOS) or where a test asks.
    Events that arrive before the window exists (the file that started the
    app) wait until ``attach``.
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._handler: Callable[[list[str]], object] | None = None
        self._pending: list[str] = []
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        path = event.file() or _local_file(event.url())
        if path:
            self._deliver(path)
        else:
            log.info("ignored an open-file event that names no local file")
        return True

    def attach(self, handler: Callable[[list[str]], object]) -> None:
        """From now on hand paths to ``handler``; those that came before first."""
        self._handler = handler
        if self._pending:
            pending, self._pending = self._pending, []
            handler(pending)

    def close(self) -> None:
        self._handler = None
        self._app.removeEventFilter(self)

    def _deliver(self, path: str) -> None:
        if self._handler is None:
            if len(self._pending) < MAX_FILES + 1:    # one more: "N more files"
                self._pending.append(path)
            return
        self._handler([path])


def _local_file(url: QUrl) -> str:
    return url.toLocalFile() if url.isLocalFile() else ""
