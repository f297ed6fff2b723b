"""``agentdesk workflows create|list|show|export|import|delete`` and the
refusals of ``run`` (no model needed); runs against the real server are in
test_cli_workflows_llama.py."""

from __future__ import annotations

import json

from tests.cli.conftest import Result


def setup_agents(cli, *, cloud_judge: bool = False) -> None:
    assert cli("providers", "add", "home", "--kind", "llamacpp", "--url",
               "http://127.0.0.1:9/v1").code == 0
    assert cli("providers", "add", "cloud", "--kind", "openai", "--url",
               "https://api.example.com/v1").code == 0
    for name in ("Alpha", "Beta", "Judge"):
        provider = "cloud" if cloud_judge and name == "Judge" else "home"
        extra = ["--local-only"] if name == "Alpha" and cloud_judge else []
        created = cli("agents", "create", "--name", name, "--provider", provider,
                      "--model", "m", *extra)
        assert created.code == 0, created.err


def create_panel(cli) -> Result:
    return cli("workflows", "create", "--name", "Panel", "--kind", "parallel",
               "--agent", "Alpha", "--agent", "Beta", "--synthesis", "Judge", "--json")


def test_create_list_show_and_delete(cli):
    setup_agents(cli)
    created = create_panel(cli)
    assert created.code == 0, created.err
    assert created.json()["agents"] == ["Alpha", "Beta"]
    listed = cli("workflows", "list")
    assert "Panel" in listed.out and "parallel" in listed.out and "Judge (synthesis)" in listed.out
    shown = cli("workflows", "show", "panel", "--json").json()
    assert shown["workflow"]["synthesis"] == "Judge" and shown["missing_agents"] == []
    assert [r["revision"] for r in shown["revisions"]] == [1]
    text = cli("workflows", "show", "Panel")
    assert "Kind" in text.out and "parallel" in text.out
    assert cli("workflows", "delete", "Panel").code == 0
    assert cli("workflows", "list", "--json").json() == []


def test_create_refuses_what_cannot_work(cli):
    setup_agents(cli)
    unknown = cli("workflows", "create", "--name", "W", "--kind", "chain",
                  "--agent", "Alpha", "--agent", "Nobody")
    assert unknown.code == 1 and "'Nobody'" in unknown.error_line
    short = cli("workflows", "create", "--name", "W", "--kind", "chain", "--agent", "Alpha")
    assert short.code == 1 and "at least two" in short.error_line
    assert create_panel(cli).code == 0
    again = create_panel(cli)
    assert again.code == 1 and "already exists" in again.error_line


def test_export_and_import(cli, tmp_path):
    setup_agents(cli)
    create_panel(cli)
    target = tmp_path / "panel.json"
    written = cli("workflows", "export", "Panel", "-o", str(target))
    assert written.code == 0, written.err
    stdout = cli("workflows", "export", "Panel")
    assert json.loads(stdout.out) == json.loads(target.read_text())
    imported = cli("workflows", "import", str(target), "--json")
    assert imported.code == 0, imported.err
    assert imported.json()["workflow"]["name"] == "Panel (2)"
    assert imported.json()["created_agents"] == []
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    failed = cli("workflows", "import", str(broken))
    assert failed.code == 1 and "not valid JSON" in failed.error_line


def test_run_refuses_a_local_only_leak_naming_the_agents(cli, open_store):
    setup_agents(cli, cloud_judge=True)
    assert create_panel(cli).code == 0
    refused = cli("workflows", "run", "Panel", "my private question")
    assert refused.code == 1
    assert "local-only agent 'Alpha'" in refused.error_line
    assert "'Judge'" in refused.error_line and "'cloud'" in refused.error_line
    assert open_store().conversations.list() == []


def test_run_of_an_unknown_workflow(cli):
    failed = cli("workflows", "run", "Nothing", "q")
    assert failed.code == 1 and "unknown workflow 'Nothing'" in failed.error_line
