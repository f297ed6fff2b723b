"""Schema v11 for the local HTTP API: ``agents.api_tools`` (tools allowed over
the API) and ``conversations.origin`` ('api' marks chats started over it)."""

from __future__ import annotations

from pathlib import Path

from app.core.export.agent_grants import withhold_grants
from app.domain import AgentSpec
from app.ops import chats
from app.store import Store
from app.store.database import open_database
from app.store.migrations import migrate
from tests.store.test_store_migrations import write_first_schema_database


def test_an_older_database_gets_no_api_tools_and_app_chats(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    write_first_schema_database(path)
    db = open_database(path)
    try:
        migrate(db, target=10)
    finally:
        db.close()
    with Store(path) as store:
        assert [a.api_tools for a in store.agents.list()] == [[], []]
        assert {c.origin for c in store.conversations.list(include_archived=True)} == {"app"}


def test_api_tools_and_origin_are_stored_and_read_back(tmp_path: Path) -> None:
    with Store.in_folder(tmp_path) as store:
        agent = store.agents.create(AgentSpec(name="A", tools=["python", "mcp:fs"],
                                              api_tools=["python", "mcp:fs"]))
        started = chats.start(store, agent.id, "hello there", origin="api")
        plain = chats.start(store, agent.id, "hi")
    with Store.in_folder(tmp_path) as store:
        assert store.agents.get(agent.id).api_tools == ["python", "mcp:fs"]
        assert store.conversations.get(started.id).origin == "api"
        assert store.conversations.get(plain.id).origin == "app"


def test_api_tools_never_travel_in_an_agent_file() -> None:
    spec = AgentSpec(name="A", tools=["python"], api_tools=["python"])
    assert "api_tools" not in spec.portable()
    safe, _grants = withhold_grants(spec)
    assert safe.api_tools == []
