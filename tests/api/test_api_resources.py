"""/api/models, /api/tools and /api/sessions over real HTTP (models from the
real llama.cpp server; a provider that is down is reported, 502 when none
answered)."""

from __future__ import annotations

from app.domain import Message, ProviderConfig
from app.store import Store
from tests.api.conftest import add_provider_and_agent
from tests.support.llama_server import free_port
from tests.support.scripted_providers import config


def _dead(name: str) -> ProviderConfig:
    return ProviderConfig(name=name, kind="llamacpp",
                          base_url=f"http://127.0.0.1:{free_port()}/v1")


def test_models_are_listed_per_provider_with_failures_reported(client, gemma_agent, api_home,
                                                                llama_server):
    add_provider_and_agent(api_home, _dead("gone"), name="x", model="m")
    listed = client.get("/api/models")
    assert listed.status_code == 200
    body = listed.json()
    assert {(m["provider"], m["id"]) for m in body["models"]} == {("llama", llama_server.model)}
    assert body["errors"]["gone"]["reachable"] is False and body["errors"]["gone"]["fix"]
    only = client.get("/api/models", params={"provider": "llama"}).json()
    assert [m["id"] for m in only["models"]] == [llama_server.model] and only["errors"] == {}
    down = client.get("/api/models", params={"provider": "gone"})
    assert down.status_code == 502 and down.json()["error"]["code"] == "provider_error"
    assert client.get("/api/models", params={"provider": "nope"}).status_code == 404


def test_connect_and_status(client, gemma_agent, api_home) -> None:
    add_provider_and_agent(api_home, _dead("gone"), name="x", model="m")
    report = client.post("/api/models/connect", json={"provider": "llama"})
    assert report.status_code == 200
    assert report.json()["reachable"] is True and report.json()["model_count"] == 1
    failed = client.post("/api/models/connect", json={"provider": "gone"})
    assert failed.status_code == 502
    assert failed.json()["error"]["details"]["error_kind"] == "unreachable"
    assert client.post("/api/models/connect", json={"provider": "nope"}).status_code == 404
    assert client.post("/api/models/connect", json={}).status_code == 422
    status = client.get("/api/models/llama/status").json()
    assert (status["provider"], status["kind"], status["enabled"],
            status["report"]["reachable"]) == ("llama", "llamacpp", True, True)
    assert client.get("/api/models/gone/status").json()["report"]["reachable"] is False
    assert client.get("/api/models/nope/status").status_code == 404


def test_tools_all_and_per_agent(client, api_home) -> None:
    every = client.get("/api/tools").json()
    names = {tool["name"]: tool for tool in every}
    assert {"calculator", "files", "python"} <= set(names)
    assert names["python"]["default_policy"] == "ask"
    assert names["calculator"]["default_policy"] == "auto"
    agent = add_provider_and_agent(api_home, config("local"), name="t", model="m",
                                   tools=["calculator", "write_file", "read_file"],
                                   api_tools=["read_file"],
                                   tool_policies={"read_file": "ask"})
    mine = client.get(f"/api/tools/{agent.id}").json()
    assert mine["agent_id"] == agent.id
    assert [(t["name"], t["policy"], t["runs_over_api"]) for t in mine["tools"]] == [
        ("calculator", "auto", True), ("write_file", "ask", False), ("read_file", "ask", True)]
    assert client.get("/api/tools/999").status_code == 404


def test_a_session_is_read_and_cleared(client, api_home) -> None:
    agent = add_provider_and_agent(api_home, config("local"), name="s", model="m")
    with Store.in_folder(api_home) as store:
        conversation = store.conversations.create(agent.id, "chat", origin="api")
        store.messages.add(Message(conversation_id=conversation.id, role="user", content="one"))
        store.messages.add(Message(conversation_id=conversation.id, role="assistant",
                                   content="two"))
    session = client.get(f"/api/sessions/{conversation.id}").json()
    assert (session["agent_id"], session["title"], session["origin"]) == (agent.id, "chat", "api")
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("user", "one"), ("assistant", "two")]
    newest = client.get(f"/api/sessions/{conversation.id}", params={"limit": 1}).json()
    assert [m["content"] for m in newest["messages"]] == ["two"] and newest["has_older"]
    cleared = client.delete(f"/api/sessions/{conversation.id}")
    assert cleared.json() == {"deleted": True, "conversation_id": conversation.id, "messages": 2}
    assert client.get(f"/api/sessions/{conversation.id}").status_code == 404
    assert client.delete(f"/api/sessions/{conversation.id}").status_code == 404
