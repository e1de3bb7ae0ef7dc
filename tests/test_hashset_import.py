"""Hash sets in the store: full exports replace, NCMEC deltas add and withdraw, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.errors import InvalidInput
from amparo.intake.hashsets import import_hash_set, matching_fingerprint
from amparo.store import tables
from amparo.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "hashsets"
HEADER = "id,md5,category_scheme,category_code,series\n"


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def _entries(workspace: Workspace, name: str) -> dict[str, tables.KnownEntry]:
    with workspace.session() as session:
        rows = session.scalars(
            select(tables.KnownEntry).join(tables.HashSet).where(tables.HashSet.name == name)
        ).all()
    return {row.entry_id: row for row in rows}


def test_a_newer_full_export_replaces_the_entries(workspace: Workspace, tmp_path: Path) -> None:
    first = _csv(tmp_path, "v1.csv", [f"a,{'1' * 32},vics-us,1,S", f"b,{'2' * 32},vics-us,2,"])
    second = _csv(tmp_path, "v2.csv", [f"b,{'2' * 32},vics-us,1,", f"c,{'3' * 32},caid-uk,A,"])
    import_hash_set(workspace, first, name="partner")
    result = import_hash_set(workspace, second, name="partner")
    assert (result.entries, result.added, result.removed) == (2, 2, 1)
    entries = _entries(workspace, "partner")
    assert set(entries) == {"b", "c"}
    assert (entries["b"].category_scheme, entries["b"].category_code) == ("vics-us", "1")
    assert (entries["c"].category_scheme, entries["c"].category_code) == ("caid-uk", "A")


def test_the_same_file_twice_is_unchanged(workspace: Workspace, tmp_path: Path) -> None:
    path = _csv(tmp_path, "v1.csv", [f"a,{'1' * 32},vics-us,1,S"])
    import_hash_set(workspace, path, name="partner")
    with workspace.session() as session:
        before = matching_fingerprint(session)
    assert import_hash_set(workspace, path, name="partner").unchanged
    with workspace.session() as session:
        assert matching_fingerprint(session) == before
    assert import_hash_set(workspace, path, name="partner", pdq_threshold=20).unchanged is False


def test_ncmec_files_are_deltas_with_withdrawals(workspace: Workspace) -> None:
    result = import_hash_set(workspace, FIXTURES / "ncmec-v2.xml", name="ncmec")
    assert result.format == "ncmec-hashsharing"
    entries = _entries(workspace, "ncmec")
    assert not any(entry_id.endswith(("img-0990", "vid-1999")) for entry_id in entries)
    assert any(entry.pdq for entry in entries.values())


def test_sets_are_kept_apart(workspace: Workspace, tmp_path: Path) -> None:
    import_hash_set(workspace, _csv(tmp_path, "a.csv", [f"x,{'1' * 32},vics-us,1,"]), name="a")
    import_hash_set(workspace, _csv(tmp_path, "b.csv", [f"x,{'1' * 32},vics-us,0,"]), name="b",
                    purpose="allow")  # fmt: skip
    assert _entries(workspace, "a")["x"].category_code == "1"
    assert _entries(workspace, "b")["x"].category_code == "0"


def test_bad_settings_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", [f"x,{'1' * 32},vics-us,1,"])
    with pytest.raises(InvalidInput, match="purpose"):
        import_hash_set(workspace, path, name="a", purpose="maybe")
    with pytest.raises(InvalidInput, match="threshold"):
        import_hash_set(workspace, path, name="a", pdq_threshold=300)
