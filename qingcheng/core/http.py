"""The client's address, the one place it is worked out: rate limits, login throttling and logs all ask here.

Behind a reverse proxy every request arrives from the proxy's address, so counting by `REMOTE_ADDR` puts a
whole city behind one counter. The proxy's forwarding header names the real client, but a client can send
that header itself. So the header is believed only when the request comes from a configured trusted proxy
(`QINGCHENG_TRUSTED_PROXIES`, addresses or CIDR networks), and only as far as the chain of trusted
proxies reaches: it is read right to left, each hop that is a trusted proxy is skipped, and the first hop
that is not one is the client. Whatever a client wrote further left is never looked at.

Why not python-ipware: it trusts proxies by string prefix rather than network, reads a list of headers in
turn, and takes the leftmost address by default; the rule here is the one a proxy chain can be trusted
for, in a few lines of the standard library.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_HEADER = "X-Forwarded-For"


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_proxies() -> tuple[Network, ...]:
    """The configured trusted proxies as networks; a malformed entry raises ValueError (the system check
    `qingcheng.E002` reports it at start-up)."""
    return _networks(tuple(getattr(settings, "QINGCHENG_TRUSTED_PROXIES", ()) or ()))


def _meta_key(header: str) -> str:
    return "HTTP_" + header.strip().upper().replace("-", "_")


def parse_address(value: str) -> Address | None:
    """An address as proxies write it: bare, `[v6]`, `[v6]:port` or `v4:port`; None when it is not one."""
    text = (value or "").strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request: Any) -> str:
    """The address of the client behind the trusted proxies, as text ("" when unknown)."""
    if request is None:
        return ""
    meta = getattr(request, "META", {}) or {}
    remote_text = (meta.get("REMOTE_ADDR") or "").strip()
    remote = parse_address(remote_text)
    if remote is None:
        return remote_text[:64]
    networks = trusted_proxies()
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    header = getattr(settings, "QINGCHENG_CLIENT_ADDRESS_HEADER", DEFAULT_HEADER) or DEFAULT_HEADER
    # Several header lines arrive joined with commas, so one split reads them all, nearest hop last.
    hops = [hop for hop in (meta.get(_meta_key(header)) or "").split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Garbage where an address should be: nothing left of it can be trusted either.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)
