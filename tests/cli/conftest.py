"""Fixtures for the CLI tests: a private data folder and an in-process runner."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.store import Store


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_line(self) -> str:
        """The single stderr line of a failed command (asserts it is single);
        a usage error (exit 2) first shows the command's usage, then that line."""
        lines = self.err.splitlines()
        if self.code == 2 and lines and lines[0].startswith("usage: "):
            lines = lines[-1:]
        assert len(lines) == 1, f"expected one stderr line, got {self.err!r}"
        assert lines[0].startswith("agentdesk: error: "), lines[0]
        assert "Traceback" not in self.err
        return lines[0]


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def _release_log_file() -> Iterator[None]:
    """main() attaches a file handler to the 'app' logger; close it after each test."""
    yield
    root = logging.getLogger("app")
    for handler in [h for h in root.handlers if h.get_name() == "agentdesk-file"]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder every in-process command uses (via AGENTDESK_HOME)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("AGENTDESK_HOME", str(folder))
    for name in ("AGENTDESK_LOGGING__LEVEL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``agentdesk ARGS...`` in-process; returns exit code, stdout, stderr."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def open_store(home: Path) -> Iterator[Callable[[], Store]]:
    """Open the same database the CLI uses (closed again after the test)."""
    opened: list[Store] = []

    def opener() -> Store:
        store = Store.in_folder(home)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def local_provider(cli: Runner) -> str:
    """A configured local provider named 'local'."""
    result = cli("providers", "add", "local", "--kind", "ollama")
    assert result.code == 0, result.err
    return "local"


@pytest.fixture
def make_agent(cli: Runner, local_provider: str) -> Callable[..., dict]:
    """Create an agent through the CLI and return its JSON form."""

    def create(name: str, *extra: str) -> dict:
        result = cli("agents", "create", "--name", name, "--provider", local_provider,
                     "--model", "llama3:8b", *extra, "--json")
        assert result.code == 0, result.err
        return result.json()

    return create
