"""RecordingHooks: the recorders' one public seam. Each hook fires once its
write is committed (another connection sees it), in the order of the writes;
and nothing outside app/core/recorder.py subclasses the recorders or touches
their private state."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from app.core import recorder as recorder_module
from app.core.recorder import ConversationRecorder, RecordingHooks, ReplyRecorder
from app.domain import Message

ROOT = Path(__file__).resolve().parents[2]


def test_hooks_report_each_write_after_its_commit(run_with_store, read_row):
    seen: list[tuple[str, int, str | None]] = []    # (hook, message id, status on disk)

    def saw(name: str, message_id: int) -> None:
        row = read_row(message_id)
        seen.append((name, message_id, row["status"] if row else None))

    hooks = RecordingHooks(
        user_message=lambda m: saw("user", m.id),
        reply_started=lambda r: saw("started", r.message_id),
        content_flushed=lambda message_id, length: saw("flushed", message_id),
        reply_finished=lambda m: saw("finished", m.id))

    async def body(setup):
        recorder = ConversationRecorder(setup.store, flush_interval=0.01, hooks=hooks)
        user = await recorder.record_user_message(setup.conversation_id, "hi")
        reply = await recorder.start_reply(setup.conversation_id, None, "m", "p")
        reply.append("hello")
        await reply.flush()
        first = await reply.finish("complete")
        again = await reply.finish("complete")     # the first result, reported once
        return user, reply, first, again

    user, reply, first, again = run_with_store(body)
    assert first == again
    assert seen == [("user", user.id, "complete"),
                    ("started", reply.message_id, "streaming"),
                    ("flushed", reply.message_id, "streaming"),
                    ("finished", reply.message_id, "complete")]


def test_reply_finished_is_reported_even_if_the_caller_is_cancelled(run_with_store):
    finished: list[Message] = []

    async def body(setup):
        recorder = ConversationRecorder(
            setup.store, hooks=RecordingHooks(reply_finished=finished.append))
        reply = await recorder.start_reply(setup.conversation_id, None, "m", "p")
        reply.append("so far")
        caller = asyncio.ensure_future(reply.finish("cancelled"))
        await asyncio.sleep(0)
        caller.cancel()
        final = await reply.finish("cancelled")   # the write itself went on
        return final

    final = run_with_store(body)
    assert [m.id for m in finished] == [final.id] and final.content == "so far"


def test_start_reply_on_flushed_replaces_the_hook(run_with_store):
    hooked: list[int] = []
    passed: list[int] = []

    async def body(setup):
        recorder = ConversationRecorder(
            setup.store, hooks=RecordingHooks(content_flushed=lambda i, n: hooked.append(n)))
        reply = await recorder.start_reply(setup.conversation_id, None, "m", "p",
                                           on_flushed=lambda i, n: passed.append(n))
        reply.append("abc")
        await reply.flush()
        await reply.finish("complete")

    run_with_store(body)
    assert passed == [3] and hooked == []


# -- no private cross-calls ------------------------------------------------------------
def recorder_private_names() -> set[str]:
    """Private attributes and methods the recorder classes define."""
    tree = ast.parse(Path(recorder_module.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and node.name.startswith("_") and not node.name.startswith("__"):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                names.add(node.attr)
    return names


#: Objects that are not recorders but have a private member of the same name.
NOT_RECORDERS = {"loop"}      # asyncio's loop._timer (tests/ui/conftest.py)


def offences(source: str, private: set[str]) -> list[str]:
    """Subclasses of the recorders, and private recorder members reached on
    anything but ``self``/``cls`` (a recorder held by someone else)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                if name in (ConversationRecorder.__name__, ReplyRecorder.__name__):
                    found.append(f"class {node.name}({name})")
        elif isinstance(node, ast.Attribute) and node.attr in private:
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner not in ("self", "cls", *NOT_RECORDERS):
                found.append(f"{ast.unparse(node.value)}.{node.attr}")
    return found


def test_no_module_subclasses_a_recorder_or_reaches_into_one() -> None:
    private = recorder_private_names()
    assert {"_store", "_clock", "_flush_task", "_write_final"} <= private
    problems = []
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]):
        if path == Path(recorder_module.__file__) or path == Path(__file__):
            continue
        for offence in offences(path.read_text(encoding="utf-8"), private):
            problems.append(f"{path.relative_to(ROOT)}: {offence}")
    assert problems == []


def test_a_planted_subclass_or_private_access_is_caught() -> None:
    private = recorder_private_names()
    planted = ("class Mine(ConversationRecorder):\n    pass\n"
               "def f(reply, session):\n"
               "    return reply._flush_task, session.recorder._clock\n")
    assert offences(planted, private) == ["class Mine(ConversationRecorder)",
                                          "reply._flush_task", "session.recorder._clock"]
