"""The agent dialog's "Allow over the local API" boxes (AgentSpec.api_tools):
a whole session — open the dialog, allow a tool that asks first, save, reopen
(still ticked), then a real HTTP call to the served API runs that tool without
asking while another tool that asks is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
from dialog_helpers import WAIT_MS, host, open_dialog
from PySide6.QtCore import Qt

from app.api.context import ApiContext, ApiLimits
from app.domain import AgentSpec, Done, ToolCall
from app.settings import load_settings
from app.ui.dialogs.tools_editor import API_ALLOW_TEXT
from tests.support.api_server import TOKEN, serve_api
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, config, source

__all__ = ["host", "open_dialog"]  # the fixtures, imported for their use below


def _enabled(dialog, name: str) -> bool:
    return bool(dialog.tools.api_item(name).flags() & Qt.ItemFlag.ItemIsEnabled)


def _ticked(dialog, name: str) -> bool:
    return dialog.tools.api_item(name).checkState() == Qt.CheckState.Checked


def _save(dialog, qtbot) -> None:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS):
        dialog.ok_button.click()


def _calls() -> list[list]:
    """The model writes a file (the ``files`` group), then runs python, then answers."""
    return [[ToolCall(call_id="w", name="write_file",
                      arguments={"path": "note.txt", "content": "from the API"}),
             Done(stop_reason="tool_calls")],
            [ToolCall(call_id="p", name="python", arguments={"code": "print(1)"}),
             Done(stop_reason="tool_calls")],
            answer("done")]


def test_allow_a_tool_over_the_api_save_reopen_and_call_it(aio, async_store, open_dialog,
                                                           qtbot, tmp_path: Path,
                                                           db_path: Path) -> None:
    aio.run(async_store.run(lambda s: s.providers.create(config("local"))))
    spec = aio.run(async_store.run(lambda s: s.agents.create(AgentSpec(
        name="Writer", provider="local", model="m", tools=["files", "python", "calculator"]))))

    dialog = open_dialog(spec)
    assert dialog.tools.api_item("files").text() == API_ALLOW_TEXT
    assert "cannot answer an approval question" in dialog.api_tools_note.text()
    # Off by default; only attached tools that ask first can be allowed.
    assert not _ticked(dialog, "files") and not _ticked(dialog, "python")
    assert _enabled(dialog, "files") and _enabled(dialog, "python")
    assert not _enabled(dialog, "calculator")          # runs at once anyway
    assert dialog.tools.api_item("calculator").text() == ""
    assert not _enabled(dialog, "web_search")          # not one of the agent's tools
    dialog.tools.policy_combo("python").set_policy("deny")
    assert not _enabled(dialog, "python")              # never runs: nothing to allow
    dialog.tools.policy_combo("python").set_policy("ask")
    dialog.tools.set_api_allowed("files", True)
    _save(dialog, qtbot)
    saved = aio.run(async_store.run(lambda s: s.agents.get(spec.id)))
    assert saved.api_tools == ["files"]

    again = open_dialog(saved)
    assert _ticked(again, "files") and not _ticked(again, "python")
    # Detaching a tool greys its box out and a save drops the allowance.
    again.tools.set_checked("files", False)
    assert not _enabled(again, "files") and not _ticked(again, "files")
    again.tools.set_checked("files", True)
    assert _ticked(again, "files")                     # the choice comes back
    again.reject()

    provider = RoundsProvider(config("local"), _calls())
    settings = load_settings(tmp_path)
    context = ApiContext(settings=settings, token=TOKEN, store_path=db_path,
                         limits=ApiLimits(), providers=source({"local": provider}))
    with serve_api(context) as api:
        response = httpx.post(f"{api.url}/api/agents/{spec.id}/chat",
                              json={"message": "write it", "stream": False},
                              headers=api.headers(), timeout=60)
    assert response.status_code == 200, response.text
    calls = {call["name"]: call["is_error"] for call in response.json()["tool_calls"]}
    assert calls == {"write_file": False, "python": True}
    written = settings.home / "workspaces" / str(spec.id) / "note.txt"
    assert written.read_text() == "from the API"
