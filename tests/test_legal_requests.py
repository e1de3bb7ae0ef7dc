"""Provider requests: grouped by provider, deduplicated, UTC and local time, flags, letters."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from amparo.cli import main
from amparo.export.requests import (
    CGNAT,
    NO_PORT,
    NO_TIME,
    PROXY,
    build_legal_requests,
    export_legal_requests,
    legal_requests_for_findings,
)
from amparo.geo.providers import find_provider, load_providers, time_zone_for
from amparo.intake.subscribers import import_subscriber_returns
from amparo.workspace import Workspace, open_workspace
from tests.test_subscribers import Ev, seed

SUMMER = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
WINTER = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
MOVISTAR = {"organisation": "Telefonica De Espana S.a.u.", "asn": 3352}
HOSTILE = '<script>alert("x")</script> & Co'


def _operation() -> list[Ev]:
    """Two providers and an unknown one; one triple seen twice; a private address."""
    return [
        Ev("79.116.10.20", 5000, SUMMER, report="R1", account="app:a", person="person-1"),
        Ev("79.116.10.20", 5000, SUMMER, report="R2", account="chat:b", person="person-2"),
        Ev("79.116.10.20", None, WINTER, report="R2", account="chat:b", person="person-2"),
        Ev("88.1.2.3", 41000, SUMMER + timedelta(hours=1), report="R3", account="app:c",
           **MOVISTAR),
        Ev("88.1.2.3", 41000, SUMMER - timedelta(hours=1), report="R3", account="app:c",
           proxy=True, **MOVISTAR),
        Ev("88.1.2.4", 41001, None, report="R3", account="app:c", **MOVISTAR),
        Ev("203.0.113.9", 1, SUMMER, report="R4", organisation=None, asn=None, country="AR"),
        Ev("10.0.0.1", 1, SUMMER, report="R5", organisation=None, asn=None, country=None,
           reserved="private"),
        Ev("8.8.8.8", 1, SUMMER, report="R6", lookup=False),
    ]  # fmt: skip


def _requests(workspace: Workspace) -> dict[str, object]:
    with workspace.session() as session:
        seed(session, _operation())
        return {request.isp: request for request in build_legal_requests(session)}


def test_grouped_by_provider_and_deduplicated(workspace: Workspace) -> None:
    requests = _requests(workspace)
    assert sorted(requests) == [
        "Digi Spain Telecom S.l.", "Telefonica De Espana S.a.u.", "unknown provider (AR)",
    ]  # fmt: skip
    digi = requests["Digi Spain Telecom S.l."]
    assert [(line.ip, line.port, line.at) for line in digi.lines] == [
        ("79.116.10.20", None, WINTER), ("79.116.10.20", 5000, SUMMER),
    ], "one line per triple, in time order"  # fmt: skip
    shared = digi.lines[1]
    assert shared.reports == ("R1", "R2") and shared.persons == ("person-1", "person-2")
    assert shared.accounts == ("app:a", "chat:b") and len(shared.ip_events) == 2


def test_utc_and_local_time(workspace: Workspace) -> None:
    digi = _requests(workspace)["Digi Spain Telecom S.l."]
    winter, summer = digi.lines
    assert summer.at_utc_text == "2024-07-01T10:00:00Z"
    assert summer.local_at.isoformat() == "2024-07-01T12:00:00+02:00"
    assert winter.local_at.isoformat() == "2024-01-15T11:00:00+01:00"
    assert digi.time_zone.name == "Europe/Madrid" and "capital" in digi.time_zone.note


def test_flags(workspace: Workspace) -> None:
    requests = _requests(workspace)
    winter, summer = requests["Digi Spain Telecom S.l."].lines
    assert winter.flags == (NO_PORT, CGNAT) and summer.flags == (CGNAT,)
    early, late = requests["Telefonica De Espana S.a.u."].lines
    assert early.flags == (PROXY,) and late.flags == ()
    (unknown,) = requests["unknown provider (AR)"].lines
    assert unknown.flags == () and requests["unknown provider (AR)"].uses_cgnat is None


def test_events_without_time_are_listed_not_asked(workspace: Workspace) -> None:
    movistar = _requests(workspace)["Telefonica De Espana S.a.u."]
    assert len(movistar.lines) == 2
    (untimed,) = movistar.not_requested
    assert (untimed.ip, untimed.reason, untimed.reports) == ("88.1.2.4", NO_TIME, ("R3",))


def test_findings_shape(workspace: Workspace) -> None:
    with workspace.session() as session:
        seed(session, _operation())
        entries = legal_requests_for_findings(session)
    assert len(entries) == 5
    first = next(e for e in entries if e["isp"].startswith("Digi"))
    assert set(first) >= {"isp", "asn", "ip", "port", "at", "persons", "reports", "flags"}
    assert first == {
        "isp": "Digi Spain Telecom S.l.", "asn": 57269, "ip": "79.116.10.20", "port": None,
        "at": "2024-01-15T10:00:00Z", "persons": ["person-2"], "reports": ["R2"],
        "flags": [NO_PORT, CGNAT], "answered": False,
    }  # fmt: skip


def test_export_writes_json_letters_and_csv(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        seed(session, _operation())
    out = tmp_path / "requests"
    result = export_legal_requests(workspace, out)
    assert (result.providers, result.lines, result.flagged, result.without_lookup) == (3, 5, 3, 1)
    document = json.loads((out / "legal-requests.json").read_text(encoding="utf-8"))
    assert document["format"] == "amparo.legal-requests/1"
    assert [p["country"] for p in document["providers"]] == ["AR", "ES", "ES"]
    digi = next(p for p in document["providers"] if p["asn"] == 57269)
    assert digi["isp"] == "Digi Spain Telecom S.l." and digi["uses_cgnat"] is True
    assert digi["requests"][1]["at_local"] == "2024-07-01T12:00:00+02:00"
    letter = (out / digi["letter"]).read_text(encoding="utf-8")
    assert "79.116.10.20" in letter and "2024-07-01T12:00:00+02:00" in letter
    assert "person-1" not in letter and "R1" not in letter, "the provider gets only triples"
    assert "capital" in letter and "carrier-grade NAT" in letter
    with (out / digi["csv"]).open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["ip"], r["port"], r["at_utc"]) for r in rows] == [
        ("79.116.10.20", "", "2024-01-15T10:00:00Z"),
        ("79.116.10.20", "5000", "2024-07-01T10:00:00Z"),
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["legal-requests.json"] + [f"{p['letter'][:-5]}.{e}" for p in document["providers"]
                                   for e in ("html", "csv")]
    )  # fmt: skip


def test_answered_triples_leave_the_letter(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        seed(session, _operation())
    answer = tmp_path / "answer.csv"
    answer.write_text("ip,port,start,end,name\n"
                      "88.1.2.3,41000,2024-07-01T08:00:00Z,2024-07-01T12:00:00Z,Ana\n",
                      encoding="utf-8")  # fmt: skip
    import_subscriber_returns(workspace, answer)
    out = tmp_path / "requests"
    result = export_legal_requests(workspace, out)
    document = json.loads((out / "legal-requests.json").read_text(encoding="utf-8"))
    movistar = next(p for p in document["providers"] if p["asn"] == 3352)
    assert [r["answered"] for r in movistar["requests"]] == [True, True]
    assert movistar["letter"] is None and len(result.letters) == 2


def test_the_letter_escapes_hostile_strings(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.session() as session:
        seed(session, [Ev("1.2.3.4", 80, SUMMER, organisation=HOSTILE, asn=None)])
    out = tmp_path / "requests"
    (letter,) = export_legal_requests(workspace, out).letters
    html = letter.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert letter.parent == out and letter.name.startswith("script-alert-x-script-co")


def test_nothing_to_ask_writes_an_empty_document(workspace: Workspace, tmp_path: Path) -> None:
    result = export_legal_requests(workspace, tmp_path / "r")
    assert (result.providers, result.letters) == (0, ())
    document = json.loads((tmp_path / "r" / "legal-requests.json").read_text(encoding="utf-8"))
    assert document["providers"] == []


# --- providers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organisation", "asn", "expected"),
    [
        ("Telefonica De Espana S.a.u.", None, "Telefonica de Espana (Movistar)"),
        ("TELEFÓNICA DE ESPAÑA", None, "Telefonica de Espana (Movistar)"),
        ("Vodafone Spain", None, "Vodafone Spain"),
        ("Orange Espagne SA", None, "Orange Espagne"),
        ("Digi Spain Telecom S.l.", None, "Digi Spain Telecom"),
        ("Telecom Argentina S.A.", None, "Telecom Argentina"),
        ("Uninet S.A. de C.V.", None, "Telmex (Uninet)"),
        ("Some renamed company", 3352, "Telefonica de Espana (Movistar)"),
        ("Telcelular Networks", None, None),
        (None, None, None),
    ],
)
def test_known_providers(organisation: str | None, asn: int | None, expected: str | None) -> None:
    found = find_provider(organisation, asn)
    assert (found.name if found else None) == expected


def test_every_shipped_provider_is_complete() -> None:
    providers = load_providers()
    assert len(providers) >= 10
    for provider in providers:
        assert provider.patterns and len(provider.country) == 2 and provider.legal_channel
        assert time_zone_for(provider.country, provider).zone is not None  # the zone exists


def test_time_zones_by_country() -> None:
    assert time_zone_for("FR").name == "Europe/Paris" and time_zone_for("FR").note is None
    mexico = time_zone_for("MX")
    assert mexico.several_zones and mexico.name == "America/Mexico_City"
    assert "Mexico has more than one time zone" in mexico.note
    assert time_zone_for("ZZ").name == "UTC" and "UTC" in time_zone_for(None).note


# --- the command line ---------------------------------------------------------------------


def test_cli_export_legal_requests(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    opened = open_workspace(root)
    with opened.session() as session:
        seed(session, _operation())
    opened.close()
    out = tmp_path / "letters"
    result = CliRunner().invoke(main, ["-w", str(root), "export", "legal-requests", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "5 (address, port, time) triples for 3 providers, 3 flagged; 3 letters" in text
    assert "1 IP events have no lookup yet" in text
    default = CliRunner().invoke(main, ["-w", str(root), "export", "legal-requests"])
    assert default.exit_code == 0 and (root / "legal-requests" / "legal-requests.json").is_file()


def test_cli_export_into_a_file_fails_with_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["-w", str(tmp_path / "ws"), "export", "legal-requests", "-o", str(blocker / "sub")]
    )
    assert result.exit_code == 1 and "cannot write the legal requests" in result.output


def test_letters_keep_the_platforms_proxy_flag_to_themselves(
    workspace: Workspace, tmp_path: Path
) -> None:
    with workspace.session() as session:
        seed(session, [Ev("88.1.2.3", 41000, SUMMER, proxy=True, **MOVISTAR)])
    (letter,) = export_legal_requests(workspace, tmp_path / "r").letters
    html = letter.read_text(encoding="utf-8")
    assert "proxy" not in html and "88.1.2.3" in html
    assert "UTC is authoritative" in html and "Some lines are flagged" not in html
