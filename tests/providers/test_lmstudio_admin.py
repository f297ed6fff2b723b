"""LM Studio administration (app/providers/lmstudio_admin.py): the v1 model
list with loaded instances, load (never a second instance), unload by key or
instance, and an LM Studio before 0.4.0 (v0 only) where load/unload are said
to be unavailable instead of tried."""

from __future__ import annotations

import asyncio

import pytest

from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.lmstudio_admin import (
    NO_LOAD_NOTE,
    LMStudioAdmin,
    LMStudioAdminError,
    LoadUnsupported,
)
from tests.providers.lmstudio_admin_server import LMStudioV1Server
from tests.providers.lmstudio_server import LMStudioServer

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1, backoff=0.01))
QWEN = "qwen/qwen3-vl-4b"
GEMMA = "gemma-3-270m-it-qat"


def run(url: str, work):
    async def scenario():
        async with asyncio.timeout(30):
            async with LMStudioAdmin(url + "/v1", options=OPTIONS) as admin:
                return await work(admin)
    return asyncio.run(scenario())


def test_v1_lists_models_with_loaded_instances_and_capabilities() -> None:
    with LMStudioV1Server() as studio:
        listing = run(studio.url, lambda admin: admin.models())
    assert listing.can_load and listing.note is None
    models = {m.key: m for m in listing.models}
    assert set(models) == {GEMMA, QWEN, "text-embedding-nomic-embed-text-v1.5-embedding"}
    assert models[GEMMA].loaded and models[GEMMA].loaded_instances == (GEMMA,)
    assert models[QWEN].loaded is False and models[QWEN].capabilities == ("vision", "tools")
    assert models[QWEN].quantization == "Q4_K_M" and models[QWEN].size_bytes == 3_300_000_000
    assert models[QWEN].max_context_length == 262144
    assert models["text-embedding-nomic-embed-text-v1.5-embedding"].type == "embedding"


def test_load_sends_the_documented_body_and_is_seen_loaded() -> None:
    with LMStudioV1Server() as studio:
        async def work(admin):
            result = await admin.load(QWEN, context_length=8192)
            return result, await admin.models()
        result, listing = run(studio.url, work)
        body = studio.requests_to("/api/v1/models/load")[0].json
    assert body == {"model": QWEN, "config": {"context_length": 8192}}
    assert result.instance_id == QWEN and not result.already_loaded
    assert result.context_length == 8192 and result.load_time_seconds == 1.25
    assert {m.key: m.loaded for m in listing.models}[QWEN] is True


def test_loading_a_loaded_model_does_not_load_a_second_instance() -> None:
    with LMStudioV1Server() as studio:
        result = run(studio.url, lambda admin: admin.load(GEMMA))
        assert studio.requests_to("/api/v1/models/load") == []
        assert studio.loaded()[GEMMA] == [GEMMA]
    assert result.already_loaded and result.instance_id == GEMMA


def test_unload_by_key_or_instance_and_an_unknown_name() -> None:
    with LMStudioV1Server() as studio:
        async def work(admin):
            await admin.load(QWEN)
            by_key = await admin.unload(GEMMA)
            by_instance = await admin.unload(QWEN)
            with pytest.raises(LMStudioAdminError) as caught:
                await admin.unload(QWEN)
            return by_key, by_instance, caught.value
        by_key, by_instance, error = run(studio.url, work)
        bodies = [r.json for r in studio.requests_to("/api/v1/models/unload")]
        assert studio.loaded() == {k: [] for k in studio.loaded()}
    assert by_key == [GEMMA] and by_instance == [QWEN]
    assert bodies == [{"instance_id": GEMMA}, {"instance_id": QWEN}]
    assert error.kind == "not_found" and "no loaded model or instance" in str(error)


def test_loading_a_model_it_does_not_have_sends_nothing() -> None:
    with LMStudioV1Server() as studio:
        with pytest.raises(LMStudioAdminError) as caught:
            run(studio.url, lambda admin: admin.load("nope/missing"))
        assert studio.requests_to("/api/v1/models/load") == []
    assert caught.value.kind == "not_found"


@pytest.mark.parametrize("unknown_status", [200, 404])
def test_before_0_4_the_list_comes_from_v0_and_load_is_said_unavailable(
        unknown_status: int) -> None:
    """LM Studio before 0.4.0 answers /api/v1 with 'Unexpected endpoint'
    (200 or 404 by version): no load is attempted, the note says why."""
    with LMStudioServer(unknown_status=unknown_status) as studio:
        listing = run(studio.url, lambda admin: admin.models())
        with pytest.raises(LoadUnsupported) as load_error:
            run(studio.url, lambda admin: admin.load("meta-llama-3.1-8b-instruct"))
        with pytest.raises(LoadUnsupported):
            run(studio.url, lambda admin: admin.unload("meta-llama-3.1-8b-instruct"))
        posted = [r for r in studio.requests if r.method == "POST"]
    assert not listing.can_load and listing.note == NO_LOAD_NOTE
    loaded = {m.key: m.loaded for m in listing.models}
    assert loaded["meta-llama-3.1-8b-instruct"] is True
    assert loaded["qwen2-vl-7b-instruct"] is False
    assert "LM Studio 0.4.0" in str(load_error.value)
    assert posted == []


def test_a_server_with_neither_api_says_so() -> None:
    with LMStudioServer(native_api=False) as studio:
        with pytest.raises(LMStudioAdminError) as caught:
            run(studio.url, lambda admin: admin.models())
    assert "neither REST API v1 nor v0" in str(caught.value)


def test_one_session_loads_unloads_and_loads_again() -> None:
    with LMStudioV1Server() as studio:
        async def work(admin):
            states = []
            for _round in range(2):
                await admin.load(QWEN)
                states.append({m.key: m.loaded for m in (await admin.models()).models}[QWEN])
                await admin.unload(QWEN)
                states.append({m.key: m.loaded for m in (await admin.models()).models}[QWEN])
            return states
        states = run(studio.url, work)
    assert states == [True, False, True, False]


def test_unload_by_key_takes_every_instance_and_an_instance_id_only_its_own() -> None:
    """LM Studio names a model's first instance after its key: the key still
    means every instance of the model."""
    with LMStudioV1Server() as studio:
        studio.model(QWEN)["loaded_instances"] = [
            {"id": QWEN, "config": {}}, {"id": f"{QWEN}:2", "config": {}},
            {"id": f"{QWEN}:3", "config": {}}]

        async def work(admin):
            one = await admin.unload(f"{QWEN}:3")
            rest = await admin.unload(QWEN)
            return one, rest
        one, rest = run(studio.url, work)
        assert studio.loaded()[QWEN] == []
    assert one == [f"{QWEN}:3"] and rest == [QWEN, f"{QWEN}:2"]
