"""The network stage: communities, centrality, first sharers and cross-border links, stored.

Runs the analysis of :mod:`amparo.network.analysis` on the store once per change, so that the
score stage, the findings export and the web pages read its results instead of analysing the
network again (``amparo.network.results``). Skipped when nothing it reads has changed.
"""

from __future__ import annotations

from amparo.network.analysis import analyse
from amparo.network.results import STAGE, network_fingerprint, store_summary
from amparo.network.store import load_network
from amparo.store.fingerprint import last_fingerprint, record_run
from amparo.workspace import Workspace


def run_network_stage(workspace: Workspace, *, force: bool = False) -> int | None:
    """Analyse the network and store the results; return how many persons it has, or None
    when nothing changed since the last run."""
    with workspace.session() as session:
        current = network_fingerprint(session)
        if not force and last_fingerprint(session, STAGE) == current:
            return None
        summary = analyse(load_network(session))
        store_summary(session, summary)
        record_run(session, STAGE, current)
        return summary.persons
