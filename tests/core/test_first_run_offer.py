"""The first run's pick of a server's chat model (CHAT_PICK_RULE) and its wording."""

from __future__ import annotations

from app.core.first_run_offer import (
    FirstRunOffer, ServerOffer, agent_name_for, best_chat_model, is_chat_model, size_text)
from app.core.local_probe import DetectedServer
from app.domain.chat import ModelInfo

GB = 1_000_000_000


def model(name: str, size: int | None = None, capabilities=(), loaded=None,
          base=None) -> ModelInfo:
    return ModelInfo(provider="Ollama", id=name, size_bytes=size,
                     capabilities=list(capabilities), loaded=loaded, base_model=base)


def test_no_models_or_only_base_and_embedding_models_give_no_pick():
    assert best_chat_model([]) is None
    assert best_chat_model([model("gemma3:270m-pt", base=True),
                            model("nomic-embed-text", capabilities=["embedding"]),
                            model("all-minilm-embed")]) is None


def test_tool_capable_model_is_preferred_over_a_larger_plain_one():
    picked = best_chat_model([model("big-plain", 8 * GB), model("small-tools", 2 * GB, ["tools"])],
                             memory_bytes=64 * GB)
    assert picked.id == "small-tools"


def test_a_model_too_big_for_this_memory_loses_to_one_that_fits():
    models = [model("huge", 40 * GB, ["tools"]), model("fits", 2 * GB)]
    assert best_chat_model(models, memory_bytes=16 * GB).id == "fits"
    # Unknown memory: nothing is ruled out, the tool-capable one wins.
    assert best_chat_model(models, memory_bytes=None).id == "huge"


def test_loaded_then_largest_then_server_order_break_ties():
    assert best_chat_model([model("a", 2 * GB), model("b", 2 * GB, loaded=True)]).id == "b"
    assert best_chat_model([model("a", 1 * GB), model("b", 3 * GB)]).id == "b"
    assert best_chat_model([model("first", 1 * GB), model("second", 1 * GB)]).id == "first"


def test_embedding_capability_alongside_completion_is_still_a_chat_model():
    assert is_chat_model(model("qwen3", capabilities=["completion", "embedding"]))
    assert not is_chat_model(model("bge", capabilities=["embedding"]))


def test_offer_without_a_chat_model_on_any_server_is_empty():
    server = DetectedServer("ollama", "http://127.0.0.1:11434", model_count=0)
    offer = FirstRunOffer(servers=[ServerOffer(server, None, 0)])
    assert offer.empty and offer.usable_servers == []
    assert offer.servers[0].server_name == "Ollama"


def test_wording():
    assert size_text(253_100_000) == "253 MB"
    assert size_text(1_120_000_000) == "1.1 GB"
    assert size_text(None) == "size unknown"
    assert agent_name_for("llama3.2:latest") == "Assistant (llama3.2:latest)"
