"""providers detect: the first-run probe of local model servers, from the CLI."""

from __future__ import annotations

from tests.support.discovery_helpers import closed_port, ollama_server


def test_detect_finds_running_servers_and_adds_them_once(cli, llama_server):
    with ollama_server() as ollama_port:
        ports = ["--ollama-port", str(ollama_port), "--llamacpp-port", str(llama_server.port),
                 "--lmstudio-port", str(closed_port())]
        listed = cli("providers", "detect", *ports)
        assert listed.code == 0, listed.err
        assert f"Ollama at http://127.0.0.1:{ollama_port}" in listed.out
        assert f"llama.cpp at {llama_server.base_url}" in listed.out
        assert "LM Studio" not in listed.out
        assert "not configured" in listed.out
        assert cli("providers", "list", "--json").json() == []  # detect alone adds nothing

        added = cli("providers", "detect", "--add", "--json", *ports).json()
        assert sorted(p["kind"] for p in added["added"]) == ["llamacpp", "ollama"]
        again = cli("providers", "detect", "--add", "--json", *ports).json()
        assert again["added"] == []  # already configured: not added twice

    configured = {p["name"]: p for p in cli("providers", "list", "--json").json()}
    assert configured["llama.cpp"]["base_url"] == llama_server.base_url
    assert configured["Ollama"]["base_url"] == f"http://127.0.0.1:{ollama_port}"
    assert all(p["is_local"] for p in configured.values())


def test_detect_with_nothing_running_says_so(cli):
    port = str(closed_port())
    result = cli("providers", "detect", "--ollama-port", port, "--lmstudio-port", port,
                 "--llamacpp-port", port)
    assert result.code == 0
    assert "no local model server answered" in result.out
