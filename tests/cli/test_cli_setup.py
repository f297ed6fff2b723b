"""``agentdesk setup``: the first-run offer in the terminal, against the in-test
Ollama server and the loopback GGUF server (a catalogue built by the test)."""

from __future__ import annotations

import pytest

from app.core.models import catalogue
from app.domain.model_library import CatalogueEntry
from tests.providers.ollama_server import OllamaServer
from tests.support.discovery_helpers import closed_port
from tests.support.download_helpers import model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import gguf_server


def ports(ollama: int | None = None, lmstudio: int | None = None) -> list[str]:
    return ["--ollama-port", str(ollama or closed_port()),
            "--lmstudio-port", str(lmstudio or closed_port())]


@pytest.fixture
def test_catalogue(monkeypatch, real_gguf):
    """The shipped catalogue replaced by one small chat entry served on loopback."""
    with gguf_server(real_gguf.path) as server:
        entry = CatalogueEntry(
            id="tiny-chat", name="Tiny Chat 270M", family="gemma", kind="chat",
            use_cases=["chat"], files=[model_file(server, "tiny-chat.gguf")],
            context_length=32768, licence="test", ram_bytes=800_000_000,
            good_for="a test", sources=["built by the test"])
        monkeypatch.setattr(catalogue, "load_catalogue", lambda path=None: [entry])
        yield server


def test_setup_offers_a_running_ollama_then_makes_the_agent_with_one_command(cli):
    with OllamaServer() as server:
        shown = cli("setup", *ports(ollama=server.port))
        assert shown.code == 0, shown.err
        assert f"Ollama is running at {server.base_url} (3 models); best for chat:" in shown.out
        assert "agentdesk setup --server ollama" in shown.out
        assert "base model" in shown.out
        assert cli("agents", "list", "--json").json() == []   # looking creates nothing

        made = cli("setup", "--server", "ollama", *ports(ollama=server.port))
        assert made.code == 0, made.err
        model = shown.out.split("best for chat: ")[1].split()[0]
        assert f"created the agent 'Assistant ({model})' on 'Ollama'" in made.out
        again = cli("setup", "--server", "ollama", "--json", *ports(ollama=server.port))
    assert again.json()["provider"]["name"] == "Ollama"       # the same provider reused
    agents = {a["name"]: a for a in cli("agents", "list", "--json").json()}
    assert set(agents) == {f"Assistant ({model})", f"Assistant ({model}) 2"}
    providers = cli("providers", "list", "--json").json()
    assert [p["name"] for p in providers] == ["Ollama"]


def test_setup_without_a_server_offers_the_download_then_downloads_on_request(
        cli, home, test_catalogue, real_gguf):
    shown = cli("setup", *ports())
    assert shown.code == 0, shown.err
    assert "No Ollama or LM Studio server answered" in shown.out
    assert "Recommended for this computer: Tiny Chat 270M (253 MB download" in shown.out
    assert "agentdesk setup --download" in shown.out
    assert test_catalogue.requests == []                       # nothing downloaded
    offered = cli("setup", "--json", *ports()).json()
    assert offered["download"]["size_bytes"] == real_gguf.size
    assert offered["download"]["command"] == "agentdesk setup --download"

    done = cli("setup", "--download", *ports())
    assert done.code == 0, done.err
    assert "tiny-chat.gguf" in done.err and "done" in done.err   # progress on stderr
    assert "created the agent 'Assistant (Tiny Chat 270M)'" in done.out
    assert (home / "models" / "tiny-chat.gguf").stat().st_size == real_gguf.size
    [provider] = cli("providers", "list", "--json").json()
    assert provider["kind"] == "embedded"
    assert provider["model_path"] == str(home / "models" / "tiny-chat.gguf")

    # Offered again: already downloaded; taking it reuses the file and provider.
    assert "already downloaded" in cli("setup", *ports()).out
    requests = len(test_catalogue.requests)
    again = cli("setup", "--download", *ports())
    assert again.code == 0 and len(test_catalogue.requests) == requests
    assert len(cli("providers", "list", "--json").json()) == 1


def test_setup_server_that_is_not_running_is_a_clear_error(cli):
    result = cli("setup", "--server", "lmstudio", *ports())
    assert result.code == 1
    assert "no LM Studio server answered on port" in result.error_line


def test_an_empty_agent_list_points_to_setup(cli):
    result = cli("agents", "list")
    assert result.code == 0 and "agentdesk setup" in result.out
