"""The ninth provider fault (issue 21): the real llama.cpp server is killed
(SIGKILL) in the middle of a streamed reply and started again on the same
port, in the real window and in the headless CLI. The reply shows a clear
error (the window's error bar; one line on the CLI's stderr, exit code 1),
the text that arrived is kept as a ``partial`` reply, the earlier messages
and the user's message are kept, and the next turn of the same
conversation works against the restarted server.

One server process for the module: started once, killed and started again
once per test (about 5 s per start). Replies are short (max_tokens 12): a
real model on 2 shared cores is the slow part. Timeouts are the defaults:
the server is killed, not slowed.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from app.domain import TextDelta
from app.settings import AppSettings
from tests.reliability.fault_cli import (TURN_SECONDS, chat, chat_process, check_failed_run,
                                         check_kept, read_until)
from tests.reliability.fault_window import (check_fault_turn, check_loop, watched_turn,
                                            window_settings)
from tests.reliability.provider_faults import (KILLED_EXPECTED, LoopSampler, RestartableLlama,
                                               frozen_start_heap, losses_between, seed_chat,
                                               stored_path)
from tests.support.reliability_summary import record, record_max
from tests.ui.conftest import aio, async_store, bridge, db_path, qloop  # noqa: F401 (fixtures)
from tests.ui.window_support import REPLY_MS, WAIT_MS, open_window

MAX_TOKENS = 12
QUESTION = "Count slowly from one to one hundred, one number per line."
SHAPE_AFTER = [("user", "complete"), ("assistant", "complete"),     # the earlier exchange
               ("user", "complete"), ("assistant", "partial"),      # killed mid-reply
               ("user", "complete"), ("assistant", "complete")]     # after the restart


@pytest.fixture(scope="module")
def restartable_llama(tmp_path_factory):
    server = RestartableLlama(tmp_path_factory.mktemp("llama-restart"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> AppSettings:
    for name in ("AGENTDESK_DEFAULT_PROVIDER", "AGENTDESK_DEFAULT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return window_settings(tmp_path, short_timeouts=False)


def test_window_server_killed_mid_reply_then_restarted_the_chat_goes_on(
        qtbot, bridge, db_path, settings, restartable_llama) -> None:  # noqa: F811 (fixtures)
    llama = restartable_llama
    agent, cid, earlier = seed_chat(db_path, llama.base_url, max_tokens=MAX_TOKENS)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.conversation_list.select(cid)
    qtbot.waitUntil(lambda: window.controller.conversation_id == cid
                    and not window.controller._loading, timeout=WAIT_MS)
    texts: list[str] = []
    window.controller.session(cid, agent.id).sig_event.connect(
        lambda e: texts.append(e.text) if isinstance(e, TextDelta) and e.text else None)
    at_kill: list[int] = []

    def kill_after_some_text() -> None:
        qtbot.waitUntil(lambda: len(texts) >= 1, timeout=REPLY_MS)
        llama.kill()
        at_kill.append(len(texts))

    sampler = LoopSampler()
    losses = 0
    try:
        with frozen_start_heap():
            watched_turn(qtbot, window, cid, QUESTION, sampler, during=kill_after_some_text)
        losses += check_fault_turn(window, cid, earlier, QUESTION, KILLED_EXPECTED, None)
        reply = stored_path(db_path, cid)[-1]
        losses += reply.content != "".join(texts)              # kept all that was shown
        check_loop("server killed", sampler)

        llama.start_again()                                     # same port, same chat
        before = stored_path(db_path, cid)
        watched_turn(qtbot, window, cid, "Say goodbye.", LoopSampler())
        after = stored_path(db_path, cid)
        losses += losses_between(before, after)
        assert [(m.role, m.status) for m in after] == SHAPE_AFTER
        assert after[-1].content and after[-1].provider == "llama"
        assert window.chat_view.message_ids() == [m.id for m in after]
    finally:
        print(f"window, server killed after {at_kill} deltas; loop gap "
              f"{sampler.max_gap_ms:.1f} ms, GUI-thread CPU {sampler.max_cpu_ms:.1f} ms")
        record("provider faults", faults=1, window_runs=1, losses=losses)
        record_max("provider faults", max_loop_gap_ms=sampler.max_gap_ms)
    assert losses == 0


def test_cli_server_killed_mid_reply_then_restarted_the_conversation_goes_on(
        tmp_path: Path, restartable_llama) -> None:
    llama = restartable_llama
    home = tmp_path / "home"
    _agent, cid, earlier = seed_chat(home / "agentdesk.db", llama.base_url,
                                     max_tokens=MAX_TOKENS)
    losses = 0
    try:
        proc = chat_process(home, QUESTION, cid)
        got = read_until(proc, 1, TURN_SECONDS)
        assert proc.poll() is None, "the reply ended before the server could be killed"
        llama.kill()
        _out, err = proc.communicate(timeout=TURN_SECONDS)
        time.sleep(0.1)                      # the reader thread took the last bytes
        stdout = b"".join(got).decode()
        check_failed_run(proc.returncode, stdout, err.decode(), KILLED_EXPECTED)
        losses += check_kept(home, cid, earlier, QUESTION, stdout, None)

        llama.start_again()                  # same port; the conversation goes on
        before = stored_path(home / "agentdesk.db", cid)
        done = chat(home, "Say goodbye.", cid)
        assert done.returncode == 0, done.stderr
        after = stored_path(home / "agentdesk.db", cid)
        losses += losses_between(before, after)
        assert [(m.role, m.status) for m in after] == SHAPE_AFTER
        assert after[-1].content and done.stdout.strip()
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    finally:
        record("provider faults", faults=1, cli_runs=1, losses=losses)
    assert losses == 0
