"""Markdown block -> safe HTML for QTextDocument (pure Python, no Qt).

A reply is untrusted, so:
- Raw HTML is never passed through: the Markdown processors that keep raw HTML
  (``html_block`` preprocessor, ``html`` inline pattern, ``raw_html``
  postprocessor) are removed, so ``<script>`` arrives on screen as text.
- Links survive only for ``http``, ``https`` and ``mailto`` (absolute). Others
  (``javascript:``, ``file:``, ``data:``, relative ...) become plain text.
- Images are never emitted (nothing to load): an image becomes ``[image: alt]``,
  a link to its address when that address is http(s).
- Work is bounded: blocks over ``MARKDOWN_MAX_CHARS`` or ``MARKDOWN_MAX_LINES``, or
  nested deeper than ``markdown_limits.MAX_NESTING`` levels, are shown as escaped
  preformatted text; code over ``HIGHLIGHT_MAX_CHARS`` is shown without highlighting.
  Blocks with more than ``MAX_BRACKETS`` '[' (the link pattern is quadratic in them),
  ``MAX_CELLS`` '|' or ``MAX_EMPHASIS`` '*'/'_' are plain too. Within these limits the
  worst block we found takes ~15 ms (a 400-cell table); 5,000 lines of '-' took 0.44 s.
  ``RenderedBlock.fallback`` says a Markdown block was shown as plain text.

The HTML sticks to the subset QTextDocument understands (tables with
cellpadding, inline ``style`` colours, ``<pre>``).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from functools import lru_cache

import markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from app.domain import markdown_limits
from app.domain.links import is_allowed_url
from app.ui.chat.blocks import Block

ACTION_SCHEME = "agentdesk-action"  # our own links (copy code); never from a reply
MARKDOWN_MAX_CHARS = 6_000
MARKDOWN_MAX_LINES = 200
MAX_CELLS = 400
MAX_EMPHASIS = 600
# Python-Markdown's link pattern is quadratic in unmatched '[' (1,600 of them: 0.8 s).
MAX_BRACKETS = 128
HIGHLIGHT_MAX_CHARS = 24_000
PLAIN_LINE_CHARS = 2_000  # long lines are cut into paragraphs of this size
SKIPPED_NOTE = "Formatting skipped: this part is too large or complex to format, shown as plain text."



@dataclass(frozen=True)
class RenderStyle:
    """Colours used in the generated HTML (taken from the Qt palette by the view)."""

    text: str = "#1f2328"
    muted: str = "#656d76"
    link: str = "#0969da"
    code_bg: str = "#f6f8fa"
    code_header_bg: str = "#eaeef2"
    border: str = "#d0d7de"
    pygments_style: str = "default"


@dataclass
class RenderedBlock:
    html: str
    code: list[str] = field(default_factory=list)  # raw text of code blocks, in order
    fallback: bool = False  # Markdown shown as plain text (too large or complex)


class _SafeTree(Treeprocessor):
    """Removes what a reply must not carry: unsafe links and every image."""

    def __init__(self, md: markdown.Markdown, style_ref: list[RenderStyle]) -> None:
        super().__init__(md)
        self._style_ref = style_ref

    def run(self, root: etree.Element) -> None:
        style = self._style_ref[0]
        for element in root.iter():
            if element.tag == "a":
                href = html.unescape(element.get("href", "").replace(AMP_SUBSTITUTE, "&"))
                title = element.get("title", "")
                element.attrib.clear()
                if is_allowed_url(href):
                    element.set("href", href)
                    element.set("title", title or href)
                else:
                    element.tag = "span"
                    element.set("style", f"color:{style.muted}")
            elif element.tag == "img":
                src = html.unescape(element.get("src", "").replace(AMP_SUBSTITUTE, "&"))
                alt = element.get("alt", "") or "image"
                element.attrib.clear()
                element.text = f"[image: {alt}]"
                if src.lower().startswith(("http:", "https:")) and is_allowed_url(src):
                    element.tag = "a"
                    element.set("href", src)
                    element.set("title", src)
                else:
                    element.tag = "span"
                    element.set("style", f"color:{style.muted}")
            elif element.tag == "table":
                element.set("border", "1")
                element.set("cellspacing", "0")
                element.set("cellpadding", "5")
                element.set("style", f"border-collapse:collapse; border-color:{style.border};"
                            " margin-top:6px; margin-bottom:6px")
            elif element.tag == "th":
                element.set("bgcolor", style.code_header_bg)


class MarkdownRenderer:
    """One reusable Markdown instance (building one per block would be slow)."""

    def __init__(self, style: RenderStyle | None = None) -> None:
        self._style_ref = [style or RenderStyle()]
        self._md = markdown.Markdown(extensions=["tables", "sane_lists"])
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self._md.postprocessors.deregister("raw_html")
        # After "inline" (20), which creates the <a>/<img> elements.
        self._md.treeprocessors.register(_SafeTree(self._md, self._style_ref), "safe", 15)

    @property
    def style(self) -> RenderStyle:
        return self._style_ref[0]

    def set_style(self, style: RenderStyle) -> None:
        self._style_ref[0] = style

    def render(self, block: Block, code_index: int = 0, *, plain: bool = False) -> RenderedBlock:
        """HTML for one block; ``code_index`` numbers a fence's Copy link;
        ``plain``: show a Markdown block as plain text (its message's budget is spent)."""
        if block.kind == "fence":
            code, lang = split_fence(block.text, closed=block.closed)
            return RenderedBlock(code_html(code, lang, self.style, code_index), [code])
        if plain or block.kind == "plain" or is_pathological(block.text):
            return RenderedBlock(plain_html(block.text, self.style), fallback=True)
        self._md.reset()
        return RenderedBlock(self._md.convert(block.text))


def is_pathological(text: str) -> bool:
    """Input the Markdown library could take very long over, or nest without end."""
    return markdown_limits.is_pathological(
        text, max_chars=MARKDOWN_MAX_CHARS, max_brackets=MAX_BRACKETS,
        max_lines=MARKDOWN_MAX_LINES, max_cells=MAX_CELLS, max_emphasis=MAX_EMPHASIS)


def split_fence(text: str, *, closed: bool) -> tuple[str, str]:
    """(code, language) of a fenced block's raw text."""
    lines = text.split("\n")
    opening = lines[0].strip()
    lang = opening.lstrip("`~").strip().split(" ")[0] if opening else ""
    body = lines[1:]
    if body and body[-1] == "":
        body = body[:-1]
    if closed and body and body[-1].strip().startswith(opening[:3]):
        body = body[:-1]
    return "\n".join(body), lang


def warm_up(style: RenderStyle | None = None) -> None:
    """Import the common lexers and build the formatter ahead of the first reply
    (the first Python code block otherwise pays ~50 ms of imports mid-stream)."""
    for lang in ("python", "bash", "json", "javascript"):
        _lexer(lang)
    highlight("x = 1", _lexer("python"), _formatter((style or RenderStyle()).pygments_style))


@lru_cache(maxsize=64)
def _lexer(lang: str):
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False) if lang else TextLexer()
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


@lru_cache(maxsize=16)
def _formatter(style_name: str) -> HtmlFormatter:
    return HtmlFormatter(nowrap=True, noclasses=True, style=style_name)


def code_html(code: str, lang: str, style: RenderStyle, index: int) -> str:
    """A fenced code block: a header (language, Copy link) over highlighted code."""
    if len(code) > HIGHLIGHT_MAX_CHARS:
        body = html.escape(code)
    else:
        body = highlight(code, _lexer(lang.lower()), _formatter(style.pygments_style))
    label = html.escape(lang) if lang else "code"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" border="0"'
        f' style="margin-top:6px; margin-bottom:6px">'
        f'<tr><td bgcolor="{style.code_header_bg}">'
        f'<span style="color:{style.muted}">{label}</span>'
        f' &nbsp; <a href="{ACTION_SCHEME}:copy-code/{index}">Copy</a></td></tr>'
        f'<tr><td bgcolor="{style.code_bg}"><pre style="color:{style.text}">'
        f"{body}</pre></td></tr></table>"
    )


def plain_html(text: str, style: RenderStyle) -> str:
    """Escaped preformatted text; very long lines are cut so layout stays cheap."""
    pieces: list[str] = []
    for line in text.split("\n"):
        while len(line) > PLAIN_LINE_CHARS:
            pieces.append(line[:PLAIN_LINE_CHARS])
            line = line[PLAIN_LINE_CHARS:]
        pieces.append(line)
    body = html.escape("\n".join(pieces))
    return f'<pre style="white-space:pre-wrap; color:{style.text}">{body}</pre>'


def skipped_note_html(style: RenderStyle) -> str:
    """A small muted line above text whose formatting was skipped."""
    return (f'<p style="color:{style.muted}; font-size:small"><i>'
            f"{html.escape(SKIPPED_NOTE)}</i></p>")
