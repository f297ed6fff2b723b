"""Export timing: one 5,000-message conversation to JSON, Markdown, HTML and PDF.

Usage (from the repository root)::

    .venv/bin/python bench/export.py                  # 5,000 messages, 3 runs each
    .venv/bin/python bench/export.py --messages 20000 --runs 5

The conversation is realistic mixed content, rotating through: a user question
in prose, an assistant answer with a list and a Python code block, an assistant
tool call (JSON arguments) followed by its tool result, and a longer answer with
a table and a shell snippet. Each format is timed end to end from the store
(``load_bundles`` + the exporter; PDF is Qt's QPdfWriter over the HTML export);
the median of ``--runs`` runs is reported. Goal: each format ≤ 2 s.

Two floors are measured in the same run, interleaved with the formats, and
every format is printed as a ratio to its floor:

- ``text floor``: ``load_bundles`` + every message's raw content joined and
  written — the least any file export of this conversation can cost (the
  floor of JSON, Markdown and HTML);
- ``pdf floor``: the same raw text laid out by ``QTextDocument.setPlainText``
  and printed by the same ``QPdfWriter`` (A4, same margins): what Qt's own PDF
  writer needs for this much text with no markup at all (the floor of PDF).

With PDF, the window's side is measured as well: the longest stall of a Qt
event loop (a 1 ms timer calling Python) while the PDF is written on a worker
QThread, as the app does — the document filled in batches (ours) — against
one ``setHtml`` of the whole page on a worker thread, and against the way
before (all of it on the UI thread), in the same run.

See docs/PERFORMANCE.md for results.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``app`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core.export import load_bundles, render  # noqa: E402
from app.domain import AgentSpec, Conversation, Message, ToolCallRecord, UsageStats  # noqa: E402
from app.store import Store  # noqa: E402

GOAL_S = 2.0
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

_PROSE = ("Could you explain how the retry policy decides when to give up? I read the "
          "docs but the part about idle timeouts after the first byte confused me, "
          "especially with streaming replies and proxies in between. ({n})")
_CODE_REPLY = ("Sure. The policy has three parts:\n\n1. **Before the first byte** it "
               "retries connection errors with backoff.\n2. After the first byte it never "
               "retries (the reply is already on screen).\n3. An idle gap longer than the "
               "idle timeout ends the stream.\n\n```python\ndef backoff(attempt: int, "
               "base: float = 0.5) -> float:\n    \"\"\"Delay before retry {n}.\"\"\"\n"
               "    return min(base * 2 ** attempt, 8.0)\n\nfor attempt in range(3):\n"
               "    print(attempt, backoff(attempt))\n```\n\nSee `RetryPolicy` for the "
               "defaults.")
_TABLE_REPLY = ("| setting | default | meaning |\n|---|---|---|\n| connect | 5 s | TCP + "
                "TLS |\n| first byte | 60 s | model warm-up |\n| idle | 30 s | gap between "
                "tokens |\n\nTo check from a shell:\n\n```bash\ncurl -sN http://127.0.0.1:"
                "8080/v1/chat/completions -d @req.json | head -n 5  # run {n}\n```\n")


def conversation_messages(count: int) -> list[Message]:
    messages: list[Message] = []
    n = 0
    while len(messages) < count:
        when = T0 + timedelta(seconds=len(messages) * 7)
        kind = n % 4
        if kind == 0:
            messages.append(Message(conversation_id=0, role="user",
                                    content=_PROSE.format(n=n), created_at=when,
                                    updated_at=when))
        elif kind == 1:
            messages.append(Message(
                conversation_id=0, role="assistant", content=_CODE_REPLY.format(n=n),
                model="gemma3", provider="local", created_at=when, updated_at=when,
                usage=UsageStats(prompt_tokens=800, completion_tokens=140, ttft_ms=210.0,
                                 tokens_per_s=41.5)))
        elif kind == 2:
            call = f"call_{n}"
            messages.append(Message(
                conversation_id=0, role="assistant", content="", model="gemma3",
                tool_calls=[ToolCallRecord(call_id=call, name="web_search", arguments={
                    "query": f"retry policy idle timeout {n}", "max_results": 5})],
                created_at=when, updated_at=when))
            messages.append(Message(
                conversation_id=0, role="tool", tool_call_id=call,
                content='{"results": [{"title": "Timeouts", "url": "https://example.org/t",'
                        ' "snippet": "Idle timeouts close quiet streams."}]}',
                created_at=when, updated_at=when))
        else:
            messages.append(Message(conversation_id=0, role="assistant",
                                    content=_TABLE_REPLY.format(n=n), model="gemma3",
                                    created_at=when, updated_at=when))
        n += 1
    return messages[:count]


def build(folder: Path, count: int) -> Store:
    store = Store(folder / "bench.db")
    agent = store.agents.create(AgentSpec(name="Bench", provider="local", model="gemma3"))
    messages = conversation_messages(count)
    store.imports.add_conversation(
        Conversation(agent_id=agent.id, title="Retry policy deep dive", created_at=T0,
                     updated_at=messages[-1].created_at), messages, fingerprint="bench")
    return store


def plain_text(bundles) -> str:
    return "\n\n".join(m.content for b in bundles for m in b.messages)


def time_format(store: Store, fmt: str, out: Path) -> tuple[float, int]:
    """Seconds for one export (read from the store + write the file), and its size."""
    start = time.perf_counter()
    bundles = load_bundles(store)
    if fmt == "pdf":
        from app.ui.export_pdf import export_pdf

        export_pdf(bundles, out)
    elif fmt == "text floor":
        out.write_text(plain_text(bundles), encoding="utf-8")
    elif fmt == "pdf floor":
        from app.ui.export_pdf import paged_document, pdf_writer, print_document

        writer = pdf_writer(out, "floor")
        document = paged_document(writer)
        document.setPlainText(plain_text(bundles))
        print_document(document, writer, out)
    else:
        out.write_text(render(bundles, fmt), encoding="utf-8")
    return time.perf_counter() - start, out.stat().st_size


def longest_stall(write, pieces, path: Path, *, on_worker: bool) -> tuple[float, float]:
    """Seconds of the longest gap between ticks of a 1 ms timer on this thread's
    Qt event loop while ``write(pieces, path)`` runs on a worker QThread (or,
    not ``on_worker``, on this thread: the loop waits for all of it), and
    seconds until the PDF was written."""
    from PySide6.QtCore import QEventLoop, QTimer
    from qasync import QThreadExecutor

    if not on_worker:
        start = time.perf_counter()
        write(pieces, path)
        return (time.perf_counter() - start,) * 2

    ticks: list[float] = []
    loop = QEventLoop()
    timer = QTimer(interval=1)
    with QThreadExecutor(1) as executor:
        # The first tick before the job starts: a stall from its first moment
        # (the worker taking the interpreter lock at once) must count.
        ticks.append(time.perf_counter())
        job = executor.submit(write, pieces, path)

        def tick() -> None:
            ticks.append(time.perf_counter())
            if job.done():
                loop.quit()

        timer.timeout.connect(tick)
        timer.start()
        loop.exec()
        timer.stop()
        job.result()
    return max(b - a for a, b in zip(ticks, ticks[1:])), ticks[-1] - ticks[0]


def stall_report(store: Store, folder: Path, runs: int) -> None:
    from app.core.export.html_format import pdf_html_pieces
    from app.ui.export_pdf import pieces_to_pdf

    pieces = pdf_html_pieces(load_bundles(store))
    whole = partial(pieces_to_pdf, batched=False)
    ways = {"batched, worker thread (ours)": (pieces_to_pdf, True),  # (writer, on_worker)
            "one setHtml, worker thread": (whole, True),
            "one setHtml, UI thread (before)": (whole, False)}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for round_index in range(runs):
        order = list(ways) if round_index % 2 == 0 else list(ways)[::-1]
        for name in order:
            write, on_worker = ways[name]
            results[name].append(longest_stall(write, pieces, folder / "stall.pdf",
                                               on_worker=on_worker))
    stall = {name: statistics.median(r[0] for r in results[name]) for name in ways}
    ours = stall["batched, worker thread (ours)"]
    print("the window while the PDF is written (its HTML ready): longest event-loop stall")
    print(f"  {'way':<32} {'median':>9} {'max':>9} {'× ours':>7} {'written in':>11}")
    for name in ways:
        longest = max(r[0] for r in results[name]) * 1000
        total = statistics.median(r[1] for r in results[name])
        print(f"  {name:<32} {stall[name] * 1000:7.1f}ms {longest:7.1f}ms "
              f"{stall[name] / ours:7.1f} {total:10.2f}s")


FLOOR_OF = {"json": "text floor", "md": "text floor", "html": "text floor",
            "pdf": "pdf floor"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="json,md,html,pdf")
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cpu(s); {args.messages:,} messages, median of {args.runs} runs")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder), args.messages)
        if "pdf" in args.formats:
            from app.ui.export_pdf import ensure_gui_application

            ensure_gui_application()  # once, as in the running app
        start = time.perf_counter()
        load_bundles(store)
        print(f"{'read from store':<16} {time.perf_counter() - start:7.3f} s (included below)")
        formats = args.formats.split(",")
        floors = sorted({FLOOR_OF[f] for f in formats}, reverse=True)
        names = floors + formats
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in names}
        for round_index in range(args.runs):  # interleaved: load drifts alike for all
            order = names if round_index % 2 == 0 else names[::-1]
            for name in order:
                out = Path(folder) / f"export.{name.replace(' ', '_')}"
                runs[name].append(time_format(store, name, out))
        median = {name: statistics.median(r[0] for r in runs[name]) for name in names}
        print(f"{'format':<16} {'median':>9} {'min':>9} {'max':>9} {'size':>10} "
              f"{'× floor':>8}  goal")
        for name in names:
            seconds = [r[0] for r in runs[name]]
            size = runs[name][-1][1] / 2**20
            line = (f"{name:<16} {median[name]:8.3f}s {min(seconds):8.3f}s "
                    f"{max(seconds):8.3f}s {size:8.2f}MB")
            if name in floors:
                print(f"{line} {'1.00':>8}  (baseline)")
                continue
            ok = median[name] <= GOAL_S
            failed |= not ok
            ratio = median[name] / median[FLOOR_OF[name]]
            print(f"{line} {ratio:8.2f}  {'ok' if ok else 'OVER'} (≤ {GOAL_S} s)")
        if "pdf" in formats:
            stall_report(store, Path(folder), args.runs)
        store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
