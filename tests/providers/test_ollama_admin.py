"""Ollama administration (app/providers/ollama_admin.py) against an in-test
Ollama speaking the documented pull/delete/show/tags format
(tests/providers/ollama_admin_server.py): pull with progress, an error line
mid-pull, a cut stream, a stream without success, an error status, cancel
closing the stream, bounds on lines and duration, delete (and its 404), show
with capabilities, and one session doing it all twice."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.providers.ollama_admin import (
    MAX_TEXT_CHARS,
    ModelNameError,
    NoSuchModel,
    OllamaAdmin,
    PullFailed,
    PullProgress,
)
from app.providers.ollama_admin import delete as delete_model
from app.providers.ollama_admin import pull as pull_model
from app.providers.ollama_admin import show as show_model
from tests.providers.fault_server import FaultServer, closed_port
from tests.providers.ollama_admin_server import MID_PULL_ERROR, OllamaLibraryServer

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1, backoff=0.01))
GEMMA = "gemma3:270m"


def run(coro):
    async def bounded():
        async with asyncio.timeout(30):
            return await coro
    return asyncio.run(bounded())


def pulled(server: OllamaLibraryServer, name: str = GEMMA, **kw) -> list[PullProgress]:
    seen: list[PullProgress] = []
    run(pull_model(server.url, name, seen.append, options=OPTIONS, **kw))
    return seen


# -- pull ---------------------------------------------------------------------------------
def test_a_pull_reports_every_line_and_ends_with_success() -> None:
    with OllamaLibraryServer() as server:
        assert GEMMA not in server.installed
        seen = pulled(server)
        layers = server.registry[GEMMA].layers()
        request = server.requests_to("/api/pull")[0]
    assert request.method == "POST" and request.json == {"model": GEMMA, "stream": True}
    statuses = [p.status for p in seen]
    assert statuses[0] == "pulling manifest"
    assert statuses[-4:] == ["verifying sha256 digest", "writing manifest",
                             "removing any unused layers", "success"]
    first_digest = layers[0][0]
    layer_lines = [p for p in seen if p.digest == first_digest]
    assert layer_lines[0].status == f"pulling {first_digest[7:19]}"
    assert layer_lines[0].completed is None and layer_lines[0].total == layers[0][1]
    assert layer_lines[-1].completed == layers[0][1]
    # The overall count grows over both layers (a layer's total is known when
    # Ollama starts it, so the share may dip then) and ends complete.
    counts = [p.overall_completed for p in seen]
    assert counts == sorted(counts) and seen[-1].fraction == 1.0
    assert seen[-1].overall_total == sum(size for _digest, size in layers)
    assert seen[-1].success


def test_a_pulled_model_is_then_listed_with_its_size_and_capabilities() -> None:
    with OllamaLibraryServer() as server:
        pulled(server)

        async def look() -> tuple[dict[str, int], object]:
            async with OllamaAdmin(server.url, options=OPTIONS) as admin:
                return await admin.sizes(), await admin.details(GEMMA)

        sizes, details = run(look())
    assert sizes[GEMMA] == server.registry[GEMMA].entry.size
    assert details.capabilities == ("completion",)
    assert details.size_bytes == server.registry[GEMMA].entry.size


def test_a_model_the_registry_does_not_have_is_an_error_line_after_the_manifest() -> None:
    with OllamaLibraryServer() as server:
        seen: list[PullProgress] = []
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, "no-such-model:1b", seen.append, options=OPTIONS))
        assert "no-such-model:1b" not in server.installed
    assert [p.status for p in seen] == ["pulling manifest"]
    assert caught.value.kind == "not_found"
    assert "pull model manifest: file does not exist" in str(caught.value)


def test_an_error_line_mid_pull_stops_it_with_the_servers_words() -> None:
    with OllamaLibraryServer() as server:
        server.inject("error-mid")
        seen: list[PullProgress] = []
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, seen.append, options=OPTIONS))
        assert GEMMA not in server.installed
    assert MID_PULL_ERROR in str(caught.value)
    assert caught.value.kind == "server"
    assert seen and not seen[-1].success and seen[-1].fraction < 1.0


def test_a_cut_stream_is_a_failed_pull_that_can_be_resumed() -> None:
    with OllamaLibraryServer() as server:
        server.inject("cut")
        seen: list[PullProgress] = []
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, seen.append, options=OPTIONS))
        assert "resumes" in str(caught.value)
        # Pulling again works (Ollama resumes on its side).
        again = pulled(server)
        assert again[-1].success and GEMMA in server.installed
    assert seen and 0 < (seen[-1].fraction or 0) < 1.0


def test_a_stream_that_ends_without_success_is_not_a_success() -> None:
    with OllamaLibraryServer() as server:
        server.inject("no-success")
        seen: list[PullProgress] = []
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, seen.append, options=OPTIONS))
    assert caught.value.kind == "protocol"
    assert "before it said success" in str(caught.value)
    assert seen[-1].status == "removing any unused layers"


def test_an_error_status_before_any_line_names_the_servers_message() -> None:
    with OllamaLibraryServer() as server:
        server.inject("500")
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, options=OPTIONS))
    assert caught.value.status == 500
    assert "llama runner process has terminated" in str(caught.value)


def test_an_unreachable_server_is_said_as_such() -> None:
    with pytest.raises(ProviderError) as caught:
        run(pull_model(f"http://127.0.0.1:{closed_port()}", GEMMA, options=OPTIONS))
    assert caught.value.kind == "unreachable"


def test_cancelling_a_pull_closes_the_stream() -> None:
    with OllamaLibraryServer(steps=400, delay=0.02) as server:
        async def scenario() -> list[PullProgress]:
            seen: list[PullProgress] = []
            started = asyncio.Event()

            def progress(p: PullProgress) -> None:
                seen.append(p)
                if p.digest:
                    started.set()

            task = asyncio.create_task(pull_model(server.url, GEMMA, progress,
                                                  options=OPTIONS))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return seen

        seen = run(scenario())
        deadline = time.monotonic() + 10
        while not server.disconnected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r.path for r in server.disconnected] == ["/api/pull"]
        assert GEMMA not in server.installed
    assert not seen[-1].success


def test_a_pull_longer_than_its_bound_is_stopped() -> None:
    with OllamaLibraryServer(steps=400, delay=0.02) as server:
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, options=OPTIONS, max_seconds=0.3))
    assert caught.value.kind == "limit"
    assert "the limit" in str(caught.value)


def _raw_pull_server(*lines: bytes) -> FaultServer:
    def handler(ex) -> None:
        ex.send_head(200, {"Content-Type": "application/x-ndjson"})
        for line in lines:
            ex.write(line)
        ex.end()
    return FaultServer().route("POST", "/api/pull", handler)


def test_a_huge_line_is_refused_not_held() -> None:
    huge = json.dumps({"status": "x" * (2 * 1024 * 1024)}).encode() + b"\n"
    with _raw_pull_server(b'{"status": "pulling manifest"}\n', huge) as server:
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, options=OPTIONS))
    assert "longer than 1 MB" in str(caught.value)


def test_server_text_stays_bounded_data() -> None:
    hostile = {"status": "<b>pulling</b> " + "y" * 5000, "digest": "z" * 5000,
               "total": -5, "completed": True}
    with _raw_pull_server(json.dumps(hostile).encode() + b"\n",
                          b'{"status": "success"}\n') as server:
        seen: list[PullProgress] = []
        run(pull_model(server.url, GEMMA, seen.append, options=OPTIONS))
    first = seen[0]
    assert first.status.startswith("<b>pulling</b> ") and len(first.status) == MAX_TEXT_CHARS
    assert len(first.digest or "") == MAX_TEXT_CHARS
    assert first.total is None and first.completed is None and first.fraction is None


def test_a_line_without_a_status_is_a_protocol_error() -> None:
    with _raw_pull_server(b'{"digest": "sha256:1"}\n') as server:
        with pytest.raises(PullFailed) as caught:
            run(pull_model(server.url, GEMMA, options=OPTIONS))
    assert caught.value.kind == "protocol"


@pytest.mark.parametrize("name", ["", "   ", "two words", "bad\x00name", "x" * 301])
def test_a_bad_name_is_refused_before_anything_is_sent(name: str) -> None:
    with OllamaLibraryServer() as server:
        with pytest.raises(ModelNameError):
            run(pull_model(server.url, name, options=OPTIONS))
        with pytest.raises(ModelNameError):
            run(delete_model(server.url, name, options=OPTIONS))
        assert server.requests == []


# -- delete and show --------------------------------------------------------------------------
def test_delete_removes_the_model_and_a_second_delete_says_there_is_none() -> None:
    with OllamaLibraryServer() as server:
        run(delete_model(server.url, "llava:7b", options=OPTIONS))
        assert "llava:7b" not in server.installed
        request = server.requests_to("/api/delete")[0]
        assert request.method == "DELETE" and request.json == {"model": "llava:7b"}
        with pytest.raises(NoSuchModel) as caught:
            run(delete_model(server.url, "llava:7b", options=OPTIONS))
    assert caught.value.kind == "not_found"
    assert "has no model named 'llava:7b'" in str(caught.value)


def test_show_gives_capabilities_parameters_quantization_context_and_size() -> None:
    with OllamaLibraryServer() as server:
        details = run(show_model(server.url, "qwen3:0.6b", options=OPTIONS))
        with pytest.raises(NoSuchModel):
            run(show_model(server.url, "missing:1b", options=OPTIONS))
    assert details.capabilities == ("completion", "tools", "thinking")
    assert (details.parameter_size, details.quantization) == ("751.63M", "Q4_K_M")
    assert details.context_length == 40_960 and details.size_bytes == 522_653_767
    assert details.family == "qwen3"


def test_models_lists_every_model_with_its_details() -> None:
    with OllamaLibraryServer() as server:
        async def listing():
            async with OllamaAdmin(server.url, options=OPTIONS) as admin:
                return await admin.models()
        models = {m.name: m for m in run(listing())}
    assert set(models) == {"llama3.2:latest", "llava:7b", "qwen3:0.6b"}
    assert models["llava:7b"].capabilities == ("completion", "vision")
    assert models["llama3.2:latest"].size_bytes == 2_019_393_189


def test_one_session_pulls_lists_deletes_and_pulls_again() -> None:
    """What a person does in one sitting with one admin object: pull, look,
    delete, look, pull the same model again."""
    with OllamaLibraryServer() as server:
        async def session() -> list[list[str]]:
            listings: list[list[str]] = []
            async with OllamaAdmin(server.url, options=OPTIONS) as admin:
                for _round in range(2):
                    last = await admin.pull(GEMMA)
                    assert last.success
                    listings.append(sorted(await admin.sizes()))
                    await admin.delete(GEMMA)
                    listings.append(sorted(await admin.sizes()))
            return listings

        listings = run(session())
    with_gemma = sorted(["llama3.2:latest", "llava:7b", "qwen3:0.6b", GEMMA])
    without = sorted(["llama3.2:latest", "llava:7b", "qwen3:0.6b"])
    assert listings == [with_gemma, without, with_gemma, without]
