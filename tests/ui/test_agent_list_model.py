"""AgentListModel against a real store: loading, and minimal updates on notices."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt
from ui_helpers import names, seed_agents

from app.domain import AgentSpec
from app.services.store_bridge import StoreBridge
from app.store import AsyncStore, Store
from app.ui.agent_list_model import AgentListModel

WAIT_MS = 5000


class ModelSpy:
    """Records the structural signals a model emits."""

    def __init__(self, model: AgentListModel) -> None:
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.moved: list[tuple[int, int, int]] = []
        self.changed: list[tuple[int, int]] = []
        self.resets = 0
        model.rowsInserted.connect(lambda _p, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.removed.append((first, last)))
        model.rowsMoved.connect(
            lambda _p, start, _end, _d, row: self.moved.append((start, _end, row)))
        model.dataChanged.connect(
            lambda top, bottom, *_: self.changed.append((top.row(), bottom.row())))
        model.modelReset.connect(self._reset)

    def _reset(self) -> None:
        self.resets += 1


def create(aio, store: AsyncStore, name: str, **fields) -> AgentSpec:
    return aio.run(store.run(lambda s: s.agents.create(AgentSpec(name=name, **fields))))


def test_lists_agents_created_before_it_existed_sorted_case_insensitively(
        aio, bridge: StoreBridge, db_path, qtbot) -> None:
    given = ["beta", "Alpha", "gamma", "Épée", "delta"]
    created = seed_agents(db_path, [AgentSpec(name=n, provider="ollama", model=f"m-{n}")
                                    for n in given])
    model = AgentListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.reload()

    assert names(model) == sorted(given, key=str.casefold)
    by_name = {spec.name: spec for spec in created}
    for row in range(model.rowCount()):
        index = model.index(row)
        spec = by_name[index.data()]
        assert index.data(AgentListModel.AgentIdRole) == spec.id
        assert index.data(AgentListModel.AgentRole).id == spec.id
        tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
        assert "ollama" in tooltip and spec.model in tooltip


def test_agent_created_while_open_is_inserted_not_reset(
        aio, async_store, model: AgentListModel, qtbot) -> None:
    create(aio, async_store, "Bravo")
    create(aio, async_store, "Delta")
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    spy = ModelSpy(model)

    create(aio, async_store, "charlie")
    qtbot.waitUntil(lambda: "charlie" in names(model), timeout=WAIT_MS)

    assert names(model) == ["Bravo", "charlie", "Delta"]
    assert spy.inserted == [(1, 1)]
    assert spy.resets == 0 and spy.removed == []


def test_rename_in_place_emits_data_changed(aio, async_store, model, qtbot) -> None:
    first = create(aio, async_store, "Alpha")
    create(aio, async_store, "Zulu")
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    spy = ModelSpy(model)

    aio.run(async_store.run(
        lambda s: s.agents.update(first.model_copy(update={"name": "Alpine"}))))
    qtbot.waitUntil(lambda: "Alpine" in names(model), timeout=WAIT_MS)

    assert names(model) == ["Alpine", "Zulu"]
    assert spy.changed == [(0, 0)]
    assert spy.resets == 0 and spy.inserted == [] and spy.removed == [] and spy.moved == []


def test_rename_that_changes_the_order_moves_the_row(aio, async_store, model, qtbot) -> None:
    first = create(aio, async_store, "Alpha")
    create(aio, async_store, "Mike")
    create(aio, async_store, "Zulu")
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    spy = ModelSpy(model)

    aio.run(async_store.run(
        lambda s: s.agents.update(first.model_copy(update={"name": "Yankee"}))))
    qtbot.waitUntil(lambda: "Yankee" in names(model), timeout=WAIT_MS)

    assert names(model) == ["Mike", "Yankee", "Zulu"]
    assert len(spy.moved) == 1 and spy.moved[0][0] == 0
    assert (1, 1) in spy.changed
    assert spy.resets == 0 and spy.inserted == [] and spy.removed == []


def test_provider_change_updates_tooltip(aio, async_store, model, qtbot) -> None:
    spec = create(aio, async_store, "Solo", provider="ollama", model="llama3")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)

    aio.run(async_store.run(lambda s: s.agents.update(
        spec.model_copy(update={"provider": "lmstudio", "model": "qwen"}))))
    tooltip = lambda: model.index(0).data(Qt.ItemDataRole.ToolTipRole)  # noqa: E731
    qtbot.waitUntil(lambda: "lmstudio" in tooltip(), timeout=WAIT_MS)
    assert "qwen" in tooltip()


def test_delete_removes_only_that_row(aio, async_store, model, qtbot) -> None:
    create(aio, async_store, "Alpha")
    doomed = create(aio, async_store, "Bravo")
    create(aio, async_store, "Charlie")
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    spy = ModelSpy(model)

    aio.run(async_store.run(lambda s: s.agents.delete(doomed.id)))
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)

    assert names(model) == ["Alpha", "Charlie"]
    assert spy.removed == [(1, 1)]
    assert spy.resets == 0 and spy.inserted == []


def test_other_entities_leave_the_list_alone(aio, async_store, model, qtbot) -> None:
    agent = create(aio, async_store, "Alpha")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    spy = ModelSpy(model)

    aio.run(async_store.run(
        lambda s: s.conversations.create(agent.id, "hi")))
    create(aio, async_store, "Sentinel")  # notices are applied in order
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)

    assert spy.changed == [] and spy.removed == [] and spy.resets == 0


def test_burst_of_writes_ends_in_the_stores_order(aio, async_store, model, qtbot) -> None:
    """Notices arrive while earlier fetches are still running; the end state
    must still match the store exactly (no resurrected or missing agents)."""
    rng = random.Random(7)

    def churn(store: Store) -> None:
        alive: list[AgentSpec] = []
        for step in range(60):
            action = rng.random()
            if action < 0.5 or not alive:
                alive.append(store.agents.create(AgentSpec(name=f"agent {step}")))
            elif action < 0.8:
                victim = alive.pop(rng.randrange(len(alive)))
                store.agents.delete(victim.id)
            else:
                index = rng.randrange(len(alive))
                alive[index] = store.agents.update(
                    alive[index].model_copy(update={"name": f"renamed {step}"}))

    aio.run(async_store.run(churn))
    expected = [a.name for a in aio.run(async_store.run(lambda s: s.agents.list()))]
    create(aio, async_store, "~sentinel")
    qtbot.waitUntil(lambda: "~sentinel" in names(model), timeout=WAIT_MS)

    assert names(model) == sorted(expected + ["~sentinel"], key=str.casefold)
