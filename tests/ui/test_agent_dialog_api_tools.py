"""Saving an agent in the window keeps the tools allowed over the local API
(AgentSpec.api_tools, set with 'agentdesk agents edit --api-tool')."""

from __future__ import annotations

from dialog_helpers import WAIT_MS, host, open_dialog, seed_providers

from app.domain import AgentSpec

__all__ = ["host", "open_dialog"]  # the fixtures, imported for their use below


def test_a_save_in_the_dialog_keeps_the_api_tools(aio, async_store, open_dialog,
                                                  qtbot) -> None:
    seed_providers(aio, async_store)
    spec = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Mine", provider="local", model="m", tools=["python"],
                  api_tools=["python"]))))
    dialog = open_dialog(spec)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    dialog.form.max_tokens.setValue(99)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    saved = aio.run(async_store.run(lambda s: s.agents.get_by_name("Mine")))
    assert (saved.max_tokens, saved.api_tools) == (99, ["python"])
