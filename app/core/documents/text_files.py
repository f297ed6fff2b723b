"""Plain text, Markdown, source code and HTML: decoded with care (a binary file
named ``.txt`` is refused, not shown as mojibake), HTML reduced to its text
with headings kept as Markdown headings."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.core.documents.budget import Budget
from app.core.documents.kinds import code_language
from app.core.documents.model import DocumentError

#: Control characters other than tab/newline/carriage return/form feed: more
#: than this share of them in a text that decoded means it is binary.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SNIFF = 8192


def decode(data: bytes, name: str) -> str:
    """``data`` as text: UTF-8 (BOM dropped), UTF-16 with a BOM, else
    Windows-1252 when it looks like text; DocumentError "binary" otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(name, "binary", "a binary file, not text") from None
    if b"\0" in data[:_SNIFF]:
        raise DocumentError(name, "binary", "a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:_SNIFF * 4]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise DocumentError(name, "binary", "a binary file, not text")
    return text


def read_plain(text: str, budget: Budget) -> None:
    budget.add(text)


def read_code(text: str, name: str, budget: Budget) -> None:
    """Source code, fenced so the model sees where it starts and ends."""
    fence = "```"
    while fence in text:
        fence += "`"
    budget.add(f"{fence}{code_language(name)}\n{text.rstrip()}\n{fence}")


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def read_markdown(text: str, budget: Budget) -> None:
    """Markdown kept as it is, one section per heading (the heading is the
    section's place for citations)."""
    heading: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match and lines:
            if not budget.add("\n".join(lines), heading=heading):
                return
            lines = []
        if match:
            heading = match.group(2)
        lines.append(line)
    if lines:
        budget.add("\n".join(lines), heading=heading)


class _HtmlText(HTMLParser):
    """Collects visible text; h1–h6 become Markdown headings, block elements
    break lines, script/style/template contents are dropped."""

    _BLOCKS = {"p", "div", "br", "li", "tr", "section", "article", "header", "footer",
               "blockquote", "pre", "table", "ul", "ol", "dl", "dt", "dd", "hr", "main"}
    _HIDDEN = {"script", "style", "template", "noscript", "head", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._heading_level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading_level = int(tag[1])
            self.parts.append("\n\n" + "#" * self._heading_level + " ")
        elif tag in self._BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading_level = 0
            self.parts.append("\n\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.parts.append(" ".join(data.split()) if self._heading_level else data)


def html_to_markdown_text(html: str) -> str:
    """The visible text of an HTML page, headings as Markdown headings."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) if not line.startswith("#") else line.strip()
             for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_html(text: str, budget: Budget) -> None:
    read_markdown(html_to_markdown_text(text), budget)
