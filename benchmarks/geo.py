"""IP lookup speed: lookups per second on one core, and locating 1M IP events.

Addresses are random and public (no reserved range): 70% IPv4 drawn from the whole space, 30%
IPv6 drawn from the RIRs' main /12 blocks and kept only where the bundled data knows a network
(almost all of the IPv6 space is unallocated, and real events come from allocated networks).

1. Lookups per second on ``--addresses`` distinct addresses, none cached (CPU time of this
   process, pinned to one core; rounds interleaved, median kept), in the same run as:
   - ``classify``: Python's ``ipaddress`` parse and Amparo's reserved-range check alone, the
     floor under any lookup (no database);
   - ``geoip2fast``: the bundled library's own ``lookup()``, what Amparo wraps;
   - ``amparo``: ``IpLookupService.lookup`` with its cache emptied (parse, reserved ranges,
     geoip2fast country and owner, the owner's network checked to hold the address).
2. Locating ``--events`` IP events whose addresses repeat (``--distinct`` addresses, each at
   least once, the rest drawn uniformly): the service with its LRU cache, from empty.
3. The same events through the store: ``run_ip_lookups`` on a fresh SQLite workspace holding
   them (each distinct address looked up once, then one INSERT ... SELECT gives every event
   its answer); inserting the events is not counted. Wall time, since the database writes.

The result goes to ``benchmarks/results/geo.json``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from ipaddress import ip_network
from pathlib import Path

from sqlalchemy import insert

from amparo.geo.addresses import parse_address, reserved_range, routed_address
from amparo.geo.lookup import bundled_database, bundled_service, run_ip_lookups
from amparo.store import tables
from amparo.workspace import Workspace, open_workspace

RESULTS = Path(__file__).parent / "results" / "geo.json"
IPV6_SHARE = 0.3
IPV6_BLOCKS = (0x240, 0x260, 0x280, 0x2A0, 0x2C0)  # APNIC, ARIN, LACNIC, RIPE, AFRINIC /12s
INSERT_BATCH = 50_000


def public_addresses(count: int, rng: random.Random) -> list[str]:
    ipv6 = round(count * IPV6_SHARE)
    return rng.sample(_ipv4(count - ipv6, rng) + _ipv6(ipv6, rng), count)


def _ipv4(count: int, rng: random.Random) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if reserved_range(address) is None:
            found.add(str(address))
    return list(found)


def _ipv6(count: int, rng: random.Random) -> list[str]:
    geoip = bundled_database()
    found: set[str] = set()
    while len(found) < count:
        address = ipaddress.IPv6Address(rng.choice(IPV6_BLOCKS) << 116 | rng.getrandbits(116))
        if reserved_range(address) is None and geoip.place(address) is not None:
            found.add(str(address))
    return list(found)


def classify(addresses: list[str]) -> None:
    for text in addresses:
        address = parse_address(text)
        if address is not None:
            reserved_range(routed_address(address))


def geoip2fast_lookup(addresses: list[str]) -> None:
    lookup = bundled_database()._geoip.lookup  # the library's own call, for the baseline
    for text in addresses:
        lookup(text)


def amparo_lookup(addresses: list[str]) -> None:
    service = bundled_service()
    for text in addresses:
        service.lookup(text)


def cpu_seconds(action: Callable[[list[str]], object], addresses: list[str]) -> float:
    start = time.process_time()
    action(addresses)
    return time.process_time() - start


def lookup_rates(addresses: list[str], repeat: int) -> dict[str, list[float]]:
    runs = {"classify": classify, "geoip2fast": geoip2fast_lookup, "amparo": amparo_lookup}
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            rates[name].append(len(addresses) / cpu_seconds(run, addresses))
    return rates


def repeated_events(distinct: list[str], events: int, rng: random.Random) -> list[str]:
    drawn = distinct + rng.choices(distinct, k=events - len(distinct))
    rng.shuffle(drawn)
    return drawn


def locate_events(events: list[str], repeat: int) -> list[float]:
    """CPU seconds to look up every event with a fresh service (empty cache) each round."""
    seconds = []
    for _ in range(repeat):
        service = bundled_service()
        start = time.process_time()
        for text in events:
            service.lookup(text)
        seconds.append(time.process_time() - start)
    return seconds


def locate_in_store(events: list[str], scratch: Path) -> float:
    """Wall seconds of ``run_ip_lookups`` over ``events`` stored in a new SQLite workspace."""
    workspace = open_workspace(scratch, database_url=None)
    _store_events(workspace, events)
    start = time.perf_counter()
    with workspace.session() as session:
        looked_up = run_ip_lookups(session)
    seconds = time.perf_counter() - start
    workspace.close()
    if looked_up != len(events):
        sys.exit(f"benchmark invalid: {looked_up} of {len(events)} events looked up")
    return seconds


def _store_events(workspace: Workspace, events: list[str]) -> None:
    now = datetime.now(UTC)
    with workspace.session() as session:
        source = tables.Source(kind="report", path="bench", received_at=now, status="ingested")
        report = tables.Report(
            number="bench", source=source, incident_type="benchmark", incident_at_raw="",
            annotations=[], internet_details=[], details={},
        )  # fmt: skip
        session.add(report)
        session.flush()
        for first in range(0, len(events), INSERT_BATCH):
            rows = [
                {"report_id": report.id, "ip": ip, "at": now}
                for ip in events[first : first + INSERT_BATCH]
            ]
            session.execute(insert(tables.IPEvent.__table__), rows)


def coverage(addresses: list[str]) -> dict[str, float]:
    """What Amparo found for the addresses, and how often geoip2fast alone named a wrong owner.

    geoip2fast 1.2.2 gives some IPv4 addresses the AS of a network that ends before them;
    Amparo drops such an owner, which is part of what its extra time buys.
    """
    service, lookup = bundled_service(), bundled_database()._geoip.lookup
    facts = [service.lookup(text) for text in addresses]
    raw = [(lookup(text), ipaddress.ip_address(text)) for text in addresses]
    outside = sum(1 for found, ip in raw if found.asn_cidr and ip not in ip_network(found.asn_cidr))
    share = len(facts)
    return {
        "with_country": round(sum(f.country is not None for f in facts) / share, 4),
        "with_organisation": round(sum(f.organisation is not None for f in facts) / share, 4),
        "with_as_number": round(sum(f.asn is not None for f in facts) / share, 4),
        "geoip2fast_alone_owner_network_misses_the_address": round(outside / share, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=200_000)
    parser.add_argument("--store-events", type=int, default=1_000_000, help="0 skips the store")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(1)
    start = time.perf_counter()
    bundled_database().source  # loads the data: a one-off, not counted  # noqa: B018
    load_seconds = time.perf_counter() - start
    addresses = public_addresses(args.addresses, rng)
    rates = lookup_rates(addresses, args.repeat)
    distinct = public_addresses(args.distinct, rng)
    events = repeated_events(distinct, args.events, rng)
    located = locate_events(events, args.repeat)
    store_seconds = None
    if args.store_events:
        with tempfile.TemporaryDirectory(prefix="amparo-bench-") as folder:
            store_seconds = locate_in_store(events[: args.store_events], Path(folder))
    result = summarise(args, rates, located, store_seconds, load_seconds)
    result["coverage_of_the_addresses"] = coverage(addresses)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def summarise(
    args: argparse.Namespace,
    rates: dict[str, list[float]],
    located: list[float],
    store_seconds: float | None,
    load_seconds: float,
) -> dict:
    median = {name: statistics.median(values) for name, values in rates.items()}
    events_seconds = statistics.median(located)
    store_events = min(args.store_events, args.events)
    return {
        "benchmark": "geo",
        "cores": 1,
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {name: metadata.version(name) for name in ("geoip2fast", "sqlalchemy")},
        "database": bundled_database().source,
        "database_load_seconds": round(load_seconds, 2),
        "addresses": args.addresses,
        "ipv6_share": IPV6_SHARE,
        "lookups_per_second": {name: [round(r) for r in values] for name, values in rates.items()},
        "lookups_per_second_median": {name: round(rate) for name, rate in median.items()},
        "amparo_over_geoip2fast": round(median["amparo"] / median["geoip2fast"], 2),
        "events": args.events,
        "distinct_addresses": args.distinct,
        "locate_events_cpu_seconds": [round(s, 2) for s in located],
        "locate_events_per_second_median": round(args.events / events_seconds),
        "locate_events_seconds_median": round(events_seconds, 2),
        "store_events": store_events if store_seconds is not None else 0,
        "store_locate_wall_seconds": None if store_seconds is None else round(store_seconds, 1),
        "store_events_per_second": None
        if store_seconds is None
        else round(store_events / store_seconds),
    }


if __name__ == "__main__":
    main()
