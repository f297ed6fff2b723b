"""The HTTP side of model downloads: a client tuned for large files and the
header readings (published SHA-256, Content-Range, total size).

Reads of 1 MiB: httpcore asks its network stream for 64 KiB per read, and at
loopback or LAN speed the per-read overhead (h11 parsing, an event-loop turn)
caps httpx at ~60% of curl here (measured: 530-630 MB/s against ~1 GB/s).
Its ``network_backend`` hook is public; the stream wrapper below only raises
the ``max_bytes`` of each read (HTTP/1.1 parsing in h11 takes any amount), which
brings httpx level with curl (~950 MB/s). httpx's ``AsyncHTTPTransport`` does
not take a backend, so its connection pool is replaced by an equal one that
does; if a future httpx moves that attribute, the plain transport is used (and
logged), slower but correct.

Below httpcore, anyio reads through an asyncio transport, which takes at most
256 KiB from the socket per event-loop turn whatever the caller asked for, so a
download still cost ~1,000 turns of the whole httpx/httpcore/h11/anyio stack
per 253 MB, each a few hundred microseconds of the loop thread's time: that
stack, not the network, was what held a download at ~0.5x curl on two cores
(the loop thread was busy for 0.25 of a 0.45 s download). The connection's
transport is given READ_BYTES as its read size instead (``max_size``, an
attribute of asyncio's socket transport; where the layout differs nothing is
changed and it is logged): ~300 turns, ~30 % less loop time.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from app.providers.transport import verifying_ssl_context

log = logging.getLogger(__name__)

READ_BYTES = 1 << 20
TIMEOUT = httpx.Timeout(connect=15.0, read=60.0, write=30.0, pool=15.0)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)$")
_SHA256 = re.compile(r'^(?:W/)?"?([0-9a-fA-F]{64})"?$')


class _LargeReads(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max(max_bytes, READ_BYTES), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _LargeReads(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class LargeReadBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, with streams that read up to 1 MiB at a time."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address,
                                               socket_options)
        _widen_transport_reads(stream)
        return _LargeReads(stream)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        return _LargeReads(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _widen_transport_reads(stream: httpcore.AsyncNetworkStream) -> bool:
    """Let the asyncio transport under ``stream`` (httpcore's AnyIOStream ->
    anyio's SocketStream -> asyncio's socket transport) read READ_BYTES per
    turn instead of 256 KiB; False (logged) when the layout is not that one."""
    transport = getattr(getattr(stream, "_stream", None), "_transport", None)
    if transport is None or not isinstance(getattr(transport, "max_size", None), int):
        log.info("download stream layout not recognised: the event loop reads 256 KiB "
                 "per turn")
        return False
    transport.max_size = max(transport.max_size, READ_BYTES)
    return True


def download_transport() -> httpx.AsyncHTTPTransport:
    """httpx's transport (certificate-verifying TLS) with 1 MiB reads."""
    context = verifying_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    if isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, max_connections=20, max_keepalive_connections=10,
            keepalive_expiry=5.0, http1=True, http2=False, network_backend=LargeReadBackend())
    else:
        log.warning("httpx transport layout changed: downloads use 64 KiB reads")
    return transport


def download_client() -> httpx.AsyncClient:
    """The default client of the download manager (redirects followed: model
    hosts redirect to a CDN; no content encoding, so sizes are byte counts)."""
    return httpx.AsyncClient(transport=download_transport(), follow_redirects=True,
                             timeout=TIMEOUT, max_redirects=10,
                             headers={"Accept-Encoding": "identity",
                                      "User-Agent": "AgentDesk model download"})


def published_sha256(response: httpx.Response) -> str | None:
    """The SHA-256 the server publishes for the file: Hugging Face sends it as
    ``X-Linked-ETag`` (on the redirect to its CDN, so the history is read too)."""
    for answer in [response, *reversed(response.history)]:
        value = answer.headers.get("x-linked-etag")
        if value:
            match = _SHA256.match(value.strip())
            if match:
                return match.group(1).lower()
    return None


def content_range(response: httpx.Response) -> tuple[int, int | None] | None:
    """(first byte, total size or None) of a 206 answer, None when unreadable."""
    match = _CONTENT_RANGE.match(response.headers.get("content-range", "").strip())
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), total


def content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None
