"""Store at scale: list, page and search timings on a million-message database.

Usage (from the repository root)::

    .venv/bin/python bench/store_scale.py                 # build in a temp dir, measure, delete
    .venv/bin/python bench/store_scale.py --db /tmp/big.db  # build once and keep ...
    .venv/bin/python bench/store_scale.py --db /tmp/big.db  # ... later runs reuse it
    .venv/bin/python bench/store_scale.py --messages 100000 --conversations 1000 --explain

The timed calls are the app's own code paths on a ``Store`` opened the way the
app opens it: ``conversations.list(limit=50)``, ``messages.page(id, limit=100)``
and ``search.search(term, limit=20)``. Only the LIKE baselines are hand-written
SQL, since the app has no such query. See docs/PERFORMANCE.md for results.
Search beside writes, and the old ranked query against the new strategy
(newest first above 10,000 matches), is measured by bench/search_scale.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.store import Store  # noqa: E402
from app.store.search import to_fts_query  # noqa: E402

from bench.corpus import COMMON_TERM, SEARCH_TERM, percentile  # noqa: E402
from bench.scale_data import build  # noqa: E402

GOAL_LIST_MS = 20.0
GOAL_PAGE_MS = 20.0
GOAL_SEARCH_MS = 50.0
GOAL_SEARCH_RATIO = 50.0
WARMUP = 3

_LIKE_TOP = """
    SELECT m.id, m.conversation_id, c.title, c.agent_id, m.role, m.content, m.created_at
    FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.content LIKE ? LIMIT 20"""
_LIKE_COUNT = "SELECT count(*) FROM messages WHERE content LIKE ?"


@dataclass
class Timing:
    name: str
    first_ms: float
    median_ms: float
    p95_ms: float
    result: object


def measure(name: str, call: Callable[[], object], repeat: int,
            warmup: int = WARMUP) -> Timing:
    """First call alone, then ``warmup`` untimed calls, then ``repeat`` timed ones."""
    start = time.perf_counter()
    result = call()
    first = (time.perf_counter() - start) * 1000
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(name, first, statistics.median(samples), percentile(samples, 95), result)


def _open_or_build(args: argparse.Namespace, path: Path) -> tuple[Store, int, float | None]:
    """Open the database (building it if empty); returns store, big id, build s."""
    start = time.perf_counter()
    store = Store(path)
    open_ms = (time.perf_counter() - start) * 1000
    build_seconds = None
    has_messages, has_agents = store.db.execute_sql(
        "SELECT EXISTS (SELECT 1 FROM messages), EXISTS (SELECT 1 FROM agents)").fetchone()
    if has_agents and not has_messages:
        store.close()
        raise SystemExit(f"{path} has agents but no messages: not a benchmark database")
    if not has_messages:
        big = min(args.big, args.messages // 2)
        print(f"building {path}: {args.conversations:,} conversations, "
              f"{args.messages:,} messages (one with {big:,}) ...", flush=True)
        result = build(store, conversations=args.conversations, messages=args.messages,
                       big=big, seed=args.seed)
        build_seconds = result.seconds
        store.close()
        start = time.perf_counter()
        store = Store(path)  # reopen: timings use the app's own connection settings
        print(f"reopened in {(time.perf_counter() - start) * 1000:.0f} ms")
    else:
        print(f"reusing {path} (opened and migrated in {open_ms:.0f} ms; "
              "size options are ignored)")
    big_id, = store.db.execute_sql(
        "SELECT conversation_id FROM messages GROUP BY conversation_id "
        "ORDER BY count(*) DESC LIMIT 1").fetchone()
    return store, big_id, build_seconds


def _explain(store: Store, calls: dict[str, Callable[[], object]]) -> None:
    """Print EXPLAIN QUERY PLAN for every statement each app call executes."""
    connection: sqlite3.Connection = store.db.connection()
    for name, call in calls.items():
        statements: list[str] = []
        connection.set_trace_callback(statements.append)
        try:
            call()
        finally:
            connection.set_trace_callback(None)
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n-- {name}: {' '.join(sql.split())[:300]}")
            for row in connection.execute("EXPLAIN QUERY PLAN " + sql):
                print(f"   {row[0]:>3} {row[1]:>3}  {row[3]}")


def _row(timing: Timing, goal: float | None = None, note: str = "") -> str:
    met = "" if goal is None else ("  ok" if timing.median_ms <= goal else "  MISSED")
    return (f"{timing.name:<40}{timing.median_ms:>10.2f}{timing.p95_ms:>10.2f}"
            f"{timing.first_ms:>10.2f}  {note}{met}")


def run(args: argparse.Namespace, path: Path) -> int:
    store, big_id, build_seconds = _open_or_build(args, path)
    db = store.db
    totals = db.execute_sql(
        "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages),"
        " (SELECT count(*) FROM messages WHERE conversation_id = ?)", (big_id,)).fetchone()
    size_mb = path.stat().st_size / 1e6
    print(f"\nSQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
          f"{platform.machine()}, {_cores()} cores; database {size_mb:,.0f} MB")
    print(f"{totals[0]:,} conversations, {totals[1]:,} messages; big conversation "
          f"#{big_id} has {totals[2]:,}")
    if build_seconds is not None:
        print(f"build time: {build_seconds:.1f} s")
    print("load average before timing: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    calls = {
        "conversations.list(limit=50)": lambda: store.conversations.list(limit=50),
        "messages.page(big, limit=100)": lambda: store.messages.page(big_id, limit=100),
        f"search.search({args.term!r})": lambda: store.search.search(args.term, limit=20),
        f"search.search({args.common_term!r})":
            lambda: store.search.search(args.common_term, limit=20),
    }
    if args.explain:
        _explain(store, calls)
        print()

    repeat = args.repeat
    listing = measure("conversations.list(limit=50)", calls["conversations.list(limit=50)"],
                      repeat)
    page = measure("messages.page(big, limit=100)", calls["messages.page(big, limit=100)"],
                   repeat)
    assert len(listing.result) == min(50, totals[0])
    assert len(page.result) == min(100, totals[2])

    print(f"\n{'operation':<40}{'median':>10}{'p95':>10}{'first':>10}  (ms, "
          f"{repeat} runs after {WARMUP} warm-up)")
    print(_row(listing, GOAL_LIST_MS, f"goal <= {GOAL_LIST_MS:.0f} ms"))
    print(_row(page, GOAL_PAGE_MS, f"goal <= {GOAL_PAGE_MS:.0f} ms"))

    verdicts = [listing.median_ms <= GOAL_LIST_MS, page.median_ms <= GOAL_PAGE_MS]
    for term, is_goal in ((args.term, True), (args.common_term, False)):
        verdicts += _search_block(store, term, is_goal, repeat, totals[1])
    _frequency_block(store, totals[1])
    if args.typing:
        _typing_block(store, args.term, totals[1])
    store.close()
    print("load average after timing: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) of this process: {peak_mb:,.0f} MB")
    if (totals[0], totals[1]) != (10_000, 1_000_000):
        print("\nnote: the goals are set for 10,000 conversations and 1,000,000 "
              "messages; at other sizes the verdicts are only indicative")
    print("\nall goals met" if all(verdicts) else "\nSOME GOALS MISSED")
    return 0 if all(verdicts) else 1


def _search_block(store: Store, term: str, is_goal: bool, repeat: int,
                  total: int) -> list[bool]:
    db = store.db
    matches, = db.execute_sql("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                              (to_fts_query(term),)).fetchone()
    pattern = f"%{term}%"
    fts = measure(f"search.search({term!r}, limit=20)",
                  lambda: store.search.search(term, limit=20), repeat)
    top = measure("  LIKE scan, first 20 rows",
                  lambda: db.execute_sql(_LIKE_TOP, (pattern,)).fetchall(), repeat)
    full = measure("  LIKE scan, count all matches",
                   lambda: db.execute_sql(_LIKE_COUNT, (pattern,)).fetchone()[0], repeat)
    assert len(fts.result) == 20, f"only {len(fts.result)} hits for {term!r}"
    label = "search term" if is_goal else "common term (not a goal, for honesty)"
    print(f"\n{label} {term!r}: FTS matches {matches:,} messages "
          f"({matches / total:.2%}); LIKE '%{term}%' matches {full.result:,}")
    goal_note = f"goal <= {GOAL_SEARCH_MS:.0f} ms" if is_goal else ""
    print(_row(fts, GOAL_SEARCH_MS if is_goal else None, goal_note))
    ratio_top = top.median_ms / fts.median_ms
    ratio_full = full.median_ms / fts.median_ms
    print(_row(top, note=_ratio(ratio_top)))
    ratio_note = _ratio(ratio_full)
    if is_goal:
        ratio_note += f" (goal >= {GOAL_SEARCH_RATIO:.0f}x)"
        ratio_note += "  ok" if ratio_full >= GOAL_SEARCH_RATIO else "  MISSED"
    print(_row(full, note=ratio_note))
    if not is_goal:
        return []
    return [fts.median_ms <= GOAL_SEARCH_MS, ratio_full >= GOAL_SEARCH_RATIO]


def _frequency_block(store: Store, total: int) -> None:
    """Search time against how many messages a word is in (words picked from the
    index by document frequency: bm25 scores every match before the LIMIT, up to
    the 10,000 matches above which the app answers newest first)."""
    db = store.db
    db.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab "
                   "USING fts5vocab('main', 'messages_fts', 'row')")
    print("\nsearch time by how many messages match (not a goal; 10 runs)")
    for share in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05):
        row = db.execute_sql(
            "SELECT term, doc FROM temp.bench_vocab WHERE term GLOB '[a-z][a-z][a-z]*'"
            " AND doc BETWEEN ? AND ? ORDER BY abs(doc - ?) LIMIT 1",
            (share * total * 0.8, share * total * 1.2, share * total)).fetchone()
        if row is None:
            continue
        term = row[0]
        docs, = db.execute_sql("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                               (to_fts_query(term),)).fetchone()
        timing = measure(f"search.search({term!r}, limit=20)",
                         lambda: store.search.search(term, limit=20), 10, warmup=2)
        print(_row(timing, note=f"{docs:,} matches ({docs / total:.1%})"))
    db.execute_sql("DROP TABLE temp.bench_vocab")


def _typing_block(store: Store, term: str, total: int) -> None:
    """Search-as-you-type: the first letters of a word are prefix queries that
    match most messages, and FTS5 ranks every match before the LIMIT applies."""
    print(f"\nsearch while typing {term!r} (not a goal; 3 runs, no warm-up)")
    for length in (1, 2, 3):
        prefix = term[:length]
        matches, = store.db.execute_sql(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
            (to_fts_query(prefix),)).fetchone()
        timing = measure(f"search.search({prefix!r}, limit=20)",
                         lambda: store.search.search(prefix, limit=20), 3, warmup=0)
        print(_row(timing, note=f"{matches:,} matches ({matches / total:.0%})"))


def _ratio(ratio: float) -> str:
    """How FTS compares with a baseline whose median is ``ratio`` times FTS's."""
    if ratio >= 1:
        return f"FTS {ratio:,.1f}x faster"
    return f"FTS {1 / ratio:,.1f}x slower"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000,
                        help="messages in the one long conversation (default 50,000)")
    parser.add_argument("--db", type=Path,
                        help="database file; built there if missing, reused if present")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--term", default=SEARCH_TERM,
                        help=f"search term held to the goals (default {SEARCH_TERM!r}, "
                        "placed by the generator in ~0.4%% of messages)")
    parser.add_argument("--common-term", default=COMMON_TERM,
                        help=f"frequent term measured for comparison (default {COMMON_TERM!r})")
    parser.add_argument("--no-typing", dest="typing", action="store_false",
                        help="skip timing 1-3 letter prefixes (slow: seconds each)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN QUERY PLAN of the app's statements")
    return run_on_database(run, parser.parse_args(argv))


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    """The database options every benchmark on this data shares."""
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path,
                        help="database file; built there if missing, reused if present")


def run_on_database(run: Callable[[argparse.Namespace, Path], int],
                    args: argparse.Namespace) -> int:
    """``run(args, path)`` on ``--db``, or on a database built in a temporary folder."""
    if args.db is not None:
        return run(args, args.db)
    with tempfile.TemporaryDirectory(prefix="agentdesk-bench-") as folder:
        return run(args, Path(folder) / "agentdesk.db")


if __name__ == "__main__":
    sys.exit(main())
