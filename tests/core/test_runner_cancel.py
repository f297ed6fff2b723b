"""Cancelling an AgentRunner at any moment leaves the database consistent."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, TextDelta, ToolResult
from app.settings import AppSettings
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls, registry
from tests.support.scripted_providers import answer, config, source
from tests.support.turn_helpers import messages_of, run_with_setup

LOCAL = config("local")


def spec(**extra) -> AgentSpec:
    values = {"name": "worker", "provider": "local", "model": "gemma", "tools": ["slow"]}
    values.update(extra)
    return AgentSpec(**values)


def make_runner(setup, provider, *tools) -> AgentRunner:
    settings = AppSettings(stream_flush_seconds=0.05, home=setup.path.parent)
    return AgentRunner(RunnerDeps(setup.store, settings, providers=source({"local": provider}),
                                  tools=registry(*tools)),
                       RunConfig(setup.agent, setup.conversation_id, "go"))


async def cancel_when(runner: AgentRunner, ready: asyncio.Event, seen: list) -> None:
    """Consume the runner in a task; cancel that task once ``ready`` is set."""

    async def consume():
        async for event in runner.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiter], timeout=20, return_when=asyncio.FIRST_COMPLETED)
    assert ready.is_set(), "the moment to cancel never came"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def assert_consistent(rows) -> None:
    """No message left streaming; every tool call has exactly one tool message."""
    assert [r["id"] for r in rows if r["status"] == "streaming"] == []
    asked = [c["call_id"] for r in rows if r["role"] == "assistant"
             for c in json.loads(r["tool_calls"] or "[]")]
    answered = [r["tool_call_id"] for r in rows if r["role"] == "tool"]
    assert sorted(asked) == sorted(answered)


def test_cancel_before_the_request_leaves_no_streaming_reply(tmp_path):
    requested = asyncio.Event()
    provider = RoundsProvider(LOCAL, [[lambda request: requested.set(), 30.0, *answer("x")]])

    async def body(setup):
        await cancel_when(make_runner(setup, provider, SlowTool("slow")), requested, [])
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert_consistent(rows)
    assert [(r["role"], r["status"], r["content"]) for r in rows] == [
        ("user", "complete", "go"), ("assistant", "cancelled", "")]
    assert provider.streams_closed == 1


def test_cancel_mid_stream_keeps_the_partial_text(tmp_path):
    got_text = asyncio.Event()
    provider = RoundsProvider(LOCAL, [[TextDelta(text="half "), TextDelta(text="done"),
                                       lambda request: got_text.set(), 30.0, *answer("x")]])

    async def body(setup):
        seen: list = []
        await cancel_when(make_runner(setup, provider, SlowTool("slow")), got_text, seen)
        return seen, messages_of(setup.path, setup.conversation_id)

    seen, rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert_consistent(rows)
    reply = rows[-1]
    assert (reply["status"], reply["content"]) == ("cancelled", "half done")
    assert json.loads(reply["meta"])["stop_reason"] == "cancelled"


def test_cancel_during_a_tool_cancels_it_and_records_it_cancelled(tmp_path):
    never = asyncio.Event()
    slow = SlowTool("slow", release=never)
    quick = SlowTool("quick")
    provider = RoundsProvider(LOCAL, [calls(("q", "quick", {}), ("s", "slow", {})),
                                      answer("never sent")])

    async def body(setup):
        quick_done = asyncio.Event()
        seen: list = []

        async def watch():
            while not (slow.started and any(isinstance(e, ToolResult) for e in seen)):
                await asyncio.sleep(0.005)
            quick_done.set()

        watcher = asyncio.create_task(watch())
        await cancel_when(make_runner(setup, provider, slow, quick), quick_done, seen)
        await watcher
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(tools=["slow", "quick"]), [LOCAL], body)
    assert_consistent(rows)
    assert slow.cancelled == 1 and slow.ended == []
    tools = {r["tool_call_id"]: r for r in rows if r["role"] == "tool"}
    assert tools["q"]["status"] == "complete"
    assert tools["s"]["status"] == "cancelled"
    meta = json.loads(tools["s"]["meta"])
    assert meta["outcome"] == "cancelled" and meta["tool"] == "slow"
    assert meta["duration_ms"] >= 0
    assert len(provider.requests) == 1          # no round after the cancelled tool
    assert rows[1]["role"] == "assistant" and rows[1]["status"] == "complete"


def test_cancel_after_a_tool_keeps_its_result(tmp_path):
    quick = SlowTool("slow")
    provider = RoundsProvider(LOCAL, [calls(("c", "slow", {})), [30.0, *answer("late")]])

    async def body(setup):
        runner = make_runner(setup, provider, quick)
        events = runner.events()
        async for event in events:
            if isinstance(event, ToolResult):
                break
        await events.aclose()                 # the reader goes away after the result
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert_consistent(rows)
    assert [(r["role"], r["status"]) for r in rows] == [
        ("user", "complete"), ("assistant", "complete"), ("tool", "complete")]


def test_cancel_while_the_next_round_waits_for_the_model(tmp_path):
    second_request = asyncio.Event()
    provider = RoundsProvider(LOCAL, [calls(("c", "slow", {})),
                                      [lambda r: second_request.set(), 30.0, *answer("x")]])

    async def body(setup):
        await cancel_when(make_runner(setup, provider, SlowTool("slow")), second_request, [])
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert_consistent(rows)
    assert [(r["role"], r["status"]) for r in rows] == [
        ("user", "complete"), ("assistant", "complete"), ("tool", "complete"),
        ("assistant", "cancelled")]


MOMENTS = [("write", k) for k in range(1, 9)] + [("event", k) for k in range(1, 9)]


@pytest.mark.parametrize("moment", MOMENTS, ids=[f"{m}-{k}" for m, k in MOMENTS])
def test_cancel_at_every_write_and_every_event_is_consistent(tmp_path, moment):
    """Cancel a two-round turn with a tool right after its k-th database write
    (as the change notice arrives) or its k-th event: whatever was reached,
    nothing is left half-written."""
    kind, k = moment
    tool = SlowTool("slow", seconds=0.01)
    provider = RoundsProvider(LOCAL, [[TextDelta(text="a"), *calls(("c", "slow", {}))],
                                      answer("b", "c")])

    async def body(setup):
        runner = make_runner(setup, provider, tool)
        count = 0
        task: asyncio.Task | None = None

        def tick(*_):
            nonlocal count
            count += 1
            if count == k and task is not None:
                task.cancel()

        async def consume():
            async for _ in runner.events():
                if kind == "event":
                    tick()

        if kind == "write":
            setup.store.subscribe(tick)
        task = asyncio.create_task(consume())
        try:
            await task
        except asyncio.CancelledError:
            pass
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert_consistent(rows)
    assert all(r["status"] in ("complete", "cancelled", "partial") for r in rows)
