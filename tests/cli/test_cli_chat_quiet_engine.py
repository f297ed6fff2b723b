"""``agentdesk chat`` on the embedded engine prints the reply and a final
newline, and none of llama.cpp's own log lines (issue 13, item 10)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import llama_cpp
import pytest

from app.providers import llama_logs
from tests.support.llama_server import gemma_model_path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    env.pop("AGENTDESK_LOGGING__LEVEL", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


def test_chat_on_the_embedded_engine_prints_only_the_reply(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _run(["providers", "add", "emb", "--kind", "embedded", "--model-path",
                 str(gemma_model_path())], home).returncode == 0
    created = _run(["agents", "create", "--name", "tiny", "--provider", "emb", "--model",
                    gemma_model_path().stem, "--max-tokens", "5"], home)
    assert created.returncode == 0, created.stderr
    for message in ("Tell me a story.", "And another one."):        # twice: one per load
        proc = _run(["chat", "--agent", "tiny", message], home)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""                                   # no "llama_kv_cache…"
        assert proc.stdout.strip() and proc.stdout.endswith("\n")
    log = (home / "logs" / "agentdesk.log").read_text(encoding="utf-8")
    assert "app.providers.llama_cpp" in log     # llama.cpp's warning went to the log
    assert "llama_kv_cache" not in proc.stdout


def test_llama_log_pieces_become_lines_at_our_levels(caplog: pytest.LogCaptureFixture
                                                     ) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.providers.llama_cpp"):
        llama_logs._forward(3, b"llama_kv_cache_iswa: using full-size ")
        llama_logs._forward(5, b"SWA cache\n")                      # continues the line
        llama_logs._forward(4, b"failed to load\n")
        llama_logs._forward(2, b"load time = 12 ms\n")
        llama_logs._forward(1, b"\n")                               # empty: dropped
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "llama_kv_cache_iswa: using full-size SWA cache"),
        (logging.WARNING, "failed to load"),
        (logging.DEBUG, "load time = 12 ms")]


def test_routing_is_installed_once() -> None:
    llama_logs.route_llama_logs(llama_cpp)
    assert llama_logs._callback is not None
    assert llama_logs.route_llama_logs(llama_cpp) is False


def test_native_stderr_goes_to_the_file_and_ours_to_the_terminal(tmp_path: Path) -> None:
    """In a child process whose sys.stderr is the real descriptor 2."""
    target = tmp_path / "logs" / "engine-stderr.log"
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from app.commands.native_stderr import native_stderr_to
        with native_stderr_to(Path({str(target)!r})):
            os.write(2, b"native line\\n")
            sys.stderr.write("our note\\n")
        sys.stderr.write("after\\n")
        os.write(2, b"native after\\n")
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "our note\nafter\nnative after\n"
    assert target.read_text() == "native line\n"
