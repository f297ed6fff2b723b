"""The Store: one open database and its repositories (synchronous).

Used directly by the CLI. The GUI uses it through ``AsyncStore``, which runs
every call on one serial worker thread.
"""

from pathlib import Path
from typing import Literal, Union

from app.domain import live_files
from app.store.agents import AgentRepository
from app.store.conversations import ConversationRepository
from app.store.database import (
    DATABASE_FILENAME,
    check_database_file,
    describe_database_error,
    integrity_ok,
    is_writable,
    open_database,
)
from app.store.errors import ReadOnlyDataError
from app.store.imports import ImportRepository
from app.store.knowledge import KnowledgeRepository
from app.store.messages import MessageRepository
from app.store.migrations import LATEST_VERSION, migrate, schema_version
from app.store.notices import EXTERNAL, Listener, NoticeHub
from app.store.providers import ProviderRepository
from app.store.search import SearchIndex
from app.store.tables import bind_tables
from app.store.tool_records import (
    CustomToolRepository,
    McpServerRepository,
    MemoryRepository,
)
from app.store.upgrade_backup import backup_before_upgrade, restore_after_failed_upgrade
from app.store.usage import UsageRepository
from app.store.workflows import WorkflowRepository
from app.store.writer_lease import WriterLease


#: When opening marks ``streaming`` replies ``partial`` (see ``Store.__init__``).
Recover = Union[bool, Literal["if_alone", "unless_shared"]]


class Store:
    def __init__(self, path: Path | str, *, recover: Recover = True,
                 allow_read_only: bool = False) -> None:
        """Open the database at ``path``, upgrade its schema, and (by default)
        mark replies interrupted by a crash as partial. ``recover="if_alone"``
        (the CLI): only when no other store has the database open, so none of
        those replies can be live (app/store/writer_lease.py).
        ``recover="unless_shared"`` (the window): the same, but also where
        there is no lease (no flock), where nothing can tell a live reply
        from an orphan and the window keeps its old duty of recovering.

        Data that cannot be used as it is raises a DataAccessError whose
        message says what to do (app/store/database.py): a 0-byte or damaged
        file, no permission. Read-only data raises ReadOnlyDataError unless
        ``allow_read_only``: then it opens read-only (``self.read_only``) and
        every write fails as ReadOnlyDataError (via describe_database_error).
        """
        self.path = Path(path)
        self.read_only = False
        if str(path) != ":memory:":
            check_database_file(self.path)
            if not is_writable(self.path):
                if not allow_read_only or not self.path.exists():
                    raise ReadOnlyDataError.at(
                        self.path, "AgentDesk needs to write there" if self.path.exists()
                        else "has no database yet, so none can be created")
                self.read_only = True
        try:
            self.db = open_database(path, read_only=self.read_only)
        except Exception as exc:  # SQLite's refusal, said with what to do
            problem = describe_database_error(exc, self.path, opening=True)
            if problem is None or problem is exc:
                raise
            raise problem from exc
        # Known as live while open: nothing else in this process may open() it.
        self._live = str(path) != ":memory:"
        if self._live:
            live_files.register(self.path)
        try:
            self._upgrade()
        except Exception as exc:
            self.close()
            problem = describe_database_error(exc, self.path, opening=True)
            if problem is None or problem is exc:
                raise
            raise problem from exc
        # Notices wait for the commit of the transaction that raised them.
        self.hub = NoticeHub(after_commit=self.db.after_commit)
        tables = bind_tables(self.db)
        self.agents = AgentRepository(self.db, tables, self.hub)
        self.providers = ProviderRepository(self.db, tables, self.hub)
        self.conversations = ConversationRepository(self.db, tables, self.hub)
        self.messages = MessageRepository(self.db, tables, self.hub)
        self.search = SearchIndex(self.db)
        self.memories = MemoryRepository(self.db, tables, self.hub)
        self.custom_tools = CustomToolRepository(self.db, tables, self.hub)
        self.mcp_servers = McpServerRepository(self.db, tables, self.hub)
        self.imports = ImportRepository(self.db, tables, self.hub)
        self.usage = UsageRepository(self.db, self.hub)
        self.knowledge = KnowledgeRepository(self.db, self.hub)
        self.workflows = WorkflowRepository(self.db, tables, self.hub)
        self.recovered_message_ids: list[int] = []
        self._lease: WriterLease | None = None
        if self._live and not self.read_only:
            self._lease = WriterLease.take(
                self.path, want_alone=recover in ("if_alone", "unless_shared"))
        if self._should_recover(recover) and not self.read_only:
            self.recovered_message_ids = self.messages.recover_interrupted()
        if self._lease is not None:
            self._lease.share()
        self._data_version = self._read_data_version()

    def _should_recover(self, recover: Recover) -> bool:
        if recover is True:
            return True
        if recover == "unless_shared" and self._lease is None:
            return True
        return recover in ("if_alone", "unless_shared") and \
            self._lease is not None and self._lease.alone

    def _upgrade(self) -> None:
        """Migrate to the latest schema; a database that had data is copied first
        and, when a step fails, put back from that copy (app/store/upgrade_backup.py)."""
        version = schema_version(self.db)
        if version >= LATEST_VERSION:
            migrate(self.db)            # too new: migrate says so
            return
        if self.read_only:
            raise ReadOnlyDataError.at(self.path, "its database needs a schema upgrade first")
        if version == 0 or not self._live:
            migrate(self.db)            # a new database: nothing to lose
            return
        backup = backup_before_upgrade(self.db.connection(), self.path, version)
        try:
            migrate(self.db)
        except Exception as exc:  # noqa: BLE001 — any failure: put the copy back, say so
            self.close()
            raise restore_after_failed_upgrade(self.path, backup, version, LATEST_VERSION,
                                               exc) from exc

    @classmethod
    def in_folder(cls, folder: Path | str, **kwargs) -> "Store":
        return cls(Path(folder) / DATABASE_FILENAME, **kwargs)

    def subscribe(self, listener: Listener):
        """Call ``listener`` with a ChangeNotice after every committed write
        (a write inside a transaction: once the outermost transaction commits)."""
        return self.hub.subscribe(listener)

    def check_external_changes(self) -> bool:
        """Whether another connection (the CLI, a second process) committed since
        the last check; if so, every listener gets an ``external`` notice.

        ``PRAGMA data_version`` changes only for commits made by *other*
        connections, so this store's own writes never count; reading it costs
        microseconds. Call it from the thread that owns the store.
        """
        version = self._read_data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        self.hub.emit(EXTERNAL, "update", ())
        return True

    def _read_data_version(self) -> int:
        return int(self.db.execute_sql("PRAGMA data_version").fetchone()[0])

    def integrity_ok(self) -> bool:
        return integrity_ok(self.db)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()
        lease = getattr(self, "_lease", None)
        if lease is not None:
            lease.release()
        if self._live:
            self._live = False
            live_files.unregister(self.path)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
