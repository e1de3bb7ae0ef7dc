"""The ``amparo`` command line: each command opens the workspace and calls one library function.

Exit codes: 0 done; 1 the input or export could not be handled (the message says why);
2 the command was mistyped; 3 the workspace or its database cannot be used or refused a write.
"""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from amparo import __version__
from amparo.errors import AmparoError, StoreError, UnknownReference, WorkspaceError
from amparo.export.findings import export_findings
from amparo.export.vics import export_vics
from amparo.geo.referrals import (
    DEFAULT_HANDLING_CODE,
    HANDLING_CODES,
    Handling,
    export_referrals,
)
from amparo.geo.requests import export_legal_requests
from amparo.geo.stats import export_stats
from amparo.geo.subscribers import ImportResult, import_subscriber_returns
from amparo.intake.chat import owner_key
from amparo.intake.dispatch import IngestOptions, ingest_inputs
from amparo.intake.ingest import IngestSummary
from amparo.network.graphml import export_graphml
from amparo.people.clusters import LINK, UNLINK, Decision
from amparo.people.report import find_person
from amparo.settings import all_settings, set_setting
from amparo.stages.hashsets import DEFAULT_PDQ_THRESHOLD, import_hash_set
from amparo.stages.pipeline import STAGE_NAMES, run_pipeline
from amparo.stages.resolution import decide
from amparo.terminal import printable, untrusted
from amparo.workspace import Workspace, open_workspace

EXIT_INPUT = 1
EXIT_WORKSPACE = 3
FINDINGS_FILE = "findings.json"
STAGE_UNITS = {"cluster": "series", "resolve": "persons", "locate": "persons located",
               "score": "cases"}  # fmt: skip

# soft_wrap: a message is one line whatever the terminal's width (logs, grep, tests).
console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn Amparo's errors into a one-line message and a meaningful exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (WorkspaceError, StoreError) as error:
            console.print(f"[red]amparo: workspace problem:[/] {untrusted(error)}", highlight=False)
            sys.exit(EXIT_WORKSPACE)
        except AmparoError as error:
            console.print(f"[red]amparo:[/] {untrusted(error)}", highlight=False)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AMPARO_HOME",
    default=None,
    help="Workspace folder (default: $AMPARO_HOME or ./amparo-workspace). "
    "The database is SQLite inside it unless AMPARO_DATABASE_URL names another.",
)
@click.version_option(__version__, prog_name="amparo")
@click.pass_context
def main(context: click.Context, workspace: Path | None) -> None:
    """Amparo turns CyberTipline reports and seized-device data into explainable cases."""
    context.obj = workspace


def _workspace(context: click.Context) -> Workspace:
    workspace = open_workspace(context.find_root().obj)
    context.call_on_close(workspace.close)
    return workspace


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--device",
    metavar="LABEL",
    help="Ingest PATH as the file tree (folder or zip) of the seized device LABEL.",
)
@click.option(
    "--zone",
    metavar="TZ",
    callback=lambda _c, _p, value: _time_zone(value),
    help="Time zone the phone was set to, for chat exports (e.g. Europe/Madrid). "
    "Without it their times are kept as written, not converted to UTC.",
)
@click.option(
    "--owner",
    metavar="PHONE",
    callback=lambda _c, _p, value: _owner_number(value),
    help="International phone number of the seized phone's owner (e.g. +34600111222).",
)
@click.option(
    "--owner-name",
    metavar="NAME",
    help="The author name a chat export gives the owner's own lines (e.g. Ana, Tú, You): "
    "those lines are attributed to --owner. Nothing is guessed without it.",
)
@click.pass_context
@reports_errors
def ingest(
    context: click.Context,
    paths: tuple[Path, ...],
    device: str | None,
    zone: ZoneInfo | None,
    owner: str | None,
    owner_name: str | None,
) -> None:
    """Ingest CyberTipline report packages and chat exports (kinds are detected).

    Report packages are folders or .zip files (or folders of them); WhatsApp exports are a
    chat's .txt, or a .zip of it with its media; Telegram Desktop exports are a folder holding
    result.json, a .zip of that folder, or result.json alone. With --device, ingest a seized
    drive or phone dump instead: every file is hashed, kept and sighted on that device with
    its path. Every input
    is ingested, recognised as already ingested, or quarantined with a reason naming the file
    and the place in it. Exits 1 only when nothing could be ingested.
    """
    if owner_name is not None and owner is None:
        raise click.UsageError("--owner-name needs --owner, the owner's phone number")
    workspace = _workspace(context)
    options = IngestOptions(device=device, zone=zone, owner=owner, owner_name=owner_name)
    summary = _ingest_with_progress(workspace, list(paths), options)
    _print_summary(summary)
    if summary.nothing_ingested:
        sys.exit(EXIT_INPUT)


def _time_zone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(f"unknown time zone {name!r} (e.g. Europe/Madrid)") from error


def _owner_number(number: str | None) -> str | None:
    if number is not None:
        try:
            owner_key(number)
        except ValueError as error:
            raise click.BadParameter(printable(error)) from error
    return number


def _ingest_with_progress(
    workspace: Workspace, paths: list[Path], options: IngestOptions | None = None
) -> IngestSummary:
    """``ingest_inputs`` with a progress bar per kind of input."""
    columns = (
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        return ingest_inputs(workspace, paths, options, progress=_StageBars(progress))


def _print_summary(summary: IngestSummary) -> None:
    console.print(
        f"Ingested {len(summary.ingested)} input(s); "
        f"{len(summary.duplicates)} were already in the workspace; "
        f"{len(summary.quarantined)} item(s) quarantined.",
        highlight=False,
    )
    for item in summary.quarantined:
        console.print(f"  [yellow]quarantined[/] {untrusted(item.reason)}", highlight=False)
    for note in summary.notes:
        console.print(f"  [cyan]note[/] {untrusted(note)}", highlight=False)


class _StageBars:
    """Rich progress bars for the pipeline stages, or for each kind of input ingested."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def start(self, stage: str, total: int) -> None:
        self._tasks[stage] = self._progress.add_task(stage, total=total)

    def advance(self, stage: str, amount: int = 1) -> None:
        self._progress.advance(self._tasks[stage], amount)


def _process_with_progress(
    workspace: Workspace, stages: tuple[str, ...], workers: int | None
) -> None:
    columns = (TextColumn("[bold]{task.description:>7}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        reports = run_pipeline(workspace, stages, workers=workers, progress=_StageBars(progress))
    for report in reports:
        what = STAGE_UNITS.get(report.stage, "files")
        done = "nothing changed" if report.processed is None else f"{report.processed} {what}"
        console.print(f"  {report.stage}: {done}", highlight=False)


@main.command()
@click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice(STAGE_NAMES),
    help="Run only this stage (repeatable). Default: all, in order.",
)
@click.option("--workers", type=int, default=None, help="Decoding processes (default: CPUs).")
@click.pass_context
@reports_errors
def process(context: click.Context, stages: tuple[str, ...], workers: int | None) -> None:
    """Run the pipeline: hash, match, cluster, resolve, locate, score.

    hash: PDQ, vPDQ, EXIF; match: against the hash sets; cluster: new material into series;
    resolve: accounts into persons; locate: IP lookups, providers' answers, places and ages;
    score: priorities and cases. Each stage does only the work whose inputs changed (or is
    skipped), so re-running is cheap and safe.
    """
    _process_with_progress(_workspace(context), stages or STAGE_NAMES, workers)


@main.group()
def settings() -> None:
    """Workspace settings (for example the home country, whose persons are not referred)."""


@settings.command("show")
@click.pass_context
@reports_errors
def settings_show(context: click.Context) -> None:
    """Print every setting and its value."""
    with _workspace(context).session() as session:
        for key, value in all_settings(session).items():
            click.echo(f"{key} = {printable(value)}")


@settings.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
@reports_errors
def settings_set(context: click.Context, key: str, value: str) -> None:
    """Set KEY to VALUE (checked: a country must be an ISO 3166-1 code)."""
    with _workspace(context).session() as session:
        stored = set_setting(session, key, value)
    click.echo(f"{key} = {printable(stored)}")


@main.group()
def people() -> None:
    """Persons: who holds which accounts, and why Amparo thinks so."""


@people.command("show")
@click.argument("key")
@click.pass_context
@reports_errors
def people_show(context: click.Context, key: str) -> None:
    """Show a person (by person id or by one of its accounts) with its links' evidence."""
    with _workspace(context).session() as session:
        person = find_person(session, key)
    if person is None:
        raise UnknownReference(f"no person or resolved account {key!r} (run `amparo process`?)")
    _print_person(person)


def _print_person(person: dict[str, Any]) -> None:
    accounts = ", ".join(person["accounts"])
    console.print(printable(f"{person['id']}: {accounts}"), highlight=False, markup=False)
    for link in person["links"]:
        line = f"  {link['a']} — {link['b']}  ({link['rule']}, weight {link['weight']:.1f})"
        console.print(printable(line), highlight=False, markup=False)
        for evidence in link["evidence"]:
            console.print(f"      {printable(evidence)}", highlight=False, markup=False)
    for phone in person.get("phones", []):
        console.print(printable(f"  phone {_phone_line(phone)}"), highlight=False, markup=False)
    for merge in person.get("merged_accounts", []):
        line = f"  merged {merge['from']} into {merge['into']} at {merge['at']}: {merge['reason']}"
        console.print(printable(line), highlight=False, markup=False)


def _phone_line(phone: dict[str, Any]) -> str:
    """``671 92 47 77 → +34671924777 (region ES from home country) on whatsapp:+34…``."""
    basis = phone["region_basis"]
    if basis is None:
        how = "not read: no country known, never links"
    elif basis == "international":
        how = "own country code"
    else:
        how = f"region {phone['region']} from {basis.replace('_', ' ')}"
    return f"{phone['raw']} → {phone['normalized']} ({how}) on {phone['account']}"


def _decision_command(kind: str) -> Callable[..., None]:
    @click.argument("account_a")
    @click.argument("account_b")
    @click.option("--reason", default=None, help="Why (kept with the decision).")
    @click.option("--analyst", default=None, help="Who decides (default: the login name).")
    @click.pass_context
    @reports_errors
    def command(context: click.Context, account_a: str, account_b: str, reason: str | None,
                analyst: str | None) -> None:  # fmt: skip
        decision = Decision(account_a, account_b, kind, analyst or getpass.getuser(), reason)
        for person in decide(_workspace(context), decision):
            _print_person(person)

    return command


people.command("link", help="Say that two accounts are one person; re-runs respect it.")(
    _decision_command(LINK)
)
people.command("unlink", help="Say that two accounts are different people; re-runs respect it.")(
    _decision_command(UNLINK)
)


@main.group()
def hashsets() -> None:
    """Hash sets of known material (Project VIC VICS, NCMEC hash sharing, CSV)."""


@hashsets.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the hash set (re-importing updates it).")
@click.option(
    "--allow", is_flag=True, help="An allow list: its entries suppress matches (known benign)."
)
@click.option(
    "--pdq-threshold",
    type=click.IntRange(0, 256),
    default=DEFAULT_PDQ_THRESHOLD,
    show_default=True,
    help="PDQ distance within which a file is a variant of an entry of this set.",
)
@click.pass_context
@reports_errors
def hashsets_import(
    context: click.Context, file: Path, name: str, allow: bool, pdq_threshold: int
) -> None:
    """Import FILE as the hash set NAME, then re-match the files already in the workspace."""
    workspace = _workspace(context)
    purpose = "allow" if allow else "block"
    result = import_hash_set(workspace, file, name=name, purpose=purpose,
                             pdq_threshold=pdq_threshold)  # fmt: skip
    if result.unchanged:
        console.print(
            f"Hash set {untrusted(repr(name))} is unchanged ({result.entries} entries).",
            highlight=False,
        )
        return
    console.print(
        f"Hash set {untrusted(repr(name))} ({result.format}): {result.entries} entries; "
        f"{result.added} written ({result.changed} of them changed), {result.removed} withdrawn."
        " Re-matching stored files ...",
        highlight=False,
    )
    if result.rejected:
        console.print(
            f"  [yellow]{result.rejected} bad entries set aside[/], each recorded with its place:",
            highlight=False,
        )
        for reason in result.rejected_examples:
            console.print(f"  [yellow]set aside[/] {untrusted(reason)}", highlight=False)
        if result.rejected > len(result.rejected_examples):
            shown = len(result.rejected_examples)
            console.print(f"  ... and {result.rejected - shown} more.", highlight=False)
    if result.without_hashes:
        console.print(
            f"  [yellow]{result.without_hashes} entries carry no hash[/] and cannot match "
            "anything; they are kept with their metadata.",
            highlight=False,
        )
    _process_with_progress(workspace, ("match", "cluster"), None)


@main.group()
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
    workspace = _workspace(context)
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
    workspace = _workspace(context)
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
    if handling_code == "H3" and not (handling_note or "").strip():
        raise click.UsageError("--handling-code H3 needs --handling-note stating the restrictions")
    workspace = _workspace(context)
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
    workspace = _workspace(context)
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
    workspace = _workspace(context)
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
    workspace = _workspace(context)
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


@main.group()
def subscribers() -> None:
    """Internet providers' answers: who held an address, port and time (subscriber returns)."""


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@reports_errors
def subscribers_import(context: click.Context, file: Path) -> None:
    """Import a provider's subscriber return (CSV) and match it to the IP events.

    Columns (names in English or Spanish, any case): ip, port, start_utc, end_utc, isp,
    subscriber_name, address, postal_code, municipality, subdivision, country, date_of_birth.
    Times need a zone (Z or an offset) unless the column name says UTC. Exits 1 when no row
    could be used.
    """
    result = import_subscriber_returns(_workspace(context), file)
    _print_subscriber_import(result)
    if result.nothing_usable:
        sys.exit(EXIT_INPUT)


def _print_subscriber_import(result: ImportResult) -> None:
    again = " (already imported; nothing added)" if result.duplicate else ""
    console.print(
        f"{printable(result.path)}{again}: {result.used} rows used, {len(result.refused)} refused; "
        f"{result.events_answered} IP events answered, {result.ambiguous} of them ambiguously "
        "(a port in the return but not in the event, no port from a provider that shares "
        "addresses, or several subscribers).",
        highlight=False, markup=False,
    )  # fmt: skip
    for problem in result.refused:
        console.print(f"  refused row {problem.row}: {printable(problem.reason)}",
                      highlight=False, markup=False)  # fmt: skip
    for note in result.notes:
        console.print(f"  note, row {note.row}: {printable(note.reason)}", highlight=False,
                      markup=False)  # fmt: skip


@main.group()
def users() -> None:
    """Who may sign in to the web workspace (amparo serve)."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["analyst", "supervisor", "auditor"]),
    help="analyst: cases and reveals; supervisor: also the audit view and exposure releases; "
    "auditor: the audit view and the pages, read-only, no reveals.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.pass_context
@reports_errors
def users_add(context: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Add a user who signs in with USERNAME; the password (12 characters or more) is asked
    for twice without echo, or read from stdin, and kept as an argon2 hash."""
    from amparo.web.auth import create_user

    password = _new_password(password_stdin)
    workspace = _workspace(context)
    with workspace.session() as session:
        create_user(session, username, password, role)
    console.print(f"User {printable(repr(username))} added as {role}.", highlight=False,
                  markup=False)  # fmt: skip


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise click.UsageError("the two passwords differ")
    return first


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain HTTP on a non-loopback address too (only behind "
    "a TLS-terminating proxy on the same machine). Loopback addresses without TLS never "
    "need it: traffic there does not leave the machine.",
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    callback=lambda _c, _p, value: _proxies(value),
    help="A reverse proxy (address or network, repeatable) whose Forwarded / X-Forwarded-For "
    "headers name the client. Default: none; those headers are ignored from anyone else.",
)
@click.pass_context
@reports_errors
def serve(
    context: click.Context,
    host: str,
    port: int,
    insecure_cookies: bool,
    tls_cert: str | None,
    tls_key: str | None,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the web workspace (sign in with a user made by `amparo users add`).

    The session cookie is marked Secure (sent over HTTPS only) with --tls-cert/--tls-key and
    on any non-loopback address; on 127.0.0.1 or localhost over plain HTTP it is not, so that
    every browser keeps it there.
    """
    import uvicorn

    from amparo.web.app import create_app

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    workspace = _workspace(context)
    loopback = host == "localhost" or _is_loopback(host)
    secure = tls_cert is not None or not (loopback or insecure_cookies)
    app = create_app(workspace, secure_cookies=secure, trusted_proxies=trusted_proxies)
    scheme = "https" if tls_cert else "http"
    console.print(f"Amparo on {scheme}://{untrusted(host)}:{port} (Ctrl-C stops)", highlight=False)
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (and
    # FORWARDED_ALLOW_IPS); the app decides whom to believe (--trusted-proxy).
    uvicorn.run(app, host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                log_level="info", server_header=False, proxy_headers=False)  # fmt: skip


def _proxies(values: tuple[str, ...]) -> tuple[str, ...]:
    from amparo.web.security import TrustedProxies

    try:
        TrustedProxies(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    return values


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _register_modules() -> None:
    """Commands that live in their own modules, which build on the helpers above."""
    from amparo.cli_audit import audit, keys
    from amparo.cli_demo import demo

    for command in (demo, keys, audit):
        main.add_command(command)


_register_modules()
