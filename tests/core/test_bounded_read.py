"""app/core/bounded_read.py: the one bounded read of a file someone named, and
each caller's words for its refusals (import, agent file, custom tool; the
composer drop's are in tests/ui/test_drag_drop.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.export.agent_file import AgentFileError, read_agent_file
from app.core.export.model import ImportRejected
from app.core.export.validation import ImportLimits, read_source
from app.core.tools.custom import discover_custom_tools
from app.store import Store


def refusal(path: Path, limit: int = 100, **kwargs) -> BoundedReadError:
    with pytest.raises(BoundedReadError) as caught:
        read_bounded(path, limit, **kwargs)
    return caught.value


def test_text_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("\ufeffcafé\r\nok".encode())
    assert read_bounded(path, 100) == "café\r\nok"           # BOM dropped, line ends kept
    assert read_bounded(path, 100, text=False) == path.read_bytes()
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"x" * 100)
    assert read_bounded(exact, 100) == "x" * 100


def test_over_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * 101)
    opened: list[Path] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: (opened.append(self),
                                                             real_open(self, *a, **k))[1])
    found = refusal(path)
    assert (found.problem, found.size, found.limit) == ("too_large", 101, 100)
    assert str(found) == "huge.txt: too large (101 bytes; the limit is 100)"
    assert opened == []


def test_a_file_that_grows_after_stat_is_still_cut_off(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"b" * 5000)
    real_stat = Path.stat

    def small_stat(self: Path, *args, **kwargs) -> os.stat_result:   # said 10 bytes
        info = real_stat(self, *args, **kwargs)
        if self != path:
            return info
        return os.stat_result((*info[:6], 10, *info[7:10]))

    monkeypatch.setattr(Path, "stat", small_stat)
    found = refusal(path, 100)
    assert (found.problem, found.size) == ("too_large", None)
    assert str(found) == "growing.log: too large (the limit is 100 bytes)"


@pytest.mark.parametrize("content, problem, words", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "binary", "a binary file, not text"),
    ("caf\xe9".encode("latin-1"), "not_text", "not UTF-8 text"),
    ("hello".encode("utf-16"), "not_text", "not UTF-8 text"),   # NULs, but text
])
def test_binary_and_other_encodings_are_refused_as_text(tmp_path: Path, content: bytes,
                                                        problem: str, words: str) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    found = refusal(path)
    assert found.problem == problem and words in str(found)
    assert read_bounded(path, 100, text=False) == content    # bytes are not judged


def test_missing_folder_and_live_database_are_unreadable(tmp_path: Path) -> None:
    assert refusal(tmp_path / "absent").problem == "unreadable"
    assert refusal(tmp_path).problem == "not_a_file"
    store = Store(tmp_path / "agentdesk.db")
    try:
        found = refusal(store.path, 10**9)
        assert found.problem == "unreadable" and "open database" in found.reason
    finally:
        store.close()


# -- every caller reads through it, in its own words ----------------------------------------------
def test_the_import_says_it_its_way(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\0\0\0")
    with pytest.raises(ImportRejected, match=r"^image.png is a binary file, not an export$"):
        read_source(binary)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (3 * 2**20))
    with pytest.raises(ImportRejected, match=r"too large to import \(3 MB; the limit is 1 MB\)"):
        read_source(big, ImportLimits(max_file_bytes=2**20))
    with pytest.raises(ImportRejected, match="not UTF-8 text \\(bad byte at offset 3\\)"):
        (tmp_path / "latin.md").write_bytes("caf\xe9".encode("latin-1"))
        read_source(tmp_path / "latin.md")


def test_an_agent_file_is_read_bounded(tmp_path: Path) -> None:
    big = tmp_path / "agent.json"
    big.write_bytes(b" " * 1_000_001)
    with pytest.raises(AgentFileError, match="too large to be an agent file"):
        read_agent_file(big)
    with pytest.raises(AgentFileError, match="^cannot read gone.json: "):
        read_agent_file(tmp_path / "gone.json", source="gone.json")
    ok = tmp_path / "ok.json"
    ok.write_text('{"format": "agentdesk.agent", "version": 1, "agent": {"name": "A"}}')
    assert read_agent_file(ok).name == "A"


def test_a_custom_tool_file_over_the_limit_is_skipped(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "tools"
    folder.mkdir()
    (folder / "big.py").write_bytes(b"#" * 1_000_001)
    (folder / "small.py").write_text("x = 1\n")
    store = Store(tmp_path / "agentdesk.db")
    try:
        assert [r.name for r in discover_custom_tools(folder, store)] == ["small"]
    finally:
        store.close()
    assert "big.py is larger than 1,000,000 bytes" in caplog.text
