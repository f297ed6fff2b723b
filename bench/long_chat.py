"""Long chat benchmark: GUI-thread CPU per streamed reply as one chat grows.

Drives the real ``ChatView`` (offscreen Qt, 800x600) through ``--turns`` turns
of one conversation, all added live as in one window session: a question, then
a reply streamed in ``--flushes`` flushes of ~10 words (a paragraph break every
third), then finished; the event loop runs between steps as the window's would.
Each turn's ``time.thread_time()`` (this thread only: layout, paint, Markdown)
is recorded; no event filter or profiler is installed while measuring. Turns in
which Python's garbage collector ran a full (generation 2) collection are left
out of the medians and counted apart: such a collection walks every Python
object of the process, so its cost grows with any heap, not with the chat
view's work (with the collector off the ratio below is the same, ~1).

Reported: the median per-turn CPU over turns 10-29 (early) and over the last 20
turns (late), and their ratio, late / early. Flat is ~1; before the chat
column's minimum-size fix (app/ui/chat/chat_view.py) every message above the
reply was moved and resized on each layout pass and the ratio grew with the
number of turns (see docs/PERFORMANCE.md, "Long chat").

    .venv/bin/python bench/long_chat.py                 # 200 turns (400 messages)
    .venv/bin/python bench/long_chat.py --turns 400

Exit status 0 when the ratio is below ``--max-ratio`` (2.0: a generous factor
for a loaded machine; the growth it guards against was ~3x at 200 turns).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.domain import Message  # noqa: E402
from app.ui.chat import ChatView  # noqa: E402

T0 = datetime(2025, 1, 1, 9, 30, tzinfo=timezone.utc)


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def one_turn(app: QApplication, view: ChatView, turn: int, flushes: int) -> float:
    """One question and its streamed reply; the GUI thread's CPU seconds it took."""
    start = time.thread_time()
    user_id, reply_id = 2 * turn + 1, 2 * turn + 2
    view.add_user_message(Message(id=user_id, conversation_id=1, role="user",
                                  content=f"question {turn}: " + "why? " * 12, created_at=T0))
    settle(app)
    view.begin_reply(reply_id, "gemma3", "local")
    settle(app)
    for k in range(flushes):
        view.append_text(reply_id, f"part {k} of reply {turn}: " + "words " * 9
                         + ("\n\n" if k % 3 == 2 else ""))
        view.flush()
        settle(app)
    view.finish_reply(reply_id, "complete")
    settle(app)
    return time.thread_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--flushes", type=int, default=20)
    parser.add_argument("--max-ratio", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.turns < 50:
        parser.error("--turns must be at least 50 (early turns 10-29, late the last 20)")

    app = QApplication.instance() or QApplication([])
    view = ChatView()
    view.resize(800, 600)
    view.show()
    settle(app)
    full_collections = [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info.get("generation") == 2:
            full_collections[0] += 1

    gc.callbacks.append(on_gc)
    cpu: list[float] = []
    collected: list[bool] = []
    try:
        for turn in range(args.turns):
            before = full_collections[0]
            cpu.append(one_turn(app, view, turn, args.flushes))
            collected.append(full_collections[0] != before)
    finally:
        gc.callbacks.remove(on_gc)

    def median_ms(turns: range) -> float:
        kept = [cpu[i] for i in turns if not collected[i]] or [cpu[i] for i in turns]
        return statistics.median(kept) * 1000

    early = median_ms(range(10, 30))
    late = median_ms(range(args.turns - 20, args.turns))
    ratio = late / early
    print(f"long chat: turns={args.turns} messages={len(view.message_ids())} "
          f"flushes_per_reply={args.flushes} gui_cpu_per_turn_ms early(10-29)={early:.1f} "
          f"late(last 20)={late:.1f} ratio={ratio:.2f} (goal < {args.max_ratio}); "
          f"turns with a full GC, left out: {sum(collected)}")
    return 0 if ratio < args.max_ratio else 1

if __name__ == "__main__":
    sys.exit(main())
