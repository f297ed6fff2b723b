"""The user message a request carries, trimming to the context, and the
vision check."""

from __future__ import annotations

from app.core.attachments import fit_user_message, user_chat_message
from app.core.attachments.vision import check_vision
from app.domain import ModelInfo, ProviderConfig
from app.domain.attachments import Attachment

IMAGE = Attachment(kind="image", name="p.png", mime="image/png", data=b"\x89PNG fake")


def doc(name: str, length: int) -> Attachment:
    return Attachment(kind="document", name=name, mime="text", text="y" * length)


def test_documents_follow_the_text_and_images_go_beside_it() -> None:
    message = user_chat_message("Compare these", [doc("a.txt", 10), IMAGE])
    assert message.content.startswith("Compare these\n\n<document name=\"a.txt\">\n")
    assert message.content.endswith("y" * 10 + "\n</document>")
    assert [i.mime for i in message.images] == ["image/png"]
    assert message.images[0].data_url.startswith("data:image/png;base64,")


def test_documents_that_do_not_fit_are_cut_with_a_note_each() -> None:
    small, big = doc("small.txt", 400), doc("big.txt", 100_000)
    message, notes = fit_user_message("hi", [small, big], room_tokens=2_000)
    assert "y" * 400 in message.content                       # the short one stays whole
    assert len(message.content) <= 2_000 * 4
    assert len(notes) == 1
    assert notes[0].startswith("big.txt: only the first ") and "100,000" in notes[0]
    assert "left out to fit the model's context" in message.content


def test_nothing_is_cut_when_it_fits() -> None:
    _message, notes = fit_user_message("hi", [doc("a.txt", 100)], room_tokens=10_000)
    assert notes == []


OLLAMA = ProviderConfig(name="ol", kind="ollama", base_url="http://127.0.0.1:1")
COMPAT = ProviderConfig(name="vl", kind="openai", base_url="http://127.0.0.1:1/v1")
EMBEDDED = ProviderConfig(name="here", kind="embedded")


def test_vision_from_ollama_capabilities() -> None:
    llava = ModelInfo(provider="ol", id="llava:7b", capabilities=["completion", "vision"])
    llama = ModelInfo(provider="ol", id="llama3.2", capabilities=["completion", "tools"])
    assert check_vision(OLLAMA, "llava:7b", [llava], []).ok
    refused = check_vision(OLLAMA, "llama3.2", [llama], [])
    assert not refused.ok and "cannot read images" in refused.message


def test_an_unknown_model_needs_the_persons_switch() -> None:
    unknown = check_vision(COMPAT, "qwen-vl", [], [])
    assert not unknown.ok and '"vl/qwen-vl"' in unknown.message
    assert check_vision(COMPAT, "qwen-vl", [], ["VL/Qwen-VL"]).ok


def test_the_embedded_engine_says_it_cannot_read_images() -> None:
    verdict = check_vision(EMBEDDED, "gemma", [], [])
    assert not verdict.ok and "built-in engine" in verdict.message
