"""Each user's stronger wellness defaults, per category of material.

``User.preferences`` holds ``{"categories": {KEY: {"thumbnail": LEVEL, "grey_reveal": bool}}}``
where KEY is ``all``, ``status:new``, ``industry:A1``... or ``hashset:SCHEME:CODE``, and LEVEL
is ``standard`` (the default blur), ``strong`` or ``hidden``. A setting can only make viewing
safer: an item gets the strongest level of its categories, and greyscale when any asks for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.model import MediaStatus
from amparo.store import tables
from amparo.web.thumbnails import HIDDEN, LEVELS, STANDARD, STRONG

ALL = "all"
NEW = "status:new"
INDUSTRY = {
    "A1": "prepubescent, sex act",
    "A2": "prepubescent, lascivious exhibition",
    "B1": "pubescent, sex act",
    "B2": "pubescent, lascivious exhibition",
}
BASE_CATEGORIES = (ALL, NEW, *(f"industry:{code}" for code in INDUSTRY))
_RANK = {STANDARD: 0, STRONG: 1, HIDDEN: 2}


@dataclass(frozen=True)
class Treatment:
    """How one user sees one item: the thumbnail's level, and whether reveals are grey."""

    thumbnail: str = STANDARD
    grey_reveal: bool = False


def category_label(key: str) -> str:
    if key == ALL:
        return "Every item"
    if key == NEW:
        return "New material (matches no hash set)"
    kind, _, rest = key.partition(":")
    if kind == "industry":
        return f"Industry classification {rest} ({INDUSTRY.get(rest, 'unknown code')})"
    scheme, _, code = rest.partition(":")
    return f"Hash-set category {scheme} {code}"


def treatment(preferences: Mapping[str, Any], categories: Iterable[str]) -> Treatment:
    """The strongest treatment the user asked for among ``all`` and the item's categories."""
    chosen = preferences.get("categories") or {}
    settings = [chosen.get(key) or {} for key in (ALL, *categories)]
    levels = [s.get("thumbnail", STANDARD) for s in settings if s.get("thumbnail") in _RANK]
    return Treatment(
        thumbnail=max(levels, key=_RANK.__getitem__, default=STANDARD),
        grey_reveal=any(bool(s.get("grey_reveal")) for s in settings),
    )


def preferences_from_form(form: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The preferences a submitted form asks for; ``standard`` without grey is left out."""
    categories = {}
    for key in keys:
        level = form.get(f"thumbnail:{key}", STANDARD)
        level = level if level in LEVELS else STANDARD
        grey = form.get(f"grey:{key}") == "on"
        if level != STANDARD or grey:
            categories[key] = {"thumbnail": level, "grey_reveal": grey}
    return {"categories": categories}


def known_categories(session: Session) -> list[str]:
    """The base categories, and each hash-set category the store holds."""
    entry = tables.KnownEntry
    rows = session.execute(
        select(entry.category_scheme, entry.category_code)
        .where(entry.category_scheme.is_not(None), entry.category_code.is_not(None))
        .distinct()
    )
    found = sorted(f"hashset:{scheme}:{code}" for scheme, code in rows)
    return [*BASE_CATEGORIES, *found]


def media_categories(session: Session, media_ids: Iterable[int]) -> dict[int, set[str]]:
    """Each item's categories: new, the platforms' industry classifications, hash-set ones."""
    ids = list(set(media_ids))
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return found
    media, sighting = tables.Media, tables.Sighting
    for media_id, status in session.execute(
        select(media.id, media.status).where(media.id.in_(ids))
    ):
        if status == MediaStatus.NEW:
            found[media_id].add(NEW)
    classified = session.execute(
        select(sighting.media_id, sighting.industry_classification)
        .where(sighting.media_id.in_(ids), sighting.industry_classification.is_not(None))
        .distinct()
    )
    for media_id, code in classified:
        found[media_id].add(f"industry:{code}")
    match, entry = tables.Match, tables.KnownEntry
    in_hash_sets = session.execute(
        select(match.media_id, entry.category_scheme, entry.category_code)
        .join(entry, entry.id == match.known_entry_id)
        .where(match.media_id.in_(ids), entry.category_scheme.is_not(None))
        .distinct()
    )
    for media_id, scheme, code in in_hash_sets:
        found[media_id].add(f"hashset:{scheme}:{code}")
    return found
