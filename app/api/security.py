"""The guard in front of every route (plain ASGI, so streamed replies pass
through untouched): Host check (DNS rebinding, 421), body size (413), bearer
token (401; /health is open), per-token rate limit (429 with Retry-After).
CORS preflights from origins that are not listed are refused here (403, no
allow headers). It also counts finished requests for the host (ApiContext.counted)."""

from __future__ import annotations

import hmac
import json
import math
import time
from collections import deque

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.context import ApiContext
from app.api.errors import error_body

#: Paths that answer without a token.
OPEN_PATHS = frozenset({"/health"})
#: The rate limit's window.
WINDOW_SECONDS = 60.0


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTPExceptions raised while it
    reads the body on to the handlers (errors.py: the envelope, 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


def host_name(header: str) -> str:
    """The name part of a Host header: ``[::1]:8765`` -> ``::1``, ``a:80`` -> ``a``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class RateLimiter:
    """At most ``limit`` requests per token in any ``WINDOW_SECONDS``."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, key: str, limit: int) -> int:
        """0 when the request may go ahead (it is counted), else the seconds to wait."""
        now = self._clock()
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - WINDOW_SECONDS:
            seen.popleft()
        if len(seen) >= limit:
            return max(1, math.ceil(seen[0] + WINDOW_SECONDS - now))
        seen.append(now)
        return 0


class Guard:
    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self.context = context
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                self.context.counted(message["status"])   # before the client has it
            await send(message)

        try:
            await self._guarded(scope, receive, counting_send, status)
        finally:
            if not status.get("started"):
                self.context.counted(status["code"])

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, status: dict) -> None:
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        allowed = {name.lower() for name in self.context.hosts}
        if host_name(headers.get("host", "")) not in allowed:
            await _refuse(send, path, 421, "wrong_host",
                          "this server does not answer to that host name",
                          "call it as http://127.0.0.1:PORT (or the address it was started on)")
            return
        if scope.get("method") == "OPTIONS" and "origin" in headers:
            if not self._origin_listed(headers["origin"]):
                # Refused here, not by the CORS middleware, whose refusal still
                # carries Access-Control-Allow-Methods/-Headers (found by
                # tests/reliability/test_local_api_abuse.py): no allow header at all.
                await _refuse(send, path, 403, "origin_not_allowed",
                              "this origin is not allowed to call the API",
                              "list the origin under the API's allowed origins in Settings")
                return
            await self.app(scope, receive, send)     # CORS preflight of a listed origin
            return
        limit = self.context.limits.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, path, 413, "body_too_large",
                          f"the request body is over {limit} bytes",
                          "send a shorter message")
            return
        if path not in OPEN_PATHS:
            given = headers.get("authorization", "")
            scheme, _, token = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                    token.strip().encode(), self.context.token.encode()):
                await _refuse(send, path, 401, "unauthorized",
                              "a valid bearer token is required",
                              "send 'Authorization: Bearer TOKEN' with the token shown "
                              "by 'agentdesk serve' or in Settings",
                              {"www-authenticate": "Bearer"})
                return
            wait = self.limiter.retry_after(self.context.token,
                                            self.context.limits.requests_per_minute)
            if wait:
                await _refuse(send, path, 429, "rate_limited",
                              "too many requests for this token",
                              f"wait {wait} seconds", {"retry-after": str(wait)})
                return
        try:
            await self.app(scope, _bounded(receive, limit), send)
        except _BodyTooLarge:
            if status.get("started"):
                raise
            await _refuse(send, path, 413, "body_too_large",
                          f"the request body is over {limit} bytes", "send a shorter message")


    def _origin_listed(self, origin: str) -> bool:
        listed = self.context.allowed_origins
        return "*" in listed or origin in listed


def _bounded(receive: Receive, limit: int) -> Receive:
    """``receive`` that fails once the body passes ``limit`` bytes (chunked bodies)."""
    total = 0

    async def bounded() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise _BodyTooLarge(limit)
        return message
    return bounded


async def _refuse(send: Send, path: str, status: int, code: str, message: str,
                  remediation: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(path, status, code, message, None, remediation)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
