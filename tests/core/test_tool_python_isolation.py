"""The python tool fails closed where real isolation is unavailable (issue 15
item 3): it refuses unless the agent allows "run without isolation", the
result never claims a protection it did not have, a SIGKILL is reported as a
kill (not the CPU limit), and in namespace mode seccomp blocks nested
namespaces and mounts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from app.core.tools import ApprovalRequest, ToolContext, execute_tool
from app.core.tools import python_exec, sandbox
from app.core.tools.python_exec import format_result, python_tool
from app.core.tools.sandbox import Isolation, SandboxLimits, SandboxResult, run_python

LINUX = sys.platform.startswith("linux")
LIMITS = SandboxLimits(wall_seconds=5.0, cpu_seconds=2, max_tasks=32)
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
MODES = [pytest.param(True, id="namespaces"), pytest.param(False, id="fallback")]


async def allow(request: ApprovalRequest) -> bool:
    return True


def sandboxed(code: str, use_namespaces: bool) -> SandboxResult:
    return asyncio.run(run_python(code, LIMITS, use_namespaces=use_namespaces))


def run_tool(tmp_path: Path, code: str, unisolated: bool):
    context = ToolContext(workspace=tmp_path, approver=allow, python_unisolated=unisolated)
    return asyncio.run(execute_tool(python_tool(LIMITS), {"code": code}, context))


@pytest.fixture
def no_isolation(monkeypatch) -> list[str]:
    """Simulate a machine without user namespaces; records sandbox starts."""
    started: list[str] = []
    real_run = sandbox.run_python

    async def recording_run(code: str, limits: SandboxLimits, *, use_namespaces=None):
        started.append(code)
        return await real_run(code, limits, use_namespaces=use_namespaces)

    monkeypatch.setattr(python_exec, "isolation", lambda: Isolation(
        False, "simulated: this Linux does not allow user namespaces"))
    monkeypatch.setattr(python_exec, "run_python", recording_run)
    return started


@pytest.fixture(params=MODES)
def namespaces(request) -> bool:
    if request.param and not LINUX:
        pytest.skip("namespaces exist on Linux only")
    return request.param


def test_without_isolation_the_tool_refuses_and_runs_nothing(tmp_path: Path,
                                                             no_isolation: list[str]) -> None:
    outcome = run_tool(tmp_path, "print('ran')", unisolated=False)
    assert outcome.is_error
    assert "python tool is off" in outcome.content
    assert "simulated: this Linux does not allow user namespaces" in outcome.content
    assert '"run without isolation"' in outcome.content
    assert "ran" not in outcome.content.replace("ran without", "")
    assert no_isolation == []  # the sandbox was never started
    assert "Real isolation is not available" in python_tool(LIMITS).description


def test_allowed_without_isolation_it_runs_and_says_what_was_missing(
        tmp_path: Path, no_isolation: list[str]) -> None:
    outcome = run_tool(tmp_path, "print('ran')", unisolated=True)
    assert outcome.status == "ok", outcome.content
    lines = outcome.content.splitlines()
    assert lines[:3] == ["exit status: 0", "stdout:", "ran"]
    note = lines[-1]
    assert note.startswith("sandbox: NOT isolated")
    missing = note.split("; missing: ")[1].split("; in force: ")[0]
    for lost in ("no network", "own process space", "the app's environment out of reach",
                 "read-only files outside its folder"):
        assert lost in missing
    assert no_isolation == ["print('ran')"]


def test_the_real_probe_names_root_and_other_systems() -> None:
    found = sandbox.isolation()
    if not LINUX:
        assert not found.available and "no sandbox" in found.reason
    elif ROOT:
        assert not found.available and "runs as root" in found.reason
        assert found.namespaces  # still used when the person allows the run
    else:
        assert found.available == sandbox.namespaces_available()


def test_flags_are_truthful(namespaces: bool) -> None:
    result = sandboxed("print('x')", namespaces)
    flags = result.protections
    assert flags["own_environment_minimal"] is True
    assert flags["environment_scrubbed"] is namespaces  # /proc shows the app without a PID ns
    assert flags["network_isolated"] is namespaces
    assert flags["runs_as_root"] is ROOT
    assert flags["seccomp"] is LINUX
    assert flags["isolated"] is (namespaces and not ROOT)
    text = format_result(result, LIMITS)
    assert ("sandbox: NOT isolated" in text) is not flags["isolated"]


@pytest.mark.skipif(not LINUX, reason="seccomp is Linux only")
def test_nested_namespaces_and_mounts_are_blocked_in_namespace_mode() -> None:
    code = (
        "import ctypes, subprocess\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for flag in (0x10000000, 0x00020000, 0x40000000):  # NEWUSER, NEWNS, NEWNET\n"
        "    print('unshare', libc.unshare(flag), ctypes.get_errno())\n"
        "print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
        "print('setns', libc.setns(0, 0), ctypes.get_errno())\n"
        "done = subprocess.run(['unshare', '--user', '--map-root-user', 'id', '-u'],\n"
        "                      capture_output=True)\n"
        "print('tool', done.returncode != 0, done.stdout == b'')\n")
    result = sandboxed(code, True)
    assert result.exit_code == 0, result.stderr
    assert result.protections["seccomp"] is True
    assert result.stdout.splitlines() == [
        "unshare -1 1", "unshare -1 1", "unshare -1 1", "mount -1 1", "setns -1 1",
        "tool True True"]


@pytest.mark.skipif(not LINUX, reason="seccomp is Linux only")
def test_without_namespaces_kill_minus_one_and_ptrace_are_refused() -> None:
    # Signal 0 only asks "may I?": on the old code kill(-1, 0) succeeds, and
    # kill(-1, 9) would have ended every process of this user.
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "print('kill', libc.kill(-1, 0), ctypes.get_errno())\n"
            "print('killpg', libc.kill(-os.getppid(), 0), ctypes.get_errno())\n"
            "print('ptrace', libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())\n"
            "print('self', libc.kill(os.getpid(), 0))\n")
    result = sandboxed(code, False)
    assert result.protections["seccomp"] is True
    assert result.stdout.splitlines() == ["kill -1 1", "killpg -1 1", "ptrace -1 1",
                                          "self 0"]


def test_a_sigkill_is_reported_as_a_kill_not_the_cpu_limit(namespaces: bool) -> None:
    result = sandboxed("import os\nprint('before', flush=True)\nos.kill(os.getpid(), 9)",
                       namespaces)
    assert result.exit_code == -signal.SIGKILL
    assert result.reason == "signal" and result.killed is False
    text = format_result(result, LIMITS)
    assert "exit status: killed by SIGKILL" in text
    assert "CPU" not in text and "none of the tool's limits" in text


def test_the_cpu_limit_is_still_named(namespaces: bool) -> None:
    # Ignoring SIGXCPU: the kernel then sends SIGKILL at the hard limit.
    result = sandboxed("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
                       "while True: pass", namespaces)
    assert result.exit_code == -signal.SIGKILL
    assert result.reason == "cpu" and result.killed is True
    assert "CPU-time limit of 2 s" in format_result(result, LIMITS)


# -- the per-agent setting -----------------------------------------------------------


def test_the_setting_is_stored_and_survives_reopening(tmp_path: Path) -> None:
    from app.domain import AgentSpec
    from app.store import Store

    with Store(tmp_path / "a.db") as store:
        agent = store.agents.create(AgentSpec(name="Coder", tools=["python"]))
        assert agent.python_unisolated is False
        store.agents.update(agent.model_copy(update={"python_unisolated": True}))
    with Store(tmp_path / "a.db") as store:
        stored = store.agents.find_by_name("Coder")
        assert stored.python_unisolated is True
        assert "python_unisolated" not in stored.portable()  # never travels in a file
        store.agents.update(stored.model_copy(update={"python_unisolated": False}))
        assert store.agents.get(stored.id).python_unisolated is False


def test_an_imported_agent_never_brings_the_setting(tmp_path: Path) -> None:
    from app.core.export.agent_file import import_agent, parse_agent_document
    from app.store import Store

    document = {"format": "agentdesk.agent", "version": 1, "agent": {
        "name": "Shared Helper", "tools": ["python"], "python_unisolated": True}}
    spec = parse_agent_document(document, "shared.json")
    with Store(tmp_path / "a.db") as store:
        for grant in (False, True):
            created, _missing, _withheld = import_agent(store, spec.model_copy(
                update={"name": f"Shared {grant}"}), grant=grant)
            assert store.agents.get(created.id).python_unisolated is False

