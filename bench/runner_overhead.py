"""The agent runner's own time per turn, model time excluded, as history grows.

For conversations of 10, 1,000 and 10,000 messages in a real SQLite file, runs
whole turns through ``AgentRunner`` (record the user message, load and trim
the history, route, stream, record the reply) against a scripted provider that
streams a fixed reply at once — so everything measured is the runner's work
and the database's, not a model's. The two messages each turn adds are deleted
after it (outside the timed part), so every turn sees the same history size.

Prints per-size median / p95 milliseconds per turn, how many stored messages
the history loading read, and the ratio of the 10,000-message median to the
10-message one (goal: at most 1.5). Exit status 0 when the goal is met.

The first turn of each conversation is also shown on its own ("first turn"):
it finds no converted turns in the store's ``HistoryCache`` and reads the
window from the database; later turns read only what was added since.

    .venv/bin/python bench/runner_overhead.py [--turns 30] [--sizes 10 1000 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.runner import AgentRunner, RunConfig, RunnerDeps  # noqa: E402
from app.domain import (AgentSpec, ChatRequest, Done, Message, ModelInfo,  # noqa: E402
                        ProbeResult, ProviderConfig, TextDelta, Usage)
from app.providers.base import ChatProvider  # noqa: E402
from app.settings import AppSettings  # noqa: E402
from app.store import AsyncStore, Store  # noqa: E402

GOAL_RATIO = 1.5
REPLY_TOKENS = 40
WORDS = ("the model reads a file and writes code while the user asks about data "
         "tests run quickly when history loading stays flat error value function").split()


class InstantProvider(ChatProvider):
    """Streams a fixed reply without waiting: the model costs nothing."""

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator:
        for index in range(REPLY_TOKENS):
            yield TextDelta(text=f"word{index} ")
        yield Usage(prompt_tokens=100, completion_tokens=REPLY_TOKENS)
        yield Done(stop_reason="stop")

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def probe(self) -> ProbeResult:
        return ProbeResult()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def seed(path: Path, sizes: list[int]) -> tuple[AgentSpec, dict[int, int]]:
    """One agent, one conversation per size: alternating user (~25 words) and
    assistant (~70 words) messages, written in one transaction each."""
    rng = random.Random(7)
    store = Store(path)
    try:
        store.providers.create(ProviderConfig(name="instant", kind="llamacpp",
                                              base_url="http://instant.invalid/v1",
                                              is_local=True))
        agent = store.agents.create(AgentSpec(name="bench", provider="instant", model="m",
                                              system_prompt="You are helpful.",
                                              max_tokens=512))
        conversations = {}
        for size in sizes:
            conversation = store.conversations.create(agent.id, f"{size} messages")
            with store.db.atomic():
                for index in range(size):
                    role = "user" if index % 2 == 0 else "assistant"
                    store.messages.add(Message(
                        conversation_id=conversation.id, role=role,
                        content=text(rng, 25 if role == "user" else 70)))
            conversations[size] = conversation.id
        return agent, conversations
    finally:
        store.close()


async def one_turn(store: AsyncStore, settings: AppSettings, provider: ChatProvider,
                   agent: AgentSpec, conversation_id: int, number: int) -> tuple[float, int]:
    """One timed turn; the two messages it added are deleted afterwards."""
    runner = AgentRunner(
        RunnerDeps(store, settings, providers=lambda config: provider, models=[]),
        RunConfig(agent, conversation_id,
                  f"question number {number}: {text(random.Random(number), 20)}"))
    started = time.perf_counter()
    result = await runner.run()
    elapsed = (time.perf_counter() - started) * 1000
    assert result.final is not None and result.final.status == "complete"
    assert result.user_message is not None
    added = [result.user_message.id, result.final.id]
    await store.run(lambda s: [s.messages.delete(i) for i in added])
    return elapsed, result.window.messages_read if result.window else 0


async def measure(path: Path, agent: AgentSpec, conversations: dict[int, int], turns: int,
                  warmup: int) -> tuple[dict[int, list[float]], dict[int, int],
                                        dict[int, tuple[float, int]]]:
    """Turns interleaved across the sizes (10, 1,000, 10,000, 10, …), so a load
    spike from other processes hits every size alike."""
    settings = AppSettings(home=path.parent)
    provider = InstantProvider(ProviderConfig(name="instant", kind="llamacpp",
                                              base_url="http://instant.invalid/v1"))
    store = await AsyncStore.open(path)
    times: dict[int, list[float]] = {size: [] for size in conversations}
    read: dict[int, int] = {}
    first: dict[int, tuple[float, int]] = {}
    try:
        for number in range(warmup + turns):
            for size, conversation_id in conversations.items():
                elapsed, read[size] = await one_turn(store, settings, provider, agent,
                                                     conversation_id, number)
                if number == 0:
                    first[size] = (elapsed, read[size])
                if number >= warmup:
                    times[size].append(elapsed)
    finally:
        await store.close()
    return times, read, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60, help="timed turns per size")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agentdesk.db"
        started = time.perf_counter()
        agent, conversations = seed(path, args.sizes)
        print(f"seeded {sum(args.sizes):,} messages in {time.perf_counter() - started:.1f} s "
              f"(default context {AppSettings().runner.context_tokens} tokens)")
        times, read, first = asyncio.run(measure(path, agent, conversations, args.turns,
                                                 args.warmup))
    medians: dict[int, float] = {}
    print(f"{'messages':>9} {'median ms':>10} {'p95 ms':>8} {'min ms':>8} "
          f"{'history read':>13} {'first turn ms':>14} {'first read':>11}")
    for size in args.sizes:
        values = sorted(times[size])
        medians[size] = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{size:>9,} {medians[size]:>10.2f} {p95:>8.2f} {values[0]:>8.2f} "
              f"{read[size]:>13,} {first[size][0]:>14.2f} {first[size][1]:>11,}")
    small, large = min(args.sizes), max(args.sizes)
    ratio = medians[large] / medians[small]
    met = ratio <= GOAL_RATIO
    print(f"ratio {large:,}/{small:,}: {ratio:.2f}x (goal <= {GOAL_RATIO}x): "
          f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
