"""Triage rules: each default rule moves a constructed case as it should and names itself.

The facts are built by hand (no store): a case's level and score before and after the one fact
a rule tests, the rule among those that fired, and its reason naming it. Then the adjustments
(recency, long-known duplicates), the floors, the child-protection flag, and the rules file's
checks and the workspace's own file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from amparo.errors import AmparoError, InvalidInput
from amparo.triage.facts import PersonFacts, SeriesFacts, SubjectFacts, fact_names
from amparo.triage.rows import entry_dated_before
from amparo.triage.rules import (
    BUNDLED_RULES,
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    WORKSPACE_RULES,
    Rules,
    load_rules,
    rules_for_workspace,
)
from amparo.triage.score import CHILD_PROTECTION_SERVICES, JUVENILE_PROSECUTOR, score

RULES = load_rules()
SHARER = PersonFacts("person-a", reports=1, files=1, days_before_newest=90)  # normal, 20
SILENT = PersonFacts("person-b", reports=1, days_before_newest=90)  # low, 0
SERIES_BASE = SeriesFacts("new:s", files=1, new_files=1, sharers=1, days_before_newest=90)


@dataclass(frozen=True)
class Move:
    """Changing ``change`` on ``base`` fires ``rule``: the score rises by ``points``."""

    rule: str
    base: SubjectFacts
    change: dict[str, Any]
    before: str
    after: str
    points: float


MOVES = [
    # 1. a child at immediate risk: urgent whatever else
    Move("infant_material", SHARER, {"infant_files": 1}, NORMAL, URGENT, 100),
    Move("self_produced_material", SHARER, {"self_production_files": 2}, NORMAL, URGENT, 100),
    Move("physical_harm", SHARER, {"physical_harm_files": 1}, NORMAL, URGENT, 100),
    Move("sadistic_exploitation", SILENT, {"sadistic_reports": 1}, LOW, URGENT, 100),
    Move("access_to_child", SILENT, {"access_to_child_reports": 1}, LOW, URGENT, 100),
    Move("escalated_by_platform", SILENT, {"escalated_reports": 1}, LOW, URGENT, 100),
    Move("new_material", replace(SERIES_BASE, new_files=0), {"new_files": 1}, LOW, URGENT, 100),
    # 2. aggressive soliciting and sextortion: high
    Move("sextortion", SILENT, {"sextortion_reports": 1}, LOW, HIGH, 70),
    Move("csam_solicitation", SILENT, {"solicitation_reports": 1}, LOW, HIGH, 70),
    Move("online_enticement", SILENT, {"enticement_reports": 2}, LOW, HIGH, 70),
    # 3. producers and first sharers of new material
    Move("first_sharer_of_new_material", SHARER,
         {"new_series_first_shared": 1, "new_files_first_shared": 1}, NORMAL, HIGH, 45),
    Move("shares_new_material", SHARER, {"new_files": 1}, NORMAL, NORMAL, 20),
    # 4. high-volume and central distributors
    Move("high_volume", replace(SHARER, files=24), {"files": 25}, NORMAL, HIGH, 35),
    Move("central_in_network", replace(SHARER, centrality=0.2), {"centrality": 0.9}, NORMAL,
         HIGH, 35),
    Move("many_groups", replace(SHARER, groups=2), {"groups": 3}, NORMAL, NORMAL, 15),
    Move("widely_shared", SERIES_BASE, {"sharers": 3}, URGENT, URGENT, 15),
    # 5. the rest
    Move("shared_material", SILENT, {"files": 1}, LOW, NORMAL, 20),
    # adjustments: recency raises, long-known duplicates lower
    Move("recent_activity", replace(SHARER, new_files=1), {"days_before_newest": 30}, NORMAL,
         HIGH, 10),
    Move("long_known_duplicates", replace(SHARER, files=10, long_known_files=7),
         {"long_known_files": 8}, NORMAL, LOW, -20),
]  # fmt: skip


def test_every_default_rule_has_a_move() -> None:
    assert {move.rule for move in MOVES} == {rule.id for rule in RULES.rules}


@pytest.mark.parametrize("move", MOVES, ids=lambda move: move.rule)
def test_each_default_rule_moves_a_case_and_names_itself(move: Move) -> None:
    before = score(move.base, RULES)
    after = score(replace(move.base, **move.change), RULES)
    assert move.rule not in before.fired
    assert move.rule in after.fired
    assert (before.level, after.level) == (move.before, move.after)
    assert after.score - before.score == move.points
    named = [reason for reason in after.reasons if f"[{move.rule} " in reason]
    assert len(named) == 1
    assert f"{move.points:+g}" in named[0]


def test_reasons_fill_in_the_facts_and_the_floor() -> None:
    priority = score(replace(SHARER, infant_files=3, centrality=0.75), RULES)
    assert priority.reasons[0] == (
        "files annotated as showing an infant: 3 [infant_material +100, at least urgent]"
    )
    assert any("weighted degree 0.75" in reason for reason in priority.reasons)
    assert priority.fired[0] == "infant_material"  # strongest first


def test_recency_raises_the_series_too() -> None:
    old = score(SERIES_BASE, RULES)
    recent = score(replace(SERIES_BASE, days_before_newest=3), RULES)
    assert recent.score == old.score + 10
    assert "recent_activity" in recent.fired


def test_no_recency_when_the_time_is_unknown() -> None:
    assert "recent_activity" not in score(replace(SHARER, days_before_newest=None), RULES).fired


def test_long_known_duplicates_never_lower_a_floor() -> None:
    facts = replace(SHARER, files=5, long_known_files=5, physical_harm_files=1)
    priority = score(facts, RULES)
    assert "long_known_duplicates" in priority.fired
    assert priority.level == URGENT


def test_tiers_keep_their_order() -> None:
    """Immediate risk above sextortion, above first sharers, above distributors, above the rest."""
    infant = score(replace(SHARER, infant_files=1), RULES)
    sextortion = score(replace(SHARER, sextortion_reports=1), RULES)
    first = score(replace(SHARER, new_series_first_shared=1, new_files=1), RULES)
    volume = score(replace(SHARER, files=40), RULES)
    rest = score(SHARER, RULES)
    scores = [p.score for p in (infant, sextortion, first, volume, rest)]
    assert scores == sorted(scores, reverse=True)
    assert [infant.level, sextortion.level, rest.level] == [URGENT, HIGH, NORMAL]


def test_unknown_facts_fire_no_rule() -> None:
    assert score(replace(SILENT, centrality=None, age=None), RULES).fired == ()


@pytest.mark.parametrize(
    ("minor", "responsible", "flags"),
    [
        (True, False, (CHILD_PROTECTION_SERVICES,)),
        (True, True, (JUVENILE_PROSECUTOR,)),
        (False, True, ()),
        (None, None, ()),
    ],
)
def test_minors_below_the_age_of_responsibility_go_to_child_protection(
    minor: bool | None, responsible: bool | None, flags: tuple[str, ...]
) -> None:
    plain = score(SHARER, RULES)
    facts = replace(SHARER, age=12, minor=minor, criminally_responsible=responsible)
    priority = score(facts, RULES)
    assert priority.flags == flags
    assert (priority.score, priority.level) == (plain.score, plain.level)
    assert priority.fired == plain.fired
    if flags:
        assert priority.reasons[-1].endswith(f"[{flags[0]}]")
        assert "age 12" in priority.reasons[-1]
    if flags == (CHILD_PROTECTION_SERVICES,):
        assert "child-protection services" in priority.reasons[-1]


def test_reason_templates_name_only_known_facts() -> None:
    for rule in RULES.rules:
        for kind in rule.applies_to:
            assert rule.fact in fact_names(kind)


@pytest.mark.parametrize(
    ("details", "long_known"),
    [
        ({"timestamp": "2022-05-01T10:00:00Z"}, True),
        ({"timestamp": "2024-01-01T00:00:00+00:00"}, False),
        ({"timestamp": "2022-05-01"}, False),  # no zone: not trusted
        ({"timestamp": "yesterday"}, False),
        ({}, False),
        (None, False),
    ],
)
def test_an_entry_is_long_known_by_its_own_date(
    details: dict[str, Any] | None, long_known: bool
) -> None:
    cutoff = datetime(2023, 6, 1, tzinfo=UTC)
    assert entry_dated_before(details, cutoff) is long_known


# --- the rules file ---------------------------------------------------------------------------

VALID_RULE = {
    "id": "demo", "fact": "files", "min": 1, "points": 10, "reason": "files: {files}",
}  # fmt: skip


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def _rules_file(folder: Path, *rules: dict[str, Any], levels: str | None = None) -> Path:
    lines = [levels or "[levels]\nurgent = 100\nhigh = 50\nnormal = 20\n"]
    for rule in rules:
        lines.append("[[rule]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in rule.items()]
    path = folder / "rules.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_minimal_rules_file_loads(tmp_path: Path) -> None:
    rules = load_rules(_rules_file(tmp_path, VALID_RULE))
    assert [r.id for r in rules.rules] == ["demo"]
    assert rules.for_kind("series")[0].applies_to == ("person", "series")
    assert rules.long_known_days == 365


@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"minimum": 1}, "rule 'demo', key 'minimum'"),
        ({"points": "ten"}, "rule 'demo', key 'points'"),
        ({"points": True}, "rule 'demo', key 'points'"),
        ({"fact": "shoe_size"}, "rule 'demo', key 'fact'"),
        ({"fact": "centrality", "reason": "c"}, "rule 'demo', key 'fact'"),  # persons only...
        ({"reason": "files: {filez}"}, "rule 'demo', key 'reason'"),
        ({"reason": "files: {files:q}"}, "rule 'demo', key 'reason'"),
        ({"reason": ""}, "rule 'demo', key 'reason'"),
        ({"level_at_least": "critical"}, "rule 'demo', key 'level_at_least'"),
        ({"applies_to": ["suspect"]}, "rule 'demo', key 'applies_to'"),
        ({"id": "Bad Id"}, "rule 'Bad Id', key 'id'"),
        ({"min": None}, "rule 'demo', key 'fact'"),  # no min, max or equals
    ],
)
def test_rules_file_errors_name_the_rule_and_key(
    tmp_path: Path, change: dict[str, Any], place: str
) -> None:
    rule = {k: v for k, v in (VALID_RULE | change).items() if v is not None}
    if change.get("fact") == "centrality":
        rule["applies_to"] = ["series"]  # ...so a series rule on it is refused
    path = _rules_file(tmp_path, rule)
    with pytest.raises(InvalidInput) as raised:
        load_rules(path)
    assert raised.value.place == place
    assert raised.value.path == str(path)
    assert str(path) in str(raised.value)


def test_the_same_rule_id_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="twice") as raised:
        load_rules(_rules_file(tmp_path, VALID_RULE, VALID_RULE))
    assert raised.value.place == "rule 'demo', key 'id'"


def test_thresholds_must_fall(tmp_path: Path) -> None:
    levels = "[levels]\nurgent = 10\nhigh = 50\nnormal = 20\n"
    with pytest.raises(InvalidInput, match="urgent > high > normal"):
        load_rules(_rules_file(tmp_path, VALID_RULE, levels=levels))


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("[levels]\nurgent = 100\nhigh = 50\nnormal = 20\n", "[[rule]]"),
        ("colour = 1\n", "top level, key 'colour'"),
        ("version = 2\n", "key 'version'"),
        ("[[rule]]\nid = 'x'\nfact = 'files'\nmin = 1\npoints = 1\nreason = 'r'\n", "[levels]"),
    ],
)
def test_a_file_without_what_it_needs_is_refused(tmp_path: Path, text: str, place: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_rules(path)
    assert raised.value.place == place


def test_broken_toml_is_an_amparo_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[rule]\nid = ", encoding="utf-8")
    with pytest.raises(AmparoError, match="not a valid TOML file"):
        load_rules(path)


def test_the_bundled_defaults_are_package_data() -> None:
    assert BUNDLED_RULES.is_file()
    assert load_rules().source == str(BUNDLED_RULES)


def test_a_workspace_file_replaces_the_defaults(tmp_path: Path) -> None:
    assert rules_for_workspace(tmp_path).digest == RULES.digest
    own = _rules_file(tmp_path, VALID_RULE | {"level_at_least": "high"})
    own.rename(tmp_path / WORKSPACE_RULES)
    rules: Rules = rules_for_workspace(tmp_path)
    assert rules.source == str(tmp_path / WORKSPACE_RULES)
    assert [r.id for r in rules.rules] == ["demo"]
    assert score(SHARER, rules).level == HIGH
