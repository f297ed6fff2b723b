"""``agentdesk --self-test``: does this installation work? One line per step.

Made for installers and their tests: a frozen build runs it after installing
(``/opt/agentdesk/agentdesk --self-test``), a person can run it when the app
does not start. In a temporary data folder (never the user's), it

1. opens the main window offscreen (the real start: store, first run, window)
   and closes it the way File › Quit does;
2. loads the keyring's backends (API keys are kept there);
3. lists the providers the first run created: the built-in model's embedded
   provider must be among them, on the file shipped beside an installed app
   (app/core/bundled_model.py) when there is one;
4. imports the llama.cpp engine (its native libraries load), loads that
   model and generates a few tokens.

Exit status 0 when every step passed; otherwise each failed step printed
what failed (later steps that need it are skipped) and the status is 1. The
temporary folder is removed after a pass and kept (its log names the
details) after a failure.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO, assert_never

from app.core.bundled_model import bundled_model_file
from app.core.first_run import PROVIDER_NAME
from app.core.provider_factory import build_provider, options_from_settings
from app.domain import ChatMessage, ChatRequest, ProviderConfig
from app.domain.events import (
    Done, Error, Status, TextDelta, ThinkingDelta, ToolCall, ToolResult, Usage)
from app.logs import configure_logging
from app.settings import AppSettings, load_settings
from app.store import Store

PROMPT = "The three primary colours are"
MAX_TOKENS = 8
SHOWN_CHARS = 60   # of the generated text, escaped

log = logging.getLogger(__name__)


class StepFailed(Exception):
    """A step's check did not hold; the message says what was wrong."""


@dataclass
class Report:
    out: TextIO
    failed: list[str] = field(default_factory=list)

    def step(self, name: str, action: Callable[[], str]) -> bool:
        """Run one step; print ``ok`` or ``FAILED`` with what it found."""
        started = time.monotonic()
        try:
            detail = action()
        except Exception as exc:  # noqa: BLE001 — every failure is reported, none raised
            log.exception("self-test step %s failed", name)
            message = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
            self.failed.append(name)
            self.out.write(f"self-test: {name}: FAILED: {_printable(message)}\n")
            self.out.flush()
            return False
        self.out.write(f"self-test: {name}: ok ({time.monotonic() - started:.1f} s)"
                       f"{' — ' + detail if detail else ''}\n")
        self.out.flush()
        return True

    def skip(self, name: str, reason: str) -> None:
        self.failed.append(name)
        self.out.write(f"self-test: {name}: skipped ({reason})\n")


def run_self_test(out: TextIO | None = None) -> int:
    """Run every step in a new temporary data folder; the exit status."""
    out = sys.stdout if out is None else out
    home = Path(tempfile.mkdtemp(prefix="agentdesk-self-test-"))
    report = Report(out)
    state: dict[str, object] = {}
    out.write(f"self-test: data folder {home}\n")
    if report.step("settings", lambda: _settings(home, state)):
        settings = state["settings"]
        assert isinstance(settings, AppSettings)
        window_ok = report.step("window", lambda: _window(settings))
        report.step("keyring", _keyring)
        engine_ok = report.step("engine", _engine)
        if window_ok and report.step("providers", lambda: _providers(settings, state)):
            if engine_ok:
                report.step("model", lambda: _generate(settings, state))
            else:
                report.skip("model", "no engine to load it in")
        else:
            report.skip("model", "no provider to load it with")
    if report.failed:
        out.write(f"self-test FAILED: {', '.join(report.failed)} (the data folder and its "
                  f"log are kept: {home})\n")
        return 1
    shutil.rmtree(home, ignore_errors=True)
    out.write("self-test passed\n")
    return 0


def _settings(home: Path, state: dict[str, object]) -> str:
    settings = load_settings(home)
    configure_logging(settings.log_dir, level="INFO", max_bytes=settings.logging.max_bytes,
                      backups=settings.logging.backups)
    state["settings"] = settings
    shipped = bundled_model_file()
    frozen = bool(getattr(sys, "frozen", False))
    return (f"{'installed build' if frozen else 'source install'}, bundled model: "
            f"{shipped if shipped is not None else 'none beside the program'}")


def _window(settings: AppSettings) -> str:
    from app.ui.self_test_window import open_and_quit

    return open_and_quit(settings)


def _keyring() -> str:
    """The OS keyring (API keys) loads its backends; on Linux the Secret
    Service one's libraries too (secretstorage, cryptography), whether or not
    a keyring daemon runs here."""
    from app.core.secrets import keyring_available

    available = keyring_available()
    if sys.platform.startswith("linux"):
        import secretstorage  # noqa: F401 — GNOME Keyring / KWallet are reached through it
    return ("a system keyring stores API keys" if available else
            "no system keyring running here (API keys can come from environment variables)")


def _engine() -> str:
    """The llama.cpp engine imports and its native library loads (the real
    reason when not: the provider only says the engine is missing)."""
    from app.providers.base import ProviderError
    from app.providers.embedded_engine import import_llama_cpp

    try:
        llama_cpp = import_llama_cpp()
    except ProviderError as exc:
        cause = exc.__cause__
        raise StepFailed(f"{exc}" + (f" ({type(cause).__name__}: {cause})" if cause else "")
                         ) from exc
    return f"llama_cpp {getattr(llama_cpp, '__version__', '?')}"


def _providers(settings: AppSettings, state: dict[str, object]) -> str:
    store = Store(settings.database_path)
    try:
        providers = store.providers.list()
    finally:
        store.close()
    names = ", ".join(f"{p.name} ({p.kind})" for p in providers) or "none"
    embedded = next((p for p in providers if p.name == PROVIDER_NAME), None)
    if embedded is None or not embedded.model_path:
        raise StepFailed(f"the first run did not set up the built-in model (providers: {names};"
                         f" see the log in {settings.log_dir})")
    shipped = bundled_model_file()
    if shipped is not None and Path(embedded.model_path) != shipped:
        raise StepFailed(f"the built-in model is used from {embedded.model_path}, not in "
                         f"place from {shipped}")
    state["provider"] = embedded
    return f"providers: {names}; model file {embedded.model_path}"


def _generate(settings: AppSettings, state: dict[str, object]) -> str:
    config = state["provider"]
    assert isinstance(config, ProviderConfig)
    text, tokens = asyncio.run(_stream(config, settings))
    if tokens < 1:
        raise StepFailed("the model loaded but generated no token")
    return f"{tokens} tokens: {_printable(repr(text)[:SHOWN_CHARS])}"


async def _stream(config: ProviderConfig, settings: AppSettings) -> tuple[str, int]:
    options = replace(options_from_settings(settings), keep_loaded_seconds=0)
    provider = build_provider(config, options)
    request = ChatRequest(model=Path(config.model_path or "").stem, max_tokens=MAX_TOKENS,
                          temperature=0.0, messages=[ChatMessage(role="user", content=PROMPT)])
    pieces: list[str] = []
    tokens = 0
    try:
        async for event in provider.stream_chat(request):
            match event:
                case Error():
                    raise StepFailed(f"the model failed: {event.kind}: {event.message}")
                case TextDelta():
                    pieces.append(event.text)
                case Usage():
                    tokens = event.completion_tokens or tokens
                case ThinkingDelta() | ToolCall() | ToolResult() | Done() | Status():
                    pass
                case _:
                    assert_never(event)
    finally:
        await provider.aclose()
    return "".join(pieces), max(tokens, 1 if pieces else 0)


def _printable(text: str) -> str:
    """One line without control characters (model output and paths are untrusted)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
