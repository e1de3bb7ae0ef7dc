"""The demo's Internet providers answering the unit's requests, from the made-up truth.

For each requested (address, port, time) of a home-country provider, the provider names the
subscriber whose line held that address then: the household's first adult (a minor does not
hold a contract), at the household's address. Behind carrier-grade NAT the port tells the
subscribers apart; without a port the provider answers every subscriber it cannot rule out.
Foreign providers answer through their own country's police, so they are not answered here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from amparo.demo.networks import provider_of
from amparo.demo.people import Persona
from amparo.export.requests import build_legal_requests
from amparo.formats.subscriber_csv import write_subscriber_csv
from amparo.workspace import Workspace

SESSION = timedelta(hours=6)  # how long the provider says the address was held around the time
STREETS = ("Calle del Ejemplo", "Avenida Ficticia", "Plaza Inventada", "Calle de la Muestra")


def answer_requests(
    requests: Iterable[tuple[str, int | None, datetime]],
    personas: Iterable[Persona],
    country: str,
) -> list[dict[str, Any]]:
    """Subscriber-return rows (canonical CSV columns) for the requests ``country``'s ISPs get."""
    homes = _homes(personas)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ip, port, at in requests:
        block = provider_of(ip)
        if block is None or block.country != country:
            continue
        for holder in _holders(homes.get(ip, []), port):
            row = _row(ip, port if holder.port_block else None, at, block.provider, holder)
            rows.setdefault((ip, row["port"], at, row["subscriber_name"]), row)
    return list(rows.values())


def _homes(personas: Iterable[Persona]) -> dict[str, list[Persona]]:
    """Each home address's contract holders: per line, its first adult (else its eldest)."""
    lines: dict[tuple[str, tuple[int, int] | None], list[Persona]] = {}
    for persona in personas:
        for ip in persona.home_ips:
            lines.setdefault((ip, persona.port_block), []).append(persona)
    homes: dict[str, list[Persona]] = {}
    for (ip, _), household in sorted(lines.items(), key=lambda item: str(item[0])):
        homes.setdefault(ip, []).append(_contract_holder(household))
    return homes


def _contract_holder(household: Sequence[Persona]) -> Persona:
    return min(household, key=lambda p: (p.birth_date, p.last_name, p.first_name))


def _holders(subscribers: Sequence[Persona], port: int | None) -> list[Persona]:
    if port is None:
        return list(subscribers)
    return [
        s for s in subscribers
        if s.port_block is None or s.port_block[0] <= port <= s.port_block[1]
    ]  # fmt: skip


def _row(ip: str, port: int | None, at: datetime, isp: str, holder: Persona) -> dict[str, Any]:
    place = holder.place
    rng = random.Random(f"{holder.first_name}/{holder.last_name}/{holder.phone}")
    return {
        "ip": ip,
        "port": port,
        "start_utc": at - SESSION,
        "end_utc": at + SESSION,
        "isp": isp,
        "subscriber_name": f"{holder.first_name} {holder.last_name}",
        "address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        "postal_code": place.postal_code,
        "municipality": place.city,
        "subdivision": place.subdivision,
        "country": holder.locale.country_code,
        "date_of_birth": holder.birth_date,
    }


def write_provider_answers(
    workspace: Workspace, personas: Iterable[Persona], out: Path, country: str = "ES"
) -> int:
    """Answer the workspace's open requests to ``country``'s providers in one CSV; row count."""
    with workspace.session() as session:
        requests = build_legal_requests(session)
    triples = [
        (line.ip, line.port, line.at)
        for request in requests for line in request.lines if not line.answered
    ]  # fmt: skip
    rows = answer_requests(triples, personas, country)
    write_subscriber_csv(out, rows)
    return len(rows)
