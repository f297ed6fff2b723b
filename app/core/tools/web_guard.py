"""Which network addresses the web tools may contact, checked before connecting.

``fetch_url`` follows links the model chose, so a page (or a prompt injection in
one) could point it at the user's router, a local admin panel or the cloud
metadata service (169.254.169.254). Every host is therefore resolved once, every
address it resolves to is checked, and the connection is then made to exactly
the address that was checked (see ``fetch_url``), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass, field

from app.core.tools.base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The resolver, looked up at call time so tests can replace it (never real DNS there).
getaddrinfo = socket.getaddrinfo

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_OFF = "fetching private or local addresses is off (setting tools.allow_private_addresses)"
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(ToolError):
    """The URL points at an address the user has not allowed."""


@dataclass(frozen=True)
class NetworkPolicy:
    """What the web tools may reach.

    ``allow_private``: the user's setting ``tools.allow_private_addresses``.
    ``allowed_hosts``: exact ``host`` or ``host:port`` entries exempt from the
    private-address rule (e.g. one machine on the home network).
    """

    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, allow_private: bool = False,
              allowed_hosts: Collection[str] = ()) -> NetworkPolicy:
        return cls(allow_private, frozenset(h.strip().lower() for h in allowed_hosts))

    def exempt(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return (self.allow_private or host in self.allowed_hosts
                or f"{host}:{port}" in self.allowed_hosts
                or f"[{host}]:{port}" in self.allowed_hosts)


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_problem(embedded)
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address (this computer)"
    if address.is_link_local:
        return "a link-local address (e.g. the cloud metadata service)"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared carrier-grade NAT address"
    if address.is_private:
        return "a private network address"
    if address.is_reserved or not address.is_global:
        return "a reserved, non-public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv4-mapped, 6to4 or NAT64 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is written as one (``[::1]`` too)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def checked_addresses(host: str, port: int, policy: NetworkPolicy) -> list[str]:
    """The addresses to connect to for ``host``, every one of them allowed.

    Raises AddressRefused before any packet is sent to a refused address: a
    literal IP is checked without resolving; a name is resolved once (the
    caller connects to the returned addresses, never to the name), and if any
    of its addresses is refused the whole name is (an attacker controlling the
    DNS answer must not get to pick).
    """
    host = host.strip().rstrip(".").lower()
    if not host:
        raise AddressRefused("the URL has no host")
    exempt = policy.exempt(host, port)
    literal = parse_literal(host)
    if literal is not None:
        _check(host, [literal], exempt)
        return [str(literal)]
    if not exempt and (host in _LOCAL_NAMES or host.endswith(".localhost")):
        raise AddressRefused(f"{host} is this computer; {_OFF}")
    addresses = await _resolve(host, port)
    _check(host, addresses, exempt)
    return [str(address) for address in addresses]


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.to_thread(getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ToolError(f"cannot resolve the host {host}: {exc.strerror or exc}") from None
    found: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise ToolError(f"the host {host} has no IP address")
    return found


def _check(host: str, addresses: list[IPAddress], exempt: bool) -> None:
    if exempt:
        return
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
            raise AddressRefused(f"{shown} is {problem}; {_OFF}")
