"""What entity resolution knows of each account, and the comparable tokens made from it.

An account's record gathers everything the store holds about it across reports and chat
exports. Tokens are the values two accounts can share: normalised e-mails, phones and device
ids (strong evidence), and IP addresses in time windows, screen names, profile links and
media (weak evidence). A token held by very many accounts says nothing about any two of them
(a carrier-grade NAT address, a viral picture, a placeholder e-mail), so it is set aside, and
the resolution reports which tokens were.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

DAY = 86_400
MONTH = 30 * DAY
MAX_ACCOUNTS_PER_TOKEN = 20
STRONG_FEATURES = ("emails", "phones", "device_ids")
WEAK_TOKEN_FEATURES = ("ip_days", "ip_months", "ip_any", "screen_names", "profile_urls", "media")
TOKEN_FEATURES = STRONG_FEATURES + WEAK_TOKEN_FEATURES


@dataclass(frozen=True)
class IpSighting:
    ip: str
    at: datetime | None  # aware UTC; None when the report gave no usable time


@dataclass
class AccountRecord:
    """One account as resolution sees it; sets hold normalised values."""

    key: str
    platform: str
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    device_ids: set[str] = field(default_factory=set)
    screen_names: set[str] = field(default_factory=set)
    profile_urls: set[str] = field(default_factory=set)
    first_names: Counter[str] = field(default_factory=Counter)
    last_names: Counter[str] = field(default_factory=Counter)
    ip_sightings: set[IpSighting] = field(default_factory=set)
    media: set[str] = field(default_factory=set)

    def tokens(self, feature: str) -> set[str]:
        if feature == "ip_days":
            return _ip_window_tokens(self.ip_sightings, DAY)
        if feature == "ip_months":
            return _ip_window_tokens(self.ip_sightings, MONTH)
        if feature == "ip_any":
            return {sighting.ip for sighting in self.ip_sightings}
        return getattr(self, feature)

    @property
    def first_name(self) -> str | None:
        return _most_common(self.first_names)

    @property
    def last_name(self) -> str | None:
        return _most_common(self.last_names)


def comparable_name(raw: str | None) -> str | None:
    """A name folded for comparison: no accents, no case, single spaces; None when empty."""
    if not raw:
        return None
    decomposed = unicodedata.normalize("NFKD", raw)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split()) or None


def _most_common(names: Counter[str]) -> str | None:
    """The name given most often; ties go to the alphabetically first, so runs agree."""
    if not names:
        return None
    return min(names.items(), key=lambda item: (-item[1], item[0]))[0]


def _ip_window_tokens(sightings: Iterable[IpSighting], window: int) -> set[str]:
    """``ip@bucket`` tokens such that two sightings less than half a window apart share one.

    Each sighting falls in a bucket of the grid and in one of the grid shifted by half a
    window; two times closer than half a window always share a bucket on one of the grids.
    """
    tokens = set()
    for sighting in sightings:
        if sighting.at is None:
            continue
        seconds = int(sighting.at.timestamp())
        tokens.add(f"{sighting.ip}@{seconds // window}")
        tokens.add(f"{sighting.ip}@{(seconds + window // 2) // window}+")
    return tokens


@dataclass(frozen=True)
class ResolutionInput:
    """The records as one Arrow table, and the tokens set aside as too common."""

    table: pa.Table
    common_tokens: dict[str, int]  # "feature:token" -> how many accounts hold it


def build_input(records: Sequence[AccountRecord]) -> ResolutionInput:
    """One row per account with a list column per token feature (null when empty)."""
    tokens = {feature: [r.tokens(feature) for r in records] for feature in TOKEN_FEATURES}
    common: dict[str, int] = {}
    columns: dict[str, list] = {
        "key": [r.key for r in records],
        "platform": [r.platform for r in records],
        "first_name": [r.first_name for r in records],
        "last_name": [r.last_name for r in records],
    }
    for feature, per_record in tokens.items():
        too_common = _too_common(per_record)
        common |= {f"{feature}:{token}": count for token, count in too_common.items()}
        columns[feature] = [sorted(t - too_common.keys()) or None for t in per_record]
    return ResolutionInput(pa.table(columns, schema=_SCHEMA), common)


def _too_common(per_record: Sequence[set[str]]) -> dict[str, int]:
    counts = Counter(token for tokens in per_record for token in tokens)
    return {token: n for token, n in counts.items() if n > MAX_ACCOUNTS_PER_TOKEN}


_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("platform", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        *((feature, pa.list_(pa.string())) for feature in TOKEN_FEATURES),
    ]
)
