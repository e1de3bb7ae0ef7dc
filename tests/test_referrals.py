"""Referral packages: one per foreign country, holding nothing of any other country's persons,
never the home country's, never media; handling codes, the agency directory and its workspace
override, the HTML summary, and the findings' referrals (on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from amparo.errors import ExportError
from amparo.export.agencies import load_directory
from amparo.export.handling import Handling
from amparo.export.referrals import (
    build_referrals,
    export_referrals,
    referrals_for_findings,
    render_html,
)
from amparo.store import tables
from amparo.workspace import Workspace

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SHARED_REPORT = "SHARED-REPORT-77"
SHARED = "shared"  # the values of a file seen with both an Argentine and a Mexican account


def digest(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


@dataclass
class OperationBuilder:
    """Writes a small operation straight into the store, remembering each country's values."""

    session: Session
    values: dict[str, set[str]] = field(default_factory=dict)  # country ("-": none) -> values
    shared: set[str] = field(default_factory=set)
    _source: int | None = None
    _reports: dict[str, int] = field(default_factory=dict)
    _media: dict[str, int] = field(default_factory=dict)
    _day: int = 0

    def report(self, number: str, country: str | None = None) -> int:
        if number not in self._reports:
            if self._source is None:
                source = tables.Source(kind="test", path="t", received_at=AT, status="ingested")
                self.session.add(source)
                self.session.flush()
                self._source = source.id
            self._day += 1
            row = tables.Report(
                number=number,
                source_id=self._source,
                incident_type="Child Pornography",
                incident_at=AT + timedelta(days=self._day),
                incident_at_raw="",
                annotations=[],
                internet_details=[],
                details={},
                platform="Photo Net",
            )
            self.session.add(row)
            self.session.flush()
            self._reports[number] = row.id
            self._remember(country, number)
        return self._reports[number]

    def person(
        self,
        key: str,
        country: str | None,
        subdivision: str | None = None,
        *,
        accounts: int = 1,
        chosen: bool = True,
        age: int | None = None,
    ) -> list[int]:
        """A person with ``accounts`` accounts, each in its own report with identifiers, an
        IP event and a file; returns the account ids."""
        tag = key.lower()
        person = tables.Person(key=key, resolved_at=AT)
        self.session.add(person)
        self.session.flush()
        self._remember(country, key)
        ids = [self._account(person.id, f"{tag}-acct{n}", country, age) for n in range(accounts)]
        if country is not None:
            self.session.add(
                tables.PersonLocation(
                    person_id=person.id,
                    country=country,
                    subdivision=subdivision,
                    basis="ip",
                    confidence=0.7,
                    chosen=chosen,
                    evidence=[f"evidence of {key}"],
                )
            )
        return ids

    def _account(self, person: int, user: str, country: str | None, age: int | None) -> int:
        account = tables.Account(platform="photo-net", user_id=user)
        self.session.add(account)
        self.session.flush()
        self.session.add(tables.PersonAccount(account_id=account.id, person_id=person))
        self._remember(country, f"photo-net:{user}", user)
        report = self.report(f"{user}-report".upper(), country)
        self.identify(report, account.id, country, f"{user}@example.org", age=age)
        self.ip_event(report, account.id, country, _ip_for(user))
        self.file(report, account.id, country, f"{user}-file")
        return account.id

    def identify(
        self, report: int, account: int, country: str | None, email: str, age: int | None = None
    ) -> None:
        party = tables.Party(
            report_id=report,
            position=account,
            role="reported",
            account_id=account,
            age=age,
            addresses=[],
            details={},
        )
        self.session.add(party)
        self.session.flush()
        raw = email.upper()
        self.session.add(
            tables.Identifier(
                party_id=party.id,
                account_id=account,
                kind="email",
                raw=raw,
                normalized=email,
                attributes={},
            )
        )
        self._remember(country, raw, email)

    def ip_event(self, report: int, account: int, country: str | None, ip: str) -> None:
        self.session.add(
            tables.IPEvent(
                report_id=report, account_id=account, ip=ip, port=40000, at=AT, event="Upload"
            )
        )
        self._remember(country, ip)

    def file(self, report: int, account: int, country: str | None, name: str) -> None:
        if name not in self._media:
            row = tables.Media(
                sha256=digest("sha256", name),
                md5=digest("md5", name),
                sha1=digest("sha1", name),
                size=1,
                kind="image",
                pdq=digest("sha256", f"pdq {name}"),
                status="new",
            )
            self.session.add(row)
            self.session.flush()
            self._media[name] = row.id
            self._remember(country, row.sha256, row.md5, row.sha1, row.pdq)
        self.session.add(
            tables.Sighting(
                media_id=self._media[name],
                report_id=report,
                account_id=account,
                file_id=f"{name}-{account}",
                annotations=[],
                original_hashes={},
                details={},
            )
        )

    def _remember(self, country: str | None, *values: str | None) -> None:
        self.values.setdefault(country or "-", set()).update(v for v in values if v)


def _ip_for(user: str) -> str:
    """A documentation address unique to each account (no one is a prefix of another)."""
    n = int(hashlib.sha256(user.encode()).hexdigest(), 16)
    return f"203.{n % 200 + 10}.{n // 7 % 200 + 10}.{n // 11 % 200 + 10}"


def build_operation(session: Session) -> OperationBuilder:
    """Spain (home): two persons; Argentina: two (one with two accounts); Mexico: one; one
    person unlocated and one whose only location is not chosen. One report names an Argentine
    and a Mexican account; one file is seen with both."""
    op = OperationBuilder(session)
    op.person("P-ES-1", "ES", "ES-A", age=13)
    op.person("P-ES-2", "ES", "ES-B")
    ar_one = op.person("P-AR-1", "AR", "AR-B", accounts=2, age=15)
    op.person("P-AR-2", "AR", None)
    mx = op.person("P-MX-1", "MX", "MX-CMX")
    op.person("P-NOWHERE-1", None)
    op.person("P-UNCHOSEN-1", "FR", chosen=False)
    shared = op.report(SHARED_REPORT)
    op.identify(shared, ar_one[0], "AR", "ar-in-shared@example.org")
    op.identify(shared, mx[0], "MX", "mx-in-shared@example.org")
    op.ip_event(shared, mx[0], "MX", "198.51.100.77")
    op.file(shared, ar_one[0], SHARED, "shared-file")
    op.file(shared, mx[0], SHARED, "shared-file")
    op.shared = op.values.pop(SHARED) | {SHARED_REPORT}
    return op


@pytest.fixture
def operation(workspace: Workspace) -> OperationBuilder:
    with workspace.session() as session:
        return build_operation(session)


def _others(op: OperationBuilder, country: str) -> set[str]:
    """Every value of every other country's (and of unlocated) persons, less what is shared."""
    values = {v for c, vs in op.values.items() if c != country for v in vs}
    return values - op.shared


def _package_text(folder: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.iterdir()))


def test_one_package_per_foreign_country_and_none_for_home(
    workspace: Workspace, operation: OperationBuilder, tmp_path: Path
) -> None:
    written = export_referrals(workspace, tmp_path / "out")
    assert [w.country for w in written] == ["AR", "MX"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["AR", "MX"]
    for folder in (tmp_path / "out").iterdir():
        assert sorted(p.name for p in folder.iterdir()) == ["referral.html", "referral.json"]
    counts = {w.country: (w.persons, w.accounts, w.reports, w.media) for w in written}
    assert counts == {"AR": (2, 3, 4, 4), "MX": (1, 1, 2, 2)}


def test_a_package_holds_nothing_of_any_other_country(
    workspace: Workspace, operation: OperationBuilder, tmp_path: Path
) -> None:
    export_referrals(workspace, tmp_path / "out")
    for country in ("AR", "MX"):
        text = _package_text(tmp_path / "out" / country)
        leaked = sorted(value for value in _others(operation, country) if value in text)
        assert leaked == [], f"{country} package holds other countries' values: {leaked}"
        missing = sorted(value for value in operation.values[country] if value not in text)
        assert missing == [], f"{country} package lacks its own values: {missing}"


def test_a_shared_report_and_file_go_to_both_without_the_other_side(
    workspace: Workspace, operation: OperationBuilder
) -> None:
    with workspace.session() as session:
        referrals = {r.country: r for r in build_referrals(session, "ES")}
    shared_hash = digest("sha256", "shared-file")
    for country, other in (("AR", "mx"), ("MX", "ar")):
        referral = referrals[country]
        assert SHARED_REPORT in [r["number"] for r in referral.reports]
        shared = next(m for m in referral.media if m["sha256"] == shared_hash)
        assert all(not key.startswith(f"photo-net:p-{other}") for key in shared["accounts"])
        assert shared["reports"] == [SHARED_REPORT]
    mx_events = [e["ip"] for a in referrals["MX"].accounts for e in a["ip_events"]]
    assert "198.51.100.77" in mx_events
    ar_events = [e["ip"] for a in referrals["AR"].accounts for e in a["ip_events"]]
    assert "198.51.100.77" not in ar_events


def test_the_document_is_complete_and_carries_no_media(
    workspace: Workspace, operation: OperationBuilder, tmp_path: Path
) -> None:
    export_referrals(workspace, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "AR" / "referral.json").read_text())
    assert document["format"] == "amparo.referral/1"
    assert (document["from_country"], document["country"]) == ("ES", "AR")
    assert document["contains_media"] is False
    assert document["handling"]["code"] == "H0"
    assert document["agency"]["channel"] == "AMERIPOL / Interpol I-24/7"
    assert "placeholder" in document["agency"]["name"]
    persons = {p["id"]: p for p in document["persons"]}
    assert set(persons) == {"P-AR-1", "P-AR-2"}
    first = persons["P-AR-1"]
    assert first["accounts"] == ["photo-net:p-ar-1-acct0", "photo-net:p-ar-1-acct1"]
    assert (first["subdivision"], first["subdivision_name"]) == ("AR-B", "Buenos Aires")
    assert (first["age"], first["minor"]) == (None, None)  # ages not assessed in this store
    account = document["accounts"][0]
    assert account["key"] == "photo-net:p-ar-1-acct0"
    assert len(account["identifiers"]) == 2  # its own report's, and the shared report's
    assert account["identifiers"][1] == {
        "kind": "email",
        "raw": "P-AR-1-ACCT0@EXAMPLE.ORG",
        "normalized": "p-ar-1-acct0@example.org",
    }
    assert account["ip_events"][0]["at"] == "2024-03-01T12:00:00Z"
    assert set(document["media"][0]) == {
        "sha256",
        "md5",
        "sha1",
        "pdq",
        "kind",
        "status",
        "accounts",
        "reports",
    }
    assert all("evidence" not in p for p in document["persons"])  # location evidence stays home


def test_handling_codes(workspace: Workspace, operation: OperationBuilder, tmp_path: Path) -> None:
    export_referrals(workspace, tmp_path / "out", handling=Handling("H2"))
    document = json.loads((tmp_path / "out" / "MX" / "referral.json").read_text())
    assert document["handling"]["code"] == "H2"
    assert "disseminated" in document["handling"]["meaning"]
    with pytest.raises(ExportError, match="H3 needs"):
        Handling("H3")
    with pytest.raises(ExportError, match="not one of"):
        Handling("H9")
    restricted = Handling("H3", "Not to be shared with the platform.")
    assert restricted.document()["note"] == "Not to be shared with the platform."


def test_workspace_directory_overrides_bundled_rows(
    workspace: Workspace, operation: OperationBuilder, tmp_path: Path
) -> None:
    (workspace.root / "agencies.csv").write_text(
        "country,agency,channel,note\nMX,Unidad de prueba,Interpol I-24/7,edited\n",
        encoding="utf-8",
    )
    export_referrals(workspace, tmp_path / "out")
    mx = json.loads((tmp_path / "out" / "MX" / "referral.json").read_text())
    ar = json.loads((tmp_path / "out" / "AR" / "referral.json").read_text())
    assert mx["agency"] == {
        "name": "Unidad de prueba",
        "channel": "Interpol I-24/7",
        "note": "edited",
    }
    assert ar["agency"]["channel"] == "AMERIPOL / Interpol I-24/7"  # bundled row kept


def test_directory_rows_and_default() -> None:
    directory = load_directory()
    assert directory.for_country("DE").channel == "Europol SIENA"
    assert directory.for_country("AR").channel == "AMERIPOL / Interpol I-24/7"
    japan = directory.for_country("JP")
    assert japan.channel == "Interpol I-24/7"
    assert "Japan" in japan.agency and "placeholder" in japan.agency


def test_a_bad_directory_row_is_refused(tmp_path: Path) -> None:
    (tmp_path / "agencies.csv").write_text("country,agency,channel,note\nZZ,x,y,\n")
    with pytest.raises(ExportError, match="line 2"):
        load_directory(tmp_path)


def test_stale_packages_are_removed(
    workspace: Workspace, operation: OperationBuilder, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_referrals(workspace, out)
    (out / "notes.txt").write_text("mine")
    with workspace.session() as session:
        session.query(tables.PersonLocation).filter(tables.PersonLocation.country == "MX").update(
            {"country": "ES", "subdivision": None}
        )
    written = export_referrals(workspace, out)
    assert [w.country for w in written] == ["AR"]
    assert sorted(p.name for p in out.iterdir()) == ["AR", "notes.txt"]


def test_another_home_country_refers_spain(
    workspace: Workspace, operation: OperationBuilder
) -> None:
    with workspace.session() as session:
        countries = [r.country for r in build_referrals(session, "AR")]
    assert countries == ["ES", "MX"]


def test_referrals_for_findings(workspace: Workspace, operation: OperationBuilder) -> None:
    with workspace.session() as session:
        entries = referrals_for_findings(session)
    assert [e["country"] for e in entries] == ["AR", "MX"]
    mexico = entries[1]
    assert mexico["persons"] == ["P-MX-1"]
    assert mexico["reports"] == ["P-MX-1-ACCT0-REPORT", SHARED_REPORT]
    assert (mexico["channel"], mexico["handling_code"]) == ("AMERIPOL / Interpol I-24/7", "H0")
    assert set(mexico) == {"country", "persons", "reports", "agency", "channel", "handling_code"}


def test_html_is_escaped_and_printable() -> None:
    document = {
        "format": "amparo.referral/1",
        "generated_at": "2024-03-01T12:00:00Z",
        "from_country": "ES",
        "country": "AR",
        "country_name": "Argentina",
        "agency": {"name": "NCB <Buenos Aires>", "channel": "Interpol I-24/7", "note": ""},
        "handling": Handling("H1").document(),
        "contains_media": False,
        "summary": {"persons": 1, "accounts": 1, "reports": 0, "media": 0, "ip_events": 0},
        "persons": [
            {
                "id": "P-1",
                "subdivision": None,
                "subdivision_name": None,
                "location_basis": "ip",
                "location_confidence": 0.5,
                "age": 15,
                "minor": True,
                "accounts": ["x:<b>"],
            }
        ],
        "accounts": [
            {
                "key": "x:<b>",
                "person": "P-1",
                "reports": [],
                "ip_events": [],
                "identifiers": [
                    {"kind": "screen_name", "raw": "<script>alert(1)</script>", "normalized": "s"}
                ],
            }
        ],
        "reports": [],
        "media": [],
    }
    html = render_html(document)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "NCB &lt;Buenos Aires&gt;" in html
    assert "Handling code H1" in html and "@media print" in html
    assert "15 (minor)" in html
    assert "<img" not in html


# --- on a generated, ingested and resolved operation ---------------------------------------


def _strings(value: object) -> set[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return set()


def _account_values(session: Session) -> dict[str, set[str]]:
    """Per person key: its accounts' keys, identifiers and IP addresses."""
    values: dict[str, set[str]] = {}
    owner = dict(
        session.query(tables.PersonAccount.account_id, tables.Person.key)
        .join(tables.Person, tables.Person.id == tables.PersonAccount.person_id)
        .all()
    )
    for account in session.query(tables.Account):
        values.setdefault(owner[account.id], set()).add(f"{account.platform}:{account.user_id}")
    for account_id, raw, normalized in session.query(
        tables.Identifier.account_id, tables.Identifier.raw, tables.Identifier.normalized
    ).filter(tables.Identifier.account_id.is_not(None)):
        values[owner[account_id]] |= {raw, normalized}
    for account_id, ip in session.query(tables.IPEvent.account_id, tables.IPEvent.ip).filter(
        tables.IPEvent.account_id.is_not(None)
    ):
        values[owner[account_id]].add(ip)
    return values


def test_generated_operation_packages_hold_only_their_country(
    workspace: Workspace, tmp_path: Path
) -> None:
    from amparo.demo import generate_operation
    from amparo.intake.ingest import ingest_paths
    from amparo.stages.resolution import run_resolve_stage

    operation = generate_operation(tmp_path / "input", reports=20, seed=1)
    ingest_paths(workspace, [operation.root])
    run_resolve_stage(workspace)
    countries = ("ES", "AR", "MX")
    with workspace.session() as session:
        persons = session.query(tables.Person).order_by(tables.Person.key).all()
        placed = {p.key: countries[i % 3] for i, p in enumerate(persons)}
        session.add_all(
            tables.PersonLocation(
                person_id=p.id,
                country=placed[p.key],
                basis="ip",
                confidence=0.5,
                chosen=True,
                evidence=[],
            )
            for p in persons
        )
        values = _account_values(session)
    export_referrals(workspace, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["AR", "MX"]
    for country in ("AR", "MX"):
        document = json.loads((tmp_path / "out" / country / "referral.json").read_text())
        found = _strings(document)
        own = {v for key, c in placed.items() if c == country for v in values.get(key, ())}
        others = {v for key, c in placed.items() if c != country for v in values.get(key, ())}
        assert {p["id"] for p in document["persons"]} == {
            k for k, c in placed.items() if c == country
        }
        assert found & (others - own) == set()
        assert own <= found


# --- the command line ----------------------------------------------------------------------


def test_cli_export_referrals(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from amparo.cli import main
    from amparo.workspace import open_workspace

    root = tmp_path / "ws"
    opened = open_workspace(root)
    with opened.session() as session:
        build_operation(session)
    opened.close()
    runner = CliRunner()
    result = runner.invoke(main, ["-w", str(root), "export", "referrals", "--handling-code", "H1"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "AR: 2 persons, 3 accounts, 4 reports, 4 file hashes" in said
    document = json.loads((root / "referrals" / "MX" / "referral.json").read_text())
    assert document["handling"]["code"] == "H1"
    refused = runner.invoke(main, ["-w", str(root), "export", "referrals", "--handling-code", "H3"])
    assert refused.exit_code == 2 and "--handling-note" in refused.output
    out = tmp_path / "packages"
    noted = runner.invoke(
        main,
        [
            "-w",
            str(root),
            "export",
            "referrals",
            "-o",
            str(out),
            "--handling-code",
            "H3",
            "--handling-note",
            "Ask first.",
        ],
    )
    assert noted.exit_code == 0, noted.output
    assert (
        json.loads((out / "AR" / "referral.json").read_text())["handling"]["note"] == "Ask first."
    )
