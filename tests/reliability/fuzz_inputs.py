"""Coverage-guided fuzzing of the hostile-input targets with atheris (libFuzzer).

    python tests/reliability/fuzz_inputs.py -max_total_time=120 CORPUS_DIR

The first byte of an input picks the target, the rest is the file:
conversation import (into a real SQLite store), agent file, workflow file,
settings file, the chat and export Markdown renderers (their HTML checked for
anything active), and the document converters (PDF, DOCX, PPTX, XLSX, HTML,
Markdown, text). The app's own error types are expected; any other exception,
or active HTML, is a crash that libFuzzer reports with the input that caused
it (and exits non-zero). ``test_fuzz_long.py`` runs this for a bounded time in
the long variant (AGENTDESK_RELIABILITY_LONG=1), with a seed corpus of real
files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Only the parsing code is instrumented (coverage feedback); the rest (Qt, the
# store) runs plain, which keeps the start quick.
PARSERS = ["app.core.export", "app.core.documents", "app.core.attachments",
           "app.core.workflows.workflow_file", "app.settings", "app.domain",
           "app.ui.chat.markdown_render", "app.ui.chat.blocks"]

with atheris.instrument_imports(include=PARSERS):
    from app.core.attachments import AttachmentError, attach_file
    from app.core.documents import DocumentError, convert_file
    from app.core.export import ImportRejected, import_text
    from app.core.export.agent_file import AgentFileError, parse_agent_text
    from app.core.export.html_render import MarkdownToHtml
    from app.core.workflows.workflow_file import WorkflowFileError, read_workflow_file
    from app.settings import SettingsError, load_settings
    from app.store import Store
    from app.ui.chat.blocks import BlockSplitter
    from app.ui.chat.markdown_render import ACTION_SCHEME, MarkdownRenderer

from tests.reliability.hostile_support import unsafe_html  # noqa: E402

TARGETS = ["conversations.json", "chat.md", "agent", "workflow", "settings", "markdown",
           "report.pdf", "notes.docx", "deck.pptx", "sheet.xlsx", "page.html", "readme.md",
           "log.txt"]
_FOLDER = Path(tempfile.mkdtemp(prefix="agentdesk-fuzz-"))
_STORE = Store(_FOLDER / "db.sqlite")
_CHAT = MarkdownRenderer()
_EXPORT = MarkdownToHtml()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = TARGETS[data[0] % len(TARGETS)], data[1:]
    if target in ("conversations.json", "chat.md"):
        try:
            import_text(_STORE, _text(body), target)
        except ImportRejected:
            pass
    elif target == "agent":
        try:
            parse_agent_text(_text(body), "fuzz.agent.json")
        except AgentFileError:
            pass
    elif target == "workflow":
        path = _FOLDER / "fuzz.workflow.json"
        path.write_bytes(body)
        try:
            read_workflow_file(path)
        except WorkflowFileError:
            pass
    elif target == "settings":
        home = _FOLDER / "home"
        home.mkdir(exist_ok=True)
        (home / "settings.json").write_bytes(body)
        try:
            load_settings(home)
        except SettingsError:
            pass
    elif target == "markdown":
        text = _text(body)
        splitter = BlockSplitter()
        blocks = splitter.feed(text) + splitter.close()
        chat = "".join(_CHAT.render(block, i).html for i, block in enumerate(blocks))
        problems = unsafe_html(chat, (f"{ACTION_SCHEME}:",)) + unsafe_html(_EXPORT.convert(text))
        if problems:
            raise AssertionError(f"active HTML from hostile Markdown: {problems}")
    else:
        path = _FOLDER / target
        path.write_bytes(body)
        try:
            attach_file(path)
        except AttachmentError:
            pass
        try:
            convert_file(path)
        except DocumentError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
