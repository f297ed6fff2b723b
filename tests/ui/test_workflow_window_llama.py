"""One run of each workflow kind from the window against the REAL llama.cpp
server (Gemma 3 270M): chain and parallel from the dialog's Run, hand-off
too; each step streams into the chat view under its agent, with its model
and usage. The model is tiny: protocol and behaviour, never wording."""

from __future__ import annotations

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from tests.ui.window_support import REPLY_MS, open_window
from tests.ui.workflow_support import fill, open_dialog, run_from_dialog, seed, speakers

WAIT_MS = 5000


def test_each_kind_runs_from_the_window(aio, qtbot, bridge, settings, db_path, llama_server):
    provider = ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url,
                              is_local=True)
    agents = [AgentSpec(name=name, provider="llama", model=llama_server.model, max_tokens=10,
                        temperature=0.0, system_prompt=f"You are {name}.")
              for name in ("Writer", "Reader", "Merger")]
    seed(db_path, [provider], agents)
    window = open_window(qtbot, bridge, settings)
    finished: list = []
    window.workflow_runs.sig_finished.connect(lambda cid, end: finished.append(end))
    kinds = [("Pipe", "chain", ["Writer", "Reader"], None),
             ("Desk", "handoff", ["Writer", "Reader"], None),
             ("Panel", "parallel", ["Writer", "Reader"], "Merger")]
    for number, (name, kind, names, synthesis) in enumerate(kinds, start=1):
        dialog = open_dialog(qtbot, window)
        fill(dialog, name, kind, names, synthesis=synthesis, depth=1)
        conversation_id = run_from_dialog(qtbot, window, dialog, "The sky is")
        qtbot.waitUntil(lambda n=number: len(finished) == n, timeout=REPLY_MS)
        end = finished[-1]
        assert end is not None and end.status == "complete", end
        qtbot.waitUntil(lambda: not window.controller.loading, timeout=WAIT_MS)
        with Store(db_path) as store:
            stored = store.messages.all(conversation_id)
        replies = [m for m in stored if m.role == "assistant"]
        assert replies and all(m.status == "complete" for m in replies)
        assert all(m.model == "gemma3" and m.usage and m.usage.completion_tokens
                   for m in replies)
        shown = speakers(window)
        spoke = [m.meta["workflow"]["agent"] for m in replies]
        if kind == "chain":
            assert spoke == ["Writer", "Reader"]
        elif kind == "parallel":
            assert sorted(spoke[:2]) == ["Reader", "Writer"] and spoke[2] == "Merger"
        else:
            assert spoke[0] == "Writer" and set(spoke) <= {"Writer", "Reader"}
        assert [s.split(" · ")[0] for s in shown if " · step " in s] == spoke
        assert window.chat_view.message_widget(replies[-1].id).footer.text()
