"""``agentdesk --self-test`` from a source install, as real processes.

The frozen build runs the same command in tests/packaging/test_portable_archive.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("settings", "window", "keyring", "engine", "providers", "model")


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTDESK_")}
    # The user's data folder must not be touched: point it somewhere to check.
    env.update(AGENTDESK_HOME=str(tmp_path / "user-data"), TMPDIR=str(tmp_path),
               QT_QPA_PLATFORM="xcb")   # the self-test goes offscreen by itself
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)


@pytest.mark.slow
def test_self_test_passes_in_a_temporary_data_folder(tmp_path: Path) -> None:
    result = run(["-m", "app", "--self-test"], tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    for step in STEPS:
        assert any(line.startswith(f"self-test: {step}: ok") for line in lines), step
    assert lines[-1] == "self-test passed"
    assert "tokens:" in result.stdout and "Embedded (Gemma 3 270M base)" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # Its temporary folder is gone after a pass; the user's data folder was never made.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("agentdesk-self-test-")]
    assert not (tmp_path / "user-data").exists()


def test_a_missing_engine_fails_the_self_test_and_says_what_failed(tmp_path: Path) -> None:
    """llama_cpp cannot be imported: the engine step fails with the reason,
    so the first run made no embedded provider (that step fails too), the
    model step is skipped, the status is 1 and the folder is kept."""
    code = ("import sys; sys.modules['llama_cpp'] = None; "
            "from app.cli import main; sys.exit(main(['--self-test']))")
    result = run(["-c", code], tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith("self-test: engine: FAILED: the embedded engine is not "
                               "installed") for line in lines), result.stdout
    assert any(line.startswith("self-test: providers: FAILED: the first run did not set up "
                               "the built-in model") for line in lines), result.stdout
    assert "self-test: model: skipped (no provider to load it with)" in lines
    assert any(line.startswith("self-test: window: ok") for line in lines)
    assert lines[-1].startswith("self-test FAILED: engine, providers, model")
    [kept] = [p for p in tmp_path.iterdir() if p.name.startswith("agentdesk-self-test-")]
    assert (kept / "agentdesk.db").is_file()
    assert "self-test step engine failed" in (kept / "logs" / "agentdesk.log").read_text()
    assert "Traceback" not in result.stdout + result.stderr
