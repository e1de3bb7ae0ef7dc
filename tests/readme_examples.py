"""Reading README.md for its tests: command examples, figures and the layout section."""

from __future__ import annotations

import bisect
import json
import re
import shlex
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
FENCE = re.compile(r"^\s*```")
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
CONTINUED = "\\"  # a shell line continued on the next
PIPE = re.compile(r"\s\|\s")
SCRIPT = re.compile(r"\bpython (benchmarks/\w+\.py)")
INLINE_CODE = re.compile(r"`(amparo\s[^`]*)`")


@dataclass(frozen=True)
class Example:
    """One ``amparo …`` command the README shows, with where it stands."""

    line_number: int
    text: str

    def __str__(self) -> str:
        return f"README.md line {self.line_number}: {self.text}"


@dataclass(frozen=True)
class Resolved:
    """An example read against the command tree: the command it names, or why it names none.

    ``options`` pairs each option with the command path it was given to.
    """

    path: tuple[str, ...]
    options: tuple[tuple[tuple[str, ...], str], ...]
    not_choices: tuple[str, ...]
    error: str | None = None


def readme_lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


@dataclass(frozen=True)
class Prose:
    """The README as one line of words (so that rewrapping moves no figure), and where each
    README line starts in it."""

    text: str
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, lines: list[str]) -> Prose:
        starts, flat_lines = [], []
        offset = 0
        for line in lines:
            starts.append(offset)
            flat_lines.append(" ".join(line.split()))
            offset += len(flat_lines[-1]) + 1
        return cls(" ".join(flat_lines), tuple(starts))

    def line_number(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)


def code_block_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of every line inside a fenced or an indented code block."""
    found: list[tuple[int, str]] = []
    in_fence = False
    previous_blank_or_code = False
    for number, line in enumerate(lines, start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            previous_blank_or_code = False
            continue
        indented = line.startswith("    ") and previous_blank_or_code and line.strip() != ""
        if in_fence or indented:
            found.append((number, line))
        previous_blank_or_code = line.strip() == "" or indented
    return found


def command_examples(lines: list[str]) -> list[Example]:
    """Every code-block line that runs ``amparo`` (``$ amparo …``, or after a pipe)."""
    examples = []
    for number, line in code_block_lines(lines):
        for segment in PIPE.split(line):
            command = segment.strip().removeprefix("$ ")
            if command.startswith("amparo "):
                examples.append(Example(number, command))
    return examples


def script_examples(lines: list[str]) -> list[Example]:
    """Every code-block command that runs a benchmark script, continuation lines joined."""
    examples: list[Example] = []
    pending: tuple[int, str] | None = None
    for number, line in code_block_lines(lines):
        start, text = pending or (number, "")
        text = f"{text} {line.strip().removesuffix(CONTINUED)}".strip()
        pending = (start, text) if line.rstrip().endswith(CONTINUED) else None
        if pending is None and SCRIPT.search(text):
            examples.append(Example(start, text))
    return examples


def inline_examples(lines: list[str]) -> list[Example]:
    """Every inline code span of the prose that is an ``amparo …`` command."""
    text = "\n".join(lines)
    examples = []
    for match in INLINE_CODE.finditer(text):
        number = text.count("\n", 0, match.start()) + 1
        examples.append(Example(number, " ".join(match.group(1).split())))
    return examples


def words(example: Example) -> list[str]:
    """The example's words, comments dropped, ``[-o DIR]`` usage brackets opened."""
    spoken = shlex.split(example.text.replace("…", "x"), comments=True)
    return [word.strip("[]") for word in spoken if word.strip("[]")]


def resolve(root: click.Group, example: Example) -> Resolved:
    """The command path the example names, the options it gives to each command, and any
    value it gives a choice option that is not one of its choices."""
    command: click.Command = root
    path: tuple[str, ...] = ()
    options: list[tuple[tuple[str, ...], str]] = []
    not_choices: list[str] = []
    awaiting: click.Option | None = None
    for word in words(example)[1:]:
        if awaiting is not None:
            not_choices += _not_choices(awaiting, word)
            awaiting = None
        elif word.startswith("-"):
            option, _, given = word.partition("=")
            options.append((path, option))
            parameter = _option(command, option)
            if given and parameter is not None:
                not_choices += _not_choices(parameter, given)
            elif parameter is not None and not parameter.is_flag and not parameter.count:
                awaiting = parameter
        elif isinstance(command, click.Group):
            subcommand = command.commands.get(word)
            if subcommand is None:
                return Resolved(path, (), (), f"no command {word!r} in {_name(path)}")
            command, path = subcommand, (*path, word)
    return Resolved(path, tuple(options), tuple(not_choices))


def _option(command: click.Command, option: str) -> click.Option | None:
    for parameter in command.params:
        if isinstance(parameter, click.Option) and option in parameter.opts:
            return parameter
    return None


def _not_choices(option: click.Option, given: str) -> list[str]:
    """The values given (``H0|H1`` gives two) that the option does not offer."""
    if not isinstance(option.type, click.Choice):
        return []
    return [f"{option.opts[-1]} {value}" for value in given.split("|")
            if value not in option.type.choices]  # fmt: skip


def _name(path: tuple[str, ...]) -> str:
    return " ".join(("amparo", *path))


def options_in_help(help_text: str) -> set[str]:
    return set(OPTION.findall(help_text))


# Figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """README text with ``{}`` where figures stand, and the results they must show.

    Each value is (key path in the results file, format spec, scale): the number is
    multiplied by the scale and rounded half up, as the README rounds (0.35 → 0.4).
    """

    text: str
    results: str
    values: tuple[tuple[str, str, float], ...]

    def expected(self) -> str:
        measured = json.loads((RESULTS / self.results).read_text(encoding="utf-8"))
        shown = [_shown(_lookup(measured, key), spec, scale) for key, spec, scale in self.values]
        return self.text.format(*shown)

    def anchor(self) -> str:
        """The longest stretch of words between figures: where to find the README's passage."""
        return max(self.text.split("{}"), key=len)


def _lookup(measured: object, key_path: str) -> float:
    value = measured
    for key in key_path.split("/"):
        value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
    assert isinstance(value, int | float), f"{key_path} is not a number: {value!r}"
    return value


def _shown(value: float, spec: str, scale: float) -> str:
    places = int(re.fullmatch(r",?\.(\d+)f", spec).group(1))  # type: ignore[union-attr]
    scaled = Decimal(repr(value)) * Decimal(repr(scale))
    rounded = scaled.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(rounded, spec).replace("-", "\N{MINUS SIGN}")


def figure(text: str, results: str, *values: tuple[str, str, float]) -> Figure:
    return Figure(text, results, values)


def value(key: str, spec: str = ".0f", scale: float = 1) -> tuple[str, str, float]:
    return (key, spec, scale)


def percent(key: str, spec: str = ".0f") -> tuple[str, str, float]:
    return (key, spec, 100)


def count(key: str) -> tuple[str, str, float]:
    return (key, ",.0f", 1)
