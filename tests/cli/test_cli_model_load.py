"""agentdesk models load|unload NAME --provider P against the in-test LM Studio
servers (tests/providers/lmstudio_admin_server.py: REST API v1 with
load/unload, LM Studio 0.4+; tests/providers/lmstudio_server.py: an older one
with v0 only): a whole session (load, already loaded, unload, unload again,
--json, --context-length), then one clear stderr line each for an LM Studio
without load/unload, a provider of another kind, an unknown provider or
model, a server that is down, and a server's hostile text escaped."""

from __future__ import annotations

from tests.providers.fault_server import closed_port, json_reply
from tests.providers.lmstudio_admin_server import LMStudioV1Server
from tests.providers.lmstudio_server import LMStudioServer

GEMMA = "gemma-3-270m-it-qat"
QWEN_VL = "qwen/qwen3-vl-4b"


def add_studio(cli, name: str, url: str) -> None:
    added = cli("providers", "add", name, "--kind", "lmstudio", "--url", url)
    assert added.code == 0, added.err


def test_a_whole_session_load_unload_json_and_context_length(cli):
    with LMStudioV1Server() as studio:
        add_studio(cli, "studio", studio.url + "/v1")
        loaded = cli("models", "load", QWEN_VL, "--provider", "studio")
        assert loaded.code == 0, loaded.err
        assert loaded.out == (f"loaded {QWEN_VL} on studio (instance {QWEN_VL}, "
                              "context 4,096, 1.2 s)\n")
        assert studio.loaded()[QWEN_VL] == [QWEN_VL]

        again = cli("models", "load", QWEN_VL, "--provider", "studio", "--json")
        assert again.code == 0, again.err
        assert again.json() == {"loaded": QWEN_VL, "provider": "studio",
                                "instance_id": QWEN_VL, "already_loaded": True,
                                "context_length": None, "load_time_seconds": None}
        assert len(studio.requests_to("/api/v1/models/load")) == 1      # not loaded twice
        plain_again = cli("models", "load", GEMMA, "--provider", "studio")
        assert plain_again.out == f"{GEMMA} is already loaded on studio (instance {GEMMA})\n"

        unloaded = cli("models", "unload", QWEN_VL, "--provider", "studio")
        assert unloaded.code == 0, unloaded.err
        assert unloaded.out == f"unloaded {QWEN_VL} from studio\n"
        assert studio.loaded()[QWEN_VL] == []
        gone = cli("models", "unload", QWEN_VL, "--provider", "studio")
        assert gone.code == 1
        assert f"has no loaded model or instance '{QWEN_VL}'" in gone.error_line

        # A chosen context length goes to LM Studio; two instances unloaded by key.
        sized = cli("models", "load", QWEN_VL, "--provider", "studio",
                    "--context-length", "8192", "--json")
        assert sized.code == 0, sized.err
        assert sized.json()["context_length"] == 8192
        assert studio.requests_to("/api/v1/models/load")[-1].json == {
            "model": QWEN_VL, "config": {"context_length": 8192}}
        studio.model(QWEN_VL)["loaded_instances"].append({"id": f"{QWEN_VL}:2", "config": {}})
        both = cli("models", "unload", QWEN_VL, "--provider", "studio", "--json")
        assert both.json() == {"unloaded": QWEN_VL, "provider": "studio",
                               "instances": [QWEN_VL, f"{QWEN_VL}:2"]}
        assert studio.loaded()[QWEN_VL] == []

        missing = cli("models", "load", "nope/missing", "--provider", "studio")
        assert missing.code == 1 and "has no model 'nope/missing'" in missing.error_line
        bad = cli("models", "load", QWEN_VL, "--provider", "studio", "--context-length", "0")
        assert bad.code == 2 and "must be at least 1" in bad.error_line


def test_an_lm_studio_before_0_4_says_what_to_do(cli):
    with LMStudioServer() as studio:
        add_studio(cli, "old", studio.url)
        for verb in ("load", "unload"):
            result = cli("models", verb, "meta-llama-3.1-8b-instruct", "--provider", "old")
            assert result.code == 1, result.out
            line = result.error_line
            assert line.startswith("agentdesk: error: LM Studio at http://127.0.0.1:")
            assert "0.4.0" in line and "in LM Studio itself" in line and "lms load" in line
        assert not [r for r in studio.requests if r.method == "POST"]


def test_wrong_kind_unknown_provider_and_a_down_server_are_one_line(cli):
    assert cli("providers", "add", "ol", "--kind", "ollama", "--url",
               "http://127.0.0.1:9").code == 0
    wrong = cli("models", "load", "x", "--provider", "ol")
    assert wrong.code == 1
    assert "'ol' is an Ollama provider" in wrong.error_line
    assert "LM Studio provider only" in wrong.error_line
    unknown = cli("models", "unload", "x", "--provider", "nobody")
    assert unknown.code == 1 and "nobody" in unknown.error_line
    needs_provider = cli("models", "load", "x")
    assert needs_provider.code == 2 and "--provider" in needs_provider.error_line

    port = closed_port()
    add_studio(cli, "gone", f"http://127.0.0.1:{port}/v1")
    for verb in ("load", "unload"):
        down = cli("models", verb, QWEN_VL, "--provider", "gone")
        assert down.code == 1, down.out
        assert f"127.0.0.1:{port}" in down.error_line and "Traceback" not in down.err


def test_the_servers_text_is_escaped(cli):
    hostile_instance = "evil\x1b]52;c;Y3VybCBldmls\x07\x1b[2J"
    with LMStudioV1Server() as studio:
        studio.model(QWEN_VL)["loaded_instances"] = [{"id": hostile_instance, "config": {}}]
        studio.route("POST", "/api/v1/models/unload", json_reply(
            {"error": {"message": "cannot unload \x1b[31mnow\x1b[0m\r\nreally"}}, status=500))
        add_studio(cli, "studio", studio.url)
        shown = cli("models", "load", QWEN_VL, "--provider", "studio")
        assert shown.code == 0, shown.err
        assert "\x1b" not in shown.out and "\x07" not in shown.out
        assert "evil\\x1b]52;c;Y3VybCBldmls\\x07\\x1b[2J" in shown.out
        refused = cli("models", "unload", QWEN_VL, "--provider", "studio")
        assert refused.code == 1
        assert "\x1b" not in refused.err and "\r" not in refused.err
        assert "cannot unload \\x1b[31mnow\\x1b[0m" in refused.error_line
