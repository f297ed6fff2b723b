"""Soak through the runner (issue 21): hundreds of consecutive turns against
the real llama.cpp server (Gemma 3 270M, replies of a few tokens), each run the
way ``agentdesk chat`` runs it (app/commands/chat.py: an AgentRunner with its
own provider pool, built and closed per turn, events read to the end), in one
long-lived process. After a warm-up, resident memory may grow at most 20 MB;
open file descriptors, sockets and live asyncio tasks must not grow; every
question and reply is stored (losses = sent but not stored).

    AGENTDESK_SOAK_TURNS=N          # measured turns (default 500)
    AGENTDESK_RELIABILITY_LONG=1    # 2000

The window's soak is test_soak_window.py; the figures: docs/RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, Done, Error
from app.ops import chats
from app.settings import AppSettings, load_settings
from app.store import AsyncStore
from tests.reliability.soak_support import (
    TURNS_PER_CHAT,
    WARM_UP_TURNS,
    Probe,
    check_and_record,
    question,
    seed,
    soak_turns,
)


async def runner_turn(store: AsyncStore, settings: AppSettings, agent: AgentSpec,
                      conversation_id: int, text: str) -> Error | None:
    """One turn as app/commands/chat.py runs it; the turn's Error, if any."""
    runner = AgentRunner(RunnerDeps(store, settings), RunConfig(agent, conversation_id, text))
    outcome: Error | None = None
    async for event in runner.events():
        if isinstance(event, Error):
            outcome = event
        elif isinstance(event, Done):
            outcome = None
    return outcome


@pytest.mark.timeout(3600)     # 500+ real turns on a loaded 2-core machine
def test_runner_soak_keeps_memory_descriptors_and_tasks_flat(tmp_path, llama_server) -> None:
    turns = soak_turns(500, 2000)
    settings = load_settings(tmp_path)
    agent = seed(settings.database_path, llama_server.base_url)
    sent: list[str] = []
    errors: list[str] = []

    async def soak() -> tuple[Probe, Probe, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        store = await AsyncStore.open(settings.database_path)
        baseline: Probe | None = None
        conversation_id = 0
        try:
            for turn in range(WARM_UP_TURNS + turns):
                text = question(turn)
                if turn % TURNS_PER_CHAT == 0:
                    conversation_id = (await store.run(partial(
                        chats.start, agent_id=agent.id, first_message=text))).id
                if turn == WARM_UP_TURNS:
                    baseline = Probe.read(loop)
                sent.append(text)
                error = await runner_turn(store, settings, agent, conversation_id, text)
                if error is not None:
                    errors.append(f"turn {turn}: {error.message}")
            assert baseline is not None
            return baseline, Probe.read(loop), loop.time() - started
        finally:
            await store.close()

    baseline, end, seconds = asyncio.run(soak())
    assert not errors, errors[:3]
    check_and_record("runner", turns, baseline, end, settings.database_path, sent, seconds)
