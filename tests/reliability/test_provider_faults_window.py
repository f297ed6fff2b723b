"""Provider faults through the real window (issue 21): the real MainWindow,
driven with pytest-qt (keys typed into the composer), talks to a provider
that fails in each of the ways of ``provider_faults.FAULTS``, one after the
other in one conversation. For every fault:

- the reply shows an error bar that says what happened, and the composer
  takes the next message (the next fault is typed and sent through it; a
  good turn follows the last one);
- the user's message is stored, what arrived before the fault is kept as the
  reply's text (``partial``) and shown, every earlier message is unchanged;
- the event loop keeps turning: a 10 ms heartbeat (``LoopSampler``) measures
  the longest gap while each fault plays out (bounds: fault_window.py).

The ninth fault, the real server killed and restarted, is in
test_provider_faults_restart.py. Timeouts are short here
(``FAULT_SETTINGS``, in the data folder's settings file).
``AGENTDESK_RELIABILITY_LONG=1``: the eight faults ten times over (the count
is printed, ``-s``).
"""

from __future__ import annotations

import pytest

from app.settings import AppSettings
from tests.reliability.fault_window import (check_fault_turn, check_loop, first_turn,
                                            watched_turn, window_settings)
from tests.reliability.provider_faults import (GOOD, FaultyProvider, LoopSampler,
                                               fault_sequence, frozen_start_heap,
                                               marked, stored_path, went_on_losses)
from tests.support.reliability_summary import record, record_max
from tests.ui.conftest import aio, async_store, bridge, db_path, qloop  # noqa: F401 (fixtures)
from tests.ui.window_support import WAIT_MS, open_window, seed_llama


@pytest.fixture
def settings(tmp_path, monkeypatch) -> AppSettings:
    for name in ("AGENTDESK_DEFAULT_PROVIDER", "AGENTDESK_DEFAULT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return window_settings(tmp_path, short_timeouts=True)


def test_each_fault_shows_an_error_on_the_reply_and_loses_nothing(
        qtbot, bridge, db_path, settings) -> None:  # noqa: F811 (fixtures)
    provider = FaultyProvider()
    faults = fault_sequence()
    gaps: dict[str, tuple[float, float]] = {}      # per fault: the largest of its runs
    runs = losses = 0
    try:
        seed_llama(db_path, provider.base_url, max_tokens=32)
        window = open_window(qtbot, bridge, settings)
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
        cid = first_turn(qtbot, window, "Hello there.")
        assert [m.content for m in stored_path(db_path, cid)] == ["Hello there.", GOOD]

        with frozen_start_heap():
            for number, fault in enumerate(faults, 1):
                before = stored_path(db_path, cid)
                sent = marked(f"Question {number}.", fault.name)
                if fault.handler is None:
                    provider.refuse()
                sampler = LoopSampler()
                try:
                    watched_turn(qtbot, window, cid, sent, sampler)
                finally:
                    if fault.handler is None:
                        provider.come_back()
                runs += 1
                gap, cpu = gaps.get(fault.name, (0.0, 0.0))
                gaps[fault.name] = (max(gap, sampler.max_gap_ms), max(cpu, sampler.max_cpu_ms))
                losses += check_fault_turn(window, cid, before, sent, fault.expected,
                                           fault.partial)
                check_loop(fault.name, sampler)

        before = stored_path(db_path, cid)          # after every fault, the chat goes on
        watched_turn(qtbot, window, cid, "Still there?", LoopSampler())
        losses += went_on_losses(before, stored_path(db_path, cid), len(faults))
    finally:
        provider.close()
        print(f"window faults: {runs} injected; max loop gap / GUI-thread CPU in a gap, "
              "per fault (ms):", {k: (round(g, 1), round(c, 1)) for k, (g, c) in gaps.items()})
        record("provider faults", faults=runs, window_runs=runs, losses=losses)
        if gaps:
            record_max("provider faults", max_loop_gap_ms=max(g for g, _ in gaps.values()))
    assert losses == 0
