"""Interrupted work: ``agentdesk models pull`` killed (SIGKILL) at seeded random
moments of downloading the real GGUF from an in-test model host.

One transfer of the file is killed several times: once shortly after the
start (often before a byte arrived) and then at random part sizes. After every
kill the model is not installed (only the ``.part`` exists; ``ModelLibrary``
lists nothing), and the next pull continues with ``Range: bytes=<part size>-``.
The last pull completes, and the installed file's SHA-256 is the real one.
Then a part damaged after a kill (a flipped byte) is caught by the SHA-256
check: not installed, deleted, said; the pull after that installs the right file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from interrupt_runs import cli_env, kill_count, kill_when, seeded

from app.core.models import download_state, library
from app.core.models.library import ModelLibrary
from tests.support.download_helpers import MB, model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server, sha256_of
from tests.support.pull_process import (entry_for, finish, leftover_locks, lock_probe,
                                        pull_command, start_pull)
from tests.support.reliability_summary import record

FILENAME = "Interrupted-Q4_K_M.gguf"
ENTRY_ID = "interrupted-pull"


def part_size(part: Path) -> int:
    try:
        return part.stat().st_size
    except FileNotFoundError:
        return 0


def not_installed(models: Path) -> None:
    """What a half-written download must never be: a model."""
    assert not (models / FILENAME).exists(), "a partial download was installed"
    names = [m.name for m in ModelLibrary(models, bundled=[]).installed()]
    assert names == [], f"listed as installed: {names}"


@pytest.mark.timeout(900)
def test_killed_pulls_resume_and_install_only_the_verified_file(
        tmp_path: Path, real_gguf, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "bundled_model_files", lambda: [])
    home = tmp_path / "home"
    models = home / "models"
    part = download_state.part_path(models, FILENAME)
    seed, rng = seeded()
    runs = kill_count()
    # Random part sizes, increasing: each kill lands later in the same file.
    marks = sorted(rng.sample(range(2 * MB, real_gguf.size - 2 * MB, MB), runs - 1))
    killed = resumed = half_written_used = losses = 0
    kept: list[int] = []
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=40 * MB)) as server:
        entry = entry_for(model_file(server, FILENAME), ENTRY_ID)
        for number in range(runs):
            if number == 0:
                point = {"after_seconds": rng.uniform(0.3, 2.5)}
            else:
                mark = marks[number - 1]
                point = {"condition": lambda mark=mark: part_size(part) >= mark}
            before = len(server.requests)
            run = kill_when(pull_command(entry), cli_env(home), **point)
            assert run.killed, f"run {number} (seed {seed}): the pull ended first: {run.stderr}"
            killed += 1
            if len(server.requests) > before and number > 0:
                # It asks for what it does not have: from the part it found, not byte 0
                # (a resume from elsewhere counts as a loss of the bytes kept).
                losses += server.range_starts()[before] != kept[-1]
                resumed += 1
            kept.append(part_size(part))
            half_written_used += (models / FILENAME).exists()
            not_installed(models)
            assert lock_probe(models, FILENAME) == "free"   # the OS dropped the killed one's lock
        server.options.throttle_bps = None
        done = finish(start_pull(home, entry))
        assert done.code == 0, done.err
        resumed += 1
        losses += server.range_starts()[-1] != kept[-1]   # the last pull continued the part
    assert sha256_of(models / FILENAME) == real_gguf.sha256
    assert not part.exists() and download_state.load_all(models) == []
    assert leftover_locks(models) == []
    assert [m.name for m in ModelLibrary(models, bundled=[]).installed()] == \
        [FILENAME.removesuffix(".gguf")]

    damaged = _damaged_part_is_never_installed(tmp_path / "home2", real_gguf, rng)
    print(f"\ninterrupted download: {runs + 1} kills ({runs} in one transfer, part sizes "
          f"{[k // MB for k in kept]} MB, 1 before a damaged part), {resumed} resumed "
          f"pulls, resumes not from the kept part = {losses}, half-written used = "
          f"{half_written_used + damaged} (seed {seed}; requests {server.requests})")
    record("interrupted work", runs=runs + 1, killed=killed + 1, resumed=resumed + 1,
           losses=losses, half_written_used=half_written_used + damaged)
    assert losses == 0 and half_written_used + damaged == 0


def _damaged_part_is_never_installed(home: Path, real_gguf, rng) -> int:
    """Kill a pull, flip a byte of its part, pull again: the SHA-256 check
    refuses it (nothing installed, the part deleted, the reason said); the
    next pull installs the real file. Returns how often a wrong file was used."""
    models = home / "models"
    part = download_state.part_path(models, FILENAME)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=40 * MB)) as server:
        entry = entry_for(model_file(server, FILENAME), ENTRY_ID)
        mark = rng.randrange(4 * MB, real_gguf.size // 2)
        run = kill_when(pull_command(entry), cli_env(home),
                        condition=lambda: part_size(part) >= mark)
        assert run.killed
        with open(part, "r+b") as handle:
            where = rng.randrange(0, part_size(part))
            handle.seek(where)
            byte = handle.read(1)
            handle.seek(where)
            handle.write(bytes([byte[0] ^ 0xFF]))
        server.options.throttle_bps = None
        refused = finish(start_pull(home, entry))
        used = int((models / FILENAME).exists())
        assert refused.code == 1, refused.err
        assert "SHA-256" in refused.err and "deleted" in refused.err, refused.err
        assert not part.exists()
        not_installed(models)
        again = finish(start_pull(home, entry))
        assert again.code == 0, again.err
    assert sha256_of(models / FILENAME) == real_gguf.sha256
    return used
