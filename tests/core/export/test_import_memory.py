"""Issue 15 item 6: importing a file whose JSON values are tiny but countless
(50 MB of empty lists was 1.3 GB, 199 MB was 5 GB) stays within 4x the file's
size in memory, measured as the peak resident size of a fresh subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MB = 1024 * 1024
SIZE = 50 * MB

# Runs in a fresh interpreter: peak RSS (ru_maxrss, KiB on Linux) before and
# after the import; prints {"growth": bytes, "error": str}.
_CHILD = r"""
import json, resource, sys
from pathlib import Path
from app.core.export import ImportRejected, import_file
from app.store import Store
path, db = Path(sys.argv[1]), Path(sys.argv[2])
with Store(db) as store:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        report = import_file(store, path)
        error = ""
        result = report.summary()
    except ImportRejected as exc:
        error, result = str(exc), ""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth": (peak - base) * 1024, "error": error, "result": result}))
"""


def _write_repeated(path: Path, head: bytes, unit: bytes, tail: bytes, size: int) -> None:
    count = (size - len(head) - len(tail)) // len(unit)
    with path.open("wb") as handle:
        handle.write(head)
        block = unit * 65536
        for _ in range(count // 65536):
            handle.write(block)
        handle.write(unit * (count % 65536))
        handle.write(tail)


def _import_in_child(tmp_path: Path, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(tmp_path / "db.sqlite")],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("name", "head", "unit", "tail"), [
    ("empty-lists.json", b"[", b"[],", b"[]]"),                  # the file
    ("empty-dicts.json", b"[", b"{},", b"{}]"),
    ("short-strings.json", b'{"format": "agentdesk.conversations", "version": 2, '
                           b'"conversations": [', b'"ab",', b'"ab"]}'),
    ("many-turns.md", b"# Chat\n\n", b"## User\n\nx\n\n", b""),   # generic Markdown
    ("many-comments.md", b"<!-- agentdesk:markdown 1 -->\n\n<!-- agentdesk:conversation "
                         b'{"title": "t", "created_at": "2024-01-01T00:00:00Z"} -->\n',
     b'<!-- agentdesk:message {"role": "tool"} -->\n', b""),
])
def test_value_dense_file_is_refused_within_four_times_its_size(
        tmp_path: Path, name: str, head: bytes, unit: bytes, tail: bytes) -> None:
    path = tmp_path / name
    _write_repeated(path, head, unit, tail, SIZE)
    size = path.stat().st_size
    outcome = _import_in_child(tmp_path, path)
    assert "of memory to import" in outcome["error"], outcome
    assert outcome["growth"] <= 4 * size, (
        f"peak grew by {outcome['growth'] / MB:.0f} MB for a {size / MB:.0f} MB file")
