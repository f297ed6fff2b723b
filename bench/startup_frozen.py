"""``bench/startup.py --frozen [APP_DIR]``: the installed (frozen) app against the source start.

Usage (from the repository root, after ``packaging/build.sh freeze``)::

    .venv/bin/python bench/startup.py --frozen                  # dist/agentdesk
    .venv/bin/python bench/startup.py --frozen build/packaging-test/agentdesk --runs 9
    .venv/bin/python bench/startup.py --frozen --drop-caches    # cold: page cache dropped

In the same run, interleaved (the order alternates per round) after one
untimed warm-up of each, which also does each one's first run:

- source: ``python -m app`` from this checkout (bytecode compiled first, as
  an installed app has it), on a data folder of its own;
- frozen: ``APP_DIR/agentdesk``, on a data folder of its own.

Time = the wall-clock time of the window's first paint (its log line "window
painted", app/ui/first_paint.py) minus the moment just before the process was
started; ``QT_QPA_PLATFORM=offscreen``; SIGTERM after, and a clean exit is
checked. With ``--drop-caches`` (root on Linux) the page cache is dropped
before every timed start: a cold start from disk, as after a reboot; without
it, the files are in the page cache (a second start).

Size: the app folder's files (apparent sizes, links not followed) with and
without ``models/``. Goals (issue 17): frozen start ≤ 1.2× the source start;
≤ 200 MB without the model. Exit status 0 when both are met.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.startup import ROOT, _machine, _stop, compile_bytecode, start_until_painted

GOAL_TIME_RATIO = 1.2
GOAL_SIZE_MB = 200.0
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def folder_mb(folder: Path, *, leave_out: str | None = None) -> float:
    total = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        if leave_out is not None and leave_out in path.relative_to(folder).parts[:1]:
            continue
        total += path.stat().st_size
    return total / 1e6


def drop_caches() -> bool:
    """Drop the page cache (needs root); False when not allowed here."""
    subprocess.run(["sync"], check=False)
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def start_once(command: list[str], home: Path) -> float:
    """Seconds from starting ``command`` to its window's first paint."""
    proc, seconds = start_until_painted(command, home, command[-1])
    code = _stop(proc)
    if code != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{' '.join(command)} did not shut down cleanly (status {code}): "
                           f"{err[-2000:]}")
    return seconds


def run(app_dir: Path, runs: int, cold: bool) -> int:
    app_dir = app_dir.resolve()
    program = app_dir / "agentdesk"
    if not program.is_file():
        print(f"no frozen app at {program}: build it with packaging/build.sh freeze",
              file=sys.stderr)
        return 2
    print(_machine())
    compile_bytecode()
    commands = {"source": [sys.executable, "-m", "app"], "frozen": [str(program)]}
    with tempfile.TemporaryDirectory(prefix="agentdesk-frozen-bench-") as temp:
        homes = {kind: Path(temp) / kind for kind in commands}
        for home in homes.values():
            home.mkdir()
        print("warm-up and first run (untimed): source, frozen")
        for kind, command in commands.items():
            start_once(command, homes[kind])
        if cold and not drop_caches():
            print("cannot drop the page cache here (needs root on Linux): warm starts")
            cold = False
        times: dict[str, list[float]] = {kind: [] for kind in commands}
        for index in range(runs):
            order = ("source", "frozen") if index % 2 == 0 else ("frozen", "source")
            for kind in order:
                if cold:
                    drop_caches()
                seconds = start_once(commands[kind], homes[kind])
                times[kind].append(seconds)
                print(f"  round {index + 1} {kind:6} {seconds:.3f} s")
    source, frozen = (statistics.median(times[k]) for k in ("source", "frozen"))
    with_model = folder_mb(app_dir)
    without_model = folder_mb(app_dir, leave_out="models")
    start_kind = "cold (page cache dropped)" if cold else "warm (files in the page cache)"
    print(f"\n{start_kind} start to first paint, median of {runs}:")
    print(f"  source {source:.3f} s, frozen {frozen:.3f} s, frozen/source {frozen / source:.2f}x")
    print("  every run (s): source " + ", ".join(f"{t:.3f}" for t in times["source"])
          + "; frozen " + ", ".join(f"{t:.3f}" for t in times["frozen"]))
    print(f"installed size: {with_model:.0f} MB with the model, {without_model:.0f} MB without")
    goals = [
        (f"frozen start ≤ {GOAL_TIME_RATIO}× source start", frozen <= GOAL_TIME_RATIO * source,
         f"{frozen / source:.2f}×"),
        (f"installed size without the model ≤ {GOAL_SIZE_MB:.0f} MB",
         without_model <= GOAL_SIZE_MB, f"{without_model:.0f} MB"),
    ]
    print("\nGoals:")
    for name, met, value in goals:
        print(f"  {'PASS' if met else 'FAIL'}  {name}: {value}")
    return 0 if all(met for _, met, _ in goals) else 1


def default_app_dir() -> Path:
    return ROOT / "dist" / "agentdesk"
