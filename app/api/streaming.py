"""One socket write per loop turn for a streamed reply (NDJSON in chat.py,
SSE in openai_compat.py).

Starlette sends every chunk a generator yields as its own ``send``: one
h11 event and one socket ``send`` per line. Under load the provider's reads
carry several tokens at once, so the turn yields several lines in a row
without waiting; ``coalesced`` runs the generator in a task of its own that
queues the lines, and the response takes everything queued since its last
write as one chunk. At a quiet rate nothing changes (one line per write);
under load the writes (and their h11 and syscall cost) drop with the burst
size. Measured in bench/api_load.py (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

_END = object()


async def coalesced(chunks: AsyncIterator[bytes] | AsyncIterator[str]) -> AsyncIterator[bytes]:
    """``chunks`` as bytes, the ones ready together joined into one. Closing
    this (a client gone) cancels the reading task, which closes ``chunks``
    (its ``finally`` runs: the turn stops and keeps its reply)."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for chunk in chunks:
                queue.put_nowait(chunk.encode() if isinstance(chunk, str) else chunk)
        finally:
            queue.put_nowait(_END)      # a failure is raised by ``await reader`` below

    reader = asyncio.ensure_future(pump())
    try:
        ended = False
        while not ended:
            batch: list[bytes] = []
            item = await queue.get()
            while True:
                if item is _END:
                    ended = True
                    break
                batch.append(item)  # type: ignore[arg-type]
                if queue.empty():
                    break
                item = queue.get_nowait()
            if batch:
                yield batch[0] if len(batch) == 1 else b"".join(batch)
        await reader                    # the turn's own failure, if it had one
    finally:
        if not reader.done():
            reader.cancel()
            with suppress(asyncio.CancelledError):
                await reader
