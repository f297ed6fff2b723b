"""Vision decided for the model that answers, through the real runner and store
(``agentdesk chat``), with the request shapes read back from the in-test
Ollama server and an OpenAI-compatible one:

- images of earlier turns reach a model without vision as a short note, not as
  images, and the stored message keeps its image; a vision model still gets them;
- an ``auto`` model is decided for the model ``auto`` resolves to now;
- the built-in engine is refused up front with its own message, and nothing is
  left behind (no empty chat)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.fault_server import FaultServer, json_reply, text_stream
from tests.providers.ollama_server import OllamaServer
from tests.support.image_files import write_image

NOTE = "[image omitted: chart.png; this model has no vision]"


@pytest.fixture
def ollama() -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        yield server


def _chat(cli, *args: str) -> int:
    result = cli("chat", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out.splitlines()[0])["conversation_id"]


def _stored_user_images(open_store, conversation_id: int) -> list[bytes]:
    store = open_store()
    first = [m for m in store.messages.page(conversation_id) if m.role == "user"][0]
    return [a.data for a in first.attachments if a.kind == "image"]


def test_earlier_images_become_a_note_for_an_ollama_model_without_vision(
        cli, ollama: OllamaServer, tmp_path: Path, open_store) -> None:
    png = write_image(tmp_path / "chart.png", (40, 30))
    assert cli("providers", "add", "ol", "--kind", "ollama", "--url", ollama.base_url).code == 0
    assert cli("agents", "create", "--name", "a", "--provider", "ol",
               "--model", "llava:7b").code == 0
    chat = _chat(cli, "--agent", "a", "What is this?", "--attach", str(png))
    first_image = ollama.chat_requests()[0]["messages"][-1]["images"][0]

    # The same chat, now answered by a model without vision.
    assert cli("agents", "edit", "a", "--model", "llama3.2:latest").code == 0
    _chat(cli, "--agent", "a", "--conversation", str(chat), "And now?")
    body = ollama.chat_requests()[1]
    assert body["model"] == "llama3.2:latest"
    assert all("images" not in m for m in body["messages"])   # nothing Ollama would refuse
    earlier = [m for m in body["messages"] if m["role"] == "user"][0]
    assert earlier["content"] == f"What is this?\n\n{NOTE}"
    assert body["messages"][-1]["content"] == "And now?"
    # Only the request changed: the stored message still holds its image.
    assert [base64.b64encode(d).decode() for d in _stored_user_images(open_store, chat)] \
        == [first_image]

    # Back on the vision model, the earlier image is sent again as an image.
    assert cli("agents", "edit", "a", "--model", "llava:7b").code == 0
    _chat(cli, "--agent", "a", "--conversation", str(chat), "Once more")
    earlier = [m for m in ollama.chat_requests()[2]["messages"] if m["role"] == "user"][0]
    assert earlier["images"] == [first_image] and NOTE not in earlier["content"]


def test_earlier_images_become_a_note_for_an_openai_compatible_model_without_vision(
        cli, home: Path, tmp_path: Path) -> None:
    png = write_image(tmp_path / "chart.png", (40, 30))
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps(
        {"attachments": {"vision_models": ["vl/qwen-vl"]}}), encoding="utf-8")
    with FaultServer() as server:
        server.route("GET", "/v1/models", json_reply({"object": "list", "data": [
            {"id": "qwen-vl", "object": "model"}, {"id": "plain", "object": "model"}]}))
        server.route("POST", "/v1/chat/completions", text_stream(["seen"]))
        assert cli("providers", "add", "vl", "--kind", "openai",
                   "--url", server.url + "/v1").code == 0
        assert cli("agents", "create", "--name", "b", "--provider", "vl",
                   "--model", "qwen-vl").code == 0
        chat = _chat(cli, "--agent", "b", "Describe", "--attach", str(png))
        assert cli("agents", "edit", "b", "--model", "plain").code == 0
        _chat(cli, "--agent", "b", "--conversation", str(chat), "Shorter")
        first, second = (r.json for r in server.requests_to("/v1/chat/completions"))
    text, image = first["messages"][-1]["content"]               # content parts
    assert text == {"type": "text", "text": "Describe"}
    assert image["image_url"]["url"].startswith("data:image/")
    assert second["model"] == "plain"
    earlier = [m for m in second["messages"] if m["role"] == "user"][0]
    assert earlier["content"] == f"Describe\n\n{NOTE}"            # a plain string, no parts
    assert all(isinstance(m["content"], str) for m in second["messages"])


def test_an_auto_model_is_decided_for_the_model_auto_resolves_to(
        cli, ollama: OllamaServer, tmp_path: Path) -> None:
    png = write_image(tmp_path / "chart.png", (40, 30))
    assert cli("providers", "add", "ol", "--kind", "ollama", "--url", ollama.base_url).code == 0
    assert cli("agents", "create", "--name", "auto", "--provider", "ol",
               "--model", "auto").code == 0
    # 'auto' stands for the loaded model: a vision model now, so the image goes out.
    ollama.loaded = {"llava:7b"}
    _chat(cli, "--agent", "auto", "What is this?", "--attach", str(png))
    (body,) = ollama.chat_requests()
    assert body["model"] == "llava:7b" and len(body["messages"][-1]["images"]) == 1
    # Loaded is a model without vision: refused before sending, said for that model.
    ollama.loaded = {"llama3.2:latest"}
    refused = cli("chat", "--agent", "auto", "And this?", "--attach", str(png))
    assert refused.code != 0
    assert "'auto', which means ol/llama3.2:latest now" in refused.error_line
    assert "llama3.2:latest on ol cannot read images" in refused.error_line
    assert len(ollama.chat_requests()) == 1
    assert len(cli("conversations", "list", "--json").json()) == 1   # no empty chat left


def test_the_built_in_engine_is_refused_up_front(cli, tmp_path: Path) -> None:
    png = write_image(tmp_path / "chart.png", (40, 30))
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)       # never loaded: refused before that
    assert cli("providers", "add", "here", "--kind", "embedded",
               "--model-path", str(gguf)).code == 0
    assert cli("agents", "create", "--name", "e", "--provider", "here",
               "--model", "tiny").code == 0
    refused = cli("chat", "--agent", "e", "What is this?", "--attach", str(png))
    assert refused.code != 0
    assert "The built-in engine can't read images; choose a vision model on Ollama, " \
           "LM Studio or a compatible server" in refused.error_line
    assert cli("conversations", "list", "--json").json() == []
