"""The addresses of the generated identities (``amparo.demo.identities``), all invented: IPv4
from the documentation and benchmarking ranges, IPv6 from 2001:db8::/32, shared carrier
addresses from 100.64.0.0/10; and the seeded bijection that numbers them without repeats.
"""

from __future__ import annotations

import ipaddress
from functools import cache

import numpy as np

SECOND_HOME_ADDRESS = 0.25


def home_addresses(
    rng: np.random.Generator, persons: int, homes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per home (indexed by its first member): an address, and a second one or ""."""
    first = np.full(persons, "", dtype=object)
    second = np.full(persons, "", dtype=object)
    ipv4 = _home_ipv4()
    count = len(homes)
    with_ipv4 = rng.permutation(count)[: min(count // 2, len(ipv4))]
    addresses = np.array(_ipv6(scrambled(np.arange(2 * count), 2**24, rng), 0x1), dtype=object)
    addresses[with_ipv4] = [ipv4[i] for i in rng.permutation(len(ipv4))[: len(with_ipv4)]]
    first[homes] = addresses[:count]
    has_second = rng.random(count) < SECOND_HOME_ADDRESS
    second[homes[has_second]] = addresses[count:][has_second]
    return first, second


@cache
def _home_ipv4() -> list[str]:
    networks = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.19.0.0/16")
    return [str(host) for cidr in networks for host in ipaddress.IPv4Network(cidr).hosts()]


def mobile_addresses(count: int) -> np.ndarray:
    """198.18.0.0/16 first, then IPv6 in a carrier's own part of the documentation prefix."""
    ipv4 = _mobile_ipv4()[:count]
    ipv6 = _ipv6(np.arange(count - len(ipv4)), 0xCA)
    return np.array(ipv4 + ipv6, dtype=object)


@cache
def _mobile_ipv4() -> list[str]:
    return [str(host) for host in ipaddress.IPv4Network("198.18.0.0/16").hosts()]


def cgnat_addresses(count: int) -> np.ndarray:
    network = ipaddress.IPv4Network("100.64.0.0/10")
    return np.array([str(network[1 + 257 * i]) for i in range(count)], dtype=object)


def _ipv6(numbers: np.ndarray, subnet: int) -> list[str]:
    """``2001:db8:SSNN:NNNN::1``: one /64 per number (below 2**24) in 2001:db8:SS00::/40.

    Written as ``ipaddress`` writes them (the longest run of zero groups compressed), faster.
    """
    third = ((subnet << 8) | (np.asarray(numbers, dtype=np.int64) >> 16)).tolist()
    fourth = (np.asarray(numbers, dtype=np.int64) & 0xFFFF).tolist()
    return [
        f"2001:db8:{a:x}:{b:x}::1" if b else f"2001:db8:{a:x}::1"
        for a, b in zip(third, fourth, strict=True)
    ]


def scrambled(numbers: np.ndarray, modulus: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded bijection of [0, modulus): distinct inputs give distinct, random-looking outputs."""
    multiplier = int(rng.integers(1, min(modulus, 2**62 // modulus)))
    while np.gcd(multiplier, modulus) != 1:
        multiplier += 1
    offset = int(rng.integers(0, modulus))
    return (np.asarray(numbers, dtype=np.int64) * multiplier + offset) % modulus
