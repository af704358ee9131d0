"""Where the daily briefing's webhook may point: checked at registration and again before every post, on every
address the host resolves to, so a name that later resolves somewhere else is caught.

- gcp mode: `https://` only, and only public addresses: nothing loopback, private, link-local (the metadata
  server at 169.254.169.254), shared (100.64/10), multicast, reserved or documentation, in IPv4 or IPv6 (also
  IPv4 inside IPv6: mapped, 6to4, NAT64, Teredo). A post goes to the address that was checked (the connection
  is pinned to it, `Target.pinned`; TLS still checks the certificate against the host name), and redirects are
  never followed.
- local mode: also `http://`, and this machine's loopback addresses, for a receiver on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from domain.errors import InvalidInput

MAX_URL_CHARS = 2048
Mode = Literal["local", "gcp"]
# host, port -> the addresses it resolves to (socket.getaddrinfo; tests give their own).
Resolver = Callable[[str, int], list[str]]

# Special-purpose ranges (IANA IPv4/IPv6 special-purpose address registries) that a webhook may never reach.
# Listed rather than left to `ipaddress.is_global`, whose answer for some ranges changed between Python versions.
_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "reserved"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "reserved (documentation)"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved (benchmarking)"),
    ("198.51.100.0/24", "reserved (documentation)"),
    ("203.0.113.0/24", "reserved (documentation)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "reserved"),
    ("::1/128", "loopback"),
    ("64:ff9b::/96", "reserved (NAT64)"),
    ("64:ff9b:1::/48", "reserved (NAT64)"),
    ("100::/64", "reserved (discard)"),
    ("2001::/23", "reserved (IETF protocol assignments)"),
    ("2001:db8::/32", "reserved (documentation)"),
    ("2002::/16", "reserved (6to4)"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "reserved (site-local)"),
    ("ff00::/8", "multicast"),
)
_NETWORKS = [(ipaddress.ip_network(net), kind) for net, kind in _BLOCKED]


class UnsafeWebhook(InvalidInput):
    """A webhook URL that may not be posted to (HTTP 422 at registration). `transient`: its host did not resolve
    (worth another try at delivery), as opposed to a rule it breaks."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def address_kind(address: str) -> str | None:
    """Why `address` may not be reached ("private", "loopback", ...), or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_kind(str(ip.ipv4_mapped))
    for network, kind in _NETWORKS:
        if ip.version == network.version and ip in network:
            return kind
    return None if ip.is_global else "reserved"


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the addresses it may be posted to."""

    url: httpx.URL
    addresses: tuple[str, ...]

    def pinned(self) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by the first checked address, the Host header and the TLS server name
        that keep the request (and the certificate check) about the registered host."""
        address = self.addresses[0].split("%", 1)[0]
        host = self.url.raw_host.decode("ascii")
        named = f"[{host}]" if ":" in host else host  # an IPv6 literal is bracketed in a Host header
        header = named if self.url.port is None else f"{named}:{self.url.port}"
        extensions: dict[str, Any] = {}
        if self.url.scheme == "https" and not _is_ip(host):
            extensions["sni_hostname"] = host
        return self.url.copy_with(host=address), {"Host": header}, extensions


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_url(url: str, mode: Mode, resolve: Resolver = resolve_host) -> Target:
    """The URL, checked against the rules of `mode` (module docstring) on every address its host resolves to;
    UnsafeWebhook says which rule it breaks."""
    text = url.strip()
    if not text or len(text) > MAX_URL_CHARS:
        raise UnsafeWebhook(f"a webhook URL has 1 to {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UnsafeWebhook(f"that is not a URL ({exc})") from None
    schemes = ("https",) if mode == "gcp" else ("https", "http")
    if parsed.scheme not in schemes:
        raise UnsafeWebhook(
            "a webhook URL must start with https://"
            + ("" if mode == "gcp" else " or, in local mode, http://")
            + (f" (not {parsed.scheme}://)" if parsed.scheme else "")
        )
    if not parsed.host:
        raise UnsafeWebhook("a webhook URL needs a host name, e.g. https://hooks.slack.com/services/...")
    if parsed.userinfo:
        raise UnsafeWebhook("leave the user name and password out of the webhook URL (put a token in its path)")
    if parsed.fragment:
        raise UnsafeWebhook("a webhook URL has no #fragment")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = resolve(host.strip("[]"), port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UnsafeWebhook(f"the webhook host {host} does not resolve to any address", transient=True)
    for address in addresses:
        kind = address_kind(address)
        if kind is None or (mode == "local" and kind == "loopback"):
            continue
        allowed = "public addresses" + (" and, in local mode, this machine" if mode == "local" else "")
        raise UnsafeWebhook(
            f"the webhook host {host} resolves to {address}, a {kind} address: the briefing is only posted to {allowed}"
        )
    return Target(url=parsed, addresses=tuple(addresses))
