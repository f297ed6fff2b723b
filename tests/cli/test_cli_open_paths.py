"""``agentdesk PATH...``: files given to the window start (a file manager's
"Open with AgentDesk") are told apart from commands and typos."""

from __future__ import annotations

from pathlib import Path

from app import cli
from app.cli import split_open_paths


def test_paths_are_told_apart_from_commands_and_options(tmp_path: Path,
                                                        monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "export").write_text("{}", encoding="utf-8")     # no suffix, but there
    assert split_open_paths(["chat.json"]) == ([], ["chat.json"])
    assert split_open_paths(["export"]) == ([], ["export"])
    assert split_open_paths([r"C:\Users\me\chat.json"]) is not None
    assert split_open_paths(["--home", "h", "a.json", "b", "--log-level", "debug"]) == (
        ["--home", "h", "--log-level", "debug"], ["a.json", "b"])
    assert split_open_paths(["--", "-odd-name"]) == ([], ["-odd-name"])
    for not_paths in ([], ["--version"], ["agents", "list"], ["agnets"],
                      ["conversations", "import", "x.json"], ["--home", "x.json"]):
        assert split_open_paths(not_paths) is None, not_paths


def test_the_window_starts_with_the_paths_and_a_typo_stays_a_usage_error(
        tmp_path: Path, monkeypatch, capsys) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(cli, "_start_gui",
                        lambda settings, paths=(): started.append(list(paths)) or 0)
    home = tmp_path / "home"
    assert cli.main(["--home", str(home), "notes.json", "other.md"]) == 0
    assert started == [["notes.json", "other.md"]]
    assert cli.main(["--home", str(home)]) == 0
    assert started[-1] == []

    assert cli.main(["--home", str(home), "agnets"]) == 2
    assert "invalid choice: 'agnets'" in capsys.readouterr().err
    assert len(started) == 2
