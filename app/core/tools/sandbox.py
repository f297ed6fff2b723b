"""Run untrusted Python code in a separate, locked-down interpreter.

Used by the ``python`` tool. Every run gets:

- a fresh interpreter in isolated mode (``python -I``: no user site, no
  ``PYTHON*`` variables, script folder not on ``sys.path``);
- a fresh temporary folder as its working directory and ``HOME``/``TMPDIR``,
  deleted afterwards;
- a minimal environment (``PATH``, ``LANG``, ``HOME``, ``TMPDIR``): nothing of
  the app's environment, so API keys in variables are not visible;
- limits: wall time (the whole process group is killed), CPU (RLIMIT_CPU),
  address space (RLIMIT_AS), file size (RLIMIT_FSIZE), open files, output
  (stdout and stderr are read concurrently and the run is killed past the cap).

On Linux, when ``unshare`` (util-linux) can create user namespaces, the run
also gets its own network namespace (no network at all, loopback included),
PID namespace (when its first process ends or is killed, the kernel kills every
process it forked; no process of the app is visible, so neither is its
environment in ``/proc``), a bounded number of tasks, a read-only view of the
whole file system except its folder, no capabilities and a seccomp filter
against nested namespaces, mounts and ptrace (see sandbox_boot.py,
sandbox_seccomp.py). That is "real isolation" (``isolation()``).

Elsewhere (macOS, Windows, Linux without user namespaces or without the
filter, or the app running as root, where the code would stay root for every
file) real isolation is unavailable: the python tool refuses to run unless the
person allowed it for that agent ("run without isolation"), and
``SandboxResult.protections`` says exactly what applied. docs/SECURITY.md
lists what holds where.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.tools import sandbox_seccomp

log = logging.getLogger(__name__)

BOOT_SCRIPT = Path(__file__).with_name("sandbox_boot.py")
BOOT_ABORT_STATUS = 125
KB, MB = 1024, 1024 * 1024
_UNSHARE_ARGS = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--mount",
                 "--mount-proc", "--kill-child"]
_READ_CHUNK = 64 * KB
_BACKSTOP = 2.0  # seconds past the wall time before we kill the whole group
_DRAIN_GRACE = 1.0  # seconds to wait for the pipes to close once the process ended


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 512 * MB
    output_bytes: int = 24 * KB  # per stream; both fit the 50,000-char tool result
    file_bytes: int = 64 * MB  # largest file the code may write
    open_files: int = 256
    max_tasks: int = 64  # processes + threads at once (namespace mode)


@dataclass
class SandboxResult:
    stdout: str
    stderr: str
    exit_code: int | None  # negative: killed by that signal
    killed: bool  # we (or the kernel, for CPU) ended the run
    reason: str | None  # timeout | output | cpu | memory | None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    files: list[str] = field(default_factory=list)  # left in the temporary folder
    protections: dict[str, Any] = field(default_factory=dict)


class SandboxError(Exception):
    """The sandbox could not be set up; the code did not run."""


@dataclass(frozen=True)
class Isolation:
    """Whether the python tool can really isolate code here, and if not, why."""

    available: bool
    reason: str = ""  # why not, in words for the person and the model
    namespaces: bool = False  # the namespace sandbox can still be used (e.g. as root)


def _platform_name() -> str:
    return {"darwin": "macOS", "win32": "Windows"}.get(sys.platform, sys.platform)


def isolation() -> Isolation:
    """Real isolation needs Linux user namespaces, the seccomp filter for this
    processor, and the app not running as root."""
    if not sys.platform.startswith("linux"):
        return Isolation(False, f"on {_platform_name()} the python tool has no sandbox: "
                         "the code would run with your user's access to files, the "
                         "network and your other processes")
    namespaces = namespaces_available()
    if not namespaces:
        return Isolation(False, "this Linux does not let AgentDesk create user namespaces "
                         "(unshare failed), so the code would run with your user's access "
                         "to files, the network and your other processes")
    if not sandbox_seccomp.supported():
        return Isolation(False, "there is no seccomp filter for this processor "
                         f"({platform.machine()}), so code could undo the sandbox",
                         namespaces=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Isolation(False, "AgentDesk runs as root: inside the sandbox the code would "
                         "still be root for every file on this machine (it could read "
                         "any secret)", namespaces=True)
    return Isolation(True, namespaces=True)


@functools.cache
def namespaces_available() -> bool:
    """Whether ``unshare`` can give us user+net+pid+mount namespaces here."""
    if not sys.platform.startswith("linux"):
        return False
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        done = subprocess.run([unshare, *_UNSHARE_ARGS, "--", "true"], capture_output=True,
                              timeout=10, env={"PATH": os.defpath}, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("unshare probe failed: %s", exc)
        return False
    if done.returncode != 0:
        log.warning("no namespaces for the python sandbox: %s",
                    done.stderr.decode(errors="replace").strip()[:200])
    return done.returncode == 0


def _minimal_env(home: Path) -> dict[str, str]:
    env = {"PATH": os.defpath if os.name == "posix" else os.environ.get("PATH", ""),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(home),
           "TMPDIR": str(home), "TMP": str(home), "TEMP": str(home)}
    if os.name == "nt":  # Python cannot start on Windows without these
        for name in ("SYSTEMROOT", "WINDIR"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


class _Capped:
    """Collects a stream up to a byte cap; notes when the cap was passed."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.overflow = False

    async def pump(self, stream: asyncio.StreamReader, on_overflow: Any) -> None:
        while chunk := await stream.read(_READ_CHUNK):
            room = self.cap - len(self.data)
            self.data += chunk[:max(room, 0)]
            if len(chunk) > room and not self.overflow:
                self.overflow = True
                on_overflow()

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def _kill_group(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None and os.name != "posix":
        return
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass  # already gone


async def run_python(code: str, limits: SandboxLimits = SandboxLimits(), *,
                     use_namespaces: bool | None = None) -> SandboxResult:
    """Run ``code`` under the sandbox; never leaves a process behind.

    ``use_namespaces`` None means: whenever this machine allows it. Whether
    the run may happen at all without real isolation is the caller's
    decision (python_exec.py asks ``isolation()`` first)."""
    if use_namespaces is None:
        use_namespaces = await asyncio.to_thread(namespaces_available)
    root = Path(tempfile.mkdtemp(prefix="agentdesk-py-")).resolve()
    try:
        workdir = root / "work"
        workdir.mkdir()
        script = root / "main.py"
        script.write_text(code, encoding="utf-8")
        result = await _run(script, workdir, limits, use_namespaces)
        result.files = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*"))[:50]
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def _run(script: Path, workdir: Path, limits: SandboxLimits,
               use_namespaces: bool) -> SandboxResult:
    status_read, status_write = os.pipe() if os.name == "posix" else (-1, -1)
    config = {
        "namespaces": use_namespaces, "workdir": str(workdir), "status_fd": status_write,
        "seccomp": sandbox_seccomp.supported(),
        "max_tasks": limits.max_tasks, "wall_seconds": limits.wall_seconds,
        "argv": [sys.executable, "-I", str(script)],
        "limits": {"cpu": limits.cpu_seconds, "as": limits.memory_bytes,
                   "fsize": limits.file_bytes, "nofile": limits.open_files,
                   "nproc": limits.max_tasks, "core": 0},
    }
    command = [sys.executable, "-I", str(BOOT_SCRIPT), json.dumps(config)]
    if use_namespaces:
        command = [shutil.which("unshare") or "unshare", *_UNSHARE_ARGS, "--", *command]
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=workdir, env=_minimal_env(workdir),
            start_new_session=os.name == "posix",
            pass_fds=(status_write,) if status_write >= 0 else ())
    finally:
        if status_write >= 0:
            os.close(status_write)
    reason: str | None = None
    # Without a PID namespace the bootstrap must clean up itself (SIGTERM: it
    # kills the code and every descendant it adopted); with one, killing the
    # group ends the namespace and everything in it.
    gentle = not use_namespaces and os.name == "posix"

    def stop(why: str) -> None:
        nonlocal reason
        if reason is None:
            reason = why
        if gentle:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
        else:
            _kill_group(process)

    async def halt(why: str) -> None:
        """Stop the run for good: gently first where that matters, then hard."""
        stop(why)
        if gentle:
            await _wait_briefly(process)
        _kill_group(process)
        await _wait_briefly(process)

    out, err = _Capped(limits.output_bytes), _Capped(limits.output_bytes)
    assert process.stdout is not None and process.stderr is not None
    readers = [asyncio.create_task(out.pump(process.stdout, lambda: stop("output"))),
               asyncio.create_task(err.pump(process.stderr, lambda: stop("output")))]
    try:
        try:
            # The bootstrap enforces the wall time itself; this is the backstop.
            await asyncio.wait_for(process.wait(), limits.wall_seconds + _BACKSTOP)
        except TimeoutError:
            await halt("timeout")
        if not use_namespaces:
            _kill_group(process)  # anything still in its process group
        _done, pending = await asyncio.wait(readers, timeout=_DRAIN_GRACE)
        for task in pending:  # something out of reach still holds the pipe
            task.cancel()
    finally:
        if process.returncode is None:  # cancelled: leave nothing running
            await halt("cancelled")
        for task in readers:
            task.cancel()
        protections = _read_status(status_read)
    return _result(process.returncode, reason, out, err, protections, use_namespaces, limits)


def _signal_reason(signum: int, status: dict[str, Any],
                   limits: SandboxLimits) -> tuple[str | None, bool]:
    """Why a run ended by a signal (that we did not send): RLIMIT_CPU sends
    SIGXCPU at the limit and SIGKILL a second later; any other SIGKILL (the
    script itself, another process, the kernel's out-of-memory killer) is
    reported as such, never as the CPU limit."""
    if signum == getattr(signal, "SIGXCPU", -1):
        return "cpu", True
    if signum == signal.SIGKILL:
        used = status.get("cpu_seconds")
        if isinstance(used, int | float) and used >= limits.cpu_seconds:
            return "cpu", True
        return "signal", False
    return None, False


async def _wait_briefly(process: asyncio.subprocess.Process) -> None:
    """Wait for the end of a process we stopped, but never hang on it."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), _DRAIN_GRACE * 2)


def _read_status(fd: int) -> dict[str, Any]:
    """The bootstrap's reports: setup (first line) and the code's exit (second)."""
    if fd < 0:
        return {"namespaces": False}
    chunks = []
    try:
        os.set_blocking(fd, False)
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except BlockingIOError:
        pass  # a writer still alive: take what is there
    finally:
        os.close(fd)
    status: dict[str, Any] = {}
    for line in b"".join(chunks).splitlines():
        try:
            status.update(json.loads(line))
        except ValueError:
            continue
    return status


def _result(code: int | None, reason: str | None, out: _Capped, err: _Capped,
            status: dict[str, Any], use_namespaces: bool,
            limits: SandboxLimits) -> SandboxResult:
    if code == BOOT_ABORT_STATUS and "error" in status:
        raise SandboxError(f"the python sandbox could not be set up: {status['error']}")
    if "exit" in status:  # how the user's code itself ended
        code = status["exit"]
    elif "signal" in status:
        code = -status["signal"]
    if status.get("timeout") and reason is None:
        reason = "timeout"
    killed = reason is not None
    stderr = err.text()
    signum = -code if code is not None and code < 0 else None
    if reason is None and signum is not None:
        reason, killed = _signal_reason(signum, status, limits)
    elif reason is None and "MemoryError" in stderr[-2000:]:
        reason = "memory"
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    protections = {
        "isolated_interpreter": True,
        "own_environment_minimal": True,  # its own variables: PATH, LANG, HOME, TMP
        # The app's environment (API keys) is out of reach only when no process
        # of the app is visible: /proc/<pid>/environ of the same user is readable.
        "environment_scrubbed": use_namespaces,
        "network_isolated": use_namespaces, "pid_namespace": use_namespaces,
        "task_limit": bool(status.get("task_limit")),
        "read_only_fs": bool(status.get("read_only_fs")),
        "capabilities_dropped": bool(status.get("capabilities_dropped")),
        "seccomp": bool(status.get("seccomp")),
        "runs_as_root": root,
        "rlimits": list(status.get("rlimits", [])),
    }
    protections["isolated"] = (use_namespaces and not root and all(
        protections[key] for key in ("read_only_fs", "capabilities_dropped", "seccomp")))
    return SandboxResult(out.text(), stderr, code, killed, reason, out.overflow,
                         err.overflow, protections=protections)
