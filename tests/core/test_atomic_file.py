"""Replacing a file in one step: the old content survives any failed write."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.atomic_file import FolderNotWritable, write_atomically


def test_the_new_content_replaces_the_old_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old", encoding="utf-8")
    write_atomically(target, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"]


def test_a_failing_write_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old", encoding="utf-8")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise ValueError("disk gone")

    with pytest.raises(ValueError, match="disk gone"):
        write_atomically(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"]


def test_a_missing_folder_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(FolderNotWritable):
        write_atomically(tmp_path / "absent" / "x.md", lambda tmp: tmp.write_text("x"))
