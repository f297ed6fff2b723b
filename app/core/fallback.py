"""Fallback: stream a request through the route's candidates in order.

* A failure before the first token (text, thinking or tool call) moves on to
  the next candidate. Retryable failures (``Error.retryable``, or unreachable,
  rate limited, timeout) are what fallback is for; non-retryable ones (auth,
  not found, context length, protocol) move on too — the user asked for a
  fallback — and each is recorded.
* Once any token has arrived the request is never re-sent anywhere: an error
  ends the reply, and what arrived is kept by the caller.
* Events other than tokens (usage) that come before the first token are held
  back, so nothing of a failed candidate reaches the caller — except
  ``Status`` (the engine is loading, or busy), passed on at once: it is what
  the user sees while waiting, and records nothing.
* If every candidate fails, the last error ends the stream, its message
  followed by a summary of all attempts.

Besides the run events, the stream yields one ``Attempt`` per candidate
tried: when it failed before any token, or when its first token arrived (it
is answering). The same objects are kept on ``FallbackStream.attempts``; the
answering one is updated if it fails later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import asdict, dataclass
from typing import Any, Literal, assert_never

from app.core.routing import Candidate
from app.core.secrets import SecretError
from app.domain import (ChatRequest, Done, Error, ProviderConfig, RunEvent, Status,
                        TextDelta, ThinkingDelta, ToolCall, ToolResult, Usage)
from app.providers.base import ChatProvider, ProviderError

log = logging.getLogger(__name__)

_RETRYABLE_KINDS = frozenset({"unreachable", "rate_limited", "timeout"})

ProviderSource = Callable[[ProviderConfig], ChatProvider]
#: Adapts the request to one candidate just before it is asked (e.g. images
#: left out for a model without vision, app/core/attachments/agent_vision.py).
PrepareFn = Callable[[Candidate, ChatRequest], Awaitable[ChatRequest]]


def is_retryable(error: Error) -> bool:
    return error.retryable or error.kind in _RETRYABLE_KINDS


@dataclass
class Attempt:
    """One candidate tried: who, and how it went."""

    type: Literal["attempt"]
    provider: str
    model: str
    local: bool
    outcome: Literal["answered", "failed"]
    error_kind: str | None = None
    error: str | None = None
    retryable: bool | None = None
    after_tokens: bool = False          # the error came after tokens (reply cut short)
    elapsed_ms: float | None = None     # until the first token or the failure

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"

    def to_meta(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("type")
        return data


class FallbackStream:
    """One request through an ordered list of candidates.

    ``providers`` gives the provider object for a configuration; the caller
    owns those objects (see ``ProviderPool``).
    """

    def __init__(self, candidates: Sequence[Candidate], request: ChatRequest,
                 providers: ProviderSource, prepare: PrepareFn | None = None) -> None:
        self.candidates = list(candidates)
        self.request = request
        self._providers = providers
        self._prepare = prepare
        self.attempts: list[Attempt] = []

    @property
    def answered_by(self) -> Attempt | None:
        return next((a for a in self.attempts if a.outcome == "answered"), None)

    async def events(self) -> AsyncIterator[RunEvent | Attempt]:
        last_error: Error | None = None
        for candidate in self.candidates:
            held: list[RunEvent] = []
            attempt: Attempt | None = None      # set once this candidate answers
            started = time.monotonic()
            failure: Error | None = None
            async with aclosing(self._stream(candidate)) as stream:
                async for event in stream:
                    match event:
                        case Status():            # the user sees it while waiting
                            yield event
                        case Error() if attempt is None:
                            failure = event       # before any token: try the next
                            break
                        case Error():
                            attempt.error_kind, attempt.error = event.kind, event.message
                            attempt.retryable = is_retryable(event)
                            attempt.after_tokens = True
                            yield event
                            return
                        case Usage() | ToolResult() if attempt is None:
                            held.append(event)    # shown only if this one answers
                        case TextDelta() | ThinkingDelta() | ToolCall() if attempt is None:
                            # The first token: this candidate answers.
                            attempt = self._record(candidate, "answered", started)
                            for out in (attempt, *held, event):
                                yield out
                            held.clear()
                        case Done():
                            if attempt is None:   # an empty reply answers too
                                attempt = self._record(candidate, "answered", started)
                                for out in (attempt, *held):
                                    yield out
                            yield event
                            return
                        case TextDelta() | ThinkingDelta() | ToolCall() | Usage() | ToolResult():
                            yield event
                        case _:
                            assert_never(event)
            if attempt is not None:
                # The stream ended after tokens without Done or Error.
                message = f"{candidate.label} ended its reply without finishing it"
                attempt.error_kind, attempt.error, attempt.after_tokens = "protocol", message, True
                yield Error(kind="protocol", message=message)
                return
            if failure is None:
                failure = Error(kind="protocol",
                                message=f"{candidate.label} ended the stream without a reply")
            failed = self._record(candidate, "failed", started, failure)
            log.info("candidate %s failed before any token: %s (%s)", candidate.label,
                     failure.kind, failure.message)
            yield failed
            last_error = failure
        yield self._final_error(last_error)

    async def _stream(self, candidate: Candidate) -> AsyncIterator[RunEvent]:
        """The candidate's events; failures to even start become an Error event."""
        try:
            provider = self._providers(candidate.provider)
        except SecretError as exc:
            yield Error(kind="auth", message=f"{candidate.provider.name}: {exc}")
            return
        request = self.request.model_copy(update={"model": candidate.model})
        try:
            if self._prepare is not None:
                request = await self._prepare(candidate, request)
            async with aclosing(provider.stream_chat(request)) as stream:
                async for event in stream:
                    yield event
        except ProviderError as exc:
            yield exc.to_event()
        except Exception as exc:  # noqa: BLE001 — a provider bug must not end the fallback
            log.exception("provider %s raised instead of yielding an error", candidate.label)
            yield Error(kind="protocol",
                        message=f"{candidate.label} failed: {type(exc).__name__}: {exc}")

    def _record(self, candidate: Candidate, outcome: Literal["answered", "failed"],
                started: float, error: Error | None = None) -> Attempt:
        attempt = Attempt(
            type="attempt", provider=candidate.provider.name, model=candidate.model,
            local=candidate.is_local, outcome=outcome,
            error_kind=error.kind if error else None, error=error.message if error else None,
            retryable=is_retryable(error) if error else None,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1))
        self.attempts.append(attempt)
        return attempt

    def _final_error(self, last: Error | None) -> Error:
        if last is None:
            return Error(kind="not_found",
                         message="no provider may take this request (see the routing reasons)")
        if len(self.attempts) == 1:
            message = f"{self.attempts[0].label}: {last.message}"
        else:
            tried = "; ".join(f"{a.label}: {a.error_kind} — {a.error}" for a in self.attempts)
            message = f"{last.message} (all {len(self.attempts)} candidates failed: {tried})"
        return Error(kind=last.kind, retryable=False, retry_after=last.retry_after,
                     message=message)


class ProviderPool:
    """Provider objects by configuration name, built on first use, closed together.

    A long-lived pool (the local API keeps one for as long as it serves, so
    its requests share HTTP connections) may be asked for a provider whose
    settings were edited meanwhile: it then builds a new one for that name.
    The old one may still be streaming another request's reply, so it is only
    retired and closed with the pool."""

    def __init__(self, factory: ProviderSource) -> None:
        self._factory = factory
        self._built: dict[str, tuple[dict[str, Any], ChatProvider]] = {}
        self._retired: list[ChatProvider] = []

    def __call__(self, config: ProviderConfig) -> ChatProvider:
        key = config.name.lower()
        settings = config.model_dump(exclude={"name"})    # names ignore case
        built = self._built.get(key)
        if built is not None and built[0] == settings:
            return built[1]
        if built is not None:
            self._retired.append(built[1])
        provider = self._factory(config)
        self._built[key] = (settings, provider)
        return provider

    async def aclose(self) -> None:
        built = [provider for _settings, provider in self._built.values()] + self._retired
        self._built, self._retired = {}, []
        for provider in built:
            try:
                await provider.aclose()
            except Exception as exc:  # noqa: BLE001 — closing the others matters more
                log.warning("closing provider %s failed: %s", provider.name, exc)
