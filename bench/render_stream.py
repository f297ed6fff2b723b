"""Streaming render benchmark: the real chat view vs re-rendering the whole message.

Streams a seeded 20,000-token reply (prose, fenced code, tables, lists) at 500
tokens/s into the real ``ChatView`` (offscreen Qt; a QTimer delivers 5 tokens
every 10 ms; the view flushes on its own 40 ms timer), while a 2 ms heartbeat
QTimer measures event-loop stalls. Then, in the same run, streams the same reply
the naive way: on every 40 ms flush the whole message so far is rendered with
the same Markdown renderer and set with ``setHtml`` (same 20-token steps; this
phase runs slower than real time, since each naive flush soon takes > 40 ms).

Reported per way: event-loop stall (heartbeat gap beyond its interval: p50, p99,
max), wall time per flush (p99, max), render CPU (``time.process_time`` around
the flush work), the process CPU over the whole streaming phase (includes
layout and painting), and the number of flushes.

    .venv/bin/python bench/render_stream.py                     # 20,000 tokens both ways
    .venv/bin/python bench/render_stream.py --naive-tokens 4000 # shorter naive phase

Exit status 0 when the goals are met (p99 stall <= 16 ms, longest <= 50 ms, render
CPU >= 20x less than naive), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.ui.chat import ChatView  # noqa: E402
from app.ui.chat.blocks import BlockSplitter  # noqa: E402
from app.ui.chat.markdown_render import MarkdownRenderer  # noqa: E402

TOKENS_PER_S = 500
FEED_MS = 10
FLUSH_MS = 40
HEARTBEAT_MS = 2
GOAL_P99_MS = 16.0
GOAL_MAX_MS = 50.0
GOAL_CPU_RATIO = 20.0

WORDS = ("the model streams tokens while the view appends finished blocks and only "
         "redraws the open tail so long replies stay smooth at any length because "
         "nothing finished is rendered again each flush costs the size of the tail "
         "not the size of the message").split()


def make_reply(tokens: int, seed: int = 7) -> list[str]:
    """A Markdown reply cut into ``tokens`` word-sized pieces."""
    rng = random.Random(seed)
    parts: list[str] = []
    count = 0
    n = 0
    while count < tokens:
        n += 1
        kind = n % 5
        if kind in (0, 2):
            sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90)))
            parts.append(f"{sentence.capitalize()} with `inline_code()` and **bold** text.\n\n")
        elif kind == 1:
            lines = [f"def step_{n}_{i}(x: int) -> int:\n    return x * {i} + {n}  # comment"
                     for i in range(rng.randint(3, 8))]
            parts.append("```python\n" + "\n".join(lines) + "\n```\n\n")
        elif kind == 3:
            rows = "\n".join(f"| row {i} | {rng.randint(1, 999)} | {rng.choice(WORDS)} |"
                             for i in range(rng.randint(3, 7)))
            parts.append(f"| name | value | note |\n|---|---:|---|\n{rows}\n\n")
        else:
            items = "\n".join(f"{i + 1}. {' '.join(rng.choice(WORDS) for _ in range(8))}"
                              for i in range(rng.randint(3, 6)))
            parts.append(items + "\n\n")
        count = sum(len(re.findall(r"\S+\s*", p)) for p in parts)
    pieces = re.findall(r"\s*\S+\s*?(?=\s|$)|\s+$", "".join(parts))
    return pieces[:tokens]


@dataclass
class Phase:
    name: str
    stalls_ms: list[float] = field(default_factory=list)
    flush_ms: list[float] = field(default_factory=list)
    flush_cpu_s: list[float] = field(default_factory=list)
    render_cpu_s: float = 0.0
    process_cpu_s: float = 0.0
    wall_s: float = 0.0
    tokens: int = 0

    def record_flush(self, wall_s: float, cpu_s: float) -> None:
        self.flush_ms.append(wall_s * 1000)
        self.flush_cpu_s.append(cpu_s)
        self.render_cpu_s += cpu_s


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def stream(app: QApplication, pieces: list[str], phase: Phase, deliver, finish) -> None:
    """Feed ``pieces`` at TOKENS_PER_S while a heartbeat measures stalls."""
    per_feed = TOKENS_PER_S * FEED_MS // 1000
    clock = QElapsedTimer()
    last = [0.0]
    position = [0]
    done = [False]

    def beat() -> None:
        now = clock.nsecsElapsed() / 1e6
        phase.stalls_ms.append(max(0.0, now - last[0] - HEARTBEAT_MS))
        last[0] = now

    def feed() -> None:
        # Deliver what the clock says is due (a starved feeder catches up in bulk,
        # as a real socket would have buffered it).
        due = min(len(pieces), int(clock.elapsed() * TOKENS_PER_S / 1000) + per_feed)
        if due > position[0]:
            deliver("".join(pieces[position[0]:due]))
            position[0] = due
        if position[0] >= len(pieces) and not done[0]:
            done[0] = True
            finish()
            QTimer.singleShot(200, loop.quit)  # let the last flush and paint happen

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    feeder = QTimer()
    feeder.setTimerType(Qt.TimerType.PreciseTimer)
    feeder.setInterval(FEED_MS)
    feeder.timeout.connect(feed)

    loop = QEventLoop()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    clock.start()
    heartbeat.start()
    feeder.start()
    loop.exec()  # a real event loop: waits block, as in the app
    heartbeat.stop()
    feeder.stop()
    phase.process_cpu_s = time.process_time() - cpu0
    phase.wall_s = time.perf_counter() - wall0
    phase.tokens = len(pieces)
    phase.stalls_ms = phase.stalls_ms[1:]  # the first beat has no predecessor


def run_incremental(app: QApplication, pieces: list[str]) -> Phase:
    phase = Phase("incremental (chat view)")
    view = ChatView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    view.flush_hook = phase.record_flush
    view.begin_reply(1, "bench", "bench")

    def finish() -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        view.finish_reply(1, "complete")
        phase.record_flush(time.perf_counter() - wall, time.process_time() - cpu)

    stream(app, pieces, phase, lambda text: view.append_text(1, text), finish)
    segment = view.message_widget(1).segments()[0]
    assert segment.stream.text == "".join(pieces)
    view.close()
    return phase


def run_naive(app: QApplication, pieces: list[str]) -> Phase:
    """Same view widgets, but every flush renders and sets the whole message.

    Each naive flush takes the next ``FLUSH_MS`` worth of tokens (20 at 500/s), the
    same steps the incremental way flushes at. A naive flush soon takes longer
    than 40 ms, so this phase runs slower than real time rather than flushing
    less often (which would hide its cost).
    """
    phase = Phase("naive (whole message per flush)")
    view = ChatView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    view.begin_reply(1, "bench", "bench")
    view.append_text(1, " ")
    view.flush()  # creates the message's text segment
    segment = view.message_widget(1).segments()[0]
    renderer = MarkdownRenderer(view._theme.render)
    step = TOKENS_PER_S * FLUSH_MS // 1000
    position = [0]

    def flush_naive() -> None:
        position[0] = min(len(pieces), position[0] + step)
        cpu, wall = time.process_time(), time.perf_counter()
        splitter = BlockSplitter()
        blocks = splitter.feed("".join(pieces[:position[0]])) + splitter.close()
        html = "".join(renderer.render(block, index).html for index, block in enumerate(blocks))
        segment.setHtml(html)
        phase.record_flush(time.perf_counter() - wall, time.process_time() - cpu)

    stream_paced(app, len(pieces), step, phase, flush_naive, lambda: position[0])
    view.close()
    return phase


def stream_paced(app: QApplication, total: int, step: int, phase: Phase, flush,
                 position) -> None:
    """Call ``flush`` every FLUSH_MS (or as soon as the loop is free) until done."""
    clock = QElapsedTimer()
    last = [0.0]

    def beat() -> None:
        now = clock.nsecsElapsed() / 1e6
        phase.stalls_ms.append(max(0.0, now - last[0] - HEARTBEAT_MS))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    loop = QEventLoop()

    def tick() -> None:
        flush()
        if position() >= total:
            flusher.stop()
            QTimer.singleShot(200, loop.quit)

    flusher = QTimer()
    flusher.setTimerType(Qt.TimerType.PreciseTimer)
    flusher.setInterval(FLUSH_MS)
    flusher.timeout.connect(tick)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    clock.start()
    heartbeat.start()
    flusher.start()
    loop.exec()
    heartbeat.stop()
    flusher.stop()
    phase.process_cpu_s = time.process_time() - cpu0
    phase.wall_s = time.perf_counter() - wall0
    phase.tokens = total
    phase.stalls_ms = phase.stalls_ms[1:]


def report(phase: Phase) -> None:
    print(f"\n{phase.name}: {phase.tokens:,} tokens in {phase.wall_s:.1f} s, "
          f"{len(phase.flush_ms):,} flushes")
    print(f"  event-loop stall ms   p50 {pct(phase.stalls_ms, .5):6.1f}   "
          f"p99 {pct(phase.stalls_ms, .99):6.1f}   max {max(phase.stalls_ms, default=0):6.1f}")
    print(f"  flush wall ms         p50 {pct(phase.flush_ms, .5):6.1f}   "
          f"p99 {pct(phase.flush_ms, .99):6.1f}   max {max(phase.flush_ms, default=0):6.1f}")
    print(f"  render CPU {phase.render_cpu_s:7.2f} s   process CPU while streaming "
          f"{phase.process_cpu_s:7.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--naive-tokens", type=int, default=None,
                        help="tokens for the naive phase (default: same as --tokens)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication([])
    pieces = make_reply(args.tokens, args.seed)
    text = "".join(pieces)
    print(f"reply: {len(pieces):,} tokens, {len(text):,} characters, "
          f"{text.count('```') // 2} code blocks, {text.count('|---|---:|')} tables; "
          f"{TOKENS_PER_S} tokens/s, view flush every {FLUSH_MS} ms, Qt {app.platformName()}")
    fast = run_incremental(app, pieces)
    report(fast)
    naive_pieces = pieces[:args.naive_tokens] if args.naive_tokens else pieces
    slow = run_naive(app, naive_pieces)
    report(slow)

    # Compare render CPU over the same tokens (the first N flushes when the naive
    # phase was shorter).
    same_length = slow.tokens == fast.tokens
    fast_cpu = sum(fast.flush_cpu_s[:len(slow.flush_cpu_s)]) if not same_length \
        else fast.render_cpu_s
    ratio = slow.render_cpu_s / fast_cpu if fast_cpu else float("inf")
    p99, longest = pct(fast.stalls_ms, .99), max(fast.stalls_ms, default=0.0)
    print("\ngoals (incremental):")
    checks = [
        (f"p99 stall {p99:.1f} ms <= {GOAL_P99_MS:.0f} ms", p99 <= GOAL_P99_MS),
        (f"longest stall {longest:.1f} ms <= {GOAL_MAX_MS:.0f} ms", longest <= GOAL_MAX_MS),
        (f"render CPU {ratio:.1f}x less than naive >= {GOAL_CPU_RATIO:.0f}x"
         + ("" if same_length else f" (first {slow.tokens:,} tokens only)"),
         ratio >= GOAL_CPU_RATIO),
    ]
    for text_, ok in checks:
        print(f"  [{'met' if ok else 'NOT met'}] {text_}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
