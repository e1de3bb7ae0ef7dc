"""``amparo process``: run the pipeline's stages."""

from __future__ import annotations

import click

from amparo.cli.common import process_with_progress, reports_errors, workspace_of
from amparo.stages.registry import STAGE_NAMES, stages_help

HELP = f"""Run the pipeline's stages, in this order:

\b
{stages_help()}

Each stage does only the work whose inputs changed (or is skipped), so re-running is cheap and
safe.
"""


@click.command(help=HELP, short_help=f"Run the pipeline: {', '.join(STAGE_NAMES)}.")
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
    """Run the stages asked for, or all (``HELP`` is the command's help)."""
    process_with_progress(workspace_of(context), stages or STAGE_NAMES, workers)
