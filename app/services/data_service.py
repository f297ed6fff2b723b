"""The window's scheduling of the data operations (app/ops/data.py, exchange.py).

The operations themselves are written once in app/ops; this adapter only puts
each step on the right thread, so neither the window nor the store (running
chats keep writing to it) waits seconds for a long history:

- reading the store (a backup's copy, an export's conversations) on the
  store's worker;
- rendering and writing an export, and checking a written backup, on a thread
  of the event loop's executor (a QThread under qasync), never on the UI thread.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

from app.ops import data, exchange
from app.ops.data import BackupInfo
from app.ops.exchange import ExportResult, PdfWriter
from app.services.store_bridge import StoreBridge

log = logging.getLogger(__name__)


class DataService:
    def __init__(self, bridge: StoreBridge, home: Path) -> None:
        self._bridge = bridge
        self.home = home

    async def backup(self, destination: Path) -> BackupInfo:
        """A consistent copy of the live database, verified after writing.
        Raises BackupError."""
        written = await self._bridge.run(partial(data.backup_to, destination=destination))
        return await asyncio.get_running_loop().run_in_executor(
            None, data.inspect_backup, written)

    def request_restore(self, source: Path) -> BackupInfo:
        return data.request_restore(self.home, source)

    async def export_all(self, destination: Path, fmt: str, *,
                         pdf_writer: PdfWriter | None = None,
                         ids: list[int] | None = None) -> ExportResult:
        """Every conversation (or those ``ids``) in ``fmt`` (json, md, html or
        pdf) at ``destination``.

        Raises ExportError (nothing written) when the file cannot be written or
        there is nothing to export."""
        exchange.check_format(fmt, pdf_writer)
        bundles = await self._bridge.run(partial(exchange.load_conversations, ids=ids))
        result = await asyncio.get_running_loop().run_in_executor(
            None, partial(exchange.write_conversations, Path(destination), fmt, bundles,
                          pdf_writer=pdf_writer))
        log.info("exported %d conversations as %s to %s", result.conversations, fmt,
                 result.path)
        return result

    def pending_restore(self) -> Path | None:
        return data.pending_restore(self.home)

    def cancel_restore(self) -> None:
        data.cancel_restore(self.home)
