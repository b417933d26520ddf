"""The outbound-request guard: every server-side fetch of a URL that a user chose goes through it.

A URL a workspace member typed (a model provider's base URL now; the HTTP node, MCP servers and
knowledge-base URLs next) must not reach the instance's own network. `guarded_client` builds an
httpx client whose transport resolves each request's host, refuses loopback, private,
link-local, multicast, reserved and cloud-metadata addresses unless the `OutboundPolicy` allows
them, and then connects to the very address it checked (the Host header and TLS server name
keep the original name), so DNS rebinding cannot switch the address after the check. Every
redirect hop is a new request through the same transport, so it is checked too.

The policy is configuration: the Django side builds it from WEFT_OUTBOUND_ALLOW and the URLs an
instance admin configured (kernel.outbound); the runtime never reads settings.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from runtime.errors import OutboundRefusedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Non-public destinations an instance admin allows (public addresses are always allowed)."""

    hosts: frozenset[str] = frozenset()  # host names allowed whatever they resolve to
    networks: tuple[IPNetwork, ...] = ()  # addresses allowed (CIDRs; one address is a /32)

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> OutboundPolicy:
        """A policy from host names, IP addresses, CIDRs or URLs (their host is taken)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if "://" in entry:
                entry = httpx.URL(entry).host
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        """Whether `host` (a name) was allowed by name."""
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        """Whether `address` is public or inside an allowed network."""
        if _private_kind(address) is None:
            return True
        return any(address in net for net in self.networks if net.version == address.version)


STRICT = OutboundPolicy()


def _private_kind(address: IPAddress) -> str | None:
    """What makes `address` non-public ("loopback", "metadata", …), or None when it is public."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return _private_kind(mapped)
    checks = (
        (address in METADATA, "cloud metadata"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-public"),
    )
    return next((kind for hit, kind in checks if hit), None)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_addresses(host: str, addresses: Sequence[str], policy: OutboundPolicy) -> str:
    """The address to connect to for `host`; OutboundRefusedError if any is not allowed."""
    if not addresses:
        raise httpx.ConnectError(f"cannot resolve host {host!r}")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not policy.allows_address(address):
            raise OutboundRefusedError(
                f"refused to connect to {host!r}: it is a {_private_kind(address)} address; "
                "an instance admin can allow it (WEFT_OUTBOUND_ALLOW)"
            )
    return addresses[0]


async def _resolve(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve host {host!r}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url_sync(url: str, policy: OutboundPolicy) -> str | None:
    """Why `url` would be refused now (blocking DNS), or None; unresolvable hosts pass."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "is not a valid URL"
    host = parsed.host
    if parsed.scheme not in ("http", "https") or not host:
        return "must be an http(s) URL with a host"
    if policy.allows_host(host):
        return None
    literal = _literal(host)
    try:
        if literal is not None:
            addresses = [str(literal)]
        else:
            infos = socket.getaddrinfo(host, parsed.port or 443, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    except OSError:
        return None  # the guard decides again when it is used
    try:
        check_addresses(host, addresses, policy)
    except OutboundRefusedError as exc:
        return str(exc)
    return None


async def checked_address(
    host: str, port: int, policy: OutboundPolicy, resolve: Resolver = _resolve
) -> str | None:
    """The address a request to `host` must connect to (resolved and checked once, so DNS
    cannot change it after the check), or None to connect by the name as it is: a host allowed
    by name, or an IP literal that passed. OutboundRefusedError if it is not allowed; httpx's
    ConnectError if the name does not resolve. Every guarded client (httpx here, httpx2 under
    the MCP SDK) decides with this one function."""
    if policy.allows_host(host):
        return None
    literal = _literal(host)
    if literal is not None:
        check_addresses(host, [str(literal)], policy)
        return None
    return check_addresses(host, await resolve(host, port), policy)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks each request's destination and pins its address."""

    def __init__(
        self, policy: OutboundPolicy, resolve: Resolver = _resolve, **transport: Any
    ) -> None:
        self.policy = policy
        self._resolve = resolve
        self._inner = httpx.AsyncHTTPTransport(**transport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a forbidden destination; otherwise send to the checked address."""
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = await checked_address(host, port, self.policy, self._resolve)
        if address is None:
            return await self._inner.handle_async_request(request)
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # keeps Host: the original name
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._inner.aclose()


def guarded_client(
    policy: OutboundPolicy,
    *,
    limits: httpx.Limits = DEFAULT_LIMITS,
    resolve: Resolver = _resolve,
    **client: Any,
) -> httpx.AsyncClient:
    """An httpx client whose every request and redirect hop passes the guard.

    Proxies from the environment are ignored (trust_env=False): a proxy would resolve and
    connect on our behalf, past the check.
    """
    transport = GuardedTransport(policy, resolve, limits=limits)
    return httpx.AsyncClient(transport=transport, trust_env=False, **client)
