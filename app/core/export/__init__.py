"""Export and import of conversations (pure Python; the PDF writer is in app/ui).

Export: ``load_bundles(store, ids)`` then ``render(bundles, "json"|"md"|"html")``.
Import: ``import_file(store, path, agent_name=None)`` -> ``ImportReport``.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.export.html_format import Theme, export_html
from app.core.export.importer import import_file, import_text, parse_source
from app.core.export.json_format import export_json
from app.core.export.markdown_format import export_markdown
from app.core.export.model import (
    FORMATS,
    ConversationBundle,
    ImportRejected,
    ImportReport,
    load_bundles,
)
from app.core.export.validation import DEFAULT_LIMITS, ImportLimits

TEXT_FORMATS = ("json", "md", "html")
SUFFIXES = {"json": ".json", "md": ".md", "html": ".html", "pdf": ".pdf"}


def render(bundles: Sequence[ConversationBundle], fmt: str, *,
           theme: Theme = "light") -> str:
    """The text of an export in ``fmt`` (json, md or html)."""
    if fmt == "json":
        return export_json(bundles)
    if fmt == "md":
        return export_markdown(bundles)
    if fmt == "html":
        return export_html(bundles, theme)
    raise ValueError(f"unknown text export format {fmt!r} (json, md or html)")


__all__ = ["DEFAULT_LIMITS", "FORMATS", "SUFFIXES", "TEXT_FORMATS", "ConversationBundle",
           "ImportLimits", "ImportRejected", "ImportReport", "Theme", "export_html",
           "export_json", "export_markdown", "import_file", "import_text", "load_bundles",
           "parse_source", "render"]
