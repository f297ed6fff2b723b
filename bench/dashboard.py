"""Dashboard at scale: the usage dashboard's figures on the million-message
database of bench/store_scale.py, against one ``conversations.list`` there.

Usage (from the repository root)::

    .venv/bin/python bench/dashboard.py --db /tmp/big.db   # build once (store_scale's data), reuse
    .venv/bin/python bench/dashboard.py --messages 100000 --conversations 1000

Measured in one run, on the same file:
- ``conversations.list(limit=50)``: the baseline (median of ``--repeat``);
- ``ops.usage.dashboard``: every figure of the dashboard, all dates and all
  agents (the window's first load), a 30-day range, and one agent — cold (a
  store opened just before) and warm medians;
- the dashboard window opened offscreen in a real QApplication on a qasync loop
  with the app's AsyncStore and StoreBridge: from constructing the window to
  its first figures shown (``sig_loaded``) and painted; the goal is <= 500 ms;
- what the rollup saves: the same figures computed straight from the
  messages' usage JSON (the rollup's own full recount, ``BACKFILL``'s SELECT);
- the cost of the rollup: the v12 migration's backfill on this database
  (rolled back: the file is left as it was), and bulk inserts of assistant
  messages with usage with and without the rollup's triggers.
Results: docs/PERFORMANCE.md ("Dashboard").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``app`` and ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.domain.usage import UsageFilter  # noqa: E402
from app.ops import usage  # noqa: E402
from app.store import Store  # noqa: E402
from app.store import usage_rollup_sql as rollup_sql  # noqa: E402

from bench.store_scale import (  # noqa: E402
    _open_or_build,
    add_scale_arguments,
    measure,
    run_on_database,
)

GOAL_OPEN_MS = 500.0
_TRIGGERS = ("usage_rollup_insert", "usage_rollup_update", "usage_rollup_delete")


def _row(name: str, median: float, p95: float | None = None, first: float | None = None,
         note: str = "") -> str:
    cells = f"{median:>10.1f}" + (f"{p95:>10.1f}" if p95 is not None else " " * 10)
    cells += f"{first:>10.1f}" if first is not None else " " * 10
    return f"{name:<46}{cells}  {note}"


def _direct_ms(store: Store) -> tuple[float, int]:
    """The figures' sums computed from the messages' JSON (no rollup): one
    full recount, as every open would need without the rollup."""
    select = rollup_sql.BACKFILL.split(") ", 1)[1].split(" ON CONFLICT")[0]
    start = time.perf_counter()
    rows = store.db.execute_sql(select).fetchall()
    return (time.perf_counter() - start) * 1000, len(rows)


def _backfill_ms(store: Store) -> float:
    """The v12 step's backfill on this database, inside a transaction rolled back."""
    db = store.db
    with db.atomic() as transaction:
        db.execute_sql("DELETE FROM usage_rollup")
        start = time.perf_counter()
        db.execute_sql(rollup_sql.BACKFILL)
        elapsed = (time.perf_counter() - start) * 1000
        transaction.rollback()
    return elapsed


def _insert_cost(folder: Path, count: int) -> tuple[float, float]:
    """Seconds for ``count`` assistant messages with usage, with and without the
    rollup's triggers, on a fresh database each."""
    results = []
    for keep in (True, False):
        with Store(folder / f"insert-{keep}.db") as store:
            agent = store.db.execute_sql(
                "INSERT INTO agents (name, created_at, updated_at) VALUES ('a', '2025', '2025')"
            ).lastrowid
            store.db.execute_sql("INSERT INTO conversations (agent_id, created_at, updated_at)"
                                 " VALUES (?, '2025', '2025')", (agent,))
            if not keep:
                for name in _TRIGGERS:
                    store.db.execute_sql(f"DROP TRIGGER {name}")
            rows = [(f"answer {i}", '{"prompt_tokens": 812, "completion_tokens": 95, '
                     '"ttft_ms": 231.5, "tokens_per_s": 41.2}',
                     f"2025-0{1 + i % 9}-1{i % 10}T00:00:00.000000Z") for i in range(count)]
            start = time.perf_counter()
            with store.db.atomic():
                store.db.connection().executemany(
                    "INSERT INTO messages (conversation_id, role, content, status, provider,"
                    " model, usage, created_at, updated_at) VALUES (1, 'assistant', ?,"
                    " 'complete', 'p', 'm', ?, ?, ?)", [(c, u, t, t) for c, u, t in rows])
            results.append(time.perf_counter() - start)
    return results[0], results[1]


def _window_open_ms(path: Path, repeat: int) -> list[float]:
    """Construct the dashboard window, wait for its figures, paint: ms each time."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.ui.qt_import import import_pyside

    import_pyside()
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.services.store_bridge import StoreBridge
    from app.store.async_store import AsyncStore
    from app.ui.dashboard.window import DashboardWindow

    qapp = QApplication.instance() or QApplication([])
    qapp.setQuitOnLastWindowClosed(False)  # closing the dashboard must not end the loop
    samples: list[float] = []

    async def main() -> None:
        store = await AsyncStore.open(path, recover=False)
        bridge = StoreBridge(store)
        try:
            for _ in range(repeat):
                loaded = asyncio.get_running_loop().create_future()
                start = time.perf_counter()
                window = DashboardWindow(bridge)
                window.sig_loaded.connect(
                    lambda report, f=loaded: f.done() or f.set_result(report))
                window.show()
                await loaded
                window.grab()  # the figures painted
                samples.append((time.perf_counter() - start) * 1000)
                window.close()
                window.deleteLater()
                await asyncio.sleep(0.05)
        finally:
            await bridge.shutdown()
            await store.close()

    qasync.run(main())
    del qapp
    return samples


def run(args: argparse.Namespace, path: Path) -> int:
    store, _big, _build = _open_or_build(args, path)
    store.close()
    # a freshly opened store: the first call pays what a window's first open pays
    store = Store(path, recover=False)
    total, counted = store.db.execute_sql(
        "SELECT count(*), (SELECT count(*) FROM messages WHERE role = 'assistant'"
        " AND usage IS NOT NULL) FROM messages").fetchone()
    rollup_rows, = store.db.execute_sql("SELECT count(*) FROM usage_rollup").fetchone()
    print(f"\n{total:,} messages ({counted:,} replies with usage); usage_rollup "
          f"{rollup_rows:,} rows; {os.cpu_count()} cores; load "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'':<46}{'median':>10}{'p95':>10}{'first':>10}   (ms)")
    first_dashboard = measure("dashboard", lambda: usage.dashboard(store), args.repeat)
    listing = measure("list", lambda: store.conversations.list(limit=50), args.repeat)
    last_day = max(day for day, _ in first_dashboard.result.by_day)
    from datetime import date
    end = date.fromisoformat(last_day)
    month = UsageFilter(start=end - timedelta(days=29), end=end)
    agent_id = first_dashboard.result.agents[0][0]
    ranged = measure("range", partial(usage.dashboard, store, month), args.repeat)
    one = measure("agent", partial(usage.dashboard, store, UsageFilter(agent_ids=(agent_id,))),
                  args.repeat)
    print(_row("conversations.list(limit=50)", listing.median_ms, listing.p95_ms,
               listing.first_ms, "baseline"))
    for name, timing in (("usage.dashboard(all dates, all agents)", first_dashboard),
                         ("usage.dashboard(30 days)", ranged),
                         ("usage.dashboard(one agent)", one)):
        print(_row(name, timing.median_ms, timing.p95_ms, timing.first_ms,
                   f"{timing.median_ms / listing.median_ms:,.1f}x the list"))
    direct, groups = _direct_ms(store)
    print(_row("figures from the usage JSON (no rollup)", direct, note=f"one run, {groups:,} "
               f"groups; {direct / first_dashboard.median_ms:,.0f}x the rollup"))
    backfill = _backfill_ms(store)
    print(_row("v12 migration backfill (rolled back)", backfill, note="once, on upgrade"))
    store.close()

    samples = _window_open_ms(path, args.window_repeat)
    median = statistics.median(samples)
    met = "ok" if samples[0] <= GOAL_OPEN_MS and median <= GOAL_OPEN_MS else "MISSED"
    print(_row("dashboard window open -> figures painted", median, max(samples), samples[0],
               f"{median / listing.median_ms:,.1f}x the list; goal <= {GOAL_OPEN_MS:.0f} ms "
               f"{met}"))
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as folder:
        with_triggers, without = _insert_cost(Path(folder), args.inserts)
    print(f"\ninsert {args.inserts:,} replies with usage: {with_triggers:.2f} s with the "
          f"rollup's triggers, {without:.2f} s without "
          f"({(with_triggers - without) / args.inserts * 1e6:,.0f} µs per message, "
          f"{with_triggers / without:.2f}x)")
    print("\nGOAL MET" if met == "ok" else "\nGOAL MISSED")
    return 0 if met == "ok" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_scale_arguments(parser)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--window-repeat", type=int, default=5)
    parser.add_argument("--inserts", type=int, default=50_000)
    return run_on_database(run, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
