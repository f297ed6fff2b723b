"""The collector pause of start-up (app/gc_pause.py)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import gc_pause

REPO = Path(__file__).resolve().parents[1]


class Node:
    """An object that can be part of a reference cycle and be weakly referenced."""

    other: Node | None = None


@pytest.fixture(autouse=True)
def restore_collector() -> Iterator[None]:
    yield
    gc_pause.resume(freeze=False)
    gc.unfreeze()
    gc.enable()


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_pause_stops_collection_and_resume_without_freeze_restarts_it() -> None:
    frozen = gc.get_freeze_count()
    gc_pause.pause()
    assert not gc.isenabled() and gc_pause.is_paused()

    gc_pause.resume(freeze=False)

    assert gc.isenabled() and not gc_pause.is_paused()
    assert gc.get_freeze_count() == frozen


def test_resume_with_freeze_frees_the_cycles_and_freezes_what_lives() -> None:
    gc_pause.pause()
    garbage = _cycle()
    survivor = Node()
    assert garbage() is not None   # only a collection frees a cycle

    gc_pause.resume(freeze=True)

    assert garbage() is None
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    # Frozen: in none of the collector's generations any more.
    assert not any(obj is survivor for obj in gc.get_objects())


def test_resume_without_a_pause_changes_nothing() -> None:
    gc.disable()   # someone else's choice: not ours to undo
    gc_pause.resume(freeze=True)
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_pause_when_collection_is_already_off_is_not_undone_by_resume() -> None:
    gc.disable()
    gc_pause.pause()
    gc_pause.resume(freeze=False)
    assert not gc.isenabled()


def test_python_m_app_pauses_collection_before_importing_the_cli() -> None:
    probe = ("import gc, sys; import app.__main__; "
             "print(gc.isenabled(), 'app.cli' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
