"""The installed models: the GGUF files in ``<data folder>/models``.

``ModelLibrary(models_dir)`` lists, describes, removes and imports them:

- ``installed()``: every finished ``*.gguf`` in the folder (a ``.part`` file, a
  hidden temporary file or a folder never counts), symbolic links among them,
  plus the bundled package model where the package keeps it (first_run.py
  uses that file in place). Details come from each file's GGUF header
  (app/providers/gguf_file.py), read once per file version.
- ``info(name_or_path)``: one of them by name (with or without ``.gguf``), or
  any GGUF file by path (one outside the folder is source ``"file"``).
- ``remove(name)``: deletes a file of the folder, or only the link of a linked
  one (its target is never touched); refuses a name that leads outside the
  folder and a model a download is still writing.
- ``import_gguf(path, mode)``: ``"copy"`` (written beside the target and
  renamed into place, so a half copy is never a model; free space checked
  first) or ``"link"`` (a symbolic link to the file where it is). The GGUF
  magic and header are checked before anything is written.

How a model came is kept in ``.library.json`` in the folder (imports only; a
file without an entry was downloaded, a link is a linked import). Blocking
file work: the window runs these on a worker thread.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import logging
import os
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from app.core import atomic_file
from app.core.models import catalogue, download_state
from app.domain.model_library import InstalledModel, ModelSource
from app.providers.gguf_file import (
    GGUFError, chat_template, instruction_tuned, is_gguf, quantization, read_metadata)

log = logging.getLogger(__name__)

GGUF_SUFFIX = ".gguf"
SOURCES_FILE = ".library.json"
ImportMode = Literal["copy", "link"]
_BUSY_STATES = frozenset({"queued", "running", "verifying"})
_MAX_SOURCES_BYTES = 1 << 20
_MAX_NAME_BYTES = 255
_MODEL_MODE = 0o644   # as a downloaded file gets with the usual umask


class LibraryError(Exception):
    """A library operation was refused; the message says why in plain words."""


class ModelNotFound(LibraryError, LookupError):
    """No installed model has that name (and it is no GGUF file path)."""


class NotAGguf(LibraryError):
    """The file is not a readable GGUF model."""


class ModelExists(LibraryError):
    """The models folder already has a model of that name."""


class ModelBusy(LibraryError):
    """A download is still writing that model."""


class OutsideLibrary(LibraryError):
    """The name or file is not in the models folder."""


class NotEnoughSpace(LibraryError):
    """The models folder's disk cannot take the copy."""


class LinksUnsupported(LibraryError):
    """The file system of the models folder cannot hold symbolic links."""


def bundled_model_files() -> list[Path]:
    """The bundled model's file: the one shipped beside an installed app, and
    the package's where the package assembled it (none when the package is
    missing or has not assembled its file yet). Which file
    that is comes from the catalogue entry naming the package."""
    from app.core.bundled_model import bundled_model_file
    from app.core.first_run import MODEL_PACKAGE, packaged_model_file

    shipped = bundled_model_file()   # an installed app: the file beside the program
    found = [shipped] if shipped is not None else []
    for filename in bundled_filenames():
        try:
            if importlib.util.find_spec(MODEL_PACKAGE) is None:
                continue
        except (ImportError, ValueError):
            continue
        path = packaged_model_file(filename)
        if path.is_file() and is_gguf(path):
            found.append(path)
    return found


def bundled_filenames() -> set[str]:
    """The file names of the catalogue's bundled model (first_run assembles it
    into the models folder when its package has not assembled it elsewhere)."""
    from app.core.first_run import MODEL_PACKAGE

    return {entry.main_file.filename for entry in catalogue.load_catalogue()
            if entry.bundled_package
            and entry.bundled_package.replace("-", "_") == MODEL_PACKAGE}


class ModelLibrary:
    """The models folder; see the module docstring."""

    def __init__(self, models_dir: Path, *, bundled: Sequence[Path] | None = None) -> None:
        self.models_dir = Path(models_dir)
        #: The bundled model's file(s) outside the folder (None: look them up).
        self._bundled = None if bundled is None else [Path(p) for p in bundled]

    # -- reading -----------------------------------------------------------------------
    def installed(self) -> list[InstalledModel]:
        """The folder's models by name, then the bundled model kept elsewhere."""
        sources = self._sources()
        models = [self._describe(path, self._source_of(path, sources))
                  for path in self._files()]
        for path in self.bundled_files():
            if not any(_same_file(path, Path(m.path)) for m in models):
                models.append(self._describe(path, "bundled"))
        return models

    def info(self, name_or_path: str | Path) -> InstalledModel:
        """An installed model by name, else a GGUF file by path."""
        text = str(name_or_path)
        for model in self.installed():
            if text in {model.name, Path(model.path).name}:
                return model
        path = Path(text).expanduser()
        if path.is_file() or path.is_symlink():
            if not is_gguf(path):
                raise NotAGguf(f"{path} is not a GGUF model file")
            for model in self.installed():
                if _same_file(path, Path(model.path)):
                    return model
            return self._describe(path.absolute(), "file")
        raise ModelNotFound(f"no installed model {text!r} — see: agentdesk models list")

    def bundled_files(self) -> list[Path]:
        if self._bundled is None:
            self._bundled = bundled_model_files()
        return [p for p in self._bundled if p.is_file()]

    # -- changing ----------------------------------------------------------------------
    def remove(self, name: str) -> Path:
        """Delete the model ``name`` from the folder (a link: only the link).
        Returns the path removed."""
        path = self._path_in_folder(name)
        if self._being_downloaded(path.name):
            raise ModelBusy(f"{path.name} is being downloaded — cancel the download first")
        if not (path.is_file() or path.is_symlink()):
            outside = [p for p in self.bundled_files() if p.stem == _stem(name)]
            if outside:
                raise OutsideLibrary(
                    f"{outside[0].name} is the bundled model, kept by its package at "
                    f"{outside[0].parent}, outside the models folder: not removed")
            raise ModelNotFound(f"no installed model {name!r} — see: agentdesk models list")
        path.unlink()          # a link: the link only, never its target
        self._forget_source(path.name)
        _metadata.cache_clear()
        return path

    def import_gguf(self, path: str | Path, mode: ImportMode = "copy", *,
                    name: str | None = None) -> InstalledModel:
        """Bring the GGUF file ``path`` into the folder by ``mode``; ``name`` is the
        new file name (default: the file's own, ``.gguf`` added when missing)."""
        if mode not in ("copy", "link"):
            raise LibraryError(f"unknown import mode {mode!r}: copy or link")
        source = Path(path).expanduser()
        if not source.is_file():
            raise ModelNotFound(f"no such file: {source}")
        if not is_gguf(source):
            raise NotAGguf(f"{source} is not a GGUF model file (it does not start "
                           "with the GGUF magic bytes)")
        try:
            read_metadata(source, {"general.architecture"})
        except (GGUFError, OSError) as exc:
            raise NotAGguf(f"{source} is not a readable GGUF file: {exc}") from None
        target = self._path_in_folder(_with_suffix(name or source.name))
        if target.exists() or target.is_symlink():
            raise ModelExists(f"the models folder already has {target.name} — remove it "
                              "first, or import under another name")
        if _same_file(source.resolve().parent, self.models_dir.resolve()):
            raise ModelExists(f"{source.name} is already in the models folder")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        if mode == "copy":
            self._copy(source, target)
        else:
            self._link(source, target)
        self._remember_source(target.name, f"import-{mode}")
        return self._describe(target, "import-link" if mode == "link" else "import-copy")

    def _copy(self, source: Path, target: Path) -> None:
        size = source.stat().st_size
        free = shutil.disk_usage(self.models_dir).free
        if free < size:
            raise NotEnoughSpace(f"not enough disk space to copy {source.name}: "
                                 f"{size / 1e6:,.1f} MB needed, {free / 1e6:,.1f} MB free "
                                 f"in {self.models_dir}")
        try:
            atomic_file.write_atomically(target, lambda tmp: _copy_readable(source, tmp))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise NotEnoughSpace(f"the disk filled up while copying {source.name}; "
                                     "nothing was imported") from None
            raise

    def _link(self, source: Path, target: Path) -> None:
        try:
            target.symlink_to(source.resolve())
        except NotImplementedError:
            raise LinksUnsupported("this system cannot make symbolic links — import a "
                                   "copy instead") from None
        except OSError as exc:
            if exc.errno in {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EACCES} \
                    or getattr(exc, "winerror", None) == 1314:
                raise LinksUnsupported(
                    f"the models folder's file system does not allow links here "
                    f"({exc.strerror or exc}) — import a copy instead") from None
            raise

    # -- the folder --------------------------------------------------------------------
    def _files(self) -> list[Path]:
        try:
            entries = sorted(self.models_dir.iterdir(), key=lambda p: p.name)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [p for p in entries if p.name.endswith(GGUF_SUFFIX)
                and not p.name.startswith(".") and (p.is_file() or p.is_symlink())]

    def _path_in_folder(self, name: str) -> Path:
        """``name`` as a file of the folder (``.gguf`` added), or OutsideLibrary."""
        if (not name or "/" in name or "\\" in name or "\x00" in name
                or name.startswith(".") or len(name.encode("utf-8")) > _MAX_NAME_BYTES):
            raise OutsideLibrary(f"{name!r} is not a model name in the models folder")
        return self.models_dir / _with_suffix(name)

    def _being_downloaded(self, filename: str) -> bool:
        return any(record.filename == filename and record.state in _BUSY_STATES
                   for record in download_state.load_all(self.models_dir))

    def _source_of(self, path: Path, sources: dict[str, str]) -> ModelSource:
        if path.is_symlink():
            return "import-link"
        if path.name in bundled_filenames():
            return "bundled"
        recorded = sources.get(path.name)
        return "import-copy" if recorded == "import-copy" else "download"

    def _describe(self, path: Path, source: ModelSource) -> InstalledModel:
        name = path.name[:-len(GGUF_SUFFIX)] if path.name.endswith(GGUF_SUFFIX) else path.name
        try:
            stat = path.stat()
        except OSError:
            return InstalledModel(name=name, path=str(path), size_bytes=0, source=source,
                                  problem="the linked file is missing" if path.is_symlink()
                                  else "the file cannot be read")
        try:
            metadata = _metadata(str(path), stat.st_size, stat.st_mtime_ns)
        except (GGUFError, OSError) as exc:
            return InstalledModel(name=name, path=str(path), size_bytes=stat.st_size,
                                  source=source, problem=f"not a readable GGUF file: {exc}")
        architecture = _text(metadata.get("general.architecture"))
        context = metadata.get(f"{architecture}.context_length") if architecture else None
        return InstalledModel(
            name=name, path=str(path), size_bytes=stat.st_size, architecture=architecture,
            quantization=quantization(metadata, name),
            context_length=context if isinstance(context, int) and context > 0 else None,
            has_chat_template=chat_template(metadata) is not None,
            instruction_tuned=instruction_tuned(metadata, name),
            source=source, model_name=_text(metadata.get("general.name")))

    # -- .library.json: how imports came -------------------------------------------------
    def _sources(self) -> dict[str, str]:
        path = self.models_dir / SOURCES_FILE
        try:
            if path.stat().st_size > _MAX_SOURCES_BYTES:
                raise ValueError("too large")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable %s: %s", path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _remember_source(self, filename: str, source: str) -> None:
        self._write_sources({**self._sources(), filename: source})

    def _forget_source(self, filename: str) -> None:
        sources = self._sources()
        if sources.pop(filename, None) is not None:
            self._write_sources(sources)

    def _write_sources(self, sources: dict[str, str]) -> None:
        """Best effort: a lost entry only shows a copied import as downloaded."""
        text = json.dumps(sources, indent=1, sort_keys=True)
        try:
            atomic_file.write_atomically(self.models_dir / SOURCES_FILE,
                                         lambda tmp: tmp.write_text(text, encoding="utf-8"))
        except OSError as exc:
            log.warning("could not record how %s came: %s", self.models_dir, exc)


def _copy_readable(source: Path, target: Path) -> None:
    """Copy the bytes; the temporary file is private (0600), a model is not."""
    shutil.copyfile(source, target)
    os.chmod(target, _MODEL_MODE)


@lru_cache(maxsize=256)
def _metadata(path: str, size: int, mtime_ns: int) -> dict[str, Any]:
    """The GGUF header of one version of a file (keyed by size and time)."""
    del size, mtime_ns   # only part of the cache key
    return read_metadata(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _with_suffix(name: str) -> str:
    return name if name.endswith(GGUF_SUFFIX) else name + GGUF_SUFFIX


def _stem(name: str) -> str:
    return name[:-len(GGUF_SUFFIX)] if name.endswith(GGUF_SUFFIX) else name


def _text(value: object) -> str | None:
    return value[:200] if isinstance(value, str) and value.strip() else None
