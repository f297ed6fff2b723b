"""HTTP for providers: timeouts, retries before the first byte, error
classification, and a line reader that refuses hostile input.

Shared by every HTTP wire protocol (OpenAI-compatible SSE, Ollama NDJSON).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.logs import redact_url
from app.providers.base import ProviderError, ProviderOptions
from app.providers.deadline import ReadDeadline

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503})
_CONTEXT_HINTS = ("context length", "context_length", "context window", "too many tokens",
                  "maximum context", "exceeds the context", "n_ctx", "prompt is too long")


# -- TLS contexts ----------------------------------------------------------------------
# httpx builds a new SSLContext and loads certifi's CA bundle for every client
# made with the default ``verify=True`` (~3.4 MB for the first, ~0.7 MB for each
# next), even when the base URL is plain http://. The contexts here are made once
# per process, on first need (the web tools in app/core/tools use the verifying
# one too). Sharing one between clients is safe: httpcore only sets ALPN on it,
# to the same value for every client here and there (HTTP/1.1 only).
_tls_lock = threading.Lock()
_verifying_context: ssl.SSLContext | None = None
_no_ca_context: ssl.SSLContext | None = None


def verifying_ssl_context() -> ssl.SSLContext:
    """The process's one certificate-verifying context, for https:// base URLs.

    The same trust as httpx's default for a client with ``trust_env=False``
    (certifi's CA bundle, hostname checked, certificate required): httpx's own
    ``create_ssl_context`` builds it.
    """
    global _verifying_context
    with _tls_lock:
        if _verifying_context is None:
            _verifying_context = httpx.create_ssl_context(verify=True, trust_env=False)
        return _verifying_context


def no_ca_ssl_context() -> ssl.SSLContext:
    """A context for plain http:// base URLs, which never do TLS: no CA loaded,
    so it fails closed if TLS were ever attempted with it (redirects are not
    followed; every request path is relative to the http:// base)."""
    global _no_ca_context
    with _tls_lock:
        if _no_ca_context is None:
            # PROTOCOL_TLS_CLIENT: CERT_REQUIRED and check_hostname are the defaults.
            _no_ca_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return _no_ca_context


def ssl_context_for(base_url: str) -> ssl.SSLContext:
    """The TLS context a client for ``base_url`` needs (see the two above)."""
    if urlsplit(base_url).scheme.lower() == "http":
        return no_ca_ssl_context()
    return verifying_ssl_context()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_text(body: bytes) -> str:
    """The human message inside an error body, whatever the vendor's shape."""
    text = body[:4096].decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            err = err.get("message") or err.get("detail") or json.dumps(err)
        if err:
            return str(err)[:500]
    return text[:500]


def classify_status(status: int, body: bytes, headers: httpx.Headers,
                    where: str) -> ProviderError:
    """An HTTP error response as a classified ProviderError."""
    detail = error_text(body)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        return ProviderError("auth", f"{where} refused the API key ({status}){suffix}",
                             status=status)
    if status == 404:
        return ProviderError("not_found", f"{where} does not have that (404){suffix}",
                             status=status)
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return ProviderError("rate_limited", f"{where} is rate-limiting requests{suffix}",
                             retryable=True, retry_after=retry_after, status=status)
    lowered = detail.lower()
    if status in (400, 413, 422) and any(hint in lowered for hint in _CONTEXT_HINTS):
        return ProviderError("context_length",
                             f"the conversation is too long for this model{suffix}",
                             status=status)
    if status >= 500:
        return ProviderError("server", f"{where} failed ({status}){suffix}",
                             retryable=status in RETRYABLE_STATUS,
                             retry_after=parse_retry_after(headers.get("retry-after")),
                             status=status)
    return ProviderError("protocol", f"{where} rejected the request ({status}){suffix}",
                         status=status)


def timeout_error(where: str, phase: str, seconds: float, setting: str) -> ProviderError:
    """A read that waited ``seconds`` for nothing: how long, and the setting
    that bounds it, so a person can tell a stalled server from a slow one."""
    return ProviderError("timeout", f"{where} sent nothing for {seconds:g} s {phase} "
                         f"(setting timeouts.{setting})")


def classify_exception(exc: Exception, where: str, phase: str) -> ProviderError:
    """A transport exception as a classified ProviderError."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError("unreachable", f"{where} did not answer the connection "
                             "in time", retryable=True)
    if isinstance(exc, httpx.ConnectError):
        return ProviderError("unreachable", f"cannot connect to {where}", retryable=True)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return ProviderError("timeout", f"{where} stopped sending {phase}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return ProviderError("protocol", f"{where} closed the connection {phase}")
    if isinstance(exc, httpx.HTTPError):
        return ProviderError("protocol", f"{where}: {exc}")
    raise exc


async def close_body(response: httpx.Response, chunks: AsyncIterator[bytes]) -> None:
    """Close a response left mid-body, in this task: the response first, then
    the body iterator.

    The iterator is a chain of httpx/httpcore async generators; the inner
    ones are only dropped, not closed, when the outer one is. Dropped while
    the connection is still open, each is finalised later by the garbage
    collector, and its close awaits a lock: on a loop without asyncio's
    async-generator hooks (qasync's loop in the Qt tests) that fails with
    "async generator ignored GeneratorExit", on others it runs in another
    task. With the response closed first, their close has nothing left to do.
    """
    await response.aclose()
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


class HttpTransport:
    """One base URL with its headers, timeouts and retry policy."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None,
                 options: ProviderOptions | None = None, label: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.options = options or ProviderOptions()
        self.label = label or redact_url(self.base_url)
        t = self.options.timeouts
        # The pool/read timeouts are backstops; first-byte and idle are
        # enforced per chunk in ``stream_lines``.
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers or {},
            timeout=httpx.Timeout(connect=t.connect, read=max(t.first_byte, t.idle),
                                  write=t.connect * 2, pool=t.connect),
            follow_redirects=False, trust_env=False, verify=ssl_context_for(self.base_url),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- plain requests --------------------------------------------------------
    async def request_json(self, method: str, path: str, body: Any = None,
                           timeout: float | None = None) -> Any:
        """One JSON request; raises ProviderError on any failure."""
        data, _headers = await self.request_json_with_headers(method, path, body, timeout)
        return data

    async def request_json_with_headers(self, method: str, path: str, body: Any = None,
                                        timeout: float | None = None
                                        ) -> tuple[Any, httpx.Headers]:
        """Like ``request_json``, also returning the response headers (a
        server's version header, for connection tests)."""
        where = self.label
        t = timeout or self.options.timeouts.first_byte
        request = self._client.build_request(
            method, path, json=body,
            timeout=httpx.Timeout(t, connect=self.options.timeouts.connect))
        try:
            response = await self._client.send(request, stream=True)
            try:
                content = await self._bounded_body(response, self.options.max_body_bytes)
            finally:
                await response.aclose()
        except Exception as exc:  # classified below; unknown errors re-raised
            raise classify_exception(exc, where, "before answering") from exc
        if response.status_code >= 400:
            raise classify_status(response.status_code, content, response.headers, where)
        try:
            return json.loads(content), response.headers
        except ValueError as exc:
            raise ProviderError("protocol", f"{where} answered with something that is "
                                "not JSON") from exc

    async def _bounded_body(self, response: httpx.Response, limit: int) -> bytes:
        """The whole body of a plain answer, refused past ``limit`` bytes (a
        hostile server's endless model list never fills the memory)."""
        body = bytearray()
        chunks = response.aiter_bytes()  # decoded (gzip), chunk by chunk
        try:
            async for chunk in chunks:
                body += chunk
                if len(body) > limit:
                    raise ProviderError("limit", f"{self.label} sent an answer larger than "
                                        f"{limit // (1024 * 1024)} MB")
        except BaseException:
            await close_body(response, chunks)
            raise
        return bytes(body)

    async def read_text(self, method: str, path: str, body: Any, max_chars: int,
                        too_large: Callable[[], ProviderError]) -> str:
        """A whole non-streamed reply body (through the bounded line reader,
        with the same timeouts and retries as a stream); ``too_large()`` is
        raised once it passes ``max_chars``."""
        parts: list[str] = []
        size = 0
        async with self.stream_lines(method, path, body) as lines:
            async for line in lines:
                size += len(line) + 1
                if size > max_chars:
                    raise too_large()
                parts.append(line)
        return "\n".join(parts)

    # -- streaming ---------------------------------------------------------------
    @asynccontextmanager
    async def stream_lines(self, method: str, path: str,
                           body: Any = None) -> AsyncIterator[AsyncIterator[str]]:
        """Open a streaming request (retrying before any byte arrives) and
        yield an iterator over its body's lines, decoded as UTF-8.

        Raises ProviderError: opening failed (after retries), first byte or
        idle timeout, a line over ``max_line_bytes``, invalid UTF-8, or the
        connection cut mid-way. Leaving the context closes the stream.
        """
        response = await self._open_with_retries(method, path, body)
        lines = self._lines(response)
        try:
            yield lines
        finally:
            # The line reader closes the response, then its body iterator
            # (see _lines); the response is closed here too for a reader that
            # never started.
            await lines.aclose()
            await response.aclose()

    async def _open_with_retries(self, method: str, path: str, body: Any) -> httpx.Response:
        policy = self.options.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                return await self._open(method, path, body)
            except ProviderError as error:
                wait = self._retry_wait(error, attempt)
                if wait is None:
                    raise
                log.info("%s: %s; retrying in %.1fs (attempt %d of %d)", self.label,
                         error.kind, wait, attempt + 1, policy.attempts)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt raises")

    def _retry_wait(self, error: ProviderError, attempt: int) -> float | None:
        policy = self.options.retry
        if not error.retryable or attempt >= policy.attempts:
            return None
        wait = policy.backoff * 2 ** (attempt - 1)
        if error.retry_after is not None:
            if error.retry_after > policy.max_wait:
                return None
            wait = max(wait, error.retry_after)
        return wait

    async def _open(self, method: str, path: str, body: Any) -> httpx.Response:
        request = self._client.build_request(method, path, json=body)
        first_byte = self.options.timeouts.first_byte
        try:
            async with asyncio.timeout(first_byte):
                response = await self._client.send(request, stream=True)
        except TimeoutError:
            raise timeout_error(self.label, "before answering", first_byte,
                                "first_byte") from None
        except Exception as exc:  # classified below; unknown errors re-raised
            raise classify_exception(exc, self.label, "before answering") from exc
        if response.status_code >= 400:
            try:
                async with asyncio.timeout(self.options.timeouts.idle):
                    content = await response.aread()
            except Exception as exc:  # the status alone still says what happened
                log.debug("%s: HTTP %s body unreadable: %s", self.label,
                          response.status_code, type(exc).__name__)
                content = b""
            finally:
                await response.aclose()
            raise classify_status(response.status_code, content, response.headers,
                                  self.label)
        return response

    async def _lines(self, response: httpx.Response) -> AsyncIterator[str]:
        limit = self.options.max_line_bytes
        timeouts = self.options.timeouts
        chunks = response.aiter_raw()
        pending: bytes | bytearray = b""  # the start of a line not ended yet
        timeout, phase, setting = timeouts.first_byte, "before the first token", "first_byte"
        deadline = ReadDeadline()
        try:
            while True:
                deadline.arm(timeout)
                try:
                    chunk = await anext(chunks, None)
                except asyncio.CancelledError:
                    if deadline.expired():
                        raise timeout_error(self.label, phase, timeout, setting) from None
                    raise
                except Exception as exc:  # classified below; unknown errors re-raised
                    raise classify_exception(exc, self.label, phase) from exc
                finally:
                    deadline.disarm()
                if chunk is None:
                    break
                timeout, phase, setting = timeouts.idle, "in the middle of the reply", "idle"
                end = chunk.rfind(b"\n")
                if end < 0:  # no line ends in this chunk
                    if not isinstance(pending, bytearray):
                        pending = bytearray(pending)  # grows in place: no quadratic copying
                    pending += chunk
                    if len(pending) > limit:
                        raise self._too_long(limit)
                    continue
                # One decode and one split per chunk: complete lines only (a
                # UTF-8 sequence never contains a newline byte, so cutting at one
                # never splits a character).
                complete = pending + chunk[:end] if pending else chunk[:end]
                pending = chunk[end + 1:]
                if len(complete) > limit and any(len(line) > limit
                                                 for line in complete.split(b"\n")):
                    raise self._too_long(limit)
                if len(pending) > limit:
                    raise self._too_long(limit)
                text = self._decode(complete, len(complete))
                if "\r" in text:
                    for line in text.split("\n"):
                        yield line.rstrip("\r")
                else:
                    for line in text.split("\n"):
                        yield line
            if pending:
                yield self._decode(pending, limit).rstrip("\r")
        finally:
            try:
                await close_body(response, chunks)
            finally:
                deadline.close()

    def _too_long(self, limit: int) -> ProviderError:
        return ProviderError("protocol", f"{self.label} sent a line longer than "
                             f"{limit // (1024 * 1024)} MB")

    def _decode(self, line: bytes, limit: int) -> str:
        if len(line) > limit:
            raise self._too_long(limit)
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProviderError("protocol", f"{self.label} sent text that is not valid "
                                "UTF-8") from exc
