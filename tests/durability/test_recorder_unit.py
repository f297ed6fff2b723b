"""ConversationRecorder / ReplyRecorder against a real database file."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.core.recorder import DEFAULT_FLUSH_SECONDS, ConversationRecorder
from app.domain import ToolCallRecord, UsageStats
from app.settings import AppSettings
from app.store import NotFoundError, Store

TOKEN = "tok "


async def wait_until_idle(reply) -> None:
    while reply.flush_pending:
        await asyncio.sleep(0.001)


def test_flush_cadence_follows_the_interval_not_the_tokens(run_with_store, clock, read_row):
    committed: list[tuple[int, int, str]] = []   # (reported length, stored length, status)

    def on_flushed(message_id: int, length: int) -> None:
        row = read_row(message_id)
        committed.append((length, len(row["content"]), row["status"]))

    async def body(setup):
        recorder = ConversationRecorder(setup.store, flush_interval=1.0, clock=clock)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p", on_flushed=on_flushed)
        flushes_before_one_second = None
        for index in range(350):              # one token every 10 ms for 3.5 s
            clock.advance(0.01)
            reply.append(TOKEN)
            await wait_until_idle(reply)
            if index == 97:                   # clock at 0.98 s
                flushes_before_one_second = reply.flush_count
        await reply.finish("complete")
        return reply, flushes_before_one_second

    reply, flushes_before_one_second = run_with_store(body)
    assert flushes_before_one_second == 0
    assert 3 <= reply.flush_count <= 5          # about one per simulated second ...
    assert reply.flush_count < 350 // 10        # ... and certainly not one per token
    assert len(committed) == reply.flush_count
    lengths = [reported for reported, _, _ in committed]
    assert lengths == sorted(set(lengths))      # each flush wrote more than the last
    for reported, stored, status in committed:
        assert stored == reported               # what was reported is on disk
        assert status == "streaming"


def test_stalled_stream_still_reaches_disk_within_the_interval(run_with_store, read_row):
    async def body(setup):
        flushed = asyncio.Event()
        recorder = ConversationRecorder(setup.store, flush_interval=0.05)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p", on_flushed=lambda *_: flushed.set())
        reply.append("first part")                # then the stream stalls
        await asyncio.wait_for(flushed.wait(), timeout=5)
        after_stall = read_row(reply.message_id)

        flushed.clear()
        reply.append(", more")                    # tokens right after a flush: not due yet
        reply.append(" and the end")
        await asyncio.wait_for(flushed.wait(), timeout=5)
        after_second_stall = read_row(reply.message_id)
        count = reply.flush_count
        await reply.finish("complete")
        return after_stall, after_second_stall, count

    after_stall, after_second_stall, count = run_with_store(body)
    assert (after_stall["content"], after_stall["status"]) == ("first part", "streaming")
    assert after_second_stall["content"] == "first part, more and the end"
    assert after_second_stall["status"] == "streaming"
    assert count == 2                             # one flush per stall, not per token


def test_finish_writes_content_status_usage_and_origin(run_with_store, read_row):
    usage = UsageStats(prompt_tokens=12, completion_tokens=3, ttft_ms=80.0,
                       tokens_per_s=25.0)
    call = ToolCallRecord(call_id="c1", name="clock", arguments={"tz": "UTC"})

    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "model-a", "provider-a")
        for piece in ("Hello", ", ", "world"):
            reply.append(piece)
        reply.append_thinking("the user greets me")
        reply.add_tool_call(call)
        final = await reply.finish("complete", usage=usage, model="model-b",
                                   provider="provider-b", meta={"route": "fallback"})
        with pytest.raises(RuntimeError):
            reply.append("late")
        again = await reply.finish("error", error="ignored")
        return final, again

    final, again = run_with_store(body)
    assert final.content == "Hello, world"
    assert final.status == "complete"
    assert final.usage == usage
    assert (final.model, final.provider) == ("model-b", "provider-b")
    assert final.tool_calls == [call]
    duration = final.meta.pop("duration_ms")       # from the reply's insert to its end
    assert isinstance(duration, float) and duration >= 0
    assert final.meta == {"route": "fallback", "thinking": "the user greets me"}
    assert again == final                         # finishing twice changes nothing
    row = read_row(final.id)
    assert (row["content"], row["status"], row["error"]) == ("Hello, world", "complete",
                                                              None)


def test_finish_after_a_pending_flush_keeps_the_latest_content(run_with_store, clock,
                                                              read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store, flush_interval=1.0, clock=clock)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        reply.append("a" * 100)
        clock.advance(2.0)
        reply.append("b" * 100)                   # due: a flush starts in the background
        assert reply.flush_pending
        reply.append("c" * 100)                   # not flushed yet when finish is called
        final = await reply.finish("partial")
        await asyncio.sleep(0.05)                 # nothing may be written after finish
        return final, reply.flush_count

    final, flush_count = run_with_store(body)
    assert flush_count == 1
    row = read_row(final.id)
    assert row["content"] == "a" * 100 + "b" * 100 + "c" * 100
    assert row["status"] == "partial"


def test_error_finish_records_the_error_and_what_arrived(run_with_store, read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        with pytest.raises(ValueError):
            await reply.finish("streaming")       # not a final status
        reply.append("half an ans")               # still open after the refusal
        return await reply.finish("error", error="connection reset")

    final = run_with_store(body)
    row = read_row(final.id)
    assert (row["status"], row["error"], row["content"]) == (
        "error", "connection reset", "half an ans")


def test_cancelling_the_caller_during_finish_still_finalises(run_with_store, read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        reply.append("stopped by the user")
        gate = threading.Event()
        blocker = asyncio.ensure_future(setup.store.run(lambda s: gate.wait(10)))
        await asyncio.sleep(0.01)                 # the worker is now busy
        caller = asyncio.create_task(reply.finish("cancelled"))
        await asyncio.sleep(0.01)                 # finish has queued its write
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        during = read_row(reply.message_id)
        gate.set()
        await blocker
        for _ in range(500):                      # the shielded write completes on its own
            row = read_row(reply.message_id)
            if row["status"] != "streaming":
                break
            await asyncio.sleep(0.01)
        return during, row

    during, after = run_with_store(body)
    assert during["status"] == "streaming"       # the write really was pending
    assert (after["status"], after["content"]) == ("cancelled", "stopped by the user")


def test_user_message_is_committed_before_the_reply_starts(run_with_store, read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        user = await recorder.record_user_message(setup.conversation_id, "hi there",
                                                  setup.agent_revision)
        user_row = read_row(user.id)              # another connection sees it already
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m1", "prov")
        reply_row = read_row(reply.message_id)
        await reply.finish("complete")
        return user, user_row, reply_row

    user, user_row, reply_row = run_with_store(body)
    assert user_row is not None
    assert (user_row["role"], user_row["content"], user_row["status"]) == (
        "user", "hi there", "complete")
    assert user_row["agent_revision"] == user.agent_revision == 1
    assert reply_row["id"] > user.id
    assert (reply_row["role"], reply_row["status"], reply_row["content"]) == (
        "assistant", "streaming", "")
    assert (reply_row["model"], reply_row["provider"]) == ("m1", "prov")


def test_tool_result_is_committed_as_a_tool_message(run_with_store, read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        return await recorder.record_tool_result(setup.conversation_id, "call-7",
                                                 "no such file", is_error=True)

    message = run_with_store(body)
    row = read_row(message.id)
    assert (row["role"], row["tool_call_id"], row["status"], row["content"]) == (
        "tool", "call-7", "error", "no such file")


def test_explicit_flush_writes_now_and_only_when_there_is_news(run_with_store, clock,
                                                               read_row):
    async def body(setup):
        recorder = ConversationRecorder(setup.store, flush_interval=1.0, clock=clock)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        reply.append("early")
        await reply.flush()                       # long before the interval is up
        row = read_row(reply.message_id)
        await reply.flush()                       # nothing new: no second write
        count = reply.flush_count
        await reply.finish("complete")
        return row, count

    row, count = run_with_store(body)
    assert (row["content"], row["status"]) == ("early", "streaming")
    assert count == 1


def test_reply_left_streaming_is_found_partial_with_its_flushed_text(run_with_store,
                                                                     db_path):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        reply.append("written")
        await reply.flush()
        reply.append(" but never flushed")        # the process "dies" before finishing
        return reply.message_id

    message_id = run_with_store(body)
    with Store(db_path) as store:
        assert message_id in store.recovered_message_ids
        message = store.messages.get(message_id)
    assert (message.status, message.content) == ("partial", "written")


def test_flush_errors_are_raised_not_swallowed(run_with_store):
    async def body(setup):
        recorder = ConversationRecorder(setup.store)
        reply = await recorder.start_reply(setup.conversation_id, setup.agent_revision,
                                           "m", "p")
        reply.append("orphan")
        await setup.store.run(lambda s: s.conversations.delete(setup.conversation_id))
        with pytest.raises(NotFoundError):
            await reply.flush()
        assert isinstance(reply.last_flush_error, NotFoundError)
        with pytest.raises(NotFoundError):
            await reply.finish("complete")

    run_with_store(body)


def test_flush_interval_comes_from_the_settings(run_with_store, tmp_path):
    settings = AppSettings(stream_flush_seconds=0.25)

    async def body(setup):
        return (ConversationRecorder(setup.store).flush_interval,
                ConversationRecorder.from_settings(setup.store, settings).flush_interval)

    default, configured = run_with_store(body)
    assert default == DEFAULT_FLUSH_SECONDS == AppSettings().stream_flush_seconds
    assert configured == 0.25
