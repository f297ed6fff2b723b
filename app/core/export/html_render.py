"""Untrusted Markdown -> safe HTML for the HTML/PDF export (pure Python).

- Raw HTML in a message is shown as text: the processors that pass raw HTML
  through (``html_block``, inline ``html``, ``raw_html``) are removed.
- Links stay active only for absolute http, https and mailto addresses; any
  other (``javascript:``, ``data:``, ``file:``, relative) becomes plain text.
- No image is ever emitted: an image becomes ``[image: alt]`` text.
- Code fences are highlighted by Pygments, with CSS classes (the stylesheet is
  embedded in the page) or, for QTextDocument (the PDF), with ``<font>``,
  ``<b>`` and ``<i>`` tags: Qt has no descendant selectors, and it parses a
  ``style`` attribute as CSS for every token, which made inline styles the
  slowest part of typesetting a long chat.
- Pathological input (very long, very many brackets, very deep nesting) is
  shown as escaped preformatted text, so rendering stays bounded.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE
from pygments import highlight
from pygments.formatter import Formatter
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from app.domain import markdown_limits
from app.domain.links import is_allowed_url

MARKDOWN_MAX_CHARS = 100_000
MAX_BRACKETS = 512
_HIGHLIGHT_MAX_CHARS = 50_000
# Anything that could make Markdown do more than paragraphs: inline markup,
# entities, HTML, list/quote/heading/rule/indent starts, hard line breaks.
_MARKUP_RE = re.compile(r"[\\`*_\[\]<>&#|!~=]|^[ \t]*(?:[-+>]|\d+[.)])(?:[ \t]|$)"
                        r"|^[ \t]*-+[ \t]*$|^(?: {4}|\t)|  $", re.MULTILINE)
_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n\s*")


class _SafeTree(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "a":
                href = html.unescape(element.get("href", "").replace(AMP_SUBSTITUTE, "&"))
                element.attrib.clear()
                if is_allowed_url(href):
                    element.set("href", href)
                    element.set("rel", "noopener noreferrer nofollow")
                else:
                    element.tag = "span"
                    element.set("class", "inert-link")
            elif element.tag == "img":
                alt = element.get("alt", "") or "image"
                element.attrib.clear()
                element.tag = "span"
                element.set("class", "inert-link")
                element.text = f"[image: {alt}]"


class QtRichTextFormatter(Formatter):
    """Highlighted code as Qt rich text: ``<pre>`` with ``<font color>``,
    ``<b>`` and ``<i>`` around runs of tokens that share a style; whitespace
    and unstyled text go out bare. Qt's HTML reader handles these tags without
    its CSS parser, so a long code-heavy chat is typeset in far less time."""

    name = "Qt rich text"

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._tags: dict[tuple[str, ...], tuple[str, str]] = {}  # token type -> tags

    def _tags_for(self, ttype: tuple[str, ...]) -> tuple[str, str]:
        tags = self._tags.get(ttype)
        if tags is None:
            style = self.style.style_for_token(ttype)
            opening, closing = [], []
            if style["color"]:
                opening.append(f'<font color="#{style["color"]}">')
                closing.append("</font>")
            for flag, tag in (("bold", "b"), ("italic", "i")):
                if style[flag]:
                    opening.append(f"<{tag}>")
                    closing.append(f"</{tag}>")
            tags = self._tags[ttype] = ("".join(opening), "".join(reversed(closing)))
        return tags

    def format(self, tokensource, outfile) -> None:  # noqa: A003 (Pygments API)
        out = ['<pre class="highlight">']
        run_tags, run = ("", ""), []

        def close_run(text: str) -> None:
            out.append(run_tags[0] + html.escape(text, quote=False) + run_tags[1])

        for ttype, value in tokensource:
            if not value.isspace():  # whitespace joins whatever run it is in
                tags = self._tags_for(ttype)
                if tags != run_tags:
                    if run:
                        close_run("".join(run))
                    run_tags, run = tags, []
            run.append(value)
        if run:
            # Pygments ends the code with a newline: an empty last line in a <pre>.
            close_run("".join(run).removesuffix("\n"))
        out.append("</pre>")
        outfile.write("".join(out))


def _highlighter(inline: bool, style: str):
    formatter: Formatter = (QtRichTextFormatter(style=style) if inline else
                            HtmlFormatter(style=style, cssclass="highlight", nowrap=False))

    def render(code: str, lang: str) -> str:
        if len(code) > _HIGHLIGHT_MAX_CHARS:
            return f'<pre class="plain">{html.escape(code)}</pre>'
        return highlight(code, _lexer(lang.lower()), formatter)

    return render


@lru_cache(maxsize=128)
def _lexer(lang: str):
    if not lang:
        return TextLexer()
    try:
        return get_lexer_by_name(lang, stripnl=False)
    except ClassNotFound:
        return TextLexer()


_FENCE_BLOCK_RE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n"
    r"(?P<code>.*?)(?:^(?P=indent)(?P=fence)[`~]*[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL)


class MarkdownToHtml:
    """One reusable converter (building a Markdown instance per message is slow)."""

    def __init__(self, *, inline_styles: bool = False, pygments_style: str = "default"):
        self._md = markdown.Markdown(extensions=["tables", "sane_lists"])
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self._md.postprocessors.deregister("raw_html")
        self._md.treeprocessors.register(_SafeTree(self._md), "safe", 15)
        self._highlight = _highlighter(inline_styles, pygments_style)

    def convert(self, text: str) -> str:
        """HTML for a message: prose through Markdown, fences highlighted."""
        out, pos = [], 0
        for match in _FENCE_BLOCK_RE.finditer(text):
            out.append(self._prose(text[pos:match.start()]))
            code = match.group("code")
            out.append(self._highlight(code[:-1] if code.endswith("\n") else code,
                                       match.group("lang")))
            pos = match.end()
        out.append(self._prose(text[pos:]))
        return "".join(out)

    def code(self, code: str, lang: str) -> str:
        """Highlighted code (no Markdown)."""
        return self._highlight(code, lang)

    def _prose(self, text: str) -> str:
        if not text.strip():
            return ""
        if not _MARKUP_RE.search(text):
            # Plain prose (most user turns): what Markdown would make, without it.
            return "\n".join(f"<p>{html.escape(block.strip(), quote=False)}</p>"
                             for block in _BLANK_LINES_RE.split(text.strip()))
        if is_pathological(text):
            return f'<pre class="plain">{html.escape(text)}</pre>'
        self._md.reset()
        return self._md.convert(text)


def is_pathological(text: str) -> bool:
    """Input the Markdown library could take very long over, or nest without end."""
    return markdown_limits.is_pathological(text, max_chars=MARKDOWN_MAX_CHARS,
                                           max_brackets=MAX_BRACKETS)


def pygments_css(style: str) -> str:
    return HtmlFormatter(style=style, cssclass="highlight").get_style_defs(".highlight")
