"""How a process that serves the API is tuned, once, for a steady stream of
small events: shared by ``agentdesk serve`` and the window's server thread.

Two things hurt the latency of streamed tokens more than any code of ours
(bench/api_load.py, docs/PERFORMANCE.md "Local HTTP API"):

* **Full collections over start-up objects.** Serving imports FastAPI,
  pydantic, uvicorn and httpx: hundreds of thousands of objects that live as
  long as the process. Python's full (generation 2) collection walks them all
  — 100-200 ms measured in ``agentdesk serve`` under 32 streams, every token
  of every stream waiting behind it. ``gc.freeze()`` moves what is alive once
  the server is built to the permanent generation, out of every later pass.
* **The GIL switch interval** (default 5 ms). The loop that relays tokens
  shares the GIL with the store's worker thread (peewee building queries in
  Python) and, in the window, with the UI thread. Whenever another thread is
  busy in Python, the loop waits up to one interval each time it wants the GIL
  back; 1 ms bounds those waits at the cost of more frequent switches.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: The interpreter's thread switch interval while a server runs (default 5 ms).
SERVER_GIL_SWITCH_SECONDS = 0.001


def freeze_long_lived(*, collect: bool) -> None:
    """Move every object alive now out of the collector's reach for good.

    ``collect``: run one full collection first, so start-up garbage is freed
    rather than frozen. Only where nothing else is drawing: in the window the
    server thread shares the GIL with the UI, and a full pass there is a
    visible pause (what freezing uncollected garbage keeps is a one-time few
    kilobytes)."""
    if collect:
        gc.collect()
    gc.freeze()


@contextmanager
def short_gil_switches() -> Iterator[None]:
    """``SERVER_GIL_SWITCH_SECONDS`` while the block runs (never lengthened)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, SERVER_GIL_SWITCH_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
