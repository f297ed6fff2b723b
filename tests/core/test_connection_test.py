"""The connection test with scripted providers: latency, metadata, failures."""

from __future__ import annotations

import asyncio

import pytest

from app.core import connection_test
from app.core.secrets import SecretError
from app.domain import ProbeResult
from app.providers.base import ProviderError
from tests.support.discovery_helpers import (
    FakeClock,
    Script,
    ScriptedFactory,
    ScriptedProvider,
    config,
)


def _provider(script: Script, cfg=None) -> ScriptedProvider:
    return ScriptedProvider(cfg or config("p"), None, script)


def test_latency_is_the_median_of_three_probes():
    clock = FakeClock()
    script = Script(probes=[ProbeResult(version="0.5.7", model_count=4)],
                    probe_costs=[0.010, 0.500, 0.040], clock=clock)
    provider = _provider(script)
    report = asyncio.run(connection_test.test_connection(provider, clock=clock))
    assert provider.probe_calls == 3
    assert report.reachable is True
    assert report.latency_ms == pytest.approx(40.0)
    assert report.version == "0.5.7"
    assert report.model_count == 4
    assert report.auth_ok is True
    assert report.error_kind is None


def test_model_count_comes_from_list_models_when_the_probe_does_not_say():
    provider = _provider(Script(probes=[ProbeResult()], models=["a", "b", "c"]))
    report = asyncio.run(connection_test.test_connection(provider))
    assert report.model_count == 3
    assert provider.list_calls == 1


def test_a_failing_probe_stops_at_once():
    provider = _provider(Script(probes=[ProviderError("unreachable", "cannot connect")]))
    report = asyncio.run(connection_test.test_connection(provider))
    assert provider.probe_calls == 1
    assert report.reachable is False and report.latency_ms is None


def test_a_hanging_probe_is_a_timeout():
    provider = _provider(Script(probes=[ProbeResult()], probe_delay=3600))
    report = asyncio.run(connection_test.test_connection(provider, timeout=0.2))
    assert report.reachable is False
    assert report.error_kind == "timeout"
    assert "did not answer in time" in report.message


OPENAI = dict(kind="openai", base_url="https://api.openai.com/v1", is_local=False)


@pytest.mark.parametrize("cfg, error, message, fix", [
    (config("o"), ProviderError("unreachable", "cannot connect"),
     "Ollama is not running at http://127.0.0.1:11434", "start it with `ollama serve`"),
    (config("l", kind="lmstudio", base_url="http://127.0.0.1:1234/v1"),
     ProviderError("unreachable", "cannot connect"),
     "LM Studio is not running at http://127.0.0.1:1234/v1",
     "start the local server in LM Studio (Developer tab) or `lms server start`"),
    (config("c", kind="llamacpp", base_url="http://127.0.0.1:8080/v1"),
     ProviderError("unreachable", "cannot connect"),
     "the llama.cpp server is not running at http://127.0.0.1:8080/v1",
     "start it with `llama-server -m MODEL.gguf --port 8080`"),
    (config("c", kind="llamacpp", base_url="http://127.0.0.1:9001/v1"),
     ProviderError("unreachable", "cannot connect"),
     "the llama.cpp server is not running at http://127.0.0.1:9001/v1",
     "start it with `llama-server -m MODEL.gguf --port 9001`"),
    (config("k", api_key_ref="env:OPENAI_API_KEY", **OPENAI),
     ProviderError("auth", "refused the API key (401)", status=401),
     "OpenAI at https://api.openai.com/v1 did not accept the API key "
     "(refused the API key (401))",
     "check the API key in the environment variable OPENAI_API_KEY"),
    (config("k", api_key_ref="keyring:provider:k", **OPENAI),
     ProviderError("auth", "refused", status=401),
     "OpenAI at https://api.openai.com/v1 did not accept the API key (refused)",
     "check the API key stored in your keyring; replace it with: "
     "agentdesk providers set-key k"),
    (config("k", **OPENAI), ProviderError("rate_limited", "slow down", retry_after=20),
     "OpenAI is rate-limiting requests (slow down)",
     "wait 20 s and try again; if it keeps happening, check your plan's limits"),
    (config("v", kind="openai", base_url="http://127.0.0.1:8000"),
     ProviderError("not_found", "404"),
     "http://127.0.0.1:8000 answered, but not as the OpenAI-compatible server expects "
     "(not found) (404)",
     "check the base URL: OpenAI-compatible servers usually end in /v1 "
     "(e.g. http://127.0.0.1:8080/v1)"),
    (config("r", kind="openai", base_url="https://no-such-host.invalid/v1", is_local=False),
     ProviderError("unreachable", "cannot connect"),
     "cannot reach the OpenAI-compatible server at https://no-such-host.invalid/v1",
     "check the URL (is the host name right?) and your network connection"),
])
def test_each_failure_has_plain_words_and_a_fix(cfg, error, message, fix):
    report = asyncio.run(connection_test.test_connection(
        _provider(Script(probes=[error]), cfg)))
    assert report.reachable is False
    assert report.provider == cfg.name
    assert report.error_kind == error.kind
    assert report.message == message
    assert report.fix == fix


@pytest.mark.parametrize("kind, words", [
    ("timeout", "raise the timeouts"),
    ("server", "server's log"),
    ("protocol", "check that the URL points at a server of kind 'ollama'"),
])
def test_other_kinds_have_a_fix_too(kind, words):
    report = asyncio.run(connection_test.test_connection(
        _provider(Script(probes=[ProviderError(kind, "detail text")]))))
    assert report.error_kind == kind
    assert "detail text" in report.message
    assert words in report.fix


def test_embedded_with_a_missing_model_file_says_choose_a_gguf_file(tmp_path):
    missing = tmp_path / "gone.gguf"
    cfg = config("e", kind="embedded", base_url="", model_path=str(missing))
    report = asyncio.run(connection_test.test_connection(
        _provider(Script(probes=[ProviderError("not_found", "no file")]), cfg)))
    assert report.message == f"the model file {missing} does not exist"
    assert report.fix.startswith("choose a GGUF file")


def test_check_provider_reports_a_missing_key_instead_of_raising():
    def factory(cfg, options=None):
        raise SecretError(f"no API key stored in the keyring for 'provider:{cfg.name}'")

    cfg = config("cloud", api_key_ref="keyring:provider:cloud", **OPENAI)
    report = asyncio.run(connection_test.check_provider(cfg, factory=factory))
    assert report.reachable is False and report.error_kind == "auth"
    assert "no API key stored" in report.message
    assert "agentdesk providers set-key cloud" in report.fix


def test_check_provider_closes_the_provider():
    factory = ScriptedFactory({"p": Script(probes=[ProbeResult(model_count=1)])})
    report = asyncio.run(connection_test.check_provider(config("p"), factory=factory))
    assert report.reachable is True
    assert [p.closed for p in factory.built] == [True]
