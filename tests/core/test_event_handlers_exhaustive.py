"""Every place that handles run events does so with ``match`` ending in
``case _: assert_never(event)``, so a new event type fails where it is not
handled instead of slipping through an ``isinstance`` chain.

Static half: the code of app/ (the providers make events, they do not handle
them) has no ``isinstance(x, <run event>)`` and every ``match`` over run
events ends in that arm; each known handler has one. Runtime half: a planted
event type fed to the handlers raises ``AssertionError``.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.commands.chat import _Printer
from app.core import runner as runner_module
from app.core.fallback import FallbackStream
from app.core.routing import Candidate
from app.domain import ChatMessage, ChatRequest, TextDelta
from tests.core.test_runner import LOCAL, runner_for, spec
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import config
from tests.support.turn_helpers import collect, messages_of, run_with_setup

ROOT = Path(__file__).resolve().parents[2]
EVENT_TYPES = {"TextDelta", "ThinkingDelta", "ToolCall", "ToolResult", "Usage", "Done",
               "Error", "Status", "Attempt"}
#: (file, function) -> every handler of run events; each must hold such a match.
HANDLERS = {
    ("app/core/fallback.py", "events"),
    ("app/core/runner.py", "_stream_round"),
    ("app/core/workflows/engine.py", "_step"),
    ("app/services/chat_session.py", "_forward"),
    ("app/commands/chat.py", "_run_turn"),
    ("app/commands/chat.py", "event"),
    ("app/core/compare.py", "take"),
    ("app/commands/compare.py", "_event_line"),
    ("app/ui/compare_panel.py", "show_event"),
    ("app/ui/chat_controller.py", "_on_event"),
}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _event_classes(node: ast.AST) -> set[str]:
    """Class names in an isinstance() tuple that may be run events: bare names,
    or qualified through the events module (``sqlite3.Error`` is not ``Error``)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name) and n.value.id in {"events", "domain"}}


def _pattern_classes(pattern: ast.pattern) -> set[str]:
    found = set()
    for node in ast.walk(pattern):
        if isinstance(node, ast.MatchClass):
            found |= _names(node.cls)
    return found


def _ends_in_assert_never(match: ast.Match) -> bool:
    last = match.cases[-1]
    wildcard = isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None \
        and last.pattern.name is None and last.guard is None
    body = last.body
    return wildcard and len(body) == 1 and isinstance(body[0], ast.Expr) \
        and isinstance(body[0].value, ast.Call) \
        and "assert_never" in _names(body[0].value.func)


def problems_in(source: str, where: str) -> tuple[list[str], set[str]]:
    """(what breaks the rule, the functions holding a proper match over events)."""
    tree = ast.parse(source)
    problems: list[str] = []
    handlers: set[str] = set()
    for func in (n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        for node in ast.walk(func):
            if isinstance(node, ast.Match) and any(
                    _pattern_classes(c.pattern) & EVENT_TYPES for c in node.cases):
                if _ends_in_assert_never(node):
                    handlers.add(func.name)
                else:
                    problems.append(f"{where}:{node.lineno} match over run events "
                                    "without 'case _: assert_never(...)'")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "isinstance" and len(node.args) == 2 \
                and _event_classes(node.args[1]) & EVENT_TYPES:
            problems.append(f"{where}:{node.lineno} isinstance over a run event "
                            "(use match ... case _: assert_never)")
    return problems, handlers


def test_run_events_are_handled_by_exhaustive_matches_only() -> None:
    problems: list[str] = []
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "app").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        if where.startswith("app/providers/"):
            continue                 # they make the events
        bad, handlers = problems_in(path.read_text(encoding="utf-8"), where)
        problems += bad
        found |= {(where, name) for name in handlers}
    assert problems == []
    assert HANDLERS <= found


def test_a_planted_isinstance_chain_or_open_match_is_caught() -> None:
    planted = '''
def on(event):
    if isinstance(event, TextDelta):
        pass
    elif isinstance(event, (Usage, Done)):
        pass

def also(event):
    match event:
        case TextDelta():
            pass
        case _:
            pass

def fine(event):
    match event:
        case TextDelta() | Done():
            pass
        case _:
            assert_never(event)
'''
    problems, handlers = problems_in(planted, "x.py")
    assert problems == ["x.py:9 match over run events without 'case _: assert_never(...)'",
                        "x.py:3 isinstance over a run event (use match ... case _: assert_never)",
                        "x.py:5 isinstance over a run event (use match ... case _: assert_never)"]
    assert handlers == {"fine"}


# -- a planted event type at run time ------------------------------------------------------
class Planted(BaseModel):
    """An event type nobody handles yet."""

    type: str = "planted"


class PlantingProvider:
    name = "planting"

    async def stream_chat(self, request):
        yield TextDelta(text="hi")
        yield Planted()

    async def aclose(self) -> None:
        return None


def test_the_fallback_stream_fails_on_an_unknown_event() -> None:
    candidate = Candidate(provider=config("p"), model="m", source="primary")
    request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])

    async def drain() -> None:
        stream = FallbackStream([candidate], request, lambda c: PlantingProvider())
        async for _event in stream.events():
            pass

    with pytest.raises(AssertionError, match="planted"):
        asyncio.run(drain())


def test_the_runner_fails_on_an_unknown_event_and_records_the_reply(
        tmp_path, monkeypatch) -> None:
    """The runner's own match: a stream that passes an unknown event on."""

    class PassingStream:
        def __init__(self, candidates, request, providers, *, prepare=None) -> None:
            self.answered_by = None
            self.attempts = []

        async def events(self):
            yield TextDelta(text="so far")
            yield Planted()

    monkeypatch.setattr(runner_module, "FallbackStream", PassingStream)

    async def body(setup):
        runner = runner_for(setup, "go", RoundsProvider(LOCAL, []), None)
        with pytest.raises(AssertionError, match="planted"):
            await collect(runner.events())
        return messages_of(setup.path, setup.conversation_id)

    rows = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert [(r["role"], r["status"], r["content"]) for r in rows] == [
        ("user", "complete", "go"), ("assistant", "partial", "so far")]


def test_the_cli_printer_fails_on_an_unknown_event(capsys) -> None:
    printer = _Printer(json_lines=False)
    printer.event(TextDelta(text="ok"))
    with pytest.raises(AssertionError):
        printer.event(Planted())      # type: ignore[arg-type]
    assert capsys.readouterr().out == "ok"
