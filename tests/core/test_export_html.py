"""HTML export: one self-contained, script-free page with highlighted code."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.core.export import load_bundles, render
from app.core.export.html_format import export_html
from app.core.export.html_render import MarkdownToHtml
from app.domain import Message
from app.store import Store
from tests.support.export_data import add_conversation, make_agent, rich_messages

HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> "
    "[click](javascript:alert(1)) [data](data:text/html,<b>x</b>) "
    "![pixel](https://tracker.example/p.png) [ok](https://example.org/a?b=1&c=2) "
    "<a href=\"javascript:alert(2)\">raw</a> [mail](mailto:me@example.org)"
)


class Page(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _bundles(tmp_path: Path, messages: list[Message]):
    with Store(tmp_path / "a.db") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, "Greeting <i>x</i>", messages)
        return load_bundles(store)


@pytest.fixture
def page(tmp_path: Path) -> str:
    hostile = Message(conversation_id=0, role="user", content=HOSTILE)
    return render(_bundles(tmp_path, [*rich_messages(), hostile]), "html")


def test_page_is_self_contained_with_csp_and_charset(page: str) -> None:
    parsed = Page(page)
    assert parsed.all("script") == [] and parsed.all("link") == []
    assert parsed.all("iframe") == [] and parsed.all("img") == []
    metas = parsed.all("meta")
    assert {"charset": "utf-8"} in metas
    csp = next(m["content"] for m in metas
               if m.get("http-equiv") == "Content-Security-Policy")
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    # Images only from data: URLs (an attached image's own bytes), never from
    # the network; this page has none, so no data: URL at all.
    assert "img-src data:;" in csp
    for _, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), attrs
        for name in ("src", "href"):
            assert not (attrs.get(name) or "").lower().startswith(("javascript:", "data:"))
    assert "http://" not in page.split("<main>")[0].replace('content="', "")


def test_hostile_content_is_shown_as_text(page: str) -> None:
    parsed = Page(page)
    text = "".join(parsed.text)
    assert "<script>alert('x')</script>" in text  # visible, as characters
    assert "<img src=x onerror=alert(1)>" in text
    assert "[image: pixel]" in text
    hrefs = [a["href"] for a in parsed.all("a")]
    assert hrefs == ["https://example.org/a?b=1&c=2", "mailto:me@example.org"]


def test_code_is_highlighted_and_tool_calls_collapse(page: str) -> None:
    parsed = Page(page)
    highlighted = [d for d in parsed.all("div") if d.get("class") == "highlight"]
    assert highlighted, "no highlighted code block"
    classes = {s.get("class") for s in parsed.all("span")}
    assert {"k", "nf"} <= classes  # 'def' keyword and function name from Pygments
    assert ".highlight .k" in page  # the stylesheet for those classes is embedded
    assert len(parsed.all("details")) == 1
    text = "".join(parsed.text)
    assert '"expression": "6*7"' in text and "42" in text
    assert "Greeting <i>x</i>" in text and parsed.all("i") == []


def test_dark_variant_uses_dark_colours(tmp_path: Path) -> None:
    bundles = _bundles(tmp_path, rich_messages())
    light, dark = export_html(bundles, "light"), export_html(bundles, "dark")
    assert '<body class="dark">' in dark and '<body class="light">' in light
    assert "background: #0d1117" in dark and "background: #0d1117" not in light
    with pytest.raises(ValueError):
        export_html(bundles, "neon")  # type: ignore[arg-type]


def test_inline_styles_variant_needs_no_stylesheet_classes(tmp_path: Path) -> None:
    """The PDF's variant colours code with tags Qt reads without its CSS parser."""
    html = export_html(_bundles(tmp_path, rich_messages()), inline_styles=True)
    parsed = Page(html)
    coloured = [f for f in parsed.all("font") if re.fullmatch(r"#[0-9A-Fa-f]{6}", f.get("color") or "")]
    assert coloured and ".highlight .k" not in html
    assert not [s for s in parsed.all("span") if "color" in (s.get("style") or "")]
    assert re.search(r"<b>def\s*</b>", html), "a Python keyword is not bold"


def test_qt_formatter_escapes_code_and_keeps_every_character() -> None:
    code = 'if a < b and c > d:\n    s = "<script>&amp;"  # x\n\n\tpass\n'
    out = MarkdownToHtml(inline_styles=True).code(code, "python")
    assert "<script>" not in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == code.removesuffix("\n")
