"""``agentdesk chat`` on the embedded engine: the engine's states before the
first token (``status`` lines with --json; one erased stderr line on a
terminal) and the note on a reply cut at its max tokens."""

from __future__ import annotations

import io
import sys

import pytest

from app.commands.chat import _Printer
from app.domain import Done, Status, TextDelta, parse_event
from app.domain.events import STATE_TEXTS, TOKEN_LIMIT_NOTE
from app.providers.embedded_engine import unload_idle_engines
from tests.support.llama_server import gemma_model_path


@pytest.fixture
def embedded_agent(cli, home) -> str:
    (home).mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text('{"engine": {"keep_loaded_minutes": 0}}')
    added = cli("providers", "add", "emb", "--kind", "embedded", "--model-path",
                str(gemma_model_path()))
    assert added.code == 0, added.err
    created = cli("agents", "create", "--name", "tiny", "--provider", "emb", "--model",
                  gemma_model_path().stem, "--max-tokens", "4", "--temperature", "0.7")
    assert created.code == 0, created.err
    yield "tiny"
    unload_idle_engines()


def test_json_output_reports_the_model_loading_before_the_tokens(cli, embedded_agent):
    result = cli("chat", "--agent", embedded_agent, "--json", "Say hello.")
    assert result.code == 0, result.err
    events = [parse_event(line) for line in result.out.splitlines()[1:]]
    types = [e.type for e in events]
    assert [e.state for e in events if isinstance(e, Status)] == ["loading_model", "generating"]
    assert types.index("status") < types.index("token")
    assert events[-1] == Done(stop_reason="length")      # 4 tokens: cut at the limit


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_state_erased_by_the_reply_and_the_limit_note(monkeypatch):
    err, out = _Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    printer = _Printer(json_lines=False)
    for event in (Status(state="loading_model"), Status(state="generating"),
                  TextDelta(text="Once"), Done(stop_reason="length")):
        printer.event(event)
    printer.end()
    assert out.getvalue() == "Once\n"
    written = err.getvalue()
    assert written.startswith(f"\r\x1b[K{STATE_TEXTS['loading_model']}\r\x1b[K")  # erased
    assert written.endswith(f"[{TOKEN_LIMIT_NOTE}]\n")


def test_without_a_terminal_stderr_stays_quiet(monkeypatch):
    err, out = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    printer = _Printer(json_lines=False)
    for event in (Status(state="waiting_engine"), TextDelta(text="Hi"), Done()):
        printer.event(event)
    printer.end()
    assert out.getvalue() == "Hi\n" and err.getvalue() == ""
