"""Repositories for memories, custom tools and MCP servers."""

from __future__ import annotations

from peewee import IntegrityError, SqliteDatabase

from app.domain.clock import utc_now
from app.domain.tools import CustomToolRecord, McpServerConfig, Memory
from app.store.codec import json_from_db, json_to_db, time_or_damaged, time_to_db
from app.store.errors import DuplicateNameError, NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables


class MemoryRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db, self._t, self._hub = db, tables, hub

    def list(self, agent_id: int) -> list[Memory]:
        table = self._t.memory
        rows = table.select().where(table.agent_id == agent_id).order_by(table.id)
        return [self._to_memory(row) for row in rows]

    def add(self, agent_id: int, content: str) -> Memory:
        memory = Memory(agent_id=agent_id, content=content.strip())
        now = time_to_db(utc_now())
        try:
            row = self._t.memory.create(agent_id=agent_id, content=memory.content,
                                        created_at=now, updated_at=now)
        except IntegrityError as exc:
            raise NotFoundError("agent", agent_id) from exc
        self._hub.emit("memory", "insert", [row.id], agent_id)
        return self._to_memory(row)

    def update(self, memory_id: int, content: str) -> Memory:
        table = self._t.memory
        checked = Memory(agent_id=0, content=content.strip())
        changed = table.update(content=checked.content, updated_at=time_to_db(utc_now())
                               ).where(table.id == memory_id).execute()
        if not changed:
            raise NotFoundError("memory", memory_id)
        row = table.get_by_id(memory_id)
        self._hub.emit("memory", "update", [memory_id], row.agent_id)
        return self._to_memory(row)

    def delete(self, memory_id: int) -> None:
        table = self._t.memory
        row = table.get_or_none(table.id == memory_id)
        if row is None:
            raise NotFoundError("memory", memory_id)
        table.delete().where(table.id == memory_id).execute()
        self._hub.emit("memory", "delete", [memory_id], row.agent_id)

    @staticmethod
    def _to_memory(row) -> Memory:
        return Memory(id=row.id, agent_id=row.agent_id, content=row.content,
                      created_at=time_or_damaged(row.created_at, "created time", []),
                      updated_at=time_or_damaged(row.updated_at, "updated time", []))


class CustomToolRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db, self._t, self._hub = db, tables, hub

    def list(self) -> list[CustomToolRecord]:
        table = self._t.custom_tool
        return [self._to_record(row) for row in table.select().order_by(table.name)]

    def find(self, name: str) -> CustomToolRecord | None:
        row = self._t.custom_tool.get_or_none(self._t.custom_tool.name == name)
        return None if row is None else self._to_record(row)

    def upsert_discovered(self, name: str, path: str, sha256: str) -> CustomToolRecord:
        """Record a tool file found at start; keeps the user's approval as is
        (a changed hash simply no longer matches it)."""
        table = self._t.custom_tool
        row = table.get_or_none(table.name == name)
        if row is None:
            row = table.create(name=name, path=path, sha256=sha256)
            self._hub.emit("custom_tool", "insert", [row.id])
        elif (row.path, row.sha256) != (path, sha256):
            table.update(path=path, sha256=sha256).where(table.name == name).execute()
            self._hub.emit("custom_tool", "update", [row.id])
        return self.find(name)  # type: ignore[return-value]

    def set_enabled(self, name: str, enabled: bool) -> CustomToolRecord:
        """Enable (approving the current file hash) or disable a tool."""
        record = self.find(name)
        if record is None:
            raise NotFoundError("custom tool", name)
        table = self._t.custom_tool
        approved = record.sha256 if enabled else None
        table.update(enabled=enabled, approved_sha256=approved).where(
            table.name == name).execute()
        self._hub.emit("custom_tool", "update", [record.id or 0])
        return self.find(name)  # type: ignore[return-value]

    def remove(self, name: str) -> None:
        table = self._t.custom_tool
        table.delete().where(table.name == name).execute()

    @staticmethod
    def _to_record(row) -> CustomToolRecord:
        return CustomToolRecord(id=row.id, name=row.name, path=row.path, sha256=row.sha256,
                                enabled=bool(row.enabled),
                                approved_sha256=row.approved_sha256)


class McpServerRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db, self._t, self._hub = db, tables, hub

    def list(self) -> list[McpServerConfig]:
        table = self._t.mcp_server
        return [self._to_config(row) for row in table.select().order_by(table.name)]

    def get_by_name(self, name: str) -> McpServerConfig:
        table = self._t.mcp_server
        row = table.get_or_none(table.name.collate("NOCASE") == name.strip())
        if row is None:
            raise NotFoundError("MCP server", name)
        return self._to_config(row)

    def add(self, config: McpServerConfig) -> McpServerConfig:
        """Store a server, never approved or enabled on creation."""
        values = self._values(config) | {"enabled": False, "approved_fingerprint": None}
        try:
            row = self._t.mcp_server.create(**values)
        except IntegrityError as exc:
            raise DuplicateNameError("MCP server", config.name) from exc
        self._hub.emit("mcp_server", "insert", [row.id])
        return self.get_by_name(config.name)

    def approve(self, name: str, fingerprint: str) -> McpServerConfig:
        """Approve the command line the user was shown (by its fingerprint) and
        enable the server. A fingerprint that no longer matches is refused."""
        current = self.get_by_name(name)
        if current.fingerprint != fingerprint:
            raise ValueError("the server's command line changed since it was shown; "
                             "review it again")
        self._set(current, enabled=True, approved_fingerprint=fingerprint)
        return self.get_by_name(name)

    def update(self, config: McpServerConfig) -> McpServerConfig:
        """Change a server's command line, URL or environment (found by id, or
        by name when it has none). The approval is kept as it was, so a changed
        fingerprint no longer matches it and the server needs approving again.
        A new name drops the approval and disables the server: agents name
        servers, so a renamed one must not inherit what was approved under
        the old name (issue 21)."""
        current = (self.get_by_name(config.name) if config.id is None
                   else self._get_by_id(config.id))
        values = self._values(config)
        if current.name != config.name:
            values |= {"enabled": False, "approved_fingerprint": None}
        try:
            self._set(current, **values)
        except IntegrityError as exc:
            raise DuplicateNameError("MCP server", config.name) from exc
        return self.get_by_name(config.name)

    def _get_by_id(self, server_id: int) -> McpServerConfig:
        row = self._t.mcp_server.get_or_none(self._t.mcp_server.id == server_id)
        if row is None:
            raise NotFoundError("MCP server", server_id)
        return self._to_config(row)

    def set_enabled(self, name: str, enabled: bool) -> McpServerConfig:
        current = self.get_by_name(name)
        self._set(current, enabled=enabled)
        return self.get_by_name(name)

    def remove(self, name: str) -> None:
        current = self.get_by_name(name)
        table = self._t.mcp_server
        table.delete().where(table.id == current.id).execute()
        self._hub.emit("mcp_server", "delete", [current.id or 0])

    def _set(self, current: McpServerConfig, **values) -> None:
        table = self._t.mcp_server
        table.update(**values).where(table.id == current.id).execute()
        self._hub.emit("mcp_server", "update", [current.id or 0])

    @staticmethod
    def _values(config: McpServerConfig) -> dict:
        return {"name": config.name, "transport": config.transport,
                "command": config.command, "args": json_to_db(config.args),
                "url": config.url, "env": json_to_db(config.env)}

    @staticmethod
    def _to_config(row) -> McpServerConfig:
        return McpServerConfig(id=row.id, name=row.name, transport=row.transport,
                               command=row.command, args=json_from_db(row.args, []),
                               url=row.url, env=json_from_db(row.env, {}),
                               enabled=bool(row.enabled),
                               approved_fingerprint=row.approved_fingerprint)
