"""Tool-related records the user controls: memories, custom tools, MCP servers."""

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.domain.clock import utc_now
from app.domain.command_files import command_files


class Memory(BaseModel):
    """A short fact an agent remembers about the user (visible and editable)."""

    id: int | None = None
    agent_id: int
    content: str = Field(min_length=1, max_length=2000)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class CustomToolRecord(BaseModel):
    """A Python file in the data folder's tools/ folder, and whether the user
    enabled it. ``approved_sha256`` is the file hash the user enabled; a file
    whose hash changed since is not run until re-enabled."""

    id: int | None = None
    name: str
    path: str
    sha256: str
    enabled: bool = False
    approved_sha256: str | None = None

    @property
    def runnable(self) -> bool:
        return self.enabled and self.approved_sha256 == self.sha256


class McpServerConfig(BaseModel):
    """An MCP server. Nothing starts until the user approved exactly this
    command line (or URL), environment and the files the command runs:
    ``approved_fingerprint`` must equal ``fingerprint``."""

    id: int | None = None
    name: str = Field(min_length=1, max_length=255)
    transport: Literal["stdio", "http"]
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    enabled: bool = False
    approved_fingerprint: str | None = None

    @property
    def command_line(self) -> str:
        """What the user is shown and approves."""
        if self.transport == "http":
            return self.url or ""
        return " ".join([self.command or "", *self.args]).strip()

    @property
    def fingerprint(self) -> str:
        """What an approval covers: transport, command, arguments, URL, the
        environment (names and values: a changed ``PYTHONPATH`` or
        ``NODE_OPTIONS`` runs other code), and for a command server the content
        of the files its command line runs (app/domain/command_files.py). The
        server's name is not in it: a rename drops the approval in the store."""
        parts: list = [self.transport, self.command, self.args, self.url,
                       sorted(self.env.items())]
        if self.transport == "stdio":
            parts.append(command_files(self.command, self.args))
        data = json.dumps(parts, separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    @property
    def approved(self) -> bool:
        return self.approved_fingerprint == self.fingerprint
