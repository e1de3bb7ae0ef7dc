"""The Fellegi-Sunter model that scores pairs of accounts, run by splink on DuckDB.

Each comparison has an m probability (how often two accounts of one person agree at that level)
set here from what investigators see, and a u probability (how often two accounts of different
people agree by chance) that splink estimates from the data by random sampling where there is
enough of it. A pair's match weight is the sum of the levels' log2 Bayes factors, so every
link can say what each feature contributed.

Blocking: only pairs that share at least one token are scored, so the work grows with the
evidence, not with the square of the number of accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from amparo.people.records import STRONG_FEATURES, TOKEN_FEATURES

if TYPE_CHECKING:
    from splink import SettingsCreator

# splink (with DuckDB, pandas, sqlglot) costs seconds to import: only scoring imports it.

PRIOR_MATCH_PROBABILITY = 1e-4
# Below this many accounts a random sample holds too many true matches, which would pull the
# u of strong identifiers up and their weight down; the configured u are used instead.
MIN_U_SAMPLE_ACCOUNTS = 50_000
U_SAMPLE_PAIRS = 1e6
U_SAMPLE_SEED = 42
NAME_SIMILARITY = 0.9


@dataclass(frozen=True)
class Level:
    label: str
    m: float
    u: float


@dataclass(frozen=True)
class Feature:
    """One comparison: its name in the evidence and its levels, most similar first."""

    name: str
    levels: tuple[Level, ...]  # excluding the null level; the last is the "else" level


def _shared(name: str, what: str, m: float, u: float) -> Feature:
    return Feature(name, (Level(f"same {what}", m, u), Level(f"no {what} in common", 1 - m, 1 - u)))


def _names(name: str, what: str) -> Feature:
    return Feature(name, (
        Level(f"same {what}", 0.85, 0.02),
        Level(f"similar {what}", 0.08, 0.02),
        Level(f"different {what}", 0.07, 0.96),
    ))  # fmt: skip


FEATURES = (
    _shared("emails", "e-mail address", 0.55, 1e-7),
    _shared("phones", "phone number", 0.65, 1e-7),
    _shared("device_ids", "device identifier", 0.5, 1e-7),
    Feature("ip", (
        Level("same IP address within 12 hours", 0.45, 1e-6),
        Level("same IP address within 15 days", 0.25, 1e-5),
        Level("same IP address, further apart", 0.15, 1e-4),
        Level("no IP address in common", 0.15, 1 - 1.11e-4),
    )),
    _names("first_name", "first name"),
    _names("last_name", "last name"),
    _shared("screen_names", "screen name", 0.2, 1e-5),
    _shared("profile_urls", "profile link", 0.05, 1e-7),
    _shared("media", "rarely shared file", 0.15, 1e-5),
)  # fmt: skip
FEATURE_BY_NAME = {feature.name: feature for feature in FEATURES}


def _configured(comparison: Any, feature: Feature) -> Any:
    return comparison.configure(
        m_probabilities=[level.m for level in feature.levels],
        u_probabilities=[level.u for level in feature.levels],
    )


def _comparisons() -> list[Any]:
    import splink.comparison_library as cl

    array_features = [f for f in FEATURES if f.name in TOKEN_FEATURES]
    comparisons = [_configured(cl.ArrayIntersectAtSizes(f.name, [1]), f) for f in array_features]
    comparisons.append(_configured(_ip_comparison(), FEATURE_BY_NAME["ip"]))
    comparisons += [
        _configured(cl.JaroWinklerAtThresholds(name, [NAME_SIMILARITY]), FEATURE_BY_NAME[name])
        for name in ("first_name", "last_name")
    ]
    return comparisons


def _ip_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        [
            cll.NullLevel("ip_any"),
            cll.ArrayIntersectLevel("ip_days", 1),
            cll.ArrayIntersectLevel("ip_months", 1),
            cll.ArrayIntersectLevel("ip_any", 1),
            cll.ElseLevel(),
        ],
        output_column_name="ip",
    )


_NARROWER = ("ip_days", "ip_months")  # pairs sharing these also share ip_any


def settings() -> SettingsCreator:
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="key",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[
            block_on(f, arrays_to_explode=[f]) for f in TOKEN_FEATURES if f not in _NARROWER
        ],
        probability_two_random_records_match=PRIOR_MATCH_PROBABILITY,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # the only way splink keeps each level's gamma
    )


@dataclass(frozen=True)
class ScoredPair:
    """Two accounts the model scored, with each feature's level and log2 Bayes factor."""

    a: str
    b: str
    weight: float
    probability: float
    levels: dict[str, tuple[str, float]]  # feature -> (level label, weight contributed)

    def agrees(self, feature: str) -> bool:
        level = self.levels.get(feature)
        return level is not None and level[1] > 0

    def differs(self, feature: str) -> bool:
        """At the least similar level: both accounts give the feature and it disagrees."""
        level = self.levels.get(feature)
        return level is not None and level[0] == FEATURE_BY_NAME[feature].levels[-1].label

    def same(self, feature: str) -> bool:
        """At the most similar level (the same name, not merely a similar one)."""
        level = self.levels.get(feature)
        return level is not None and level[0] == FEATURE_BY_NAME[feature].levels[0].label

    @property
    def strong(self) -> bool:
        return any(self.agrees(feature) for feature in STRONG_FEATURES)


def score_pairs(table: pa.Table, threshold_probability: float) -> list[ScoredPair]:
    """Every blocked pair whose match probability reaches ``threshold_probability``."""
    import duckdb
    from splink import DuckDBAPI, Linker

    connection = duckdb.connect()
    try:
        database = DuckDBAPI(connection)
        linker = Linker(database.register(table), settings(), log_level=None)
        if table.num_rows >= MIN_U_SAMPLE_ACCOUNTS:
            linker.training.estimate_u_using_random_sampling(U_SAMPLE_PAIRS, seed=U_SAMPLE_SEED)
        predictions = linker.inference.predict(threshold_match_probability=threshold_probability)
        relation = connection.sql(f"select {_OUTPUT_COLUMNS} from {predictions.physical_name}")
        return [_scored(row) for row in relation.fetchall()]
    finally:
        connection.close()


_OUTPUT_COLUMNS = ", ".join(
    ["key_l", "key_r", "match_weight", "match_probability"]
    + [f"{prefix}_{name}" for name in FEATURE_BY_NAME for prefix in ("gamma", "mw")]
)


def _scored(row: tuple[Any, ...]) -> ScoredPair:
    """A pair from a row of ``_OUTPUT_COLUMNS``: keys, weight, probability, then each feature's
    gamma (-1 where either side has no value) and match weight."""
    levels = {}
    for position, (name, labels) in enumerate(_LABELS_BY_GAMMA, start=2):
        gamma = row[2 * position]
        if gamma != -1:
            levels[name] = (labels[gamma], round(row[2 * position + 1], 2))
    return ScoredPair(
        a=row[0], b=row[1], weight=round(row[2], 2), probability=row[3], levels=levels
    )


def _level_label(feature: str, gamma: int) -> str:
    levels = FEATURE_BY_NAME[feature].levels
    return levels[len(levels) - 1 - gamma].label


_LABELS_BY_GAMMA = tuple(
    (name, tuple(_level_label(name, gamma) for gamma in range(len(feature.levels))))
    for name, feature in FEATURE_BY_NAME.items()
)
