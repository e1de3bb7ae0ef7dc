"""Amparo: prioritised, explainable cases from child-exploitation referrals.

The public API is what ``__all__`` names, the verbs a program uses::

    import amparo

    workspace = amparo.open_workspace(Path("operation"))
    amparo.ingest_inputs(workspace, [Path("reports")])
    amparo.import_hash_set(workspace, Path("partners.json"), name="partners")
    amparo.run_pipeline(workspace)
    amparo.export_findings(workspace, Path("findings.json"))

open a workspace; ingest inputs (report packages, chat exports, device trees); import a hash
set and providers' answers; run the pipeline; decide on people links; export findings and the
rest; create the web app; and the errors they raise. Each is imported on first use, so
``import amparo`` stays light. Everything else (the subpackages ``formats``, ``intake``,
``stages``, ``match``, ``people``, ``geo``, ``network``, ``triage``, ``export``, ``store``,
``web``, ``cli``, ``demo`` and the modules beside them) is internal: it may change between
versions without notice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES = {
    "Workspace": "amparo.workspace",
    "open_workspace": "amparo.workspace",
    "IngestOptions": "amparo.intake.dispatch",
    "ingest_inputs": "amparo.intake.dispatch",
    "IngestSummary": "amparo.intake.ingest",
    "import_hash_set": "amparo.intake.hashsets",
    "import_subscriber_returns": "amparo.intake.subscribers",
    "STAGE_NAMES": "amparo.stages.registry",
    "run_pipeline": "amparo.stages.pipeline",
    "LINK": "amparo.people.clusters",
    "UNLINK": "amparo.people.clusters",
    "Decision": "amparo.people.clusters",
    "decide": "amparo.stages.resolution",
    "export_findings": "amparo.export.findings",
    "export_vics": "amparo.export.vics",
    "Handling": "amparo.export.handling",
    "export_referrals": "amparo.export.referrals",
    "export_legal_requests": "amparo.export.requests",
    "export_stats": "amparo.export.stats",
    "export_graphml": "amparo.export.graphml",
    "create_app": "amparo.web.app",
    "AmparoError": "amparo.errors",
    "WorkspaceError": "amparo.errors",
    "StoreError": "amparo.errors",
    "EvidenceError": "amparo.errors",
    "EvidenceCorrupted": "amparo.errors",
    "InputRejected": "amparo.errors",
    "UnsafeInput": "amparo.errors",
    "InvalidInput": "amparo.errors",
    "ValueOutOfRange": "amparo.errors",
    "UnknownReference": "amparo.errors",
    "ExportError": "amparo.errors",
}

__all__ = [
    "LINK",
    "STAGE_NAMES",
    "UNLINK",
    "AmparoError",
    "Decision",
    "EvidenceCorrupted",
    "EvidenceError",
    "ExportError",
    "Handling",
    "IngestOptions",
    "IngestSummary",
    "InputRejected",
    "InvalidInput",
    "StoreError",
    "UnknownReference",
    "UnsafeInput",
    "ValueOutOfRange",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "create_app",
    "decide",
    "export_findings",
    "export_graphml",
    "export_legal_requests",
    "export_referrals",
    "export_stats",
    "export_vics",
    "import_hash_set",
    "import_subscriber_returns",
    "ingest_inputs",
    "open_workspace",
    "run_pipeline",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'amparo' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # the next look-up does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


if TYPE_CHECKING:
    from amparo.errors import (
        AmparoError,
        EvidenceCorrupted,
        EvidenceError,
        ExportError,
        InputRejected,
        InvalidInput,
        StoreError,
        UnknownReference,
        UnsafeInput,
        ValueOutOfRange,
        WorkspaceError,
    )
    from amparo.export.findings import export_findings
    from amparo.export.graphml import export_graphml
    from amparo.export.handling import Handling
    from amparo.export.referrals import export_referrals
    from amparo.export.requests import export_legal_requests
    from amparo.export.stats import export_stats
    from amparo.export.vics import export_vics
    from amparo.intake.dispatch import IngestOptions, ingest_inputs
    from amparo.intake.hashsets import import_hash_set
    from amparo.intake.ingest import IngestSummary
    from amparo.intake.subscribers import import_subscriber_returns
    from amparo.people.clusters import LINK, UNLINK, Decision
    from amparo.stages.pipeline import run_pipeline
    from amparo.stages.registry import STAGE_NAMES
    from amparo.stages.resolution import decide
    from amparo.web.app import create_app
    from amparo.workspace import Workspace, open_workspace
