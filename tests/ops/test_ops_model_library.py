"""ops.model_library: the installed models and pulling a catalogue model, over a
loopback server serving the real GGUF (tests/support/gguf_server.py) and a
catalogue entry for it made by the test."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.core.models import catalogue, download_state, library
from app.core.models.library import LibraryError, ModelBusy
from app.domain import ProviderConfig
from app.domain.model_library import CatalogueEntry, DownloadProgress
from app.ops import model_catalogue, model_downloads
from app.ops import model_library as ops
from app.settings import AppSettings
from tests.support.download_helpers import MB, model_file, real_gguf, until  # noqa: F401
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.support.gguf_writer import write_gguf

ENTRY_ID = "loopback-gemma"


@pytest.fixture(autouse=True)
def no_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's assembled model in the user cache is not listed here."""
    monkeypatch.setattr(library, "bundled_model_files", lambda: [])


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    made = AppSettings()
    made.home = tmp_path / "data"
    made.home.mkdir()
    return made


def entry_for(server, filename: str = "loopback-gemma.gguf") -> CatalogueEntry:
    return CatalogueEntry(
        id=ENTRY_ID, name="Loopback Gemma", family="gemma", kind="chat", use_cases=["chat"],
        files=[model_file(server, filename)], context_length=32768, licence="test",
        ram_bytes=800_000_000, good_for="a pull from the test's server",
        sources=["built by the test"])


@pytest.fixture
def in_catalogue(monkeypatch: pytest.MonkeyPatch):
    """Add the test's entry to the shipped catalogue."""
    shipped = catalogue._shipped()

    def add(entry: CatalogueEntry) -> None:
        monkeypatch.setattr(catalogue, "_shipped", lambda: (*shipped, entry))

    return add


def test_pull_downloads_verifies_and_lists_the_model(settings, real_gguf, in_catalogue):
    seen: list[DownloadProgress] = []
    with gguf_server(real_gguf.path) as server:
        in_catalogue(entry_for(server))
        result = asyncio.run(ops.pull_catalogue(settings, ENTRY_ID, seen.append))
        again = asyncio.run(ops.pull_catalogue(settings, ENTRY_ID))
    folder = model_downloads.models_dir(settings)
    assert result.done and not result.already_installed
    assert result.paths == [folder / "loopback-gemma.gguf"]
    assert [p.state for p in result.files] == ["done"]
    assert seen[-1].state == "done" and seen[-1].received == real_gguf.size
    assert again.already_installed and again.done and len(server.requests) == 1
    (model,) = ops.installed(settings)
    assert (model.name, model.source, model.architecture) == ("loopback-gemma", "download",
                                                             "gemma3")
    assert ops.info(settings, "loopback-gemma").size_bytes == real_gguf.size
    assert not list((folder / download_state.STATE_FOLDER).glob("*.json"))


def test_an_interrupted_pull_keeps_its_part_and_the_next_pull_continues(
        settings, real_gguf, in_catalogue):
    folder = model_downloads.models_dir(settings)
    part = download_state.part_path(folder, "loopback-gemma.gguf")

    async def interrupted() -> None:
        task = asyncio.create_task(ops.pull_catalogue(settings, ENTRY_ID))
        await until(lambda: part.exists() and part.stat().st_size >= 5 * MB)
        task.cancel()                       # what Ctrl-C does to asyncio.run's task
        with pytest.raises(asyncio.CancelledError):
            await task

    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
        in_catalogue(entry_for(server))
        asyncio.run(interrupted())
        kept = part.stat().st_size
        (record,) = download_state.load_all(folder)
        assert record.state == "paused" and kept >= 5 * MB
        assert ops.installed(settings) == []                    # a part is never a model
        server.options.throttle_bps = None
        # the window's own download of another file is left to the window
        other = download_state.DownloadRecord(
            id="0123456789abcdef", filename="other.gguf", urls=[server.url], state="running")
        download_state.save(folder, other)
        result = asyncio.run(ops.pull_catalogue(settings, ENTRY_ID))
    assert result.done
    assert server.range_starts()[-1] >= kept                    # continued, not restarted
    assert len(server.requests) == 2
    assert not part.exists() and download_state.load_all(folder) == [other]
    assert [m.name for m in ops.installed(settings)] == ["loopback-gemma"]


def test_a_model_being_pulled_cannot_be_removed(settings, real_gguf, in_catalogue):
    folder = model_downloads.models_dir(settings)

    async def scenario() -> None:
        manager = model_downloads.open_manager(settings)
        task = asyncio.create_task(ops.pull_catalogue(settings, ENTRY_ID, manager=manager))
        await until(lambda: any(p.state == "running" for p in manager.progress()))
        with pytest.raises(ModelBusy):
            ops.remove(settings, "loopback-gemma")
        await task
        await manager.aclose()

    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=50 * MB)) as server:
        in_catalogue(entry_for(server))
        asyncio.run(scenario())
    assert ops.remove(settings, "loopback-gemma") == folder / "loopback-gemma.gguf"
    assert ops.installed(settings) == []


def test_pull_refuses_unknown_ids_and_the_bundled_package(settings, monkeypatch):
    with pytest.raises(model_catalogue.UnknownModelError):
        asyncio.run(ops.pull_catalogue(settings, "gpt-99"))
    monkeypatch.setattr(model_catalogue, "is_installed", lambda entry, names: False)
    with pytest.raises(LibraryError, match="comes with the app's 'local' extra"):
        asyncio.run(ops.pull_catalogue(settings, "gemma3-270m-base"))


def test_import_and_the_providers_using_a_model(settings, store, tmp_path):
    source = write_gguf(tmp_path / "mine.gguf", {"general.architecture": "llama"})
    model = ops.import_gguf(settings, source, "link")
    store.providers.create(ProviderConfig(name="Mine", kind="embedded", is_local=True,
                                          model_path=model.path))
    assert ops.providers_using(store, Path(model.path)) == ["Mine"]
    assert ops.providers_using(store, source) == []
    assert ops.remove(settings, "mine") == Path(model.path)
    assert source.exists()
