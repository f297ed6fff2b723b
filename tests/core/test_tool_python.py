"""The python tool: a separate, limited interpreter, with escape attempts.

On Linux the namespaces (no network, own PID space, read-only file system) are
expected: CI has ``unshare``; if it is missing these tests fail, they do not skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from app.core.tools import ApprovalRequest, ToolContext, execute_tool
from app.core.tools.python_exec import PYTHON_TOOL, format_result, python_tool
from app.core.tools.sandbox import (
    SandboxLimits,
    SandboxResult,
    isolation,
    namespaces_available,
    run_python,
)

LINUX = sys.platform.startswith("linux")
# kernel.pid_max belongs to each PID namespace from Linux 6.14 on: the task cap.
_RELEASE = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
TASK_CAP = LINUX and _RELEASE >= (6, 14)
LIMITS = SandboxLimits(wall_seconds=2.0, cpu_seconds=30, memory_bytes=512 * 1024**2,
                       output_bytes=16 * 1024, max_tasks=32)
# The isolation modes to check: namespaces where the machine has them, and
# always the plain fallback (what macOS and Linux without user namespaces get).
MODES = [pytest.param(True, id="namespaces"), pytest.param(False, id="fallback")]


def sandboxed(code: str, limits: SandboxLimits = LIMITS,
              use_namespaces: bool | None = None) -> SandboxResult:
    return asyncio.run(run_python(code, limits, use_namespaces=use_namespaces))


def processes_running(marker: str) -> list[int]:
    """PIDs (seen from here) whose command line mentions ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.fixture(params=MODES)
def namespaces(request) -> bool:
    if request.param and not LINUX:
        pytest.skip("namespaces exist on Linux only")
    return request.param


def test_namespaces_available_on_linux() -> None:
    if LINUX:
        assert namespaces_available(), "unshare cannot create namespaces on this Linux"
    else:
        assert not namespaces_available()


def test_tool_shape_and_approval() -> None:
    tool_ = python_tool(LIMITS)
    assert (tool_.name, tool_.policy, tool_.risk) == (PYTHON_TOOL, "ask", "high")
    assert tool_.parameters["required"] == ["code"]
    asked: list[ApprovalRequest] = []

    async def deny(request: ApprovalRequest) -> bool:
        asked.append(request)
        return False

    outcome = asyncio.run(execute_tool(tool_, {"code": "open('x','w')\nprint(1)"},
                                       ToolContext(workspace=Path("."), approver=deny)))
    assert outcome.status == "denied"
    assert asked[0].summary == "run Python code: open('x','w') (+1 more lines)"
    bad = asyncio.run(execute_tool(tool_, {"code": ""}, ToolContext(workspace=Path("."))))
    assert bad.is_error and "non-empty" in bad.content


def test_runs_code_and_reports(tmp_path: Path) -> None:
    async def allow(request: ApprovalRequest) -> bool:
        return True

    code = ("import sys, os\nprint('sum', sum(range(10)))\nprint('oops', file=sys.stderr)\n"
            "open('result.csv', 'w').write('a,b')\nsys.exit(3)")
    isolated = isolation().available  # not as root: then the agent must allow it
    outcome = asyncio.run(execute_tool(python_tool(LIMITS), {"code": code},
                                       ToolContext(workspace=tmp_path, approver=allow,
                                                   python_unisolated=not isolated)))
    assert outcome.status == "ok"
    lines = outcome.content.splitlines()
    assert lines[:8] == [
        "exit status: 3", "stdout:", "sum 45", "", "stderr:", "oops", "",
        "files it wrote (deleted after the run): result.csv"]
    assert lines[8:] == ([] if isolated else [lines[8]])
    assert isolated or lines[8].startswith("sandbox: NOT isolated")


def test_isolated_interpreter_in_fresh_folder(namespaces: bool) -> None:
    result = sandboxed("import os, sys\nprint(sys.flags.isolated, sys.flags.ignore_environment)"
                       "\nprint(os.getcwd())\nprint(os.environ['HOME'])",
                       use_namespaces=namespaces)
    isolated, cwd, home = result.stdout.splitlines()
    assert isolated == "1 1"
    assert Path(cwd).name == "work" and Path(cwd).parent.name.startswith("agentdesk-py-")
    assert home == cwd
    assert not Path(cwd).exists()  # deleted after the run


def test_environment_secrets_not_visible(namespaces: bool, monkeypatch) -> None:
    monkeypatch.setenv("AGENTDESK_TEST_SECRET", "s3cr3t-value")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-should-not-leak")
    monkeypatch.setenv("PYTHONSTARTUP", "/nonexistent/evil.py")
    result = sandboxed("import os\nprint(sorted(os.environ))\n"
                       "print(open('/proc/self/environ','rb').read())",
                       use_namespaces=namespaces)
    assert result.exit_code == 0, result.stderr
    assert set(literal(result.stdout.splitlines()[0])) <= {
        "PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "TMP", "TEMP"}
    assert "s3cr3t" not in result.stdout and "sk-test" not in result.stdout


def literal(text: str) -> list[str]:
    import ast

    return ast.literal_eval(text)


def test_endless_loop_killed_at_wall_time_with_its_forks(namespaces: bool) -> None:
    result = sandboxed("import os, sys, time\nprint(sys.argv[0], flush=True)\n"
                       "if os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\n"
                       "while True: pass", use_namespaces=namespaces)
    assert (result.killed, result.reason) == (True, "timeout")
    assert result.stdout.endswith("main.py\n")
    assert processes_running(result.stdout.split()[0]) == []  # the setsid child too
    assert "stopped: it ran longer than the wall-time limit of 2 s" in format_result(
        result, LIMITS)


def test_cpu_limit(namespaces: bool) -> None:
    limits = SandboxLimits(wall_seconds=20, cpu_seconds=1)
    result = sandboxed("while True: pass", limits, use_namespaces=namespaces)
    assert (result.killed, result.reason) == (True, "cpu")
    assert result.exit_code is not None and result.exit_code < 0


def test_allocating_4_gb_fails_cleanly(namespaces: bool) -> None:
    result = sandboxed("data = bytearray(4 * 1024**3)\nprint('allocated')",
                       use_namespaces=namespaces)
    assert "allocated" not in result.stdout
    assert result.reason == "memory" and "MemoryError" in result.stderr
    assert "it ran out of memory (limit 512 MB)" in format_result(result, LIMITS)


def test_output_flood_is_capped(namespaces: bool) -> None:
    result = sandboxed("import sys\nchunk = 'x' * 1023 + '\\n'\n"
                       "for _ in range(10 * 1024): sys.stdout.write(chunk)",
                       use_namespaces=namespaces)
    assert (result.killed, result.reason, result.stdout_truncated) == (True, "output", True)
    assert len(result.stdout.encode()) == LIMITS.output_bytes
    assert f"[stdout truncated at {LIMITS.output_bytes} bytes]" in format_result(
        result, LIMITS)


FORKER = """
import os, sys, time
print(sys.argv[0], flush=True)
children = 0
for _ in range(50):
    try:
        pid = os.fork()
    except OSError as exc:
        print("fork refused:", exc.errno, flush=True)
        break
    if pid == 0:
        os.setsid()          # leave the process group
        if os.fork() == 0:   # and double-fork: an orphan that sleeps forever
            time.sleep(1000)
        time.sleep(1000)
    children += 1
print("forked", children, flush=True)
"""


def test_forks_are_bounded_and_all_gone_afterwards(namespaces: bool) -> None:
    result = sandboxed(FORKER, use_namespaces=namespaces)
    script = result.stdout.splitlines()[0]
    assert script.endswith("main.py")
    forked = int(result.stdout.split("forked ")[1].split()[0])
    assert result.protections["task_limit"] is (namespaces and TASK_CAP)
    if namespaces and TASK_CAP:  # at most max_tasks tasks in the PID namespace
        assert "fork refused: 11" in result.stdout
        assert forked < LIMITS.max_tasks
    elif os.geteuid() == 0:
        assert forked == 50  # root is exempt from RLIMIT_NPROC: nothing bounds it
    assert processes_running(script) == []


def test_cancelling_a_run_kills_it_and_its_forks(namespaces: bool) -> None:
    # The child leaves the process group, then says so with a file in the folder.
    code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n"
            "    open('ready', 'w').close()\n    time.sleep(1000)\ntime.sleep(1000)")
    started: list[str] = []

    async def scenario() -> None:
        task = asyncio.create_task(run_python(code, SandboxLimits(wall_seconds=60),
                                              use_namespaces=namespaces))
        while not started:
            await asyncio.sleep(0.05)
            started.extend(p for p in set(_cmdlines()) - before
                           if (Path(p).parent / "work" / "ready").exists())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    before = set(_cmdlines())
    asyncio.run(asyncio.wait_for(scenario(), 30))
    leftovers = processes_running(started[0])
    assert not leftovers, f"still running after the cancel: {leftovers}"


def _cmdlines() -> list[str]:
    """Script paths of sandboxed interpreters running now (seen from here)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    args = handle.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            found.extend(a for a in args if "agentdesk-py-" in a and a.endswith("main.py"))
    return found


def test_no_network_with_namespaces() -> None:
    assert LINUX, "network isolation is only claimed on Linux"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = sandboxed("import socket\ns = socket.socket()\ns.settimeout(2)\n"
                           f"s.connect(('127.0.0.1', {port}))\nprint('connected')")
    assert result.protections["network_isolated"] is True
    assert "connected" not in result.stdout
    assert "Network is unreachable" in result.stderr


def test_fallback_has_network_and_says_so() -> None:
    """Honest: without namespaces nothing stops a connection; the result says so."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = sandboxed(f"import socket\nsocket.create_connection(('127.0.0.1', {port}))"
                           "\nprint('connected')", use_namespaces=False)
    assert result.stdout == "connected\n"
    assert result.protections["network_isolated"] is False


def test_writing_outside_its_folder(tmp_path: Path, namespaces: bool) -> None:
    target = tmp_path / "escaped.txt"
    result = sandboxed(f"open({str(target)!r}, 'w').write('x')\nprint('wrote')",
                       use_namespaces=namespaces)
    if namespaces:  # everything but its folder is mounted read-only
        assert result.protections["read_only_fs"] is True
        assert "Read-only file system" in result.stderr
        assert not target.exists()
    else:  # no mount namespace: only file permissions stand in the way
        assert result.protections["read_only_fs"] is False
        assert target.read_text() == "x"


def test_namespace_protections_cannot_be_undone() -> None:
    code = ("import os\n"
            "for path, value in (('/proc/sys/kernel/pid_max', '99999'),):\n"
            "    try:\n        open(path, 'w').write(value)\n        print('changed', path)\n"
            "    except OSError as exc:\n        print('refused', exc.errno)\n"
            "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])")
    result = sandboxed(code)
    assert result.protections["capabilities_dropped"] is True
    assert result.protections["task_limit"] is TASK_CAP
    lines = result.stdout.splitlines()
    assert lines[0].startswith("refused")
    assert int(lines[1], 16) == 0  # no capability left
