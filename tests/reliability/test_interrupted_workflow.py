"""Interrupted work: ``agentdesk workflows run --json`` (a two-step chain on
the real llama.cpp server) killed (SIGKILL) at seeded random moments: a time
after the start, or the k-th token shown (crash_runs' kill points; a step's
end comes first when it is shorter).

After every kill: integrity_check
passes, everything stored before is there unchanged, no step is left
``streaming`` (the interrupted one shows as ``partial``: interrupted, not
running forever — in ``agentdesk conversations show`` too, with no window
started in between: app/store/writer_lease.py), and what the steps stored
agrees with what was shown. Then the same workflow runs again to its end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crash_runs import FINAL, KillPoint, kill_at
from interrupt_runs import ROOT, agentdesk, cli_env, kill_count, run_cli, seeded

from app.domain import AgentSpec, Message, ProviderConfig
from app.domain.workflow import WorkflowSpec
from app.store import Store
from tests.support.reliability_summary import record

QUESTION = "Write a long list of sea birds, one per line."


def setup_chain(home: Path, llama_server) -> None:
    with Store.in_folder(home) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=llama_server.base_url))
        for name in ("Writer", "Reader"):
            store.agents.create(AgentSpec(name=name, provider="llama",
                                          model=llama_server.model, max_tokens=40,
                                          temperature=0.8, system_prompt=f"You are {name}."))
        store.workflows.create(WorkflowSpec(name="Pipe", kind="chain",
                                            agents=["Writer", "Reader"]))


def after_kill(home: Path, before: dict[int, Message], conversation_id: int | None,
               shown: str) -> tuple[dict[int, Message], int, int, int]:
    """(every message now, messages lost or changed, steps shown as still
    streaming, steps kept as partial); raises AssertionError when what was
    stored and what was shown disagree. The run is first looked at with the
    CLI alone (no window start in between), as a person without the window does."""
    streaming = 0
    if conversation_id is not None:
        shown_by_cli = run_cli(home, "conversations", "show", str(conversation_id), "--json")
        assert shown_by_cli.returncode == 0, shown_by_cli.stderr
        statuses = [m["status"] for m in json.loads(shown_by_cli.stdout)["messages"]]
        streaming = sum(status not in FINAL for status in statuses)
    with Store.in_folder(home) as store:             # the window's start
        assert store.integrity_ok(), "integrity_check failed after a kill"
        now = {m.id: m for chat in store.conversations.list(include_archived=True)
               for m in store.messages.all(chat.id)}
    lost = sum(message_id not in now or now[message_id].content != old.content
               for message_id, old in before.items())
    streaming += sum(m.status not in FINAL for m in now.values())
    mine = sorted((m for m in now.values() if m.conversation_id == conversation_id
                   and m.role == "assistant"), key=lambda m: m.id)
    stored = "".join(m.content for m in mine)
    assert shown.startswith(stored) or stored.startswith(shown), \
        f"stored {stored!r} and shown {shown!r} disagree"
    return now, lost, streaming, sum(m.status == "partial" for m in mine)


@pytest.mark.timeout(1800)
def test_killed_workflow_runs_show_as_interrupted_and_run_again(
        tmp_path: Path, llama_server) -> None:
    home = tmp_path / "home"
    setup_chain(home, llama_server)
    seed, rng = seeded()
    runs = kill_count(default=3)
    before: dict[int, Message] = {}
    killed = mid_step = left_streaming = partial = losses = 0
    for number in range(runs):
        point = KillPoint.random(rng)
        run = kill_at(agentdesk("workflows", "run", "Pipe", "--json", QUESTION),
                      cli_env(home), point, cwd=ROOT)
        killed += run.killed
        mid_step += run.killed and bool(run.shown)
        try:
            before, lost, streaming, kept = after_kill(home, before, run.conversation_id,
                                                 "".join(run.shown))
        except AssertionError as exc:
            raise AssertionError(f"run {number} (seed {seed}, {point}): {exc}") from exc
        losses += lost
        left_streaming += streaming
        partial += kept

    again = run_cli(home, "workflows", "run", "Pipe", "--json", QUESTION)
    lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert again.returncode == 0, again.stderr
    assert lines[-1]["type"] == "workflow_end" and lines[-1]["status"] == "complete"
    ends = [line for line in lines if line["type"] == "step_end"]
    assert [e["agent"] for e in ends] == ["Writer", "Reader"]
    with Store.in_folder(home) as store:
        replies = [m for m in store.messages.all(lines[0]["conversation_id"])
                   if m.role == "assistant"]
        assert [m.status for m in replies] == ["complete", "complete"]
        assert store.integrity_ok()
    print(f"\ninterrupted workflow: {runs} runs, {killed} killed, {mid_step} with steps "
          f"shown, {partial} steps kept as partial, {left_streaming} left streaming, "
          f"{losses} messages lost, "
          f"{len(before)} messages checked after each; the run again: complete (seed {seed})")
    record("interrupted work", runs=runs, killed=killed, resumed=1, losses=losses,
           half_written_used=left_streaming)
    assert left_streaming == 0 and losses == 0
    assert killed >= runs // 2, "too few runs were still going when killed"
