"""A key typed into a provider URL (issue 15, item 10): ``providers add``
refuses it with a line that points at the API key, without echoing it; a
provider stored before the rule is shown redacted (list, --json, test, log)
and named in a note saying what to do."""

from __future__ import annotations

import pytest

from app.domain import ProviderConfig
from app.logs import LOG_FILENAME

KEY = "Zq7Kp2Lx9Vw4Rt6Y"


@pytest.mark.parametrize("url", [
    f"http://user:{KEY}@127.0.0.1:8080/v1",
    f"https://api.example.com/v1?api_key={KEY}",
    f"https://api.example.com/v1?key={KEY}",
    f"https://api.example.com/v1?token={KEY}",
    f"https://api.example.com/v1#{KEY}",
])
def test_add_refuses_a_credential_in_the_url(cli, open_store, url):
    result = cli("providers", "add", "cloud", "--kind", "openai", "--url", url)
    assert result.code == 1
    line = result.error_line
    assert "API key" in line and "set-key" in line
    assert KEY not in result.err + result.out
    assert open_store().providers.list() == []


def test_a_stored_credential_url_is_never_shown(cli, open_store, home):
    url = f"http://user:{KEY}@127.0.0.1:9/v1?api_key={KEY}"
    store = open_store()
    store.providers.create(ProviderConfig(name="old", kind="openai", base_url=url))
    store.close()

    listed = cli("providers", "list")
    assert listed.code == 0
    assert KEY not in listed.out + listed.err
    assert "127.0.0.1:9/v1" in listed.out
    assert "'old' keeps a key in its URL" in listed.err and "API key" in listed.err

    as_json = cli("providers", "list", "--json")
    assert KEY not in as_json.out
    assert as_json.json()[0]["base_url"] == \
        "http://[REDACTED]@127.0.0.1:9/v1?api_key=[REDACTED]"

    tested = cli("providers", "test", "old")     # nothing listens on port 9
    assert tested.code != 0
    assert "127.0.0.1:9" in tested.out + tested.err
    assert KEY not in tested.out + tested.err
    log_text = (home / "logs" / LOG_FILENAME).read_text(encoding="utf-8")
    assert "connection test old" in log_text
    assert KEY not in log_text
    # It still works as it did: the stored row is unchanged.
    assert open_store().providers.get_by_name("old").base_url == url
