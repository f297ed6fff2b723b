"""The provider's status dot follows what replies show (issue 13, item 10):
a reply that arrived marks its provider reachable, one that could not
connect marks it down — without the ↻ button."""

from __future__ import annotations

import asyncio

from dialog_helpers import closed_port
from window_support import REPLY_MS, WAIT_MS, open_window, send

from app.core.fallback import Attempt
from app.core.provider_factory import build_provider
from app.domain import AgentSpec, ConnectionReport, ProviderConfig
from app.store import Store
from app.ui.model_bar import status_tooltip


def _attempt(provider: str, outcome: str, kind: str | None = None,
             error: str | None = None) -> Attempt:
    return Attempt(type="attempt", provider=provider, model="m", local=True,
                   outcome=outcome, error_kind=kind, error=error)  # type: ignore[arg-type]


def _seed(db_path, base_url: str) -> AgentSpec:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=base_url, is_local=True))
        store.providers.create(ProviderConfig(name="spare", kind="llamacpp",
                                              base_url=base_url, is_local=True))
        return store.agents.create(AgentSpec(name="Gemma", provider="llama", model="gemma3",
                                             max_tokens=8, temperature=0.2))


def test_attempts_set_the_dot(qtbot, bridge, db_path, settings) -> None:
    _seed(db_path, f"http://127.0.0.1:{closed_port()}/v1")
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    qtbot.waitUntil(lambda: bar.status_of("llama") == "down", timeout=30_000)  # its first test

    bar.note_attempt(_attempt("llama", "answered"))
    assert bar.status_of("llama") == "up"
    assert bar.provider_combo.toolTip() == "llama: reachable"
    bar.note_attempt(_attempt("spare", "failed", "rate_limited", "slow down"))
    assert bar.status_of("spare") == "unknown"     # it answered, just not now
    bar.note_attempt(_attempt("spare", "failed", "auth", "401 bad key"))
    assert bar.status_of("spare") == "down" and bar.reports["spare"].fix
    bar.note_attempt(_attempt("nobody", "answered"))   # not a configured provider
    assert "nobody" not in bar.reports

    # An earlier test's details stay when a reply confirms the provider.
    bar.reports["llama"] = ConnectionReport(provider="llama", reachable=True,
                                            latency_ms=12.0, version="0.3.16", model_count=1)
    bar.note_attempt(_attempt("llama", "answered"))
    assert bar.reports["llama"].latency_ms == 12.0
    assert status_tooltip("llama", bar.reports["llama"]).endswith("1 model")


def test_replies_turn_the_dot_green_then_red_then_green(
        qtbot, aio, bridge, db_path, settings, llama_server) -> None:
    """The configured URL is dead (the first test turns the dot red); replies go
    to the live server, then to a dead port, then to the live one again."""
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    agent = _seed(db_path, dead)
    target = {"url": llama_server.base_url}
    built = []

    def source(config: ProviderConfig):
        provider = build_provider(config.model_copy(update={"base_url": target["url"]}))
        built.append(provider)
        return provider

    window = open_window(qtbot, bridge, settings, providers=source)
    bar = window.model_bar
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().id == agent.id, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.status_of("llama") == "down", timeout=30_000)

    def reply(text: str) -> str:
        controller = window.controller
        session = controller.sessions.get(controller.conversation_id or 0)
        if session is not None:                          # the same chat again
            with qtbot.waitSignal(session.sig_finished, timeout=REPLY_MS) as finished:
                send(window, text)
            return finished.args[0]
        send(window, text)                               # the chat's first message
        qtbot.waitUntil(lambda: controller.conversation_id in controller.sessions,
                        timeout=WAIT_MS)
        session = controller.sessions[controller.conversation_id]
        qtbot.waitUntil(lambda: bool(session.last_status) and not session.running,
                        timeout=REPLY_MS)
        return session.last_status

    try:
        assert reply("Say hi.") == "done"
        assert bar.status_of("llama") == "up"
        assert "reachable" in bar.provider_combo.toolTip()

        target["url"] = dead
        assert reply("Again.") == "error"
        assert bar.status_of("llama") == "down"
        assert bar.provider_combo.toolTip().startswith("llama: down")

        target["url"] = llama_server.base_url
        assert reply("Once more.") == "done"
        assert bar.status_of("llama") == "up"
    finally:
        aio.run(asyncio.gather(*(provider.aclose() for provider in built)))
