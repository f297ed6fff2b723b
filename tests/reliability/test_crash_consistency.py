"""Crash consistency: the app is killed (SIGKILL) at random moments of a reply
streamed from the real llama.cpp server — the headless ``agentdesk chat`` and
the real window, each in its own process — and after every kill the database
passes integrity_check, every message committed before is still there and
unchanged, the interrupted reply is kept (``partial``, a prefix of what was
shown), and the next start opens the data normally.

Runs: ``AGENTDESK_RELIABILITY_KILLS`` (default 50: 30 headless, 20 window);
``AGENTDESK_RELIABILITY_LONG=1`` multiplies them by 10. The counts are printed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from crash_runs import KillPoint, check_after_kill, kill_at

from tests.support.reliability_summary import record

from app.domain import AgentSpec, ProviderConfig
from app.store import Store

ROOT = Path(__file__).resolve().parents[2]
GUI_DRIVER = Path(__file__).with_name("gui_chat_process.py")
QUESTIONS = ["Tell a long story about a lighthouse keeper.",
             "Describe the sea in many words.", "List fruits, one per line, many of them."]


def kill_count() -> int:
    count = int(os.environ.get("AGENTDESK_RELIABILITY_KILLS", "50"))
    return count * (10 if os.environ.get("AGENTDESK_RELIABILITY_LONG") == "1" else 1)


@pytest.mark.timeout(3600)
def test_kills_mid_reply_lose_nothing(tmp_path: Path, llama_server) -> None:
    home = tmp_path / "home"
    with Store.in_folder(home) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=llama_server.base_url))
        agent = store.agents.create(AgentSpec(name="gemma", provider="llama",
                                              model=llama_server.model, max_tokens=96,
                                              temperature=0.8))
    env = {**os.environ, "AGENTDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    total = kill_count()
    gui_runs = total * 2 // 5
    before: dict = {}
    killed = mid_reply = waited_out = 0
    seconds: list[float] = []
    previous: int | None = None
    for number in range(total):
        question = rng.choice(QUESTIONS)
        point = KillPoint.random(rng)
        if number < total - gui_runs:
            command = [sys.executable, "-m", "app", "chat", "--agent", "gemma", "--json"]
            if previous is not None and rng.random() < 0.3:
                command += ["--conversation", str(previous)]   # continue a killed chat
            command.append(question)
        else:
            command = [sys.executable, str(GUI_DRIVER), str(agent.id), question]
        run = kill_at(command, env, point, cwd=ROOT)
        killed += run.killed
        waited_out += run.waited_out
        seconds.append(run.seconds)
        mid_reply += run.killed and bool(run.shown)
        previous = run.conversation_id or previous
        try:
            before = check_after_kill(home, before, run, question)
        except AssertionError as exc:
            raise AssertionError(f"run {number} (seed {seed}, {point}): {exc}") from exc
    started = subprocess.run([sys.executable, "-m", "app", "conversations", "list", "--json"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr          # starts normally afterwards
    partial = sum(m.status == "partial" for m in before.values())
    print(f"\ncrash consistency: {total} runs ({total - gui_runs} headless, {gui_runs} "
          f"window), {killed} killed, {mid_reply} mid-reply, {partial} partial replies "
          f"kept, {len(before)} messages checked after each, losses found = 0 (seed {seed}); "
          f"{sum(seconds):.0f} s in all, longest run {max(seconds):.1f} s")
    # A run that showed nothing within the limit (a window starting on a loaded
    # machine) is still a kill at a random moment; only a habit of it is a failure.
    assert waited_out <= total // 10, f"{waited_out} runs showed nothing within the limit"
    assert killed >= total * 3 // 4, "too few runs were still going when killed"
    assert mid_reply >= total // 3, "too few kills hit a reply being streamed"
    assert partial >= 1
    record("crash consistency", runs=total, killed=killed, mid_reply=mid_reply,
           partial_kept=partial, losses=0)
