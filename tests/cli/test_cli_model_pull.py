"""agentdesk models pull|remove|import: a real pull of the GGUF from the package
index off a loopback server (tests/support/gguf_server.py) into a temporary
data folder, then list, info, remove; import by copy and by link; Ctrl-C in a
real process; pull and remove through an in-test Ollama."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.commands.model_pull import ProgressPrinter
from app.core.models import catalogue, download_state, library
from app.domain.model_library import CatalogueEntry, DownloadProgress
from tests.providers.ollama_admin_server import MID_PULL_ERROR, OllamaLibraryServer
from tests.support.download_helpers import MB, model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.support.gguf_writer import write_gguf

ENTRY_ID = "loopback-gemma"
FILENAME = "Loopback-Gemma-Q4_K_M.gguf"
NAME = "Loopback-Gemma-Q4_K_M"
ROOT = Path(__file__).resolve().parents[2]


def entry_for(url: str, sha256: str, size: int) -> CatalogueEntry:
    return CatalogueEntry.model_validate({
        "id": ENTRY_ID, "name": "Loopback Gemma", "family": "gemma", "kind": "chat",
        "use_cases": ["chat"], "files": [{"filename": FILENAME, "urls": [url],
                                          "sha256": sha256, "size_bytes": size}],
        "context_length": 32768, "licence": "test", "ram_bytes": 800_000_000,
        "good_for": "a pull from the test's server", "sources": ["built by the test"]})


@pytest.fixture(autouse=True)
def no_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's model assembled in the user cache is not listed here."""
    monkeypatch.setattr(library, "bundled_model_files", lambda: [])


@pytest.fixture
def in_catalogue(monkeypatch: pytest.MonkeyPatch):
    shipped = catalogue._shipped()

    def add(server, sha256: str | None = None) -> None:
        file = model_file(server, FILENAME)
        entry = entry_for(file.urls[0], sha256 or file.sha256, file.size_bytes)
        monkeypatch.setattr(catalogue, "_shipped", lambda: (*shipped, entry))

    return add


def _names(cli) -> dict[str, str]:
    return {m["name"]: m["source"] for m in cli("models", "list", "--json").json()["installed"]}


def test_a_whole_session_pull_list_info_remove_and_import(cli, home, real_gguf, in_catalogue,
                                                          tmp_path):
    models = home / "models"
    with gguf_server(real_gguf.path) as server:
        in_catalogue(server)
        pulled = cli("models", "pull", ENTRY_ID)
        again = cli("models", "pull", ENTRY_ID)
    assert pulled.code == 0, pulled.err
    assert f"{FILENAME}: done" in pulled.err                  # progress on stderr
    assert pulled.out == f"installed {models / FILENAME}\n"
    assert again.code == 0 and again.out.startswith(f"{ENTRY_ID} is already installed")
    assert len(server.requests) == 1

    listing = cli("models", "list")
    assert listing.code == 0, listing.err
    assert listing.out.splitlines()[1].split()[:3] == [NAME, "253", "MB"]
    info = cli("models", "info", NAME)
    assert info.code == 0, info.err
    for line in ("architecture:      gemma3", "quantization:      Q4_K_M",
                 "context:           32768", "source:            downloaded",
                 "instruction-tuned: no — a base model"):
        assert line in info.out, line
    assert cli("models", "info", str(models / FILENAME), "--json").json()["size_bytes"] == \
        real_gguf.size

    # import: a copy (the default) and a link, chosen by the person
    mine = write_gguf(tmp_path / "mine.gguf", {"general.architecture": "llama",
                                               "general.name": "Mine", "llama.context_length": 2048})
    copied = cli("models", "import", str(mine))
    assert copied.code == 0, copied.err
    assert copied.out.startswith("imported mine (copied)")
    linked = cli("models", "import", str(real_gguf.path), "--link", "--name", "gemma-link")
    assert linked.code == 0, linked.err
    assert (models / "gemma-link.gguf").is_symlink()
    assert _names(cli) == {"gemma-link": "import-link", NAME: "download", "mine": "import-copy"}
    clash = cli("models", "import", str(mine), "--copy")
    assert clash.code == 1 and "already has mine.gguf" in clash.error_line
    not_gguf = cli("models", "import", str(tmp_path))
    assert not_gguf.code == 1 and "no such file" in not_gguf.error_line
    both = cli("models", "import", str(mine), "--copy", "--link")
    assert both.code == 2

    # remove each; the linked file stays where it was
    assert cli("providers", "add", "on-mine", "--kind", "embedded",
               "--model-path", str(models / "mine.gguf")).code == 0
    for name in ("gemma-link", "mine"):
        removed = cli("models", "remove", name)
        assert removed.code == 0, removed.err
        assert removed.out.startswith("removed ")
    assert "provider 'on-mine' used this model file" in removed.err
    by_id = cli("models", "remove", ENTRY_ID, "--json")          # what `pull ID` brought
    assert by_id.code == 0, by_id.err
    assert by_id.json() == {"removed": [str(models / FILENAME)], "providers_using_it": []}
    assert real_gguf.path.stat().st_size == real_gguf.size and mine.exists()
    assert _names(cli) == {}
    gone = cli("models", "remove", NAME)
    assert gone.code == 1 and f"no installed model '{NAME}'" in gone.error_line
    again = cli("models", "remove", ENTRY_ID)
    assert again.code == 1 and f"{ENTRY_ID} is not installed" in again.error_line
    outside = cli("models", "remove", "../agentdesk.db")
    assert outside.code == 1 and "not a model name in the models folder" in outside.error_line
    assert (home / "agentdesk.db").exists()


def test_pull_json_and_a_wrong_checksum(cli, home, real_gguf, in_catalogue):
    with gguf_server(real_gguf.path) as server:
        in_catalogue(server, sha256="0" * 64)
        bad = cli("models", "pull", ENTRY_ID)
        assert bad.code == 1
        last = bad.err.splitlines()[-1]
        assert last.startswith("agentdesk: error: ") and "SHA-256" in last
        assert last.endswith(f"run `agentdesk models pull {ENTRY_ID}` to try again")
        assert _names(cli) == {} and not (home / "models" / FILENAME).exists()
        in_catalogue(server)
        good = cli("models", "pull", ENTRY_ID, "--json")
    assert good.code == 0, good.err
    data = good.json()
    assert data["done"] and data["paths"] == [str(home / "models" / FILENAME)]
    assert [f["state"] for f in data["files"]] == ["done"]
    unknown = cli("models", "pull", "gpt-99")
    assert unknown.code == 1 and "no catalogue model 'gpt-99'" in unknown.error_line


_CHILD = """
import sys
from app.core.models import catalogue
from app.domain.model_library import CatalogueEntry
entry = CatalogueEntry.model_validate_json(sys.argv[1])
shipped = catalogue._shipped()
catalogue._shipped = lambda: (*shipped, entry)
from app.cli import main
sys.exit(main(["models", "pull", entry.id]))
"""


def test_ctrl_c_keeps_the_part_and_the_next_pull_continues(cli, home, real_gguf,
                                                           in_catalogue):
    part = download_state.part_path(home / "models", FILENAME)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
        file = model_file(server, FILENAME)
        entry = entry_for(file.urls[0], file.sha256, file.size_bytes)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, entry.model_dump_json()], cwd=ROOT,
            env={**os.environ, "AGENTDESK_HOME": str(home)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120      # only turns a hang into a failure
            while not (part.exists() and part.stat().st_size >= 10 * MB):
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "the pull never started"
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)       # what Ctrl-C sends
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == 130, err
        assert "agentdesk: interrupted: the partial download is kept" in err
        assert f"run `agentdesk models pull {ENTRY_ID}` again to continue it" in err
        assert "Traceback" not in err
        kept = part.stat().st_size
        (record,) = download_state.load_all(home / "models")
        assert record.state == "paused"
        assert _names(cli) == {}                          # a part is never a model

        server.options.throttle_bps = None
        in_catalogue(server)
        result = cli("models", "pull", ENTRY_ID)
    assert result.code == 0, result.err
    assert server.range_starts()[-1] >= kept               # continued where it stopped
    assert _names(cli) == {NAME: "download"}
    assert download_state.load_all(home / "models") == [] and not part.exists()


def test_hostile_metadata_is_shown_not_obeyed(cli, home, tmp_path):
    evil = write_gguf(tmp_path / "evil.gguf", {"general.architecture": "llama",
                                               "general.name": "Nice\x1b[2J\x1b]52;c;AAAA\x07"})
    imported = cli("models", "import", str(evil))
    assert imported.code == 0, imported.err
    info = cli("models", "info", "evil")
    assert "\x1b" not in imported.out + info.out and "\x07" not in info.out
    assert "model name:        Nice\\x1b[2J\\x1b]52;c;AAAA\\x07" in info.out
    assert cli("models", "info", "evil", "--json").json()["model_name"] == \
        "Nice\x1b[2J\x1b]52;c;AAAA\x07"


def test_pull_and_remove_through_an_ollama_provider(cli):
    with OllamaLibraryServer() as ollama:
        assert cli("providers", "add", "ol", "--kind", "ollama", "--url", ollama.url).code == 0
        pulled = cli("models", "pull", "gemma3:270m", "--provider", "ol")
        assert pulled.code == 0, pulled.err
        assert pulled.out == "ol pulled gemma3:270m\n"
        assert "pulling manifest" in pulled.err and "(100%)" in pulled.err
        assert "gemma3:270m" in ollama.installed

        ollama.inject("error-mid")
        broken = cli("models", "pull", "nomic-embed-text:latest", "--provider", "ol")
        assert broken.code == 1 and MID_PULL_ERROR in broken.err.splitlines()[-1]
        assert "nomic-embed-text:latest" not in ollama.installed

        removed = cli("models", "remove", "gemma3:270m", "--provider", "ol", "--json")
        assert removed.code == 0, removed.err
        assert removed.json() == {"removed": "gemma3:270m", "provider": "ol"}
        assert "gemma3:270m" not in ollama.installed
        missing = cli("models", "remove", "gemma3:270m", "--provider", "ol")
        assert missing.code == 1 and "no model named 'gemma3:270m'" in missing.error_line

    assert cli("providers", "add", "emb", "--kind", "openai", "--url",
               "http://127.0.0.1:9/v1").code == 0
    wrong = cli("models", "pull", "x", "--provider", "emb")
    assert wrong.code == 1 and "Ollama provider only" in wrong.error_line
    unknown = cli("models", "remove", "x", "--provider", "nobody")
    assert unknown.code == 1 and "nobody" in unknown.error_line

    # A provider that is down: one clear line, no traceback, for pull and remove.
    assert cli("providers", "add", "gone", "--kind", "ollama", "--url",
               "http://127.0.0.1:9").code == 0
    for verb in ("pull", "remove"):
        down = cli("models", verb, "gemma3:270m", "--provider", "gone")
        assert down.code == 1, down.err
        assert "Traceback" not in down.err
        assert "127.0.0.1:9" in down.error_line or "gone" in down.error_line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_rewritten_line_and_escaped():
    stream = _Terminal()
    printer = ProgressPrinter(stream)
    name = "evil\x1b]0;title\x07.gguf"
    for received, state in ((0, "queued"), (50 * MB, "running"), (100 * MB, "running")):
        printer(DownloadProgress(id="a", filename=name, received=received, total=100 * MB,
                                 state=state))
    printer.end_line()
    printer.end_line()
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "\x07" not in text and "evil\\x1b]0;title\\x07.gguf: 50.0 MB of 100.0 MB (50%)" in text
    assert text.replace("\r\x1b[2K", "").count("\x1b") == 0

    piped = io.StringIO()
    lines = ProgressPrinter(piped)
    for received in range(0, 101 * MB, MB):          # a line per 10 %, not per update
        lines(DownloadProgress(id="a", filename="m.gguf", received=received, total=100 * MB,
                               state="running"))
    lines(DownloadProgress(id="a", filename="m.gguf", received=100 * MB, total=100 * MB,
                           state="done", note="restarted from zero"))
    out = piped.getvalue().splitlines()
    assert len(out) == 13 and out[-2] == "m.gguf: done (100.0 MB of 100.0 MB)"
    assert out[-1] == "agentdesk: note: restarted from zero"
