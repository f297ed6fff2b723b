"""``agentdesk knowledge``: add, list, search, reindex, remove, config — with --json."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Runner
from tests.support.knowledge_files import hostile_folder

ROOT = Path(__file__).resolve().parents[2]


def test_add_search_reindex_remove(cli: Runner, make_agent, tmp_path: Path) -> None:
    make_agent("Reader")
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# Birds\n\n## Herons\n\nHerons stand still in water.\n")
    (folder / "b.txt").write_text("Kettles boil water.\n")
    added = cli("knowledge", "add", "--agent", "Reader", str(folder), "--json")
    assert added.code == 0, added.err
    body = added.json()
    assert body["sources"][0]["path"] == str(folder)
    assert body["index"]["indexed"] == 2 and body["index"]["state"] == "finished"

    found = cli("knowledge", "search", "--agent", "Reader", "where do herons stand?", "--json")
    assert found.code == 0, found.err
    hits = found.json()
    assert hits[0]["path"] == str(folder / "a.md")
    assert hits[0]["location"] == "Birds › Herons"

    text = cli("knowledge", "search", "--agent", "Reader", "herons")
    assert text.out.startswith(f"[1] {folder / 'a.md'} — Birds › Herons")

    (folder / "b.txt").unlink()
    (folder / "c.txt").write_text("Owls hoot.\n")
    again = cli("knowledge", "reindex", "--agent", "Reader", "--json").json()
    assert (again["indexed"], again["unchanged"], again["removed"]) == (1, 1, 1)

    listed = cli("knowledge", "list", "--agent", "Reader", "--files", "--json").json()
    assert [Path(f["path"]).name for f in listed["files"]] == ["a.md", "c.txt"]
    assert listed["sources"][0]["files"] == 2

    removed = cli("knowledge", "remove", "--agent", "Reader", str(folder))
    assert removed.code == 0 and "removed" in removed.out
    assert cli("knowledge", "list", "--agent", "Reader", "--json").json()["sources"] == []
    missing = cli("knowledge", "remove", "--agent", "Reader", str(folder))
    assert missing.code == 1 and "no knowledge source" in missing.error_line


def test_config_and_errors(cli: Runner, make_agent, tmp_path: Path) -> None:
    make_agent("Cfg")
    saved = cli("knowledge", "config", "--agent", "Cfg", "--retrieval", "tool",
                "--embed-provider", "local", "--embed-model", "nomic", "--json").json()
    assert (saved["retrieval"], saved["embed_provider"], saved["embed_model"]) == \
        ("tool", "local", "nomic")
    half = cli("knowledge", "config", "--agent", "Cfg", "--embed-model", "x")
    assert half.code == 1 and "both" in half.error_line
    gone = cli("knowledge", "add", "--agent", "Cfg", str(tmp_path / "nope"))
    assert gone.code == 1 and "does not exist" in gone.error_line
    cli("knowledge", "config", "--agent", "Cfg", "--embed-provider", "nowhere",
        "--embed-model", "m")
    (tmp_path / "x.md").write_text("x")
    failing = cli("knowledge", "add", "--agent", "Cfg", str(tmp_path / "x.md"))
    assert failing.code == 1 and "'nowhere' is not configured" in failing.error_line
    keyword = cli("knowledge", "search", "--agent", "Cfg", "--keyword-only", "x")
    assert keyword.code == 0
    off = cli("knowledge", "config", "--agent", "Cfg", "--no-embeddings", "--json").json()
    assert off["embed_provider"] == "" and off["retrieval"] == "tool"


def test_hostile_files_each_get_a_reason_and_the_rest_is_indexed(
        home: Path, tmp_path: Path) -> None:
    """A real process; as root without the rights that let root read anything
    (setpriv drops them), so the unreadable file is unreadable as for a user."""
    hostile_folder(tmp_path / "kb")
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    base = [sys.executable, "-m", "app"]
    for args in (["providers", "add", "local", "--kind", "ollama"],
                 ["agents", "create", "--name", "H", "--provider", "local", "--model", "m"]):
        assert subprocess.run(base + args, cwd=ROOT, env=env, capture_output=True).returncode == 0
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "util-linux setpriv is needed to test unreadable files as root"
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    run = subprocess.run(prefix + base + ["knowledge", "add", "--agent", "H",
                                          str(tmp_path / "kb"), "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import json

    index = json.loads(run.stdout)["index"]
    errors = {Path(path).name: reason for path, reason in index["errors"]}
    assert errors["secret.txt"].startswith("permission denied")
    assert errors["binary.txt"] == "a binary file, not text"
    assert "too large" in errors["huge.pdf"] and "zip bomb" in errors["bomb.docx"]
    assert errors["self.txt"] == "symbolic link loop" and "loop" in errors["back"]
    assert index["indexed"] == 3 and index["state"] == "finished"
