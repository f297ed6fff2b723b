"""Knowledge-folder test material: real files on disk (hostile ones too) and a
scripted embedder with exact step control (counts calls, can fail, can wait).

``HashEmbedder`` is a bag-of-words embedding (each word hashed to one of
``dimensions`` slots): texts sharing words are close, so vector search has
something real to find, with no model. The bench uses it for the floor of
the indexer's overhead as well (bench/knowledge.py says so).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path

import numpy as np

from app.core.knowledge.embedders import unit_rows
from app.providers.base import ProviderError
from tests.support.document_files import write_zip_bomb_docx

_WORD = re.compile(r"\w+")


def word_slot(word: str, dimensions: int) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(),
                          "little") % dimensions


class HashEmbedder:
    """A scripted embedding model: ``fail_after`` calls then ProviderError;
    ``gate``: every call waits for it (a test opens it)."""

    def __init__(self, dimensions: int = 256, *, key: str = "scripted/hash",
                 fail_after: int | None = None) -> None:
        self.dimensions, self.key, self.fail_after = dimensions, key, fail_after
        self.calls = 0
        self.texts = 0
        self.gate: asyncio.Event | None = None

    def vectors(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.casefold()):
                matrix[row, word_slot(word, self.dimensions)] += 1.0
        return unit_rows(matrix)

    async def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ProviderError("unreachable", "the scripted embedder is down")
        if self.gate is not None:
            await self.gate.wait()
        self.texts += len(texts)
        return self.vectors(texts)


def markdown_notes(folder: Path, count: int, stem: str = "doc") -> Path:
    """``count`` small Markdown files, each with a word of its own (``topic<n>``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{stem}{n}.md").write_text(f"# Doc {n}\n\nDocument {n} talks about "
                                              f"topic{n} and shared words.\n")
    return folder


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no room on disk (a 500 MB 'PDF')."""
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(size)
    return path


def hostile_folder(root: Path) -> dict[str, Path]:
    """A folder with good files and every kind of hostile one; name -> path."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "good_md": root / "guide.md",
        "good_txt": root / "notes.txt",
        "binary_txt": root / "binary.txt",
        "bomb_docx": root / "bomb.docx",
        "huge_pdf": root / "huge.pdf",
        "unreadable": root / "secret.txt",
        "self_link": root / "self.txt",
        "loop": root / "sub" / "back",
    }
    files["good_md"].write_text("# Guide\n\n## Otters\n\nOtters hold hands while they "
                                "sleep.\n\n## Falcons\n\nThe falcon code word is "
                                "zanzibar-77.\n")
    files["good_txt"].write_text("Plain notes: the meeting moved to Thursday.\n")
    files["binary_txt"].write_bytes(b"\x7fELF\x02\x01\x01\0\0\0" + os.urandom(2048))
    write_zip_bomb_docx(files["bomb_docx"], 40 * 1024 * 1024)
    sparse_file(files["huge_pdf"], 500 * 1024 * 1024)
    files["unreadable"].write_text("the unreadable password is swordfish")
    files["unreadable"].chmod(0)
    os.symlink(files["self_link"].name, files["self_link"])        # self.txt -> self.txt
    (root / "sub").mkdir()
    (root / "sub" / "inner.md").write_text("# Inner\n\nInner text about herons.\n")
    os.symlink("..", files["loop"])                                 # sub/back -> root
    return files
