"""``agentdesk models pull ID`` in a real process of its own, for the tests of
two processes downloading the same model file (download_lock.py): the child
adds the test's catalogue entry (a file on the loopback GGUF server) to the
shipped catalogue, then runs the real CLI on ``AGENTDESK_HOME``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.models import download_state
from app.core.models.download_lock import DownloadLock
from app.domain.model_library import CatalogueEntry, ModelFile

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import sys
from app.core.models import catalogue, library
from app.domain.model_library import CatalogueEntry
entry = CatalogueEntry.model_validate_json(sys.argv[1])
shipped = catalogue._shipped()
catalogue._shipped = lambda: (*shipped, entry)
library.bundled_model_files = lambda: []
from app.cli import main
sys.exit(main(["models", "pull", entry.id]))
"""

_PROBE = """
import sys
from pathlib import Path
from app.core.models.download_errors import DownloadBusy
from app.core.models.download_lock import DownloadLock
lock = DownloadLock(Path(sys.argv[1]), sys.argv[2])
try:
    lock.acquire()
except DownloadBusy:
    print("busy")
else:
    lock.release()
    print("free")
"""


def entry_for(file: ModelFile, entry_id: str = "loopback-lock") -> CatalogueEntry:
    """A catalogue entry of one file (the server's GGUF)."""
    return CatalogueEntry.model_validate({
        "id": entry_id, "name": "Loopback Lock", "family": "gemma", "kind": "chat",
        "use_cases": ["chat"], "files": [file.model_dump(mode="json")],
        "context_length": 32768, "licence": "test", "ram_bytes": 800_000_000,
        "good_for": "two processes pulling one file", "sources": ["built by the test"]})


@dataclass
class Finished:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        lines = self.err.splitlines()
        return lines[-1] if lines else ""


def pull_command(entry: CatalogueEntry) -> list[str]:
    """The command line of ``agentdesk models pull <entry.id>`` with ``entry``
    in the child's catalogue (run it with ``AGENTDESK_HOME`` set)."""
    return [sys.executable, "-c", _CHILD, entry.model_dump_json()]


def start_pull(home: Path, entry: CatalogueEntry) -> subprocess.Popen:
    """``agentdesk models pull <entry.id>`` in a new process on ``home``."""
    return subprocess.Popen(
        pull_command(entry), cwd=ROOT,
        env={**os.environ, "AGENTDESK_HOME": str(home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(child: subprocess.Popen, timeout: float = 240) -> Finished:
    """Wait for the child's exit (killed when it hangs past ``timeout``)."""
    try:
        out, err = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return Finished(child.returncode, out, err)


def wait_for_part(models_dir: Path, filename: str, at_least: int,
                  child: subprocess.Popen, limit_s: float = 120) -> int:
    """Until the child's part file holds ``at_least`` bytes; its size then.
    (The limit only turns a hang into a failure; nothing is asserted on time.)"""
    part = download_state.part_path(models_dir, filename)
    deadline = time.monotonic() + limit_s
    while not (part.exists() and part.stat().st_size >= at_least):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the pull never got that far"
        time.sleep(0.05)
    return part.stat().st_size


def lock_probe(models_dir: Path, filename: str) -> str:
    """"busy" when some process (this one too) holds the file's download lock,
    else "free" — asked from a new process."""
    result = subprocess.run([sys.executable, "-c", _PROBE, str(models_dir), filename],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def leftover_locks(models_dir: Path) -> list[str]:
    """Lock files in the models folder (a released lock removes its file)."""
    folder = DownloadLock(models_dir, "x").path.parent
    return sorted(p.name for p in folder.glob("*.lock")) if folder.is_dir() else []
