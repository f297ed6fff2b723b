"""agents edit --api-tool NAME / --no-api-tools: which tools that ask first
may run when the agent is used over the local HTTP API (none by default)."""

from __future__ import annotations


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
