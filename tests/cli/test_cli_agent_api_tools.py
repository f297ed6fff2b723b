"""agents edit --api-tool NAME / --no-api-tools: which tools that ask first
may run when the agent is used over the local HTTP API (none by default;
a name as the agent's tool list has it, a group covering its tools)."""

from __future__ import annotations

import httpx

from app.api.context import ApiContext, ApiLimits
from app.domain import Done, ToolCall
from app.settings import load_settings
from tests.support.api_server import TOKEN, serve_api
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, config, source


def test_api_tools_are_set_replaced_and_cleared(cli, open_store, make_agent):
    make_agent("Coder")
    assert open_store().agents.get_by_name("Coder").api_tools == []
    on = cli("agents", "edit", "Coder", "--api-tool", "python", "--api-tool", "mcp:fs",
             "--api-tool", "python")
    assert on.code == 0, on.err
    assert open_store().agents.get_by_name("Coder").api_tools == ["python", "mcp:fs"]
    off = cli("agents", "edit", "Coder", "--no-api-tools")
    assert off.code == 0, off.err
    assert open_store().agents.get_by_name("Coder").api_tools == []
    both = cli("agents", "edit", "Coder", "--api-tool", "python", "--no-api-tools")
    assert both.code == 2


def test_a_group_allowed_with_the_cli_lets_its_tools_run_over_the_api(cli, open_store,
                                                                      make_agent,
                                                                      home) -> None:
    """The rule is the names the agent's tool list shows: ``--api-tool files``
    allows the group's write_file over the API; python (asks, not listed) is
    refused. A real API call on the CLI's data folder runs the turn."""
    agent = make_agent("Writer", "--tool", "files", "--tool", "python")
    edited = cli("agents", "edit", "Writer", "--api-tool", " files ")
    assert edited.code == 0, edited.err
    assert open_store().agents.get_by_name("Writer").api_tools == ["files"]

    provider = RoundsProvider(config("local"), [
        [ToolCall(call_id="w", name="write_file", arguments={"path": "a.txt", "content": "x"}),
         ToolCall(call_id="p", name="python", arguments={"code": "print(1)"}),
         Done(stop_reason="tool_calls")],
        answer("done")])
    settings = load_settings(home)
    context = ApiContext(settings=settings, token=TOKEN, store_path=settings.database_path,
                         limits=ApiLimits(), providers=source({"local": provider}))
    with serve_api(context) as api:
        response = httpx.post(f"{api.url}/api/agents/{agent['id']}/chat",
                              json={"message": "go", "stream": False},
                              headers=api.headers(), timeout=60)
    assert response.status_code == 200, response.text
    calls = {call["name"]: call["is_error"] for call in response.json()["tool_calls"]}
    assert calls == {"write_file": False, "python": True}
    assert (home / "workspaces" / str(agent["id"]) / "a.txt").read_text() == "x"
