"""/api/agents over real HTTP: create (201), list with limit/offset/total,
read, replace, delete, 404 for unknown ids, 422 for invalid bodies, 409 for a
taken name; what a client may not set stays the app's."""

from __future__ import annotations

from app.store import Store


def test_agents_crud_round_trip(client, api_home) -> None:
    created = client.post("/api/agents", json={"name": "Helper", "system_prompt": "Be brief.",
                                               "provider": "local", "model": "gemma3"})
    assert created.status_code == 201
    agent = created.json()
    assert created.headers["location"] == f"/api/agents/{agent['id']}"
    assert (agent["name"], agent["system_prompt"], agent["api_tools"]) == (
        "Helper", "Be brief.", [])
    assert client.get(f"/api/agents/{agent['id']}").json() == agent

    replaced = client.put(f"/api/agents/{agent['id']}",
                          json={"name": "Helper 2", "temperature": 0.2, "tools": ["calculator"]})
    assert replaced.status_code == 200
    assert (replaced.json()["name"], replaced.json()["temperature"],
            replaced.json()["tools"], replaced.json()["revision"]) == (
        "Helper 2", 0.2, ["calculator"], agent["revision"] + 1)
    with Store.in_folder(api_home) as store:                # really stored
        assert store.agents.get(agent["id"]).name == "Helper 2"

    deleted = client.delete(f"/api/agents/{agent['id']}")
    assert deleted.json() == {"deleted": True, "id": agent["id"]}
    assert client.get(f"/api/agents/{agent['id']}").status_code == 404
    assert client.delete(f"/api/agents/{agent['id']}").status_code == 404


def test_the_list_pages_with_limit_offset_and_total(client) -> None:
    for name in ("Ann", "Bob", "Cat", "Dan", "Eve"):
        assert client.post("/api/agents", json={"name": name}).status_code == 201
    page = client.get("/api/agents", params={"limit": 2, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [agent["name"] for agent in page["items"]] == ["Bob", "Cat"]
    assert len(client.get("/api/agents").json()["items"]) == 5
    assert client.get("/api/agents", params={"limit": 0}).status_code == 422


def test_unknown_ids_are_404_and_bad_bodies_422_in_the_envelope(client) -> None:
    missing = client.get("/api/agents/9999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert client.put("/api/agents/9999", json={"name": "X"}).status_code == 404
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "X", "temperature": 9},
                 {"name": "X", "python_unisolated": True}, {"name": "X", "api_tools": ["python"]}):
        invalid = client.post("/api/agents", json=body)
        assert invalid.status_code == 422, body
        error = invalid.json()["error"]
        assert error["code"] == "validation_error" and error["details"]
    not_json = client.post("/api/agents", content=b"{nope",
                           headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422


def test_a_taken_name_is_409(client) -> None:
    assert client.post("/api/agents", json={"name": "Twin"}).status_code == 201
    again = client.post("/api/agents", json={"name": "twin"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_the_api_keeps_the_settings_only_the_app_may_change(client, api_home) -> None:
    agent = client.post("/api/agents", json={"name": "Kept"}).json()
    with Store.in_folder(api_home) as store:
        spec = store.agents.get(agent["id"])
        store.agents.update(spec.model_copy(update={
            "api_tools": ["python"], "tool_policies": {"python": "ask"}}))
    client.put(f"/api/agents/{agent['id']}", json={"name": "Kept", "max_tokens": 64})
    with Store.in_folder(api_home) as store:
        spec = store.agents.get(agent["id"])
    assert (spec.api_tools, spec.tool_policies, spec.max_tokens) == (
        ["python"], {"python": "ask"}, 64)


def test_a_whole_session_serve_stop_and_serve_again(api_home) -> None:
    """What one server stored, the next one on the same data folder serves;
    the docs and schema answer with the token."""
    import httpx

    from tests.api.conftest import make_context
    from tests.support.api_server import serve_api

    with serve_api(make_context(api_home)) as api:
        created = httpx.post(f"{api.url}/api/agents", json={"name": "Stays"},
                             headers=api.headers())
        assert created.status_code == 201
        docs = httpx.get(f"{api.url}/docs", headers=api.headers())
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        schema = httpx.get(f"{api.url}/openapi.json", headers=api.headers()).json()
        assert "/api/agents/{agent_id}/chat" in schema["paths"]
    with serve_api(make_context(api_home)) as api:
        listed = httpx.get(f"{api.url}/api/agents", headers=api.headers()).json()
        assert [agent["name"] for agent in listed["items"]] == ["Stays"]
