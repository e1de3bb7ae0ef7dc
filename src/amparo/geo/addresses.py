"""IP addresses: their canonical text, and those that route nowhere on the public Internet,
each with the reason an analyst reads.

A pure core: no database, no I/O. ``normalise_ip`` gives the canonical text addresses are
compared in (IPv6 compressed, IPv4-mapped IPv6 as IPv4). ``parse_address`` reads what a report
wrote (IPv4, IPv6, ``[IPv6]``, IPv6 with a zone); ``routed_address`` turns an IPv6 address that
carries an IPv4 one (IPv4-mapped, 6to4, Teredo's client) into that IPv4 address, since the IPv4
address is the one an Internet provider assigned; ``reserved_range`` names the special-purpose
range an address is in (IANA's IPv4 and IPv6 special-purpose registries, RFC 6890 and
successors), or says ``None`` for an address that may belong to someone somewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from ipaddress import IPv4Address, IPv6Address

Address = IPv4Address | IPv6Address

PRIVATE = "private network"
DOCUMENTATION = "documentation"

# Most specific first: the first range that holds an address gives its reason.
_IPV4_RANGES = (
    ("0.0.0.0/32", "unspecified"),
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", PRIVATE),
    ("100.64.0.0/10", "carrier-grade NAT (shared address space)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", PRIVATE),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", DOCUMENTATION),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
    ("192.168.0.0/16", PRIVATE),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", DOCUMENTATION),
    ("203.0.113.0/24", DOCUMENTATION),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved for future use"),
)
_IPV6_RANGES = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
    ("100::/64", "discard-only"),
    ("2001:2::/48", "benchmarking"),
    ("2001:10::/28", "overlay identifiers (ORCHID, deprecated)"),
    ("2001:db8::/32", DOCUMENTATION),
    ("3fff::/20", DOCUMENTATION),
    ("5f00::/16", "segment routing (SRv6) identifiers"),
    ("fc00::/7", f"{PRIVATE} (unique local)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)
IETF_RESERVED = "reserved by the IETF"
NOT_GLOBAL = "not globally routable"
_IETF_ASSIGNMENTS = 0x2001_0000 >> 9  # 2001::/23, as its first 23 bits


def _int_ranges(ranges: tuple[tuple[str, str], ...]) -> tuple[tuple[int, int, str, str], ...]:
    networks = [(ipaddress.ip_network(cidr), reason) for cidr, reason in ranges]
    return tuple(
        (int(net.network_address), int(net.broadcast_address), str(net), reason)
        for net, reason in networks
    )


_RANGES = {4: _int_ranges(_IPV4_RANGES), 6: _int_ranges(_IPV6_RANGES)}


def normalise_ip(text: str) -> str:
    """The canonical text of an address (IPv6 compressed, IPv4-mapped IPv6 as IPv4)."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address.compressed)


def parse_address(text: str) -> Address | None:
    """The address ``text`` writes, or ``None`` when it is not one (leading zeros included).

    The C parser reads the common forms; what it refuses (spaces, brackets, an IPv6 zone,
    garbage) goes to ``ipaddress``, which decides.
    """
    try:
        if ":" in text:
            return IPv6Address(int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big"))
        return IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
    except OSError:
        pass
    cleaned = text.strip()
    if cleaned.startswith("[") and cleaned.endswith("]"):
        cleaned = cleaned[1:-1]
    try:
        return ipaddress.ip_address(cleaned)
    except ValueError:
        return None


def routed_address(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped, 6to4 or Teredo IPv6 address; else ``address``."""
    if address.version == 4:
        return address
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and address.teredo is not None:
        embedded = address.teredo[1]
    return embedded or address


def reserved_range(address: Address) -> tuple[str, str | None] | None:
    """``(reason, network)`` when ``address`` routes nowhere on the Internet, else ``None``.

    The table decides first; it holds every IPv4 range Python's ``ipaddress`` counts as not
    global (the tests check this). For IPv6, whatever lies outside 2000::/3, the only space
    IANA allocates for unicast, is reserved by the IETF; inside it, ``ipaddress`` judges the
    rest of 2001::/23 (IETF protocol assignments, some of them global). These two come
    without a network.
    """
    number = int(address)
    for first, last, network, reason in _RANGES[address.version]:
        if first <= number <= last:
            return reason, network
    if address.version == 4:
        return None
    if number >> 125 != 0b001:  # outside 2000::/3
        return IETF_RESERVED, None
    if number >> 105 == _IETF_ASSIGNMENTS and not address.is_global:
        return NOT_GLOBAL, None
    return None
