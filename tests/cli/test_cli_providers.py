"""providers add|list|remove (configuration only)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("kind, url", [
    ("ollama", "http://127.0.0.1:11434"),
    ("lmstudio", "http://127.0.0.1:1234/v1"),
    ("llamacpp", "http://127.0.0.1:8080/v1"),
    ("openai", "https://api.openai.com/v1"),
])
def test_add_uses_the_default_url_of_each_kind(cli, open_store, kind, url):
    result = cli("providers", "add", "p", "--kind", kind, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["base_url"] == url
    assert data["is_local"] is (kind != "openai")
    stored = open_store().providers.get_by_name("p")
    assert stored.model_dump(mode="json") == data


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8000/v1", True),
    ("http://localhost:8000/v1/", True),
    ("http://[::1]:8000/v1", True),
    ("http://127.8.9.1:1", True),
    ("https://example.com/v1", False),
    ("http://192.168.1.20:8000/v1", False),
])
def test_openai_kind_is_local_only_on_loopback(cli, open_store, url, local):
    assert cli("providers", "add", "compat", "--kind", "openai", "--url", url).code == 0
    stored = open_store().providers.get_by_name("compat")
    assert stored.is_local is local
    assert stored.base_url == url.rstrip("/")


def test_local_kinds_are_local_even_with_a_url(cli, open_store):
    assert cli("providers", "add", "o", "--kind", "ollama",
               "--url", "http://gpu-box:11434").code == 0
    assert open_store().providers.get_by_name("o").is_local is True


def test_api_key_is_stored_as_a_reference_never_the_key(cli, open_store, home, monkeypatch):
    secret = "sk-test-THIS-IS-A-SECRET-VALUE-1234567890"
    monkeypatch.setenv("MY_KEY", secret)
    result = cli("providers", "add", "cloud", "--kind", "openai", "--api-key-env", "MY_KEY",
                 "--json")
    assert result.code == 0
    assert result.json()["api_key_ref"] == "env:MY_KEY"
    assert open_store().providers.get_by_name("cloud").api_key_ref == "env:MY_KEY"
    listing = cli("providers", "list")
    assert "env:MY_KEY" in listing.out
    assert secret not in listing.out + result.out
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_pasted_key_is_refused_and_not_echoed(cli, open_store):
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz"
    result = cli("providers", "add", "cloud", "--kind", "openai", "--api-key-env", secret)
    assert result.code == 1
    line = result.error_line
    assert "--api-key-env" in line
    assert secret not in line
    assert open_store().providers.list() == []


def test_embedded_needs_an_existing_model_file(cli, open_store, tmp_path):
    missing_option = cli("providers", "add", "e", "--kind", "embedded")
    assert missing_option.code == 1 and "--model-path" in missing_option.error_line
    missing_file = cli("providers", "add", "e", "--kind", "embedded",
                       "--model-path", str(tmp_path / "none.gguf"))
    assert missing_file.code == 1 and "not found" in missing_file.error_line
    assert open_store().providers.list() == []

    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    result = cli("providers", "add", "e", "--kind", "embedded", "--model-path", str(model),
                 "--json")
    assert result.code == 0, result.err
    assert result.json()["model_path"] == str(model.resolve())
    assert result.json()["is_local"] is True
    assert result.json()["base_url"] == ""


def test_model_path_and_url_only_where_they_apply(cli, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    wrong_kind = cli("providers", "add", "a", "--kind", "ollama", "--model-path", str(model))
    assert wrong_kind.code == 1 and "--model-path" in wrong_kind.error_line
    url_on_embedded = cli("providers", "add", "b", "--kind", "embedded", "--model-path",
                          str(model), "--url", "http://127.0.0.1:1")
    assert url_on_embedded.code == 1 and "--url" in url_on_embedded.error_line


@pytest.mark.parametrize("url", ["ftp://host/v1", "127.0.0.1:8080", "http://"])
def test_add_rejects_invalid_urls(cli, open_store, url):
    result = cli("providers", "add", "p", "--kind", "openai", "--url", url)
    assert result.code == 1
    assert "--url" in result.error_line
    assert open_store().providers.list() == []


def test_add_rejects_unknown_kind_as_usage_error(cli):
    result = cli("providers", "add", "p", "--kind", "gemini")
    assert result.code == 2
    assert "--kind" in result.error_line


def test_duplicate_provider_name_fails(cli, open_store):
    assert cli("providers", "add", "dup", "--kind", "ollama").code == 0
    result = cli("providers", "add", "DUP", "--kind", "openai")
    assert result.code == 1
    assert "already exists" in result.error_line
    assert [p.kind for p in open_store().providers.list()] == ["ollama"]


def test_list_human_and_json(cli):
    assert "no providers" in cli("providers", "list").out
    assert cli("providers", "list", "--json").json() == []
    cli("providers", "add", "one", "--kind", "ollama")
    cli("providers", "add", "two", "--kind", "lmstudio")
    human = cli("providers", "list").out.splitlines()
    assert human[0].split()[:3] == ["ID", "NAME", "KIND"]
    assert [line.split()[1:3] for line in human[1:]] == [["one", "ollama"],
                                                          ["two", "lmstudio"]]
    data = cli("providers", "list", "--json").json()
    assert [(p["name"], p["kind"], p["is_local"]) for p in data] == [
        ("one", "ollama", True), ("two", "lmstudio", True)]


def test_remove(cli, open_store):
    cli("providers", "add", "gone", "--kind", "ollama")
    cli("providers", "add", "stays", "--kind", "ollama")
    result = cli("providers", "remove", "GONE", "--json")
    assert result.code == 0
    assert result.json()["removed"]["name"] == "gone"
    assert [p.name for p in open_store().providers.list()] == ["stays"]


def test_remove_unknown_provider_fails(cli):
    result = cli("providers", "remove", "ghost")
    assert result.code == 1
    assert "unknown provider 'ghost'" in result.error_line


def test_remove_names_the_agents_still_using_it(cli, make_agent, open_store):
    make_agent("user")
    result = cli("providers", "remove", "local")
    assert result.code == 0
    assert "user" in result.err and "error" not in result.err
    # The agent is kept: removing configuration never deletes agents.
    assert open_store().agents.get_by_name("user").provider == "local"
