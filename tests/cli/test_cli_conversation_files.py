"""conversations export|import from the command line."""

from __future__ import annotations

import json

import pypdf
import pytest

from app.store import Store
from tests.core.test_import_foreign import chatgpt_branching
from tests.support.export_data import add_conversation, rich_messages, snapshot


@pytest.fixture
def two_chats(open_store, make_agent) -> list[int]:
    agent = make_agent("Helper")
    store = open_store()
    first = add_conversation(store, agent["id"], "First", rich_messages())
    second = add_conversation(store, agent["id"], "Second", rich_messages()[:2],
                              archived=True)
    return [first, second]


def test_export_json_to_stdout_then_import_elsewhere(cli, open_store, two_chats, tmp_path,
                                                     monkeypatch) -> None:
    result = cli("conversations", "export", "--all")
    assert result.code == 0, result.err
    document = result.json()
    assert document["format"] == "agentdesk.conversations"
    assert [c["conversation"]["title"] for c in document["conversations"]] == [
        "First", "Second"]
    path = tmp_path / "all.json"
    path.write_text(result.out, encoding="utf-8")
    source = snapshot(open_store())

    monkeypatch.setenv("AGENTDESK_HOME", str(tmp_path / "other-home"))
    imported = cli("conversations", "import", str(path), "--json")
    assert imported.code == 0, imported.err
    report = imported.json()
    assert len(report["imported"]) == 2 and report["agents_created"] == ["Helper"]
    with Store.in_folder(tmp_path / "other-home") as other:
        assert snapshot(other) == source

    again = cli("conversations", "import", str(path))
    assert again.code == 0
    assert "imported 0 conversations" in again.out and "already imported" in again.out


@pytest.mark.parametrize(("fmt", "marker"), [("md", "### User"), ("html", "<!DOCTYPE html>")])
def test_export_selected_to_file(cli, two_chats, tmp_path, fmt, marker) -> None:
    out = tmp_path / f"chat.{fmt}"
    result = cli("conversations", "export", str(two_chats[0]), "--format", fmt, "-o",
                 str(out), "--json")
    assert result.code == 0, result.err
    assert result.json() == {"exported": 1, "format": fmt, "file": str(out.resolve())}
    text = out.read_text(encoding="utf-8")
    assert marker in text and "First" in text and "Second" not in text


def test_export_pdf_needs_a_file_and_writes_one(cli, two_chats, tmp_path) -> None:
    result = cli("conversations", "export", str(two_chats[0]), "--format", "pdf")
    assert result.code == 1 and "-o FILE" in result.error_line
    out = tmp_path / "chat.pdf"
    result = cli("conversations", "export", str(two_chats[0]), "--format", "pdf", "-o",
                 str(out), "--theme", "dark")
    assert result.code == 0, result.err
    text = "".join(page.extract_text() for page in pypdf.PdfReader(str(out)).pages)
    assert "First" in text and "greet" in text
    assert not list(tmp_path.glob(".chat.pdf.*"))  # no temporary file left behind


def test_export_errors(cli, two_chats) -> None:
    assert "IDs or --all" in cli("conversations", "export").error_line
    assert "IDs or --all" in cli("conversations", "export", "1", "--all").error_line
    missing = cli("conversations", "export", str(two_chats[0]), "999").error_line
    assert "999" in missing and "agentdesk conversations list" in missing


def test_import_reports_and_errors(cli, open_store, tmp_path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([chatgpt_branching()]), encoding="utf-8")
    result = cli("conversations", "import", str(path))
    assert result.code == 0, result.err
    assert "imported 1 conversation from conversations.json (chatgpt)" in result.out
    assert "created agent 'Imported'" in result.out
    assert "image_asset_pointer" in result.err  # a note, not an error

    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    before = open_store().conversations.list(include_archived=True)
    failed = cli("conversations", "import", str(bad))
    assert failed.code == 1
    assert "nothing imported: bad.json is not valid JSON" in failed.error_line
    assert open_store().conversations.list(include_archived=True) == before
    missing = cli("conversations", "import", str(tmp_path / "absent.json"))
    assert missing.code == 1 and "cannot read" in missing.error_line
    ghost = cli("conversations", "import", str(path), "--agent", "Ghost")
    assert "no agent named 'Ghost'" in ghost.error_line
