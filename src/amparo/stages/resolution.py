"""The resolve stage: accounts to persons, re-run only when what it reads has changed.

The resolution machinery (splink, DuckDB, Arrow: seconds to import) is loaded only when there
are accounts to resolve; a workspace holding only seized devices has none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.people.clusters import Resolution
from amparo.store import tables
from amparo.store.fingerprint import fingerprint, last_fingerprint
from amparo.workspace import Workspace

if TYPE_CHECKING:
    from amparo.people.clusters import Decision

STAGE = "resolve"
_INPUTS = (
    tables.Account, tables.Identifier, tables.Party, tables.IPEvent, tables.Sighting,
    tables.LinkDecision,
)  # fmt: skip
NOTHING_TO_RESOLVE = Resolution(persons=[], pairs_scored=0, pairs_rejected=0, common_tokens={})


def run_resolve_stage(workspace: Workspace, *, force: bool = False) -> Resolution | None:
    """Resolve every account into persons; None when nothing changed since the last run."""
    with workspace.session() as session:
        current = _fingerprint(session)
        if not force and last_fingerprint(session, STAGE) == current:
            return None
        resolution = _resolved(session) if _holds_accounts(session) else NOTHING_TO_RESOLVE
        session.merge(tables.StageRun(stage=STAGE, fingerprint=current,
                                      finished_at=datetime.now(UTC)))  # fmt: skip
        return resolution


def decide(workspace: Workspace, decision: Decision) -> list[dict[str, Any]]:
    """Record an analyst's link or unlink, re-resolve, and return the persons of both accounts."""
    from amparo.people.report import find_person
    from amparo.people.store import record_decision

    with workspace.session() as session:
        record_decision(session, decision)
    run_resolve_stage(workspace, force=True)
    with workspace.session() as session:
        persons = [find_person(session, key) for key in (decision.a, decision.b)]
    return list({p["id"]: p for p in persons if p is not None}.values())


def _resolved(session: Session) -> Resolution:
    from amparo.people.resolve import resolve
    from amparo.people.store import load_decisions, load_person_keys, load_records, write_persons

    previous = load_person_keys(session)
    resolution = resolve(load_records(session), load_decisions(session), previous)
    write_persons(session, resolution.persons)
    return resolution


def _holds_accounts(session: Session) -> bool:
    return session.scalar(select(tables.Account.id).limit(1)) is not None


def _fingerprint(session: Session) -> str:
    """The inputs' row counts and highest ids, and when analysts last decided."""
    latest = session.scalar(select(func.max(tables.LinkDecision.decided_at)))
    return fingerprint(session, _INPUTS, extra=[f"decided:{latest}"])
