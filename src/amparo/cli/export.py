"""``amparo export``: findings, VICS, referrals, statistics, GraphML and legal requests."""

from __future__ import annotations

from pathlib import Path

import click

from amparo.cli.common import FINDINGS_FILE, console, reports_errors, workspace_of
from amparo.export.handling import DEFAULT_HANDLING_CODE, HANDLING_CODES, Handling
from amparo.terminal import untrusted


@click.group()
def export() -> None:
    """Write what the workspace knows for people and other tools."""


@export.command("findings")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the JSON (default: {FINDINGS_FILE} in the workspace).",
)
@click.pass_context
@reports_errors
def export_findings_command(context: click.Context, output: Path | None) -> None:
    """Write the amparo.findings/1 JSON document (checked against its schema)."""
    from amparo.export.findings import export_findings

    workspace = workspace_of(context)
    out = output or workspace.root / FINDINGS_FILE
    document = export_findings(workspace, out)
    console.print(
        f"Wrote {untrusted(out)}: {len(document['media'])} files, "
        f"{len(document['accounts'])} accounts, "
        f"{document['inputs']['reports']} reports.",
        highlight=False,
    )


@export.command("vics")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the JSON (default: vics.json in the workspace).",
)
@click.option("--case-name", default="amparo", show_default=True, help="VICS case name.")
@click.pass_context
@reports_errors
def export_vics_command(context: click.Context, output: Path | None, case_name: str) -> None:
    """Write the operation's files as Project VIC VICS 2.0 JSON (hashes and metadata, no media)."""
    from amparo.export.vics import export_vics

    workspace = workspace_of(context)
    out = output or workspace.root / "vics.json"
    count = export_vics(workspace, out, case_name=case_name)
    console.print(f"Wrote {untrusted(out)}: {count} files.", highlight=False)


@export.command("referrals")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into, one sub-folder per country (default: referrals in the workspace).",
)
@click.option(
    "--handling-code",
    type=click.Choice(sorted(HANDLING_CODES)),
    default=DEFAULT_HANDLING_CODE,
    show_default=True,
    help="Europol handling code: H0 only for preventing and combating crime; H1 not to be "
    "disclosed in judicial proceedings without permission; H2 not to be disseminated without "
    "permission; H3 other restrictions (say which with --handling-note).",
)
@click.option("--handling-note", default=None, help="The restrictions in words (needed for H3).")
@click.pass_context
@reports_errors
def export_referrals_command(
    context: click.Context, output: Path | None, handling_code: str, handling_note: str | None
) -> None:
    """Write a referral package per foreign country: referral.json and a printable referral.html.

    Persons whose chosen location is a country other than the home country (`amparo settings
    set home_country ES`) are referred to it. A package holds only that country's persons, their
    accounts, identifiers, IP events, reports and file hashes: no media, nothing of any other
    country. The receiving agency and channel come from the bundled directory; a file
    agencies.csv in the workspace (country,agency,channel,note) replaces its rows.
    """
    from amparo.export.referrals import export_referrals

    if handling_code == "H3" and not (handling_note or "").strip():
        raise click.UsageError("--handling-code H3 needs --handling-note stating the restrictions")
    workspace = workspace_of(context)
    out = output or workspace.root / "referrals"
    written = export_referrals(workspace, out, handling=Handling(handling_code, handling_note))
    console.print(
        f"Wrote {len(written)} referral package(s) in {untrusted(out)} ({handling_code}).",
        highlight=False,
    )
    for package in written:
        console.print(
            f"  {untrusted(package.country)}: {package.persons} persons, "
            f"{package.accounts} accounts, "
            f"{package.reports} reports, {package.media} file hashes",
            highlight=False,
        )


@export.command("stats")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: stats in the workspace).",
)
@click.pass_context
@reports_errors
def export_stats_command(context: click.Context, output: Path | None) -> None:
    """Write the operation's statistics: stats.json, stats.csv, stats.md and a bar chart, stats.png.

    Reports, files, new series, persons by country and by province (as a press release writes
    them: "Alicante (2), Barcelona (8)"), minors, those below the age of criminal
    responsibility, and where persons go (child protection, juvenile prosecutor, prosecution).
    """
    from amparo.export.stats import export_stats

    workspace = workspace_of(context)
    result = export_stats(workspace, output)
    stats, folder = result.stats, result.files["json"].parent
    console.print(
        f"Wrote {untrusted(folder)}: {stats['reports']} reports, {stats['persons']} persons "
        f"({stats['located']} located), minors: {_assessed(stats['minors'])}, below the age "
        f"of criminal responsibility: {_assessed(stats['below_age_of_responsibility'])}.",
        highlight=False,
    )
    for line in stats["press_release"].values():
        if line:
            console.print(f"  {untrusted(line)}", highlight=False)


def _assessed(count: int | None) -> str:
    return "not assessed yet" if count is None else str(count)


@export.command("graphml")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the GraphML (default: network.graphml in the workspace).",
)
@click.pass_context
@reports_errors
def export_graphml_command(context: click.Context, output: Path | None) -> None:
    """Write the network of persons, accounts, groups and new series as GraphML (for Gephi).

    Persons carry their Leiden community, centrality and country hint; person-person
    ``co_member`` edges are the links the analysis ran on. Accounts not yet resolved into a
    person are persons of their own.
    """
    from amparo.export.graphml import export_graphml

    workspace = workspace_of(context)
    out = output or workspace.root / "network.graphml"
    result = export_graphml(workspace, out)
    summary = result.summary
    console.print(
        f"Wrote {untrusted(out)}: {result.vertices} vertices, {result.edges} edges; "
        f"{summary.persons} persons in {len(summary.communities)} communities, "
        f"{len(summary.cross_border)} cross-border links.",
        highlight=False,
    )


@export.command("legal-requests")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: legal-requests in the workspace).",
)
@click.pass_context
@reports_errors
def export_legal_requests_command(context: click.Context, output: Path | None) -> None:
    """Write what to ask each Internet provider: (address, port, time) triples to identify.

    legal-requests.json holds every provider's triples with the reports and persons behind
    them; each provider with unanswered triples also gets a printable HTML letter and a CSV
    (neither names accounts, persons or reports). Triples without a port, or of a provider
    known to use carrier-grade NAT, are flagged: the answer may be several subscribers.
    """
    from amparo.export.requests import export_legal_requests

    workspace = workspace_of(context)
    result = export_legal_requests(workspace, output or workspace.root / "legal-requests")
    console.print(
        f"Wrote {untrusted(result.folder)}: {result.lines} (address, port, time) triples for "
        f"{result.providers} providers, {result.flagged} flagged; {len(result.letters)} letters.",
        highlight=False,
    )
    if result.without_lookup:
        console.print(
            f"  [yellow]{result.without_lookup} IP events have no lookup yet[/] and are not "
            "included: run `amparo process` first.",
            highlight=False,
        )
