"""A cloud provider's API key is used and then found nowhere on disk: not in
the database (nor its WAL), the settings, the logs (at DEBUG), the chat
exports of every format, the agent file, a backup or the upgrade copies —
only in the keyring, where the database keeps a reference to it.

The provider is an in-test OpenAI-compatible server that records what it is
sent: the key must arrive there as the bearer token (so the test proves the
key was really used, not merely never read). A key that is echoed back by a
failing provider (some do put it in their error text) must not reach the
stored error either.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, ProviderConfig
from app.ops import data, exchange
from app.ops import providers as provider_ops
from app.settings import AppSettings, load_settings
from app.store import AsyncStore, Store
from tests.providers.fault_server import FaultServer, json_reply, status, text_stream
from tests.support.log_files import detach_file_log
from tests.support.memory_keyring import MemoryKeyring, installed
from tests.support.reliability_summary import record
from tests.support.turn_helpers import collect

KEY = "sk-proj-Zq8XwV3uTt5RrP1oNn0MmLlKkJjIiHhGg"
ECHOED = f"Incorrect API key provided: {KEY}"


def files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [path for path in sorted(folder.rglob("*"))
            if path.is_file() and needle in path.read_bytes()]


def run_turn(home: Path, agent: AgentSpec, conversation_id: int, text: str) -> list:
    async def main() -> list:
        store = await AsyncStore.open(home / "agentdesk.db")
        try:
            runner = AgentRunner(RunnerDeps(store, AppSettings(stream_flush_seconds=0.05)),
                                 RunConfig(agent, conversation_id, text))
            return await collect(runner.events())
        finally:
            await store.close()
    return asyncio.run(main())


@pytest.fixture
def debug_log(tmp_path: Path):
    from app.logs import configure_logging

    path = configure_logging(tmp_path / "home" / "logs", level="DEBUG")
    logging.getLogger("app").setLevel(logging.DEBUG)
    yield path
    detach_file_log()


def test_the_key_is_used_and_then_found_nowhere(tmp_path: Path, debug_log: Path) -> None:
    home = debug_log.parent.parent
    exports = tmp_path / "exports"
    exports.mkdir()
    keyring = MemoryKeyring()
    with installed(keyring), FaultServer() as server:
        server.route("GET", "/v1/models", json_reply({"object": "list", "data": [
            {"id": "gpt-test", "object": "model"}]}))
        server.route("POST", "/v1/chat/completions", text_stream(["Paris", " it is."]),
                     status(401, {"error": {"message": ECHOED, "type": "invalid_request"}}))
        settings = load_settings(home)
        settings.api.enabled = True           # something to write
        settings.save()
        with Store.in_folder(home) as store:
            config = provider_ops.save_provider(
                store, ProviderConfig(name="Cloud", kind="openai", base_url=f"{server.url}/v1",
                                      is_local=False), api_key=KEY)
            agent = store.agents.create(AgentSpec(name="Asker", provider="Cloud",
                                                  model="gpt-test", max_tokens=32))
            chat = store.conversations.create(agent.id, "Capital of France")
        assert config.api_key_ref and KEY not in config.api_key_ref
        assert KEY in keyring.entries.values()

        answered = run_turn(home, agent, chat.id, "Capital of France?")
        refused = run_turn(home, agent, chat.id, "And of Spain?")
        sent = server.requests_to("/v1/chat/completions")
        assert [r.headers["Authorization"] for r in sent] == [f"Bearer {KEY}"] * 2
        assert answered[-1].type == "done" and refused[-1].type == "error"

        with Store.in_folder(home) as store:
            stored = store.messages.all(chat.id)
            assert stored[1].content == "Paris it is."
            assert stored[-1].status == "error" and stored[-1].error
            for fmt in ("json", "md", "html"):
                exchange.export_conversations(store, exports / f"all.{fmt}", fmt)
            exchange.export_agent(exports / "asker.agent.json", store.agents.get(agent.id))
            data.backup_to(store, exports / "backup.db")
        logging.getLogger("app.test").debug("provider config: %s", config)

    assert (exports / "all.md").read_text().count("Paris it is.") == 1   # exports have content
    assert "Incorrect API key" in (exports / "all.json").read_text()      # the error is kept…
    needle = KEY.encode()
    assert files_holding(home, needle) == []                              # …but not the key
    assert files_holding(exports, needle) == []
    assert debug_log.stat().st_size > 0
    assert {p.name for p in home.iterdir()} >= {"agentdesk.db", "settings.json", "logs"}
    record("secrets", keys_used=1, files_searched=sum(1 for _ in home.rglob("*"))
           + sum(1 for _ in exports.rglob("*")), leaks=0)


def test_a_key_echoed_inside_a_stream_error_is_redacted() -> None:
    from app.logs import register_secret
    from app.providers.openai_wire import stream_error

    odd_key = "local-token-0f9e8d7c6b5a"          # no known key shape: redacted as in use
    register_secret(odd_key)
    for echoed in (KEY, odd_key):
        error = stream_error({"message": f"invalid key {echoed}", "code": 401}, "Cloud", True)
        assert echoed not in error.message and "[REDACTED]" in error.message
        assert error.kind == "auth"
