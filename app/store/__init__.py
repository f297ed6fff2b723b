"""Storage: peewee over one SQLite file. Never imports Qt, core or providers."""

from app.store.async_store import AsyncStore
from app.store.database import DATABASE_FILENAME
from app.store.errors import DamagedValueError, DuplicateNameError, NotFoundError, StoreError
from app.store.notices import EXTERNAL, ChangeNotice
from app.store.store import Store

__all__ = ["AsyncStore", "ChangeNotice", "DATABASE_FILENAME", "DamagedValueError",
           "DuplicateNameError", "EXTERNAL", "NotFoundError", "Store", "StoreError"]
