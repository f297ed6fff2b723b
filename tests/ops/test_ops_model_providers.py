"""app/ops/model_providers.py on a real Store: the provider looked up by name
(any case), refused when of another kind (nothing sent), its API key read
from the keyring and sent, pull/capabilities/delete through the in-test
Ollama, load/unload through the in-test LM Studio, and a resolved target used
for the network part (as the window does)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.core.secrets import SecretError
from app.domain import ProviderConfig
from app.ops import model_providers
from app.ops.model_providers import AdminTarget, WrongProviderKind
from app.ops.providers import save_provider
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.lmstudio_admin import LoadUnsupported
from app.providers.ollama_admin import NoSuchModel, PullFailed, PullProgress
from app.store import NotFoundError, Store
from tests.providers.lmstudio_admin_server import LMStudioV1Server
from tests.providers.lmstudio_server import LMStudioServer
from tests.providers.ollama_admin_server import OllamaLibraryServer
from tests.support.memory_keyring import MemoryKeyring, installed

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1, backoff=0.01))
GEMMA = "gemma3:270m"
QWEN_VL = "qwen/qwen3-vl-4b"
KEY = "sk-proxy-0123456789"


def run(coro):
    async def bounded():
        async with asyncio.timeout(30):
            return await coro
    return asyncio.run(bounded())


@pytest.fixture
def keys() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def ollama() -> Iterator[OllamaLibraryServer]:
    with OllamaLibraryServer() as server:
        yield server


def add(store: Store, name: str, kind: str, url: str, **extra) -> ProviderConfig:
    return save_provider(store, ProviderConfig(name=name, kind=kind, base_url=url), **extra)


def test_pull_capabilities_and_delete_through_a_stored_ollama(store: Store, ollama) -> None:
    add(store, "Home Ollama", "ollama", ollama.url + "/v1")   # the /v1 form people paste
    seen: list[PullProgress] = []
    run(model_providers.pull(store, "home ollama", GEMMA, seen.append, options=OPTIONS))
    assert seen[-1].success and GEMMA in ollama.installed

    details = run(model_providers.capabilities(store, "Home Ollama", GEMMA, options=OPTIONS))
    assert details.capabilities == ("completion",) and details.quantization == "Q8_0"
    assert details.size_bytes == ollama.registry[GEMMA].entry.size
    assert model_providers.describe_details(details).startswith(f"{GEMMA}: 291.6 MB, ")

    run(model_providers.delete(store, "Home Ollama", GEMMA, options=OPTIONS))
    assert GEMMA not in ollama.installed
    with pytest.raises(NoSuchModel):
        run(model_providers.delete(store, "Home Ollama", GEMMA, options=OPTIONS))


def test_every_ollama_model_with_its_details(store: Store, ollama) -> None:
    add(store, "ollama", "ollama", ollama.url)
    models = run(model_providers.ollama_models(store, "ollama", options=OPTIONS))
    assert {m.name: m.capabilities for m in models}["llava:7b"] == ("completion", "vision")


def test_a_provider_of_another_kind_is_refused_before_anything_is_sent(store: Store,
                                                                       ollama) -> None:
    add(store, "studio", "lmstudio", ollama.url)   # pointed at the Ollama on purpose
    add(store, "cloud", "openai", ollama.url)
    with pytest.raises(WrongProviderKind) as caught:
        run(model_providers.pull(store, "studio", GEMMA, options=OPTIONS))
    assert str(caught.value) == ("provider 'studio' is an LM Studio provider; this works "
                                 "with an Ollama provider only")
    with pytest.raises(WrongProviderKind, match="OpenAI-compatible"):
        run(model_providers.delete(store, "cloud", GEMMA, options=OPTIONS))
    with pytest.raises(WrongProviderKind, match="LM Studio provider only"):
        run(model_providers.load(store, "cloud", QWEN_VL, options=OPTIONS))
    assert ollama.requests == []


def test_an_unknown_provider_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        run(model_providers.pull(store, "nobody", GEMMA, options=OPTIONS))


def test_the_providers_key_is_read_from_the_keyring_and_sent(store: Store, ollama,
                                                            keys) -> None:
    add(store, "proxied", "ollama", ollama.url, api_key=KEY)
    run(model_providers.pull(store, "proxied", GEMMA, options=OPTIONS))
    request = ollama.requests_to("/api/pull")[0]
    assert request.headers.get("Authorization") == f"Bearer {KEY}"
    # The resolved target never shows the key in its repr (logs, tracebacks).
    assert KEY not in repr(model_providers.target(store, "proxied", "ollama"))


def test_a_key_that_cannot_be_read_stops_before_the_network(store: Store, ollama,
                                                            monkeypatch) -> None:
    monkeypatch.delenv("AGENTDESK_TEST_MISSING_KEY", raising=False)
    add(store, "envkey", "ollama", ollama.url, api_key_env="AGENTDESK_TEST_MISSING_KEY")
    with pytest.raises(SecretError):
        run(model_providers.pull(store, "envkey", GEMMA, options=OPTIONS))
    assert ollama.requests == []


def test_a_failed_pull_reaches_the_caller_with_the_servers_words(store: Store, ollama) -> None:
    add(store, "ollama", "ollama", ollama.url)
    ollama.inject("error-mid")
    with pytest.raises(PullFailed, match="max retries exceeded"):
        run(model_providers.pull(store, "ollama", GEMMA, options=OPTIONS))


def test_a_resolved_target_runs_without_the_store(store: Store, ollama) -> None:
    """The window resolves on its store worker, then pulls on the event loop."""
    add(store, "ollama", "ollama", ollama.url)
    resolved = model_providers.target(store, "OLLAMA", "ollama")
    assert resolved == AdminTarget(name="ollama", kind="ollama", base_url=ollama.url)
    store.close()
    run(model_providers.pull(resolved, None, GEMMA, options=OPTIONS))
    assert GEMMA in ollama.installed
    with pytest.raises(WrongProviderKind):
        run(model_providers.load(resolved, None, QWEN_VL, options=OPTIONS))


def test_load_and_unload_through_a_stored_lm_studio(store: Store) -> None:
    with LMStudioV1Server() as studio:
        add(store, "LM Studio", "lmstudio", studio.url + "/v1")
        listing = run(model_providers.lmstudio_models(store, "lm studio", options=OPTIONS))
        assert listing.can_load
        result = run(model_providers.load(store, "LM Studio", QWEN_VL, context_length=4096,
                                          options=OPTIONS))
        assert result.instance_id == QWEN_VL and studio.loaded()[QWEN_VL] == [QWEN_VL]
        assert run(model_providers.unload(store, "LM Studio", QWEN_VL,
                                          options=OPTIONS)) == [QWEN_VL]
        assert studio.loaded()[QWEN_VL] == []


def test_an_old_lm_studio_says_load_is_not_available(store: Store) -> None:
    with LMStudioServer() as studio:
        add(store, "old studio", "lmstudio", studio.url)
        listing = run(model_providers.lmstudio_models(store, "old studio", options=OPTIONS))
        with pytest.raises(LoadUnsupported, match="LM Studio 0.4.0"):
            run(model_providers.load(store, "old studio", "meta-llama-3.1-8b-instruct",
                                     options=OPTIONS))
    assert not listing.can_load and "lms load" in (listing.note or "")


def test_describe_pull_says_the_overall_bytes() -> None:
    line = PullProgress(status="pulling 6a0746a1ec1a", digest="sha256:6a0746a1ec1a",
                        total=2_000_000_000, completed=500_000_000,
                        overall_completed=500_000_000, overall_total=2_000_000_000)
    assert model_providers.describe_pull(line) == \
        "pulling 6a0746a1ec1a: 500.0 of 2,000.0 MB (25%)"
    assert model_providers.describe_pull(PullProgress(status="pulling manifest")) == \
        "pulling manifest"
