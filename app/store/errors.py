"""Errors the store raises, worded for the person who will read them."""

from pathlib import Path

_MAKE_WRITABLE = ("make it writable for your user (e.g. chmod -R u+w), or copy the "
                  "folder elsewhere and use --home / AGENTDESK_HOME")


class StoreError(Exception):
    """Base class: anything the store refuses to do."""


class NotFoundError(StoreError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {key!r}")
        self.what = what
        self.key = key


class DuplicateNameError(StoreError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"an {what} named {name!r} already exists" if what[0] in "aeiou"
                         else f"a {what} named {name!r} already exists")
        self.what = what
        self.name = name


class DataAccessError(StoreError):
    """The data folder or the database file cannot be used as it is (missing
    permission, damaged, empty); the message is one line saying what to do."""


class DatabaseDamagedError(DataAccessError):
    """The database file is not a usable SQLite database (a corrupt page, not
    a database at all, or 0 bytes where a database should be)."""


class ReadOnlyDataError(DataAccessError):
    """The data cannot be written: a read-only folder or database file, and
    something needs to write (a change, a schema upgrade, or the window)."""

    @classmethod
    def at(cls, database: Path | str,
           doing: str = "this command changes data") -> "ReadOnlyDataError":
        """The error for ``doing`` something that writes to ``database``."""
        return cls(f"the data in {Path(database).parent} is read-only and {doing}: "
                   f"{_MAKE_WRITABLE}")


class DamagedValueError(StoreError):
    """A stored value cannot be read (a time that is no time, JSON that does not
    parse). Repositories mark such rows damaged rather than fail a whole list."""

    def __init__(self, what: str, value: object) -> None:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "…"
        super().__init__(f"damaged {what} in the database: {shown}")
        self.what = what
        self.value = value
