"""Helpers for workflow tests: agents on scripted providers (one provider per
agent, so each agent's requests and order are seen), a real database file
with the agents and the workflow, and a run collected or stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain import AgentSpec, ChatRequest
from app.domain.workflow import StepEnd, StepEvent, StepStart, WorkflowEnd, WorkflowSpec
from app.ops import workflows as workflow_ops
from app.settings import AppSettings
from app.store import AsyncStore, Store
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import config, source


class LoggedProvider(RoundsProvider):
    """A RoundsProvider that notes (agent, the request's last message) in a
    shared log when each request starts."""

    def __init__(self, agent: str, log: list[tuple[str, str]],
                 rounds: Sequence[Iterable[Any]], *, local: bool = True) -> None:
        super().__init__(config(f"p-{agent.lower()}", local=local), rounds)
        self.agent = agent
        self.log = log

    async def stream_chat(self, request: ChatRequest):
        self.log.append((self.agent, request.messages[-1].content))
        async for event in super().stream_chat(request):
            yield event


@dataclass
class Cast:
    """The agents of a test and their providers."""

    log: list[tuple[str, str]] = field(default_factory=list)
    providers: dict[str, LoggedProvider] = field(default_factory=dict)
    agents: list[AgentSpec] = field(default_factory=list)

    def add(self, name: str, *rounds: Iterable[Any], local: bool = True,
            local_only: bool = False, **extra: Any) -> LoggedProvider:
        provider = LoggedProvider(name, self.log, list(rounds) or [[]], local=local)
        self.providers[provider.config.name] = provider
        self.agents.append(AgentSpec(name=name, provider=provider.config.name,
                                     model=f"model-{name.lower()}", local_only=local_only,
                                     system_prompt=f"You are {name}.", **extra))
        return provider

    def order(self) -> list[str]:
        return [agent for agent, _text in self.log]


@dataclass
class WorkflowSetup:
    store: AsyncStore
    path: Path
    settings: AppSettings
    spec: WorkflowSpec


def seed_workflow(store: Store, cast: Cast, spec: WorkflowSpec) -> WorkflowSpec:
    """The cast's providers and agents, and ``spec``, into ``store``."""
    for provider in cast.providers.values():
        store.providers.create(provider.config)
    for agent in cast.agents:
        store.agents.create(agent)
    return workflow_ops.create(store, spec)


def run_workflow_test(tmp_path: Path, cast: Cast, spec: WorkflowSpec, body) -> Any:
    """A fresh database with the cast's providers and agents and ``spec``;
    ``await body(setup)`` on an event loop; the store closed."""

    async def main() -> Any:
        path = tmp_path / "agentdesk.db"
        store = await AsyncStore.open(path)
        try:
            created = await store.run(lambda s: seed_workflow(s, cast, spec))
            settings = AppSettings(stream_flush_seconds=0.05, home=tmp_path)
            return await body(WorkflowSetup(store, path, settings, created))
        finally:
            await store.close()

    return asyncio.run(main())


async def start(setup: WorkflowSetup, cast: Cast, question: str):
    """Prepare the run (its checks, its conversation) and return (prepared, events)."""
    prepared = await setup.store.run(
        lambda s: workflow_ops.prepare_run(s, setup.spec, question))
    events = workflow_ops.run(setup.store, setup.settings, prepared,
                              providers=source(cast.providers))
    return prepared, events


async def collect_run(setup: WorkflowSetup, cast: Cast, question: str):
    prepared, events = await start(setup, cast, question)
    return prepared, [event async for event in events]


async def stop_when(setup: WorkflowSetup, cast: Cast, question: str,
                    ready: asyncio.Event) -> tuple[Any, list[Any]]:
    """Consume a run in a task and cancel that task (Stop) once ``ready``."""
    prepared, events = await start(setup, cast, question)
    seen: list[Any] = []

    async def consume() -> None:
        async for event in events:
            seen.append(event)

    task = asyncio.create_task(consume())
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiter], timeout=20, return_when=asyncio.FIRST_COMPLETED)
    assert ready.is_set(), "the moment to stop never came"
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    waiter.cancel()
    return prepared, seen


def kinds(events: Sequence[Any]) -> list[str]:
    """Step starts/ends and the end, as 'start:A', 'end:A:complete', 'end'."""
    out = []
    for event in events:
        match event:
            case StepStart():
                out.append(f"start:{event.agent}")
            case StepEnd():
                out.append(f"end:{event.agent}:{event.status}")
            case WorkflowEnd():
                out.append(f"workflow:{event.status}")
            case StepEvent():
                pass
    return out
