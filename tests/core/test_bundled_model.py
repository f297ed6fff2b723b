"""The model shipped beside an installed (frozen) app is found and used in place.

A frozen app is simulated the way PyInstaller marks one (``sys.frozen``,
``sys.executable`` = the program, ``sys._MEIPASS`` = its ``_internal`` folder)
over a real folder layout; the first run then runs on a real database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.core.bundled_model import BUNDLED_MODELS_FOLDER, bundled_model_file, program_folders
from app.core.first_run import MODELS_FOLDER, PROVIDER_NAME, ensure_defaults
from app.core.models.library import bundled_model_files
from app.settings import AppSettings
from app.store import Store

GGUF_HEADER = b"GGUF" + b"\0" * 60


def install(root: Path, *, model: bool = True) -> Path:
    """An installed app's folder (as packaging/build.sh lays it out): the
    program, ``_internal/`` and ``models/<file>.gguf`` (read-only)."""
    (root / "_internal").mkdir(parents=True)
    program = root / "agentdesk"
    program.write_text("#!/bin/sh\n")
    if model:
        (root / BUNDLED_MODELS_FOLDER).mkdir()
        gguf = root / BUNDLED_MODELS_FOLDER / "gemma-3-270m-q4_k_m.gguf"
        gguf.write_bytes(GGUF_HEADER)
        gguf.chmod(0o444)
    return program


@pytest.fixture
def frozen_at(monkeypatch: pytest.MonkeyPatch):
    """Make this process look like the frozen program at ``program``."""
    def freeze(program: Path) -> None:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        monkeypatch.setattr(sys, "executable", str(program))
        monkeypatch.setattr(sys, "_MEIPASS", str(program.parent / "_internal"), raising=False)
    return freeze


def test_a_source_install_has_no_program_folder() -> None:
    assert program_folders(frozen=False) == []
    assert bundled_model_file() is None   # this test process is not frozen


def test_the_program_folder_is_found_through_a_link(tmp_path: Path) -> None:
    """/usr/bin/agentdesk links to /opt/agentdesk/agentdesk."""
    program = install(tmp_path / "opt" / "agentdesk")
    link = tmp_path / "bin" / "agentdesk"
    link.parent.mkdir()
    link.symlink_to(program)
    folders = program_folders(frozen=True, executable=str(link),
                              bundle_dir=str(program.parent / "_internal"))
    assert folders == [program.parent.resolve(), (program.parent / "_internal").resolve()]
    assert bundled_model_file(folders) == (program.parent / "models" /
                                           "gemma-3-270m-q4_k_m.gguf").resolve()


def test_only_a_gguf_file_counts(tmp_path: Path) -> None:
    program = install(tmp_path / "app", model=False)
    models = program.parent / BUNDLED_MODELS_FOLDER
    models.mkdir()
    (models / "a-broken.gguf").write_bytes(b"not a model")
    (models / "notes.txt").write_bytes(GGUF_HEADER)
    folders = [program.parent]
    assert bundled_model_file(folders) is None
    (models / "b-model.gguf").write_bytes(GGUF_HEADER)
    assert bundled_model_file(folders) == models / "b-model.gguf"
    assert bundled_model_file([tmp_path / "missing"]) is None


def test_the_first_run_of_an_installed_app_uses_the_shipped_file_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_at) -> None:
    program = install(tmp_path / "opt" / "agentdesk")
    shipped = program.parent / "models" / "gemma-3-270m-q4_k_m.gguf"
    user_home = tmp_path / "user"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    frozen_at(program)
    settings = AppSettings()
    settings.home = tmp_path / "data"

    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings)
        [provider] = store.providers.list()

    assert result.created and result.model_path == shipped.resolve()
    assert provider.name == PROVIDER_NAME and provider.model_path == str(shipped.resolve())
    # Once on disk: nothing copied into the data folder or assembled in ~/.cache.
    assert not (settings.home / MODELS_FOLDER).exists()
    assert not (user_home / ".cache").exists()
    assert shipped.read_bytes() == GGUF_HEADER
    # The Model Library counts it as the bundled model.
    assert shipped.resolve() in bundled_model_files()


def test_an_installed_app_without_its_model_falls_back_to_the_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_at) -> None:
    """No models/ folder (a build without the model): the package's model, as
    from source (here the test environment has the package)."""
    frozen_at(install(tmp_path / "app", model=False))
    assert bundled_model_file() is None


def test_the_catalogue_counts_the_shipped_model_as_installed_without_its_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen_at) -> None:
    """An installed app has no model package, only the file beside it: the
    catalogue's bundled entry (models search, the Model Library) is installed."""
    import importlib.util

    from app.core.models import catalogue
    from app.ops.model_catalogue import is_installed

    [entry] = [e for e in catalogue.load_catalogue() if e.bundled_package]
    real_find_spec = importlib.util.find_spec
    package = entry.bundled_package.replace("-", "_")
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == package else real_find_spec(name, *a))
    assert not is_installed(entry, set())     # neither the package nor a shipped file
    program = install(tmp_path / "app", model=False)
    (program.parent / "models").mkdir()
    (program.parent / "models" / entry.main_file.filename).write_bytes(GGUF_HEADER)
    frozen_at(program)
    assert is_installed(entry, set())
