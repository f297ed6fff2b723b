"""Import a chat turn's modules on a worker thread before the first send.

The agent runner and the provider modules are imported at the first send,
not while the window starts (it comes up sooner). Imported there, on the GUI
thread, they held the event loop up: ~110 ms of CPU for ``app.core.runner``
alone (370 ms wall on a loaded 2-core machine), past the 100 ms the loop may
be blocked (issue 21; found by tests/reliability/test_provider_faults_restart.py).
Started once the window is first drawn, a daemon thread imports them while
the person reads or types; the thread gives the GIL back every few
milliseconds, so the loop keeps turning. A send that comes first waits for
the thread's import of the same module (Python's import lock): never longer
than importing it itself.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm_up_chat_modules() -> threading.Thread:
    """Start importing the runner and the HTTP providers (once per process);
    returns the thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import_all, name="warm-up-imports", daemon=True)
            _thread.start()
        return _thread


def _import_all() -> None:
    try:
        import app.core.provider_factory  # noqa: F401 (imported for later)
        import app.core.runner  # noqa: F401
        import app.providers.ollama  # noqa: F401
        import app.providers.openai_compat  # noqa: F401
    except ImportError as exc:   # the send imports it again and reports it there
        log.warning("warming up the chat modules failed: %s", exc)
