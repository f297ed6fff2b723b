"""The tuning a serving process gets (app/api/server_tuning.py): start-up
objects out of the collector's reach, short GIL switches while it serves."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from app.api.server_tuning import (SERVER_GIL_SWITCH_SECONDS, freeze_long_lived,
                                   short_gil_switches)


class Node:
    other: Node | None = None


def _garbage_cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def thawed() -> None:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_moves_what_is_alive_out_of_later_collections() -> None:
    kept = [Node() for _ in range(1000)]
    freeze_long_lived(collect=False)
    frozen = gc.get_freeze_count()
    assert frozen >= len(kept)
    gc.collect()
    assert gc.get_freeze_count() == frozen       # a full pass no longer touches them


def test_collecting_first_frees_start_up_garbage_instead_of_freezing_it() -> None:
    dead = _garbage_cycle()
    freeze_long_lived(collect=True)
    assert dead() is None
    gc.unfreeze()
    kept = _garbage_cycle()
    freeze_long_lived(collect=False)              # the window's way: no full pass
    gc.collect()
    assert kept() is not None                     # frozen garbage stays (a one-time cost)


def test_switch_interval_is_short_while_serving_and_restored_after() -> None:
    before = sys.getswitchinterval()
    assert before > SERVER_GIL_SWITCH_SECONDS
    with short_gil_switches():
        assert sys.getswitchinterval() == pytest.approx(SERVER_GIL_SWITCH_SECONDS)
    assert sys.getswitchinterval() == pytest.approx(before)
    with pytest.raises(RuntimeError), short_gil_switches():
        raise RuntimeError("a server that stops with an error")
    assert sys.getswitchinterval() == pytest.approx(before)
    sys.setswitchinterval(0.0005)                 # never lengthened
    try:
        with short_gil_switches():
            assert sys.getswitchinterval() == pytest.approx(0.0005)
    finally:
        sys.setswitchinterval(before)
