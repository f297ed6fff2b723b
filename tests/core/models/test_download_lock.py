"""One process at a time downloads a model file (download_lock.py): a
DownloadManager in this process against ``agentdesk models pull`` in another
(tests/support/pull_process.py), both on the loopback GGUF server; the lock is
given up on pause, cancel, failure, finish and close, and leaves no file."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from app.core.models import download_state
from app.core.models.download_errors import DownloadBusy, DownloadRefused
from app.core.models.download_lock import DownloadLock, busy_message, lock_path
from app.core.models.downloads import FINISHED_ELSEWHERE_NOTE, DownloadManager
from app.core.models.library import ModelLibrary
from tests.support.download_helpers import (  # noqa: F401 (fixtures)
    MB, model_file, progress_of, real_gguf, received_at_least, until)
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.support.pull_process import (
    entry_for, finish, leftover_locks, lock_probe, start_pull, wait_for_part)

FILENAME = "Loopback-Lock-Q4_K_M.gguf"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 << 20):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A data folder with its (empty) models folder, as the app makes them."""
    (tmp_path / "home" / "models").mkdir(parents=True)
    return tmp_path / "home"


@pytest.mark.slow
def test_a_cli_pull_while_this_process_downloads_the_file_is_refused(real_gguf, home):
    models = home / "models"

    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=4 * MB)) as server:
            file = model_file(server, FILENAME)
            manager = DownloadManager(models)
            download_id = await manager.start(file)
            await received_at_least(manager, download_id, 2 * MB)
            refused = await asyncio.to_thread(finish, start_pull(home, entry_for(file)), 120)
            during = progress_of(manager, download_id).state
            server.options.throttle_bps = None
            final = await manager.wait(download_id)
            await manager.aclose()
            return refused, during, final, server.range_starts()

    refused, during, final, starts = asyncio.run(scenario())
    assert refused.code == 1
    assert refused.err == f"agentdesk: error: {busy_message(FILENAME)}\n"
    assert during == "running" and final.state == "done"
    assert starts == [0]                       # only this process asked for the file
    assert _sha256(models / FILENAME) == real_gguf.sha256
    assert leftover_locks(models) == []


@pytest.mark.slow
def test_this_process_leaves_a_file_the_cli_is_downloading_alone(real_gguf, home):
    """resume_pending skips it and says why; start, resume and cancel are
    refused without touching the part; once the CLI finished, the model is
    installed and resuming the row here makes it done without a byte."""
    models = home / "models"
    part = download_state.part_path(models, FILENAME)
    seen = []

    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=4 * MB)) as server:
            file = model_file(server, FILENAME)
            child = start_pull(home, entry_for(file))
            try:
                await asyncio.to_thread(wait_for_part, models, FILENAME, 2 * MB, child)
                (record,) = download_state.load_all(models)
                saved = download_state.state_path(models, record.id).read_bytes()
                manager = DownloadManager(models)
                manager.subscribe(seen.append)
                started = await manager.resume_pending()
                busy = manager.busy_elsewhere()
                before = part.stat().st_size
                refusals = []
                for attempt in (lambda: manager.start(file), lambda: manager.resume(record.id),
                                lambda: manager.cancel(record.id)):
                    with pytest.raises(DownloadBusy) as refused:
                        await attempt()
                    refusals.append(str(refused.value))
                assert part.exists() and part.stat().st_size >= before
                assert download_state.state_path(models, record.id).read_bytes() == saved
                assert child.poll() is None
                server.options.throttle_bps = None
                done = await asyncio.to_thread(finish, child)
            finally:
                if child.poll() is None:
                    child.kill()
            requests = len(server.requests)
            await manager.resume(record.id)
            after = progress_of(manager, record.id)
            with pytest.raises(DownloadRefused, match="already in the models folder"):
                await manager.start(file)
            await manager.aclose()
            return started, busy, refusals, done, after, requests, len(server.requests)

    started, busy, refusals, done, after, requests, requests_after = asyncio.run(scenario())
    assert started == []
    assert [(p.filename, p.state, p.error) for p in busy] == [
        (FILENAME, "paused", busy_message(FILENAME))]
    assert refusals == [busy_message(FILENAME)] * 3
    assert any(p.error == busy_message(FILENAME) for p in seen)   # the row was told why
    assert done.code == 0, done.err
    assert after.state == "done" and after.note == FINISHED_ELSEWHERE_NOTE
    assert requests_after == requests                  # nothing downloaded again here
    assert _sha256(models / FILENAME) == real_gguf.sha256
    assert [m.name for m in ModelLibrary(models, bundled=[]).installed()] == [
        FILENAME.removesuffix(".gguf")]
    assert download_state.load_all(models) == [] and leftover_locks(models) == []


@pytest.mark.slow
def test_the_lock_is_given_up_on_pause_cancel_failure_finish_and_close(real_gguf, home):
    models = home / "models"
    states: list[tuple[str, str]] = []

    async def probe(label: str) -> None:
        states.append((label, await asyncio.to_thread(lock_probe, models, FILENAME)))

    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=8 * MB)) as server:
            file = model_file(server, FILENAME)
            manager = DownloadManager(models, retries=0)
            download_id = await manager.start(file)
            await received_at_least(manager, download_id, MB)
            await probe("running")
            await manager.pause(download_id)
            await probe("paused")
            await manager.resume(download_id)
            await probe("resumed")
            await manager.cancel(download_id)
            await probe("cancelled")

            wrong = await manager.start(file.model_copy(update={"sha256": "0" * 64}))
            server.options.throttle_bps = None
            assert (await manager.wait(wrong)).state == "failed"
            await probe("failed")
            await manager.cancel(wrong)

            done = await manager.start(file)
            assert (await manager.wait(done)).state == "done"
            await probe("done")
            await manager.aclose()

            server.options.throttle_bps = 8 * MB
            other = model_file(server, "other.gguf")
            manager = DownloadManager(models)
            running = await manager.start(other)
            await received_at_least(manager, running, MB)
            await manager.aclose()           # the app quits mid-download
            states.append(("closed", await asyncio.to_thread(lock_probe, models,
                                                             "other.gguf")))

    asyncio.run(scenario())
    assert states == [("running", "busy"), ("paused", "free"), ("resumed", "busy"),
                      ("cancelled", "free"), ("failed", "free"), ("done", "free"),
                      ("closed", "free")]
    assert leftover_locks(models) == []
    (record,) = download_state.load_all(models)
    assert record.filename == "other.gguf" and record.state == "running"  # resumed next start


def test_lock_names_fit_any_model_name_and_ignore_case(tmp_path: Path):
    long_name = "M" * 250 + ".gguf"
    first = DownloadLock(tmp_path, long_name)
    first.acquire()
    assert lock_path(tmp_path, long_name).exists()
    with pytest.raises(DownloadBusy, match="another AgentDesk process"):
        DownloadLock(tmp_path, long_name.lower()).acquire()   # one file on macOS, Windows
    first.release()
    assert not lock_path(tmp_path, long_name).exists()
    again = DownloadLock(tmp_path, long_name.lower())
    again.acquire()
    again.release()
