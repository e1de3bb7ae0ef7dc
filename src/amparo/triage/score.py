"""Scoring: the rules applied to one subject's facts, with the reasons. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amparo.triage.facts import PersonFacts, SubjectFacts
from amparo.triage.rules import LEVELS, Rule, Rules

NOTHING_FIRED = "no triage rule fired: nothing known raises its priority"
CHILD_PROTECTION_SERVICES = "child_protection_services"
JUVENILE_PROSECUTOR = "juvenile_prosecutor"


@dataclass(frozen=True)
class Priority:
    score: float
    level: str  # urgent | high | normal | low
    reasons: tuple[str, ...]  # strongest rule first; flags' reasons last
    fired: tuple[str, ...]  # rule ids, in the order of ``reasons``
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "reasons": list(self.reasons),
                "flags": list(self.flags)}  # fmt: skip


def score(facts: SubjectFacts, rules: Rules) -> Priority:
    """Add up the points of the rules that fire; the level is the higher of score and floors."""
    values = facts.values()
    fired = sorted(
        (rule for rule in rules.for_kind(facts.kind) if rule.fires(values)),
        key=lambda rule: -rule.points,
    )
    total = float(sum(rule.points for rule in fired))
    flags, flag_reasons = _flags(facts)
    reasons = tuple(rule.explain(values) for rule in fired) or (NOTHING_FIRED,)
    return Priority(
        score=total,
        level=_level(rules.level_for(total), fired),
        reasons=reasons + flag_reasons,
        fired=tuple(rule.id for rule in fired),
        flags=flags,
    )


def _level(by_score: str, fired: list[Rule]) -> str:
    """The highest of the score's level and every floor of the rules that fired."""
    floors = [rule.level_at_least for rule in fired if rule.level_at_least]
    return min([by_score, *floors], key=LEVELS.index)


def _flags(facts: SubjectFacts) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where a minor goes: below the age of criminal responsibility, to child protection."""
    if not isinstance(facts, PersonFacts) or not facts.minor:
        return (), ()
    age = "unknown age" if facts.age is None else f"age {facts.age}"
    if facts.criminally_responsible is False:
        reason = (f"a minor below the age of criminal responsibility ({age}): for child-protection "
                  f"services, not prosecution [{CHILD_PROTECTION_SERVICES}]")  # fmt: skip
        return (CHILD_PROTECTION_SERVICES,), (reason,)
    if facts.criminally_responsible:
        reason = f"a minor ({age}): for the juvenile prosecutor [{JUVENILE_PROSECUTOR}]"
        return (JUVENILE_PROSECUTOR,), (reason,)
    return (), ()
