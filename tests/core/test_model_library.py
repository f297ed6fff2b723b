"""ModelLibrary (app/core/models/library.py): the installed models of a models
folder, read from their GGUF headers; remove, and import by copy or link.

GGUF files are written by the test (tests/support/gguf_writer.py); the real
bundled model is linked (never copied) where its size matters.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.models import download_state, library
from app.core.models.download_state import DownloadRecord
from app.core.models.library import (
    LinksUnsupported, ModelBusy, ModelExists, ModelLibrary, ModelNotFound, NotAGguf,
    NotEnoughSpace, OutsideLibrary)
from app.domain.model_library import DownloadProgress, ModelFile
from tests.support.gguf_writer import write_gguf
from tests.support.llama_server import gemma_model_path

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"


def chat_gguf(path: Path, name: str = "Tiny Chat", context: int = 4096) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_gguf(path, {"general.architecture": "llama", "general.name": name,
                             "general.finetune": "instruct", "general.file_type": 15,
                             "llama.context_length": context,
                             "tokenizer.chat_template": TEMPLATE})


def base_gguf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_gguf(path, {"general.architecture": "qwen2", "general.name": "Tiny Base",
                             "qwen2.context_length": 2048})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "models"
    made.mkdir()
    return made


@pytest.fixture
def lib(folder: Path) -> ModelLibrary:
    return ModelLibrary(folder, bundled=[])


def test_file_urls_are_https_or_plain_http_on_this_computer_only():
    for url in ("https://huggingface.co/x/resolve/main/m.gguf", "http://127.0.0.1:8080/f/m",
                "http://localhost/m.gguf", "http://[::1]:9/m", "http://LOCALHOST:1/m"):
        assert ModelFile(filename="m.gguf", urls=[url]).urls == [url]
    for url in ("http://example.org/m.gguf", "http://127.0.0.1.example.org/m",
                "http://localhost.example.org/m", "http://127.0.0.1@example.org/m",
                "ftp://127.0.0.1/m", "file:///etc/passwd"):
        with pytest.raises(ValidationError):
            ModelFile(filename="m.gguf", urls=[url])
    assert DownloadProgress(id="a", filename="m.gguf", note="restarted").note == "restarted"


def test_installed_lists_finished_gguf_files_with_their_metadata(folder, lib):
    chat_gguf(folder / "tiny-chat-q4_k_m.gguf")
    base_gguf(folder / "tiny-base.gguf")
    (folder / "half.gguf.part").write_bytes(b"GGUF partial")          # a download under way
    (folder / ".tiny.gguf.abc.partial").write_bytes(b"GGUF")          # a copy under way
    (folder / "notes.txt").write_text("not a model")
    (folder / "dir.gguf").mkdir()
    download_state.save(folder, DownloadRecord(id="0123456789abcdef", filename="half.gguf",
                                               urls=["https://example.org/half.gguf"]))

    models = lib.installed()
    assert [m.name for m in models] == ["tiny-base", "tiny-chat-q4_k_m"]
    base, chat = models
    assert (chat.architecture, chat.quantization, chat.context_length) == ("llama", "Q4_K_M", 4096)
    assert chat.has_chat_template and chat.instruction_tuned is True
    assert chat.model_name == "Tiny Chat" and chat.source == "download" and chat.problem is None
    assert chat.size_bytes == (folder / "tiny-chat-q4_k_m.gguf").stat().st_size
    assert (base.architecture, base.context_length, base.has_chat_template) == ("qwen2", 2048,
                                                                              False)
    assert base.instruction_tuned is False
    assert ModelLibrary(folder / "missing", bundled=[]).installed() == []


def test_a_damaged_file_is_listed_with_its_problem(folder, lib):
    (folder / "cut.gguf").write_bytes(b"GGUF\x03\x00")
    (model,) = lib.installed()
    assert model.name == "cut" and model.architecture is None
    assert "not a readable GGUF file" in model.problem


def test_a_changed_file_is_read_again(folder, lib):
    chat_gguf(folder / "m.gguf", name="First", context=1024)
    assert lib.info("m").model_name == "First"
    chat_gguf(folder / "m.gguf", name="Second and longer", context=8192)
    model = lib.info("m.gguf")
    assert (model.model_name, model.context_length) == ("Second and longer", 8192)


def test_import_copy_checks_the_file_then_copies_it_in_one_step(tmp_path, folder, lib):
    source = chat_gguf(tmp_path / "elsewhere" / "My Model.gguf")
    model = lib.import_gguf(source, "copy")
    copy = folder / "My Model.gguf"
    assert model.path == str(copy) and model.source == "import-copy" and model.name == "My Model"
    assert copy.read_bytes() == source.read_bytes() and not copy.is_symlink()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644
    assert source.exists()
    # how it came is kept: a new library on the same folder still says "import-copy"
    assert [(m.name, m.source) for m in ModelLibrary(folder, bundled=[]).installed()] == [
        ("My Model", "import-copy")]

    with pytest.raises(ModelExists, match="already has My Model.gguf"):
        lib.import_gguf(source, "copy")
    renamed = lib.import_gguf(source, "copy", name="second")
    assert renamed.name == "second" and (folder / "second.gguf").exists()

    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(NotAGguf, match="GGUF magic"):
        lib.import_gguf(text, "copy")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(b"GGUF\x03\x00\x00\x00\x00")
    with pytest.raises(NotAGguf, match="not a readable GGUF"):
        lib.import_gguf(cut, "link")
    with pytest.raises(ModelNotFound):
        lib.import_gguf(tmp_path / "nothing.gguf", "copy")
    assert sorted(p.name for p in folder.iterdir()) == [".library.json", "My Model.gguf",
                                                        "second.gguf"]


def test_import_adds_the_gguf_suffix_and_refuses_a_file_of_the_folder(tmp_path, folder, lib):
    source = chat_gguf(tmp_path / "weights.bin")
    assert lib.import_gguf(source, "copy").path == str(folder / "weights.bin.gguf")
    with pytest.raises(ModelExists):
        lib.import_gguf(folder / "weights.bin.gguf", "link")


def test_a_copy_that_fails_half_way_leaves_nothing(tmp_path, folder, lib, monkeypatch):
    source = chat_gguf(tmp_path / "big.gguf")

    def disk_fills(src, dst):
        Path(dst).write_bytes(b"GGUF half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(library.shutil, "copyfile", disk_fills)
    with pytest.raises(NotEnoughSpace, match="nothing was imported"):
        lib.import_gguf(source, "copy")
    assert list(folder.iterdir()) == [] and lib.installed() == []


def test_a_copy_is_refused_before_writing_when_the_disk_is_too_small(tmp_path, folder, lib,
                                                                      monkeypatch):
    source = chat_gguf(tmp_path / "big.gguf")
    usage = shutil.disk_usage(folder)
    monkeypatch.setattr(library.shutil, "disk_usage",
                        lambda path: usage._replace(free=source.stat().st_size - 1))
    with pytest.raises(NotEnoughSpace, match="MB needed"):
        lib.import_gguf(source, "copy")
    assert list(folder.iterdir()) == []


def test_import_link_points_at_the_file_and_remove_takes_only_the_link(folder, lib):
    real = gemma_model_path()
    size = real.stat().st_size
    model = lib.import_gguf(real, "link")
    link = folder / real.name
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert model.source == "import-link" and model.size_bytes == size
    assert model.architecture == "gemma3" and model.instruction_tuned is False

    assert lib.remove(model.name) == link
    assert not link.exists() and not link.is_symlink()
    assert real.stat().st_size == size                       # the target is untouched
    assert lib.installed() == []


def test_a_link_whose_file_is_gone_is_listed_with_the_problem_and_removable(tmp_path, folder,
                                                                            lib):
    source = chat_gguf(tmp_path / "moving.gguf")
    lib.import_gguf(source, "link")
    source.unlink()
    (model,) = lib.installed()
    assert model.source == "import-link" and model.problem == "the linked file is missing"
    lib.remove("moving")
    assert list(p.name for p in folder.iterdir()) == [".library.json"]


def test_links_on_a_file_system_without_them_are_refused_clearly(tmp_path, folder, lib,
                                                                 monkeypatch):
    source = chat_gguf(tmp_path / "m.gguf")

    def no_links(self, target, target_is_directory=False):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(Path, "symlink_to", no_links)
    with pytest.raises(LinksUnsupported, match="import a copy instead"):
        lib.import_gguf(source, "link")
    assert lib.installed() == []


def test_remove_refuses_names_outside_the_folder(tmp_path, folder, lib):
    outside = chat_gguf(tmp_path / "precious.gguf")
    chat_gguf(folder / "keep.gguf")
    for name in ("../precious", str(outside), "../precious.gguf", ".library.json", "",
                 "a\x00b", "x" * 300):
        with pytest.raises(OutsideLibrary):
            lib.remove(name)
    with pytest.raises(ModelNotFound):
        lib.remove("nothing")
    assert outside.exists() and (folder / "keep.gguf").exists()


def test_remove_refuses_a_model_a_download_is_writing(folder, lib):
    chat_gguf(folder / "m.gguf")
    record = DownloadRecord(id="0123456789abcdef", filename="m.gguf",
                            urls=["https://example.org/m.gguf"], state="running")
    download_state.save(folder, record)
    with pytest.raises(ModelBusy, match="cancel the download first"):
        lib.remove("m")
    assert (folder / "m.gguf").exists()
    download_state.save(folder, record.model_copy(update={"state": "cancelled"}))
    lib.remove("m")
    assert not (folder / "m.gguf").exists()


def test_the_bundled_model_is_listed_and_kept(tmp_path, folder):
    bundled = chat_gguf(tmp_path / "package-cache" / "bundled-base.gguf")
    lib = ModelLibrary(folder, bundled=[bundled])
    chat_gguf(folder / "mine.gguf")
    models = lib.installed()
    assert [(m.name, m.source) for m in models] == [("mine", "download"),
                                                    ("bundled-base", "bundled")]
    assert lib.info("bundled-base").path == str(bundled)
    with pytest.raises(OutsideLibrary, match="bundled model"):
        lib.remove("bundled-base")
    assert bundled.exists()
    # linked into the folder it is listed once, as the link
    lib.import_gguf(bundled, "link")
    assert [(m.name, m.source) for m in lib.installed()] == [("bundled-base", "import-link"),
                                                             ("mine", "download")]


def test_info_by_path_reads_any_gguf_file(tmp_path, folder, lib):
    outside = chat_gguf(tmp_path / "look.gguf", name="Just Looking")
    model = lib.info(str(outside))
    assert model.source == "file" and model.model_name == "Just Looking"
    assert lib.installed() == []
    inside = chat_gguf(folder / "in.gguf")
    assert lib.info(str(inside)).source == "download"
    (tmp_path / "text.gguf").write_text("no")
    with pytest.raises(NotAGguf):
        lib.info(str(tmp_path / "text.gguf"))
    with pytest.raises(ModelNotFound):
        lib.info("no-such-model")


def test_a_damaged_sources_file_only_forgets_how_imports_came(tmp_path, folder, lib):
    lib.import_gguf(chat_gguf(tmp_path / "m.gguf"), "copy")
    (folder / library.SOURCES_FILE).write_text("[not json", encoding="utf-8")
    assert [m.source for m in lib.installed()] == ["download"]
    lib.import_gguf(chat_gguf(tmp_path / "n.gguf"), "copy")
    assert json.loads((folder / library.SOURCES_FILE).read_text()) == {"n.gguf": "import-copy"}
    assert os.path.exists(folder / "m.gguf")
