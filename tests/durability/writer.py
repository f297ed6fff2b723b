"""A writer process for the durability tests; its parent kills it with SIGKILL.

Usage: ``python writer.py DB_PATH [--mode stream|die-after-user] [--seed N]``

It opens the real store through ``AsyncStore`` under asyncio and records
conversations through ``ConversationRecorder``, printing (and flushing) one line
to stdout *after* each commit it wants to prove:

    READY                      the store is open
    U <id> <nonce>             a user message was committed (text = user_text(nonce))
    S <id> <nonce>             a streaming reply was inserted (text grows as reply_text(nonce))
    F <id> <length>            a flush of that reply was committed with <length> chars
    C <id> <length>            the reply was finalised ``complete`` with <length> chars

``die-after-user`` records one user message, prints its ``U`` line, and then kills
itself with SIGKILL at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys

from app.core.recorder import ConversationRecorder
from app.domain import AgentSpec, UsageStats
from app.store import AsyncStore

AGENT_NAME = "durability writer"
FLUSH_INTERVAL = 0.02
TOKEN_PAUSE = 0.001


def user_text(nonce: str) -> str:
    return f"user message {nonce}: " + "how does durability work? " * 3


def reply_token(nonce: str, index: int) -> str:
    return f"{nonce}/{index:05d} "


def reply_text(nonce: str, tokens: int) -> str:
    return "".join(reply_token(nonce, i) for i in range(tokens))


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _conversation(store: AsyncStore) -> tuple[int, int]:
    """A new conversation of the writer's agent (created once per database)."""

    def work(s) -> tuple[int, int]:
        agent = s.agents.find_by_name(AGENT_NAME)
        if agent is None:
            agent = s.agents.create(AgentSpec(name=AGENT_NAME, provider="p", model="m"))
        conversation = s.conversations.create(agent.id, title=f"run {os.getpid()}")
        return conversation.id, agent.revision

    return await store.run(work)


async def stream(store: AsyncStore, seed: int) -> None:
    rng = random.Random(seed)
    recorder = ConversationRecorder(store, flush_interval=FLUSH_INTERVAL)
    conversation_id, revision = await _conversation(store)
    serial = 0
    while True:
        serial += 1
        if serial % 4 == 0:     # a fresh conversation now and then
            conversation_id, revision = await _conversation(store)
        nonce = f"{os.getpid()}-{serial}"
        user = await recorder.record_user_message(conversation_id, user_text(nonce),
                                                  revision)
        emit(f"U {user.id} {nonce}")
        reply = await recorder.start_reply(
            conversation_id, revision, "m", "p",
            on_flushed=lambda mid, length: emit(f"F {mid} {length}"))
        emit(f"S {reply.message_id} {nonce}")
        tokens = rng.randint(40, 300)
        for index in range(tokens):
            reply.append(reply_token(nonce, index))
            await asyncio.sleep(TOKEN_PAUSE)
        final = await reply.finish(
            "complete", usage=UsageStats(prompt_tokens=10, completion_tokens=tokens))
        emit(f"C {final.id} {len(final.content)}")


async def die_after_user(store: AsyncStore) -> None:
    recorder = ConversationRecorder(store, flush_interval=FLUSH_INTERVAL)
    conversation_id, revision = await _conversation(store)
    nonce = f"{os.getpid()}-last"
    user = await recorder.record_user_message(conversation_id, user_text(nonce), revision)
    emit(f"U {user.id} {nonce}")
    os.kill(os.getpid(), signal.SIGKILL)


async def main(args: argparse.Namespace) -> None:
    store = await AsyncStore.open(args.db_path)
    emit("READY")
    if args.mode == "die-after-user":
        await die_after_user(store)
    else:
        await stream(store, args.seed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db_path")
    parser.add_argument("--mode", choices=["stream", "die-after-user"], default="stream")
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
