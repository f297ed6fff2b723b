"""The download client reads up to READ_BYTES per event-loop turn from a real
loopback server (asyncio's transport alone takes 256 KiB a turn), so a large
file costs a few hundred turns of the HTTP stack instead of a thousand."""

from __future__ import annotations

import asyncio
import logging

from app.core.models.download_http import READ_BYTES, download_client
from tests.support.download_helpers import MB, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import gguf_server

ASYNCIO_READ = 256 * 1024


def test_reads_of_more_than_asyncios_256_kib_arrive(real_gguf, caplog):
    caplog.set_level(logging.INFO, logger="app.core.models.download_http")
    sizes: list[int] = []

    async def scenario() -> None:
        async with download_client() as client:
            async with client.stream("GET", server.url) as response:
                async for chunk in response.aiter_raw():
                    sizes.append(len(chunk))
                    if len(sizes) == 40:
                        # Let the socket buffer fill (the window has grown by now);
                        # long enough for the server thread on a loaded machine.
                        await asyncio.sleep(1.0)

    with gguf_server(real_gguf.path) as server:
        asyncio.run(scenario())
    assert sum(sizes) == real_gguf.size
    assert "layout not recognised" not in caplog.text
    assert max(sizes[40:]) > ASYNCIO_READ and max(sizes) <= READ_BYTES
