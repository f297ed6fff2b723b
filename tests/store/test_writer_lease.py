"""The CLI's recovery (``Store(recover="if_alone")``, app/store/writer_lease.py):
a reply left ``streaming`` by a killed process is marked ``partial`` when no
other store has the database open, and left alone while one does (its reply
may be live) — another store in this process or a store in another process,
until that process is killed."""

from __future__ import annotations

from pathlib import Path

from app.store import Store
from app.store.writer_lease import lease_path
from tests.support.database_holder import held_open, kill_holder, streaming_reply


def status_after_cli_open(db_path: Path, message_id: int) -> str:
    with Store(db_path, recover="if_alone") as cli_store:
        return cli_store.messages.get(message_id).status


def test_alone_the_cli_marks_an_orphaned_reply_partial(db_path: Path) -> None:
    cut = streaming_reply(db_path)
    with Store(db_path, recover="if_alone") as cli_store:
        assert cli_store.recovered_message_ids == [cut]
        assert cli_store.messages.get(cut).status == "partial"
        assert cli_store.messages.get(cut).content == "so far"
    assert lease_path(db_path).exists()


def test_while_another_store_here_has_it_open_the_reply_stays_streaming(
        db_path: Path) -> None:
    cut = streaming_reply(db_path)
    with Store(db_path, recover=False):                    # e.g. the window's store
        assert status_after_cli_open(db_path, cut) == "streaming"
    assert status_after_cli_open(db_path, cut) == "partial"


def test_another_process_holds_it_until_killed(db_path: Path) -> None:
    cut = streaming_reply(db_path)
    with held_open(db_path) as holder:
        assert status_after_cli_open(db_path, cut) == "streaming"   # it may be live
        kill_holder(holder)                                       # no cleanup runs
    assert status_after_cli_open(db_path, cut) == "partial"


def test_recover_false_still_never_recovers(db_path: Path) -> None:
    cut = streaming_reply(db_path)
    with Store(db_path, recover=False) as store:
        assert store.recovered_message_ids == []
        assert store.messages.get(cut).status == "streaming"


def status_after_window_open(db_path: Path, message_id: int) -> str:
    with Store(db_path, recover="unless_shared") as window_store:
        return window_store.messages.get(message_id).status


def test_the_window_recovers_only_while_no_other_store_has_it_open(db_path: Path) -> None:
    cut = streaming_reply(db_path)
    with Store(db_path, recover=False):                    # e.g. an `agentdesk chat`
        assert status_after_window_open(db_path, cut) == "streaming"
    assert status_after_window_open(db_path, cut) == "partial"


def test_without_flock_the_window_still_recovers_and_the_cli_does_not(
        db_path: Path, monkeypatch) -> None:
    import app.store.writer_lease as writer_lease
    monkeypatch.setattr(writer_lease, "fcntl", None)      # e.g. Windows: no lease
    cut = streaming_reply(db_path)
    assert status_after_cli_open(db_path, cut) == "streaming"
    assert status_after_window_open(db_path, cut) == "partial"
