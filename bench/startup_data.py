"""The data folder the startup benchmark starts the app on.

A real database built through the real schema (``Store`` + ``bench/scale_data``):
10,000 conversations, 200,000 messages by default, one of them with 5,000
messages (the most recently active one). Providers exist for every agent (on
loopback ports where nothing listens, so status checks fail fast and nothing
leaves the machine), and ``ui.ini`` says the last chat was the big one — the
app reopens it on start, as it would for a person who closed the window there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from app.domain import ProviderConfig
from app.store import Store

from bench.scale_data import build

DEAD_URL = "http://127.0.0.1:9"   # the discard port: connection refused on loopback
_KIND_URLS = {"openai": f"{DEAD_URL}/v1", "ollama": DEAD_URL, "lmstudio": DEAD_URL,
              "llamacpp": f"{DEAD_URL}/v1", "embedded": ""}


@dataclass
class DataFolder:
    home: Path
    big_conversation_id: int
    big_agent_id: int
    other_conversation_id: int    # a short chat of the same agent
    conversations: int
    messages: int
    seconds: float


def _providers(store: Store, home: Path) -> None:
    for kind, url in _KIND_URLS.items():
        model_path = str(home / "models" / "missing.gguf") if kind == "embedded" else None
        store.providers.create(ProviderConfig(name=kind, kind=kind, base_url=url,
                                              model_path=model_path,
                                              is_local=kind != "openai"))


def write_state(home: Path, agent_id: int, conversation_id: int) -> None:
    """``ui.ini`` as WindowState writes it (QSettings INI): the last agent and chat."""
    (home / "ui.ini").write_text(
        f"[last]\nagent={agent_id}\nconversation_{agent_id}={conversation_id}\n",
        encoding="utf-8")


def describe(home: Path) -> DataFolder:
    """Read the facts of an existing bench data folder."""
    with Store(home / "agentdesk.db", recover=False) as store:
        db = store.db
        (conversations,), = db.execute_sql("SELECT count(*) FROM conversations").fetchall()
        (messages,), = db.execute_sql("SELECT count(*) FROM messages").fetchall()
        big_id, agent_id, _count = db.execute_sql(
            "SELECT c.id, c.agent_id, count(*) AS n FROM conversations c"
            " JOIN messages m ON m.conversation_id = c.id"
            " GROUP BY c.id ORDER BY n DESC LIMIT 1").fetchone()
        other = db.execute_sql(
            "SELECT c.id FROM conversations c JOIN messages m ON m.conversation_id = c.id"
            " WHERE c.agent_id = ? AND c.archived = 0 AND c.id != ?"
            " GROUP BY c.id HAVING count(*) BETWEEN 6 AND 30"
            " ORDER BY c.updated_at DESC LIMIT 1", (agent_id, big_id)).fetchone()
    return DataFolder(home=home, big_conversation_id=big_id, big_agent_id=agent_id,
                      other_conversation_id=other[0], conversations=conversations,
                      messages=messages, seconds=0.0)


def build_home(home: Path, *, conversations: int = 10_000, messages: int = 200_000,
               big: int = 5_000, seed: int = 7, progress=print) -> DataFolder:  # noqa: ANN001
    """Fill ``home`` (an empty folder) and return what is in it."""
    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    with Store(home / "agentdesk.db") as store:
        result = build(store, conversations=conversations, messages=messages, big=big,
                       seed=seed, progress=progress)
        _providers(store, home)
        # The big chat belongs to the first agent (an OpenAI-compatible one), so the
        # agent selected on start is an ordinary HTTP provider, not the embedded engine.
        first_agent = store.agents.list()[0].id
        store.db.execute_sql("UPDATE conversations SET agent_id = ? WHERE id = ?",
                             (first_agent, result.big_conversation_id))
    found = describe(home)
    write_state(home, found.big_agent_id, found.big_conversation_id)
    found.seconds = time.perf_counter() - started
    return found
