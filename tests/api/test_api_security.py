"""The guard in front of every route, over real HTTP: /health open, the
token (401), Host (421), body size (413), rate limit (429 + Retry-After),
CORS closed unless listed, one error envelope; and ``agentdesk serve``."""

from __future__ import annotations

import httpx

from tests.api.conftest import make_context
from tests.support.api_server import TOKEN, serve_api


def _envelope(response: httpx.Response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details", "remediation"}
    return error


def test_health_answers_without_a_token(served) -> None:
    response = httpx.get(f"{served.url}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_missing_or_wrong_token_is_401_in_the_envelope(served) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": "Basic " + TOKEN}):
        response = httpx.get(f"{served.url}/api/agents", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert _envelope(response)["code"] == "unauthorized"
    assert httpx.get(f"{served.url}/openapi.json").status_code == 401


def test_the_token_is_read_at_each_request(served) -> None:
    served.context.token = "a-new-token"
    assert httpx.get(f"{served.url}/api/agents", headers=served.headers()).status_code == 401
    assert httpx.get(f"{served.url}/api/agents",
                     headers=served.headers("a-new-token")).status_code == 200


def test_a_host_name_it_was_not_bound_to_is_421(served) -> None:
    response = httpx.get(f"{served.url}/health", headers={"Host": "evil.example:8000"})
    assert response.status_code == 421
    assert _envelope(response)["code"] == "wrong_host"
    for host in (f"localhost:{served.port}", f"127.0.0.1:{served.port}", "localhost"):
        assert httpx.get(f"{served.url}/health", headers={"Host": host}).status_code == 200


def test_an_oversized_body_is_413_declared_or_chunked(api_home) -> None:
    context = make_context(api_home)
    context.limits.max_body_bytes = 2000
    with serve_api(context) as api:
        big = b'{"name": "' + b"x" * 5000 + b'"}'
        response = httpx.post(f"{api.url}/api/agents", content=big, headers={
            **api.headers(), "Content-Type": "application/json"})
        assert response.status_code == 413
        assert _envelope(response)["code"] == "body_too_large"

        def chunks():
            for _ in range(5):
                yield b" " * 1000
        response = httpx.post(f"{api.url}/api/agents", content=chunks(), headers={
            **api.headers(), "Content-Type": "application/json"})
        assert response.status_code == 413
        assert _envelope(response)["code"] == "body_too_large"


def test_the_rate_limit_is_429_with_retry_after(api_home) -> None:
    context = make_context(api_home)
    context.limits.requests_per_minute = 3
    with serve_api(context) as api:
        codes = [httpx.get(f"{api.url}/api/agents", headers=api.headers()).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = httpx.get(f"{api.url}/api/agents", headers=api.headers())
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert _envelope(refused)["code"] == "rate_limited"
        assert httpx.get(f"{api.url}/health").status_code == 200   # not limited
        assert api.context.request_count == 6


def test_cors_is_closed_unless_origins_are_listed(api_home) -> None:
    preflight = {"Origin": "http://site.example", "Access-Control-Request-Method": "GET"}
    with serve_api(make_context(api_home)) as api:
        response = httpx.options(f"{api.url}/api/agents", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        response = httpx.get(f"{api.url}/api/agents",
                             headers={**api.headers(), "Origin": "http://site.example"})
        assert "access-control-allow-origin" not in response.headers
    context = make_context(api_home, allowed_origins=("http://site.example",))
    with serve_api(context) as api:
        response = httpx.options(f"{api.url}/api/agents", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://site.example"
        other = httpx.options(f"{api.url}/api/agents",
                              headers={**preflight, "Origin": "http://other.example"})
        assert "access-control-allow-origin" not in other.headers


def test_an_unknown_path_is_404_in_the_envelope(client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert _envelope(response)["code"] == "not_found"


def test_host_names_are_read_without_their_port() -> None:
    from app.api.security import host_name

    assert [host_name(h) for h in ("127.0.0.1:8000", "LocalHost", "[::1]:80", "::1",
                                   "evil.example:1", "")] == [
        "127.0.0.1", "localhost", "::1", "::1", "evil.example", ""]


def test_the_rate_limit_window_slides() -> None:
    from app.api.security import RateLimiter

    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.retry_after("t", 2) for _ in range(3)] == [0, 0, 60]
    now[0] = 30.0
    assert limiter.retry_after("t", 2) == 30
    assert limiter.retry_after("other", 2) == 0          # per token
    now[0] = 60.5                                          # the first two slid out
    assert [limiter.retry_after("t", 2) for _ in range(3)] == [0, 0, 60]


def test_a_wildcard_bind_answers_to_this_machines_names_only(api_home) -> None:
    import socket

    from app.api.context import ApiContext
    from app.settings import load_settings

    settings = load_settings(api_home)
    wildcard = ApiContext.from_settings(settings.model_copy(update={
        "api": settings.api.model_copy(update={"host": "0.0.0.0"})}), "t", api_home / "a.db")
    assert {"127.0.0.1", "localhost", socket.gethostname().lower()} <= set(wildcard.hosts)
    assert "evil.example" not in wildcard.hosts
    bound = ApiContext.from_settings(settings.model_copy(update={
        "api": settings.api.model_copy(update={"host": "192.168.1.9"})}), "t", api_home / "a.db")
    assert bound.hosts == ("127.0.0.1", "localhost", "192.168.1.9")
