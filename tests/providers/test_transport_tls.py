"""TLS contexts of the HTTP transport: one shared verifying context for https://
base URLs, made on first need; none of it (no CA bundle) for plain http://.

And verification is not weakened: an https request to a local server whose
certificate nobody trusts fails, while the same server answers a client that
does trust it.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import app.providers.transport as transport
from app.providers.base import ProviderError, ProviderOptions, Timeouts
from app.providers.transport import HttpTransport

FAST = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=2.0, idle=2.0))


def pool_context(http: HttpTransport) -> ssl.SSLContext:
    """The SSLContext the client's connection pool really uses (httpx internals)."""
    return http._client._transport._pool._ssl_context


def close(*transports: HttpTransport) -> None:
    async def go() -> None:
        for http in transports:
            await http.aclose()

    asyncio.run(go())


@pytest.fixture()
def fresh_contexts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test as a new process would: no context made yet."""
    monkeypatch.setattr(transport, "_verifying_context", None)
    monkeypatch.setattr(transport, "_no_ca_context", None)


def test_https_transports_share_one_verifying_context(fresh_contexts: None) -> None:
    first = HttpTransport("https://api.example.com/v1")
    second = HttpTransport("https://other.example.org", label="other")
    try:
        context = pool_context(first)
        assert context is pool_context(second)
        assert context is transport.verifying_ssl_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded
    finally:
        close(first, second)


def test_verifying_context_has_httpx_default_trust(fresh_contexts: None) -> None:
    # The same CAs as httpx's default for a trust_env=False client (certifi).
    ours = transport.verifying_ssl_context()
    default = httpx.create_ssl_context(verify=True, trust_env=False)
    assert ours.verify_mode == default.verify_mode == ssl.CERT_REQUIRED
    assert ours.check_hostname and default.check_hostname
    assert ours.minimum_version == default.minimum_version
    assert ours.cert_store_stats() == default.cert_store_stats()
    assert ({c["serialNumber"] for c in ours.get_ca_certs()}
            == {c["serialNumber"] for c in default.get_ca_certs()})


def test_http_transport_loads_no_ca_bundle(fresh_contexts: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[object] = []
    real_create = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context",
                        lambda *a, **k: loaded.append((a, k)) or real_create(*a, **k))
    first = HttpTransport("http://127.0.0.1:9/v1")
    second = HttpTransport("http://localhost:11434")
    try:
        assert transport._verifying_context is None  # never made
        assert loaded == []                            # nor any other default one
        context = pool_context(first)
        assert context is pool_context(second)
        assert context.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
        # Used for TLS by mistake, it would refuse every certificate.
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        close(first, second)


# -- a local TLS server with a certificate nobody trusts ------------------------------
def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (so only trust can fail, not the name)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agentdesk-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server name)
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return  # quiet test output


@pytest.fixture()
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``(https URL, certificate file)`` of a JSON server on loopback."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    # A refused handshake surfaces as an OSError in accept(), which the server
    # drops quietly; the next connection is served as usual.
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and exc not in found:
        found.append(exc)
        exc = exc.__cause__ or exc.__context__
    return found


def test_untrusted_certificate_fails_verification(fresh_contexts: None,
                                                  tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server

    async def go() -> ProviderError:
        http = HttpTransport(url, options=FAST)
        try:
            with pytest.raises(ProviderError) as caught:
                await http.request_json("GET", "/models")
            return caught.value
        finally:
            await http.aclose()

    error = asyncio.run(asyncio.wait_for(go(), 20))
    assert error.kind == "unreachable"
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in _chain(error)), \
        _chain(error)

    # Control: the server itself is fine; a client that trusts its certificate
    # gets the answer, so the failure above was the verification.
    async def trusted() -> dict:
        context = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(verify=context, trust_env=False) as client:
            response = await client.get(f"{url}/models", timeout=5)
            return response.json()

    assert asyncio.run(asyncio.wait_for(trusted(), 20)) == {"ok": True}
