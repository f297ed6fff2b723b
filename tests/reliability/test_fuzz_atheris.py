"""atheris (libFuzzer, coverage-guided) over every hostile-input target
(``fuzz_inputs.py``), for a bounded time: 8 s in CI (the entry point must
keep working), ``AGENTDESK_FUZZ_SECONDS`` (default 300) in the long variant.

The seed corpus is real files of each kind (our JSON export, an agent and a
workflow file, a settings file, hostile Markdown, PDF, DOCX, PPTX, XLSX,
HTML, Markdown, text), each behind the byte that picks its target. A crash
makes libFuzzer exit non-zero and write the input to ``crash-*`` beside the
corpus; the test shows it.

atheris ships wheels for Linux x86-64 (the dev extra installs it there, on
Python 3.11); on other systems the test says so and skips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.hostile_support import LONG, LONG_TIMEOUT
from tests.support.document_files import write_docx, write_pdf, write_pptx, write_xlsx
from tests.support.reliability_summary import record

HERE = Path(__file__).parent
WHEELS = sys.platform.startswith("linux") and platform.machine() == "x86_64" \
    and sys.version_info[:2] == (3, 11)


def _seeds(folder: Path) -> dict[str, bytes]:
    from tests.reliability.test_hostile_imports import AGENT_TEXT, OURS_BYTES, OURS_MD, WORKFLOW_TEXT
    from tests.reliability.test_hostile_markdown_fuzz import ATTACKS
    from tests.reliability.test_hostile_settings import VALID

    return {
        "conversations.json": OURS_BYTES, "chat.md": OURS_MD, "agent": AGENT_TEXT.encode(),
        "workflow": WORKFLOW_TEXT.encode(), "settings": json.dumps(VALID).encode(),
        "markdown": "\n\n".join(ATTACKS).encode(),
        "report.pdf": write_pdf(folder / "a.pdf", ["One", "Two"]).read_bytes(),
        "notes.docx": write_docx(folder / "a.docx", {"H": ["p"]}).read_bytes(),
        "deck.pptx": write_pptx(folder / "a.pptx", [("T", "B")]).read_bytes(),
        "sheet.xlsx": write_xlsx(folder / "a.xlsx", {"S": [["a", 1]]}).read_bytes(),
        "page.html": b"<html><body><h1>H</h1><script>x</script><p>t</p></body></html>",
        "readme.md": b"# T\n\ntext *em*\n", "log.txt": b"plain\ntext\n",
    }


@LONG_TIMEOUT
@pytest.mark.skipif(not WHEELS and importlib.util.find_spec("atheris") is None,
                    reason="atheris has no wheel for this system/Python (Linux x86-64, "
                           "Python 3.11 only); the hypothesis properties still run")
def test_atheris_finds_no_crash_in_a_bounded_run(tmp_path: Path) -> None:
    assert importlib.util.find_spec("atheris") is not None, \
        "atheris is missing: scripts/venv.sh dev installs it on Linux x86-64"
    from tests.reliability.fuzz_inputs import TARGETS

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in _seeds(tmp_path).items():
        (corpus / name.replace(".", "_")).write_bytes(bytes([TARGETS.index(name)]) + data)
    seconds = int(os.environ.get("AGENTDESK_FUZZ_SECONDS", "300")) if LONG else 8
    result = subprocess.run(
        [sys.executable, str(HERE / "fuzz_inputs.py"), f"-max_total_time={seconds}",
         "-rss_limit_mb=3072", "-timeout=30", "-max_len=262144",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, cwd=HERE.parents[1], timeout=seconds + 300,
        env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    runs = re.search(r"Done (\d+) runs", result.stderr)
    crashes = sorted(p.name for p in tmp_path.glob("crash-*")) + sorted(
        p.name for p in tmp_path.glob("timeout-*"))
    record("hostile input", inputs=int(runs.group(1)) if runs else 0,
           crashes=len(crashes) or int(result.returncode != 0))
    print(f"hostile input: atheris: {runs.group(1) if runs else '?'} runs in {seconds} s, "
          f"{len(crashes)} crashes")
    assert result.returncode == 0 and not crashes, (crashes, result.stderr[-4000:])
    assert runs and int(runs.group(1)) > 0, result.stderr[-2000:]
