"""Startup: cold start to the window shown, idle memory, and opening a long chat.

Usage (from the repository root)::

    .venv/bin/python bench/startup.py                    # build a data folder in a temp dir, measure, delete
    .venv/bin/python bench/startup.py --home /tmp/sb     # build there once and keep it ...
    .venv/bin/python bench/startup.py --home /tmp/sb     # ... later runs reuse it
    .venv/bin/python bench/startup.py --runs 9 --idle 3
    .venv/bin/python bench/startup.py --frozen [APP_DIR]  # the installed app vs source
                                                          # (bench/startup_frozen.py)

Every number comes from a real process started by this script, on a data folder
built through the real schema (bench/startup_data.py: 10,000 conversations,
200,000 messages, one chat of 5,000 messages that ``ui.ini`` says was open last):

- floor: bench/startup_floor.py imports every module the app had loaded when
  its window was shown (found by bench/startup_app.py ``modules``, app modules
  left out) and shows a bare QMainWindow of the same size;
- app: ``python -m app`` on that data folder; its log line "window painted"
  (app/ui/first_paint.py) carries the wall-clock time of its first paint;

each with ``QT_QPA_PLATFORM=offscreen`` and the bytecode of app/ and bench/
compiled first (as for an installed app), interleaved (the order alternates per
round) after one untimed warm-up of each. Time = first paint finished minus the
moment just before this script started the process; memory = VmRSS from
/proc/<pid>/status after ``--idle`` seconds of idling after that paint. Then
SIGTERM (the app shuts down cleanly; its exit status is checked).

- open: bench/startup_app.py ``open`` starts the app in-process (run_app) and
  times choosing the 5,000-message chat in the chat list until the chat view's
  first paint showing its newest messages, alternating with a short chat.

Exit status 0 when every goal is met, 1 otherwise. Results: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench.startup_data import DataFolder, write_state, build_home, describe  # noqa: E402

GOAL_TIME_RATIO = 2.0
GOAL_RSS_MB = 120.0
GOAL_OPEN_MS = 300.0
TIMEOUT_S = 60.0
_PAINTED = re.compile(r"window painted \(.*epoch (\d+\.\d+)\)")


@dataclass
class Run:
    kind: str
    seconds: float
    rss_mb: float
    anon_mb: float
    file_mb: float
    exit_code: int | None


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTDESK_")}
    env.update(AGENTDESK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return env


def _memory(pid: int) -> tuple[float, float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["RssAnon"], values["RssFile"] + values.get("RssShmem", 0)


def _stop(proc: subprocess.Popen) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def _wait_for(predicate, proc: subprocess.Popen, what: str) -> float:  # noqa: ANN001
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = predicate()
        if found is not None:
            return found
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before its "
                               "window was painted")
        time.sleep(0.002)
    _stop(proc)
    raise RuntimeError(f"{what}: no paint within {TIMEOUT_S:.0f} s")


def compile_bytecode() -> None:
    """Compile the app's and benchmark's modules, as an installed app has them.

    The libraries in .venv were compiled by pip when it installed them; the app
    is an editable install, and a machine with PYTHONDONTWRITEBYTECODE set (as
    this one) would otherwise compile its ~100 modules from source at every
    start (~150 ms) — which no user's second start does, and the floor never pays.
    """
    for folder in ("app", "bench"):
        if not compileall.compile_dir(ROOT / folder, quiet=1):
            raise RuntimeError(f"{folder}/ does not compile")


def run_floor(home: Path, modules: Path, idle: float, verbose: bool = False) -> Run:
    started = time.time()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "startup_floor.py"),
                             str(modules)], cwd=ROOT, env=_env(home),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()   # blocks until the paint line (or EOF on a crash)
    if not line.startswith("painted "):
        _stop(proc)
        raise RuntimeError(f"floor process failed (status {proc.poll()}): {line!r}")
    fields = line.split()
    painted = float(fields[1])
    if verbose:
        print(f"  floor: {fields[3]} modules imported; not importable by name: {fields[5]}")
    return _finish("floor", proc, painted - started, idle)


def start_until_painted(command: list[str], home: Path, what: str) -> tuple[subprocess.Popen,
                                                                           float]:
    """Start ``command`` on data folder ``home``; return the running process and
    the seconds from just before its start to its window's first paint (the
    log line "window painted", app/ui/first_paint.py)."""
    logs = home / "logs"
    for old in logs.glob("agentdesk.log*"):
        old.unlink()
    log_file = logs / "agentdesk.log"

    def painted() -> float | None:
        try:
            found = _PAINTED.search(log_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return float(found.group(1)) if found else None

    started = time.time()
    proc = subprocess.Popen(command, cwd=ROOT, env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, _wait_for(painted, proc, what) - started


def run_app(home: Path, idle: float) -> Run:
    proc, seconds = start_until_painted([sys.executable, "-m", "app"], home, "python -m app")
    return _finish("app", proc, seconds, idle)


def _finish(kind: str, proc: subprocess.Popen, seconds: float, idle: float) -> Run:
    time.sleep(idle)
    if proc.poll() is not None:
        raise RuntimeError(f"{kind} exited with status {proc.returncode} while idle")
    rss, anon, file = _memory(proc.pid)
    code = _stop(proc)
    if code != 0 and kind == "app":
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"app did not shut down cleanly on SIGTERM (status {code}): "
                           f"{err[-2000:]}")
    return Run(kind, seconds, rss, anon, file, code)


def _helper(home: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "startup_app.py"), *args],
                          cwd=ROOT, env=_env(home), capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"startup_app.py {args[0]} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done


def discover_modules(home: Path, out: Path) -> list[str]:
    _helper(home, "modules", str(out))
    return out.read_text(encoding="utf-8").split()


def measure_open(data: DataFolder, repeats: int) -> dict:
    done = _helper(data.home, "open", str(data.big_conversation_id),
                   str(data.other_conversation_id), str(repeats))
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def _machine() -> str:
    load = os.getloadavg()
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, load average "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def _third_party(modules: list[str]) -> list[str]:
    stdlib = sys.stdlib_module_names
    tops = {name.split(".")[0] for name in modules}
    return sorted(t for t in tops if t not in stdlib and not t.startswith("_"))


def report(floor: list[Run], app: list[Run], opened: dict, idle: float) -> bool:
    f_time, a_time = _median(floor, "seconds"), _median(app, "seconds")
    f_rss, a_rss = _median(floor, "rss_mb"), _median(app, "rss_mb")
    print(f"\n{'':24}{'floor':>10}{'app':>10}{'app/floor':>11}")
    print(f"{'to first paint, s':24}{f_time:>10.3f}{a_time:>10.3f}{a_time / f_time:>10.2f}x")
    print(f"{'idle RSS, MB':24}{f_rss:>10.1f}{a_rss:>10.1f}{a_rss / f_rss:>10.2f}x")
    print(f"{'  anonymous, MB':24}{_median(floor, 'anon_mb'):>10.1f}"
          f"{_median(app, 'anon_mb'):>10.1f}")
    print(f"{'  file-backed, MB':24}{_median(floor, 'file_mb'):>10.1f}"
          f"{_median(app, 'file_mb'):>10.1f}")
    print("  every run (s / MB): floor "
          + ", ".join(f"{r.seconds:.3f}/{r.rss_mb:.0f}" for r in floor)
          + "; app " + ", ".join(f"{r.seconds:.3f}/{r.rss_mb:.0f}" for r in app))
    runs = opened["runs"]
    print(f"\nopen the 5,000-message chat to first paint: median {opened['median_ms']:.0f} ms,"
          f" first {opened['first_ms']:.0f} ms, max {opened['max_ms']:.0f} ms "
          f"({runs[0]['messages_drawn']} newest messages drawn)")
    print("  every run (total / loaded+built / CPU ms): " + ", ".join(
        f"{r['ms']:.0f}/{r['loaded_ms']:.0f}/{r['cpu_ms']:.0f}" for r in runs))
    goals = [
        (f"time to window ≤ {GOAL_TIME_RATIO:.0f}× floor", a_time <= GOAL_TIME_RATIO * f_time,
         f"{a_time / f_time:.2f}×"),
        (f"idle RSS ≤ {GOAL_RSS_MB:.0f} MB (after {idle:g} s)", a_rss <= GOAL_RSS_MB,
         f"{a_rss:.1f} MB"),
        (f"open 5,000-message chat ≤ {GOAL_OPEN_MS:.0f} ms (median)",
         opened["median_ms"] <= GOAL_OPEN_MS, f"{opened['median_ms']:.0f} ms"),
    ]
    print("\nGoals:")
    for name, met, value in goals:
        print(f"  {'PASS' if met else 'FAIL'}  {name}: {value}")
    return all(met for _, met, _ in goals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="data folder: built if missing, else reused")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--idle", type=float, default=2.0,
                        help="seconds idle after the paint before reading RSS (default 2)")
    parser.add_argument("--open-repeats", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=5_000)
    parser.add_argument("--frozen", nargs="?", type=Path, const=True, metavar="APP_DIR",
                        help="instead: the installed (frozen) app's start against the source "
                             "start, and its size (bench/startup_frozen.py; APP_DIR default "
                             "dist/agentdesk)")
    parser.add_argument("--drop-caches", action="store_true",
                        help="with --frozen: cold starts (drop the page cache; root)")
    args = parser.parse_args(argv)
    if args.frozen is not None:
        from bench import startup_frozen

        app_dir = startup_frozen.default_app_dir() if args.frozen is True else args.frozen
        return startup_frozen.run(app_dir, args.runs, args.drop_caches)

    temp = None if args.home else tempfile.mkdtemp(prefix="agentdesk-startup-")
    home = args.home or Path(temp) / "home"
    try:
        print(_machine())
        if (home / "agentdesk.db").exists():
            data = describe(home)
            print(f"reusing {home}: {data.conversations:,} conversations, "
                  f"{data.messages:,} messages")
        else:
            print(f"building {home} ...")
            data = build_home(home, conversations=args.conversations,
                              messages=args.messages, big=args.big)
            print(f"built in {data.seconds:.1f} s")
        write_state(home, data.big_agent_id, data.big_conversation_id)
        size = (home / "agentdesk.db").stat().st_size / 1e6
        print(f"database {size:.0f} MB; last chat on start: {data.big_conversation_id} "
              f"(5,000 messages)")

        compile_bytecode()
        modules_file = home.parent / f"{home.name}-floor-modules.txt"
        modules = discover_modules(home, modules_file)
        print(f"floor imports {len(modules)} modules the app has loaded when its window "
              f"is shown; third-party: {', '.join(_third_party(modules))}")

        print("warm-up (untimed): floor, app")
        run_floor(home, modules_file, 0.2, verbose=True)
        run_app(home, 0.2)
        floor: list[Run] = []
        app: list[Run] = []
        for index in range(args.runs):
            order = ("floor", "app") if index % 2 == 0 else ("app", "floor")
            for kind in order:
                if kind == "floor":
                    floor.append(run_floor(home, modules_file, args.idle))
                else:
                    app.append(run_app(home, args.idle))
                done = floor[-1] if kind == "floor" else app[-1]
                print(f"  round {index + 1} {kind:5} {done.seconds:.3f} s  "
                      f"{done.rss_mb:.1f} MB")

        print(f"opening the big chat {args.open_repeats} times ...")
        opened = measure_open(data, args.open_repeats)
        write_state(home, data.big_agent_id, data.big_conversation_id)
        return 0 if report(floor, app, opened, args.idle) else 1
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
