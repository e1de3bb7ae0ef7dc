"""The README says what the code does: its commands exist, its figures are the measured ones.

Every ``amparo …`` example in a code block or an inline code span names a real command whose
``--help`` lists every option the example uses; every benchmark figure in ``FIGURES`` reads as
its file in ``benchmarks/results/`` says (rounded as the README rounds); the layout section
names only paths that exist.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from amparo.cli import main
from tests.readme_examples import (
    ROOT,
    SCRIPT,
    Example,
    Figure,
    Prose,
    command_examples,
    inline_examples,
    options_in_help,
    readme_lines,
    resolve,
    script_examples,
    words,
)
from tests.readme_figures import FIGURES

LINES = readme_lines()
PROSE = Prose.of(LINES)
EXAMPLES = command_examples(LINES) + inline_examples(LINES)
HELP_WIDTH = 100  # fixed, so that no check depends on the terminal


@functools.cache
def help_text(path: tuple[str, ...]) -> tuple[int, str]:
    done = CliRunner().invoke(main, [*path, "--help"], terminal_width=HELP_WIDTH)
    return done.exit_code, done.output


def test_the_readme_shows_commands() -> None:
    """The parser finds the examples: the code blocks' and the prose's."""
    assert len(command_examples(LINES)) >= 30
    assert len(inline_examples(LINES)) >= 30


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_names_a_command_and_its_options(example: Example) -> None:
    resolved = resolve(main, example)
    assert resolved.error is None, f"{example}\n{resolved.error}"
    exit_code, output = help_text(resolved.path)
    assert exit_code == 0, f"{example}\n`amparo {' '.join(resolved.path)} --help`:\n{output}"
    for path, option in resolved.options:
        shown = options_in_help(help_text(path)[1])
        assert option in shown, f"{example}\n{option} is not in `amparo {' '.join(path)} --help`"
    assert not resolved.not_choices, f"{example}\nnot a choice it offers: {resolved.not_choices}"


@pytest.mark.parametrize("figure", FIGURES, ids=lambda figure: figure.text[:60])
def test_figure_is_the_measured_one(figure: Figure) -> None:
    expected = figure.expected()
    anchor = figure.anchor().strip()
    found = PROSE.text.find(anchor)
    assert found >= 0, f"no README passage holds {anchor!r} any more: update readme_figures.py"
    if expected not in PROSE.text:
        start = max(0, found - figure.text.index(figure.anchor()) - 20)
        number = PROSE.line_number(found)
        pytest.fail(
            f"README.md line {number}: {LINES[number - 1].strip()}\n"
            f"README: …{PROSE.text[start : start + len(expected) + 40]}…\n"
            f"benchmarks/results/{figure.results} says: {expected}"
        )


@functools.cache
def script_help(script: str) -> str:
    command = [sys.executable, script, "--help"]
    environment = {**os.environ, "PYTHONPATH": "src"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, f"{script} --help failed:\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("example", script_examples(LINES), ids=str)
def test_benchmark_command_uses_its_options(example: Example) -> None:
    script = SCRIPT.search(example.text).group(1)  # type: ignore[union-attr]
    shown = options_in_help(script_help(script))
    used = [word for word in words(example) if word.startswith("--")]
    assert used, example
    unknown = [option for option in used if option not in shown]
    assert not unknown, f"{example}\n{unknown} not in `python {script} --help`"


def test_make_targets_exist() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = re.findall(r"(?:`|^)make ([a-z-]+)", "\n".join(LINES), re.MULTILINE)
    assert named and set(named) <= targets, f"README names {set(named) - targets}"


def layout_block() -> list[tuple[int, str]]:
    """The Development section's tree: (line number, line) of its fenced block."""
    start = LINES.index("## Development")
    first = next(n for n in range(start, len(LINES)) if LINES[n].startswith("```"))
    last = next(n for n in range(first + 1, len(LINES)) if LINES[n].startswith("```"))
    return [(n + 1, LINES[n]) for n in range(first + 1, last)]


ENTRY = re.compile(r"^( {0,2})(\S+(?:, \S+)*)(?:  |$)")
MODULE = re.compile(r"\b([a-z_]+\.py)\b")


def layout_paths() -> list[tuple[str, str]]:
    """(path, README line) for each entry of the tree and each module its descriptions name."""
    found: list[tuple[str, str]] = []
    folder = package = ""
    for number, line in layout_block():
        where = f"README.md line {number}: {line.strip()}"
        entry = ENTRY.match(line)
        if entry:
            names = entry.group(2).split(", ")
            if not entry.group(1):
                folder = ""
            found += [(folder + name, where) for name in names]
            package = folder + names[0] if names[0].endswith("/") else folder
            if not entry.group(1):
                folder = package
        description = line[entry.end() :] if entry else line
        found += [(f"{package}**/{module}", where) for module in MODULE.findall(description)]
    return found


def test_layout_block_is_read() -> None:
    paths = [path for path, _ in layout_paths()]
    assert {"src/amparo/", "src/amparo/cli/", "src/amparo/store/", "tests/"} <= set(paths)
    assert "src/amparo/stages/**/registry.py" in paths


@pytest.mark.parametrize(("path", "where"), layout_paths(), ids=lambda item: item)
def test_layout_names_an_existing_path(path: str, where: str) -> None:
    exists = any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()
    assert exists, f"{where}\n{path} does not exist"


LAYERS = re.compile(r"`([a-z_]+)`")


def test_layers_name_existing_packages() -> None:
    """The layer order names only modules and packages of src/amparo."""
    start = next(n for n, line in enumerate(LINES) if line.startswith("Top to bottom:"))
    paragraph = " ".join(LINES[start : start + 4]).split(". The", 1)[0]
    names = LAYERS.findall(paragraph)
    assert len(names) > 15
    package = ROOT / "src" / "amparo"
    missing = [n for n in names if not ((package / n).is_dir() or (package / f"{n}.py").exists())]
    assert not missing, f"README.md line {start + 1}: the layers name {missing}, not in {package}"


def test_readme_paths_exist() -> None:
    """Every repository path the README quotes in code (`src/…`, `tests/…`, …) exists."""
    quoted = re.compile(r"`((?:src|tests|benchmarks|docs)/[\w./-]+)`")
    missing = [
        f"README.md line {number}: {path}"
        for number, line in enumerate(LINES, 1)
        for path in quoted.findall(line)
        if not (ROOT / path).exists()
    ]
    assert not missing, "\n".join(missing)


def test_screenshots_exist() -> None:
    shots = re.findall(r"\]\((docs/[^)]+)\)", "\n".join(LINES))
    assert shots and all((ROOT / Path(shot)).exists() for shot in shots), shots
