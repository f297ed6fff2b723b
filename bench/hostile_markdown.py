"""Hostile Markdown benchmark: opening messages built to make Python-Markdown
quadratic, against ordinary Markdown of the same size, in the same run.

For each input (300 KB: '-' lines, '***' lines, '#' lines, each in blocks just
under the old 10,000-character limit; five such messages in one chat; and a
2.25 MB chat of them) the real ``ChatView`` (offscreen) opens a saved
conversation with ``set_messages`` while a 16 ms heartbeat QTimer runs; the
run ends when the view has drawn everything. Reported: wall time until drawn,
the time ``set_messages`` itself held the loop, the longest heartbeat gap (the
longest freeze), event-loop turns used, and each time as a ratio to ordinary
Markdown (``bench/render_stream.make_reply``) of the same size.

    .venv/bin/python bench/hostile_markdown.py

Exit status 0 when every longest gap is <= 100 ms, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.domain import Message  # noqa: E402
from app.ui.chat import ChatView  # noqa: E402
from bench.render_stream import make_reply  # noqa: E402

SIZE = 300_000
GOAL_GAP_MS = 100


def hostile(line: str, size: int = SIZE) -> str:
    text = line * (size // len(line))
    return "\n".join(text[i:i + 9_990] for i in range(0, len(text), 9_990))


def ordinary(size: int = SIZE) -> str:
    return "".join(make_reply(size // 4))[:size]


def messages(contents: list[str]) -> list[Message]:
    now = datetime.now(timezone.utc)
    return [Message(id=i + 1, conversation_id=1, role="assistant", content=text,
                    created_at=now) for i, text in enumerate(contents)]


def open_chat(app: QApplication, contents: list[str]) -> dict[str, float]:
    view = ChatView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    clock = QElapsedTimer()
    ticks: list[int] = []
    beat = QTimer()
    beat.setInterval(16)
    beat.timeout.connect(lambda: ticks.append(clock.elapsed()))
    clock.start()
    beat.start()
    started = time.perf_counter()
    view.set_messages(messages(contents))
    held = time.perf_counter() - started
    ticks.append(clock.elapsed())
    while view.is_drawing():
        app.processEvents()
    app.processEvents()
    wall = time.perf_counter() - started
    ticks.append(clock.elapsed())
    beat.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    turns = view.render_pump.turns
    view.close()
    view.deleteLater()
    app.processEvents()
    return {"wall_s": wall, "held_ms": held * 1000, "max_gap_ms": max(gaps, default=0),
            "turns": turns}


def main() -> int:
    app = QApplication.instance() or QApplication([])
    five = [hostile(line) for line in ("-\n", "***\n", "#\n", "-\n\n", "=\na\n")]
    cases = {
        "ordinary 300 KB": ([ordinary()], None),
        "'-' lines 300 KB": ([hostile("-\n")], "ordinary 300 KB"),
        "'***' lines 300 KB": ([hostile("***\n")], "ordinary 300 KB"),
        "'#' lines 300 KB": ([hostile("#\n")], "ordinary 300 KB"),
        "ordinary 5 x 300 KB": ([ordinary()] * 5, None),
        "five hostile messages": (five, "ordinary 5 x 300 KB"),
        "ordinary 2.25 MB chat": ([ordinary()] * 8, None),
        "hostile 2.25 MB chat": ((five + five[:3])[:8], "ordinary 2.25 MB chat"),
    }
    results: dict[str, dict[str, float]] = {}
    print(f"{'input':24} {'drawn s':>8} {'ratio':>6} {'held ms':>8} {'max gap ms':>11} {'turns':>6}")
    ok = True
    for name, (contents, baseline) in cases.items():
        result = open_chat(app, contents)
        results[name] = result
        ratio = result["wall_s"] / results[baseline]["wall_s"] if baseline else 1.0
        ok = ok and result["max_gap_ms"] <= GOAL_GAP_MS
        print(f"{name:24} {result['wall_s']:8.2f} {ratio:6.2f} {result['held_ms']:8.1f} "
              f"{result['max_gap_ms']:11.0f} {result['turns']:6.0f}")
    print("goal: longest gap <=", GOAL_GAP_MS, "ms:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
