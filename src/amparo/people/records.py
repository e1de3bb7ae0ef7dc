"""What entity resolution knows of each account, and the comparable tokens made from it.

An account's record gathers everything the store holds about it across reports and chat
exports. Tokens are the values two accounts can share: normalised e-mails, phones and device
ids (strong evidence), and IP addresses in time windows, screen names, profile links and
media (weak evidence). A token held by very many accounts says nothing about any two of them
(a carrier-grade NAT address, a viral picture, a placeholder e-mail), so it is set aside, and
the resolution reports which tokens were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amparo.model import without_accents

if TYPE_CHECKING:
    import duckdb

DAY = 86_400
MONTH = 30 * DAY
MAX_ACCOUNTS_PER_TOKEN = 20
# One person rarely holds more accounts than this; an e-mail, phone or device id on more is a
# placeholder ("noemail@…", a shop's phone) or a shared device, and proves nothing.
MAX_ACCOUNTS_PER_STRONG_TOKEN = 10
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
    return " ".join(without_accents(raw).casefold().split()) or None


def _most_common(names: Counter[str]) -> str | None:
    """The name given most often; ties go to the alphabetically first, so runs agree."""
    if len(names) < 2:
        return next(iter(names), None)
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
    """One row per account with a list column per token feature (null when empty).

    Each feature's tokens go to DuckDB as one flat (row, token) table, which counts the accounts
    holding each, sets the too common aside and gathers the rest, sorted, into one list per row:
    the same lists Python sets and sorts would give, in a fraction of the time at a million
    accounts.
    """
    columns: dict[str, Any] = {
        "key": [r.key for r in records],
        "platform": [r.platform for r in records],
        "first_name": [r.first_name for r in records],
        "last_name": [r.last_name for r in records],
    }
    import duckdb  # seconds to import: only resolution needs it

    common: dict[str, int] = {}
    connection = duckdb.connect()
    try:
        for feature, flat in _flat_tokens(records).items():
            limit = (
                MAX_ACCOUNTS_PER_STRONG_TOKEN if feature in STRONG_FEATURES
                else MAX_ACCOUNTS_PER_TOKEN
            )  # fmt: skip
            columns[feature], too_common = _token_lists(connection, flat, len(records), limit)
            common |= {f"{feature}:{token}": count for token, count in too_common}
    finally:
        connection.close()
    return ResolutionInput(pa.table(columns, schema=_SCHEMA), common)


def _flat_tokens(records: Sequence[AccountRecord]) -> dict[str, pa.Table]:
    """Per feature, a (row, token) table: one line per token of each record, as ``tokens``."""
    flat = {
        feature: _flat([getattr(r, feature) for r in records])
        for feature in TOKEN_FEATURES
        if feature not in _IP_FEATURES
    }
    sightings = _flat_sightings(records)
    flat["ip_any"] = sightings.select(["row", "ip"]).rename_columns(["row", "token"])
    for feature, window in (("ip_days", DAY), ("ip_months", MONTH)):
        flat[feature] = _window_tokens(sightings, window)
    return {feature: flat[feature] for feature in TOKEN_FEATURES}


_IP_FEATURES = ("ip_days", "ip_months", "ip_any")


def _flat(per_record: Sequence[set[str]]) -> pa.Table:
    items = list(chain.from_iterable(per_record))
    return pa.table({"row": _rows(per_record), "token": pa.array(items, pa.string())})


def _rows(per_record: Sequence[set[Any]]) -> np.ndarray:
    """The row number of every item of ``per_record``, in ``chain.from_iterable`` order."""
    lengths = np.fromiter(map(len, per_record), dtype=np.int64, count=len(per_record))
    return np.repeat(np.arange(len(per_record), dtype=np.int64), lengths)


def _flat_sightings(records: Sequence[AccountRecord]) -> pa.Table:
    per_record = [r.ip_sightings for r in records]
    sightings = list(chain.from_iterable(per_record))
    seconds = [None if s.at is None else int(s.at.timestamp()) for s in sightings]
    return pa.table({
        "row": _rows(per_record),
        "ip": pa.array([s.ip for s in sightings], pa.string()),
        "seconds": pa.array(seconds, pa.int64()),
    })  # fmt: skip


def _window_tokens(sightings: pa.Table, window: int) -> pa.Table:
    """``ip@bucket`` and ``ip@bucket+`` tokens, as ``_ip_window_tokens`` writes them."""
    timed = sightings.filter(pc.is_valid(sightings.column("seconds")))
    seconds = timed.column("seconds").to_numpy()
    ips, rows = timed.column("ip").combine_chunks(), timed.column("row").combine_chunks()
    on_grid = pc.cast(pa.array(np.floor_divide(seconds, window)), pa.string())
    shifted = pc.cast(pa.array(np.floor_divide(seconds + window // 2, window)), pa.string())
    shifted = pc.binary_join_element_wise(shifted, "+", "")
    return pa.concat_tables(
        pa.table({"row": rows, "token": pc.binary_join_element_wise(ips, bucket, "@")})
        for bucket in (on_grid, shifted)
    )


def _token_lists(
    connection: duckdb.DuckDBPyConnection, flat: pa.Table, rows: int, limit: int
) -> tuple[pa.ListArray[Any], list[tuple[str, int]]]:
    """Each row's tokens held by at most ``limit`` rows, sorted, or null; and the tokens held
    by more, with how many rows hold them."""
    connection.register("flat", flat)
    connection.execute(
        "create or replace temp table tokens as select distinct row, token from flat; "
        "create or replace temp table too_common as select token, count(*) as holders "
        f"from tokens group by token having count(*) > {int(limit)}"
    )
    connection.unregister("flat")
    too_common = connection.execute("select * from too_common order by token").fetchall()
    kept = connection.sql(
        "select row, token from tokens anti join too_common using (token) order by row, token"
    ).to_arrow_table()
    return _lists(kept, rows), too_common


def _lists(kept: pa.Table, rows: int) -> pa.ListArray[Any]:
    """One list per row of the ``token``s of ``kept`` (sorted by row), null where it has none."""
    counts = np.bincount(kept.column("row").to_numpy(), minlength=rows)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    tokens = kept.column("token").combine_chunks().cast(pa.string())
    return pa.ListArray.from_arrays(
        pa.array(offsets, type=pa.int32()), tokens, mask=pa.array(counts == 0)
    )


_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("platform", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        *((feature, pa.list_(pa.string())) for feature in TOKEN_FEATURES),
    ]
)
