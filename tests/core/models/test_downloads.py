"""The download manager against a loopback server serving the real GGUF from
the package index (tests/support/gguf_server.py): progress, Range resume, a
server without Range, a slow link, a cut mid-transfer, two at once, pause,
cancel and an app restart. Faults (checksums, disk, HTTP errors) are in
test_download_faults.py.
"""

from __future__ import annotations

import asyncio
import json

from app.core.models import download_state
from app.core.models.download_errors import TransferInterrupted
from app.core.models.download_transfer import NO_RANGE_NOTE
from app.core.models.downloads import DownloadManager
from app.domain.model_library import DownloadProgress
from tests.support.download_helpers import (  # noqa: F401 (fixtures)
    MB, folder_listing, model_file, models_dir, progress_of, real_gguf, received_at_least,
    until)
from tests.support.gguf_server import ServerOptions, gguf_server, sha256_of


def test_download_verifies_then_installs_with_progress(real_gguf, models_dir):
    seen: list[DownloadProgress] = []

    async def scenario():
        with gguf_server(real_gguf.path) as server:
            manager = DownloadManager(models_dir, progress_interval=0)
            manager.subscribe(seen.append)
            download_id = await manager.start(model_file(server))
            final = await manager.wait(download_id)
            await manager.aclose()
            return final

    final = asyncio.run(scenario())
    assert final.state == "done" and final.received == final.total == real_gguf.size
    assert sha256_of(models_dir / "model.gguf") == real_gguf.sha256
    assert folder_listing(models_dir) == [".downloads", "model.gguf"]  # no part, no state
    states = [p.state for p in seen]
    assert states.index("running") < states.index("verifying") < states.index("done")
    received = [p.received for p in seen if p.state == "running"]
    assert received == sorted(received) and 0 < received[len(received) // 2] < real_gguf.size
    # While it ran, the final name did not exist: only the part file.
    assert all(p.total == real_gguf.size for p in seen)


def test_pause_then_resume_continues_with_range(real_gguf, models_dir):
    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=40 * MB)) as server:
            manager = DownloadManager(models_dir)
            download_id = await manager.start(model_file(server))
            await received_at_least(manager, download_id, 10 * MB)
            await manager.pause(download_id)
            paused = progress_of(manager, download_id)
            part = models_dir / "model.gguf.part"
            kept = part.stat().st_size
            assert not (models_dir / "model.gguf").exists()
            saved = json.loads(download_state.state_path(models_dir, download_id).read_text())
            server.options.throttle_bps = None
            await manager.resume(download_id)
            final = await manager.wait(download_id)
            await manager.aclose()
            return paused, kept, final, saved, server.range_starts()

    paused, kept, final, saved, starts = asyncio.run(scenario())
    assert paused.state == "paused" and paused.received == kept >= 10 * MB
    assert saved["state"] == "paused"
    assert starts == [0, kept]  # the second request asked for the rest only
    assert final.state == "done"
    assert sha256_of(models_dir / "model.gguf") == real_gguf.sha256


def test_server_without_range_restarts_from_zero_and_says_so(real_gguf, models_dir):
    async def scenario():
        options = ServerOptions(range_support=False, throttle_bps=40 * MB)
        with gguf_server(real_gguf.path, options) as server:
            manager = DownloadManager(models_dir)
            download_id = await manager.start(model_file(server))
            await received_at_least(manager, download_id, 10 * MB)
            await manager.pause(download_id)
            server.options.throttle_bps = None
            await manager.resume(download_id)
            final = await manager.wait(download_id)
            await manager.aclose()
            return final, server

    final, server = asyncio.run(scenario())
    assert final.state == "done"
    assert [header is not None for _path, header in server.requests] == [False, True]
    assert server.sent > real_gguf.size  # the whole file went again after the pause
    assert final.note == NO_RANGE_NOTE
    assert sha256_of(models_dir / "model.gguf") == real_gguf.sha256


def test_slow_server_reports_speed_and_time_left(real_gguf, models_dir):
    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=5 * MB)) as server:
            manager = DownloadManager(models_dir, progress_interval=0.05)
            download_id = await manager.start(model_file(server))
            await until(lambda: progress_of(manager, download_id).eta_s is not None
                        and progress_of(manager, download_id).received > 2 * MB)
            slow = progress_of(manager, download_id)
            server.options.throttle_bps = None
            final = await manager.wait(download_id)
            await manager.aclose()
            return slow, final

    slow, final = asyncio.run(scenario())
    assert slow.state == "running" and slow.total == real_gguf.size
    assert slow.bytes_per_s > 0 and slow.eta_s > 0
    # Time left is what is left at the measured speed.
    assert abs(slow.eta_s - (slow.total - slow.received) / slow.bytes_per_s) < 1e-6 * slow.eta_s \
        + 1e-3
    assert final.state == "done" and final.bytes_per_s is None and final.eta_s is None


def test_cut_mid_transfer_keeps_bytes_then_resume_finishes(real_gguf, models_dir):
    cut = 30 * MB

    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(cut_after=cut)) as server:
            manager = DownloadManager(models_dir, retries=0)
            download_id = await manager.start(model_file(server))
            failed = await manager.wait(download_id)
            error = manager.failure(download_id)
            kept = (models_dir / "model.gguf.part").stat().st_size
            await manager.resume(download_id)
            final = await manager.wait(download_id)
            await manager.aclose()
            return failed, error, kept, final, server.range_starts()

    failed, error, kept, final, starts = asyncio.run(scenario())
    assert failed.state == "failed" and isinstance(error, TransferInterrupted)
    assert error.resumable and "resume" in failed.error
    assert kept == cut  # every byte that came was kept
    assert starts == [0, cut]
    assert final.state == "done"
    assert sha256_of(models_dir / "model.gguf") == real_gguf.sha256


def test_cut_is_retried_automatically_from_where_it_stopped(real_gguf, models_dir):
    cut = 20 * MB

    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(cut_after=cut)) as server:
            manager = DownloadManager(models_dir, retries=2, retry_delay=0.01)
            download_id = await manager.start(model_file(server))
            final = await manager.wait(download_id)
            await manager.aclose()
            return final, server.range_starts()

    final, starts = asyncio.run(scenario())
    assert final.state == "done" and starts == [0, cut]
    assert sha256_of(models_dir / "model.gguf") == real_gguf.sha256


def test_two_downloads_run_at_once(real_gguf, models_dir):
    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
            manager = DownloadManager(models_dir)
            first = await manager.start(model_file(server, "first.gguf"))
            second = await manager.start(model_file(server, "second.gguf"))
            await until(lambda: all(p.state == "running" and p.received > MB
                                    for p in manager.progress()))
            both_running = manager.progress()
            server.options.throttle_bps = None
            results = [await manager.wait(first), await manager.wait(second)]
            await manager.aclose()
            return both_running, results

    both_running, results = asyncio.run(scenario())
    assert {p.filename for p in both_running} == {"first.gguf", "second.gguf"}
    assert [r.state for r in results] == ["done", "done"]
    for name in ("first.gguf", "second.gguf"):
        assert sha256_of(models_dir / name) == real_gguf.sha256


def test_starting_the_same_file_twice_gives_the_same_download(real_gguf, models_dir):
    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
            manager = DownloadManager(models_dir)
            first = await manager.start(model_file(server))
            again = await manager.start(model_file(server))
            await manager.cancel(first)
            await manager.aclose()
            return first, again, len(manager.progress())

    first, again, count = asyncio.run(scenario())
    assert first == again and count == 1


def test_cancel_deletes_part_and_state(real_gguf, models_dir):
    async def scenario():
        with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
            manager = DownloadManager(models_dir)
            running = await manager.start(model_file(server, "running.gguf"))
            paused = await manager.start(model_file(server, "paused.gguf"))
            await received_at_least(manager, running, 2 * MB)
            await received_at_least(manager, paused, 2 * MB)
            await manager.pause(paused)
            had_parts = folder_listing(models_dir)
            await manager.cancel(running)
            await manager.cancel(paused)
            states = [p.state for p in manager.progress()]
            await manager.aclose()
            return had_parts, states

    had_parts, states = asyncio.run(scenario())
    assert "running.gguf.part" in had_parts and "paused.gguf.part" in had_parts
    assert states == ["cancelled", "cancelled"]
    assert folder_listing(models_dir) == [".downloads"]  # nothing left but the empty folder


def test_download_survives_an_app_restart(real_gguf, models_dir):
    """Close the manager mid-download (the app quits), make a new one on the same
    folder (the app starts again): it continues from the kept bytes; a download
    paused before the restart stays paused until resumed."""

    async def first_run(server):
        manager = DownloadManager(models_dir)
        running = await manager.start(model_file(server, "running.gguf"))
        paused = await manager.start(model_file(server, "paused.gguf"))
        await received_at_least(manager, running, 5 * MB)
        await received_at_least(manager, paused, 5 * MB)
        await manager.pause(paused)
        await manager.aclose()
        return running, paused

    async def second_run(server, running, paused):
        manager = DownloadManager(models_dir)
        started = await manager.resume_pending()
        listed = {p.id: p.state for p in manager.progress()}
        server.options.throttle_bps = None
        done_running = await manager.wait(running)
        await manager.resume(paused)
        done_paused = await manager.wait(paused)
        await manager.aclose()
        return started, listed, done_running, done_paused

    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
        running, paused = asyncio.run(first_run(server))
        kept = (models_dir / "running.gguf.part").stat().st_size
        saved = json.loads(download_state.state_path(models_dir, running).read_text())
        started, listed, done_running, done_paused = asyncio.run(
            second_run(server, running, paused))
        starts = server.range_starts()

    assert saved["state"] == "running" and kept >= 5 * MB
    assert started == [running]
    assert listed[paused] == "paused"
    assert kept in starts  # continued with a Range request from the kept bytes
    assert done_running.state == done_paused.state == "done"
    for name in ("running.gguf", "paused.gguf"):
        assert sha256_of(models_dir / name) == real_gguf.sha256
    assert folder_listing(models_dir) == [".downloads", "paused.gguf", "running.gguf"]
