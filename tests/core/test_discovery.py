"""ModelCatalog with scripted providers: merging, failures, caching, refresh."""

from __future__ import annotations

import asyncio
import time

from app.core.discovery import ModelCatalog
from app.core.secrets import SecretError
from app.providers.base import ProviderError
from tests.support.discovery_helpers import FakeClock, Script, ScriptedFactory, config


def _catalog(configs, scripts, **kwargs):
    factory = ScriptedFactory(scripts)
    return ModelCatalog(configs, factory=factory, **kwargs), factory


def test_merges_providers_sorted_by_provider_then_model_and_reports_the_dead_one():
    configs = [config("zeta"), config("Alpha", kind="lmstudio"), config("dead")]
    catalog, factory = _catalog(configs, {
        "zeta": Script(models=["b-model", "A-model"]),
        "Alpha": Script(models=["m2", "m1"]),
        "dead": Script(delay=3600),
    }, timeout=0.3)

    started = time.monotonic()
    result = asyncio.run(catalog.get())
    elapsed = time.monotonic() - started

    assert [(m.provider, m.id) for m in result.models] == [
        ("Alpha", "m1"), ("Alpha", "m2"), ("zeta", "A-model"), ("zeta", "b-model")]
    assert list(result.errors) == ["dead"]
    report = result.errors["dead"]
    assert report.reachable is False and report.error_kind == "timeout"
    assert report.fix
    assert result.answered == ["zeta", "Alpha"]
    # The dead provider is bounded by its own timeout (0.3 s), not its
    # hour-long sleep; the margin is for a loaded machine.
    assert elapsed < 0.3 + 2.5
    assert all(p.closed for p in factory.built)


def test_providers_are_asked_concurrently():
    # Three providers that each take 1 s: one after the other that is at
    # least 3 s; asked together, about 1 s.
    names = ["slow-a", "slow-b", "slow-c"]
    catalog, factory = _catalog([config(n) for n in names] + [config("quick")], {
        **{n: Script(models=[f"{n}-model"], delay=1.0) for n in names},
        "quick": Script(models=["q"]),
    }, timeout=10)

    started = time.monotonic()
    result = asyncio.run(catalog.get())
    elapsed = time.monotonic() - started

    assert result.errors == {}
    assert sorted(m.id for m in result.models) == ["q", "slow-a-model", "slow-b-model",
                                                   "slow-c-model"]
    # Every provider was asked before the first slow one could have answered.
    starts = [p.list_started[0] for p in factory.built]
    assert max(starts) - min(starts) < 1.0
    assert elapsed < 2.2  # sequential: >= 3.0


def test_a_dead_provider_delays_the_merged_list_only_by_its_own_timeout():
    # Two dead providers with a 1 s timeout each, one that takes 0.8 s, one
    # instant. Sequentially: >= 2.8 s. Concurrently: the longest timeout, 1 s.
    catalog, factory = _catalog(
        [config("dead-1"), config("dead-2"), config("slow"), config("up")], {
            "dead-1": Script(delay=3600), "dead-2": Script(delay=3600),
            "slow": Script(models=["s"], delay=0.8), "up": Script(models=["u"]),
        }, timeout=10, timeouts={"dead-1": 1.0, "dead-2": 1.0})

    started = time.monotonic()
    result = asyncio.run(catalog.get())
    elapsed = time.monotonic() - started

    assert sorted(m.id for m in result.models) == ["s", "u"]
    assert {n: r.error_kind for n, r in result.errors.items()} == {
        "dead-1": "timeout", "dead-2": "timeout"}
    assert "1 s" in result.errors["dead-1"].message  # its own timeout, not the default 10 s
    assert elapsed >= 0.9  # the dead ones were waited for, up to their timeout...
    assert elapsed < 1.0 + 1.2  # ...and no longer (sequential: >= 2.8)
    assert all(p.closed for p in factory.built)


def test_a_provider_error_is_reported_with_message_and_fix_not_raised():
    catalog, _ = _catalog([config("up"), config("down")], {
        "up": Script(models=["x"]),
        "down": Script(error=ProviderError("unreachable", "cannot connect")),
    })
    result = asyncio.run(catalog.get())
    assert [m.id for m in result.models] == ["x"]
    report = result.errors["down"]
    assert report.error_kind == "unreachable"
    assert report.message == "Ollama is not running at http://127.0.0.1:11434"
    assert report.fix == "start it with `ollama serve`"


def test_a_missing_api_key_is_reported_not_raised():
    def factory(cfg, options=None):
        raise SecretError("the environment variable NOPE_KEY holding the API key is not set")

    cloud = config("cloud", kind="openai", base_url="https://api.openai.com/v1",
                   api_key_ref="env:NOPE_KEY", is_local=False)
    result = asyncio.run(ModelCatalog([cloud], factory=factory).get())
    assert result.models == []
    report = result.errors["cloud"]
    assert report.error_kind == "auth"
    assert "NOPE_KEY" in report.message and "NOPE_KEY" in report.fix


def test_disabled_providers_are_not_asked():
    catalog, factory = _catalog([config("on"), config("off", enabled=False)], {
        "on": Script(models=["a"]), "off": Script(models=["b"])})
    result = asyncio.run(catalog.get())
    assert [(m.provider, m.id) for m in result.models] == [("on", "a")]
    assert result.providers == ["on"]
    assert factory.builds_of("off") == 0


def test_answers_are_cached_for_the_ttl_and_refresh_asks_again():
    clock = FakeClock()
    scripts = {"p": Script(models=["one"])}
    catalog, factory = _catalog([config("p")], scripts, ttl=60, clock=clock)

    assert [m.id for m in asyncio.run(catalog.get()).models] == ["one"]
    scripts["p"].models = ["one", "two"]
    clock.advance(59)
    assert [m.id for m in asyncio.run(catalog.get()).models] == ["one"]
    assert factory.builds_of("p") == 1

    clock.advance(2)  # past the ttl
    assert [m.id for m in asyncio.run(catalog.get()).models] == ["one", "two"]
    assert factory.builds_of("p") == 2

    scripts["p"].models = ["three"]
    assert [m.id for m in asyncio.run(catalog.refresh()).models] == ["three"]
    assert factory.builds_of("p") == 3


def test_failures_are_cached_too_until_refresh():
    clock = FakeClock()
    scripts = {"p": Script(error=ProviderError("unreachable", "down"))}
    catalog, factory = _catalog([config("p")], scripts, clock=clock)
    assert "p" in asyncio.run(catalog.get()).errors
    scripts["p"].error = None
    scripts["p"].models = ["back"]
    assert "p" in asyncio.run(catalog.get()).errors
    result = asyncio.run(catalog.refresh("p"))
    assert result.errors == {} and [m.id for m in result.models] == ["back"]


def test_a_changed_configuration_is_a_cache_miss():
    clock = FakeClock()
    configs = [config("p")]
    catalog, factory = _catalog(lambda: configs, {"p": Script(models=["a"])}, clock=clock)
    asyncio.run(catalog.get())
    configs[0] = config("p", base_url="http://127.0.0.1:11500")
    asyncio.run(catalog.get())
    assert factory.builds_of("p") == 2


def test_one_provider_only_asks_that_provider():
    catalog, factory = _catalog([config("a"), config("b")], {
        "a": Script(models=["x"]), "b": Script(models=["y"])})
    result = asyncio.run(catalog.get("B"))
    assert [(m.provider, m.id) for m in result.models] == [("b", "y")]
    assert factory.builds_of("a") == 0


def test_exported_cache_keeps_successes_only_and_is_used_by_a_new_catalog():
    clock = FakeClock()
    scripts = {"ok": Script(models=["m"]), "bad": Script(error=ProviderError("server", "x"))}
    first, _ = _catalog([config("ok"), config("bad")], scripts, clock=clock)
    asyncio.run(first.get())
    exported = first.export_cache()
    assert list(exported) == ["ok"]

    second, factory = _catalog([config("ok"), config("bad")], scripts, clock=clock)
    second.import_cache({**exported, "junk": {"signature": 1}})
    result = asyncio.run(second.get())
    assert [m.id for m in result.models] == ["m"]
    assert factory.builds_of("ok") == 0  # served from the imported cache
    assert factory.builds_of("bad") == 1  # failures were not persisted


def test_an_async_config_source_is_awaited():
    async def configs():
        return [config("a")]

    catalog, _ = _catalog(configs, {"a": Script(models=["x"])})
    assert [m.id for m in asyncio.run(catalog.get()).models] == ["x"]
