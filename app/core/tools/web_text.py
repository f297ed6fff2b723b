"""Readable text from a web page (stdlib html.parser; no browser, no JavaScript).

Scripts, styles, navigation and other non-content elements are dropped;
headings become ``#`` lines, list items ``- `` lines, links ``text (url)``,
paragraphs and other blocks are separated by blank lines, ``<pre>`` keeps its
spacing. Good enough for a model to read a page, not a faithful rendering.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Elements whose whole content is dropped.
_DROP = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "object",
         "canvas", "head", "select", "button"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "aside",
           "blockquote", "table", "ul", "ol", "dl", "dt", "dd", "figure",
           "figcaption", "address", "form", "fieldset", "details", "summary", "body"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}
_SPACES = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
                           re.IGNORECASE)


def html_charset(head: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag near its start."""
    match = _META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii") if match else None


def html_to_text(html: str, base_url: str = "") -> tuple[str, str]:
    """``(title, text)`` of an HTML document."""
    parser = _TextParser(base_url)
    parser.feed(html)
    parser.close()
    return parser.title, parser.text()


class _TextParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self._base = base_url
        self._out: list[str] = []
        self._drop = 0
        self._pre = 0
        self._lists = 0
        self._in_title = False
        self._title: list[str] = []
        self._links: list[tuple[str | None, int]] = []  # (href, output index at start)

    # -- output helpers -------------------------------------------------------
    def _tail(self) -> str:
        return "".join(self._out[-3:])[-2:]

    def _newlines(self, count: int) -> None:
        if not self._out:
            return
        tail = self._tail()
        have = len(tail) - len(tail.rstrip("\n"))
        if have < count:
            self._out.append("\n" * (count - have))

    def _write(self, text: str) -> None:
        if self._pre:
            self._out.append(text)
            return
        text = _SPACES.sub(" ", text)
        if not text.strip() and (not self._out or self._tail().endswith((" ", "\n"))):
            return
        if not self._out or self._tail().endswith(("\n", " ")):
            text = text.lstrip()
        self._out.append(text)

    # -- parser callbacks -----------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _DROP:
            self._drop += 1
            return
        if self._drop or tag in _VOID and tag != "br" and tag != "hr":
            return
        if tag in ("br", "hr"):
            self._newlines(1)
        elif tag in _HEADINGS:
            self._newlines(2)
            self._out.append("#" * _HEADINGS[tag] + " ")
        elif tag == "li":
            self._newlines(1)
            self._out.append("  " * max(self._lists - 1, 0) + "- ")
        elif tag in ("ul", "ol"):
            self._lists += 1
            self._newlines(2 if self._lists == 1 else 1)
        elif tag == "pre":
            self._pre += 1
            self._newlines(2)
        elif tag == "tr":
            self._newlines(1)
        elif tag in ("td", "th"):
            if not self._tail().endswith("\n"):
                self._out.append(" | ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self._out)))
        elif tag in _BLOCKS:
            self._newlines(2)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _DROP:
            self._drop = max(self._drop - 1, 0)
            return
        if self._drop:
            return
        if tag in _HEADINGS or tag in _BLOCKS:
            self._newlines(2)
        elif tag in ("ul", "ol"):
            self._lists = max(self._lists - 1, 0)
            self._newlines(2 if not self._lists else 1)
        elif tag in ("li", "tr"):
            self._newlines(1)
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)
            self._newlines(2)
        elif tag == "a" and self._links:
            self._end_link()

    def _end_link(self) -> None:
        href, start = self._links.pop()
        label = "".join(self._out[start:]).strip()
        url = _absolute_link(href, self._base)
        if url and label and url != label:
            self._out.append(f" ({url})")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        if not self._drop:
            self._write(data)

    # -- result ---------------------------------------------------------------
    @property
    def title(self) -> str:
        return " ".join("".join(self._title).split())

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self._out).splitlines()]
        text = "\n".join(lines).strip("\n")
        return re.sub(r"\n{3,}", "\n\n", text)


def _absolute_link(href: str | None, base: str) -> str | None:
    """A link worth showing: absolute http(s), not a same-page anchor or script."""
    if not href or href.startswith("#"):
        return None
    url = urljoin(base, href.strip()) if base else href.strip()
    return url if urlsplit(url).scheme in ("http", "https") else None
