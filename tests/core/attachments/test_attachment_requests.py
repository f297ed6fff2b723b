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


def test_earlier_images_become_notes_and_the_rest_stays() -> None:
    from app.core.attachments.vision import without_images
    from app.domain import ChatMessage
    from app.domain.attachments import ChatImage
    messages = [ChatMessage(role="system", content="be brief"),
                ChatMessage(role="user", content="look", images=[
                    ChatImage(mime="image/png", data=b"x", name="a b.png"),
                    ChatImage(mime="image/png", data=b"y")]),
                ChatMessage(role="user", content="", images=[
                    ChatImage(mime="image/png", data=b"z", name="c.png")])]
    out = without_images(messages)
    assert out[0] is messages[0]
    assert out[1].images == [] and out[1].content == (
        "look\n\n[image omitted: a b.png; this model has no vision]\n"
        "[image omitted: an image; this model has no vision]")
    assert out[2].content == "[image omitted: c.png; this model has no vision]"
    assert len(messages[1].images) == 2                       # the input is not changed


def test_the_gate_leaves_images_out_per_candidate() -> None:
    import asyncio

    from app.core.attachments.agent_vision import VisionGate
    from app.core.routing import Candidate
    from app.domain import ChatMessage, ChatRequest
    from app.domain.attachments import ChatImage
    from app.settings import AppSettings

    listed: list[str] = []

    class Lister:
        def __init__(self, config: ProviderConfig) -> None:
            self.config = config

        async def list_models(self) -> list[ModelInfo]:
            listed.append(self.config.name)
            return [ModelInfo(provider="ol", id="llava:7b", capabilities=["vision"]),
                    ModelInfo(provider="ol", id="llama3.2", capabilities=["tools"])]

    request = ChatRequest(model="x", messages=[ChatMessage(role="user", content="hi", images=[
        ChatImage(mime="image/png", data=b"x", name="p.png")])])
    gate = VisionGate(AppSettings(), [], Lister)  # type: ignore[arg-type]

    async def go() -> list[ChatRequest]:
        return [await gate.prepare(Candidate(config, model, "primary"), request)
                for config, model in ((OLLAMA, "llava:7b"), (OLLAMA, "llama3.2"),
                                      (EMBEDDED, "gemma"))]

    seer, blind, engine = asyncio.run(go())
    assert seer is request
    assert blind.messages[0].images == [] and "p.png" in blind.messages[0].content
    assert engine.messages[0].images == []
    assert listed == ["ol"]                  # asked once per provider, never the engine
    assert gate.blind == ["ol/llama3.2", "here/gemma"]
