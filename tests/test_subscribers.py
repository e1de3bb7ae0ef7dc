"""Subscriber returns: the lenient CSV reader, provinces, import once, matching by port, time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.cli import main
from amparo.errors import InvalidInput
from amparo.formats.subscriber_csv import (
    CANONICAL_COLUMNS,
    read_subscriber_csv,
    write_subscriber_csv,
)
from amparo.geo.addresses import normalise_ip
from amparo.geo.places import SPANISH_POSTAL_PROVINCES, resolve_place
from amparo.geo.subscribers import (
    OPEN_WINDOW,
    PORT_ONLY_IN_EVENT,
    PORT_ONLY_IN_RETURN,
    SEVERAL_SUBSCRIBERS,
    SHARED_ADDRESS,
    answer_notes,
    match_subscribers,
    shares_addresses,
    subscriber_answers,
)
from amparo.intake.subscribers import import_subscriber_returns
from amparo.store import tables
from amparo.workspace import Workspace

T0 = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
CGNAT_IP = "79.116.10.20"


@dataclass(frozen=True)
class Ev:
    """An IP event to seed, with its report, account, person and lookup."""

    ip: str
    port: int | None
    at: datetime | None
    report: str = "R1"
    account: str | None = "app:u1"
    person: str | None = None
    organisation: str | None = "Digi Spain Telecom S.l."
    asn: int | None = 57269
    country: str | None = "ES"
    reserved: str | None = None
    proxy: bool | None = None
    lookup: bool = True


def seed(session: Session, events: list[Ev]) -> list[int]:
    """Store reports, accounts, persons, IP events and lookups; return the events' ids."""
    now = datetime.now(UTC)
    source = tables.Source(kind="report_package", path="test", received_at=now, status="ingested")
    session.add(source)
    session.flush()
    reports: dict[str, tables.Report] = {}
    accounts: dict[str, tables.Account] = {}
    persons: dict[str, tables.Person] = {}
    ids = []
    for ev in events:
        report = reports.get(ev.report) or _report(session, source.id, ev.report)
        reports[ev.report] = report
        account = None
        if ev.account:
            account = accounts.get(ev.account) or _account(session, ev.account)
            accounts[ev.account] = account
            if ev.person and ev.person not in persons:
                persons[ev.person] = tables.Person(key=ev.person, resolved_at=now)
                session.add(persons[ev.person])
                session.flush()
                session.add(tables.PersonAccount(account_id=account.id,
                                                 person_id=persons[ev.person].id))  # fmt: skip
        event = tables.IPEvent(report_id=report.id, account_id=account and account.id, ip=ev.ip,
                               port=ev.port, at=ev.at, possible_proxy=ev.proxy)  # fmt: skip
        session.add(event)
        session.flush()
        ids.append(event.id)
        if ev.lookup:
            session.add(tables.IpLookup(
                ip_event_id=event.id, country=ev.country, asn=ev.asn,
                organisation=ev.organisation, reserved=ev.reserved, source="test",
                looked_up_at=now,
            ))  # fmt: skip
    session.flush()
    return ids


def _report(session: Session, source_id: int, number: str) -> tables.Report:
    report = tables.Report(
        number=number, source_id=source_id, incident_type="test", incident_at_raw="",
        annotations=[], internet_details=[], details={},
    )  # fmt: skip
    session.add(report)
    session.flush()
    return report


def _account(session: Session, key: str) -> tables.Account:
    platform, user_id = key.split(":", 1)
    account = tables.Account(platform=platform, user_id=user_id)
    session.add(account)
    session.flush()
    return account


def _read(text: str, encoding: str = "utf-8", **kwargs: object):
    return read_subscriber_csv(text.encode(encoding), path="return.csv", **kwargs)


# --- the reader ---------------------------------------------------------------------------

CANONICAL = (
    "ip,port,start_utc,end_utc,isp,subscriber_name,address,postal_code,municipality,subdivision\n"
    "79.116.10.20,5000,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Digi,Ana Ruiz,Calle Mayor 1,"
    "03001,Alicante,Alicante\n"
)


def test_canonical_columns() -> None:
    parsed = _read(CANONICAL)
    (row,) = parsed.rows
    assert (row.row, row.ip, row.port) == (2, CGNAT_IP, 5000)
    assert row.start_at == T0 - timedelta(hours=1) and row.end_at == T0 + timedelta(hours=1)
    assert (row.subscriber_name, row.subdivision, row.country) == ("Ana Ruiz", "ES-A", "ES")
    assert parsed.refused == () and parsed.delimiter == ","


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("IP Address;Source Port;Start;End;Provider;Name", ";"),
        ("Dirección IP\tPuerto\tInicio\tFin\tOperador\tTitular", "\t"),
        ("DIRECCION_IP|PUERTO|DESDE|HASTA|PROVEEDOR|NOMBRE", "|"),
        ("address ip,source_port,from,to,isp,subscriber", ","),
        (" ip , port , start , end , isp , subscriber name ", ","),
    ],
)
def test_header_aliases_and_delimiters(header: str, delimiter: str) -> None:
    cells = [CGNAT_IP, "5000", "2024-07-01T11:00:00+02:00", "2024-07-01T13:00:00+02:00", "Digi",
             "Ana"]  # fmt: skip
    parsed = _read(f"{header}\n{delimiter.join(cells)}\n")
    (row,) = parsed.rows
    assert parsed.delimiter == delimiter
    assert (row.ip, row.port, row.start_at, row.isp, row.subscriber_name) == (
        CGNAT_IP, 5000, T0 - timedelta(hours=1), "Digi", "Ana",
    )  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_encodings(encoding: str) -> None:
    text = "ip;inicio (UTC);titular;municipio\n1.2.3.4;2024-07-01 10:00:00;José Núñez;Móstoles\n"
    (row,) = _read(text, encoding).rows
    assert (row.subscriber_name, row.municipality, row.start_at) == ("José Núñez", "Móstoles", T0)


def test_a_column_that_says_utc_makes_zone_less_times_utc() -> None:
    text = "ip,Start (UTC),end_utc,Nota\n"
    parsed = _read(text + "1.2.3.4,2024-07-01 10:00:00,2024-07-01 11:00,\n")
    (row,) = parsed.rows
    assert row.start_at == T0 and row.end_at == T0 + timedelta(hours=1)


def test_a_trailing_utc_word_is_a_zone() -> None:
    (row,) = _read("ip,start\n1.2.3.4,2024-07-01 10:00:00 UTC\n").rows
    assert row.start_at == T0


BAD_ROWS = [
    (",5000,2024-07-01T10:00:00Z,", "no IP address"),
    ("1.2.3.999,5000,2024-07-01T10:00:00Z,", "'1.2.3.999' is not an IP address"),
    ("1.2.3.4,70000,2024-07-01T10:00:00Z,", "port '70000' is not a number from 0 to 65535"),
    ("1.2.3.4,http,2024-07-01T10:00:00Z,", "port 'http' is not a number"),
    ("1.2.3.4,5000,,", "no start time"),
    ("1.2.3.4,5000,01/07/2024 10:00,", "start time '01/07/2024 10:00' is not ISO 8601"),
    ("1.2.3.4,5000,2024-07-01T10:00:00,", "has no time zone and its column does not say UTC"),
    ("1.2.3.4,5000,2024-07-01T10:00:00Z,2024-07-01T12:00:00", "end time"),
    ("1.2.3.4,5000,2024-07-01T10:00:00Z,2024-07-01T09:00:00Z", "the window ends"),
    ("1.2.3.4,5000,2024-07-01T10:00:00Z,,extra", "5 fields where the header has 4"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_ROWS)
def test_bad_rows_are_refused_with_their_number_and_reason(line: str, reason: str) -> None:
    good = "1.2.3.4,1,2024-07-01T10:00:00Z,"
    parsed = _read(f"ip,port,start,end\n{good}\n\n{line}\n")
    assert len(parsed.rows) == 1
    (problem,) = parsed.refused
    assert problem.row == 4, "the header is row 1; a blank row still counts"
    assert reason in problem.reason


def test_short_rows_are_padded_and_unknown_columns_kept() -> None:
    (row,) = _read("ip,start,Contrato,postal_code\n1.2.3.4,2024-07-01T10:00:00Z,C-77\n").rows
    assert row.details["Contrato"] == "C-77" and row.postal_code is None


def test_no_end_is_an_open_window() -> None:
    (row,) = _read("ip,start,end\n1.2.3.4,2024-07-01T10:00:00Z,\n").rows
    assert row.end_at is None and row.details["open_window"] is True


def test_surname_joins_the_name_and_ipv6_is_compressed() -> None:
    text = "ip,start,nombre,apellidos\n2001:0DB8:0000::0001,2024-07-01T10:00:00Z,Ana,Ruiz Gil\n"
    (row,) = _read(text).rows
    assert (row.ip, row.subscriber_name) == ("2001:db8::1", "Ana Ruiz Gil")
    assert normalise_ip("::ffff:1.2.3.4") == "1.2.3.4"


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("2010-05-12", date(2010, 5, 12), None),
        ("25/12/2011", date(2011, 12, 25), None),
        ("03/04/2011", None, "could be day/month or month/day"),
        ("someday", None, "is not a date"),
    ],
)
def test_dates_of_birth(text: str, expected: date | None, note: str | None) -> None:
    parsed = _read(f"ip,start,dob\n1.2.3.4,2024-07-01T10:00:00Z,{text}\n")
    (row,) = parsed.rows
    assert row.date_of_birth == expected
    notes = [n.reason for n in parsed.notes]
    assert (len(notes) == 1 and note in notes[0]) if note else notes == []


@pytest.mark.parametrize(
    "header",
    ["port,start,name", "ip,port,name", ""],
)
def test_a_header_without_ip_or_start_refuses_the_file(header: str) -> None:
    with pytest.raises(InvalidInput, match="row 1"):
        _read(header + "\n" if header else "")


def test_two_columns_for_the_same_field_refuse_the_file() -> None:
    with pytest.raises(InvalidInput, match="both give subscriber_name"):
        _read("ip,start,name,titular\n")


# --- places -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subdivision", "expected"),
    [
        ("Alicante", "ES-A"), ("Alacant", "ES-A"), ("Barcelona", "ES-B"), ("Madrid", "ES-M"),
        ("MADRID", "ES-M"), ("Comunidad de Madrid", "ES-MD"), ("La Coruña", "ES-C"),
        ("A Coruña", "ES-C"), ("Vizcaya", "ES-BI"), ("Illes Balears", "ES-PM"),
        ("es-a", "ES-A"), ("ES-V", "ES-V"), ("Lérida", "ES-L"), ("Jalisco", "MX-JAL"),
    ],
)  # fmt: skip
def test_subdivisions_by_code_and_name(subdivision: str, expected: str) -> None:
    place = resolve_place(None, subdivision, None)
    assert place.subdivision == expected and place.country == expected[:2]


def test_a_name_in_several_countries_needs_the_country_or_the_home_country() -> None:
    assert resolve_place(None, "Córdoba", None).subdivision is None
    assert resolve_place(None, "Córdoba", None, home_country="ES").subdivision == "ES-CO"
    assert resolve_place("Argentina", "Córdoba", None).subdivision == "AR-X"
    assert resolve_place("AR", "Córdoba", None, home_country="ES").subdivision == "AR-X"


def test_spanish_postal_codes_give_the_province() -> None:
    assert len(SPANISH_POSTAL_PROVINCES) == 52
    assert resolve_place("España", None, "03001").subdivision == "ES-A"
    assert resolve_place("ES", None, "8001").subdivision == "ES-B", "leading zero lost"
    assert resolve_place(None, None, "28001", country_hint="ES").subdivision == "ES-M"
    assert resolve_place(None, None, "28001").subdivision is None, "no country: no guess"
    place = resolve_place("ES", "Barcelona", "28001")
    assert place.subdivision == "ES-B" and "28001 is in ES-M" in place.notes[0]
    assert resolve_place("ES", "Comunidad de Madrid", "28001").notes == []


def test_the_providers_country_is_the_hint(tmp_path: Path) -> None:
    text = "ip,start,isp,cp\n1.2.3.4,2024-07-01T10:00:00Z,Digi Spain Telecom,46001\n"
    (row,) = read_subscriber_csv(text.encode(), path="x",
                                 country_hint=lambda isp: "ES" if isp else None).rows  # fmt: skip
    assert (row.country, row.subdivision) == ("ES", "ES-V")
    assert row.details["country_basis"] == "provider's country"


def test_write_subscriber_csv_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "answers" / "return.csv"
    write_subscriber_csv(out, [{"ip": CGNAT_IP, "port": 5000, "start_utc": T0, "end_utc": None,
                                "subscriber_name": "Ana", "postal_code": "03001",
                                "country": "ES", "date_of_birth": date(2010, 1, 2)}])  # fmt: skip
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(CANONICAL_COLUMNS)
    (row,) = read_subscriber_csv(out.read_bytes(), path=str(out)).rows
    assert (row.start_at, row.end_at, row.subdivision, row.date_of_birth) == (
        T0, None, "ES-A", date(2010, 1, 2),
    )  # fmt: skip


# --- matching (pure) ----------------------------------------------------------------------


def test_answer_notes() -> None:
    assert answer_notes(5000, T0, 5000, 1) == ()
    assert answer_notes(5000, T0, None, 1) == (PORT_ONLY_IN_RETURN,)
    assert answer_notes(None, None, 5000, 2) == (PORT_ONLY_IN_EVENT, SEVERAL_SUBSCRIBERS,
                                                 OPEN_WINDOW)  # fmt: skip
    assert answer_notes(None, T0, 5000, 1, shares_addresses=True) == (
        PORT_ONLY_IN_EVENT, SHARED_ADDRESS
    )  # fmt: skip


@pytest.mark.parametrize(
    ("isp", "organisation", "asn", "shared"),
    [
        ("Telefonica de Espana", None, None, False),  # uses_cgnat false in providers.csv
        ("Vodafone Spain", None, None, True),  # uses_cgnat true
        ("Small Local ISP", None, None, False),  # not in the list: not flagged
        (None, "Digi Spain Telecom S.l.", 57269, True),  # the address's lookup names Digi
        ("Telefonica de Espana", "Orange Espagne SA", 12479, True),  # either one flags it
        (None, None, None, False),
    ],
)
def test_a_provider_shares_addresses_only_when_the_list_flags_it(
    isp: str | None, organisation: str | None, asn: int | None, shared: bool
) -> None:
    assert shares_addresses(isp, organisation, asn) is shared


# --- import and matching in the store ------------------------------------------------------

TWO_BEHIND_ONE_ADDRESS = (
    "ip,port,start_utc,end_utc,subscriber_name,provincia\n"
    f"{CGNAT_IP},5000,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Ana,Alicante\n"
    f"{CGNAT_IP},6000,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Bea,Barcelona\n"
    "not-an-ip,1,2024-07-01T09:00:00Z,,Nadie,\n"
)


def _write(tmp_path: Path, text: str, name: str = "return.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _matches(workspace: Workspace) -> set[tuple[str, int]]:
    """(subscriber name, event id) pairs."""
    with workspace.session() as session:
        rows = session.execute(
            select(tables.SubscriberRecord.subscriber_name, tables.SubscriberMatch.ip_event_id)
            .join(tables.SubscriberMatch)
        )  # fmt: skip
        return {(name, event) for name, event in rows}


def test_each_port_behind_one_cgnat_address_matches_its_subscriber(
    workspace: Workspace, tmp_path: Path
) -> None:
    with workspace.session() as session:
        ana, bea, outside, portless = seed(session, [
            Ev(CGNAT_IP, 5000, T0), Ev(CGNAT_IP, 6000, T0),
            Ev(CGNAT_IP, 5000, T0 + timedelta(hours=2)),
            Ev(CGNAT_IP, None, T0),
        ])  # fmt: skip
    result = import_subscriber_returns(workspace, _write(tmp_path, TWO_BEHIND_ONE_ADDRESS))
    assert (result.used, result.duplicate) == (2, False)
    assert [(p.row, p.reason) for p in result.refused] == [(4, "'not-an-ip' is not an IP address")]
    assert _matches(workspace) == {("Ana", ana), ("Bea", bea), ("Ana", portless), ("Bea", portless)}
    assert (result.events_answered, result.ambiguous) == (3, 1)
    with workspace.session() as session:
        answers = {(a.ip_event_id, a.ambiguous) for a in subscriber_answers(session)}
    assert answers == {(ana, False), (bea, False), (portless, True)}
    assert outside not in {event for _, event in _matches(workspace)}


def test_windows_are_inclusive_and_open_ended(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        start, end, _before, later = seed(session, [
            Ev("1.2.3.4", None, T0), Ev("1.2.3.4", None, T0 + timedelta(hours=1)),
            Ev("1.2.3.4", None, T0 - timedelta(seconds=1)),
            Ev("5.6.7.8", 80, T0 + timedelta(days=30)),
        ])  # fmt: skip
    text = ("ip,port,start,end,name\n"
            "1.2.3.4,,2024-07-01T10:00:00Z,2024-07-01T11:00:00Z,Closed\n"
            "5.6.7.8,,2024-07-01T10:00:00Z,,Open\n")  # fmt: skip
    import_subscriber_returns(workspace, _write(tmp_path, text))
    assert _matches(workspace) == {("Closed", start), ("Closed", end), ("Open", later)}
    with workspace.session() as session:
        notes = {a.ip_event_id: a.notes for a in subscriber_answers(session)}
    # the address's lookup names Digi, a provider that shares addresses: ambiguous without port
    assert notes[later] == (PORT_ONLY_IN_EVENT, SHARED_ADDRESS, OPEN_WINDOW) and notes[start] == ()


NOT_SHARED = {"organisation": "Telefonica De Espana S.a.u.", "asn": 3352}  # uses_cgnat false


@pytest.mark.parametrize(
    ("rows", "firm"),
    [
        (["Telefonica de Espana,Ana,Calle 1"], True),  # one subscriber, no address sharing
        (["Telefonica de Espana,Ana,Calle 1", "Telefonica de Espana,ANA, Calle 1"], True),  # same
        (["Telefonica de Espana,Ana,Calle 1", "Telefonica de Espana,Bea,Calle 2"], False),
        (["Vodafone Spain,Ana,Calle 1"], False),  # a provider that shares addresses
    ],
)
def test_a_portless_answer_for_an_event_with_a_port(
    workspace: Workspace, tmp_path: Path, rows: list[str], firm: bool
) -> None:
    with workspace.session() as session:
        (event,) = seed(session, [Ev("83.32.0.10", 51234, T0, **NOT_SHARED)])
    text = "ip,port,start_utc,end_utc,isp,subscriber_name,address\n" + "".join(
        f"83.32.0.10,,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,{row}\n" for row in rows
    )
    result = import_subscriber_returns(workspace, _write(tmp_path, text))
    assert (result.events_answered, result.ambiguous) == (1, 0 if firm else 1)
    with workspace.session() as session:
        answers = subscriber_answers(session)
    assert {a.ip_event_id for a in answers} == {event}
    assert all(a.ambiguous is not firm for a in answers)
    assert all(PORT_ONLY_IN_EVENT in a.notes for a in answers)


def test_an_exact_port_wins_over_a_portless_record(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        (event,) = seed(session, [Ev("1.2.3.4", 5000, T0)])
    text = ("ip,port,start_utc,end_utc,name\n"
            "1.2.3.4,,2024-07-01 09:00,2024-07-01 11:00,Anyone\n"
            "1.2.3.4,5000,2024-07-01 09:00,2024-07-01 11:00,Exact\n")  # fmt: skip
    import_subscriber_returns(workspace, _write(tmp_path, text))
    assert _matches(workspace) == {("Exact", event)}


def test_addresses_are_compared_in_canonical_form(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        v6, mapped = seed(session, [Ev("2001:DB8:0:0::1", 1, T0), Ev("::ffff:9.9.9.9", 2, T0)])
    text = ("ip,port,start,end,name\n"
            "2001:db8::0:1,1,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Six\n"
            "9.9.9.9,2,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Four\n")  # fmt: skip
    import_subscriber_returns(workspace, _write(tmp_path, text))
    assert _matches(workspace) == {("Six", v6), ("Four", mapped)}


def test_the_same_file_twice_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        seed(session, [Ev(CGNAT_IP, 5000, T0)])
    path = _write(tmp_path, TWO_BEHIND_ONE_ADDRESS)
    first = import_subscriber_returns(workspace, path)
    again = import_subscriber_returns(
        workspace, _write(tmp_path, TWO_BEHIND_ONE_ADDRESS, "copy.csv")
    )
    assert again.duplicate and (again.used, again.refused) == (first.used, first.refused)
    assert again.events_answered == first.events_answered == 1
    with workspace.session() as session:
        assert session.scalar(select(func.count()).select_from(tables.SubscriberRecord)) == 2
        sources = session.execute(select(tables.Source.kind, tables.Source.status,
                                         tables.Source.place)).all()  # fmt: skip
        before = session.scalar(select(func.count()).select_from(tables.SubscriberMatch))
        assert match_subscribers(session) == before == 1
    returns = [s for s in sources if s.kind in ("subscriber_return", "subscriber_row")]
    assert sorted(returns) == [("subscriber_return", "ingested", None),
                               ("subscriber_row", "quarantined", "row 4")]  # fmt: skip


def test_matches_follow_events_added_later(workspace: Workspace, tmp_path: Path) -> None:
    import_subscriber_returns(workspace, _write(tmp_path, TWO_BEHIND_ONE_ADDRESS))
    assert _matches(workspace) == set()
    with workspace.session() as session:
        (event,) = seed(session, [Ev(CGNAT_IP, 6000, T0)])
        assert match_subscribers(session) == 1
    assert _matches(workspace) == {("Bea", event)}


def test_a_file_refused_whole_is_quarantined_once(workspace: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "name,postal_code\nAna,03001\n")
    for _ in range(2):
        with pytest.raises(InvalidInput, match="no column gives the IP address"):
            import_subscriber_returns(workspace, path)
    with workspace.session() as session:
        rows = session.execute(select(tables.Source.status, tables.Source.reason)).all()
    assert len(rows) == 1 and rows[0].status == "quarantined"
    assert "row 1" in rows[0].reason


def test_stored_records_carry_place_and_details(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        "ip;inicio;titular;cp;provincia;operador;fecha_nacimiento;contrato\n"
        "1.2.3.4;2024-07-01T10:00:00Z;Ana;28001;;Digi Spain Telecom;2009-02-03;C1\n"
    )
    import_subscriber_returns(workspace, _write(tmp_path, text))
    with workspace.session() as session:
        record = session.scalars(select(tables.SubscriberRecord)).one()
    assert (record.country, record.subdivision, record.isp) == ("ES", "ES-M", "Digi Spain Telecom")
    assert record.date_of_birth == date(2009, 2, 3) and record.end_at is None
    assert record.details["contrato"] == "C1" and record.details["open_window"] is True


# --- the command line ---------------------------------------------------------------------


def test_cli_prints_used_and_refused_rows(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    path = _write(tmp_path, TWO_BEHIND_ONE_ADDRESS)
    result = runner.invoke(main, [*workspace, "subscribers", "import", str(path)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 rows used, 1 refused" in text
    assert "refused row 4: 'not-an-ip' is not an IP address" in text
    again = runner.invoke(main, [*workspace, "subscribers", "import", str(path)])
    assert again.exit_code == 0 and "already imported" in again.output


def test_cli_messages_are_never_wrapped_whatever_the_path_length(tmp_path: Path) -> None:
    folder = tmp_path / ("a-long-folder-name-" * 8)
    folder.mkdir()
    path = _write(folder, TWO_BEHIND_ONE_ADDRESS)
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "subscribers", "import",
                                       str(path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}: 2 rows used, 1 refused;"), first


def test_cli_exits_1_when_no_row_is_usable(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    path = _write(tmp_path, "ip,start\n1.2.3.4,2024-07-01 10:00\n")
    result = runner.invoke(main, [*workspace, "subscribers", "import", str(path)])
    assert result.exit_code == 1
    assert "0 rows used, 1 refused" in " ".join(result.output.split())
    headerless = _write(tmp_path, "foo,bar\n1,2\n", "bad.csv")
    result = runner.invoke(main, [*workspace, "subscribers", "import", str(headerless)])
    assert result.exit_code == 1 and "no column gives the IP address" in result.output
