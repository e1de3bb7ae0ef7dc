"""A workspace: one folder holding the database (by default), the evidence store, the keys
(:mod:`amparo.keys`) and the audit trail's anchor file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from amparo.audit import TRAIL_KEY, AuditTrail
from amparo.audit_anchor import ANCHOR_FILE
from amparo.errors import WorkspaceError
from amparo.keys import audit_key_file
from amparo.store import tables
from amparo.store.database import make_engine, migrate, sqlite_url
from amparo.store.evidence import EvidenceStore
from amparo.store.evidence_keys import EvidenceKeys

DEFAULT_HOME = Path("amparo-workspace")
DATABASE_FILE = "amparo.db"
EVIDENCE_DIR = "evidence"
ENCRYPTION_SETTING = "evidence_encryption"


@dataclass
class Workspace:
    root: Path
    engine: Engine
    evidence: EvidenceStore
    audit: AuditTrail

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        info = {TRAIL_KEY: self.audit}
        with sessionmaker(self.engine, expire_on_commit=False, info=info).begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_workspace(root: Path | None = None, *, database_url: str | None = None) -> Workspace:
    """Open (creating if needed) the workspace at ``root`` and migrate its database.

    ``root`` defaults to ``$AMPARO_HOME`` or ``./amparo-workspace``; ``database_url`` to
    ``$AMPARO_DATABASE_URL`` or SQLite inside the workspace.
    """
    root = Path(root or os.environ.get("AMPARO_HOME") or DEFAULT_HOME).absolute()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WorkspaceError(f"cannot create the workspace folder {root}: {error}") from error
    url = database_url or os.environ.get("AMPARO_DATABASE_URL") or sqlite_url(root / DATABASE_FILE)
    engine = make_engine(url)
    migrate(engine)
    audit = AuditTrail.at(audit_key_file(root), root / ANCHOR_FILE)
    evidence = EvidenceStore(
        root / EVIDENCE_DIR, EvidenceKeys.of_workspace(root), encrypt=_encrypts(engine)
    )
    return Workspace(root, engine, evidence, audit)


def _encrypts(engine: Engine) -> bool:
    """Whether new evidence is sealed: yes unless the workspace's setting says "off"."""
    with Session(engine) as session:
        row = session.get(tables.Setting, ENCRYPTION_SETTING)
    return row is None or row.value.get("value") != "off"
