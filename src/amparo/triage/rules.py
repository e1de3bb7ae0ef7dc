"""The triage rules file: TOML, editable, validated so that a mistake names its rule and key.

The bundled ``rules.toml`` holds the defaults; a workspace's own ``triage.toml`` replaces it
whole when present (no merging: what the file says is what scores). A file that cannot be used
raises ``InvalidInput`` (an ``InputRejected``, so an ``AmparoError``) whose ``path`` is the file
and whose ``place`` is the rule and key at fault, e.g. ``rule 'infant_material', key 'points'``.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from amparo.errors import InvalidInput
from amparo.model import PriorityLevel
from amparo.triage.facts import FACT_CLASSES, KINDS, fact_names

BUNDLED_RULES = Path(__file__).with_name("rules.toml")
WORKSPACE_RULES = "triage.toml"
URGENT, HIGH, NORMAL, LOW = PriorityLevel
LEVELS = tuple(PriorityLevel)  # highest first
THRESHOLD_LEVELS = (URGENT, HIGH, NORMAL)  # low is whatever scores below normal
FORMAT_VERSION = 1
_TOP_KEYS = {"version", "levels", "facts", "rule"}
_FACT_SETTINGS = {"long_known_days"}
_RULE_KEYS = {"id", "applies_to", "fact", "min", "max", "equals", "points", "level_at_least",
              "reason"}  # fmt: skip
_RULE_ID = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Rule:
    """If ``fact`` is within ``min``..``max`` (and equals ``equals``), add ``points``.

    ``level_at_least`` is a floor: a subject this rule fires on is never below that level,
    whatever other rules take away.
    """

    id: str
    applies_to: tuple[str, ...]
    fact: str
    points: float
    reason: str
    min: float | None = None
    max: float | None = None
    equals: bool | float | str | None = None
    level_at_least: str | None = None

    def fires(self, facts: Mapping[str, Any]) -> bool:
        value = facts.get(self.fact)
        if value is None:
            return False
        if self.equals is not None and value != self.equals:
            return False
        if self.min is not None and value < self.min:
            return False
        return self.max is None or value <= self.max

    def explain(self, facts: Mapping[str, Any]) -> str:
        """The reason with the facts filled in, naming the rule, its points and its floor."""
        text = self.reason.format_map({k: _Shown(v) for k, v in facts.items()})
        floor = f", at least {self.level_at_least}" if self.level_at_least else ""
        return f"{text} [{self.id} {self.points:+g}{floor}]"


class _Shown:
    """A fact as a reason shows it: its own formatting, or ``unknown`` for None."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return "unknown" if self.value is None else format(self.value, spec)


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    thresholds: dict[str, float]  # urgent, high, normal: the least score reaching each
    long_known_days: int
    source: str  # the file read
    digest: str  # SHA-256 of its bytes: a changed file re-scores every case

    def for_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if kind in rule.applies_to)

    def level_for(self, score: float) -> str:
        return next((lv for lv in THRESHOLD_LEVELS if score >= self.thresholds[lv]), LOW)


def rules_for_workspace(root: Path) -> Rules:
    """The workspace's ``triage.toml`` when it has one, else the bundled defaults."""
    own = root / WORKSPACE_RULES
    return load_rules(own if own.is_file() else None)


def load_rules(path: Path | None = None) -> Rules:
    """Read and check a rules file (the bundled defaults when ``path`` is None)."""
    path = path or BUNDLED_RULES
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(path)) from error
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"not a valid TOML file: {error}", path=str(path)) from error
    return _RulesReader(str(path)).read(document, hashlib.sha256(data).hexdigest())


class _RulesReader:
    """Checks one parsed file; every complaint carries the file and the place in it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, place: str, reason: str) -> InvalidInput:
        return InvalidInput(reason, path=self.path, place=place)

    def read(self, document: dict[str, Any], digest: str) -> Rules:
        self._known_keys(document, _TOP_KEYS, "top level")
        if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise self.fail("key 'version'", f"only version {FORMAT_VERSION} is understood")
        return Rules(
            rules=self._rules(document.get("rule")),
            thresholds=self._thresholds(document.get("levels")),
            long_known_days=self._long_known_days(document.get("facts", {})),
            source=self.path,
            digest=digest,
        )

    def _known_keys(self, table: Mapping[str, Any], allowed: set[str], place: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            expected = ", ".join(sorted(allowed))
            raise self.fail(f"{place}, key {unknown[0]!r}", f"unknown key (expected: {expected})")

    def _thresholds(self, levels: Any) -> dict[str, float]:
        if not isinstance(levels, dict):
            raise self.fail("[levels]", "a [levels] table with urgent, high and normal is needed")
        self._known_keys(levels, set(THRESHOLD_LEVELS), "[levels]")
        thresholds: dict[str, float] = {}
        for level in THRESHOLD_LEVELS:
            if not _is_number(levels.get(level)):
                raise self.fail(f"[levels], key {level.value!r}", "must be a number")
            thresholds[level] = float(levels[level])
        if not thresholds[URGENT] > thresholds[HIGH] > thresholds[NORMAL]:
            raise self.fail("[levels]", "thresholds must fall: urgent > high > normal")
        return thresholds

    def _long_known_days(self, settings: Any) -> int:
        if not isinstance(settings, dict):
            raise self.fail("[facts]", "must be a table")
        self._known_keys(settings, _FACT_SETTINGS, "[facts]")
        days = settings.get("long_known_days", 365)
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise self.fail("[facts], key 'long_known_days'", "must be a whole number of days")
        return days

    def _rules(self, tables: Any) -> tuple[Rule, ...]:
        if not isinstance(tables, list) or not tables:
            raise self.fail("[[rule]]", "at least one [[rule]] table is needed")
        rules: list[Rule] = []
        for number, table in enumerate(tables, start=1):
            rule = _RuleReader(self, number, table).read()
            if any(r.id == rule.id for r in rules):
                raise self.fail(f"rule {rule.id!r}, key 'id'", "the same id is used twice")
            rules.append(rule)
        return tuple(rules)


class _RuleReader:
    def __init__(self, file: _RulesReader, number: int, table: Any) -> None:
        self.file, self.table = file, table if isinstance(table, dict) else {}
        rule_id = self.table.get("id")
        self.name = f"rule {rule_id!r}" if isinstance(rule_id, str) else f"rule number {number}"
        if not isinstance(table, dict):
            raise self.fail("", "must be a table")

    def fail(self, key: str, reason: str) -> InvalidInput:
        return self.file.fail(f"{self.name}, key {key!r}" if key else self.name, reason)

    def read(self) -> Rule:
        self.file._known_keys(self.table, _RULE_KEYS, self.name)
        rule_id = self._id()
        fact = self._fact()
        kinds = self._applies_to(fact)
        limits = {key: self._number(key) for key in ("min", "max") if key in self.table}
        if not limits and "equals" not in self.table:
            raise self.fail("fact", "give min, max or equals: when does the rule fire?")
        return Rule(id=rule_id, applies_to=kinds, fact=fact, points=self._number("points"),
                    reason=self._reason(kinds), equals=self._equals(), **limits,
                    level_at_least=self._floor())  # fmt: skip

    def _id(self) -> str:
        rule_id = self.table.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            raise self.fail("id", "needs an id of lower-case letters, digits and _")
        return rule_id

    def _fact(self) -> str:
        fact = self.table.get("fact")
        known = set().union(*(fact_names(kind) for kind in KINDS))
        if fact not in known:
            raise self.fail("fact", f"unknown fact {fact!r} (known: {', '.join(sorted(known))})")
        return fact

    def _applies_to(self, fact: str) -> tuple[str, ...]:
        kinds = self.table.get("applies_to", [k for k in KINDS if fact in fact_names(k)])
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise self.fail("applies_to", f"must list one or more of: {', '.join(KINDS)}")
        for kind in kinds:
            if fact not in fact_names(kind):
                raise self.fail("fact", f"a {kind} has no fact {fact!r}")
        return tuple(kinds)

    def _number(self, key: str) -> float:
        value = self.table.get(key)
        if not _is_number(value):
            raise self.fail(key, "must be a number")
        return float(value)

    def _equals(self) -> bool | float | str | None:
        value = self.table.get("equals")
        if value is not None and not isinstance(value, bool | int | float | str):
            raise self.fail("equals", "must be true, false, a number or a text")
        return value

    def _floor(self) -> str | None:
        floor = self.table.get("level_at_least")
        if floor is not None and floor not in LEVELS:
            raise self.fail("level_at_least", f"must be one of: {', '.join(LEVELS)}")
        return floor

    def _reason(self, kinds: tuple[str, ...]) -> str:
        reason = self.table.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise self.fail("reason", "needs a reason: the sentence analysts will read")
        for kind in kinds:
            self._check_template(reason, kind)
        return reason

    def _check_template(self, reason: str, kind: str) -> None:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(reason) if f is not None]
            for field in fields:
                if field not in fact_names(kind):
                    raise self.fail("reason", f"names {{{field}}}, which a {kind} has no fact for")
            Rule("x", (kind,), "files", 0, reason).explain(FACT_CLASSES[kind]("x").values())
        except (ValueError, IndexError, KeyError) as error:
            raise self.fail("reason", f"cannot be filled in: {error}") from error


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
