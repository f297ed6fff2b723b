"""What a soak run measures in its own process (Linux /proc): resident memory,
open file descriptors, sockets among them, live asyncio tasks, Qt widgets.

A ``Probe`` is read once after the warm-up (the baseline) and once at the end;
``growth`` is the difference. ``gc.collect()`` runs first, so garbage that is
merely not collected yet does not count as growth; what stays is referenced.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from tests.support.reliability_summary import record

#: Issue 21's bound on resident memory growth over a soak.
RSS_BOUND_MB = 20.0


#: A new chat every this many turns, as a person starts new chats: the prompts
#: stay short, so a turn's cost does not grow through the run.
TURNS_PER_CHAT = 20
#: Replies of a few tokens: the soak counts turns, not tokens.
MAX_TOKENS = 4
#: Turns run before the baseline is read (one whole chat): caches, lazy
#: imports, Qt's and SQLite's first allocations, the first connections. The
#: baseline and the end are read at the same point of a chat (before its first
#: turn), so the shown chat's own messages are not counted as growth.
WARM_UP_TURNS = TURNS_PER_CHAT


def long_run() -> bool:
    """AGENTDESK_RELIABILITY_LONG=1: the long variants."""
    return os.environ.get("AGENTDESK_RELIABILITY_LONG", "") not in ("", "0")


def soak_turns(default: int, long: int) -> int:
    """Measured turns: $AGENTDESK_SOAK_TURNS, else ``long`` or ``default``."""
    if os.environ.get("AGENTDESK_SOAK_TURNS"):
        return int(os.environ["AGENTDESK_SOAK_TURNS"])
    return long if long_run() else default


def question(turn: int) -> str:
    return f"Turn {turn}: name one colour."


def seed(db_path: Path, base_url: str) -> AgentSpec:
    """The llama.cpp provider and one agent on it with tiny replies."""
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp", base_url=base_url,
                                              is_local=True))
        return store.agents.create(AgentSpec(name="Soak", provider="llama", model="gemma3",
                                             max_tokens=MAX_TOKENS, temperature=0.0))


def rss_mb() -> float:
    """Resident memory (VmRSS) of this process in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _fd_targets() -> list[str]:
    targets = []
    for name in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{name}"))
        except FileNotFoundError:      # the fd listdir itself used, closed by now
            continue
    return targets


@dataclass(frozen=True)
class Probe:
    rss_mb: float
    fds: int
    sockets: int
    tasks: int
    widgets: int

    @classmethod
    def read(cls, loop: asyncio.AbstractEventLoop | None = None) -> "Probe":
        gc.collect()
        targets = _fd_targets()
        tasks = 0 if loop is None else sum(1 for t in asyncio.all_tasks(loop) if not t.done())
        return cls(rss_mb=rss_mb(), fds=len(targets),
                   sockets=sum(1 for t in targets if t.startswith("socket:")),
                   tasks=tasks, widgets=_widget_count())

    def growth(self, later: "Probe") -> "Probe":
        return Probe(rss_mb=later.rss_mb - self.rss_mb, fds=later.fds - self.fds,
                     sockets=later.sockets - self.sockets, tasks=later.tasks - self.tasks,
                     widgets=later.widgets - self.widgets)

    def shown(self) -> str:
        return (f"rss {self.rss_mb:+.1f} MB, fds {self.fds:+d}, sockets {self.sockets:+d}, "
                f"tasks {self.tasks:+d}, widgets {self.widgets:+d}")


def _widget_count() -> int:
    """Live QWidgets, when this process has a QApplication (else 0)."""
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return 0
    from PySide6.QtWidgets import QApplication

    return len(QApplication.allWidgets()) if QApplication.instance() is not None else 0


def stored(db_path: Path) -> tuple[list[str], int, list[str]]:
    """(user texts in order, complete replies, statuses of the other replies)
    as another connection sees them; the database passes integrity_check."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        users = [r[0] for r in conn.execute(
            "SELECT content FROM messages WHERE role = 'user' ORDER BY id")]
        complete = conn.execute("SELECT count(*) FROM messages WHERE role = 'assistant' "
                                "AND status = 'complete'").fetchone()[0]
        others = [r[0] for r in conn.execute("SELECT status FROM messages WHERE role = "
                                             "'assistant' AND status != 'complete'")]
    return users, complete, others


def check_and_record(label: str, turns: int, baseline: Probe, end: Probe, db_path: Path,
                     sent: list[str], seconds: float) -> Probe:
    """Print and record the figures, then assert issue 21's bounds: every
    question and reply stored, RSS growth <= 20 MB, no fd/socket/task growth."""
    growth = baseline.growth(end)
    users, complete, others = stored(db_path)
    kept = set(users)
    losses = sum(1 for text in sent if text not in kept) + max(0, len(sent) - complete)
    print(f"\nsoak ({label}): {len(sent)} turns ({turns} measured after {WARM_UP_TURNS} of "
          f"warm-up) in {seconds:.0f} s; {len(users)} questions and {complete} replies stored; "
          f"{growth.shown()}; baseline {baseline.rss_mb:.1f} MB")
    record("soak", turns=turns, rss_growth_mb=round(growth.rss_mb, 1), fd_growth=growth.fds,
           socket_growth=growth.sockets, task_growth=growth.tasks, losses=losses)
    assert users == sent and complete == len(sent) and not others, (len(users), complete, others)
    assert losses == 0
    assert growth.rss_mb <= RSS_BOUND_MB, growth.shown()
    assert growth.fds <= 0 and growth.sockets <= 0 and growth.tasks <= 0, growth.shown()
    return growth
