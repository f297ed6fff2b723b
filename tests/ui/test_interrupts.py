"""Ctrl+C (SIGINT) reaches the app as a quit request while Qt runs its loop."""

from __future__ import annotations

import os
import signal

import pytest

from app.ui.interrupts import quit_on_interrupt

WAIT_MS = 5000


def _interrupt_self(qtbot, requests: list[str]) -> None:
    try:
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: bool(requests), timeout=WAIT_MS)
    except KeyboardInterrupt:
        pytest.fail("SIGINT raised KeyboardInterrupt instead of asking to quit")


def test_sigint_requests_quit_and_the_handler_is_removed_after(qloop, qtbot) -> None:
    before = signal.getsignal(signal.SIGINT)
    requests: list[str] = []

    with quit_on_interrupt(qloop, lambda: requests.append("quit")):
        _interrupt_self(qtbot, requests)

    assert requests == ["quit"]
    assert signal.getsignal(signal.SIGINT) is before


def test_fallback_without_loop_signal_support(qloop, qtbot, monkeypatch) -> None:
    """Where the loop cannot watch signals (Windows), a Python handler does it."""
    def unsupported(*_args, **_kwargs):
        raise NotImplementedError

    monkeypatch.setattr(qloop, "add_signal_handler", unsupported)
    before = signal.getsignal(signal.SIGINT)
    requests: list[str] = []

    with quit_on_interrupt(qloop, lambda: requests.append("quit")):
        assert signal.getsignal(signal.SIGINT) is not before
        _interrupt_self(qtbot, requests)

    assert requests == ["quit"]
    assert signal.getsignal(signal.SIGINT) is before
