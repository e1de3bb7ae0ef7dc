"""``amparo demo``: a benign synthetic operation generated, ingested, processed and exported."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from amparo.cli.common import (
    FINDINGS_FILE,
    console,
    ingest_with_progress,
    print_ingest_summary,
    process_with_progress,
    reports_errors,
    workspace_of,
)
from amparo.stages.registry import STAGE_NAMES
from amparo.terminal import untrusted

if TYPE_CHECKING:
    from amparo.intake.ingest import IngestSummary
    from amparo.workspace import Workspace


@click.command()
@click.option("--reports", default=200, show_default=True, help="How many reports to generate.")
@click.option("--seed", default=7, show_default=True, help="Seed of the synthetic operation.")
@click.pass_context
@reports_errors
def demo(context: click.Context, reports: int, seed: int) -> None:
    """Generate a benign synthetic operation, ingest it, process it and export its findings.

    The operation has report packages (WhatsApp's among them, with phone numbers and WhatsApp
    ids written in the many shapes platforms use), a seized phone's file tree (with videos, a
    sticker and a GIF), the WhatsApp chat exports of two seized phones and partner hash sets (one
    of known videos); its pictures are sample photos and generated images, its people fictional.
    """
    from amparo.demo import generate_operation
    from amparo.intake.dispatch import IngestOptions, ingest_inputs
    from amparo.intake.hashsets import import_hash_set

    workspace = workspace_of(context)
    inputs = workspace.root / "demo-input"
    console.print(
        f"Generating {reports} synthetic reports (seed {seed}) in {untrusted(inputs)} ...",
        highlight=False,
    )
    shutil.rmtree(inputs, ignore_errors=True)  # the previous demo's generated input only
    try:
        operation = generate_operation(
            inputs, reports=reports, seed=seed, hash_sets=True, device_tree=True,
            chat_exports=True, videos=True, messenger_reports=True, phone_shapes="written",
        )  # fmt: skip
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    summary = ingest_with_progress(workspace, list(operation.packages))
    for device in sorted({file.device for file in operation.device_files}):
        tree = IngestOptions(device=device)
        summary.merge(ingest_inputs(workspace, [inputs / "devices" / device], tree))
    summary.merge(_ingest_demo_chats(workspace, operation.chat_exports))
    print_ingest_summary(summary)
    process_with_progress(workspace, STAGE_NAMES, None)
    for name, path in sorted(operation.hashset_files.items()):
        result = import_hash_set(workspace, path, name=Path(name).stem)
        console.print(f"Hash set {result.name!r}: {result.entries} entries.", highlight=False)
    process_with_progress(workspace, ("match", "cluster"), None)
    _demo_provider_answers(workspace, operation)
    _print_demo_result(workspace)


def _demo_provider_answers(workspace: Workspace, operation: Any) -> None:
    """Ask the providers, let the home country's answer from the made-up truth, import it."""
    from amparo.demo.isp import write_provider_answers
    from amparo.export.requests import export_legal_requests
    from amparo.intake.subscribers import import_subscriber_returns

    requests = export_legal_requests(workspace, workspace.root / "legal-requests")
    console.print(
        f"Legal requests: {requests.lines} (address, port, time) triples for "
        f"{requests.providers} providers in {untrusted(requests.folder)}",
        highlight=False,
    )
    answers = workspace.root / "demo-input" / "subscriber-returns.csv"
    rows = write_provider_answers(workspace, operation.personas.values(), answers)
    result = import_subscriber_returns(workspace, answers)
    console.print(f"Subscriber returns: {rows} rows from the home country's providers "
                  f"({untrusted(answers)}); {result.events_answered} IP events answered.",
                  highlight=False)  # fmt: skip
    process_with_progress(workspace, STAGE_NAMES, None)  # stages with nothing new skip


def _ingest_demo_chats(workspace: Workspace, chats: tuple[Any, ...]) -> IngestSummary:
    """The demo's chat exports (``ExpectedChatExport``), each with its phone's owner and zone."""
    from amparo.intake.dispatch import IngestOptions, ingest_inputs
    from amparo.intake.ingest import IngestSummary

    summary = IngestSummary()
    for chat in chats:
        phone = IngestOptions(zone=ZoneInfo(chat.zone), owner=chat.owner_number)
        summary.merge(ingest_inputs(workspace, [chat.path], phone))
    phones = {chat.device: chat.owner_number for chat in chats}
    groups = {chat.group_key for chat in chats if not chat.direct}
    console.print(
        f"Chat exports: {len(chats)} from {len(phones)} seized phones "
        f"(owners {', '.join(phones.values())}), {len(groups)} groups.",
        highlight=False,
    )
    return summary


def _persons_line(document: dict[str, Any]) -> str:
    persons = document["persons"]
    several = [p for p in persons if len(p["accounts"]) > 1]
    platforms = [p for p in several if len({a.split(":")[0] for a in p["accounts"]}) > 1]
    return (
        f"persons: {len(persons)} from {len(document['accounts'])} accounts; {len(several)} hold "
        f"several accounts, {len(platforms)} across platforms; {len(document['groups'])} groups"
    )


def _print_demo_result(workspace: Workspace) -> None:
    from amparo.export.findings import export_findings
    from amparo.export.referrals import export_referrals
    from amparo.export.stats import export_stats
    from amparo.export.vics import export_vics
    from amparo.model import SeriesStatus

    findings, vics = workspace.root / FINDINGS_FILE, workspace.root / "vics.json"
    document = export_findings(workspace, findings)
    export_vics(workspace, vics)
    stats = export_stats(workspace)
    referrals = export_referrals(workspace)
    statuses = Counter(m["status"] or "not media" for m in document["media"])
    new_series = sum(1 for s in document["series"] if s["status"] == SeriesStatus.NEW)
    release = stats.stats["press_release"]
    console.print(
        f"\n[bold green]Demo ready.[/] Workspace: {untrusted(workspace.root)}\n"
        f"  files: {len(document['media'])} ("
        + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        + f"); {new_series} new series\n"
        f"  {_persons_line(document)}\n"
        f"  persons at home: {untrusted(release['home'] or 'none placed')}\n"
        f"  persons abroad: {untrusted(release['abroad'] or 'none')}\n"
        f"  findings: {untrusted(findings)}\n"
        f"  statistics and chart: {untrusted(stats.files['chart'].parent)}\n"
        f"  referrals: {len(referrals)} countries in {untrusted(workspace.root / 'referrals')}\n"
        f"  VICS export: {untrusted(vics)}\n"
        f"  database: {workspace.engine.url.render_as_string(hide_password=True)}\n"
        f"  evidence: {untrusted(workspace.evidence.root)}",
        highlight=False,
    )
