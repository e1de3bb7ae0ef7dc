"""The web workspace's pages on a small generated operation (benign pictures, made-up people):
dashboard, queue, case page with every section, a reveal on it, series and group pages with
the network view's data, the audit view, and the case forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amparo.demo import generate_operation
from amparo.intake.ingest import ingest_paths
from amparo.stages.pipeline import STAGE_NAMES, run_pipeline
from amparo.store import tables
from amparo.web.casefile import MAX_TIMELINE, timeline_section
from amparo.workspace import Workspace
from tests.test_web import add_user, client_for, csrf, has_class, make_app, page

LEVELS = ("urgent", "high", "normal", "low")
SECTIONS = ("accounts", "links", "ip-events", "timeline", "groups", "referral", "media")


def ensure_cases(workspace: Workspace) -> None:
    """Cases as the score stage makes them; made here for every person and new series if the
    pipeline has no score stage yet."""
    with workspace.session() as session:
        if session.scalar(select(func.count()).select_from(tables.Case)):
            return
        now = datetime.now(UTC)
        persons = session.scalars(select(tables.Person.key).order_by(tables.Person.key)).all()
        series = session.scalars(select(tables.Series.key).where(tables.Series.status == "new"))
        subjects = [("series", key) for key in series] + [("person", key) for key in persons]
        for i, (kind, key) in enumerate(subjects):
            session.add(tables.Case(
                kind=kind, subject=key, title=f"{kind} {key[:16]}", status="new",
                priority_level=LEVELS[i % 4], priority_score=100.0 - i, reasons=["test"],
                flags=[], created_at=now, updated_at=now,
            ))  # fmt: skip


@pytest.fixture
def app(workspace: Workspace, tmp_path: Path) -> FastAPI:
    operation = generate_operation(tmp_path / "operation", reports=20, seed=21)
    ingest_paths(workspace, list(operation.packages))
    run_pipeline(workspace, STAGE_NAMES, workers=0)
    ensure_cases(workspace)
    add_user(workspace, "ana", "analyst")
    add_user(workspace, "sam", "supervisor")
    return make_app(workspace)


def rows(tree: lxml.html.HtmlElement, table: str, row_class: str) -> list[lxml.html.HtmlElement]:
    return tree.xpath(f"//table[@id='{table}']//tr[{has_class(row_class)}]")


def person_case_with_groups(client: TestClient, workspace: Workspace) -> str:
    """A person's case page whose media and groups are not empty."""
    with workspace.session() as session:
        ids = session.scalars(select(tables.Case.id).where(tables.Case.kind == "person")).all()
    for case_id in ids:
        tree = page(client.get(f"/cases/{case_id}"))
        if tree.xpath("//section[@id='groups']//a") and tree.xpath("//figure"):
            return f"/cases/{case_id}"
    pytest.fail("no person case with media and groups in the generated operation")


def test_the_dashboard_shows_the_queue_cases_charts_and_new_series(
    app: FastAPI, workspace: Workspace
) -> None:
    tree = page(client_for(app, "ana").get("/"))
    urgent = tree.xpath("//section[@id='queue']//a[@data-level='urgent']")
    assert urgent and urgent[0].get("href") == "/cases?level=urgent"
    counts = {a.get("data-level"): int(a.xpath(".//*[@data-count]/@data-count")[0])
              for a in tree.xpath("//section[@id='queue']//a[@data-level]")}  # fmt: skip
    with workspace.session() as session:
        open_cases = session.scalar(
            select(func.count()).select_from(tables.Case).where(tables.Case.status != "closed")
        )
    assert set(counts) == set(LEVELS) and sum(counts.values()) == open_cases
    case_rows = rows(tree, "cases", "case-row")
    assert case_rows
    for row in case_rows:
        assert re.fullmatch(r"/cases/\d+", row.xpath(f".//a[{has_class('case-link')}]/@href")[0])
    for chart in ("chart-provinces", "chart-countries"):
        assert tree.xpath(f"//*[local-name()='svg'][@id='{chart}']"), chart
    assert tree.xpath("//*[@id='chart-countries']//*[@data-value]"), "located persons drawn"
    series_links = tree.xpath("//section[@id='new-series']//a/@href")
    assert series_links and all(link.startswith("/series/") for link in series_links)
    assert not tree.xpath("//script[not(@src)]"), "no inline script"


def test_the_queue_filters_by_level(app: FastAPI) -> None:
    client = client_for(app, "ana")
    tree = page(client.get("/cases?level=urgent"))
    levels = {row.get("data-level") for row in rows(tree, "cases", "case-row")}
    assert levels == {"urgent"}
    everything = rows(page(client.get("/cases")), "cases", "case-row")
    assert len(everything) > len(rows(tree, "cases", "case-row"))


def test_a_case_page_has_every_section_and_blurred_media(
    app: FastAPI, workspace: Workspace
) -> None:
    client = client_for(app, "ana")
    path = person_case_with_groups(client, workspace)
    tree = page(client.get(path))
    assert tree.xpath(f"//h1[{has_class('case-title')}]")[0].text_content().strip()
    for section in SECTIONS:
        assert tree.xpath(f"//section[@id='{section}']"), section
    assert tree.xpath("//section[@id='accounts']//*[@data-account]")
    assert tree.xpath("//section[@id='ip-events']//tr[@class='ip-row']")
    assert tree.xpath("//section[@id='timeline']//li[contains(@class, 'timeline-entry')]")
    assert tree.xpath("//section[@id='referral']//*[@data-state]")
    for href in tree.xpath("//section[@id='groups']//a/@href"):
        assert href.startswith("/groups/") and "/" not in href[len("/groups/") :]
    figures = tree.xpath(f"//section[@id='media']//figure[{has_class('media-item')}]")
    assert figures
    for figure in figures:
        sha256 = figure.get("data-sha256")
        assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        [thumb] = figure.xpath(f".//img[{has_class('thumb')}][{has_class('blurred')}]")
        assert thumb.get("src") == f"/media/{sha256}/thumb"
        [form] = figure.xpath(f".//form[{has_class('reveal-form')}]")
        assert form.get("data-sha256") == sha256
        assert form.xpath(".//input[@name='reason'][@required]")
        assert form.xpath(f".//button[{has_class('reveal-button')}]")
    assert not tree.xpath(f"//*[{has_class('revealed')}]"), "nothing revealed unasked"
    for form in ("status-form", "assign-form", "note-form"):
        assert tree.xpath(f"//form[@id='{form}']//input[@name='csrf_token']"), form


def test_a_reveal_on_the_case_page_shows_that_item_only(app: FastAPI, workspace: Workspace) -> None:
    client = client_for(app, "ana")
    path = person_case_with_groups(client, workspace)
    tree = page(client.get(path))
    form = tree.xpath(f"//form[{has_class('reveal-form')}]")[0]
    sha256 = form.get("data-sha256")
    data = {name: value for name, value in form.form_values()} | {"reason": "needed (test)"}
    response = client.post(form.get("action"), data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}#item-{sha256[:16]}"
    after = page(client.get(path))
    revealed = after.xpath(f"//*[{has_class('revealed')}]")
    assert len(revealed) == 1
    figure = revealed[0].getparent()
    assert figure.get("data-sha256") == sha256
    source = revealed[0].get("src")
    assert source.startswith(f"/media/{sha256}/view?token=")
    if revealed[0].tag == "video":
        assert revealed[0].get("muted") is not None
    assert client.get(source).status_code == 200
    case_id = int(path.rsplit("/", 1)[1])
    with workspace.session() as session:
        event = session.scalar(
            select(tables.AuditEvent).where(tables.AuditEvent.action == "reveal")
        )
    assert event.detail == {"reason": "needed (test)", "case": case_id}
    reblur = figure.xpath(f".//a[{has_class('reblur-link')}]/@href")[0]
    client.get(reblur)
    assert not page(client.get(path)).xpath(f"//*[{has_class('revealed')}]")


def test_the_group_page_draws_its_network_from_json(app: FastAPI, workspace: Workspace) -> None:
    client = client_for(app, "ana")
    path = person_case_with_groups(client, workspace)
    group = page(client.get(path)).xpath("//section[@id='groups']//a/@href")[0]
    tree = page(client.get(group))
    [network] = tree.xpath("//div[@id='network']")
    assert "/static/network.js" in tree.xpath("//script/@src")
    assert rows(tree, "members-table", "member-row")
    data = client.get(network.get("data-src")).json()
    ids = {node["id"] for node in data["nodes"]}
    assert f"group:{unquote(group[len('/groups/') :])}" in ids
    assert any(node["kind"] == "account" for node in data["nodes"])
    assert all(node["label"] for node in data["nodes"])
    assert data["edges"] and all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert client.get("/groups/nowhere%3Anothing").status_code == 404


def test_the_series_page_lists_media_sharers_and_network(app: FastAPI) -> None:
    client = client_for(app, "ana")
    link = page(client.get("/")).xpath("//section[@id='new-series']//a/@href")[0]
    tree = page(client.get(link))
    assert tree.xpath(f"//section[@id='media']//figure[{has_class('media-item')}]")
    data = client.get(tree.xpath("//div[@id='network']/@data-src")[0]).json()
    assert any(node["kind"] == "series" for node in data["nodes"])


def test_the_audit_view_lists_sign_ins_for_supervisors(app: FastAPI) -> None:
    client_for(app, "ana")
    tree = page(client_for(app, "sam").get("/audit"))
    texts = [row.text_content() for row in rows(tree, "audit", "audit-row")]
    assert any("sign_in" in text and "ana" in text for text in texts)
    assert tree.xpath("//*[@id='chain-status']/@data-ok") == ["true"]


def test_the_case_forms_change_status_assignee_and_notes(
    app: FastAPI, workspace: Workspace
) -> None:
    pytest.importorskip("amparo.triage.cases")
    client = client_for(app, "ana")
    with workspace.session() as session:
        case_id = session.scalar(select(tables.Case.id).order_by(tables.Case.id))
    token = csrf(client, f"/cases/{case_id}")
    for action, data in (("status", {"status": "in_review"}), ("assign", {"assignee": "sam"}),
                         ("note", {"note": "Called the provider."})):  # fmt: skip
        response = client.post(f"/cases/{case_id}/{action}", data=data | {"csrf_token": token},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303, response.text
    assert client.post(f"/cases/{case_id}/status", data={"status": "x", "csrf_token": token},
                       follow_redirects=False).status_code == 400  # fmt: skip
    tree = page(client.get(f"/cases/{case_id}"))
    assert tree.xpath(f"//*[{has_class('case-status')}]")[0].text == "in_review"
    assert tree.xpath(f"//*[{has_class('case-assignee')}]")[0].text == "sam"
    timeline = " ".join(tree.xpath("//section[@id='timeline']//li/text()"))
    assert "Called the provider." in timeline
    with workspace.session() as session:
        actions = session.scalars(
            select(tables.AuditEvent.action).where(tables.AuditEvent.target == f"case:{case_id}")
        ).all()
    assert actions == ["case_update"] * 3


def test_an_unknown_case_is_404(app: FastAPI) -> None:
    client = client_for(app, "ana")
    assert client.get("/cases/999999").status_code == 404
    assert client.get("/cases/abc").status_code == 404


def test_a_long_timeline_keeps_its_newest_entries_and_says_so(workspace: Workspace) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    history = [
        {"kind": "note", "at": start + timedelta(hours=n), "text": f"note {n}"}
        for n in range(MAX_TIMELINE + 5)
    ]
    with workspace.session() as session:
        entries = timeline_section(session, {}, list(reversed(history)))
    assert entries[0]["text"] == "5 earlier entries not shown"
    assert entries[-1]["text"] == f"note {MAX_TIMELINE + 4}"
    assert len(entries) == MAX_TIMELINE + 1
