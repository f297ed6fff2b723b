"""The ``python`` tool: run a Python script in the sandbox (asks by default).

The script runs in a separate isolated interpreter with limits, without the
app's environment and, on Linux, without network and with a read-only view of
the file system outside its temporary folder (see sandbox.py). The model gets
stdout, stderr, the exit status and whether a limit stopped the run.

Fail closed: where real isolation is unavailable (``sandbox.isolation()``:
macOS, Windows, Linux without user namespaces, running as root) the tool
refuses with the reason, unless the person turned on "run without isolation"
for the agent (``AgentSpec.python_unisolated``, passed in the ToolContext).
Then it runs with whatever protections remain (namespaces where they still
work, e.g. as root) and the result names what was missing.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from app.core.tools.base import Tool, ToolContext, ToolError
from app.core.tools.sandbox import (
    SandboxError,
    SandboxLimits,
    SandboxResult,
    isolation,
    run_python,
)

PYTHON_TOOL = "python"
MAX_CODE_CHARS = 100_000

_REASONS = {
    "timeout": "it ran longer than the wall-time limit of {wall:g} s",
    "cpu": "it used more than its CPU-time limit of {cpu} s",
    "output": "it printed more than the output limit of {output} bytes",
    "memory": "it ran out of memory (limit {memory} MB)",
    "signal": ("it was killed by a signal that none of the tool's limits sent (the "
               "script itself, another process, or the system's out-of-memory killer)"),
}
# What each protection means, for the line that lists the missing ones.
_PROTECTIONS = {
    "network_isolated": "no network", "pid_namespace": "own process space",
    "environment_scrubbed": "the app's environment out of reach",
    "read_only_fs": "read-only files outside its folder",
    "capabilities_dropped": "no privileges", "seccomp": "seccomp filter",
}
UNISOLATED_SETTING = "run without isolation"


def unisolated_warning() -> str:
    """What the person reads before allowing an agent to run Python without
    isolation (window: a confirmation; CLI: printed with the flag)."""
    found = isolation()
    here = ("Real isolation is available on this computer, so the setting changes "
            "nothing here; it matters if AgentDesk runs where isolation is not "
            "available." if found.available else
            f"Real isolation is not available on this computer: {found.reason}.")
    return (f"{here} With \"{UNISOLATED_SETTING}\" on, Python code written by the model "
            "runs (after you approve each run, unless you changed that) with your "
            "user's rights: it can read and change your files, use the network, read "
            "AgentDesk's environment (API keys set in variables) and signal your other "
            "programs. Limits on time, memory and output still apply. Turn it on only "
            "for an agent and model you trust.")


def refusal(reason: str) -> str:
    """What the model (and the person) read when the tool stays off."""
    return (f"the python tool is off: real isolation is not available here ({reason}). "
            f"The user can turn on \"{UNISOLATED_SETTING}\" for this agent in its "
            "settings to run code anyway.")


class PythonTool(Tool):
    name = PYTHON_TOOL
    policy = "ask"
    risk = "high"

    def __init__(self, limits: SandboxLimits | None = None, *,
                 use_namespaces: bool | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self.use_namespaces = use_namespaces
        # Our own limits fire first; this outer one only catches a stuck sandbox.
        self.timeout = self.limits.wall_seconds + 15
        found = isolation()
        isolated = use_namespaces if use_namespaces is not None else found.namespaces
        network = ("without network access" if isolated
                   else "with network access (not blocked on this system)")
        self.description = (
            "Run a Python 3 script and return what it prints. It runs in a fresh "
            f"temporary folder that is deleted afterwards, {network}, "
            f"with at most {self.limits.wall_seconds:g} s of time and "
            f"{self.limits.memory_bytes // (1024 * 1024)} MB of memory. Only the "
            "standard library is guaranteed. Print the results you need."
            + ("" if found.available else
               " Real isolation is not available on this system; the tool runs only "
               f"for agents the user allowed to \"{UNISOLATED_SETTING}\"."))
        self.parameters = {
            "type": "object",
            "properties": {"code": {"type": "string",
                                    "description": "The complete Python script to run."}},
            "required": ["code"],
            "additionalProperties": False,
        }

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        extra = set(arguments) - {"code"}
        if extra:
            raise ToolError(f"invalid arguments for python: unknown {', '.join(sorted(extra))}")
        code = arguments.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ToolError("invalid arguments for python: code must be a non-empty string")
        if len(code) > MAX_CODE_CHARS:
            raise ToolError(f"the script is longer than {MAX_CODE_CHARS} characters")
        if "\x00" in code:
            raise ToolError("the script contains a NUL character")
        return {"code": code}

    def summarize(self, arguments: dict[str, Any]) -> str:
        code = str(arguments.get("code", ""))
        lines = code.strip().splitlines() or [""]
        more = f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
        return f"run Python code: {lines[0][:120]}{more}"

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        found = await asyncio.to_thread(isolation)
        if not found.available and not context.python_unisolated:
            raise ToolError(refusal(found.reason))
        use_namespaces = (self.use_namespaces if self.use_namespaces is not None
                          else found.namespaces)
        try:
            result = await run_python(arguments["code"], self.limits,
                                      use_namespaces=use_namespaces)
        except SandboxError as exc:
            raise ToolError(str(exc)) from exc
        return format_result(result, self.limits)


def format_result(result: SandboxResult, limits: SandboxLimits) -> str:
    """The run as text for the model."""
    parts = []
    if result.exit_code is None:
        parts.append("exit status: unknown")
    elif result.exit_code < 0:
        try:
            name = signal.Signals(-result.exit_code).name
        except ValueError:
            name = f"signal {-result.exit_code}"
        parts.append(f"exit status: killed by {name}")
    else:
        parts.append(f"exit status: {result.exit_code}")
    if result.reason:
        why = _REASONS[result.reason].format(
            wall=limits.wall_seconds, cpu=limits.cpu_seconds, output=limits.output_bytes,
            memory=limits.memory_bytes // (1024 * 1024))
        verb = "stopped" if result.killed else "failed"
        parts.append(f"{verb}: {why}")
    for label, text, cut in (("stdout", result.stdout, result.stdout_truncated),
                             ("stderr", result.stderr, result.stderr_truncated)):
        if text or cut:
            parts.append(f"{label}:\n{text}" + (f"\n[{label} truncated at "
                                               f"{limits.output_bytes} bytes]" if cut else ""))
    if result.files:
        parts.append("files it wrote (deleted after the run): " + ", ".join(result.files))
    if result.protections and not result.protections.get("isolated", True):
        parts.append(protection_note(result.protections))
    return "\n".join(parts)


def protection_note(protections: dict[str, Any]) -> str:
    """One line: the run was not isolated, and what did and did not apply."""
    had = [label for key, label in _PROTECTIONS.items() if protections.get(key)]
    missing = [label for key, label in _PROTECTIONS.items() if not protections.get(key)]
    if protections.get("runs_as_root"):
        missing.append("not root")
    return ("sandbox: NOT isolated (the user allowed this agent to run without isolation)"
            f"; missing: {', '.join(missing) or 'nothing'}"
            f"; in force: {', '.join(['limits', *had])}")


def python_tool(limits: SandboxLimits | None = None) -> Tool:
    """The ``python`` tool with the given limits (defaults: 30 s, 512 MB, 64 KB)."""
    return PythonTool(limits)
