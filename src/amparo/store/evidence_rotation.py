"""Moving the evidence store under the keyset's primary key: key rotation and the migration of
files kept in clear, both resumable.

A file is moved by :meth:`EvidenceStore.reseal` (the new file replaces the old only once whole),
so a stop at any moment leaves every file readable: clear, under the old key (still in the
keyset) or under the new one. A rotation adds the new primary key first and drops the old keys
only once every file is checked to be under the new one; run again after a stop, it finds the
keyset holding several keys and finishes that rotation instead of starting another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from amparo.errors import EvidenceError, EvidenceKeyError
from amparo.store.evidence import EvidenceStore
from amparo.store.evidence_cipher import EvidenceCipher
from amparo.store.evidence_keys import EvidenceKeys, primary_only, with_new_primary

Progress = Callable[[], None]


@dataclass
class ResealReport:
    """What a rotation or migration did: files moved, files already in place, files that
    could not be moved (their SHA-256 and why), and whether the old keys were dropped."""

    moved: int = 0
    in_place: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    old_keys_dropped: bool = False
    resumed: bool = False


def rotate_evidence_key(
    store: EvidenceStore,
    *,
    on_total: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
) -> ResealReport:
    """A new primary key (unless an unfinished rotation is resumed), every file moved under
    it (clear files too, when the store encrypts), then the old keys dropped."""
    keys = _keys_of(store)
    keyset = keys.load()
    if keyset is None:
        raise EvidenceKeyError("this workspace has no evidence keyset yet: nothing to rotate")
    resumed = len(EvidenceCipher(keyset).key_ids) > 1
    if not resumed:
        keys.save(with_new_primary(keyset))
    store.forget_keys()
    report = _move_all(store, seal_clear=store.encrypt, on_total=on_total, on_done=on_done)
    report.resumed = resumed
    report.old_keys_dropped = not report.failed and _drop_old_keys(store)
    return report


def encrypt_clear_evidence(
    store: EvidenceStore,
    *,
    on_total: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
) -> ResealReport:
    """Seal every file kept in clear under the primary key (made first if there is none)."""
    _keys_of(store).load_or_create()
    store.forget_keys()
    return _move_all(store, seal_clear=True, on_total=on_total, on_done=on_done)


def _move_all(
    store: EvidenceStore,
    *,
    seal_clear: bool,
    on_total: Callable[[int], None] | None,
    on_done: Progress | None,
) -> ResealReport:
    if on_total is not None:
        on_total(sum(1 for _ in store.names()))  # counted, not listed: a store may hold millions
    report = ResealReport()
    for sha256 in store.names():
        try:
            if not seal_clear and store.sealed_key_id(sha256) is None:
                report.in_place += 1
            elif store.reseal(sha256):
                report.moved += 1
            else:
                report.in_place += 1
        except EvidenceError as error:
            report.failed.append((sha256, str(error)))
        if on_done is not None:
            on_done()
    return report


def _drop_old_keys(store: EvidenceStore) -> bool:
    """Drop every key but the primary, once no file is sealed under another (checked again:
    a file kept by another command during the move may have used the old key)."""
    keys = _keys_of(store)
    keyset = keys.load()
    assert keyset is not None
    primary = EvidenceCipher(keyset).primary_id
    for sha256 in store.names():
        if store.sealed_key_id(sha256) not in (None, primary):
            return False
    keys.save(primary_only(keyset))
    store.forget_keys()
    return True


def _keys_of(store: EvidenceStore) -> EvidenceKeys:
    if store.keys is None:
        raise EvidenceKeyError("this evidence store was given no keyset")
    return store.keys
