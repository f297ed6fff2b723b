"""providers test NAME and providers set-key NAME."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from keyring.backends import fail

from app.core.secrets import SERVICE
from tests.support.discovery_helpers import closed_port, openai_models_server
from tests.support.memory_keyring import MemoryKeyring, installed

SECRET = "sk-cli-test-SECRET-0123456789abcdefghij"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as backend:
        yield backend


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_reachable_provider_shows_latency_version_and_model_count(cli, llama_server):
    assert cli("providers", "add", "llama", "--kind", "llamacpp",
               "--url", llama_server.base_url).code == 0
    result = cli("providers", "test", "llama")
    assert result.code == 0, result.err
    lines = dict(line.split(":", 1) for line in result.out.splitlines())
    assert lines["reachable"].strip() == "yes"
    assert lines["latency"].strip().endswith("ms (median of 3)")
    assert int(lines["models"]) >= 1
    assert lines["auth"].strip() == "accepted"
    assert result.err == ""

    data = cli("providers", "test", "llama", "--json").json()
    assert data["reachable"] is True and data["model_count"] >= 1
    assert data["latency_ms"] > 0


def test_unreachable_provider_fails_with_one_line_naming_the_fix(cli):
    port = closed_port()
    url = f"http://127.0.0.1:{port}/v1"
    assert cli("providers", "add", "gone", "--kind", "llamacpp", "--url", url).code == 0
    result = cli("providers", "test", "gone")
    assert result.code == 1
    assert result.out == ""
    line = result.error_line
    assert f"the llama.cpp server is not running at {url}" in line
    assert f"start it with `llama-server -m MODEL.gguf --port {port}`" in line


def test_unreachable_with_json_prints_the_report_and_fails(cli):
    assert cli("providers", "add", "o", "--kind", "ollama",
               "--url", f"http://127.0.0.1:{closed_port()}").code == 0
    result = cli("providers", "test", "o", "--json")
    assert result.code == 1
    data = result.json()
    assert data["reachable"] is False and data["error_kind"] == "unreachable"
    assert data["fix"] == "start it with `ollama serve`"
    assert data["fix"] in result.error_line


def test_unknown_provider(cli):
    result = cli("providers", "test", "nope")
    assert result.code == 1 and "unknown provider 'nope'" in result.error_line


def test_missing_env_key_is_one_line_with_the_variable(cli, monkeypatch):
    monkeypatch.delenv("AGENTDESK_CLI_TEST_KEY", raising=False)
    assert cli("providers", "add", "cloud", "--kind", "openai",
               "--api-key-env", "AGENTDESK_CLI_TEST_KEY").code == 0
    result = cli("providers", "test", "cloud")
    assert result.code == 1
    assert "AGENTDESK_CLI_TEST_KEY" in result.error_line
    assert "is not set" in result.error_line


def test_set_key_stores_the_key_in_the_keyring_and_never_on_disk(
        cli, open_store, home, memory_keyring, monkeypatch):
    with openai_models_server(SECRET) as (port, seen):
        assert cli("providers", "add", "cloud", "--kind", "openai",
                   "--url", f"http://127.0.0.1:{port}/v1").code == 0
        unauthorised = cli("providers", "test", "cloud")
        assert unauthorised.code == 1
        assert "agentdesk providers set-key cloud" in unauthorised.error_line

        _stdin(monkeypatch, SECRET + "\n")
        stored = cli("providers", "set-key", "cloud")
        assert stored.code == 0, stored.err
        assert SECRET not in stored.out + stored.err
        assert memory_keyring.entries == {(SERVICE, "provider:cloud"): SECRET}
        assert open_store().providers.get_by_name("cloud").api_key_ref == "keyring:provider:cloud"

        tested = cli("providers", "test", "cloud", "--json")
        assert tested.code == 0, tested.err
        assert tested.json()["auth_ok"] is True
        assert seen[-1] == f"Bearer {SECRET}"
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_set_key_on_a_terminal_reads_without_echo(cli, memory_keyring, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return SECRET

    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    assert cli("providers", "add", "cloud", "--kind", "openai").code == 0
    assert cli("providers", "set-key", "cloud").code == 0
    assert prompts == ["API key for cloud: "]
    assert memory_keyring.entries[(SERVICE, "provider:cloud")] == SECRET


def test_set_key_without_a_keyring_suggests_an_environment_variable(
        cli, open_store, monkeypatch):
    assert cli("providers", "add", "cloud", "--kind", "openai").code == 0
    _stdin(monkeypatch, SECRET + "\n")
    with installed(fail.Keyring()):
        result = cli("providers", "set-key", "cloud")
    assert result.code == 1
    assert "--api-key-env" in result.error_line
    assert SECRET not in result.err
    assert open_store().providers.get_by_name("cloud").api_key_ref is None


def test_set_key_needs_a_key_on_stdin(cli, memory_keyring, monkeypatch):
    assert cli("providers", "add", "cloud", "--kind", "openai").code == 0
    _stdin(monkeypatch, "\n")
    result = cli("providers", "set-key", "cloud")
    assert result.code == 1 and "no API key given" in result.error_line
    assert memory_keyring.entries == {}


def test_set_key_replaces_an_env_reference_and_remove_deletes_the_entry(
        cli, open_store, memory_keyring, monkeypatch):
    assert cli("providers", "add", "cloud", "--kind", "openai",
               "--api-key-env", "SOME_VAR").code == 0
    _stdin(monkeypatch, SECRET + "\n")
    assert cli("providers", "set-key", "cloud").code == 0
    assert open_store().providers.get_by_name("cloud").api_key_ref == "keyring:provider:cloud"
    assert cli("providers", "remove", "cloud").code == 0
    assert memory_keyring.entries == {}


def test_embedded_needs_no_key(cli, tmp_path, memory_keyring, monkeypatch):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert cli("providers", "add", "e", "--kind", "embedded",
               "--model-path", str(model)).code == 0
    _stdin(monkeypatch, SECRET + "\n")
    result = cli("providers", "set-key", "e")
    assert result.code == 1 and "needs no API key" in result.error_line
