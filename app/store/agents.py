"""Agent repository: agents and their revision history."""

from __future__ import annotations

import logging

from peewee import IntegrityError, SqliteDatabase

from app.domain import AgentRevision, AgentSpec
from app.domain.clock import utc_now
from app.store.codec import json_from_db, json_to_db, time_or_damaged, time_to_db
from app.store.errors import DuplicateNameError, NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables

log = logging.getLogger(__name__)

# Fields that are part of an agent's configuration (and so of a revision).
_SPEC_FIELDS = (
    "name", "system_prompt", "provider", "model", "temperature", "max_tokens",
    "streaming", "tools", "fallbacks", "local_only", "max_turns", "tool_policies",
    "workspace", "generation", "python_unisolated", "api_tools",
)


class AgentRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    # -- reading ---------------------------------------------------------------
    def list(self) -> list[AgentSpec]:
        rows = self._t.agent.select().order_by(self._t.agent.name.collate("NOCASE"))
        return [self._to_spec(row) for row in rows]

    def get(self, agent_id: int) -> AgentSpec:
        row = self._t.agent.get_or_none(self._t.agent.id == agent_id)
        if row is None:
            raise NotFoundError("agent", agent_id)
        return self._to_spec(row)

    def find_by_name(self, name: str) -> AgentSpec | None:
        row = self._t.agent.get_or_none(
            self._t.agent.name.collate("NOCASE") == name.strip()
        )
        return None if row is None else self._to_spec(row)

    def get_by_name(self, name: str) -> AgentSpec:
        spec = self.find_by_name(name)
        if spec is None:
            raise NotFoundError("agent", name)
        return spec

    def revisions(self, agent_id: int) -> list[AgentRevision]:
        """Every revision of an agent, newest first."""
        self.get(agent_id)
        table = self._t.agent_revision
        rows = (table.select().where(table.agent_id == agent_id)
                .order_by(table.revision.desc()))
        return [self._to_revision(row) for row in rows]

    # -- writing ---------------------------------------------------------------
    def create(self, spec: AgentSpec) -> AgentSpec:
        now = utc_now()
        values = self._spec_values(spec)
        try:
            with self._db.atomic():
                row = self._t.agent.create(
                    **values, revision=1, created_at=time_to_db(now),
                    updated_at=time_to_db(now),
                )
                self._record_revision(row.id, 1, spec, now)
        except IntegrityError as exc:
            raise DuplicateNameError("agent", spec.name) from exc
        self._hub.emit("agent", "insert", [row.id])
        return self.get(row.id)

    def update(self, spec: AgentSpec) -> AgentSpec:
        """Save a changed agent as a new revision; an unchanged one is left alone."""
        if spec.id is None:
            raise NotFoundError("agent", None)
        current = self.get(spec.id)
        if self._spec_values(current) == self._spec_values(spec):
            return current
        now = utc_now()
        revision = current.revision + 1
        try:
            with self._db.atomic():
                self._t.agent.update(
                    **self._spec_values(spec), revision=revision,
                    updated_at=time_to_db(now),
                ).where(self._t.agent.id == spec.id).execute()
                self._record_revision(spec.id, revision, spec, now)
        except IntegrityError as exc:
            raise DuplicateNameError("agent", spec.name) from exc
        self._hub.emit("agent", "update", [spec.id])
        return self.get(spec.id)

    def restore_revision(self, agent_id: int, revision: int) -> AgentSpec:
        """Make an earlier revision current again (as a new revision)."""
        for past in self.revisions(agent_id):
            if past.revision == revision:
                current = self.get(agent_id)
                restored = past.spec.model_copy(update={"id": agent_id,
                                                        "revision": current.revision})
                return self.update(restored)
        raise NotFoundError(f"revision of agent {agent_id}", revision)

    def delete(self, agent_id: int) -> None:
        """Delete an agent with all its conversations and messages (cascade)."""
        deleted = self._t.agent.delete().where(self._t.agent.id == agent_id).execute()
        if not deleted:
            raise NotFoundError("agent", agent_id)
        self._hub.emit("agent", "delete", [agent_id])

    # -- conversions -----------------------------------------------------------
    @staticmethod
    def _spec_values(spec: AgentSpec) -> dict:
        data = spec.model_dump(mode="json", include=set(_SPEC_FIELDS))
        data["tools"] = json_to_db(data["tools"])
        data["fallbacks"] = json_to_db(data["fallbacks"])
        data["tool_policies"] = json_to_db(data["tool_policies"])
        data["api_tools"] = json_to_db(data["api_tools"])
        data["generation"] = json_to_db(spec.generation.compact())
        return data

    def _record_revision(self, agent_id: int, revision: int, spec: AgentSpec,
                         when) -> None:
        snapshot = spec.model_dump(mode="json", include=set(_SPEC_FIELDS))
        snapshot["generation"] = spec.generation.compact()
        self._t.agent_revision.create(
            agent_id=agent_id, revision=revision, spec=json_to_db(snapshot),
            created_at=time_to_db(when),
        )

    @staticmethod
    def _to_spec(row) -> AgentSpec:
        damage: list[str] = []
        created_at = time_or_damaged(row.created_at, "created time", damage)
        updated_at = time_or_damaged(row.updated_at, "updated time", damage)
        if damage:  # the agent stays usable and deletable; its times read as 1970
            log.warning("agent %s: damaged %s in the database", row.id, ", ".join(damage))
        return AgentSpec(
            id=row.id, name=row.name, system_prompt=row.system_prompt,
            provider=row.provider, model=row.model, temperature=row.temperature,
            max_tokens=row.max_tokens, streaming=bool(row.streaming),
            tools=json_from_db(row.tools, []), fallbacks=json_from_db(row.fallbacks, []),
            local_only=bool(row.local_only), max_turns=row.max_turns,
            tool_policies=json_from_db(row.tool_policies, {}), workspace=row.workspace,
            generation=json_from_db(row.generation, {}),
            python_unisolated=bool(row.python_unisolated),
            api_tools=json_from_db(row.api_tools, []),
            revision=row.revision, created_at=created_at, updated_at=updated_at,
        )

    @staticmethod
    def _to_revision(row) -> AgentRevision:
        spec = AgentSpec(**json_from_db(row.spec), id=row.agent_id, revision=row.revision)
        return AgentRevision(agent_id=row.agent_id, revision=row.revision, spec=spec,
                             created_at=time_or_damaged(row.created_at, "time", []))
