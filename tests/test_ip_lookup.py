"""IP lookup, offline: bundled geoip2fast data, reserved ranges, MaxMind .mmdb files, the store."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from amparo.errors import UnknownReference, WorkspaceError
from amparo.geo.addresses import reserved_range
from amparo.geo.lookup import (
    NOT_AN_ADDRESS,
    IpFacts,
    IpLookupService,
    MaxMindAsn,
    MaxMindCity,
    bundled_database,
    bundled_service,
    lookup_service_for,
    run_ip_lookups,
)
from amparo.settings import get_setting, set_setting
from amparo.store import tables
from amparo.workspace import Workspace

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def service() -> IpLookupService:
    return bundled_service()


@pytest.mark.parametrize(
    ("ip", "country", "organisation"),
    [
        ("8.8.8.8", "US", "GOOGLE"),
        ("80.58.61.250", "ES", "Telefonica De Espana S.a.u."),
        ("200.45.191.35", "AR", "Telecom Argentina S.A."),
        ("201.144.0.1", "MX", "UNINET"),
        ("213.22.0.1", "PT", "Nos Comunicacoes, S.A."),
        ("151.99.0.1", "IT", "Telecom Italia"),
        ("200.160.2.3", "BR", "Nucleo de Inf. e Coord. do Ponto BR - NIC."),
        ("90.0.0.1", "FR", "Orange"),
        ("2001:4860:4860::8888", "US", "GOOGLE"),
        ("2a02:9000::1", "ES", "Telefonica De Espana S.a.u."),
        ("2001:690::1", "PT", "Fundacao para a Ciencia e a Tecnologia, I.P."),
        ("2001:760::1", "IT", "Consortium GARR"),
        ("2001:12ff::1", "BR", "Nucleo de Inf. e Coord. do Ponto BR - NIC."),
        ("2a01:e0a::1", "FR", "Free SAS"),
    ],
)
def test_public_addresses_get_country_and_owner_from_the_bundled_data(
    service: IpLookupService, ip: str, country: str, organisation: str
) -> None:
    facts = service.lookup(ip)
    assert (facts.country, facts.organisation, facts.reserved) == (country, organisation, None)
    assert facts.asn is None  # geoip2fast keeps the AS name, not its number
    assert facts.network is not None and facts.source.startswith("geoip2fast 1.2.2 (MAXMIND:")


def test_the_owner_network_holds_the_address(service: IpLookupService) -> None:
    assert service.lookup("80.58.61.250").network == "80.58.0.0/17"
    assert service.lookup("2a02:9000::1").network == "2a02:9000::/28"


def test_an_owner_whose_network_misses_the_address_is_dropped(service: IpLookupService) -> None:
    # geoip2fast 1.2.2 answers SURF B.V. 145.144.0.0/12 here, a network that ends before it.
    facts = service.lookup("145.183.88.74")
    assert (facts.country, facts.organisation) == ("NL", None)


def test_an_address_without_an_owner_keeps_its_country(service: IpLookupService) -> None:
    facts = service.lookup("2001:1200::1")
    assert (facts.country, facts.organisation, facts.reserved) == ("MX", None, None)


@pytest.mark.parametrize(
    ("ip", "reason", "network"),
    [
        ("10.1.2.3", "private network", "10.0.0.0/8"),
        ("172.20.0.9", "private network", "172.16.0.0/12"),
        ("192.168.1.10", "private network", "192.168.0.0/16"),
        ("100.64.0.1", "carrier-grade NAT (shared address space)", "100.64.0.0/10"),
        ("100.127.255.254", "carrier-grade NAT (shared address space)", "100.64.0.0/10"),
        ("127.0.0.1", "loopback", "127.0.0.0/8"),
        ("169.254.10.20", "link-local", "169.254.0.0/16"),
        ("192.0.2.45", "documentation", "192.0.2.0/24"),
        ("198.51.100.7", "documentation", "198.51.100.0/24"),
        ("203.0.113.200", "documentation", "203.0.113.0/24"),
        ("198.18.0.1", "benchmarking", "198.18.0.0/15"),
        ("198.19.255.1", "benchmarking", "198.18.0.0/15"),
        ("224.0.0.251", "multicast", "224.0.0.0/4"),
        ("255.255.255.255", "broadcast", "255.255.255.255/32"),
        ("240.1.2.3", "reserved for future use", "240.0.0.0/4"),
        ("0.0.0.0", "unspecified", "0.0.0.0/32"),
        ("0.1.2.3", "'this network'", "0.0.0.0/8"),
        ("192.0.0.8", "IETF protocol assignments", "192.0.0.0/24"),
        ("::", "unspecified", "::/128"),
        ("::1", "loopback", "::1/128"),
        ("fd12:3456::1", "private network (unique local)", "fc00::/7"),
        ("fe80::1", "link-local", "fe80::/10"),
        ("fe80::1%eth0", "link-local", "fe80::/10"),
        ("ff02::1", "multicast", "ff00::/8"),
        ("2001:db8::1", "documentation", "2001:db8::/32"),
        ("3fff::1", "documentation", "3fff::/20"),
        ("2001:2::1", "benchmarking", "2001:2::/48"),
        ("100::1", "discard-only", "100::/64"),
        ("4000::1", "reserved by the IETF", None),
    ],
)
def test_reserved_ranges_are_named_and_have_no_country_or_owner(
    service: IpLookupService, ip: str, reason: str, network: str | None
) -> None:
    assert service.lookup(ip) == IpFacts(
        reserved=reason, network=network, source="IANA special-purpose address registries"
    )


IPV4_EDGES = [
    "0.0.0.0", "0.255.255.255", "1.0.0.0", "9.255.255.255", "10.0.0.0", "10.255.255.255",
    "11.0.0.0", "100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0",
    "126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0", "169.253.255.255",
    "169.254.0.0", "169.254.255.255", "169.255.0.0", "172.15.255.255", "172.16.0.0",
    "172.31.255.255", "172.32.0.0", "191.255.255.255", "192.0.0.0", "192.0.0.7", "192.0.0.170",
    "192.0.0.171", "192.0.0.255", "192.0.1.0", "192.0.2.0", "192.0.2.255", "192.0.3.0",
    "192.88.99.0", "192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0",
    "198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0", "198.51.99.255",
    "198.51.100.0", "198.51.100.255", "198.51.101.0", "203.0.112.255", "203.0.113.0",
    "203.0.113.255", "203.0.114.0", "223.255.255.255", "224.0.0.0", "239.255.255.255",
    "240.0.0.0", "255.255.255.254", "255.255.255.255",
]  # fmt: skip


@pytest.mark.parametrize("ip", IPV4_EDGES)
def test_every_ipv4_address_python_calls_not_global_is_reserved(ip: str) -> None:
    address = ipaddress.IPv4Address(ip)
    if not address.is_global or address.is_multicast:
        assert reserved_range(address) is not None


@pytest.mark.parametrize(
    ("ip", "same_as"),
    [
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("::ffff:80.58.61.250", "80.58.61.250"),
        ("2002:503a:3dfa::1", "80.58.61.250"),  # 6to4 carries the site's IPv4 address
        ("[2a02:9000::1]", "2a02:9000::1"),
        ("  200.45.191.35\n", "200.45.191.35"),
    ],
)
def test_ipv4_inside_ipv6_and_written_forms_are_looked_up_as_the_address_they_carry(
    service: IpLookupService, ip: str, same_as: str
) -> None:
    assert service.lookup(ip) == service.lookup(same_as)


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("::ffff:10.0.0.1", "private network"),
        ("::ffff:100.64.3.4", "carrier-grade NAT (shared address space)"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "documentation"),  # Teredo, client 192.0.2.45
        ("2002:c0a8:0101::1", "private network"),  # 6to4 of 192.168.1.1
    ],
)
def test_a_reserved_ipv4_inside_ipv6_is_reserved(
    service: IpLookupService, ip: str, reason: str
) -> None:
    assert service.lookup(ip).reserved == reason


@pytest.mark.parametrize(
    "text", ["", "garbage", "256.1.1.1", "010.0.0.1", "1.2.3", "8.8.8.8:443", "2001:db8::g"]
)
def test_what_is_not_an_address_is_said_so_not_raised(service: IpLookupService, text: str) -> None:
    facts = service.lookup(text)
    assert (facts.reserved, facts.country, facts.organisation) == (NOT_AN_ADDRESS, None, None)


def test_lookups_are_cached_by_address(service: IpLookupService) -> None:
    service.cache_clear()
    first = service.lookup("80.58.61.250")
    assert service.lookup("80.58.61.250") is first
    assert service.lookup.cache_info().hits == 1  # type: ignore[attr-defined]


# --- MaxMind .mmdb files, written here: no real database can be downloaded in a test ---------


@pytest.fixture(scope="module")
def mmdb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("mmdb_writer", reason="mmdb-writer (the test extra) writes test .mmdb")
    folder = tmp_path_factory.mktemp("mmdb")
    return {"city": _city_mmdb(folder / "city.mmdb"), "asn": _asn_mmdb(folder / "asn.mmdb")}


def _writer(database_type: str, ip_version: int = 6) -> Any:  # an mmdb_writer.MMDBWriter
    from mmdb_writer import MMDBWriter

    return MMDBWriter(
        ip_version=ip_version, database_type=database_type, languages=["en"],
        description="Amparo test data", ipv4_compatible=ip_version == 6,
    )  # fmt: skip


def _city_mmdb(path: Path) -> Path:
    from netaddr import IPSet

    writer = _writer("GeoLite2-City")
    madrid = {
        "country": {"iso_code": "ES", "names": {"en": "Spain"}},
        "subdivisions": [{"iso_code": "MD"}, {"iso_code": "M"}],
        "city": {"names": {"en": "Madrid", "es": "Madrid"}},
    }
    barcelona = {
        "country": {"iso_code": "ES"},
        "subdivisions": [{"iso_code": "CT"}, {"iso_code": "B"}],
        "city": {"names": {"es": "Barcelona"}},
    }
    rosario = {
        "country": {"iso_code": "AR"},
        "subdivisions": [{"iso_code": "S"}, {"iso_code": "ZZZ"}],  # ZZZ: no ISO 3166-2 code
        "city": {"names": {"en": "Rosario"}},
    }
    europe = {"registered_country": {"iso_code": "EU"}}  # a region, not a country
    writer.insert_network(IPSet(["80.58.0.0/16"]), madrid)
    writer.insert_network(IPSet(["2a02:9000::/28"]), barcelona)
    writer.insert_network(IPSet(["200.45.0.0/16"]), rosario)
    writer.insert_network(IPSet(["90.0.0.0/13"]), europe)
    writer.to_db_file(str(path))
    return path


def _asn_mmdb(path: Path) -> Path:
    from netaddr import IPSet

    writer = _writer("GeoLite2-ASN")
    telefonica = {"autonomous_system_number": 3352, "autonomous_system_organization": "TELEFONICA"}
    writer.insert_network(IPSet(["80.58.0.0/17", "2a02:9000::/28"]), telefonica)
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def mmdb_service(mmdb_files: dict[str, Path]) -> IpLookupService:
    bundled = bundled_database()
    city, asn = MaxMindCity(mmdb_files["city"]), MaxMindAsn(mmdb_files["asn"])
    return IpLookupService([city, bundled], [asn, bundled])


def test_a_city_mmdb_gives_subdivision_and_city_and_an_asn_mmdb_the_as_number(
    mmdb_service: IpLookupService,
) -> None:
    facts = mmdb_service.lookup("80.58.61.250")
    assert (facts.country, facts.subdivision, facts.city) == ("ES", "ES-M", "Madrid")
    assert (facts.asn, facts.organisation, facts.network) == (3352, "TELEFONICA", "80.58.0.0/17")
    assert (
        facts.source.startswith("GeoLite2-City ") and "(city.mmdb); GeoLite2-ASN " in facts.source
    )


def test_mmdb_answers_for_ipv6_and_ipv4_mapped(mmdb_service: IpLookupService) -> None:
    facts = mmdb_service.lookup("2a02:9000::1")
    assert (facts.subdivision, facts.city, facts.asn) == ("ES-B", "Barcelona", 3352)
    assert mmdb_service.lookup("::ffff:80.58.61.250") == mmdb_service.lookup("80.58.61.250")


def test_the_most_specific_iso_subdivision_is_kept(mmdb_service: IpLookupService) -> None:
    facts = mmdb_service.lookup("200.45.191.35")
    assert (facts.country, facts.subdivision, facts.city) == ("AR", "AR-S", "Rosario")
    assert facts.organisation == "Telecom Argentina S.A."  # no ASN record: the bundled data's
    assert facts.asn is None and "geoip2fast" in facts.source


def test_what_the_mmdb_lacks_comes_from_the_bundled_data(mmdb_service: IpLookupService) -> None:
    facts = mmdb_service.lookup("8.8.8.8")
    assert (facts.country, facts.subdivision, facts.organisation) == ("US", None, "GOOGLE")
    assert facts.source.startswith("geoip2fast") and "mmdb" not in facts.source
    europe = mmdb_service.lookup("90.0.0.1")  # EU is not a country: the bundled data says FR
    assert (europe.country, europe.subdivision) == ("FR", None)


def test_an_ipv4_only_mmdb_leaves_ipv6_to_the_bundled_data(
    mmdb_files: dict[str, Path], tmp_path: Path
) -> None:
    from netaddr import IPSet

    writer = _writer("GeoLite2-Country", ip_version=4)
    writer.insert_network(IPSet(["80.58.0.0/16"]), {"country": {"iso_code": "ES"}})
    writer.to_db_file(str(tmp_path / "v4.mmdb"))
    service = IpLookupService([MaxMindCity(tmp_path / "v4.mmdb"), bundled_database()], [])
    assert service.lookup("80.58.61.250").source.startswith("GeoLite2-Country ")
    facts = service.lookup("2a02:9000::1")
    assert facts.country == "ES" and facts.source.startswith("geoip2fast")


def test_reserved_ranges_come_before_any_database(mmdb_service: IpLookupService) -> None:
    assert mmdb_service.lookup("100.64.0.1").reserved == "carrier-grade NAT (shared address space)"


# --- settings and the store, on SQLite and PostgreSQL --------------------------------------


def test_mmdb_settings_take_an_existing_mmdb_of_the_right_kind(
    workspace: Workspace, mmdb_files: dict[str, Path], tmp_path: Path
) -> None:
    not_mmdb = tmp_path / "notes.mmdb"
    not_mmdb.write_text("not a database")
    with workspace.session() as session:
        assert get_setting(session, "mmdb_city") is None
        assert set_setting(session, "mmdb_city", str(mmdb_files["city"])) == str(mmdb_files["city"])
        assert set_setting(session, "mmdb_asn", str(mmdb_files["asn"])) == str(mmdb_files["asn"])
        with pytest.raises(UnknownReference, match="no file"):
            set_setting(session, "mmdb_city", str(tmp_path / "missing.mmdb"))
        with pytest.raises(UnknownReference, match="not a MaxMind database"):
            set_setting(session, "mmdb_asn", str(not_mmdb))
        with pytest.raises(UnknownReference, match="is a GeoLite2-ASN database"):
            set_setting(session, "mmdb_city", str(mmdb_files["asn"]))
    with workspace.session() as session:
        assert get_setting(session, "mmdb_city") == str(mmdb_files["city"])
        assert set_setting(session, "mmdb_city", "") is None
    with workspace.session() as session:
        assert get_setting(session, "mmdb_city") is None


PUBLIC_AND_RESERVED = ["80.58.61.250", "100.64.0.1", "80.58.61.250", "2a02:9000::1", "nonsense"]


def _add_ip_events(workspace: Workspace, ips: list[str], number: str = "R-1") -> None:
    with workspace.session() as session:
        source = tables.Source(
            kind="report", path=f"{number}.zip", received_at=NOW, status="ingested"
        )
        report = tables.Report(
            number=number, source=source, incident_type="Child Pornography (possession, "
            "manufacture, and distribution)", incident_at_raw="2026-01-01T00:00:00Z",
            annotations=[], internet_details=[], details={},
        )  # fmt: skip
        session.add(report)
        session.flush()
        rows = [{"report_id": report.id, "ip": ip, "at": NOW, "event": "Upload"} for ip in ips]
        session.execute(insert(tables.IPEvent.__table__), rows)


def _stored(workspace: Workspace) -> dict[str, tables.IpLookup]:
    with workspace.session() as session:
        rows = session.execute(
            select(tables.IPEvent.ip, tables.IpLookup).join(
                tables.IpLookup, tables.IpLookup.ip_event_id == tables.IPEvent.id
            )
        )
        return {ip: lookup for ip, lookup in rows}


def test_every_ip_event_is_looked_up_once_and_later_ones_alone(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("amparo.geo.lookup.BATCH_SIZE", 2)  # several batches of addresses
    _add_ip_events(workspace, PUBLIC_AND_RESERVED)
    with workspace.session() as session:
        assert run_ip_lookups(session) == 5
    with workspace.session() as session:
        assert run_ip_lookups(session) == 0
    stored = _stored(workspace)
    spain = stored["80.58.61.250"]
    assert (spain.country, spain.organisation, spain.reserved, spain.asn) == (
        "ES", "Telefonica De Espana S.a.u.", None, None,
    )  # fmt: skip
    assert spain.looked_up_at.tzinfo is not None and spain.source.startswith("geoip2fast")
    assert stored["100.64.0.1"].reserved == "carrier-grade NAT (shared address space)"
    assert stored["100.64.0.1"].country is None
    assert stored["nonsense"].reserved == NOT_AN_ADDRESS
    _add_ip_events(workspace, ["200.45.191.35"], number="R-2")
    with workspace.session() as session:
        assert run_ip_lookups(session) == 1
    assert _stored(workspace)["200.45.191.35"].country == "AR"


def test_the_store_uses_the_mmdb_files_the_settings_name(
    workspace: Workspace, mmdb_files: dict[str, Path]
) -> None:
    _add_ip_events(workspace, PUBLIC_AND_RESERVED)
    with workspace.session() as session:
        set_setting(session, "mmdb_city", str(mmdb_files["city"]))
        set_setting(session, "mmdb_asn", str(mmdb_files["asn"]))
    with workspace.session() as session:
        assert run_ip_lookups(session) == 5
    spain = _stored(workspace)["2a02:9000::1"]
    assert (spain.country, spain.subdivision, spain.city, spain.asn) == (
        "ES",
        "ES-B",
        "Barcelona",
        3352,
    )
    assert spain.network == "2a02:9000::/28" and "city.mmdb" in spain.source


def test_a_vanished_mmdb_is_a_workspace_error(
    workspace: Workspace, mmdb_files: dict[str, Path], tmp_path: Path
) -> None:
    moved = tmp_path / "city.mmdb"
    moved.write_bytes(mmdb_files["city"].read_bytes())
    with workspace.session() as session:
        set_setting(session, "mmdb_city", str(moved))
    moved.unlink()
    with workspace.session() as session, pytest.raises(WorkspaceError, match="mmdb_city"):
        lookup_service_for(session)


def test_ingested_demo_reports_are_looked_up_with_progress(
    workspace: Workspace, tmp_path: Path
) -> None:
    from amparo.demo import generate_operation
    from amparo.intake.ingest import ingest_paths

    operation = generate_operation(tmp_path / "operation", reports=4, seed=3)
    ingest_paths(workspace, list(operation.packages))
    with workspace.session() as session:
        events = session.scalar(select(func.count()).select_from(tables.IPEvent)) or 0
        addresses = session.scalar(select(func.count(tables.IPEvent.ip.distinct()))) or 0
    totals, done = [], []
    with workspace.session() as session:
        looked_up = run_ip_lookups(session, on_total=totals.append, on_done=done.append)
    assert events >= addresses > 0 and looked_up == events
    assert totals == [addresses] and sum(done) == addresses  # progress counts addresses
    stored = _stored(workspace)
    assert all(row.country is not None or row.reserved is not None for row in stored.values())
    with workspace.session() as session:
        assert run_ip_lookups(session) == 0
