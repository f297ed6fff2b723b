"""The arena the sandbox suite attacks from: an agent's workspace, and beside
it what must stay out of reach — a secret folder, a fake home with ``~/.ssh``,
a secret in the app's environment, a sacrificial process, a TCP/UDP listener
on loopback — plus the tools as shipped, called the way the runner calls them
(``execute_tool`` with an approver that says yes: the boundary must hold even
after the person allowed the call)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.core.tools import ApprovalRequest, ToolContext, execute_tool
from app.core.tools.base import Tool, ToolOutcome
from app.core.tools.sandbox import SandboxLimits, isolation

SECRET = "TOP-SECRET-4d1c"           # in the folder beside the workspace
SSH_SECRET = "SSH-PRIVATE-KEY-93be"  # in the fake ~/.ssh/id_rsa
ENV_SECRET = "sk-env-secret-77aa0c"  # in the app's own environment
OUTSIDE_ONLY = "outside-only-name.txt"  # a name no argument mentions: listed = escaped
LIMITS = SandboxLimits(wall_seconds=6.0, cpu_seconds=3, memory_bytes=512 * 1024**2,
                       output_bytes=64 * 1024, max_tasks=32, file_bytes=64 * 1024**2)


async def yes(request: ApprovalRequest) -> bool:
    return True


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that count what reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.tcp.settimeout(0.02)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.tcp.getsockname()[1]))
        self.udp.settimeout(0.02)
        self.port = self.tcp.getsockname()[1]
        self.reached = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for sock in (self.tcp, self.udp):
                try:
                    if sock is self.tcp:
                        conn, _ = sock.accept()
                        conn.close()
                    else:
                        sock.recvfrom(64)
                    self.reached += 1
                except OSError:
                    continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.tcp.close()
        self.udp.close()


@dataclass
class Arena:
    root: Path
    workspace: Path
    outside: Path
    home: Path
    victim: subprocess.Popen
    listener: Listener
    marker: Path                        # a command injection would create it
    before: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def build(cls, root: Path) -> Arena:
        workspace = root / "ws" / "agent"
        (workspace / "sub").mkdir(parents=True)
        (workspace / "notes.txt").write_text("hello\n")
        outside = root / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text(SECRET)
        (outside / OUTSIDE_ONLY).write_text(SECRET)
        home = root / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "id_rsa").write_text(SSH_SECRET)
        (home / ".bashrc").write_text("# bashrc\n")
        (workspace / "link_file").symlink_to(outside / "secret.txt")
        (workspace / "link_dir").symlink_to(outside)
        (workspace / "link_ssh").symlink_to(home / ".ssh")
        (workspace / "loop").symlink_to(workspace / "loop")
        victim = subprocess.Popen(["sleep", "300"])
        arena = cls(root, workspace, outside, home, victim, Listener(), root / "INJECTED")
        arena.before = arena.outside_files()
        return arena

    def outside_files(self) -> dict[str, bytes]:
        """Every file outside the workspace (path -> bytes), symlinks not followed."""
        found = {}
        for path in self.root.rglob("*"):
            if self.workspace in path.parents or path.is_symlink() or not path.is_file():
                continue
            found[str(path.relative_to(self.root))] = path.read_bytes()
        return found

    def changed_outside(self) -> list[str]:
        now = self.outside_files()
        return sorted(k for k in set(now) | set(self.before)
                      if now.get(k) != self.before.get(k))

    def fill(self, text: str) -> str:
        return (text.replace("{outside}", str(self.outside)).replace("{home}", str(self.home))
                .replace("{root}", str(self.root)).replace("{marker}", str(self.marker))
                .replace("{victim}", str(self.victim.pid)).replace("{port}", str(self.listener.port))
                .replace("{app}", str(os.getpid())))

    def close(self) -> None:
        self.victim.kill()
        self.victim.wait()
        self.listener.close()


def call(tool_: Tool, arguments: dict, arena: Arena) -> ToolOutcome:
    """The tool as the runner calls it, the person having said yes."""
    context = ToolContext(workspace=arena.workspace, approver=yes,
                          python_unisolated=not isolation().available)
    return asyncio.run(execute_tool(tool_, arguments, context))


def leaked(text: str) -> list[str]:
    return [s for s in (SECRET, SSH_SECRET, ENV_SECRET, OUTSIDE_ONLY) if s in text]
