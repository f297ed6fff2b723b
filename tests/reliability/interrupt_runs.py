"""Kill runs for the interrupted-work suite: start a real ``agentdesk`` command
in its own process, SIGKILL it at a seeded random moment (a time, or once a
condition on disk holds: so many bytes in a part file, so many rows indexed),
and hand back what happened. The JSON-streaming commands (``workflows run
--json``) use crash_runs.kill_at instead, which watches their stdout.

Counts: ``AGENTDESK_INTERRUPT_RUNS`` kills per kind of work (default 4; 3
for the workflow, whose runs are the slowest); ``AGENTDESK_RELIABILITY_LONG=1``
multiplies them by 5.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kill_count(default: int = 4) -> int:
    count = int(os.environ.get("AGENTDESK_INTERRUPT_RUNS", str(default)))
    return count * (5 if os.environ.get("AGENTDESK_RELIABILITY_LONG") == "1" else 1)


def seeded() -> tuple[int, random.Random]:
    """A fresh seed (printed by the tests, so a failure can be replayed) and its rng."""
    seed = int(os.environ.get("AGENTDESK_INTERRUPT_SEED", random.randrange(1 << 30)))
    return seed, random.Random(seed)


def agentdesk(*args: str) -> list[str]:
    """The command line of the real CLI in a new interpreter."""
    return [sys.executable, "-m", "app", *args]


def cli_env(home: Path) -> dict[str, str]:
    return {**os.environ, "AGENTDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}


@dataclass
class Killed:
    killed: bool          # False: the process ended before the kill point
    code: int | None      # its exit code (-9 when killed)
    seconds: float
    stderr: str = ""


def kill_when(command: list[str], env: dict[str, str], *,
              condition: Callable[[], bool] | None = None, after_seconds: float | None = None,
              limit: float = 120.0) -> Killed:
    """Run ``command`` and SIGKILL it once ``condition()`` holds (polled every
    10 ms) or ``after_seconds`` have passed, whichever is given; a process that
    ends first is left to end. ``limit`` only turns a hang into a failure."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = started + (after_seconds if after_seconds is not None else limit)
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if condition is not None and condition():
                break
            time.sleep(0.01)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)   # no handler, no cleanup runs
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    if condition is not None and after_seconds is None and killed:
        assert time.monotonic() - started < limit + 1, f"{command} never got that far"
    return Killed(killed, process.returncode, time.monotonic() - started, err)


def rows(database: Path, sql: str, *params: object) -> list[tuple]:
    """A query on a read-only connection of its own (the writer keeps going)."""
    if not database.exists():
        return []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError:      # no such table yet: the schema is being made
        return []
    finally:
        connection.close()


def count(database: Path, sql: str, *params: object) -> int:
    found = rows(database, sql, *params)
    return int(found[0][0]) if found else 0


def integrity_ok(database: Path) -> bool:
    """``PRAGMA integrity_check`` on the file as the next start finds it."""
    return rows(database, "PRAGMA integrity_check") == [("ok",)]


def run_cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A command to its end (the resume or the re-run after a kill)."""
    return subprocess.run(agentdesk(*args), env=cli_env(home), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
