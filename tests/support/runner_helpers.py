"""Helpers for agent-runner tests: a provider that plays one script per request,
and small tools whose start and end times are recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from app.core.tools.base import ApprovalPolicy, Tool, ToolContext, ToolError, ToolRegistry
from app.domain import ChatRequest, Done, ProviderConfig, ToolCall
from tests.support.scripted_providers import ScriptedProvider


class RoundsProvider(ScriptedProvider):
    """Request N plays ``rounds[N]`` (the last one again once they run out)."""

    def __init__(self, config: ProviderConfig, rounds: Sequence[Iterable[Any]]) -> None:
        super().__init__(config)
        self.rounds = [list(r) for r in rounds]

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[Any]:
        self.script = self.rounds[min(len(self.requests), len(self.rounds) - 1)]
        async for event in super().stream_chat(request):
            yield event


def calls(*specs: tuple[str, str, Any]) -> list[Any]:
    """A round that asks for tools: (call id, name, arguments) each, then Done."""
    return [*(ToolCall(call_id=c, name=n, arguments=a) for c, n, a in specs),
            Done(stop_reason="tool_calls")]


class SlowTool(Tool):
    """Sleeps ``seconds`` (or until ``release`` is set); records when it ran."""

    def __init__(self, name: str, seconds: float = 0.0, *, policy: ApprovalPolicy = "auto",
                 release: asyncio.Event | None = None, result: str | None = None,
                 fail: str | None = None) -> None:
        self.name = name
        self.description = f"test tool {name}"
        self.parameters = {"type": "object", "properties": {"x": {"type": "integer"}}}
        self.policy = policy
        self.seconds = seconds
        self.release = release
        self.result = result
        self.fail = fail
        self.started: list[float] = []
        self.ended: list[float] = []
        self.cancelled = 0
        self.contexts: list[ToolContext] = []
        self.arguments: list[dict] = []

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        loop = asyncio.get_running_loop()
        self.started.append(loop.time())
        self.contexts.append(context)
        self.arguments.append(arguments)
        try:
            if self.release is not None:
                await self.release.wait()
            elif self.seconds:
                await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.ended.append(loop.time())
        if self.fail:
            raise ToolError(self.fail)
        return self.result if self.result is not None else f"{self.name} says {arguments}"


def registry(*tools: Tool) -> ToolRegistry:
    reg = ToolRegistry()
    for tool_ in tools:
        reg.register(tool_)
    return reg
