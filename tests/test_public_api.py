"""The curated public API in ``amparo/__init__.py``: every name resolves, lazily."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module

import pytest

import amparo


@pytest.mark.parametrize("name", amparo.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(amparo, name)
    assert value is not None
    if name != "__version__":
        home = import_module(amparo._HOMES[name])
        assert value is getattr(home, name)


def test_all_names_exactly_the_lazy_homes() -> None:
    assert set(amparo.__all__) == {"__version__", *amparo._HOMES}
    assert set(amparo.__all__) <= set(dir(amparo))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_verb"):
        _ = amparo.no_such_verb  # type: ignore[attr-defined]


def test_import_amparo_is_light() -> None:
    script = (
        "import json, sys, amparo\n"
        "print(json.dumps(sorted(m for m in ('sqlalchemy', 'numpy', 'matplotlib', 'splink',"
        " 'fastapi', 'amparo.workspace') if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    assert json.loads(done.stdout) == []
