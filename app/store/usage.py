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
#: What a key column reads as when the rows are summed over it.
_TOKEN_SUMS = frozenset({"replies", "prompt_tokens", "completion_tokens"})
_SUMMED_KEY = {"day": "''", "agent_id": "0", "provider": "''", "model": "''"}


class UsageRepository:
    def __init__(self, db: SqliteDatabase, hub: NoticeHub) -> None:
        self._db, self._hub = db, hub

    def rows(self, flt: UsageFilter | None = None) -> list[UsageRow]:
        """The rollup rows inside ``flt`` (days as ``YYYY-MM-DD``, UTC)."""
        sql, params = self._where(_SELECT, flt or UsageFilter())
        return [_row(values) for values in self._db.execute_sql(sql + " ORDER BY day", params)]

    def grouped(self, flt: UsageFilter | None, by: tuple[str, ...], *,
                tokens_only: bool = False) -> list[UsageRow]:
        """The rows inside ``flt`` summed per ``by`` (key columns); the other
        keys read '' (0 for the agent). SQLite sums: the window's figures cost
        a few groups of Python, not one object per rollup row. ``tokens_only``:
        only replies and tokens are summed (the rest read 0), which is cheaper."""
        keys = [key if key in by else f"{_SUMMED_KEY[key]} AS {key}" for key in KEY_COLUMNS]
        if not set(by) <= set(KEY_COLUMNS):
            raise ValueError(f"unknown usage key in {by}")
        summed = _TOKEN_SUMS if tokens_only else SUM_COLUMNS
        sums = [f"sum({c})" if c in summed else "0" for c in SUM_COLUMNS]
        select = (f"SELECT {', '.join(keys)}, {', '.join(sums)}"
                  " FROM usage_rollup WHERE (replies != 0 OR tool_calls != 0)")
        sql, params = self._where(select, flt or UsageFilter())
        if by:
            sql += f" GROUP BY {', '.join(by)} ORDER BY {', '.join(by)}"
        else:
            sql += " HAVING count(*) > 0"
        return [_row(values) for values in self._db.execute_sql(sql, params)]

    @staticmethod
    def _where(sql: str, flt: UsageFilter) -> tuple[str, list]:
        params: list = []
        if flt.start is not None:
            sql += " AND day >= ?"
            params.append(flt.start.isoformat())
        if flt.end is not None:
            sql += " AND day <= ?"
            params.append(flt.end.isoformat())
        if flt.agent_ids:
            sql += f" AND agent_id IN ({', '.join('?' * len(flt.agent_ids))})"
            params.extend(flt.agent_ids)
        return sql, params

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
