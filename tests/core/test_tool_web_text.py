"""HTML to readable text, and the address rules of the web tools."""

from __future__ import annotations

import ipaddress

import pytest

from app.core.tools.web_guard import NetworkPolicy, address_problem
from app.core.tools.web_text import html_charset, html_to_text


def test_structure_is_kept_as_plain_text():
    title, text = html_to_text(
        "<html><head><title> A   page </title><meta charset=utf-8></head><body>"
        "<header><h2>Section</h2></header><p>First   para\ngraph.</p><p>Second.</p>"
        "<ol><li>one</li><li>two<ul><li>inner</li></ul></li></ol>"
        "<pre>keep   this\n  indented</pre>"
        "<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>"
        "</body></html>")
    assert title == "A page"
    assert text == ("## Section\n\nFirst para graph.\n\nSecond.\n\n- one\n- two\n  - inner"
                    "\n\nkeep   this\n  indented\n\nk | v\na | 1")


def test_non_content_elements_are_dropped():
    _, text = html_to_text(
        "<body><script>var a = '<p>not text</p>';</script><style>.x{}</style>"
        "<noscript>enable js</noscript><nav>menu</nav><svg><text>logo</text></svg>"
        "<template><p>tpl</p></template><p>content</p><button>Click</button></body>")
    assert text == "content"


def test_links_are_absolute_and_only_http():
    _, text = html_to_text(
        '<p><a href="../up">Up</a> <a href="#top">Top</a> '
        '<a href="javascript:void(0)">Run</a> <a href="https://x.example/">'
        'https://x.example/</a> <a href="mailto:a@b.example">Mail</a></p>',
        "https://site.example/docs/page.html")
    assert text == ("Up (https://site.example/up) Top Run https://x.example/ Mail")


def test_broken_html_does_not_break_the_parser():
    _, text = html_to_text("<div><p>open <b>bold <i>both</div></span></p>tail <li>item")
    assert "open bold both" in text and "tail" in text and "- item" in text


def test_meta_charset_is_found():
    assert html_charset(b'<html><head><meta charset="ISO-8859-2">') == "ISO-8859-2"
    assert html_charset(b'<meta http-equiv="Content-Type" '
                        b'content="text/html; charset=windows-1251">') == "windows-1251"
    assert html_charset(b"<html><body>no declaration</body></html>") is None


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.20.30.40", "172.31.255.255", "192.168.0.1",
    "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3",
    "224.0.0.251", "239.255.255.250", "255.255.255.255", "240.0.0.1", "::1", "::",
    "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:192.168.1.1",
    "64:ff9b::a00:1", "2002:c0a8:101::1",
])
def test_non_public_addresses_have_a_reason(address):
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "1.1.1.1",
                                     "2606:4700:4700::1111", "2a00:1450:4001::200e",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert address_problem(ipaddress.ip_address(address)) is None


def test_allowed_hosts_match_exactly():
    policy = NetworkPolicy.build(False, ["127.0.0.1:8080", "nas.lan", "[::1]:9000"])
    assert policy.exempt("127.0.0.1", 8080)
    assert not policy.exempt("127.0.0.1", 8081)
    assert policy.exempt("NAS.lan", 443)
    assert policy.exempt("::1", 9000) and not policy.exempt("::1", 80)
    assert NetworkPolicy.build(True).exempt("10.0.0.1", 80)
