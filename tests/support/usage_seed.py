"""A small usage history with hand-computable figures (dashboard tests, screenshots).

Two providers (``lan``: local; ``cloud``: not), two agents (Coder on the cloud,
Writer on the LAN) and replies, tool results and user messages over three UTC
days, 2026-01-10 to 2026-01-12. Messages are written through the store, then
dated with an UPDATE of ``created_at`` (the rollup's triggers move them).
The expected figures are spelled out in tests/ops/test_ops_usage.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import AgentSpec, Message, ProviderConfig, UsageStats
from app.store import Store


@dataclass(frozen=True)
class Seeded:
    coder_id: int
    writer_id: int
    coder_chat: int
    writer_chat: int


def reply(store: Store, chat: int, provider: str, model: str, day: str, *,
          pt: int | None, ct: int | None, ttft: float | None = None,
          tps: float | None = None, status: str = "complete") -> Message:
    usage = (None if pt is None and ct is None and ttft is None and tps is None
             else UsageStats(prompt_tokens=pt, completion_tokens=ct, ttft_ms=ttft,
                             tokens_per_s=tps))
    stored = store.messages.add(Message(conversation_id=chat, role="assistant",
                                        content="answer", provider=provider, model=model,
                                        usage=usage, status=status))
    return _dated(store, stored, day)


def tool_result(store: Store, chat: int, day: str, *, error: bool = False) -> Message:
    stored = store.messages.add(Message(conversation_id=chat, role="tool", content="out",
                                        tool_call_id="c1",
                                        status="error" if error else "complete"))
    return _dated(store, stored, day)


def user_message(store: Store, chat: int, day: str) -> Message:
    stored = store.messages.add(Message(conversation_id=chat, role="user", content="q"))
    return _dated(store, stored, day)


def _dated(store: Store, message: Message, day: str) -> Message:
    store.db.execute_sql("UPDATE messages SET created_at = ? WHERE id = ?",
                         (f"{day}T12:00:00.000000Z", message.id))
    return message


def seed_usage(store: Store) -> Seeded:
    store.providers.create(ProviderConfig(name="lan", kind="ollama",
                                          base_url="http://127.0.0.1:11434", is_local=True))
    store.providers.create(ProviderConfig(name="cloud", kind="openai",
                                          base_url="https://api.openai.com/v1",
                                          is_local=False))
    coder = store.agents.create(AgentSpec(name="Coder", provider="cloud", model="gpt-4o-mini"))
    writer = store.agents.create(AgentSpec(name="Writer", provider="lan", model="llama3.2"))
    coder_chat = store.conversations.create(coder.id, "code").id
    writer_chat = store.conversations.create(writer.id, "prose").id
    d10, d11, d12 = "2026-01-10", "2026-01-11", "2026-01-12"
    user_message(store, coder_chat, d10)
    reply(store, coder_chat, "cloud", "gpt-4o-mini", d10, pt=1000, ct=500, ttft=150, tps=50)
    tool_result(store, coder_chat, d10)
    tool_result(store, coder_chat, d10, error=True)
    user_message(store, writer_chat, d10)
    reply(store, writer_chat, "lan", "llama3.2", d10, pt=2000, ct=1000, ttft=600, tps=12)
    reply(store, coder_chat, "cloud", "gpt-4o-2024-08-06", d11, pt=4000, ct=1000,
          ttft=2500, tps=90)
    reply(store, writer_chat, "lan", "llama3.2", d11, pt=3000, ct=2000, tps=25)
    tool_result(store, writer_chat, d11)
    reply(store, writer_chat, "lan", "llama3.2", d12, pt=None, ct=None, status="streaming")
    reply(store, coder_chat, "cloud", "mystery-model", d12, pt=100, ct=100)
    return Seeded(coder.id, writer.id, coder_chat, writer_chat)
