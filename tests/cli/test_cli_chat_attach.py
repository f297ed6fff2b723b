"""agentdesk chat --attach: documents and images with the message, stored with
it, exported with it; a model without vision refused before anything is sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.ollama_server import OllamaServer
from tests.support.document_files import write_pdf, write_zip_bomb_docx
from tests.support.image_files import write_image


@pytest.fixture
def ollama() -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        yield server


@pytest.fixture
def agents(cli, ollama: OllamaServer) -> None:
    assert cli("providers", "add", "ol", "--kind", "ollama", "--url", ollama.base_url).code == 0
    for name, model in (("seer", "llava:7b"), ("blind", "llama3.2:latest")):
        assert cli("agents", "create", "--name", name, "--provider", "ol",
                   "--model", model).code == 0


def test_attached_files_travel_with_the_message(cli, agents, ollama: OllamaServer,
                                                tmp_path: Path, open_store) -> None:
    pdf = write_pdf(tmp_path / "plan.pdf", ["Budget is 42 euros"])
    png = write_image(tmp_path / "chart.png", (40, 30))
    result = cli("chat", "--agent", "seer", "--json", "Summarise these",
                 "--attach", str(pdf), str(png))
    assert result.code == 0, result.err
    conversation_id = json.loads(result.out.splitlines()[0])["conversation_id"]
    (body,) = ollama.chat_requests()
    user = body["messages"][-1]
    assert user["content"].startswith("Summarise these\n\n<document name=\"plan.pdf\">")
    assert "[page 1]\nBudget is 42 euros" in user["content"]
    (image,) = user["images"]
    assert base64.b64decode(image).startswith(b"\x89PNG") or \
        base64.b64decode(image).startswith(b"\xff\xd8")
    store = open_store()
    (stored,) = [m for m in store.messages.page(conversation_id) if m.role == "user"]
    assert [a.name for a in stored.attachments] == ["plan.pdf", "chart.png"]
    assert stored.content == "Summarise these"              # the files are beside it
    # Export round trip: JSON keeps the files; Markdown and HTML show them.
    out = tmp_path / "chat.json"
    assert cli("conversations", "export", str(conversation_id), "--format", "json",
               "-o", str(out)).code == 0
    imported = cli("conversations", "import", str(out), "--json")
    assert imported.code == 0, imported.err
    new_id = max(c.id for c in store.conversations.list())
    (again,) = [m for m in store.messages.page(new_id) if m.role == "user"]
    assert again.attachments == stored.attachments
    markdown = cli("conversations", "export", str(conversation_id), "--format", "md").out
    assert "📎 plan.pdf (" in markdown and "📎 chart.png (40×30)" in markdown
    md_file = tmp_path / "chat.md"
    md_file.write_text(markdown, encoding="utf-8")
    assert cli("conversations", "import", str(md_file)).code == 0
    md_id = max(c.id for c in store.conversations.list())
    (from_md,) = [m for m in store.messages.page(md_id) if m.role == "user"]
    assert from_md.attachments == stored.attachments
    html = cli("conversations", "export", str(conversation_id), "--format", "html").out
    assert '<img src="data:image/' in html and "img-src data:" in html


def test_a_model_without_vision_is_refused_before_sending(cli, agents,
                                                          ollama: OllamaServer,
                                                          tmp_path: Path) -> None:
    png = write_image(tmp_path / "photo.jpg", (20, 20))
    result = cli("chat", "--agent", "blind", "What is this?", "--attach", str(png))
    assert result.code != 0
    assert "cannot read images" in result.error_line
    assert ollama.chat_requests() == []
    assert cli("conversations", "list", "--json").json() == []   # nothing was left behind


def test_a_file_that_cannot_be_attached_stops_the_command(cli, agents, ollama: OllamaServer,
                                                          tmp_path: Path) -> None:
    bomb = write_zip_bomb_docx(tmp_path / "bomb.docx")
    result = cli("chat", "--agent", "seer", "hi", "--attach", str(bomb))
    assert result.code != 0 and "bomb.docx: refused" in result.error_line
    assert ollama.chat_requests() == []
