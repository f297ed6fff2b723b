"""Interrupted work: ``agentdesk knowledge add`` (which indexes at once) killed
(SIGKILL) at seeded random moments of an index run over a generated folder.

Each run adds a new folder of Markdown notes, one of them holding a planted
word, and is killed once a random number of its files are stored. After every
kill the database passes integrity_check and no file is half there: every
file row marked indexed has exactly the chunks it says, and they hold that
file's own words (a file is stored with its chunks in one transaction). Then
``agentdesk knowledge reindex`` completes: every file of every folder is
indexed, and a keyword search finds each planted word in its file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from interrupt_runs import (agentdesk, cli_env, count, integrity_ok, kill_count, kill_when,
                            rows, run_cli, seeded)

from app.store import Store
from tests.support.export_data import make_agent
from tests.support.knowledge_files import markdown_notes
from tests.support.reliability_summary import record

FILES_PER_FOLDER = 160


def planted(number: int) -> str:
    return f"quokkaplanted{number}marker"


def half_indexed(database: Path) -> list[str]:
    """Files stored as indexed whose chunks are not all there or not theirs."""
    wrong = []
    for file_id, path, chunk_count in rows(
            database, "SELECT id, path, chunk_count FROM knowledge_files "
                      "WHERE status = 'indexed'"):
        texts = [t for (t,) in rows(database, "SELECT text FROM knowledge_chunks "
                                              "WHERE file_id = ? ORDER BY ordinal", file_id)]
        content = Path(path).read_text(encoding="utf-8")
        own = content.split("talks about ")[1].split()[0]          # topic<n> / the planted word
        if len(texts) != chunk_count or chunk_count == 0 or own not in " ".join(texts):
            wrong.append(path)
    return wrong


@pytest.mark.timeout(900)
def test_killed_index_runs_leave_no_half_file_and_reindex_completes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    database = home / "agentdesk.db"
    with Store.in_folder(home) as store:
        make_agent(store, "Reader")
    seed, rng = seeded()
    runs = kill_count()
    folders: list[Path] = []
    killed = half_written_used = 0
    stored_at_kill: list[int] = []
    for number in range(runs):
        folder = markdown_notes(tmp_path / f"kb{number}", FILES_PER_FOLDER, stem=f"n{number}-")
        (folder / f"n{number}-{rng.randrange(FILES_PER_FOLDER)}.md").write_text(
            f"# Planted\n\nThis note talks about {planted(number)} only.\n")
        folders.append(folder)
        before = count(database, "SELECT COUNT(*) FROM knowledge_files")
        target = before + rng.randint(1, FILES_PER_FOLDER - 1)
        run = kill_when(agentdesk("knowledge", "add", "--agent", "Reader", str(folder)),
                        cli_env(home), condition=lambda target=target: count(
                            database, "SELECT COUNT(*) FROM knowledge_files") >= target)
        assert run.killed, f"run {number} (seed {seed}) ended first: {run.stderr}"
        killed += 1
        stored_at_kill.append(count(database, "SELECT COUNT(*) FROM knowledge_files") - before)
        assert integrity_ok(database), f"run {number} (seed {seed}): integrity_check failed"
        wrong = half_indexed(database)
        half_written_used += len(wrong)
        assert not wrong, f"run {number} (seed {seed}): half-indexed files served: {wrong}"

    again = run_cli(home, "knowledge", "reindex", "--agent", "Reader", "--json")
    assert again.returncode == 0, again.stderr
    progress = json.loads(again.stdout)
    assert progress["state"] == "finished" and progress["failed"] == 0, progress
    listed = json.loads(run_cli(home, "knowledge", "list", "--agent", "Reader", "--files",
                                "--json").stdout)
    expected = {str(p) for folder in folders for p in folder.glob("*.md")}
    indexed = {f["path"] for f in listed["files"] if f["status"] == "indexed"}
    losses = len(expected - indexed)
    found = 0
    for number, folder in enumerate(folders):
        hits = json.loads(run_cli(home, "knowledge", "search", "--agent", "Reader",
                                  "--keyword-only", planted(number), "--json").stdout)
        found += bool(hits) and Path(hits[0]["path"]).parent == folder
    losses += runs - found
    assert half_indexed(database) == []
    print(f"\ninterrupted knowledge indexing: {runs} runs of {FILES_PER_FOLDER} files, "
          f"{killed} killed with {stored_at_kill} files stored, reindex indexed "
          f"{progress['indexed']} (unchanged {progress['unchanged']}), planted words found "
          f"{found}/{runs}, files lost = {len(expected - indexed)}, half-indexed served = "
          f"{half_written_used} (seed {seed})")
    record("interrupted work", runs=runs, killed=killed, resumed=1, losses=losses,
           half_written_used=half_written_used)
    assert losses == 0
