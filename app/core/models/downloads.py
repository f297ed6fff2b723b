"""Downloads of model files for the embedded engine.

``DownloadManager(models_dir)`` runs several downloads at once on the running
asyncio loop (the window's qasync loop, or ``asyncio.run`` in the CLI):

- bytes go to ``<filename>.part`` (written and hashed off the loop, see
  part_writer.py); the file appears under its own name only after its SHA-256
  matched, by one rename: a partial or wrong file is never used;
- the SHA-256 is the catalogue's, else the one the server publishes
  (``X-Linked-ETag``); with neither the download is refused before any byte;
- free disk space is checked before downloading (and again once the server
  told the size): less than the bytes still to come is refused;
- pause and resume use ``Range: bytes=N-``; a server that ignores Range answers
  200 and the download restarts from zero (``note`` says so);
- the state lives in ``.downloads/<id>.json`` (download_state.py), so after an
  app restart ``resume_pending()`` continues what was running;
- cancel deletes the part file and the state;
- every stop has a typed cause (download_errors.py); a resumable one (refused
  connection, a transfer cut mid-way, a 5xx) is retried ``retries`` times
  with a growing delay, then left ``failed`` for ``resume``;
- one process at a time downloads a file: the manager holds the file's OS lock
  (download_lock.py) from start or resume until it pauses, fails, finishes, is
  cancelled or closed. Another AgentDesk process (the window, ``agentdesk
  models pull``) downloading it meanwhile makes ``start``/``resume``/``cancel``
  raise ``DownloadBusy`` before anything is written, and its row is listed
  ``paused`` with that sentence as ``error`` (kept in memory only: the record
  on disk belongs to the other process); ``resume_pending`` skips such files.
  A file that another process finished meanwhile is ``done`` on ``resume``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Collection
from pathlib import Path

import httpx

from app.core.models import download_state as store
from app.core.models.download_checks import (
    FreeSpace,
    check_space,
    check_startable,
    disk_free_bytes,
)
from app.core.models.download_entry import Download
from app.core.models.download_errors import (
    DiskFull, DownloadBusy, DownloadError, DownloadRefused, UnknownDownload)
from app.core.models.download_http import download_client
from app.core.models.download_lock import DownloadLock
from app.core.models.download_state import DownloadRecord
from app.core.models.download_transfer import Transfer
from app.domain.model_library import DownloadProgress, DownloadState, ModelFile

log = logging.getLogger(__name__)

ClientFactory = Callable[[], httpx.AsyncClient]
Subscriber = Callable[[DownloadProgress], None]

_STOPPED: frozenset[DownloadState] = frozenset({"paused", "done", "failed", "cancelled"})
FINISHED_ELSEWHERE_NOTE = "Another AgentDesk process finished this download."


class DownloadManager:
    """Downloads into ``models_dir``; see the module docstring."""

    def __init__(self, models_dir: Path, client_factory: ClientFactory = download_client, *,
                 free_space: FreeSpace = disk_free_bytes, max_parallel: int = 3,
                 retries: int = 3, retry_delay: float = 2.0,
                 progress_interval: float = 0.25) -> None:
        self.models_dir = Path(models_dir)
        self._client_factory = client_factory
        self._client: httpx.AsyncClient | None = None
        self.free_space = free_space
        self._slots = asyncio.Semaphore(max_parallel)
        self.retries = retries
        self.retry_delay = retry_delay
        self.progress_interval = progress_interval
        self._downloads: dict[str, Download] = {}
        self._subscribers: list[Subscriber] = []

    # -- the interface ---------------------------------------------------------------
    async def start(self, file: ModelFile) -> str:
        """Begin downloading ``file``; returns its id (the running download's id
        when that file is already being downloaded). Raises ``DownloadRefused``
        (``InsufficientSpace``, ``DownloadBusy`` among them) before anything is
        written."""
        # A record another process left (paused, failed, or running when it
        # was killed) is taken up rather than doubled.
        await self.resume_pending({file.filename})
        for download in list(self._downloads.values()):
            if download.record.filename == file.filename and download.record.state not in {
                    "done", "cancelled"}:
                if download.record.state in {"paused", "failed"}:
                    if download.record.sha256 != file.sha256:
                        # The catalogue now names another file (a release updated
                        # it): the kept bytes and the old checksum are not for it.
                        await self.cancel(download.record.id)
                        break
                    download.record.urls = list(file.urls)
                    download.record.size_bytes = file.size_bytes
                    await self.resume(download.record.id)
                return download.record.id
        check_startable(self.models_dir, file)
        record = DownloadRecord(id=secrets.token_hex(8), filename=file.filename,
                                urls=list(file.urls), size_bytes=file.size_bytes,
                                sha256=file.sha256)
        part = store.part_path(self.models_dir, file.filename)
        self.check_space(record, part.stat().st_size if part.exists() else 0)
        download = Download(record, self._lock_for(record))
        self._downloads[record.id] = download   # a busy one is listed, with the reason
        try:
            if not self._claim(download):   # another process finished it just now
                return record.id
        except DownloadError as exc:
            if not isinstance(exc, DownloadBusy):
                del self._downloads[record.id]
            raise
        try:
            store.save(self.models_dir, record)
        except OSError as exc:
            download.lock.release()
            del self._downloads[record.id]
            raise DownloadRefused(f"Cannot write in {self.models_dir}: {exc}") from exc
        self._launch(download)
        return record.id

    async def pause(self, download_id: str) -> None:
        download = self._get(download_id)
        if download.record.state in _STOPPED:
            return
        await self._stop_task(download)
        part = store.part_path(self.models_dir, download.record.filename)
        download.received = part.stat().st_size if part.exists() else 0
        self._stop(download, "paused")

    async def resume(self, download_id: str) -> None:
        """Continue a paused or failed download (from its kept bytes where the
        server allows; a failed checksum starts again from zero). Raises
        ``DownloadBusy`` while another process downloads the file."""
        download = self._get(download_id)
        if download.record.state not in {"paused", "failed"}:
            return
        if not self._claim(download):
            return
        download.error = None
        download.record.error = None
        self._launch(download)

    async def cancel(self, download_id: str) -> None:
        """Stop and delete the partial file and the saved state. Raises
        ``DownloadBusy`` (touching nothing) while another process downloads it."""
        download = self._get(download_id)
        if download.record.state in {"done", "cancelled"}:
            return
        await self._stop_task(download)
        if not download.lock.held:
            try:
                download.lock.acquire()
            except DownloadBusy as exc:
                self._elsewhere(download, exc)
                raise
        try:
            await asyncio.to_thread(self._delete_files, download.record)
        finally:
            download.lock.release()
        download.elsewhere = None
        download.received = 0
        self._set(download, "cancelled")

    def progress(self) -> list[DownloadProgress]:
        return [d.progress() for d in self._downloads.values()]

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(progress)`` on every change (a few times a second while
        running, and on every state change). Returns the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers \
            else None

    async def resume_pending(self, filenames: Collection[str] | None = None) -> list[str]:
        """Pick up the downloads saved by an earlier run: those that were running
        (or queued, or verifying) start again; paused and failed ones are listed
        as they were. Returns the ids started. With ``filenames`` only the
        records of those files are picked up (``agentdesk models pull`` takes
        back its own download and leaves the rest to the window).

        A file another AgentDesk process is downloading is skipped: listed
        ``paused`` with the reason as its error (``busy_elsewhere()``), its
        part and record untouched."""
        started = []
        records = await asyncio.to_thread(store.load_all, self.models_dir)
        for record in records:
            if record.id in self._downloads or (
                    filenames is not None and record.filename not in filenames):
                continue
            part = store.part_path(self.models_dir, record.filename)
            download = Download(record, self._lock_for(record),
                                 received=part.stat().st_size if part.exists() else 0)
            self._downloads[record.id] = download
            if record.state not in {"queued", "running", "verifying"}:
                download.stopped.set()
                continue
            try:
                if self._claim(download):
                    self._launch(download)
                    started.append(record.id)
            except DownloadBusy:
                log.info("not resuming %s: another AgentDesk process is downloading it",
                         record.filename)
            except DownloadError as exc:   # the folder cannot be written
                log.warning("cannot resume %s: %s", record.filename, exc)
                download.error = exc
                record.error = str(exc)
                self._set(download, "failed")
        return started

    def busy_elsewhere(self) -> list[DownloadProgress]:
        """The downloads listed here that another process was downloading when
        this one last tried (``resume_pending``, ``start``, ``resume``, ``cancel``)."""
        return [d.progress() for d in self._downloads.values() if d.elsewhere]

    async def wait(self, download_id: str) -> DownloadProgress:
        """Until the download stops running (done, failed, cancelled or paused)."""
        download = self._get(download_id)
        await download.stopped.wait()
        return download.progress()

    def failure(self, download_id: str) -> DownloadError | None:
        """The typed error that stopped a failed download."""
        return self._get(download_id).error

    def path_of(self, download_id: str) -> Path:
        """Where the finished file is (or will be)."""
        return self.models_dir / self._get(download_id).record.filename

    async def aclose(self) -> None:
        """Stop for an app exit: running downloads keep their saved state, so the
        next ``resume_pending`` continues them."""
        for download in list(self._downloads.values()):
            await self._stop_task(download)
            download.lock.release()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- checks ----------------------------------------------------------------------
    def check_space(self, record: DownloadRecord, have: int) -> None:
        """Refuse when the free space is less than the bytes still to come."""
        check_space(self.models_dir, self.free_space, record, have)

    # -- the file's lock --------------------------------------------------------------
    def _lock_for(self, record: DownloadRecord) -> DownloadLock:
        return DownloadLock(self.models_dir, record.filename)

    def _claim(self, download: Download) -> bool:
        """Take the file's lock for this process (``DownloadBusy`` when another
        holds it; the download is then listed with that reason). The bytes kept
        are what the part file holds now. Returns False when the file was
        installed meanwhile by another process: that download is ``done``."""
        try:
            download.lock.acquire()
        except DownloadBusy as exc:
            self._elsewhere(download, exc)
            raise
        download.elsewhere = None
        record = download.record
        if (self.models_dir / record.filename).exists():
            store.delete(self.models_dir, record.id)
            download.lock.release()
            record.note = FINISHED_ELSEWHERE_NOTE
            record.error = None
            download.received = record.total or record.size_bytes or download.received
            self._set(download, "done")
            return False
        part = store.part_path(self.models_dir, record.filename)
        download.received = part.stat().st_size if part.exists() else 0
        return True

    def _elsewhere(self, download: Download, busy: DownloadBusy) -> None:
        """Another process downloads this file: list it as paused with the reason,
        in memory only (its record on disk is the other process's)."""
        download.elsewhere = busy
        self._set(download, "paused")

    # -- running ---------------------------------------------------------------------
    def _launch(self, download: Download) -> None:
        """Run the download (its lock is held: ``_claim``)."""
        download.stopped.clear()
        self._set(download, "queued", persist=True)
        download.task = asyncio.get_running_loop().create_task(
            self._run(download), name=f"download {download.record.filename}")

    async def _run(self, download: Download) -> None:
        async with self._slots:
            attempt = 0
            while True:
                self._set(download, "running", persist=True)
                try:
                    transfer = Transfer(self, download.record, self._client_or_new())
                    await transfer.run()
                except DownloadError as exc:
                    if exc.resumable and attempt < self.retries and not isinstance(exc, DiskFull):
                        attempt += 1
                        log.info("download %s: %s; retry %d", download.record.filename,
                                 exc, attempt)
                        await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
                        continue
                    self._fail(download, exc)
                    return
                except Exception as exc:  # a bug or an OS error: failed, and the lock freed
                    log.exception("download %s stopped", download.record.filename)
                    self._fail(download, DownloadError(
                        f"The download of {download.record.filename} stopped: {exc}"))
                    return
                self._finish(download)
                return

    def _client_or_new(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    async def _stop_task(self, download: Download) -> None:
        task, download.task = download.task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _finish(self, download: Download) -> None:
        store.delete(self.models_dir, download.record.id)
        download.lock.release()
        self._set(download, "done")

    def _stop(self, download: Download, state: DownloadState) -> None:
        """Save the stopped state, give the file's lock up, then tell (so that
        whoever hears of the stop finds the file free)."""
        download.record.state = state
        self._save(download.record)
        download.lock.release()
        self._set(download, state)

    def _fail(self, download: Download, exc: DownloadError) -> None:
        log.warning("download %s failed: %s", download.record.filename, exc)
        download.error = exc
        download.record.error = str(exc)
        download.record.resumable = exc.resumable
        self._stop(download, "failed")

    def _delete_files(self, record: DownloadRecord) -> None:
        store.part_path(self.models_dir, record.filename).unlink(missing_ok=True)
        store.delete(self.models_dir, record.id)

    # -- called by the transfer ------------------------------------------------------
    def received(self, record: DownloadRecord, count: int, *, force: bool = False) -> None:
        """The part file now holds ``count`` bytes (notified at most every
        ``progress_interval`` seconds unless forced)."""
        download = self._downloads[record.id]
        now = time.monotonic()
        download.sample(now, count)
        if force or now - download.last_notice >= self.progress_interval:
            download.last_notice = now
            self._notify(download)

    def changed(self, record: DownloadRecord, state: DownloadState | None = None) -> None:
        """The record changed (total, published checksum, note, state): save it."""
        download = self._downloads[record.id]
        if state is not None:
            self._set(download, state, persist=True)
        else:
            self._save(record)
            self._notify(download)

    # -- state and notices -----------------------------------------------------------
    def _set(self, download: Download, state: DownloadState, *, persist: bool = False) -> None:
        download.record.state = state
        if state != "running":
            download.samples.clear()
        if persist:
            self._save(download.record)
        if state in _STOPPED:
            download.stopped.set()
        self._notify(download)

    def _save(self, record: DownloadRecord) -> None:
        """Save the record; a full or read-only disk leaves the older one (logged):
        the part file's size stays the truth about the bytes."""
        try:
            store.save(self.models_dir, record)
        except OSError as exc:
            log.warning("could not save the state of %s: %s", record.filename, exc)

    def _notify(self, download: Download) -> None:
        if not self._subscribers:
            return
        progress = download.progress()
        for callback in list(self._subscribers):
            try:
                callback(progress)
            except Exception:  # a subscriber's bug must not stop the download
                log.exception("download progress subscriber failed")

    def _get(self, download_id: str) -> Download:
        try:
            return self._downloads[download_id]
        except KeyError:
            raise UnknownDownload(download_id) from None

