"""agentdesk models: the merged list, per-provider notes, exit codes, cache."""

from __future__ import annotations

from tests.support.discovery_helpers import OLLAMA_TAGS, closed_port, ollama_server


def _add_llama(cli, name: str, url: str) -> None:
    assert cli("providers", "add", name, "--kind", "llamacpp", "--url", url).code == 0


def test_lists_the_real_servers_model_and_notes_the_dead_provider(cli, llama_server):
    _add_llama(cli, "llama", llama_server.base_url)
    port = closed_port()
    _add_llama(cli, "gone", f"http://127.0.0.1:{port}/v1")

    result = cli("models")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["PROVIDER", "MODEL", "SIZE", "QUANT", "CONTEXT",
                              "CAPABILITIES", "LOADED"]
    assert [row.split()[:2] for row in rows] == [["llama", llama_server.model]]
    notes = result.err.splitlines()
    assert len(notes) == 1
    assert notes[0].startswith("agentdesk: note: gone: the llama.cpp server is not running")
    assert f"--port {port}" in notes[0]


def test_json_output_has_models_and_errors(cli, llama_server):
    _add_llama(cli, "llama", llama_server.base_url)
    _add_llama(cli, "gone", f"http://127.0.0.1:{closed_port()}/v1")
    result = cli("models", "--json")
    assert result.code == 0
    data = result.json()
    assert [(m["provider"], m["id"]) for m in data["models"]] == [("llama", "gemma3")]
    assert list(data["errors"]) == ["gone"]
    assert data["errors"]["gone"]["error_kind"] == "unreachable"


def test_one_provider_only(cli, llama_server):
    _add_llama(cli, "llama", llama_server.base_url)
    _add_llama(cli, "gone", f"http://127.0.0.1:{closed_port()}/v1")
    result = cli("models", "--provider", "llama", "--json")
    assert result.code == 0 and result.err == ""
    assert result.json()["errors"] == {}
    assert {m["provider"] for m in result.json()["models"]} == {"llama"}


def test_all_failed_is_exit_1_with_one_line_and_the_fix(cli):
    _add_llama(cli, "gone", f"http://127.0.0.1:{closed_port()}/v1")
    result = cli("models")
    assert result.code == 1
    assert result.out == ""
    assert "gone: the llama.cpp server is not running" in result.error_line
    assert "llama-server -m MODEL.gguf" in result.error_line


def test_no_enabled_provider(cli, open_store):
    result = cli("models")
    assert result.code == 1 and "no enabled providers" in result.error_line
    _add_llama(cli, "off", "http://127.0.0.1:8080/v1")
    store = open_store()
    config = store.providers.get_by_name("off")
    store.providers.update(config.model_copy(update={"enabled": False}))
    assert "no enabled providers" in cli("models").error_line
    assert "is disabled" in cli("models", "--provider", "off").error_line


def test_unknown_provider(cli):
    result = cli("models", "--provider", "nope")
    assert result.code == 1 and "unknown provider 'nope'" in result.error_line


def test_ollama_metadata_is_shown_and_cached_until_refresh(cli, home):
    with ollama_server() as port:
        assert cli("providers", "add", "ol", "--kind", "ollama",
                   "--url", f"http://127.0.0.1:{port}").code == 0
        first = cli("models", "--json")
        assert first.code == 0, first.err
    expected = sorted(m["name"] for m in OLLAMA_TAGS["models"])
    models = first.json()["models"]
    assert [m["id"] for m in models] == expected
    by_id = {m["id"]: m for m in models}
    for tag in OLLAMA_TAGS["models"]:
        assert by_id[tag["name"]]["quantization"] == tag["details"]["quantization_level"]
        assert by_id[tag["name"]]["size_bytes"] == tag["size"]
    assert (home / "cache" / "models.json").is_file()

    # The server is gone now: the cached list still answers within the minute...
    cached = cli("models", "--json")
    assert cached.code == 0
    assert cached.json()["models"] == models
    # ...and --refresh asks again, and sees it is gone.
    refreshed = cli("models", "--refresh")
    assert refreshed.code == 1
    assert "Ollama is not running" in refreshed.error_line
