"""Cases on a generated operation, on both databases: created by the score stage, kept current,
never overruling analysts, closed when their subject goes and reopened when it comes back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from amparo.demo import GeneratedOperation, generate_operation
from amparo.errors import UnknownReference
from amparo.intake.hashsets import import_hash_set
from amparo.intake.ingest import ingest_paths
from amparo.stages.pipeline import STAGE_NAMES, run_pipeline
from amparo.stages.score import run_score_stage
from amparo.store import tables
from amparo.triage.cases import (
    IN_REVIEW,
    NOBODY,
    REFERRED,
    case_history,
    find_case,
    list_cases,
    open_case,
    priority_for_findings,
    update_case,
)
from amparo.triage.gather import gather_facts
from amparo.triage.rules import LEVELS, URGENT, WORKSPACE_RULES
from amparo.workspace import Workspace, open_workspace
from tests.conftest import BACKENDS, new_database_url

ANALYST = "ana"


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("op") / "input"
    return generate_operation(root, reports=40, seed=3, hash_sets=True)


@pytest.fixture(scope="module", params=BACKENDS)
def processed(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    operation: GeneratedOperation,
) -> Iterator[Workspace]:
    """One processed workspace per backend, for the tests that only read it."""
    folder = tmp_path_factory.mktemp("cases")
    opened = open_workspace(folder / "workspace", database_url=new_database_url(request, folder))
    ingest_paths(opened, list(operation.packages))
    run_pipeline(opened, STAGE_NAMES, workers=0)
    _add_analyst(opened)
    yield opened
    opened.close()


@pytest.fixture
def fresh(workspace: Workspace, operation: GeneratedOperation) -> Workspace:
    """A processed workspace of its own, for the tests that change it."""
    ingest_paths(workspace, list(operation.packages))
    run_pipeline(workspace, STAGE_NAMES, workers=0)
    _add_analyst(workspace)
    return workspace


def _add_analyst(workspace: Workspace) -> None:
    with workspace.session() as session:
        session.add(tables.User(
            username=ANALYST, password_hash="-", role="analyst", created_at=datetime.now(UTC),
            disabled=False, failed_logins=0, daily_budget_seconds=3600, preferences={},
        ))  # fmt: skip


def test_every_reported_person_and_new_series_has_a_case(processed: Workspace) -> None:
    with processed.session() as session:
        cases = {(c.kind, c.subject): c for c in list_cases(session)}
        series = set(
            session.scalars(select(tables.Series.key).where(tables.Series.status == "new"))
        )
        reported = set(session.scalars(
            select(tables.Person.key).join(tables.PersonAccount)
            .join(tables.Party, tables.Party.account_id == tables.PersonAccount.account_id)
            .where(tables.Party.role == "reported")
        ))  # fmt: skip
    assert series and reported
    assert {s for kind, s in cases if kind == "series"} == series
    assert reported <= {s for kind, s in cases if kind == "person"}
    for case in cases.values():
        assert case.status == "new"
        assert case.priority_level in LEVELS
        assert case.reasons


def test_new_material_is_urgent_and_says_why(processed: Workspace) -> None:
    with processed.session() as session:
        cases = list_cases(session, kind="series")
        history = case_history(session, cases[0].id)
    assert all(case.priority_level == URGENT for case in cases)
    assert all("[new_material +100, at least urgent]" in case.reasons[0] for case in cases)
    assert [event["action"] for event in history] == ["created"]
    assert history[0]["actor"] == "pipeline"


def test_the_queue_is_ordered_most_urgent_first(processed: Workspace) -> None:
    with processed.session() as session:
        ranks = [(LEVELS.index(c.priority_level), -c.priority_score) for c in list_cases(session)]
    assert ranks == sorted(ranks)


def test_findings_priority_per_person(processed: Workspace) -> None:
    with processed.session() as session:
        priorities = priority_for_findings(session)
        persons = set(session.scalars(select(tables.Person.key)))
    assert priorities and set(priorities) <= persons
    for priority in priorities.values():
        assert isinstance(priority["score"], float)
        assert priority["level"] in LEVELS
        assert all(isinstance(reason, str) for reason in priority["reasons"])


def test_a_rerun_with_nothing_new_skips_the_stage(processed: Workspace) -> None:
    reports = run_pipeline(processed, ("score",))
    assert [(r.stage, r.processed) for r in reports] == [("score", None)]


def test_analysts_status_assignee_and_notes_survive_rescoring(fresh: Workspace) -> None:
    with fresh.session() as session:
        case = list_cases(session, kind="person")[-1]  # the least urgent person
        case_id, level = case.id, case.priority_level
        assert level != URGENT
        update_case(session, case_id, ANALYST, status=IN_REVIEW, assignee=ANALYST,
                    note="asked the platform for more")  # fmt: skip
    (fresh.root / WORKSPACE_RULES).write_text(
        "[levels]\nurgent = 1\nhigh = 0.5\nnormal = 0.25\n"
        "[[rule]]\nid = 'everyone'\nfact = 'reports'\nmin = 0\npoints = 1\n"
        "reason = 'reports: {reports}'\n",
        encoding="utf-8",
    )  # every subject is urgent under these rules: the file's change re-scores every case
    assert run_pipeline(fresh, ("score",))[0].processed is not None
    with fresh.session() as session:
        case = session.get(tables.Case, case_id)
        assert (case.status, case.assignee.username) == (IN_REVIEW, ANALYST)
        assert len(case.reasons) == 1 and case.reasons[0].endswith("[everyone +1]")
        history = case_history(session, case_id)
    actions = [(event["action"], event["actor"]) for event in history]
    assert actions == [("created", "pipeline"), ("status", ANALYST), ("assigned", ANALYST),
                       ("note", ANALYST), ("rescored", "pipeline")]  # fmt: skip
    assert history[1]["detail"] == {"from": "new", "to": IN_REVIEW}
    assert history[2]["detail"] == {"from": None, "to": ANALYST}
    assert history[3]["detail"] == {"text": "asked the platform for more"}
    assert history[4]["detail"]["from"] == level
    assert history[4]["detail"]["to"] == URGENT


def test_analysts_changes_are_checked(processed: Workspace) -> None:
    with processed.session() as session:
        case_id = list_cases(session, kind="person")[0].id
        with pytest.raises(UnknownReference, match="status"):
            update_case(session, case_id, ANALYST, status="solved")
        with pytest.raises(UnknownReference, match="nobody-here"):
            update_case(session, case_id, ANALYST, assignee="nobody-here")
        with pytest.raises(UnknownReference, match="no case"):
            update_case(session, 10**6, ANALYST, note="x")
        with pytest.raises(UnknownReference):
            open_case(session, "person", "person-000000000000", ANALYST)
        update_case(session, case_id, ANALYST, assignee=ANALYST, note="  ")
        update_case(session, case_id, ANALYST, assignee=ANALYST)  # unchanged: no event
        update_case(session, case_id, ANALYST, assignee=NOBODY)
        actions = [event["action"] for event in case_history(session, case_id)]
        existing = list_cases(session, kind="person")[0]
        assert open_case(session, "person", existing.subject, ANALYST).id == existing.id
    assert actions == ["created", "assigned", "assigned"]


def test_cases_close_when_subjects_go_and_reopen_when_they_return(fresh: Workspace) -> None:
    """A person merged away closes its case; back again, the case has its analyst's status."""
    with fresh.session() as session:
        case = list_cases(session, kind="person")[0]
        subject, case_id = case.subject, case.id
        update_case(session, case_id, ANALYST, status=REFERRED)
        _rename_person(session, subject, "person-merged-away")
    synced = run_score_stage(fresh, force=True)
    assert synced is not None and (synced.closed, synced.created) == (1, 1)
    with fresh.session() as session:
        assert session.get(tables.Case, case_id).status == "closed"
        assert find_case(session, "person", "person-merged-away") is not None
        _rename_person(session, "person-merged-away", subject)
    synced = run_score_stage(fresh, force=True)
    assert synced is not None and (synced.reopened, synced.closed) == (1, 1)
    with fresh.session() as session:
        assert session.get(tables.Case, case_id).status == REFERRED
        history = case_history(session, case_id)
    assert [e["action"] for e in history][-3:] == ["status", "closed", "reopened"]
    assert history[-2]["detail"]["reason"] == "subject no longer exists"
    _open_a_case_for_a_person_without_one(fresh)


def _rename_person(session: Session, old: str, new: str) -> None:
    session.execute(update(tables.Person).where(tables.Person.key == old).values(key=new))


def _open_a_case_for_a_person_without_one(fresh: Workspace) -> None:
    """An analyst's own case (same fresh workspace, to save a pipeline run): scored next run."""
    with fresh.session() as session:
        session.add(tables.Person(key="person-sibling", resolved_at=datetime.now(UTC)))
        session.flush()
        case_id = open_case(
            session, "person", "person-sibling", ANALYST, note="victim's sibling"
        ).id
        assert [e["action"] for e in case_history(session, case_id)] == ["opened", "note"]
    assert run_pipeline(fresh, ("score",))[0].processed is not None
    with fresh.session() as session:
        case = session.get(tables.Case, case_id)
        assert (case.status, case.priority_level) == ("new", "low")
        assert case.reasons == ["no triage rule fired: nothing known raises its priority"]


def test_known_material_counts_and_long_known_copies_lower(
    fresh: Workspace, operation: GeneratedOperation
) -> None:
    """A hash set makes files known; entries marked as circulating make them long-known."""
    path = operation.hashset_files["known.csv"]
    import_hash_set(fresh, path, name="known")
    with fresh.session() as session:
        session.execute(update(tables.KnownEntry).values(is_distributed=True))
    run_pipeline(fresh, ("match", "cluster", "score"))
    with fresh.session() as session:
        persons = gather_facts(session, long_known_days=365).persons.values()
        holders = [p for p in persons if p.known_files]
        lowered = [c for c in list_cases(session, kind="person")
                   if any("[long_known_duplicates -20]" in r for r in c.reasons)]  # fmt: skip
    assert holders and all(p.long_known_files == p.known_files for p in holders)
    expected = {p.subject for p in holders if p.long_known_share and p.long_known_share >= 0.8}
    assert expected and {c.subject for c in lowered} == expected
