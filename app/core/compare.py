"""Compare: one message to several agents or models at once (issue 19).

A ``CompareRun`` sends the same user message to each ``CompareColumn`` (an
agent, or an agent on another provider/model) concurrently and merges their
run events into one stream of ``ColumnEvent``s, each tagged with its column,
in the order they arrive: the columns stream together. Each column goes
through the agent's route and fallback chain (app/core/routing.py,
fallback.py) like a chat turn — local-only and privacy rules hold — but
without history and without tools: a compare is a fresh question, and tools
that ask first cannot be approved in several columns at once.

Per column the run keeps a ``ColumnOutcome`` (text, status, who answered,
metrics). Metrics are the provider's when it reports them (time to first
token, tokens/s, completion tokens), else measured here: time from the
column's start to its first token, text deltas counted as tokens, tokens over
the time since the first token. The provider's ``Usage`` is folded into the
outcome; each column ends with exactly one ``Usage`` (the merged metrics)
followed by one ``Done`` or ``Error``.

A failing column ends with its ``Error``; the others go on. ``stop()`` stops
every column: each ends ``Done(stop_reason="cancelled")`` with what it had.
Closing the event stream early stops them too. Nothing is written while a
compare runs; ``app/ops/compare.keep`` records the chosen answer (and the
others as its other versions) afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal, assert_never

from app.core.fallback import Attempt, FallbackStream, ProviderPool, ProviderSource
from app.core.routing import RequestFacts, plan_route
from app.core.turn_inputs import build_request, default_provider_pool, discover_models
from app.core.wording import usage_words
from app.domain import (AgentSpec, ChatMessage, Done, Error, ProviderConfig, RunEvent, Status,
                        TextDelta, ThinkingDelta, ToolCall, ToolResult, Usage, UsageStats)
from app.settings import AppSettings

log = logging.getLogger(__name__)

#: Most columns a compare takes (the window and the CLI alike).
MAX_COLUMNS = 4
ColumnStatus = Literal["waiting", "streaming", "complete", "error", "cancelled"]


@dataclass(frozen=True)
class CompareColumn:
    """One column: ``agent`` as stored, optionally on another ``provider``/``model``."""

    agent: AgentSpec
    provider: str | None = None
    model: str | None = None

    @property
    def overrides_model(self) -> bool:
        return self.model is not None and (self.provider, self.model) != (
            self.agent.provider, self.agent.model)

    @property
    def run_agent(self) -> AgentSpec:
        """The agent the column runs: on the column's model only (no fallbacks)
        when it names one."""
        if not self.overrides_model:
            return self.agent
        return self.agent.model_copy(update={"provider": self.provider, "model": self.model,
                                             "fallbacks": []})

    @property
    def label(self) -> str:
        if self.overrides_model:
            return f"{self.agent.name} · {self.provider}:{self.model}"
        return self.agent.name


@dataclass(frozen=True)
class ColumnEvent:
    """A run event of one column (``Attempt``: which provider/model answers)."""

    column: int
    event: RunEvent | Attempt


@dataclass
class ColumnOutcome:
    """What one column produced so far (final once its Done/Error went out)."""

    column: CompareColumn
    text: str = ""
    status: ColumnStatus = "waiting"
    error: str | None = None
    stop_reason: str | None = None
    provider: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    deltas: int = 0
    started: float = field(default_factory=time.monotonic)
    first_token: float | None = None
    ended: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("complete", "error", "cancelled")

    @property
    def duration_ms(self) -> float | None:
        return None if self.ended is None else round((self.ended - self.started) * 1000, 1)

    def usage(self) -> UsageStats:
        """The column's metrics: the provider's figures, else measured here."""
        tokens = self.completion_tokens if self.completion_tokens is not None \
            else (self.deltas or None)
        ttft = self.ttft_ms
        if ttft is None and self.first_token is not None:
            ttft = round((self.first_token - self.started) * 1000, 1)
        rate = self.tokens_per_s
        if rate is None and tokens and self.first_token is not None:
            end = self.ended if self.ended is not None else time.monotonic()
            if end > self.first_token:
                rate = round(tokens / (end - self.first_token), 2)
        return UsageStats(prompt_tokens=self.prompt_tokens, completion_tokens=tokens,
                          ttft_ms=ttft, tokens_per_s=rate)

    def take(self, event: RunEvent | Attempt) -> list[RunEvent | Attempt]:
        """Fold one event in; the events to pass on (Usage is held for the end)."""
        match event:
            case Attempt():
                if event.outcome == "answered":
                    self.provider, self.model = event.provider, event.model
                return [event]
            case TextDelta():
                if self.first_token is None:
                    self.first_token = time.monotonic()
                self.status = "streaming"
                self.text += event.text
                self.deltas += 1
                return [event]
            case ThinkingDelta():
                if self.first_token is None:
                    self.first_token = time.monotonic()
                self.status = "streaming"
                return [event]
            case Usage():
                self.prompt_tokens = event.prompt_tokens
                self.completion_tokens = event.completion_tokens
                self.ttft_ms = event.ttft_ms
                self.tokens_per_s = event.tokens_per_s
                return []
            case Done():
                self.stop_reason = event.stop_reason
                return self._end("cancelled" if event.stop_reason == "cancelled"
                                 else "complete", event)
            case Error():
                self.error = event.message
                return self._end("error", event)
            case Status() | ToolCall() | ToolResult():
                return [event]
            case _:
                assert_never(event)

    def cancel(self) -> list[RunEvent | Attempt]:
        self.stop_reason = "cancelled"
        return self._end("cancelled", Done(stop_reason="cancelled"))

    def _end(self, status: ColumnStatus, last: Done | Error) -> list[RunEvent | Attempt]:
        self.ended = time.monotonic()
        self.status = status
        stats = self.usage()
        return [Usage(**stats.model_dump()), last]


def column_request(agent: AgentSpec, message: str):
    """The request a column sends: the agent's system prompt and the message,
    with its sampling settings; no history, no tools."""
    request = build_request(agent, [])
    return request.model_copy(update={
        "messages": [*request.messages, ChatMessage(role="user", content=message)]})


_END = object()


class CompareRun:
    """One message to every column at once; iterate ``events()`` once.

    ``configs``: the stored providers; ``providers`` gives provider objects
    (default: a pool of its own, closed at the end).
    """

    def __init__(self, columns: Sequence[CompareColumn], message: str,
                 configs: Sequence[ProviderConfig], settings: AppSettings, *,
                 providers: ProviderSource | None = None) -> None:
        if not columns:
            raise ValueError("a compare needs at least one column")
        self.message = message
        self.columns = list(columns)
        self.outcomes = [ColumnOutcome(column) for column in self.columns]
        self._configs = list(configs)
        self._settings = settings
        self._own_pool = providers is None
        self._providers: ProviderSource = providers or default_provider_pool(settings)
        self._tasks: list[asyncio.Task] = []

    def stop(self) -> None:
        """Stop every column still running (each ends cancelled with its text)."""
        for task in self._tasks:
            task.cancel()

    async def events(self) -> AsyncIterator[ColumnEvent]:
        queue: asyncio.Queue = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._column(index, queue))
                       for index in range(len(self.columns))]
        remaining = len(self._tasks)
        try:
            while remaining:
                item = await queue.get()
                if item is _END:
                    remaining -= 1
                    continue
                yield item
        finally:
            self.stop()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._own_pool and isinstance(self._providers, ProviderPool):
                await self._providers.aclose()

    async def _column(self, index: int, queue: asyncio.Queue) -> None:
        outcome = self.outcomes[index]

        def put(events: list[RunEvent | Attempt]) -> None:
            for event in events:
                queue.put_nowait(ColumnEvent(index, event))

        try:
            async with aclosing(self._stream(outcome.column)) as stream:
                async for event in stream:
                    put(outcome.take(event))
                    if outcome.finished:
                        break
            if not outcome.finished:
                put(outcome.take(Error(kind="protocol",
                                       message="the reply ended without finishing")))
        except asyncio.CancelledError:
            if not outcome.finished:
                put(outcome.cancel())
        except Exception as exc:  # noqa: BLE001 — one broken column must not end the others
            log.exception("compare column %s failed", outcome.column.label)
            if not outcome.finished:
                put(outcome.take(Error(kind="protocol",
                                       message=f"{type(exc).__name__}: {exc}")))
        finally:
            queue.put_nowait(_END)

    async def _stream(self, column: CompareColumn) -> AsyncIterator[RunEvent | Attempt]:
        agent = column.run_agent
        request = column_request(agent, self.message)
        notes: list[str] = []
        models = await discover_models(agent, self._settings, self._configs,
                                       self._providers, notes)
        plan = plan_route(agent, self._configs, RequestFacts.from_request(request),
                          self._settings, models=models)
        if not plan.candidates:
            reasons = "; ".join([*plan.reasons[-2:], *notes]) or "no provider"
            yield Error(kind="not_found", message=f"{column.label}: nothing to send the "
                                                  f"message to ({reasons})")
            return
        stream = FallbackStream(plan.candidates, request, self._providers)
        async with aclosing(stream.events()) as events:
            async for event in events:
                yield event


def metrics_text(outcome: ColumnOutcome) -> str:
    """A column's metrics in words ("42 tokens · 31.5 tok/s · first token 210 ms ·
    1.6 s"), the same in the window's columns and the CLI's sections."""
    parts = usage_words(outcome.usage())
    if outcome.duration_ms is not None:
        parts.append(f"{outcome.duration_ms / 1000:.1f} s")
    if outcome.status == "cancelled":
        parts.append("stopped")
    elif outcome.status == "error":
        parts.append("failed")
    return " · ".join(parts)
