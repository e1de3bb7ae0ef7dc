"""The plain facts that triage rules test, one object per person or new series.

Every fact is a number, a flag or None; None means the store cannot tell (an age nobody gave,
a centrality before persons exist), and a rule on a fact that is None never fires.

What some facts rest on, and where the store is silent:

- File facts (``infant_files``, ``self_production_files``, ``physical_harm_files``) count
  distinct files that a platform's ``fileAnnotations`` marked so in any sighting of them.
- Report facts count reports that name the person as the reported user (``Party`` role
  ``reported``), or, for a series, the reports in which its files were seen.
- ``access_to_child_reports``: reports whose incident type is hands-on (child sexual
  molestation, child sex trafficking, child sex tourism). The CyberTipline schema has no
  annotation for a suspect who claims access to a child; the platform's free-text
  ``escalateToHighPriority`` reason is counted in ``escalated_reports`` instead and is not read
  for claims. Claims made in chat messages are not read either: an analyst records those.
- ``long_known_files``: files matched to a hash-set entry whose victim is identified, that is
  marked as distributed, or whose entry is dated (NCMEC ``timestamp``) at least the rules'
  ``long_known_days`` before the operation's newest report.
- ``days_before_newest``: days between the subject's latest activity (incident or sighting) and
  the newest report of the operation, so that an old operation is judged against itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

PERSON, SERIES = "person", "series"
KINDS = (PERSON, SERIES)


@dataclass(frozen=True)
class SubjectFacts:
    """Facts that persons and series share."""

    kind: ClassVar[str]
    subject: str
    reports: int = 0
    files: int = 0
    new_files: int = 0
    known_files: int = 0
    long_known_files: int = 0
    infant_files: int = 0
    self_production_files: int = 0
    physical_harm_files: int = 0
    sadistic_reports: int = 0
    sextortion_reports: int = 0
    solicitation_reports: int = 0
    enticement_reports: int = 0
    access_to_child_reports: int = 0
    escalated_reports: int = 0
    groups: int = 0
    latest_activity: datetime | None = None
    days_before_newest: int | None = None

    @property
    def long_known_share(self) -> float | None:
        """The share of the files that are long-known duplicates; None without files."""
        return round(self.long_known_files / self.files, 4) if self.files else None

    def values(self) -> dict[str, Any]:
        """Every fact by name, derived ones included (what rules and reasons read)."""
        return asdict(self) | {"long_known_share": self.long_known_share}


@dataclass(frozen=True)
class PersonFacts(SubjectFacts):
    kind: ClassVar[str] = PERSON
    new_files_first_shared: int = 0
    new_series_first_shared: int = 0
    new_material_groups: int = 0  # groups it is in where somebody shared new material
    centrality: float | None = None  # weighted degree, 1.0 for the most connected person
    betweenness: float | None = None
    age: int | None = None
    minor: bool | None = None
    criminally_responsible: bool | None = None


@dataclass(frozen=True)
class SeriesFacts(SubjectFacts):
    kind: ClassVar[str] = SERIES
    sharers: int = 0  # persons who shared a file of the series
    first_sharers: int = 0


FACT_CLASSES: dict[str, type[SubjectFacts]] = {PERSON: PersonFacts, SERIES: SeriesFacts}
_DERIVED = ("long_known_share",)
_NOT_FACTS = {"subject", "latest_activity"}


def fact_names(kind: str) -> frozenset[str]:
    """The facts a rule for ``kind`` may test or name in its reason."""
    names = {f.name for f in fields(FACT_CLASSES[kind])} - _NOT_FACTS
    return frozenset(names | set(_DERIVED))
