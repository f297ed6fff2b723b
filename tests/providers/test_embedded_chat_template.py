"""The embedded engine writes prompts with each model's own chat template
(GGUF ``tokenizer.chat_template``), and a model without one is a base model.

Two real files: a GGUF written here (header + metadata with a chat template,
no tensors, so llama.cpp itself is replaced by a small stand-in that reads the
same file) and the bundled Gemma 3 270M (a base model: no template), loaded by
the real engine.
"""

from __future__ import annotations

import asyncio
import types
from pathlib import Path

import pytest

from app.domain import ChatMessage, ChatRequest
from app.domain.chat import BASE_MODEL_NOTE
from app.providers import embedded_engine
from app.providers.embedded import chat_kwargs
from app.providers.embedded_chat import TEMPLATE_FORMAT, chat_setup
from app.providers.embedded_engine import Engine, acquire_engine, release_engine
from app.providers.gguf_file import chat_template, instruction_tuned, read_metadata
from tests.providers.embedded_helpers import provider_for
from tests.support.gguf_writer import write_gguf
from tests.support.llama_server import gemma_model_path

TEMPLATE = ("{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}"
            "{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}")
TOKENS = ["<pad>", "</s>", "<s>"]  # ids 0, 1 (eos), 2 (bos)
MESSAGES = [{"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi there"}]
RENDERED = "<s>[system] Be brief.</s>[user] Hi there</s>[assistant] "


@pytest.fixture
def templated_gguf(tmp_path: Path) -> Path:
    return write_gguf(tmp_path / "tiny-chat-instruct-q8_0.gguf", {
        "general.architecture": "llama",
        "general.name": "Tiny Chat",
        "general.finetune": "Instruct",
        "llama.context_length": 2048,
        "general.file_type": 7,
        "tokenizer.ggml.tokens": TOKENS,
        "tokenizer.ggml.eos_token_id": 1,
        "tokenizer.ggml.bos_token_id": 2,
        "tokenizer.chat_template": TEMPLATE,
    })


class FileLlama:
    """Stands in for ``llama_cpp.Llama`` on a tensor-less GGUF: its metadata
    is read from the file and given as strings, as llama.cpp gives them."""

    def __init__(self, model_path: str, **_options) -> None:
        self.metadata = {k: str(v) for k, v in read_metadata(model_path).items()}
        self.chat_format: str | None = None
        self.chat_handler = None
        self._model = types.SimpleNamespace(token_get_text=TOKENS.__getitem__)

    def token_eos(self) -> int:
        return int(self.metadata["tokenizer.ggml.eos_token_id"])

    def token_bos(self) -> int:
        return int(self.metadata["tokenizer.ggml.bos_token_id"])

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[bytes]:
        return text.split()

    def close(self) -> None:
        """Nothing to free."""


def test_the_metadata_reader_finds_the_template_and_an_instruction_tuned_model(
        templated_gguf):
    metadata = read_metadata(templated_gguf)
    assert chat_template(metadata) == TEMPLATE
    assert instruction_tuned(metadata, templated_gguf.stem) is True
    assert metadata["llama.context_length"] == 2048  # read past the token array


def test_the_engine_loads_a_templated_model_with_its_own_template(templated_gguf,
                                                                  monkeypatch):
    monkeypatch.setattr(embedded_engine, "import_llama_cpp",
                        lambda: types.SimpleNamespace(Llama=FileLlama))
    engine = Engine(templated_gguf, 2048)
    engine.ensure_loaded()

    assert engine.chat_format == TEMPLATE_FORMAT
    assert engine.formatter(messages=MESSAGES).prompt == RENDERED
    assert engine.llama.chat_handler is not None  # replies go through that template
    assert engine.count_prompt_tokens(MESSAGES, None) == len(RENDERED.split())


def test_with_a_template_the_system_prompt_stays_its_own_message(templated_gguf):
    request = ChatRequest(model="tiny", messages=[
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi there")])
    messages = chat_kwargs(request, TEMPLATE_FORMAT)["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    _format, formatter = chat_setup(read_metadata(templated_gguf), 1, 2, TOKENS.__getitem__)
    assert formatter(messages=messages).prompt == RENDERED


def test_a_template_that_does_not_compile_falls_back_to_a_built_in_format():
    chat_format, formatter = chat_setup(
        {"general.architecture": "qwen2", "tokenizer.chat_template": "{% for %}"},
        1, 2, TOKENS.__getitem__)
    assert (chat_format, formatter) == ("chatml", None)


@pytest.mark.parametrize(("metadata", "stem", "tuned"), [
    ({}, "gemma-3-270m-it-q4_k_m", False),               # no template: base
    ({"general.finetune": "it"}, "x", True),
    ({"general.name": "Qwen2.5 7B"}, "qwen2.5-7b-base-q4_k_m", False),
    ({"general.finetune": "pt"}, "gemma-3-1b-pt", False),
    ({"general.name": "Llama 3.2 3B Instruct"}, "x", True),
    ({"general.name": "Some Model"}, "some-model", True),  # a template, no word against
])
def test_base_or_instruction_tuned_from_template_finetune_and_name(metadata, stem, tuned):
    if metadata or stem != "gemma-3-270m-it-q4_k_m":
        metadata = {**metadata, "tokenizer.chat_template": TEMPLATE}
    assert instruction_tuned(metadata, stem) is tuned


def test_the_bundled_model_is_a_base_model_with_the_gemma_format():
    path = gemma_model_path()
    metadata = read_metadata(path)
    assert chat_template(metadata) is None and instruction_tuned(metadata, path.stem) is False

    engine = acquire_engine(path.resolve(), 512)   # the real llama.cpp
    try:
        assert engine.chat_format == "gemma" and engine.formatter is None
        assert engine.count_prompt_tokens(MESSAGES, None) > 0
    finally:
        release_engine(engine)

    [info] = asyncio.run(provider_for(path).list_models())
    assert info.base_model is True and info.label.endswith(f"{BASE_MODEL_NOTE})")


def test_a_templated_model_is_listed_as_a_chat_model(templated_gguf):
    [info] = asyncio.run(provider_for(templated_gguf).list_models())
    assert info.base_model is False and BASE_MODEL_NOTE not in info.label
    assert (info.family, info.context_length, info.quantization) == ("llama", 2048, "Q8_0")
