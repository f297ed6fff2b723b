"""Provider configuration repository."""

from __future__ import annotations

from peewee import IntegrityError, SqliteDatabase

from app.domain import ProviderConfig
from app.store.errors import DuplicateNameError, NotFoundError
from app.store.notices import NoticeHub
from app.store.tables import Tables

_FIELDS = {"name", "kind", "base_url", "api_key_ref", "model_path", "enabled", "is_local"}


class ProviderRepository:
    def __init__(self, db: SqliteDatabase, tables: Tables, hub: NoticeHub) -> None:
        self._db = db
        self._t = tables
        self._hub = hub

    def list(self) -> list[ProviderConfig]:
        table = self._t.provider
        return [self._to_config(row) for row in table.select().order_by(table.id)]

    def get(self, provider_id: int) -> ProviderConfig:
        row = self._t.provider.get_or_none(self._t.provider.id == provider_id)
        if row is None:
            raise NotFoundError("provider", provider_id)
        return self._to_config(row)

    def find_by_name(self, name: str) -> ProviderConfig | None:
        table = self._t.provider
        row = table.get_or_none(table.name.collate("NOCASE") == name.strip())
        return None if row is None else self._to_config(row)

    def get_by_name(self, name: str) -> ProviderConfig:
        config = self.find_by_name(name)
        if config is None:
            raise NotFoundError("provider", name)
        return config

    def create(self, config: ProviderConfig) -> ProviderConfig:
        try:
            row = self._t.provider.create(**config.model_dump(include=_FIELDS))
        except IntegrityError as exc:
            raise DuplicateNameError("provider", config.name) from exc
        self._hub.emit("provider", "insert", [row.id])
        return self.get(row.id)

    def update(self, config: ProviderConfig) -> ProviderConfig:
        table = self._t.provider
        try:
            changed = (table.update(**config.model_dump(include=_FIELDS))
                       .where(table.id == config.id).execute())
        except IntegrityError as exc:
            raise DuplicateNameError("provider", config.name) from exc
        if not changed:
            raise NotFoundError("provider", config.id)
        self._hub.emit("provider", "update", [config.id])
        return self.get(config.id)

    def delete(self, provider_id: int) -> None:
        table = self._t.provider
        if not table.delete().where(table.id == provider_id).execute():
            raise NotFoundError("provider", provider_id)
        self._hub.emit("provider", "delete", [provider_id])

    @staticmethod
    def _to_config(row) -> ProviderConfig:
        return ProviderConfig(
            id=row.id, name=row.name, kind=row.kind, base_url=row.base_url,
            api_key_ref=row.api_key_ref, model_path=row.model_path,
            enabled=bool(row.enabled), is_local=bool(row.is_local),
        )
