"""Two ``agentdesk models pull`` of the same model at once, in real processes on
one data folder: the second says in one line that another AgentDesk process is
downloading it and exits 1, without touching the first's part file; the first
finishes with a verified file; a killed pull leaves no lock behind, and the next
pull continues from its part (app/core/models/download_lock.py)."""

from __future__ import annotations

import signal

import pytest

from app.core.models import download_state, library
from app.core.models.download_lock import busy_message
from tests.support.download_helpers import MB, model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server, sha256_of
from tests.support.pull_process import (
    entry_for, finish, leftover_locks, lock_probe, start_pull, wait_for_part)

FILENAME = "Loopback-Lock-Q4_K_M.gguf"
ENTRY_ID = "loopback-lock"


@pytest.fixture(autouse=True)
def no_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "bundled_model_files", lambda: [])


@pytest.fixture
def in_catalogue(monkeypatch: pytest.MonkeyPatch):
    """The entry in this process's catalogue too (the in-process ``cli``)."""
    from app.core.models import catalogue

    shipped = catalogue._shipped()

    def add(entry) -> None:
        monkeypatch.setattr(catalogue, "_shipped", lambda: (*shipped, entry))

    return add


@pytest.mark.slow
def test_a_second_pull_of_the_same_model_says_another_process_has_it(
        cli, home, real_gguf, in_catalogue):
    models = home / "models"
    part = download_state.part_path(models, FILENAME)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=4 * MB)) as server:
        entry = entry_for(model_file(server, FILENAME), ENTRY_ID)
        in_catalogue(entry)
        first = start_pull(home, entry)
        try:
            wait_for_part(models, FILENAME, 2 * MB, first)
            (record,) = download_state.load_all(models)
            saved = download_state.state_path(models, record.id).read_bytes()
            requests = len(server.requests)

            second = finish(start_pull(home, entry), timeout=120)
            assert second.code == 1, second.err
            assert second.err == f"agentdesk: error: {busy_message(FILENAME)}\n"
            # The second asked the server nothing and left the first's files alone.
            assert len(server.requests) == requests
            assert download_state.state_path(models, record.id).read_bytes() == saved
            assert first.poll() is None                       # still downloading
            assert lock_probe(models, FILENAME) == "busy"

            # The same in this process (the in-process CLI): one line, exit 1.
            third = cli("models", "pull", ENTRY_ID)
            assert third.code == 1 and third.error_line == \
                f"agentdesk: error: {busy_message(FILENAME)}"
            assert not (models / FILENAME).exists()

            server.options.throttle_bps = None
            done = finish(first)
        finally:
            if first.poll() is None:
                first.kill()
    assert done.code == 0, done.err
    assert done.out == f"installed {models / FILENAME}\n"
    assert sha256_of(models / FILENAME) == real_gguf.sha256
    assert not part.exists() and download_state.load_all(models) == []
    assert leftover_locks(models) == []
    assert server.range_starts()[0] == 0 and len(server.requests) == 1  # one download only

    again = cli("models", "pull", ENTRY_ID)
    assert again.code == 0 and again.out.startswith(f"{ENTRY_ID} is already installed")
    listed = cli("models", "list", "--json").json()["installed"]
    assert [m["name"] for m in listed] == [FILENAME.removesuffix(".gguf")]


@pytest.mark.slow
def test_a_killed_pull_leaves_no_lock_and_the_next_pull_continues_its_part(
        cli, home, real_gguf, in_catalogue):
    models = home / "models"
    part = download_state.part_path(models, FILENAME)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=10 * MB)) as server:
        entry = entry_for(model_file(server, FILENAME), ENTRY_ID)
        in_catalogue(entry)
        child = start_pull(home, entry)
        try:
            wait_for_part(models, FILENAME, 8 * MB, child)
            assert lock_probe(models, FILENAME) == "busy"
            child.send_signal(signal.SIGKILL)        # no handler, no cleanup runs
            killed = finish(child, timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert killed.code == -signal.SIGKILL
        kept = part.stat().st_size
        (record,) = download_state.load_all(models)
        assert record.state == "running"                 # as the killed process left it
        assert lock_probe(models, FILENAME) == "free"    # the OS dropped its lock

        server.options.throttle_bps = None
        result = cli("models", "pull", ENTRY_ID)
    assert result.code == 0, result.err
    assert server.range_starts()[-1] == kept             # continued from the kept part
    assert sha256_of(models / FILENAME) == real_gguf.sha256
    assert download_state.load_all(models) == [] and not part.exists()
    assert leftover_locks(models) == []
