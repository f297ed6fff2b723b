"""app.ops.attachments: the settings applied, the per-message limit, the
per-model vision switch saved to the settings file."""

from __future__ import annotations

from pathlib import Path

from app.ops import attachments
from app.ops.chats import drop_if_empty, start
from app.settings import load_settings
from app.store import Store
from app.domain import AgentSpec, Message
from tests.support.image_files import write_image


def test_settings_apply_and_the_limit_holds(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    settings.attachments.max_image_side = 100
    big = write_image(tmp_path / "big.png", (400, 200))
    notes = tmp_path / "n.md"
    notes.write_text("# Notes\n" + "z" * 5000)
    settings.attachments.max_document_chars = 1000
    attached, problems = attachments.attach_paths(settings, [big, notes])
    assert (attached[0].width, attached[0].height) == (100, 50) and problems == []
    assert len(attached[1].text) == 1000 and "trimmed" in attached[1].note
    more, refused = attachments.attach_paths(settings, [big], already=attachments.MAX_ATTACHMENTS)
    assert more == [] and "at most 16 files" in refused[0]


def test_the_vision_switch_is_saved(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert not attachments.model_sees_images(settings, "Studio", "Qwen-VL")
    attachments.set_model_vision(settings, "Studio", "Qwen-VL", True)
    again = load_settings(tmp_path)
    assert attachments.model_sees_images(again, "studio", "qwen-vl")
    attachments.set_model_vision(again, "studio", "qwen-vl", False)
    assert load_settings(tmp_path).attachments.vision_models == []


def test_an_empty_chat_is_dropped_and_a_used_one_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        agent = store.agents.create(AgentSpec(name="A"))
        empty, used = start(store, agent.id, "hi"), start(store, agent.id, "hello")
        store.messages.add(Message(conversation_id=used.id, role="user", content="hello"))
        assert drop_if_empty(store, empty.id) and not drop_if_empty(store, used.id)
        assert [c.id for c in store.conversations.list()] == [used.id]
