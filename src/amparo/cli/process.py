"""``amparo process``: run the pipeline's stages."""

from __future__ import annotations

import click

from amparo.cli.common import process_with_progress, reports_errors, workspace_of
from amparo.stages.names import STAGE_NAMES


@click.command()
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
    process_with_progress(workspace_of(context), stages or STAGE_NAMES, workers)
