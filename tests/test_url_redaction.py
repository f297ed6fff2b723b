"""Credentials in URLs (issue 15, item 10): ``url_credentials`` finds them,
``redact_url`` hides them, ``redact`` (the log filter) hides them inside text,
and a provider error naming its URL never carries them."""

from __future__ import annotations

import string

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from app.logs import REDACTED, redact, redact_url, url_credentials
from app.ops.providers import url_problem
from app.providers.base import ProviderError
from app.providers.transport import HttpTransport, classify_exception

KEY = "Zq7Kp2Lx9Vw4Rt6Y"   # no known key shape: only the URL rules can catch it
CREDENTIAL_URLS = [
    f"http://user:{KEY}@127.0.0.1:8080/v1",
    f"https://{KEY}@api.example.com/v1",
    f"https://api.example.com/v1?api_key={KEY}",
    f"https://api.example.com/v1?key={KEY}",
    f"https://api.example.com/v1?token={KEY}",
    f"https://api.example.com/v1?api-version=2024-02-01&access_token={KEY}",
    f"https://api.example.com/v1?x-goog-api-key={KEY}",
    f"https://api.example.com/v1#{KEY}",
    f"http://[::1/v1?token={KEY}",           # urlsplit refuses this one
]


def test_each_credential_url_is_found_and_redacted() -> None:
    for url in CREDENTIAL_URLS:
        assert url_credentials(url), url
        shown = redact_url(url)
        assert KEY not in shown and REDACTED in shown, (url, shown)


def test_plain_urls_are_left_as_they_are() -> None:
    for url in ("http://127.0.0.1:11434", "https://api.openai.com/v1",
                "https://x.example/v1?api-version=2024-02-01&keyword=a",
                "http://[::1]:8000/v1"):
        assert url_credentials(url) == []
        assert redact_url(url) == url


def test_the_url_check_refuses_credentials_and_names_the_api_key_field() -> None:
    for url in CREDENTIAL_URLS[:-1]:
        problem = url_problem("openai", url)
        assert problem is not None and "API key" in problem, url
        assert KEY not in problem
    assert url_problem("openai", "https://x.example/v1?api-version=2024-02-01") is None


def test_the_log_filter_redacts_urls_inside_text() -> None:
    line = f"cannot connect to cloud at http://me:{KEY}@h.example/v1?key={KEY} (retry)"
    out = redact(line)
    assert KEY not in out
    assert "cannot connect to cloud at http://" in out and "h.example/v1" in out


def test_a_provider_error_never_carries_the_key_of_its_url() -> None:
    transport = HttpTransport(f"http://user:{KEY}@127.0.0.1:9/v1")
    assert KEY not in transport.label
    error = classify_exception(httpx.ConnectError("refused"), transport.label, "x")
    assert KEY not in error.message
    raw = ProviderError("protocol", f"Redirect for url 'https://h/v1?api_key={KEY}'")
    assert KEY not in raw.message and KEY not in str(raw)
    assert KEY not in raw.to_event().message


# Wrapped in "Q": no fixed part of the URLs below holds a Q, so finding the key
# in the output can only mean it was not redacted.
_key = st.text(alphabet=string.ascii_letters + string.digits + "-._~", min_size=4,
               max_size=40).map(lambda text: f"Q{text}Q")


@settings(max_examples=200, deadline=None)
@given(key=_key, where=st.sampled_from(["userinfo", "user", "query", "fragment"]),
       name=st.sampled_from(["key", "api_key", "apiKey", "token", "access_token",
                             "password", "secret", "sig"]))
def test_no_key_survives_redaction(key: str, where: str, name: str) -> None:
    url = {"userinfo": f"https://u:{key}@h.example/v1",
           "user": f"https://{key}@h.example/v1",
           "query": f"https://h.example/v1?a=1&{name}={key}&b=2",
           "fragment": f"https://h.example/v1#{key}"}[where]
    assert key not in redact_url(url)
    assert key not in redact(f"error at {url}: failed")
    assert url_credentials(url)
