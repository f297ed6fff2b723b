"""Python's cyclic garbage collector, paused while the window starts.

Starting imports ~500 modules and builds the window: hundreds of thousands of
objects that live as long as the process (classes, functions, Qt wrappers)
and very little garbage. The collector still runs ~150 times over them before
the first paint, three full passes among them: ~60 ms of the ~0.45 s to the
window here (docs/PERFORMANCE.md, Startup). So ``python -m app`` pauses it on
its first line (``app/__main__.py``) until the window has been drawn. Then
``resume(freeze=True)`` runs one full collection (what start-up left as
garbage is freed), moves every survivor to the permanent generation with
``gc.freeze()`` — later full collections, during a streamed reply for
instance, no longer walk the start-up objects — and turns collection back on.
A headless command resumes at once, without freezing.

Reference counting frees almost everything meanwhile; only garbage in
reference cycles waits for ``resume``.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn cyclic collection off, if it is on; ``resume`` turns it back on."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def is_paused() -> bool:
    return _paused


def resume(*, freeze: bool) -> None:
    """Turn collection back on after ``pause``; nothing if it did not pause it.

    ``freeze``: first collect, then move every object alive now out of the
    collector's reach for good (for the long-lived objects of a started app).
    """
    global _paused
    if not _paused:
        return
    _paused = False
    if freeze:
        gc.collect()
        gc.freeze()
    gc.enable()
