"""The tool protocol (app/core/tools/base.py): schemas, validation, approval,
time limits, failures and cancellation.

This module uses ``from __future__ import annotations`` on purpose: tool
functions written that way (as custom tool files may be) have string
annotations that must be resolved in the tool's own module.
"""

from __future__ import annotations

import asyncio
import threading
from enum import Enum
from pathlib import Path
from typing import Literal

import pytest

from app.core.tools.base import (
    MAX_RESULT_CHARS,
    ApprovalRequest,
    FunctionTool,
    ToolContext,
    ToolError,
    ToolRegistry,
    execute_tool,
    tool,
)


class Shade(str, Enum):
    """A type that exists only in this module (not in base.py)."""

    LIGHT = "light"
    DARK = "dark"


@tool(policy="ask", risk="medium")
def paint(wall: str, coats: int = 2, shade: Shade = Shade.LIGHT,
          finish: Literal["matte", "gloss"] = "matte", rooms: list[str] | None = None,
          note: str | None = None, context: ToolContext | None = None) -> str:
    """Paint a wall of the house.

    Uses the paint already in the garage.

    Args:
        wall: which wall to paint.
        coats: how many coats.
        shade: light or dark paint.
        finish: the surface finish.
        rooms: rooms that must be aired afterwards.
    """
    return f"{wall}:{coats}:{shade.value}:{finish}:{rooms}:{note}"


class Approvals:
    """An approver that records every request and answers as configured."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.requests: list[ApprovalRequest] = []

    async def __call__(self, request: ApprovalRequest) -> bool:
        self.requests.append(request)
        return self.answer


def make_context(tmp_path: Path, approver=None, **options) -> ToolContext:
    context = ToolContext(workspace=tmp_path, agent_id=7, conversation_id=3, **options)
    if approver is not None:
        context.approver = approver
    return context


def counting_tool(**options) -> tuple[FunctionTool, list[dict]]:
    calls: list[dict] = []

    def record(text: str, times: int = 1) -> str:
        """Repeat a text."""
        calls.append({"text": text, "times": times})
        return text * times

    return FunctionTool(record, **options), calls


# -- schema ---------------------------------------------------------------------


def test_schema_comes_from_signature_and_docstring() -> None:
    schema = paint.parameters
    props = schema["properties"]

    assert paint.name == "paint"
    assert paint.description == "Paint a wall of the house. Uses the paint already in the garage."
    assert schema["type"] == "object"
    assert schema["required"] == ["wall"]
    assert schema["additionalProperties"] is False
    assert "context" not in props
    assert props["wall"] == {"description": "which wall to paint.", "title": "Wall",
                             "type": "string"}
    assert props["coats"]["type"] == "integer" and props["coats"]["default"] == 2
    assert props["finish"]["enum"] == ["matte", "gloss"]
    assert props["finish"]["default"] == "matte"
    assert props["rooms"]["anyOf"] == [{"items": {"type": "string"}, "type": "array"},
                                       {"type": "null"}]
    assert props["rooms"]["default"] is None
    # No docstring entry: no description, but still an optional string.
    assert "description" not in props["note"]
    # A type defined only in this module resolves (string annotations).
    shade_ref = props["shade"]["$ref"].rsplit("/", 1)[-1]
    assert schema["$defs"][shade_ref]["enum"] == ["light", "dark"]


def test_spec_carries_name_description_and_schema() -> None:
    spec = paint.spec()
    assert (spec.name, spec.description, spec.parameters) == (
        paint.name, paint.description, paint.parameters)


def test_decorator_options_and_defaults() -> None:
    assert (paint.policy, paint.risk) == ("ask", "medium")

    @tool
    def plain(x: int) -> int:
        """Echo."""
        return x

    assert isinstance(plain, FunctionTool)
    assert (plain.policy, plain.risk, plain.timeout) == ("auto", "low", 60.0)

    named = tool(name="renamed", description="Custom text.")(lambda y: y)
    assert named.name == "renamed" and named.description == "Custom text."
    # An unannotated parameter accepts anything but is still required.
    assert named.parameters["required"] == ["y"]


# -- validation -------------------------------------------------------------------


def test_validate_coerces_and_fills_defaults() -> None:
    checked = paint.validate({"wall": "north", "coats": "3", "shade": "dark"})
    assert checked == {"wall": "north", "coats": 3, "shade": Shade.DARK,
                       "finish": "matte", "rooms": None, "note": None}


@pytest.mark.parametrize(("arguments", "expected"), [
    ({}, "wall: Field required"),
    ({"wall": "n", "coats": "many"}, "coats: Input should be a valid integer"),
    ({"wall": "n", "finish": "satin"}, "finish: Input should be 'matte' or 'gloss'"),
    ({"wall": "n", "rooms": "kitchen"}, "rooms: Input should be a valid list"),
    ({"wall": "n", "brush": "wide"}, "brush: Extra inputs are not permitted"),
])
def test_validation_errors_name_the_argument(arguments: dict, expected: str) -> None:
    with pytest.raises(ToolError) as info:
        paint.validate(arguments)
    message = str(info.value)
    assert message.startswith("invalid arguments for paint: ")
    assert expected in message


def test_invalid_arguments_become_an_error_outcome_without_running(tmp_path: Path) -> None:
    record, calls = counting_tool()
    outcome = asyncio.run(execute_tool(record, {"times": 2}, make_context(tmp_path)))

    assert outcome.is_error and outcome.status == "error"
    assert "text: Field required" in outcome.content
    assert calls == []


def test_invalid_json_string_arguments_become_an_error_outcome(tmp_path: Path) -> None:
    record, calls = counting_tool()
    raw = '{"text": "hi", '
    outcome = asyncio.run(execute_tool(record, raw, make_context(tmp_path)))

    assert outcome.is_error and outcome.status == "error"
    assert "not valid JSON" in outcome.content and raw in outcome.content
    assert calls == []


# -- running ---------------------------------------------------------------------


def test_auto_tool_runs_without_asking(tmp_path: Path) -> None:
    record, calls = counting_tool()
    approvals = Approvals(answer=False)
    outcome = asyncio.run(execute_tool(record, {"text": "ab", "times": 3},
                                       make_context(tmp_path, approvals)))

    assert (outcome.content, outcome.is_error, outcome.status) == ("ababab", False, "ok")
    assert outcome.duration_ms >= 0
    assert calls == [{"text": "ab", "times": 3}]
    assert approvals.requests == []


def test_ask_tool_runs_after_approval_and_the_request_describes_the_call(
        tmp_path: Path) -> None:
    approvals = Approvals(answer=True)
    outcome = asyncio.run(execute_tool(paint, {"wall": "north", "coats": "1"},
                                       make_context(tmp_path, approvals)))

    assert outcome.status == "ok"
    assert outcome.content == "north:1:light:matte:None:None"
    [request] = approvals.requests
    assert request.tool == "paint" and request.risk == "medium"
    assert request.arguments["coats"] == 1  # the validated arguments are shown
    assert request.summary.startswith("paint(") and '"north"' in request.summary


def test_ask_tool_declined_is_denied_and_not_run(tmp_path: Path) -> None:
    record, calls = counting_tool(policy="ask")
    approvals = Approvals(answer=False)
    outcome = asyncio.run(execute_tool(record, {"text": "x"},
                                       make_context(tmp_path, approvals)))

    assert (outcome.is_error, outcome.status) == (True, "denied")
    assert "declined" in outcome.content
    assert len(approvals.requests) == 1 and calls == []


def test_default_approver_denies(tmp_path: Path) -> None:
    record, calls = counting_tool(policy="ask")
    outcome = asyncio.run(execute_tool(record, {"text": "x"}, make_context(tmp_path)))
    assert outcome.status == "denied" and calls == []


def test_deny_policy_never_asks_and_never_runs(tmp_path: Path) -> None:
    record, calls = counting_tool(policy="deny")
    approvals = Approvals(answer=True)
    outcome = asyncio.run(execute_tool(record, {"text": "x"},
                                       make_context(tmp_path, approvals)))

    assert outcome.status == "denied" and outcome.is_error
    assert approvals.requests == [] and calls == []


@pytest.mark.parametrize(("tool_policy", "override", "asked", "ran"), [
    ("ask", "auto", 0, 1),
    ("auto", "ask", 1, 1),
    ("auto", "deny", 0, 0),
])
def test_agent_policy_overrides_the_tools_default(tmp_path: Path, tool_policy: str,
                                                  override: str, asked: int,
                                                  ran: int) -> None:
    record, calls = counting_tool(policy=tool_policy)
    approvals = Approvals(answer=True)
    asyncio.run(execute_tool(record, {"text": "x"}, make_context(tmp_path, approvals),
                             policy=override))  # type: ignore[arg-type]
    assert (len(approvals.requests), len(calls)) == (asked, ran)


def test_a_crashing_approver_counts_as_not_approved(tmp_path: Path) -> None:
    record, calls = counting_tool(policy="ask")

    async def broken(request: ApprovalRequest) -> bool:
        raise RuntimeError("dialog failed")

    outcome = asyncio.run(execute_tool(record, {"text": "x"},
                                       make_context(tmp_path, broken)))
    assert outcome.status == "denied" and calls == []


def test_tool_gets_its_context_and_non_text_results_become_json(tmp_path: Path) -> None:
    async def where(key: str, context: ToolContext) -> dict:
        """Report the context."""
        return {"agent": context.agent_id, "workspace": context.workspace,
                "service": getattr(context, key)}

    outcome = asyncio.run(execute_tool(FunctionTool(where), {"key": "allow_private_addresses"},
                                       make_context(tmp_path, allow_private_addresses=True)))
    assert outcome.status == "ok"
    assert outcome.content == (f'{{"agent": 7, "workspace": "{tmp_path}", '
                               '"service": true}')


def test_sync_tools_run_off_the_event_loop_thread(tmp_path: Path) -> None:
    threads: list[int] = []

    def which_thread() -> str:
        """Record the thread."""
        threads.append(threading.get_ident())
        return "done"

    async def scenario() -> int:
        await execute_tool(FunctionTool(which_thread), {}, make_context(tmp_path))
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())
    assert len(threads) == 1 and threads[0] != loop_thread


def test_tool_error_is_reported_to_the_model(tmp_path: Path) -> None:
    def refuse(path: str) -> str:
        """Refuse."""
        raise ToolError(f"{path} is outside the workspace")

    outcome = asyncio.run(execute_tool(FunctionTool(refuse), {"path": "/etc"},
                                       make_context(tmp_path)))
    assert outcome.status == "error"
    assert outcome.content == "refuse failed: /etc is outside the workspace"


def test_a_crashing_tool_is_an_error_outcome_not_an_exception(tmp_path: Path) -> None:
    async def crash(n: int) -> str:
        """Crash."""
        return str(1 // n)

    outcome = asyncio.run(execute_tool(FunctionTool(crash), {"n": 0},
                                       make_context(tmp_path)))
    assert outcome.is_error and outcome.status == "error"
    assert "ZeroDivisionError" in outcome.content


def test_a_slow_tool_times_out(tmp_path: Path) -> None:
    finished: list[bool] = []

    async def slow() -> str:
        """Sleep."""
        await asyncio.sleep(30)
        finished.append(True)
        return "late"

    outcome = asyncio.run(execute_tool(FunctionTool(slow, timeout=0.05), {},
                                       make_context(tmp_path)))
    assert outcome.is_error and outcome.status == "timeout"
    assert "did not finish within 0.05 s" in outcome.content
    assert finished == []


def test_a_tools_own_timeout_error_is_a_failure_not_our_time_limit(
        tmp_path: Path) -> None:
    async def upstream() -> str:
        """Call something that times out by itself."""
        raise TimeoutError("upstream server did not answer")

    outcome = asyncio.run(execute_tool(FunctionTool(upstream, timeout=60), {},
                                       make_context(tmp_path)))
    assert outcome.status == "error"
    assert "upstream server did not answer" in outcome.content


def test_long_results_are_capped(tmp_path: Path) -> None:
    record, _ = counting_tool()
    outcome = asyncio.run(execute_tool(record, {"text": "x", "times": MAX_RESULT_CHARS + 10},
                                       make_context(tmp_path)))
    assert len(outcome.content) == MAX_RESULT_CHARS


def test_cancellation_propagates_and_reaches_the_tool(tmp_path: Path) -> None:
    state: dict[str, bool] = {}

    async def wait_forever() -> str:
        """Wait."""
        state["started"] = True
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise
        return "never"

    async def scenario() -> None:
        task = asyncio.create_task(execute_tool(FunctionTool(wait_forever), {},
                                                make_context(tmp_path)))
        while not state.get("started"):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert state == {"started": True, "cancelled": True}


def test_cancellation_while_waiting_for_approval_propagates(tmp_path: Path) -> None:
    record, calls = counting_tool(policy="ask")
    asked = asyncio.Event

    async def scenario() -> None:
        waiting = asked()

        async def never_answers(request: ApprovalRequest) -> bool:
            waiting.set()
            await asyncio.sleep(30)
            return True

        task = asyncio.create_task(execute_tool(record, {"text": "x"},
                                                make_context(tmp_path, never_answers)))
        await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert calls == []


# -- registry --------------------------------------------------------------------


def test_registry_registers_selects_and_refuses_duplicates() -> None:
    registry = ToolRegistry()
    first, _ = counting_tool(name="echo")
    second, _ = counting_tool(name="echo")
    registry.register(first)
    registry.register(paint)

    with pytest.raises(ValueError, match="already registered"):
        registry.register(second)
    registry.register(second, replace=True)

    assert registry.names() == ["echo", "paint"]
    assert registry.get("echo") is second
    assert registry.select(["paint", "missing", "echo"]) == [paint, second]
    registry.unregister("paint")
    registry.unregister("missing")
    assert registry.names() == ["echo"] and registry.get("paint") is None
