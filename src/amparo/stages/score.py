"""The score stage: every person and new series scored by the triage rules, cases kept current.

A person gets a case when a report names one of its accounts as the reported user, when it
shared a file, or when it is in a group where new material was shared; a case once made is
scored for as long as its subject exists. Every new series gets a case. The stage is skipped
when nothing it reads has changed (the rules file included), unless forced.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.store import tables
from amparo.store.fingerprint import fingerprint
from amparo.triage.case_sync import CaseSync, Scored, sync_cases
from amparo.triage.facts import PERSON, SERIES, PersonFacts, SeriesFacts
from amparo.triage.gather import TriageFacts, gather_facts
from amparo.triage.rules import Rules, rules_for_workspace
from amparo.triage.score import score
from amparo.workspace import Workspace

STAGE = "score"
TITLE_ACCOUNTS = 3
_INPUTS = (
    tables.Report, tables.Party, tables.Sighting, tables.Membership, tables.Match,
    tables.KnownEntry, tables.Series, tables.Person, tables.Case,
)  # fmt: skip
_UPSTREAM = ("resolve", "locate", "network")


def run_score_stage(workspace: Workspace, *, force: bool = False) -> CaseSync | None:
    """Score and sync every case; None when nothing changed since the last run."""
    rules = rules_for_workspace(workspace.root)
    with workspace.session() as session:
        last = session.get(tables.StageRun, STAGE)
        if not force and last is not None and last.fingerprint == _fingerprint(session, rules):
            return None
        facts = gather_facts(session, long_known_days=rules.long_known_days)
        now = datetime.now(UTC)
        synced = sync_cases(session, _scored(session, facts, rules), now=now)
        session.flush()
        session.merge(
            tables.StageRun(stage=STAGE, fingerprint=_fingerprint(session, rules), finished_at=now)
        )
        return synced


def _scored(session: Session, facts: TriageFacts, rules: Rules) -> list[Scored]:
    with_case = set(session.scalars(select(tables.Case.subject).where(tables.Case.kind == PERSON)))
    persons = [
        Scored(PERSON, key, _person_title(key, facts.accounts.get(key, [])), score(f, rules))
        for key, f in facts.persons.items()
        if key in with_case or warrants_case(f)
    ]
    series = [
        Scored(SERIES, key, _series_title(f), score(f, rules)) for key, f in facts.series.items()
    ]
    return persons + series


def warrants_case(facts: PersonFacts) -> bool:
    """Reported, shared a file, or in a group where new material was shared."""
    return bool(facts.reports or facts.files or facts.new_material_groups)


def _person_title(key: str, accounts: list[str]) -> str:
    shown = ", ".join(accounts[:TITLE_ACCOUNTS])
    more = f" and {len(accounts) - TITLE_ACCOUNTS} more" if len(accounts) > TITLE_ACCOUNTS else ""
    return f"Person {key} ({shown}{more})" if accounts else f"Person {key}"


def _series_title(facts: SeriesFacts) -> str:
    return f"New series {facts.subject} ({facts.files} files, {facts.sharers} sharers)"


def _fingerprint(session: Session, rules: Rules) -> str:
    """The inputs' row counts and highest ids, media and series states, upstream runs, rules."""
    parts = [f"rules:{rules.digest}"]
    for column in (tables.Media.status, tables.Series.status):
        counts = session.execute(select(column, func.count()).group_by(column)).all()
        parts.append(f"{column}:{sorted(counts, key=str)}")
    in_series = select(func.count()).where(tables.Media.series_id.is_not(None))
    parts.append(f"in_series:{session.scalar(in_series)}")
    parts.append(f"aged:{session.scalar(select(func.count()).select_from(tables.PersonAge))}")
    return fingerprint(session, _INPUTS, after=_UPSTREAM, extra=parts)
