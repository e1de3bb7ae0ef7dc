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
PIPE = re.compile(r"\s\|\s")
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
        starts, words = [], []
        offset = 0
        for line in lines:
            starts.append(offset)
            flat = " ".join(line.split())
            words.append(flat)
            offset += len(flat) + 1
        return cls(" ".join(words), tuple(starts))

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
    """The command path the example names and the options it gives to each command."""
    command: click.Command = root
    path: tuple[str, ...] = ()
    options: list[tuple[tuple[str, ...], str]] = []
    skip_value = False
    for word in words(example)[1:]:
        if skip_value:
            skip_value = False
        elif word.startswith("-"):
            option = word.split("=", 1)[0]
            options.append((path, option))
            skip_value = "=" not in word and _takes_value(command, option)
        elif isinstance(command, click.Group):
            subcommand = command.commands.get(word)
            if subcommand is None:
                return Resolved(path, (), f"no command {word!r} in {_name(path)}")
            command, path = subcommand, (*path, word)
    return Resolved(path, tuple(options))


def _takes_value(command: click.Command, option: str) -> bool:
    for parameter in command.params:
        if isinstance(parameter, click.Option) and option in parameter.opts:
            return not parameter.is_flag and not parameter.count
    return False


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
