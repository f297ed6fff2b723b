"""The CLI as a real process: exit codes, stderr, the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], home: Path, program: list[str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    env.pop("AGENTDESK_LOGGING__LEVEL", None)
    command = (program or [sys.executable, "-m", "app"]) + args
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    if proc.returncode == 2 and lines and lines[0].startswith("usage: "):
        lines = lines[-1:]              # a usage error: the command's usage first
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("agentdesk: error: ")
    return lines[0]


def test_version(tmp_path):
    proc = _run(["--version"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"agentdesk {app.__version__}"
    assert proc.stderr == ""


def test_console_script_version(tmp_path):
    script = Path(sys.executable).parent / "agentdesk"
    assert script.is_file(), "the project is not installed (pip install -e .[dev])"
    proc = _run(["--version"], tmp_path, program=[str(script)])
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"agentdesk {app.__version__}"


def test_success_and_json_through_a_process(tmp_path):
    assert _run(["providers", "add", "p", "--kind", "ollama"], tmp_path).returncode == 0
    created = _run(["agents", "create", "--name", "proc", "--provider", "p", "--model", "m",
                    "--json"], tmp_path)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == "proc"
    listed = _run(["agents", "list", "--json"], tmp_path)
    assert [a["name"] for a in json.loads(listed.stdout)] == ["proc"]
    assert (tmp_path / "agentdesk.db").is_file()


def test_unknown_agent_exit_code_and_stderr(tmp_path):
    proc = _run(["agents", "show", "nobody"], tmp_path)
    assert proc.returncode == 1
    assert "unknown agent 'nobody'" in _one_error_line(proc)
    assert proc.stdout == ""


def test_invalid_temperature_exit_code_and_stderr(tmp_path):
    _run(["providers", "add", "p", "--kind", "ollama"], tmp_path)
    proc = _run(["agents", "create", "--name", "a", "--provider", "p", "--model", "m",
                 "--temperature", "9"], tmp_path)
    assert proc.returncode == 1
    assert "between 0.0 and 2.0" in _one_error_line(proc)


def test_usage_error_exit_code_is_two(tmp_path):
    proc = _run(["agents", "create", "--name", "a"], tmp_path)
    assert proc.returncode == 2
    assert "required" in _one_error_line(proc)


def test_malformed_import_through_a_process(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    proc = _run(["agents", "import", str(bad)], tmp_path)
    assert proc.returncode == 1
    assert "not valid JSON" in _one_error_line(proc)


def test_home_flag_through_a_process(tmp_path):
    flagged = tmp_path / "flagged"
    env_home = tmp_path / "env"
    proc = _run(["--home", str(flagged), "providers", "add", "p", "--kind", "ollama"],
                env_home)
    assert proc.returncode == 0, proc.stderr
    assert (flagged / "agentdesk.db").is_file()
    assert not (env_home / "agentdesk.db").exists()
