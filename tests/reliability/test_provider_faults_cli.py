"""Provider faults through the headless CLI (issue 21): ``agentdesk chat`` as
its own process, continuing one conversation (``--conversation``) through
each fault of ``provider_faults.FAULTS``. For every fault: exit code 1,
exactly one line on stderr that says what happened (no traceback), the text
that arrived before the fault printed on stdout and kept as the reply
(``partial``), the user's message stored, every earlier message unchanged;
after the last fault the next turn works.

The ninth fault, the real server killed and restarted, is in
test_provider_faults_restart.py. Timeouts are short here
(``FAULT_SETTINGS``, in the data folder's settings file).
``AGENTDESK_RELIABILITY_LONG=1``: the eight faults ten times over (the count
is printed, ``-s``).
"""

from __future__ import annotations

from pathlib import Path

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from tests.reliability.fault_cli import chat, check_failed_run, check_kept, first_turn
from tests.reliability.provider_faults import (GOOD, FaultyProvider, fault_sequence,
                                               marked, stored_path, went_on_losses,
                                               write_fault_settings)
from tests.support.reliability_summary import record


def seed(home: Path, base_url: str) -> None:
    write_fault_settings(home)
    with Store.in_folder(home) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=base_url, is_local=True))
        store.agents.create(AgentSpec(name="Gemma", provider="llama", model="gemma3",
                                      max_tokens=32, temperature=0.2))


def test_each_fault_exits_with_one_clear_line_and_loses_nothing(tmp_path: Path) -> None:
    provider = FaultyProvider()
    home = tmp_path / "home"
    db = home / "agentdesk.db"
    faults = fault_sequence()
    runs = losses = 0
    try:
        seed(home, provider.base_url)
        cid = first_turn(home, "Hello there.")
        assert [m.content for m in stored_path(db, cid)] == ["Hello there.", GOOD]
        for number, fault in enumerate(faults, 1):
            before = stored_path(db, cid)
            sent = marked(f"Question {number}.", fault.name)
            if fault.handler is None:
                provider.refuse()
            try:
                done = chat(home, sent, cid)
            finally:
                if fault.handler is None:
                    provider.come_back()
            runs += 1
            check_failed_run(done.returncode, done.stdout, done.stderr, fault.expected)
            losses += check_kept(home, cid, before, sent, done.stdout, fault.partial)

        before = stored_path(db, cid)
        done = chat(home, "Still there?", cid)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        losses += went_on_losses(before, stored_path(db, cid), len(faults))
    finally:
        provider.close()
        print(f"cli faults: {runs} injected, {losses} losses")
        record("provider faults", faults=runs, cli_runs=runs, losses=losses)
    assert losses == 0
