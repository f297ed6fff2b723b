"""Unit tests of the download parts: the saved state read back as untrusted
input, the header readings, the 1 MiB reads, and the one-line description."""

from __future__ import annotations

import asyncio
import json

import httpx

from app.core.models import download_state
from app.core.models.download_http import (
    READ_BYTES, LargeReadBackend, content_range, published_sha256)
from app.core.models.download_state import DownloadRecord
from app.domain.model_library import DownloadProgress
from app.ops.model_downloads import describe

DIGEST = "ab" * 32


def _record(**fields) -> DownloadRecord:
    return DownloadRecord(**{"id": "0123456789abcdef", "filename": "m.gguf",
                             "urls": ["https://example.org/m.gguf"], **fields})


def test_state_round_trip_and_bad_records_skipped(tmp_path):
    download_state.save(tmp_path, _record(state="paused", published_sha256=DIGEST))
    folder = tmp_path / download_state.STATE_FOLDER
    (folder / "fedcba9876543210.json").write_text(json.dumps(
        {"id": "fedcba9876543210", "filename": "../../escape", "urls": ["https://x/y"]}))
    (folder / "aaaaaaaaaaaaaaaa.json").write_text("{not json")
    (folder / "bbbbbbbbbbbbbbbb.json").write_text(json.dumps(
        {"id": "cccccccccccccccc", "filename": "m.gguf", "urls": ["https://x/y"]}))
    records = download_state.load_all(tmp_path)
    assert [(r.id, r.state, r.expected_sha256) for r in records] == [
        ("0123456789abcdef", "paused", DIGEST)]


def test_catalogue_checksum_wins_over_the_published_one():
    assert _record(sha256="cd" * 32, published_sha256=DIGEST).expected_sha256 == "cd" * 32
    assert _record().expected_sha256 is None


def test_published_sha256_read_from_the_redirect():
    request = httpx.Request("GET", "https://example.org/m.gguf")
    redirect = httpx.Response(302, headers={"X-Linked-ETag": f'"{DIGEST.upper()}"'},
                              request=request)
    final = httpx.Response(200, headers={"ETag": '"abc"'}, request=request)
    final.history = [redirect]
    assert published_sha256(final) == DIGEST
    assert published_sha256(httpx.Response(200, headers={"X-Linked-ETag": '"abc"'},
                                           request=request)) is None


def test_content_range_parsing():
    request = httpx.Request("GET", "https://example.org/m.gguf")

    def answer(value: str) -> httpx.Response:
        return httpx.Response(206, headers={"Content-Range": value}, request=request)

    assert content_range(answer("bytes 100-199/200")) == (100, 200)
    assert content_range(answer("bytes 100-199/*")) == (100, None)
    assert content_range(answer("items 1-2/3")) is None


def test_large_read_backend_asks_for_a_mebibyte():
    asked: list[int] = []

    class Stream:
        async def read(self, max_bytes, timeout=None):
            asked.append(max_bytes)
            return b"x"

    class Backend:
        async def connect_tcp(self, *args):
            return Stream()

    async def scenario():
        stream = await LargeReadBackend(Backend()).connect_tcp("127.0.0.1", 1)
        await stream.read(65536)

    asyncio.run(scenario())
    assert asked == [READ_BYTES]


def test_describe_running_and_failed():
    running = DownloadProgress(id="a", filename="m.gguf", received=50_000_000,
                               total=200_000_000, bytes_per_s=10_000_000, eta_s=15,
                               state="running")
    assert describe(running) == "m.gguf: 50.0 MB of 200.0 MB (25%), 10.0 MB/s, 15 s left"
    failed = running.model_copy(update={"state": "failed", "error": "disk full"})
    assert describe(failed) == "m.gguf: failed: disk full"
