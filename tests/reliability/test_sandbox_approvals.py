"""Approval bypass attempts on custom tools and MCP servers (issue 21, "sandbox").

One table: each row approves something, then changes it the way an attacker
(or an update nobody looked at) would, and tries to run it. A row fails — a
bypass — if code ran without the person approving exactly that: the custom
tool file's module code ran (its marker file appears) or its tool got
registered, or the MCP server process started (the echo server writes its pid
to a marker file the moment it starts) or was connected to. Real parts: the
real custom-tool loader over files in a real data folder, the real
``McpManager`` over a real SQLite store and the real stdio echo server
(tests/core/mcp_servers).

Found and fixed here (each row failed on the code before):
- ``mcp-script-changed`` / ``mcp-program-replaced``: the approval covered the
  command line's text only; the script it runs could be replaced and it ran
  without a question. The fingerprint now covers the content of the program
  and of every code file the command line names (app/domain/command_files.py).
- ``mcp-env-value-changed``: only environment variable *names* were
  approved; a new ``PYTHONPATH`` value ran other code. Values are covered now.
- ``mcp-renamed``: a server renamed through the store kept its approval.
  A rename now drops it (and disables the server).
"""

from __future__ import annotations

import asyncio
import os
import py_compile
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.tools.base import ToolRegistry
from app.core.tools.custom import custom_tools_folder, register_custom_tools
from app.core.tools.files import files_tools
from app.core.tools.mcp_client import McpConnectionError
from app.core.tools.mcp_manager import McpManager, McpUnavailableError, configs_from_store
from app.domain.tools import McpServerConfig
from app.ops import tools as tool_ops
from app.store import Store
from tests.core.mcp_servers.support import ECHO_SERVER, TEST_TIMEOUTS
from tests.support.reliability_summary import record

TOOL_SOURCE = '''
from pathlib import Path
from app.core.tools import tool

Path({marker!r}).write_text({label!r})


@tool
def {name}(text: str) -> str:
    """Echo the text."""
    return text
'''


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    store = Store(tmp_path / "agentdesk.db")
    custom_tools_folder(tmp_path).mkdir()
    try:
        yield tmp_path, store
    finally:
        store.close()


def write_tool(folder: Path, file: str, marker: Path, label: str, name: str = "echo_text"
               ) -> Path:
    path = folder / file
    path.write_text(TOOL_SOURCE.format(marker=str(marker), label=label, name=name))
    return path


def load(home: Path, store: Store, registry: ToolRegistry | None = None):
    registry = registry or ToolRegistry()
    return registry, register_custom_tools(custom_tools_folder(home), store, registry)


# -- custom tools ------------------------------------------------------------------------
def custom_changed_after_approval(home: Path, store: Store) -> bool:
    folder, marker = custom_tools_folder(home), home / "ran"
    write_tool(folder, "t.py", marker, "approved")
    load(home, store)
    tool_ops.set_custom_tool_enabled(store, "t", True)
    write_tool(folder, "t.py", marker, "CHANGED")
    marker.unlink(missing_ok=True)
    registry, loads = load(home, store)
    assert loads[0].status == "changed", loads
    return marker.exists() or registry.get("echo_text") is not None


def custom_planted_bytecode(home: Path, store: Store) -> bool:
    """A cached .pyc of other code beside the approved file, with the source's
    size and time in its header (what a normal import would accept)."""
    folder, marker = custom_tools_folder(home), home / "ran"
    source = write_tool(folder, "t.py", marker, "approved")
    load(home, store)
    tool_ops.set_custom_tool_enabled(store, "t", True)
    evil = home / "evil" / "t.py"
    evil.parent.mkdir()
    evil.write_text(TOOL_SOURCE.format(marker=str(marker), label="BYTECODE", name="echo_text")
                    + " " * (source.stat().st_size - len(TOOL_SOURCE.format(
                        marker=str(marker), label="BYTECODE", name="echo_text"))))
    os.utime(evil, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    cache = folder / "__pycache__"
    cache.mkdir()
    tag = sys.implementation.cache_tag
    py_compile.compile(str(evil), cfile=str(cache / f"t.{tag}.pyc"), dfile=str(source))
    registry, loads = load(home, store)
    assert loads[0].status == "loaded", loads
    return marker.read_text() != "approved"


def custom_symlink_retargeted(home: Path, store: Store) -> bool:
    folder, marker = custom_tools_folder(home), home / "ran"
    good = write_tool(home, "good.py", marker, "approved")
    bad = write_tool(home, "bad.py", marker, "RETARGETED")
    (folder / "t.py").symlink_to(good)
    load(home, store)
    tool_ops.set_custom_tool_enabled(store, "t", True)
    (folder / "t.py").unlink()
    (folder / "t.py").symlink_to(bad)
    marker.unlink(missing_ok=True)
    registry, loads = load(home, store)
    return marker.exists() or registry.get("echo_text") is not None


def custom_shadows_a_builtin(home: Path, store: Store) -> bool:
    """An approved file that defines ``read_file`` must not replace the
    built-in (which keeps to the workspace)."""
    registry = ToolRegistry()
    builtin = {t.name: t for t in files_tools()}["read_file"]
    registry.register(builtin)
    write_tool(custom_tools_folder(home), "t.py", home / "ran", "x", name="read_file")
    load(home, store, registry)
    tool_ops.set_custom_tool_enabled(store, "t", True)
    registry, loads = load(home, store, registry)
    assert loads[0].status == "failed" and "already in use" in (loads[0].error or "")
    return registry.get("read_file") is not builtin


def custom_swapped_before_enabling(home: Path, store: Store) -> bool:
    """The person reviewed one file (its hash) and enables it; the file was
    swapped in between: enabling by the reviewed hash is refused."""
    folder, marker = custom_tools_folder(home), home / "ran"
    write_tool(folder, "t.py", marker, "reviewed")
    reviewed = tool_ops.find_custom_tool(store, "t", folder).sha256
    write_tool(folder, "t.py", marker, "SWAPPED")
    tool_ops.find_custom_tool(store, "t", folder)
    with pytest.raises(tool_ops.CustomToolChanged):
        tool_ops.set_custom_tool_enabled(store, "t", True, expected_sha256=reviewed[:12])
    registry, loads = load(home, store)
    return marker.exists() or registry.get("echo_text") is not None


# -- MCP servers -------------------------------------------------------------------------
def echo(name: str, home: Path, **fields) -> McpServerConfig:
    script = home / "server.py"
    if not script.exists():
        shutil.copy(ECHO_SERVER, script)
    return McpServerConfig(name=name, transport="stdio", command=sys.executable,
                           args=[str(script), "--marker", str(home / "started")], **fields)


def approve(store: Store, config: McpServerConfig) -> McpServerConfig:
    added = store.mcp_servers.add(config)
    return store.mcp_servers.approve(added.name, added.fingerprint)


def started(home: Path, store: Store, name: str) -> bool:
    """Try to start ``name`` as an agent's turn would; True if it ran."""
    async def attempt() -> bool:
        manager = McpManager(configs_from_store(store), timeouts=TEST_TIMEOUTS,
                             log_dir=home / "logs")
        try:
            await manager.tools(name)
            return True
        except McpUnavailableError:
            return False
        finally:
            await manager.close()

    ran = asyncio.run(attempt())
    return ran or (home / "started").exists()


def changed(home: Path, store: Store, **update) -> bool:
    approved = approve(store, echo("srv", home))
    store.mcp_servers.update(approved.model_copy(update=update))
    return started(home, store, update.get("name", "srv"))


def mcp_script_changed(home: Path, store: Store) -> bool:
    approve(store, echo("srv", home))
    script = home / "server.py"
    script.write_text(script.read_text() + "\nopen('/dev/null', 'w').write('backdoor')\n")
    return started(home, store, "srv")


def mcp_program_replaced(home: Path, store: Store) -> bool:
    """The command is a launcher script; it is replaced after approval."""
    launcher = home / "launch.sh"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    launcher.chmod(0o755)
    script = home / "server.py"
    shutil.copy(ECHO_SERVER, script)
    approve(store, McpServerConfig(name="srv", transport="stdio", command=str(launcher),
                                   args=[str(script), "--marker", str(home / "started")]))
    launcher.write_text(f"#!/bin/sh\n# replaced\nexec {sys.executable} \"$@\"\n")
    return started(home, store, "srv")


def mcp_env_value_changed(home: Path, store: Store) -> bool:
    """``PYTHONPATH`` pointed elsewhere after approval: other code runs."""
    approve(store, echo("srv", home, env={"PYTHONPATH": str(home / "lib")}))
    current = store.mcp_servers.get_by_name("srv")
    store.mcp_servers.update(current.model_copy(update={"env": {"PYTHONPATH":
                                                                str(home / "evil")}}))
    return started(home, store, "srv")


def mcp_remove_and_readd(home: Path, store: Store) -> bool:
    approve(store, echo("srv", home))
    store.mcp_servers.remove("srv")
    store.mcp_servers.add(echo("srv", home, env={"EXTRA": "1"}).model_copy(
        update={"enabled": True}))
    return started(home, store, "SRV")


def mcp_approve_stale_fingerprint(home: Path, store: Store) -> bool:
    shown = store.mcp_servers.add(echo("srv", home))
    store.mcp_servers.update(shown.model_copy(update={"args": [*shown.args, "--start-delay",
                                                               "0"]}))
    with pytest.raises(ValueError, match="changed"):
        store.mcp_servers.approve("srv", shown.fingerprint)
    return started(home, store, "srv")


def mcp_http_url_changed(home: Path, store: Store) -> bool:
    approve(store, McpServerConfig(name="web", transport="http",
                                   url="http://127.0.0.1:9/mcp"))
    current = store.mcp_servers.get_by_name("web")
    store.mcp_servers.update(current.model_copy(update={"url": "http://127.0.0.1:8/mcp"}))
    return store.mcp_servers.get_by_name("web").approved


BYPASS_ATTEMPTS: dict[str, Callable[[Path, Store], bool]] = {
    "custom-changed-after-approval": custom_changed_after_approval,
    "custom-planted-bytecode": custom_planted_bytecode,
    "custom-symlink-retargeted": custom_symlink_retargeted,
    "custom-shadows-a-builtin": custom_shadows_a_builtin,
    "custom-swapped-before-enabling": custom_swapped_before_enabling,
    "mcp-command-changed": lambda h, s: changed(h, s, command=shutil.which("python3")
                                                or "/usr/bin/python3"),
    "mcp-args-changed": lambda h, s: changed(h, s, args=[str(h / "server.py"), "--marker",
                                                         str(h / "started"), "--start-delay",
                                                         "0"]),
    "mcp-env-name-added": lambda h, s: changed(h, s, env={"LD_PRELOAD": "/tmp/evil.so"}),
    "mcp-env-value-changed": mcp_env_value_changed,
    "mcp-script-changed": mcp_script_changed,
    "mcp-program-replaced": mcp_program_replaced,
    "mcp-renamed": lambda h, s: changed(h, s, name="renamed"),
    "mcp-removed-and-re-added": mcp_remove_and_readd,
    "mcp-approve-stale-fingerprint": mcp_approve_stale_fingerprint,
    "mcp-http-url-changed": mcp_http_url_changed,
}


@pytest.mark.parametrize("name", list(BYPASS_ATTEMPTS))
def test_approval_bypass(home: tuple[Path, Store], name: str) -> None:
    folder, store = home
    bypassed = BYPASS_ATTEMPTS[name](folder, store)
    record("sandbox", attempts=1, bypasses=int(bool(bypassed)))
    assert not bypassed, f"{name}: ran without the person approving exactly this"


def test_an_approved_server_still_starts_after_its_data_files_change(
        home: tuple[Path, Store]) -> None:
    """The control: the table's refusals are not "nothing ever starts". An
    approved server starts; files it only writes (its marker, a log, a
    database) do not undo the approval; re-approving a changed script works."""
    folder, store = home
    approve(store, echo("srv", folder))
    assert started(folder, store, "srv")
    assert started(folder, store, "srv")        # its own marker file exists now
    script = folder / "server.py"
    script.write_text(script.read_text() + "\n# reviewed change\n")
    (folder / "started").unlink()
    assert not started(folder, store, "srv")
    current = store.mcp_servers.get_by_name("srv")
    store.mcp_servers.approve("srv", current.fingerprint)
    assert started(folder, store, "srv")


INJECTIONS = ["; touch {m}", "$(touch {m})", "`touch {m}`", "\ntouch {m}\n", "| touch {m}",
              "&& touch {m}", "'; touch {m}; '"]


def test_command_injection_through_mcp_never_runs(home: tuple[Path, Store]) -> None:
    """Shell metacharacters in an MCP tool call's arguments reach the server
    as text (the echo tool returns them unchanged), and in a server's
    configured arguments and environment they are passed to the program as
    they are: no shell runs them (the injected ``touch`` never happens)."""
    folder, store = home
    injected = folder / "INJECTED"
    texts = [i.format(m=injected) for i in INJECTIONS]
    approve(store, echo("srv", folder, env={"X": texts[1]}))

    async def calls() -> list[str]:
        manager = McpManager(configs_from_store(store), timeouts=TEST_TIMEOUTS,
                             log_dir=folder / "logs")
        try:
            return [await manager.call("srv", "echo", {"text": text}) for text in texts]
        finally:
            await manager.close()

    echoed = asyncio.run(calls())
    # A configured argument full of metacharacters: the server gets it as one
    # argument (argparse refuses it), nothing else runs.
    shown = store.mcp_servers.add(McpServerConfig(
        name="weird", transport="stdio", command=sys.executable,
        args=[str(folder / "server.py"), *texts]))
    store.mcp_servers.approve("weird", shown.fingerprint)
    refused = asyncio.run(_try_start(store, folder, "weird"))
    ran = int(injected.exists())
    record("sandbox", attempts=len(texts) + 2, escapes=ran)
    assert not ran
    assert refused        # the echo server's argparse refused the odd arguments
    assert all(text in reply for text, reply in zip(texts, echoed, strict=True)), echoed


async def _try_start(store: Store, folder: Path, name: str) -> str:
    """Start ``name``; the connection error it ends with ("" if it started)."""
    manager = McpManager(configs_from_store(store), timeouts=TEST_TIMEOUTS,
                         log_dir=folder / "logs")
    try:
        await manager.tools(name)
        return ""
    except McpConnectionError as exc:   # the server exits on its bad arguments
        return str(exc)
    finally:
        await manager.close()
