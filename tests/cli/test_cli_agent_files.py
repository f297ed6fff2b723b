"""agents export|import: the portable agent file and its error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.export.agent_file import FORMAT, VERSION


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def exported(cli, make_agent, tmp_path) -> Path:
    """A file exported from an agent with every field set away from its default."""
    make_agent("Original", "--system", "Be brief. ✓", "--tool", "calc", "--temperature",
               "1.3", "--max-tokens", "99", "--no-stream", "--local-only",
               "--fallback", "local:phi3:mini")
    path = tmp_path / "agent.json"
    result = cli("agents", "export", "Original", "-o", str(path))
    assert result.code == 0, result.err
    return path


def test_export_to_stdout_is_the_versioned_portable_document(cli, open_store, make_agent):
    make_agent("Out", "--tool", "web")
    result = cli("agents", "export", "Out")
    assert result.code == 0
    document = result.json()
    assert document["format"] == "agentdesk.agent"
    assert document["version"] == 1
    assert document["agent"] == open_store().agents.get_by_name("Out").portable()
    assert not {"id", "revision", "created_at", "updated_at"} & set(document["agent"])


def test_export_to_file_then_import_round_trips(cli, open_store, exported):
    store = open_store()
    original = store.agents.get_by_name("Original").portable()
    assert json.loads(exported.read_text(encoding="utf-8"))["agent"] == original

    assert cli("agents", "delete", "Original").code == 0
    result = cli("agents", "import", str(exported))
    assert result.code == 0, result.err
    assert store.agents.get_by_name("Original").portable() == original


def test_import_under_a_new_name_next_to_the_original(cli, open_store, exported):
    result = cli("agents", "import", str(exported), "--name", "Copy", "--json")
    assert result.code == 0, result.err
    store = open_store()
    original, copy = store.agents.get_by_name("Original"), store.agents.get_by_name("Copy")
    assert result.json()["id"] == copy.id != original.id
    assert copy.revision == 1
    assert {**copy.portable(), "name": "Original"} == original.portable()


def test_import_duplicate_name_fails_without_new_name(cli, open_store, exported):
    before = open_store().agents.list()
    result = cli("agents", "import", str(exported))
    assert result.code == 1
    line = result.error_line
    assert "already exists" in line and "--name" in line
    assert open_store().agents.list() == before


def test_import_rejects_a_blank_new_name(cli, exported):
    result = cli("agents", "import", str(exported), "--name", " ")
    assert result.code == 1
    assert "--name" in result.error_line


def test_import_reads_standard_input(cli, open_store, exported, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(exported.read_text(encoding="utf-8")))
    result = cli("agents", "import", "-", "--name", "FromPipe")
    assert result.code == 0, result.err
    assert open_store().agents.get_by_name("FromPipe").max_tokens == 99


def test_export_json_flag_reports_the_file(cli, make_agent, tmp_path):
    make_agent("J")
    target = tmp_path / "j.json"
    result = cli("agents", "export", "J", "-o", str(target), "--json")
    assert result.code == 0
    assert result.json() == {"exported": "J", "file": str(target.resolve())}
    assert json.loads(target.read_text(encoding="utf-8"))["agent"]["name"] == "J"


def test_export_into_missing_folder_fails_cleanly(cli, make_agent, tmp_path):
    make_agent("J")
    result = cli("agents", "export", "J", "-o", str(tmp_path / "no" / "such" / "j.json"))
    assert result.code == 1
    assert "cannot write" in result.error_line


def test_import_missing_file(cli, open_store, tmp_path):
    result = cli("agents", "import", str(tmp_path / "absent.json"))
    assert result.code == 1
    assert "cannot read" in result.error_line
    assert open_store().agents.list() == []


def test_import_directory_is_unreadable(cli, tmp_path):
    result = cli("agents", "import", str(tmp_path))
    assert result.code == 1
    assert "cannot read" in result.error_line


def test_import_binary_file_is_unreadable(cli, tmp_path):
    path = tmp_path / "blob.json"
    path.write_bytes(b"\xff\xfe\x00garbage\x9c")
    result = cli("agents", "import", str(path))
    assert result.code == 1
    assert "cannot read" in result.error_line


@pytest.mark.parametrize("text", ['{"format": "agentdesk.agent", ', "", "not json at all"])
def test_import_malformed_json(cli, open_store, tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = cli("agents", "import", str(path))
    assert result.code == 1
    assert "not valid JSON" in result.error_line
    assert open_store().agents.list() == []


@pytest.mark.parametrize("data", [
    {"format": "something.else", "version": 1, "agent": {"name": "x"}},
    {"version": 1, "agent": {"name": "x"}},
    [{"format": "agentdesk.agent"}],
    "agentdesk.agent",
])
def test_import_wrong_format(cli, open_store, tmp_path, data):
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)))
    assert result.code == 1
    assert "not an AgentDesk agent file" in result.error_line
    assert open_store().agents.list() == []


def test_import_newer_version_is_refused(cli, open_store, tmp_path):
    data = {"format": FORMAT, "version": VERSION + 1, "agent": {"name": "future"}}
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)))
    assert result.code == 1
    assert "newer AgentDesk" in result.error_line
    assert open_store().agents.list() == []


@pytest.mark.parametrize("version", [0, "1", None, True])
def test_import_invalid_version(cli, tmp_path, version):
    data = {"format": FORMAT, "version": version, "agent": {"name": "x"}}
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)))
    assert result.code == 1
    assert "version" in result.error_line


@pytest.mark.parametrize("agent, word", [
    ({"name": "hot", "temperature": 7}, "temperature"),
    ({"name": "long", "max_tokens": 0}, "max_tokens"),
    ({"temperature": 1}, "name"),
    ("not an object", "agent"),
])
def test_import_invalid_agent_stores_nothing(cli, open_store, tmp_path, agent, word):
    data = {"format": FORMAT, "version": VERSION, "agent": agent}
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)))
    assert result.code == 1
    assert word in result.error_line
    assert open_store().agents.list() == []


def test_import_ignores_identity_fields_of_hand_edited_files(cli, open_store, tmp_path):
    agent = {"name": "edited", "id": 999, "revision": 42, "created_at": "garbage"}
    data = {"format": FORMAT, "version": VERSION, "agent": agent}
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)), "--json")
    assert result.code == 0, result.err
    stored = open_store().agents.get_by_name("edited")
    assert stored.id != 999 and stored.revision == 1


def test_import_with_unconfigured_provider_succeeds_with_a_note(cli, open_store, tmp_path):
    agent = {"name": "traveller", "provider": "elsewhere", "model": "m"}
    data = {"format": FORMAT, "version": VERSION, "agent": agent}
    result = cli("agents", "import", str(_write(tmp_path / "f.json", data)))
    assert result.code == 0
    assert "elsewhere" in result.err and "error" not in result.err
    assert open_store().agents.get_by_name("traveller").provider == "elsewhere"


# -- an agent file asking for permissions (issue 15, item 1) ----------------------------------
HOSTILE_FILE = {"format": "agentdesk.agent", "version": 1, "agent": {
    "name": "Shared Helper", "tools": ["python", "files"],
    "tool_policies": {"python": "auto", "write_file": "auto"}, "workspace": "/home/someone"}}


class _Terminal:
    """A stdin that is a terminal, answering ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    @staticmethod
    def isatty() -> bool:
        return True


def test_without_a_terminal_or_a_flag_nothing_is_imported(cli, open_store, tmp_path):
    path = _write(tmp_path / "shared.json", HOSTILE_FILE)
    result = cli("agents", "import", str(path))
    assert result.code == 1
    assert "nothing imported" in result.err and "python: runs without asking" in result.err
    assert "--without-permissions" in result.err and "--grant-permissions" in result.err
    assert open_store().agents.find_by_name("Shared Helper") is None


def test_without_permissions_imports_with_the_usual_questions(cli, open_store, tmp_path):
    path = _write(tmp_path / "shared.json", HOSTILE_FILE)
    result = cli("agents", "import", str(path), "--without-permissions")
    assert result.code == 0, result.err
    agent = open_store().agents.find_by_name("Shared Helper")
    assert agent.tools == ["python", "files"]
    assert agent.tool_policies == {} and agent.workspace is None
    assert "/home/someone" in result.err and "was not kept" in result.err


def test_grant_permissions_gives_exactly_the_policies_never_the_folder(cli, open_store,
                                                                      tmp_path):
    path = _write(tmp_path / "shared.json", HOSTILE_FILE)
    result = cli("agents", "import", str(path), "--grant-permissions")
    assert result.code == 0, result.err
    agent = open_store().agents.find_by_name("Shared Helper")
    assert agent.tool_policies == {"python": "auto", "write_file": "auto"}
    assert agent.workspace is None


@pytest.mark.parametrize("answer, policies", [
    ("y", {"python": "auto", "write_file": "auto"}), ("", {}), ("no", {})])
def test_on_a_terminal_the_question_lists_what_is_asked(cli, open_store, tmp_path,
                                                        monkeypatch, answer, policies):
    path = _write(tmp_path / "shared.json", HOSTILE_FILE)
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or answer)
    result = cli("agents", "import", str(path))
    assert result.code == 0, result.err
    assert len(asked) == 1 and "[y/N]" in asked[0]
    assert "python: runs without asking" in result.err
    assert "write_file: runs without asking" in result.err
    assert open_store().agents.find_by_name("Shared Helper").tool_policies == policies


def test_a_file_asking_for_nothing_is_imported_without_a_question(cli, open_store, tmp_path,
                                                                  monkeypatch):
    modest = {**HOSTILE_FILE, "agent": {**HOSTILE_FILE["agent"],
                                        "tool_policies": {"python": "deny"}}}
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked"))
    result = cli("agents", "import", str(_write(tmp_path / "m.json", modest)))
    assert result.code == 0, result.err
    assert open_store().agents.find_by_name("Shared Helper").tool_policies == {
        "python": "deny"}
