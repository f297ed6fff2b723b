"""llama.cpp's own log lines go to our log file, never to the terminal.

llama-cpp-python installs a log callback that prints llama.cpp's messages to
``sys.stderr``; with ``verbose=False`` it still lets some through (e.g.
"llama_kv_cache_iswa: using full-size SWA cache …" on every load), and they
land in the middle of ``agentdesk chat``'s output. ``route_llama_logs``
replaces that callback once per process with one that writes them to the
``app.providers.llama_cpp`` logger (llama.cpp's errors as warnings, its
warnings as info, the rest as debug). Output that native code writes to the
stderr file descriptor itself is the caller's to redirect (the CLI does:
app/commands/native_stderr.py).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any

log = logging.getLogger("app.providers.llama_cpp")

# ggml_log_level (ggml.h): 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continue the
# previous line. (llama-cpp-python's own mapping still uses the older order, which
# is why it printed a warning with verbose=False.)
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO,
           4: logging.WARNING}
LINE_LIMIT = 2000        # one log line of llama.cpp's at most this long

_lock = threading.Lock()
_callback: Any = None    # the ctypes callback, kept alive while llama.cpp may call it
_pending: list[str] = []
_pending_level = logging.DEBUG


def _forward(level: int, text: bytes | None) -> None:
    """Collect pieces until a newline, then log the line."""
    global _pending_level
    piece = (text or b"").decode("utf-8", errors="replace")
    with _lock:
        if level != 5:
            _pending_level = _LEVELS.get(level, logging.DEBUG)
        _pending.append(piece)
        if not piece.endswith("\n"):
            return
        line = "".join(_pending).rstrip()
        _pending.clear()
        line_level = _pending_level
    if line:
        log.log(line_level, "%s", line[:LINE_LIMIT])


def route_llama_logs(llama_cpp: Any) -> bool:
    """Send llama.cpp's logging to our logger from now on (once per process).
    Returns whether the callback was installed by this call."""
    global _callback
    with _lock:
        if _callback is not None:
            return False

        @llama_cpp.llama_log_callback
        def callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
            _forward(level, text)

        llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
        _callback = callback
        return True
