"""HTML export: one self-contained page (inline CSS, no scripts, nothing remote).

A Content-Security-Policy meta forbids scripts and every remote load, so even
a mistake in escaping could not run code or phone home. Messages are rendered
from Markdown by ``html_render`` (raw HTML shown as text, only http/https/mailto
links, no images). ``theme`` is "light" or "dark"; ``inline_styles`` puts the
code colours on each span (for Qt's QTextDocument, used by the PDF export).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from app.core.export.html_render import MarkdownToHtml, pygments_css
from app.core.export.markdown_format import format_time, pretty_arguments, tool_results
from app.core.export.model import ConversationBundle
from app.core.wording import plural
from app.domain.attachments import Attachment, ChatImage
from app.domain import Message

Theme = Literal["light", "dark"]
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
       "script-src 'none'; connect-src 'none'; frame-src 'none'; object-src 'none'; "
       "base-uri 'none'; form-action 'none'")
_PALETTES = {
    "light": {"bg": "#ffffff", "fg": "#1f2328", "muted": "#656d76", "card": "#f6f8fa",
              "border": "#d0d7de", "link": "#0969da", "user": "#ddf4ff",
              "error": "#cf222e", "pygments": "default"},
    "dark": {"bg": "#0d1117", "fg": "#e6edf3", "muted": "#9198a1", "card": "#161b22",
             "border": "#30363d", "link": "#4493f8", "user": "#12263f",
             "error": "#f85149", "pygments": "monokai"},
}
ROLE_LABELS = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}


def stylesheet(theme: Theme, inline_styles: bool) -> str:
    p = _PALETTES[theme]
    if inline_styles:
        return _qt_stylesheet(p)
    css = f"""
body {{ background: {p['bg']}; color: {p['fg']}; margin: 0; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
main {{ max-width: 52em; margin: 0 auto; padding: 1.5em; }}
h1 {{ font-size: 1.6em; margin: 1.2em 0 0.2em; }}
.meta, .message header {{ color: {p['muted']}; font-size: 0.85em; }}
.message {{ border: 1px solid {p['border']}; border-radius: 8px; padding: 0.6em 1em;
  margin: 0.8em 0; background: {p['bg']}; }}
.message.user {{ background: {p['user']}; }}
.message.system, .message.tool {{ background: {p['card']}; }}
.message header .role {{ font-weight: bold; color: {p['fg']}; }}
a {{ color: {p['link']}; }}
.inert-link {{ color: {p['muted']}; }}
pre {{ background: {p['card']}; border: 1px solid {p['border']}; border-radius: 6px;
  padding: 0.6em; overflow-x: auto; white-space: pre-wrap; word-wrap: break-word; }}
code {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.9em; }}
details {{ border: 1px solid {p['border']}; border-radius: 6px; padding: 0.4em 0.8em;
  margin: 0.6em 0; }}
summary {{ cursor: pointer; color: {p['muted']}; }}
.error {{ color: {p['error']}; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid {p['border']}; padding: 0.2em 0.5em; }}
hr {{ border: none; border-top: 1px solid {p['border']}; margin: 2em 0; }}
"""
    if not inline_styles:
        css += pygments_css(p["pygments"]) + "\n.highlight pre { background: transparent; }"
    return css


def _qt_stylesheet(p: dict[str, str]) -> str:
    """Tag selectors only, for QTextDocument (the PDF): it matches every class
    rule against every element, which doubled layout time for a long chat."""
    return f"""
body {{ background: {p['bg']}; color: {p['fg']}; }}
h1 {{ font-size: 18pt; }}
header {{ color: {p['muted']}; margin-top: 12px; }}
span.role {{ font-weight: bold; color: {p['fg']}; }}
a {{ color: {p['link']}; }}
pre {{ background: {p['card']}; white-space: pre-wrap; }}
summary {{ color: {p['muted']}; }}
"""


@dataclass(frozen=True)
class HtmlPieces:
    """An HTML export in pieces: the page's stylesheet and background, and each
    conversation's fragments (balanced HTML, in order).

    ``page()`` joins them into the self-contained page. The PDF writer takes
    the fragments instead, a batch at a time, so that no single Qt call holds
    the interpreter for the whole document (app/ui/export_pdf.py)."""

    title: str
    theme: Theme
    stylesheet: str
    background: str
    conversations: list[list[str]]

    def body_fragments(self) -> Iterator[str]:
        """Every fragment of the body in order, a rule between conversations."""
        for index, fragments in enumerate(self.conversations):
            if index:
                yield "<hr>"
            yield from fragments

    def page(self) -> str:
        body = "\n<hr>\n".join(
            '<article class="conversation">\n' + "\n".join(fragments) + "\n</article>"
            for fragments in self.conversations)
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="en" class="{self.theme}"><head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="color-scheme" content="{self.theme}">\n'
            f"<title>{_e(self.title)}</title>\n"
            f"<style>{self.stylesheet}</style>\n"
            f'</head>\n<body class="{self.theme}">\n<main>\n{body}\n</main>\n</body></html>\n'
        )


class HtmlExporter:
    def __init__(self, theme: Theme = "light", *, inline_styles: bool = False) -> None:
        if theme not in _PALETTES:
            raise ValueError(f"unknown theme {theme!r} (light or dark)")
        self.theme = theme
        self.inline_styles = inline_styles
        self._md = MarkdownToHtml(inline_styles=inline_styles,
                                  pygments_style=_PALETTES[theme]["pygments"])

    def page(self, bundles: Sequence[ConversationBundle]) -> str:
        return self.pieces(bundles).page()

    def pieces(self, bundles: Sequence[ConversationBundle]) -> HtmlPieces:
        title = bundles[0].conversation.title if len(bundles) == 1 else "Conversations"
        return HtmlPieces(title=title, theme=self.theme,
                          stylesheet=stylesheet(self.theme, self.inline_styles),
                          background=_PALETTES[self.theme]["bg"],
                          conversations=[self.conversation(b) for b in bundles])

    def conversation(self, bundle: ConversationBundle) -> list[str]:
        """The conversation's fragments: its heading, then each message."""
        c = bundle.conversation
        results = tool_results(bundle.messages)
        called = {call.call_id for m in bundle.messages for call in m.tool_calls}
        parts = [f"<h1>{_e(c.title)}</h1>\n"
                 f'<p class="meta">Agent: {_e(bundle.agent.name)} · started '
                 f"{_e(format_time(c.created_at))} · {plural(len(bundle.messages), 'message')}</p>"]
        for message in bundle.messages:
            if message.role == "tool" and message.tool_call_id in called:
                continue  # shown inside its call's block
            parts.append(self.message(message, results))
        return parts

    def message(self, message: Message, results: dict[str, Message]) -> str:
        label = ROLE_LABELS.get(message.role, message.role)
        info = [f'<span class="role">{_e(label)}</span>',
                f'<time datetime="{_e(message.created_at.isoformat())}">'
                f"{_e(format_time(message.created_at))}</time>"]
        if message.model:
            info.append(f'<span class="model">{_e(message.model)}</span>')
        if message.status != "complete":
            info.append(f'<span class="status">{_e(message.status)}</span>')
        if message.role == "tool":
            body = _pre(message.content)
        else:
            body = self._md.convert(message.content)
        out = [f'<section class="message {_e(message.role)}">',
               f"<header>{' · '.join(info)}</header>", f'<div class="content">{body}</div>']
        if message.error:
            out.append(f'<p class="error">Error: {_e(message.error)}</p>')
        if message.attachments:
            out.append(_attachments_html(message.attachments))
        for call in message.tool_calls:
            out.append(self._tool_call(call, results.get(call.call_id)))
        out.append("</section>")
        return "\n".join(out)

    def _tool_call(self, call, result: Message | None) -> str:
        args, _ = pretty_arguments(call.arguments)
        out = ['<details class="tool-call">',
               f"<summary>Tool call: <code>{_e(call.name)}</code> ({_e(call.call_id)})"
               "</summary>", "<p><strong>Arguments</strong></p>", _pre(args)]
        if result is not None:
            label = "Result (error)" if result.error or result.status == "error" else "Result"
            out += [f"<p><strong>{label}</strong></p>",
                    _pre(result.content or result.error or "")]
        out.append("</details>")
        return "\n".join(out)


def export_html(bundles: Sequence[ConversationBundle], theme: Theme = "light", *,
                inline_styles: bool = False) -> str:
    return HtmlExporter(theme, inline_styles=inline_styles).page(bundles)


def pdf_html_pieces(bundles: Sequence[ConversationBundle],
                    theme: Theme = "light") -> HtmlPieces:
    """The HTML export a PDF is laid out from: for Qt's QTextDocument, code
    colours inline (app/ui/export_pdf.py and DataService's PDF export)."""
    return HtmlExporter(theme, inline_styles=True).pieces(bundles)


def _attachments_html(attachments: Sequence[Attachment]) -> str:
    """Images as thumbnails (data: URLs of the image sent; the page's CSP
    allows data: images only), documents as chips with their note."""
    items = []
    for attachment in attachments:
        title = _e(attachment.label + (f" — {attachment.note}" if attachment.note else ""))
        if attachment.kind == "image" and attachment.data and \
                attachment.mime in ("image/png", "image/jpeg"):
            url = ChatImage(mime=attachment.mime, data=attachment.data).data_url
            items.append(f'<figure class="attachment"><img src="{url}" alt="{_e(attachment.name)}"'
                         f' title="{title}" style="max-width:240px;max-height:240px">'
                         f"<figcaption>{title}</figcaption></figure>")
        else:
            items.append(f'<span class="attachment">📎 {title}</span>')
    return f'<div class="attachments">{"".join(items)}</div>'


def _pre(text: str) -> str:
    """Tool arguments and results: preformatted, not highlighted (thousands of
    them in a long agent run would double the export time)."""
    return f'<pre class="tool-data"><code>{_e(text)}</code></pre>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
