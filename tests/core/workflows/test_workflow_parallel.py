"""Parallel workflows on scripted providers: the agents answer at once, the
synthesis agent gets every answer under its agent's name; Stop cancels every
running branch."""

from __future__ import annotations

import asyncio
import json

from app.core.workflows.inputs import SYNTHESIS_TASK
from app.domain import TextDelta
from app.domain.workflow import WorkflowSpec
from tests.support.scripted_providers import answer
from tests.support.turn_helpers import messages_of
from tests.support.workflow_helpers import Cast, collect_run, kinds, run_workflow_test, stop_when

PANEL = WorkflowSpec(name="Panel", kind="parallel", agents=["Alpha", "Beta"],
                     synthesis="Judge")


def test_branches_run_at_once_then_the_synthesis_gets_every_answer(tmp_path):
    both = asyncio.Barrier(2)

    async def meet(request):          # each branch waits until the other has started
        async with asyncio.timeout(10):
            await both.wait()

    cast = Cast()
    cast.add("Alpha", [meet, *answer("alpha says yes")])
    cast.add("Beta", [meet, *answer("beta says no")])
    cast.add("Judge", answer("they differ"))

    async def body(setup):
        prepared, events = await collect_run(setup, cast, "Is it?")
        return events, messages_of(setup.path, prepared.conversation.id)

    events, rows = run_workflow_test(tmp_path, cast, PANEL, body)
    assert sorted(cast.order()[:2]) == ["Alpha", "Beta"] and cast.order()[2] == "Judge"
    steps = kinds(events)
    assert steps[:2] in (["start:Alpha", "start:Beta"], ["start:Beta", "start:Alpha"])
    assert steps[-3:] == ["start:Judge", "end:Judge:complete", "workflow:complete"]
    judged = cast.providers["p-judge"].requests[0].messages[-1].content
    assert judged.startswith("Question:\nIs it?")
    assert "## Alpha\nalpha says yes" in judged and "## Beta\nbeta says no" in judged
    assert judged.endswith(SYNTHESIS_TASK)
    # One line of messages: question, both answers, the synthesis input, its reply.
    assert [r["parent_id"] for r in rows] == [None] + [r["id"] for r in rows[:-1]]
    roles = [(r["role"], json.loads(r["meta"]).get("workflow", {}).get("role")) for r in rows]
    assert roles == [("user", None), ("assistant", "branch"), ("assistant", "branch"),
                     ("user", "synthesis_input"), ("assistant", "synthesis")]
    assert events[-1].answer == "they differ"


def test_a_failed_branch_is_named_and_the_others_are_merged(tmp_path):
    cast = Cast()
    cast.add("Alpha", answer("alpha answer"))
    cast.add("Beta", [RuntimeError("down")])
    cast.add("Judge", answer("merged"))

    async def body(setup):
        return await collect_run(setup, cast, "q")

    _prepared, events = run_workflow_test(tmp_path, cast, PANEL, body)
    judged = cast.providers["p-judge"].requests[0].messages[-1].content
    assert "## Alpha" in judged and "## Beta" not in judged
    assert "No answer from: Beta" in judged
    assert events[-1].status == "complete"


def test_stop_cancels_every_running_branch(tmp_path):
    both = asyncio.Barrier(3)

    async def meet(request):
        await both.wait()

    cast = Cast()
    cast.add("Alpha", [TextDelta(text="a so far"), meet, 30.0, *answer("never")])
    cast.add("Beta", [TextDelta(text="b so far"), meet, 30.0, *answer("never")])
    cast.add("Judge", answer("never"))
    ready = asyncio.Event()

    async def body(setup):
        async def third():
            await both.wait()
            ready.set()

        helper = asyncio.create_task(third())
        prepared, seen = await stop_when(setup, cast, "q", ready)
        await helper
        return seen, messages_of(setup.path, prepared.conversation.id)

    seen, rows = run_workflow_test(tmp_path, cast, PANEL, body)
    replies = sorted((r["content"], r["status"]) for r in rows if r["role"] == "assistant")
    assert replies == [("a so far", "cancelled"), ("b so far", "cancelled")]
    assert cast.order() == ["Alpha", "Beta"] or cast.order() == ["Beta", "Alpha"]
    assert all(p.streams_closed == len(p.requests) for p in cast.providers.values())


def test_stop_during_the_synthesis_keeps_every_answer(tmp_path):
    reached = asyncio.Event()
    cast = Cast()
    cast.add("Alpha", answer("alpha answer"))
    cast.add("Beta", answer("beta answer"))
    cast.add("Judge", [TextDelta(text="merging"), lambda r: reached.set(), 30.0])

    async def body(setup):
        prepared, _seen = await stop_when(setup, cast, "q", reached)
        return messages_of(setup.path, prepared.conversation.id)

    rows = run_workflow_test(tmp_path, cast, PANEL, body)
    replies = [(r["content"], r["status"]) for r in rows if r["role"] == "assistant"]
    assert sorted(replies[:2]) == [("alpha answer", "complete"), ("beta answer", "complete")]
    assert replies[2] == ("merging", "cancelled")
