"""Workflow repository: workflows and their revision history (like agents).

The spec (kind, agents by name, synthesis agent, hand-off depth, description)
is one JSON column; every saved change is a new revision, the earlier ones
are kept in ``workflow_revisions``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from peewee import IntegrityError, SqliteDatabase

from app.domain.clock import utc_now
from app.domain.workflow import WorkflowRevision, WorkflowSpec
from app.store.codec import json_from_db, json_to_db, time_or_damaged, time_to_db
from app.store.errors import DuplicateNameError, NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables

log = logging.getLogger(__name__)

ENTITY = "workflow"


class WorkflowRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    # -- reading ---------------------------------------------------------------
    def list(self) -> list[WorkflowSpec]:
        rows = self._t.workflow.select().order_by(self._t.workflow.name.collate("NOCASE"))
        return [self._to_spec(row) for row in rows]

    def get(self, workflow_id: int) -> WorkflowSpec:
        row = self._t.workflow.get_or_none(self._t.workflow.id == workflow_id)
        if row is None:
            raise NotFoundError("workflow", workflow_id)
        return self._to_spec(row)

    def find_by_name(self, name: str) -> WorkflowSpec | None:
        row = self._t.workflow.get_or_none(
            self._t.workflow.name.collate("NOCASE") == name.strip())
        return None if row is None else self._to_spec(row)

    def revisions(self, workflow_id: int) -> list[WorkflowRevision]:
        """Every revision of a workflow, newest first."""
        self.get(workflow_id)
        table = self._t.workflow_revision
        rows = (table.select().where(table.workflow_id == workflow_id)
                .order_by(table.revision.desc()))
        return [WorkflowRevision(
            workflow_id=row.workflow_id, revision=row.revision,
            spec=WorkflowSpec(**json_from_db(row.spec, {}), id=row.workflow_id,
                              revision=row.revision),
            created_at=time_or_damaged(row.created_at, "time", [])) for row in rows]

    # -- writing ---------------------------------------------------------------
    def create(self, spec: WorkflowSpec) -> WorkflowSpec:
        now = utc_now()
        try:
            with self._db.atomic():
                row = self._t.workflow.create(
                    name=spec.name, kind=spec.kind, spec=_spec_json(spec), revision=1,
                    created_at=time_to_db(now), updated_at=time_to_db(now))
                self._record_revision(row.id, 1, spec, now)
        except IntegrityError as exc:
            raise DuplicateNameError("workflow", spec.name) from exc
        self._hub.emit(ENTITY, "insert", [row.id])
        return self.get(row.id)

    def update(self, spec: WorkflowSpec) -> WorkflowSpec:
        """Save a changed workflow as a new revision; an unchanged one is left alone."""
        if spec.id is None:
            raise NotFoundError("workflow", None)
        current = self.get(spec.id)
        if _spec_json(current) == _spec_json(spec) and current.name == spec.name:
            return current
        now = utc_now()
        revision = current.revision + 1
        try:
            with self._db.atomic():
                self._t.workflow.update(
                    name=spec.name, kind=spec.kind, spec=_spec_json(spec),
                    revision=revision, updated_at=time_to_db(now),
                ).where(self._t.workflow.id == spec.id).execute()
                self._record_revision(spec.id, revision, spec, now)
        except IntegrityError as exc:
            raise DuplicateNameError("workflow", spec.name) from exc
        self._hub.emit(ENTITY, "update", [spec.id])
        return self.get(spec.id)

    def restore_revision(self, workflow_id: int, revision: int) -> WorkflowSpec:
        """Make an earlier revision current again (as a new revision)."""
        for past in self.revisions(workflow_id):
            if past.revision == revision:
                current = self.get(workflow_id)
                return self.update(past.spec.model_copy(
                    update={"id": workflow_id, "revision": current.revision}))
        raise NotFoundError(f"revision of workflow {workflow_id}", revision)

    def delete(self, workflow_id: int) -> None:
        deleted = self._t.workflow.delete().where(self._t.workflow.id == workflow_id).execute()
        if not deleted:
            raise NotFoundError("workflow", workflow_id)
        self._hub.emit(ENTITY, "delete", [workflow_id])

    # -- conversions -----------------------------------------------------------
    def _record_revision(self, workflow_id: int, revision: int, spec: WorkflowSpec,
                         when: datetime) -> None:
        self._t.workflow_revision.create(
            workflow_id=workflow_id, revision=revision, spec=_spec_json(spec),
            created_at=time_to_db(when))

    @staticmethod
    def _to_spec(row) -> WorkflowSpec:
        damage: list[str] = []
        created_at = time_or_damaged(row.created_at, "created time", damage)
        updated_at = time_or_damaged(row.updated_at, "updated time", damage)
        if damage:
            log.warning("workflow %s: damaged %s in the database", row.id, ", ".join(damage))
        data = json_from_db(row.spec, {})
        data.update(name=row.name, kind=row.kind)
        return WorkflowSpec(**data, id=row.id, revision=row.revision,
                            created_at=created_at, updated_at=updated_at)


def _spec_json(spec: WorkflowSpec) -> str:
    """The stored form: the portable fields (name and kind included)."""
    return json_to_db(spec.portable())
