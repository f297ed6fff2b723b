"""A workflow process killed with SIGKILL after its first step: the database
keeps step 1 complete, and the step cut short is ``partial`` with the text
that had been flushed (the durability contract, docs/ARCHITECTURE.md)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.store import Store
from tests.support.turn_helpers import read_rows

WRITER = Path(__file__).with_name("workflow_writer.py")


def test_a_crash_mid_workflow_keeps_the_finished_steps(tmp_path):
    path = tmp_path / "agentdesk.db"
    stderr = (tmp_path / "writer.err").open("w")
    proc = subprocess.Popen([sys.executable, str(WRITER), str(path)],
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "step-end 1 complete", (tmp_path / "writer.err").read_text()
        deadline = time.monotonic() + 20
        while True:          # step 2 has streamed and its text was flushed
            rows = read_rows(path, "SELECT content FROM messages WHERE status = 'streaming'")
            if rows and rows[0]["content"] == "second, cut short":
                break
            assert time.monotonic() < deadline, "step 2 never flushed its text"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr.close()
    with Store(path) as store:                  # opening recovers the cut reply
        assert store.integrity_ok()
        [conversation] = store.conversations.list()
        assert conversation.origin == "workflow"
        messages = store.messages.all(conversation.id)
    assert [(m.role, m.status, m.content) for m in messages] == [
        ("user", "complete", "the question"),
        ("assistant", "complete", "first answer, complete"),
        ("assistant", "partial", "second, cut short")]
    assert [m.meta["workflow"]["agent"] for m in messages[1:]] == ["First", "Second"]
    assert json.dumps(messages[2].meta["workflow"]) == json.dumps(
        {"name": "Crash", "step": 2, "agent": "Second", "role": "step"})
