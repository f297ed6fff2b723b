"""In-process parts of the startup benchmark, each run as its own process by
bench/startup.py on the benchmark's data folder (``AGENTDESK_HOME``)::

    python bench/startup_app.py modules OUT_FILE
    python bench/startup_app.py open BIG_ID OTHER_ID REPEATS

Both start the app the way ``python -m app`` does — ``import app.cli`` first,
then ``run_app`` (the real store, bridge, MainWindow, desktop shell) on a
qasync loop — and use run_app's ``on_shown`` hook, then quit the way SIGTERM
does.

- ``modules``: the names of every module loaded when the window is shown, the
  app's own left out: the floor process imports exactly these.
- ``open``: opening a conversation as a click in the chat list does (the list's
  current row changes), timed from that moment to the end of the first paint of
  the chat view showing the conversation's newest messages (scrolled to the
  bottom). Alternates with a short chat so every open draws from scratch.
  Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``app`` and ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app.cli  # noqa: E402,F401 — what ``python -m app`` imports first

SETTLE_S = 1.0      # let the startup's own work (status checks, warm-up) finish
BETWEEN_S = 0.3


def _own(name: str) -> bool:
    return name in ("__main__", "app", "bench") or name.startswith(("app.", "bench."))


def _quit() -> None:
    os.kill(os.getpid(), signal.SIGTERM)   # run_app's clean way out


def _run(on_shown) -> int:  # noqa: ANN001 (a callable taking the MainWindow)
    import qasync

    from app.ui.qt_import import import_pyside

    import_pyside()   # as app/cli.py does before the window's modules
    from app.settings import load_settings
    from app.ui.application import create_application, run_app

    settings = load_settings()
    qt_app = create_application([sys.argv[0]])
    return qasync.run(run_app(settings, qt_app, on_shown=on_shown))


def dump_modules(out: Path) -> int:
    def shown(_window) -> None:  # noqa: ANN001
        names = sorted(name for name in list(sys.modules) if not _own(name))
        out.write_text("\n".join(names) + "\n", encoding="utf-8")
        _quit()
    return _run(shown)


class _PaintWatch:
    """Resolves a future when the chat view's viewport has finished a paint
    while scrolled to the bottom of a conversation that has been shown."""

    def __init__(self, window) -> None:  # noqa: ANN001 (MainWindow)
        from PySide6.QtCore import QEvent, QObject, QTimer

        self.window = window
        self.view = window.chat_view
        self.viewport = self.view.scroll.viewport()
        self.shown: int | None = None
        self.shown_at = 0.0
        self.future: asyncio.Future[float] | None = None
        self.paints = 0
        watch = self

        class Filter(QObject):
            def eventFilter(self, watched, event):  # noqa: ANN001, ANN201, N802
                if watched is watch.viewport and event.type() == QEvent.Type.Paint:
                    watch.paints += 1
                    if watch._ready():
                        QTimer.singleShot(0, watch._painted)
                return False

        self._filter = Filter(self.viewport)
        self.viewport.installEventFilter(self._filter)
        window.controller.sig_shown.connect(self._on_shown)

    def expect(self, conversation_id: int) -> asyncio.Future[float]:
        self.wanted = conversation_id
        self.shown = None
        self.paints = 0
        self.future = asyncio.get_running_loop().create_future()
        return self.future

    def _on_shown(self, conversation_id: int) -> None:
        self.shown = conversation_id
        self.shown_at = time.perf_counter()

    def _ready(self) -> bool:
        if self.future is None or self.future.done() or self.shown != self.wanted:
            return False
        bar = self.view.scroll.verticalScrollBar()
        return bool(self.view.message_ids()) and bar.value() == bar.maximum()

    def _painted(self) -> None:
        if self.future is not None and not self.future.done():
            self.future.set_result(time.perf_counter())


async def _open(window, big: int, other: int, repeats: int) -> dict:  # noqa: ANN001
    watch = _PaintWatch(window)
    panel = window.conversation_list
    await asyncio.sleep(SETTLE_S)
    results = []
    for _ in range(repeats):
        done = watch.expect(other)
        if not panel.select(other):
            raise RuntimeError(f"conversation {other} is not in the list")
        await asyncio.wait_for(done, 30)
        await asyncio.sleep(BETWEEN_S)
        done = watch.expect(big)
        started, cpu = time.perf_counter(), time.process_time()
        if not panel.select(big):
            raise RuntimeError(f"conversation {big} is not in the list")
        painted = await asyncio.wait_for(done, 30)
        results.append({"ms": (painted - started) * 1000,
                        "loaded_ms": (watch.shown_at - started) * 1000,
                        "cpu_ms": (time.process_time() - cpu) * 1000,
                        "paints": watch.paints,
                        "messages_drawn": len(window.chat_view.message_ids())})
        await asyncio.sleep(BETWEEN_S)
    times = [r["ms"] for r in results]
    return {"runs": results, "first_ms": times[0], "median_ms": statistics.median(times),
            "max_ms": max(times)}


def measure_open(big: int, other: int, repeats: int) -> int:
    outcome: dict = {}

    def shown(window) -> None:  # noqa: ANN001
        async def go() -> None:
            try:
                outcome.update(await _open(window, big, other, repeats))
            except Exception as exc:  # noqa: BLE001 — reported to the parent
                outcome["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                _quit()
        window.bench_task = asyncio.get_running_loop().create_task(go())

    code = _run(shown)
    print(json.dumps(outcome), flush=True)
    return code if "error" not in outcome else 1


def main() -> int:
    mode = sys.argv[1]
    if mode == "modules":
        return dump_modules(Path(sys.argv[2]))
    if mode == "open":
        return measure_open(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main())
