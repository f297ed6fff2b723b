"""The pure parts of the chat view: block splitting and safe Markdown rendering."""

from __future__ import annotations

import re

import pytest

from app.ui.chat.blocks import FORCE_SPLIT_CHARS, Block, BlockSplitter
from app.ui.chat.markdown_render import (
    ACTION_SCHEME,
    MarkdownRenderer,
    is_allowed_url,
    is_pathological,
    split_fence,
)

REPLY = (
    "Intro *text*\n\n"
    "```python\ndef f(x):\n\n    return x < 1\n```\n"
    "After the code\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "- one\n- two\n\n- three\n\n"
    "Last line"
)


def split_streamed(text: str, step: int) -> list[Block]:
    splitter = BlockSplitter()
    blocks: list[Block] = []
    for start in range(0, len(text), step):
        blocks += splitter.feed(text[start:start + step])
    return blocks + splitter.close()


@pytest.mark.parametrize("step", [1, 3, 17, 10_000])
def test_blocks_do_not_depend_on_how_the_text_was_chunked(step: int) -> None:
    blocks = split_streamed(REPLY, step)
    assert "".join(b.text for b in blocks) == REPLY
    assert blocks == split_streamed(REPLY, 10_000)
    kinds = [b.kind for b in blocks]
    # A blank line inside the fence does not end it; a list item after a blank line
    # continues its list.
    assert kinds == ["markdown", "fence", "markdown", "markdown", "markdown", "markdown"]
    assert blocks[1].lang == "python" and "return x < 1" in blocks[1].text
    assert blocks[4].text.count("- ") == 3


def test_tail_is_the_open_block_and_an_open_fence_is_marked() -> None:
    splitter = BlockSplitter()
    # A boundary is decided on complete lines only ("1" may become "1. item").
    assert splitter.feed("Para one\n\nPara tw") == []
    assert splitter.tail() == Block("Para one\n\nPara tw")
    assert splitter.feed("o\n") == [Block("Para one\n\n")]
    assert splitter.tail() == Block("Para two\n")
    finished = splitter.feed("```js\nlet a = 1;\n")
    assert finished == [Block("Para two\n")]
    tail = splitter.tail()
    assert tail is not None and tail.kind == "fence" and not tail.closed and tail.lang == "js"


def test_huge_line_is_cut_into_plain_blocks() -> None:
    splitter = BlockSplitter()
    blocks = splitter.feed("x" * 100_000) + splitter.close()
    assert all(b.kind == "plain" for b in blocks)
    assert all(len(b.text) <= FORCE_SPLIT_CHARS for b in blocks)
    assert sum(len(b.text) for b in blocks) == 100_000


def test_raw_html_is_shown_as_text() -> None:
    html = MarkdownRenderer().render(Block(
        "<script>alert(1)</script>\n\nhi <img src=file:///etc/passwd> <b>x</b>")).html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=file:///etc/passwd&gt;" in html


def test_only_http_https_mailto_links_survive() -> None:
    html = MarkdownRenderer().render(Block(
        "[a](javascript:alert(1)) [b](file:///etc/passwd) [c](data:text/html,x) "
        "[d](relative/page) [e](https://example.org/x?y=1) <f@example.org> "
        "[g](JAVASCRIPT:alert(2)) <http://example.com/>")).html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == ["https://example.org/x?y=1", "mailto:f@example.org",
                     "http://example.com/"]
    for text in ("a", "b", "c", "d", "g"):
        assert f">{text}</span>" in html


def test_images_become_text_and_are_never_emitted() -> None:
    html = MarkdownRenderer().render(Block(
        "![secret](file:///etc/passwd) ![remote](https://example.org/i.png)")).html
    assert "<img" not in html
    assert "[image: secret]" in html
    assert 'href="https://example.org/i.png"' in html  # the address, as a link to confirm
    assert "file:" not in html


@pytest.mark.parametrize("url, allowed", [
    ("https://example.org", True), ("http://a.b/c", True), ("mailto:x@y.z", True),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False), ("data:text/html,1", False),
    ("/relative", False), ("https://", False), ("http://a.b/\nx", False), ("ftp://a.b", False),
])
def test_is_allowed_url(url: str, allowed: bool) -> None:
    assert is_allowed_url(url) is allowed


def test_code_blocks_are_highlighted_with_inline_styles_and_a_copy_link() -> None:
    block = Block("```python\ndef f():\n    return 1\n```\n", "fence", "python")
    rendered = MarkdownRenderer().render(block, code_index=4)
    assert rendered.code == ["def f():\n    return 1"]
    assert f'href="{ACTION_SCHEME}:copy-code/4"' in rendered.html
    assert 'style="color:' in rendered.html and "class=" not in rendered.html
    assert "<table" in rendered.html and "<pre" in rendered.html


def test_unclosed_fence_renders_as_code_to_the_end() -> None:
    code, lang = split_fence("```sh\necho hi\nls", closed=False)
    assert (code, lang) == ("echo hi\nls", "sh")
    html = MarkdownRenderer().render(Block("```sh\necho <b>\n", "fence", "sh", closed=False)).html
    assert "&lt;b&gt;" in html and "<b>" not in html


@pytest.mark.parametrize("text", [
    "\n".join("  " * i + "- item" for i in range(500)),
    "\n".join(">" * i + " quote" for i in range(500)),
    "[" * 5000,
    "y" * 20_000,
])
def test_pathological_blocks_fall_back_to_escaped_text(text: str) -> None:
    assert is_pathological(text)
    html = MarkdownRenderer().render(Block(text)).html
    assert html.startswith("<pre")
    assert "<li>" not in html and "<blockquote>" not in html


def test_ordinary_blocks_are_not_pathological() -> None:
    assert not is_pathological(REPLY)
    assert not is_pathological("- a\n  - b\n    - c\n      - d")
