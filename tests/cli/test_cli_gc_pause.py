"""A headless command turns the collector back on (app/gc_pause.py): only the
window's start keeps it paused, until the first paint."""

from __future__ import annotations

import gc

from app import gc_pause


def test_a_command_resumes_collection_without_freezing(cli) -> None:
    gc_pause.pause()   # as app/__main__.py does
    try:
        assert cli("agents", "list").code == 0
        assert gc.isenabled() and not gc_pause.is_paused()
        assert gc.get_freeze_count() == 0
    finally:
        gc_pause.resume(freeze=False)
        gc.enable()
