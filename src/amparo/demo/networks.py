"""Internet providers and their public address blocks, per country, for the demo's homes.

An offline IP database can only place an address that lies in a real provider's block, so the
demo's home addresses are random hosts in blocks the bundled database assigns to the country's
large providers. They are drawn at random and belong to no one in the demo's made-up story;
the demo never contacts them. ``cgnat`` marks providers the demo treats as sharing one public
address among many subscribers (carrier-grade NAT), told apart only by port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderBlock:
    country: str
    provider: str  # as the bundled database names the network's owner
    network: str
    cgnat: bool = False


PROVIDER_BLOCKS = (
    ProviderBlock("ES", "Telefonica De Espana S.a.u.", "83.32.0.0/11"),
    ProviderBlock("ES", "Orange Espagne SA", "85.48.0.0/12"),
    ProviderBlock("ES", "Vodafone Spain", "77.208.0.0/14", cgnat=True),
    ProviderBlock("ES", "Telefonica De Espana S.a.u.", "2a02:9000::/28"),
    ProviderBlock("AR", "Telecom Argentina S.A.", "181.96.0.0/13"),
    ProviderBlock("AR", "Telefonica de Argentina", "186.128.0.0/13"),
    ProviderBlock("MX", "UNINET", "189.152.0.0/13"),
    ProviderBlock("CO", "COMUNICACION CELULAR S.A. COMCEL S.A.", "181.144.0.0/12"),
    ProviderBlock("CO", "EPM Telecomunicaciones S.A. E.S.P.", "181.128.0.0/12"),
    ProviderBlock("PT", "Servicos De Comunicacoes E Multimedia S.A.", "85.240.0.0/13"),
    ProviderBlock("PT", "Nos Comunicacoes, S.A.", "89.152.0.0/14"),
    ProviderBlock("IT", "Telecom Italia", "79.0.0.0/11"),
    ProviderBlock("IT", "Wind Tre S.p.A.", "151.48.0.0/12"),
)


def blocks_of(country: str, *, ipv6: bool = False, cgnat: bool = False) -> list[ProviderBlock]:
    return [
        block for block in PROVIDER_BLOCKS
        if block.country == country and block.cgnat == cgnat
        and (ipaddress.ip_network(block.network).version == 6) == ipv6
    ]  # fmt: skip


def provider_of(address: str) -> ProviderBlock | None:
    ip = ipaddress.ip_address(address)
    return next((b for b in PROVIDER_BLOCKS if ip in ipaddress.ip_network(b.network)), None)
