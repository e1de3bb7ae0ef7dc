"""The facts of every person and every new series, tallied from the store's rows in bulk.

``rows`` reads whole tables once each; here each sighting, reported party and membership is
tallied once onto its person and its series; centrality comes from the network stage.
Accounts that no person holds yet (resolve has not run) belong to no person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from amparo.match.matcher import KNOWN, KNOWN_VARIANT, NEW
from amparo.network.analysis import Centrality
from amparo.network.results import current_summary
from amparo.triage.facts import PersonFacts, SeriesFacts
from amparo.triage.rows import ReportRow, SightingRow, StoreRows, long_known_media, person_ages

INFANT, SELF_PRODUCTION, PHYSICAL_HARM = "infant", "possibleSelfProduction", "physicalHarm"
FILE_ANNOTATIONS = (INFANT, SELF_PRODUCTION, PHYSICAL_HARM)
SADISTIC, SEXTORTION, SOLICITATION = "sadisticOnlineExploitation", "sextortion", "csamSolicitation"
ENTICEMENT_TYPES = frozenset({
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
})  # fmt: skip
HANDS_ON_TYPES = frozenset({
    "Child Sexual Molestation", "Child Sex Trafficking", "Child Sex Tourism",
})  # fmt: skip


@dataclass
class _Tally:
    """What one subject was seen doing: reports, files, groups, times, annotated files."""

    reports: set[int] = field(default_factory=set)
    media: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)
    sharers: set[str] = field(default_factory=set)
    annotated: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    latest: datetime | None = None

    def see(self, sighting: SightingRow, sharer: str | None = None) -> None:
        self.media.add(sighting.media_id)
        self.reports.update([sighting.report_id] if sighting.report_id else [])
        self.groups.update([sighting.group_id] if sighting.group_id else [])
        self.sharers.update([sharer] if sharer else [])
        for name in sighting.annotations & set(FILE_ANNOTATIONS):
            self.annotated[name].add(sighting.media_id)
        if sighting.at is not None and (self.latest is None or sighting.at > self.latest):
            self.latest = sighting.at


@dataclass(frozen=True)
class TriageFacts:
    persons: dict[str, PersonFacts]
    series: dict[str, SeriesFacts]
    newest: datetime | None  # the newest report's incident: what "recent" is measured against
    accounts: dict[str, list[str]]  # person key -> its account keys, sorted


def gather_facts(
    session: Session, *, long_known_days: int, centrality: dict[str, Centrality] | None = None
) -> TriageFacts:
    """Facts for every person and every new series the store holds."""
    if centrality is None:
        centrality = current_summary(session).centrality
    store = StoreRows.read(session)
    newest = store.newest()
    long_known = long_known_media(session, newest, long_known_days)
    return TriageFacts(
        persons=_PersonFactsBuilder(store, long_known, newest, centrality).build(session),
        series=_series_facts(store, newest),
        newest=newest,
        accounts=store.person_accounts(),
    )


def _days_before(newest: datetime | None, latest: datetime | None) -> int | None:
    if newest is None or latest is None:
        return None
    return max((newest - latest).days, 0)


def _report_counts(reports: Iterable[ReportRow]) -> dict[str, int]:
    counts = dict.fromkeys(
        ("sadistic_reports", "sextortion_reports", "solicitation_reports",
         "enticement_reports", "access_to_child_reports", "escalated_reports"), 0,
    )  # fmt: skip
    for report in reports:
        counts["sadistic_reports"] += SADISTIC in report.annotations
        counts["sextortion_reports"] += SEXTORTION in report.annotations
        counts["solicitation_reports"] += SOLICITATION in report.annotations
        counts["enticement_reports"] += report.incident_type in ENTICEMENT_TYPES
        counts["access_to_child_reports"] += report.incident_type in HANDS_ON_TYPES
        counts["escalated_reports"] += report.escalated
    return counts


def _common(store: StoreRows, tally: _Tally, newest: datetime | None) -> dict[str, Any]:
    """The facts persons and series share, from a tally."""
    reports = [store.reports[r] for r in tally.reports]
    times = [tally.latest, *(r.incident_at for r in reports)]
    latest = max((t for t in times if t is not None), default=None)
    return {
        "reports": len(tally.reports),
        "files": len(tally.media),
        "new_files": sum(1 for m in tally.media if store.media[m][0] == NEW),
        "known_files": sum(1 for m in tally.media if store.media[m][0] in (KNOWN, KNOWN_VARIANT)),
        "infant_files": len(tally.annotated[INFANT]),
        "self_production_files": len(tally.annotated[SELF_PRODUCTION]),
        "physical_harm_files": len(tally.annotated[PHYSICAL_HARM]),
        "groups": len(tally.groups),
        "latest_activity": latest,
        "days_before_newest": _days_before(newest, latest),
        **_report_counts(reports),
    }


def _series_facts(store: StoreRows, newest: datetime | None) -> dict[str, SeriesFacts]:
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for sighting in store.sightings:
        series_id = store.media[sighting.media_id][1]
        if series_id in store.new_series:
            sharer = _sharer(store, sighting.account_id)
            tallies[series_id].see(sighting, sharer)
    facts = {}
    for series_id, members in store.series_media().items():
        key, first_accounts = store.new_series[series_id]
        tally = tallies[series_id]
        tally.media.update(members)
        first = {_sharer(store, store.account_ids.get(a)) or a for a in first_accounts}
        facts[key] = SeriesFacts(key, sharers=len(tally.sharers), first_sharers=len(first),
                                 **_common(store, tally, newest))  # fmt: skip
    return facts


def _sharer(store: StoreRows, account_id: int | None) -> str | None:
    """The person holding an account, or the account itself while no person does."""
    if account_id is None:
        return None
    return store.person_of.get(account_id) or f"account:{account_id}"


class _PersonFactsBuilder:
    def __init__(
        self,
        store: StoreRows,
        long_known: set[int],
        newest: datetime | None,
        centrality: dict[str, Centrality],
    ) -> None:
        self.store, self.long_known, self.newest = store, long_known, newest
        self.centrality = centrality
        self.new_groups = store.new_material_groups()
        self.tallies: dict[str, _Tally] = defaultdict(_Tally)
        self.first_shared: dict[str, dict[int, int]] = defaultdict(dict)  # series -> its files

    def build(self, session: Session) -> dict[str, PersonFacts]:
        self._tally()
        self._first_shared()
        ages = person_ages(session)
        no_age = (None, None, None)
        return {key: self._facts(key, ages.get(key, no_age)) for key in self.store.persons}

    def _tally(self) -> None:
        person_of = self.store.person_of
        for sighting in self.store.sightings:
            if sighting.account_id in person_of:
                self.tallies[person_of[sighting.account_id]].see(sighting)
        for account_id, report_id in self.store.reported:
            if account_id in person_of:
                self.tallies[person_of[account_id]].reports.add(report_id)
        for account_id, group_id in self.store.memberships:
            if account_id in person_of:
                self.tallies[person_of[account_id]].groups.add(group_id)

    def _first_shared(self) -> None:
        """Per person, the new series it was among the first to share and how many files."""
        members = self.store.series_media()
        for series_id, (_, first_accounts) in self.store.new_series.items():
            for account in first_accounts:
                person = self.store.person_of.get(self.store.account_ids.get(account, -1))
                if person is not None:
                    shared = self.tallies[person].media & set(members[series_id])
                    self.first_shared[person][series_id] = len(shared)

    def _facts(self, key: str, age: tuple[Any, Any, Any]) -> PersonFacts:
        tally = self.tallies[key]
        network = self.centrality.get(key)
        first = self.first_shared.get(key, {})
        return PersonFacts(
            key,
            long_known_files=len(tally.media & self.long_known),
            new_files_first_shared=sum(first.values()),
            new_series_first_shared=len(first),
            new_material_groups=len(tally.groups & self.new_groups),
            centrality=None if network is None else network.weighted_degree,
            betweenness=None if network is None else network.betweenness,
            age=age[0], minor=age[1], criminally_responsible=age[2],
            **_common(self.store, tally, self.newest),
        )  # fmt: skip
