"""An evidence file analysed where it is stored: read through the store, its SHA-256 name
checked, then decoded.

A module of its own, light to import, because the hash stage's worker processes load it. Each
worker gets the evidence store's root and keyset once, as it starts (:func:`open_evidence`);
files are then named by their path in the store and opened through it, decrypted in memory
(pictures) or into a private temporary file removed after use (videos, which FFmpeg reads).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from amparo.errors import EvidenceCorrupted, EvidenceError
from amparo.media.analyse import analyse_bytes, sniff_bytes
from amparo.media.video import analyse_video_file
from amparo.model import MediaAnalysis
from amparo.store.evidence import EvidenceStore

SNIFF_BYTES = 8192
CORRUPTED = "evidence file corrupted: its SHA-256 changed"

_store: EvidenceStore | None = None


def open_evidence(root: str, keyset_json: str | None) -> None:
    """Run once in each worker: the store (and keyset) its files are read through."""
    global _store
    _store = EvidenceStore.for_worker(Path(root), keyset_json)


def analyse_evidence(path: Path) -> MediaAnalysis:
    """Check an evidence file still matches its SHA-256 name, then analyse it; one read.

    A picture is read once into memory, checked and decoded from those bytes; a video or other
    file is checked streaming (it may be large) and a video is then hashed from a file.
    """
    store = _store if _store is not None and _store.root == path.parents[2] else None
    store = store or EvidenceStore.for_worker(path.parents[2], None)
    try:
        return _analyse_stored(store, path.name)
    except EvidenceCorrupted:
        return MediaAnalysis(kind="other", error=CORRUPTED)
    except EvidenceError as error:
        return MediaAnalysis(kind="other", error=f"file cannot be read ({error})")


def sniff_evidence(store: EvidenceStore, path: Path) -> tuple[str, str | None]:
    """The kind and MIME type of a stored file, from its plaintext's first bytes."""
    return sniff_bytes(store.head(path.name, SNIFF_BYTES))


def _analyse_stored(store: EvidenceStore, sha256: str) -> MediaAnalysis:
    with store.open(sha256) as stream:
        head = stream.read(SNIFF_BYTES)
        kind, mime_type = sniff_bytes(head)
        data = head + stream.read() if kind == "image" else None
    if data is not None:
        if hashlib.sha256(data).hexdigest() != sha256:
            return MediaAnalysis(kind=kind, mime_type=mime_type, error=CORRUPTED)
        return analyse_bytes(data, name=sha256)
    try:
        if kind == "video":
            with store.plaintext_file(sha256) as plain:  # checked against the name
                return analyse_video_file(plain, mime_type)
        store.check(sha256)
    except EvidenceCorrupted:
        return MediaAnalysis(kind=kind, mime_type=mime_type, error=CORRUPTED)
    return MediaAnalysis(kind=kind, mime_type=mime_type)
