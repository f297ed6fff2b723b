"""Usage figures and the price table (the dashboard's queries).

Reads ``usage_rollup``, which triggers keep true on every message write
(app/store/usage_rollup_sql.py), so a read costs the rollup's rows — one per
UTC day, agent, provider and model — never a scan of the messages.
"""

from __future__ import annotations

from peewee import SqliteDatabase

from app.domain.usage import ModelPrice, UsageFilter, UsageRow
from app.store.notices import NoticeHub
from app.store.usage_rollup_sql import BUCKETS, KEY_COLUMNS, SUM_COLUMNS

_SELECT = (f"SELECT {', '.join(KEY_COLUMNS + SUM_COLUMNS)} FROM usage_rollup"
           " WHERE (replies != 0 OR tool_calls != 0)")
_FIXED = 4 + 9  # key columns + the plain sums before the histogram buckets


class UsageRepository:
    def __init__(self, db: SqliteDatabase, hub: NoticeHub) -> None:
        self._db, self._hub = db, hub

    def rows(self, flt: UsageFilter | None = None) -> list[UsageRow]:
        """The rollup rows inside ``flt`` (days as ``YYYY-MM-DD``, UTC)."""
        flt = flt or UsageFilter()
        sql, params = _SELECT, []
        if flt.start is not None:
            sql += " AND day >= ?"
            params.append(flt.start.isoformat())
        if flt.end is not None:
            sql += " AND day <= ?"
            params.append(flt.end.isoformat())
        if flt.agent_ids:
            sql += f" AND agent_id IN ({', '.join('?' * len(flt.agent_ids))})"
            params.extend(flt.agent_ids)
        return [_row(values) for values in self._db.execute_sql(sql + " ORDER BY day", params)]

    def prices(self) -> list[ModelPrice] | None:
        """The person's price table, or None while they never saved one."""
        cursor = self._db.execute_sql(
            "SELECT model, input_per_mtok, output_per_mtok, is_reference FROM usage_prices"
            " ORDER BY model COLLATE NOCASE")
        rows = [ModelPrice(model=m, input_per_mtok=i, output_per_mtok=o, is_reference=bool(r))
                for m, i, o, r in cursor]
        return rows or None

    def save_prices(self, prices: list[ModelPrice] | None) -> None:
        """Replace the price table (None or empty: back to the built-in estimates)."""
        with self._db.atomic():
            self._db.execute_sql("DELETE FROM usage_prices")
            for price in prices or []:
                self._db.execute_sql(
                    "INSERT INTO usage_prices (model, input_per_mtok, output_per_mtok,"
                    " is_reference) VALUES (?, ?, ?, ?) ON CONFLICT (model) DO UPDATE SET"
                    " input_per_mtok = excluded.input_per_mtok,"
                    " output_per_mtok = excluded.output_per_mtok,"
                    " is_reference = excluded.is_reference",
                    (price.model.strip(), price.input_per_mtok, price.output_per_mtok,
                     int(price.is_reference)))
            self._hub.emit("usage_prices", "update", ())


def _row(values: tuple) -> UsageRow:
    fixed = values[:_FIXED]
    ttft = tuple(int(v) for v in values[_FIXED:_FIXED + BUCKETS])
    tps = tuple(int(v) for v in values[_FIXED + BUCKETS:_FIXED + 2 * BUCKETS])
    return UsageRow(*fixed, ttft_hist=ttft, tps_hist=tps)
