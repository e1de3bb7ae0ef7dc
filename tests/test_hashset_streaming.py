"""Hash-set import streams: bounded memory whatever the file's size, a bad entry costs only
itself (kept with its place), and a changed export applies only the difference."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, inspect, select

from amparo.cli import main
from amparo.errors import InvalidInput
from amparo.formats.hashsets import open_hash_set, read_hash_set
from amparo.intake import hashset_direct, hashset_store
from amparo.intake.hashsets import HASH_SET_ENTRY_SOURCE, import_hash_set
from amparo.store import tables
from amparo.workspace import Workspace

NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"
VICS_MEDIA = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
VICS_CASES = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases"


def _md5(number: int) -> str:
    return f"{number:032x}"


def _csv(path: Path, count: int, bad: Callable[[int], str | None] = lambda _: None) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write("id,md5,category_scheme,category_code,note\n")
        for number in range(count):
            row = bad(number)
            file.write(f"e{number},{_md5(number)},vics-us,1,n{number}\n" if row is None else row)
    return path


def _ncmec(path: Path, count: int, bad_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write(f'<?xml version="1.0"?>\n<queryResult xmlns="{NCMEC}"><images>\n')
        for number in range(count):
            ncmec_id = "" if number == bad_at else f"<id>i{number}</id>"
            file.write(
                f'<image><member id="7">Hotline</member>{ncmec_id}<classification>A1'
                f"</classification><fingerprints><md5>{_md5(number)}</md5></fingerprints>"
                "</image>\n"
            )
        file.write("</images></queryResult>\n")
    return path


def _vics(path: Path, count: int, bad_at: int | None = None, *, cases: bool = False) -> Path:
    def media(number: int) -> str:
        category = '"Z"' if number == bad_at else "1"
        return json.dumps({"MediaID": number, "MD5": _md5(number), "Category": 0}).replace(
            '"Category": 0', f'"Category": {category}'
        )

    with path.open("w", encoding="utf-8") as file:
        file.write(f'{{"@odata.context": "{VICS_CASES if cases else VICS_MEDIA}", "value": [')
        file.write('{"Media": [' if cases else "")
        file.write(",\n".join(media(number) for number in range(count)))
        file.write('], "CaseID": "late"}]}' if cases else "]}")
    return path


WRITERS = {"csv": _csv, "ncmec": _ncmec, "vics": _vics}


def _reading_peak(path: Path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as file:
            for _ in open_hash_set(file, path=str(path)).items:
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_reading_memory_does_not_grow_with_the_file(kind: str, tmp_path: Path) -> None:
    small = _reading_peak(WRITERS[kind](tmp_path / "small", 2_000))
    large = _reading_peak(WRITERS[kind](tmp_path / "large", 40_000))
    assert large < 2 * small + 256 * 1024, (small, large)
    assert large < 4 * 1024 * 1024


def test_import_memory_is_bounded_by_the_batch(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashset_store, "BATCH", 500)

    def peak(count: int) -> int:
        path = _csv(tmp_path / f"{count}.csv", count)
        tracemalloc.start()
        try:
            import_hash_set(workspace, path, name=f"set-{count}")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)
    assert large < 2 * small, (small, large)


def _parts(workspace: Workspace) -> list[tuple[str | None, str | None]]:
    with workspace.session() as session:
        rows = session.execute(
            select(tables.Source.place, tables.Source.reason)
            .where(tables.Source.kind == HASH_SET_ENTRY_SOURCE)
            .order_by(tables.Source.id)
        ).all()
    return [tuple(row) for row in rows]


def _stored(workspace: Workspace, name: str) -> dict[str, tables.KnownEntry]:
    with workspace.session() as session:
        rows = session.scalars(
            select(tables.KnownEntry).join(tables.HashSet).where(tables.HashSet.name == name)
        ).all()
    return {row.entry_id: row for row in rows}


@pytest.mark.parametrize(
    ("write", "place", "reason"),
    [
        (lambda p: _csv(p / "s.csv", 9, lambda n: "e4,xyz,vics-us,1,\n" if n == 4 else None),
         "line 6", "md5 must be 32 hex digits"),
        (lambda p: _ncmec(p / "s.xml", 9, bad_at=4), "line 7", "without an <id>"),
        (lambda p: _vics(p / "s.json", 9, bad_at=4), "value[4].Category", "neither a VICS"),
        (lambda p: _vics(p / "c.json", 9, bad_at=4, cases=True), "value[0].Media[4].Category",
         "neither a VICS"),
    ],
)  # fmt: skip
def test_a_bad_entry_mid_file_costs_that_entry_only(
    workspace: Workspace, tmp_path: Path, write: Callable[[Path], Path], place: str, reason: str
) -> None:
    result = import_hash_set(workspace, write(tmp_path), name="s")
    assert (result.entries, result.rejected) == (8, 1)
    [(found_place, found_reason)] = _parts(workspace)
    assert found_place == place
    assert reason in (found_reason or "")
    assert len(_stored(workspace, "s")) == 8


def test_cases_read_their_caseid_even_after_the_media(workspace: Workspace, tmp_path: Path) -> None:
    import_hash_set(workspace, _vics(tmp_path / "c.json", 3, cases=True), name="s")
    assert {e.details.get("CaseID") for e in _stored(workspace, "s").values()} == {"late"}


def test_an_id_given_twice_keeps_the_first_and_sets_the_second_aside(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "s.csv", 5, lambda n: f"e1,{_md5(99)},vics-us,2,\n" if n == 3 else None)
    result = import_hash_set(workspace, path, name="s")
    assert (result.entries, result.rejected) == (4, 1)
    [(place, reason)] = _parts(workspace)
    assert (place, reason) == ("line 5", f"{path}, line 5: id 'e1' given twice (first at line 3)")
    assert _stored(workspace, "s")["e1"].md5 == _md5(1)


def test_a_changed_export_applies_only_the_difference(workspace: Workspace, tmp_path: Path) -> None:
    first = _csv(tmp_path / "v1.csv", 6)
    changed = {2: f"e2,{_md5(2)},vics-us,3,n2\n", 5: ""}  # e2 recategorised, e5 withdrawn
    second = _csv(tmp_path / "v2.csv", 8, lambda n: changed.get(n))
    import_hash_set(workspace, first, name="s")
    before = {key: row.id for key, row in _stored(workspace, "s").items()}
    result = import_hash_set(workspace, second, name="s")
    assert (result.entries, result.added, result.changed, result.removed) == (7, 3, 1, 1)
    after = _stored(workspace, "s")
    assert {key: after[key].id for key in ("e0", "e1", "e3", "e4")} == {
        key: before[key] for key in ("e0", "e1", "e3", "e4")
    }, "unchanged entries are not rewritten"
    assert after["e2"].category_code == "3" and after["e2"].id != before["e2"]
    assert "e5" not in after and {"e6", "e7"} <= set(after)


def test_a_bulk_insert_rebuilds_the_hash_indexes(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashset_store, "BULK_REINDEX_MIN", 10)
    result = import_hash_set(workspace, _csv(tmp_path / "s.csv", 50), name="s")
    assert result.added == 50
    with workspace.session() as session:
        names = {
            index["name"] for index in inspect(session.connection()).get_indexes("known_entry")
        }
        found = session.scalars(select(tables.KnownEntry.entry_id).filter_by(md5=_md5(7))).all()
    assert {*hashset_store.HASH_INDEXES, hashset_store.UNIQUE_INDEX} <= names
    assert found == ["e7"]


def test_an_id_given_twice_in_a_bulk_insert_is_found_when_its_index_is_rebuilt(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The (set, id) index, dropped for the insert, refuses the repeat as it is built again:
    the file is then staged, which keeps the first and names the second."""
    monkeypatch.setattr(hashset_store, "BULK_REINDEX_MIN", 10)
    path = _csv(
        tmp_path / "s.csv", 50, lambda n: f"e3,{_md5(99)},vics-us,2,\n" if n == 40 else None
    )
    result = import_hash_set(workspace, path, name="s")
    assert (result.entries, result.rejected) == (49, 1)
    assert _parts(workspace) == [
        ("line 42", f"{path}, line 42: id 'e3' given twice (first at line 5)")
    ]
    assert _stored(workspace, "s")["e3"].md5 == _md5(3)


def _delta(path: Path) -> Path:
    """An NCMEC delta that adds i1, deletes it, adds it again changed, and adds i2."""
    entries = [("image", 1, 1), ("image", 2, 2), ("deletedImage", 1, None), ("image", 1, 3)]
    body = "".join(
        f"<{tag}><id>i{n}</id>"
        + ("" if md5 is None else f"<fingerprints><md5>{_md5(md5)}</md5></fingerprints>")
        + f"</{tag}>\n"
        for tag, n, md5 in entries
    )
    path.write_text(f'<queryResult xmlns="{NCMEC}"><images>\n{body}</images></queryResult>')
    return path


@pytest.mark.parametrize(
    "write",
    [
        lambda p: _csv(p / "s.csv", 30, {7: "e7,xyz,,,\n", 28: f"e2,{_md5(5)},,,\n"}.get),
        lambda p: _delta(p / "d.xml"),
        lambda p: _vics(p / "s.json", 30, bad_at=4, cases=True),
    ],
)  # fmt: skip
def test_a_first_import_written_directly_is_what_staging_writes(
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write: Callable[[Path], Path],
) -> None:
    """A set that holds nothing is written straight into known_entry; where the file repeats
    an id or deletes one, that path gives way to staging, and either way the set is the same."""
    path = write(tmp_path)
    staged: list[bool] = []
    create_staging = hashset_store.create_staging

    def counted(connection: Connection) -> None:
        staged.append(True)
        create_staging(connection)

    monkeypatch.setattr(hashset_store, "create_staging", counted)
    direct = import_hash_set(workspace, path, name="direct")
    # SQLite gives way to staging for the repeated id and the deletion; PostgreSQL always stages
    sqlite = workspace.engine.dialect.name == "sqlite"
    assert bool(staged) == (path.suffix != ".json" or not sqlite)
    monkeypatch.setattr(hashset_direct, "possible", lambda *_: False)
    via_staging = import_hash_set(workspace, path, name="staged")
    assert (direct.entries, direct.added, direct.rejected, direct.rejected_examples) == (
        via_staging.entries,
        via_staging.added,
        via_staging.rejected,
        via_staging.rejected_examples,
    )
    assert _rows(workspace, "direct") == _rows(workspace, "staged")


def _rows(workspace: Workspace, name: str) -> list[tuple[object, ...]]:
    """The set's entries in the order they were written, without their row ids."""
    k = tables.KnownEntry
    with workspace.session() as session:
        rows = session.execute(
            select(k.entry_id, k.kind, k.md5, k.pdq, k.category_scheme, k.category_code,
                   k.is_distributed, k.details)
            .join(tables.HashSet).where(tables.HashSet.name == name).order_by(k.id)
        ).all()  # fmt: skip
    return [tuple(row) for row in rows]


def test_a_file_broken_midway_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    import_hash_set(workspace, _csv(tmp_path / "v1.csv", 4), name="s")
    broken = tmp_path / "broken.json"
    broken.write_text(_vics(tmp_path / "v.json", 6).read_text()[:-30], encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        import_hash_set(workspace, broken, name="s")
    assert set(_stored(workspace, "s")) == {"e0", "e1", "e2", "e3"}
    with workspace.session() as session:
        statuses = session.scalars(
            select(tables.Source.status).where(tables.Source.path == str(broken))
        ).all()
    assert statuses == [tables.SOURCE_QUARANTINED]


def test_media_beside_cases_and_late_caseids_are_read() -> None:
    media = [{"MediaID": 1, "MD5": _md5(1)}]
    document = {
        "@odata.context": VICS_CASES,
        "value": [
            {"Media": media, "CaseID": "a"},
            {"MediaID": 9, "MD5": _md5(9)},
            {"Media": media},
        ],
    }
    entries = read_hash_set(json.dumps(document).encode(), path="mixed.json").entries
    assert [entry.entry_id for entry in entries] == ["a/1", "9", "case-2/1"]


def test_the_command_names_the_bad_entries(tmp_path: Path) -> None:
    path = _csv(tmp_path / "s.csv", 5, lambda n: "e2,xyz,vics-us,1,\n" if n == 2 else None)
    workspace = tmp_path / "workspace"
    result = CliRunner().invoke(main, ["-w", str(workspace), "hashsets", "import", str(path),
                                       "--name", "s"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 entries; 4 written" in result.output
    assert "1 bad entries set aside" in result.output
    assert f"{path}, line 4: md5 must be 32 hex digits" in result.output.replace("\n", "")


def test_an_import_into_a_workspace_without_files_does_not_re_match(tmp_path: Path) -> None:
    path = _csv(tmp_path / "s.csv", 5)
    workspace = tmp_path / "workspace"
    result = CliRunner().invoke(main, ["-w", str(workspace), "hashsets", "import", str(path),
                                       "--name", "s"])  # fmt: skip
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "5 entries; 5 written" in output
    assert "No stored files to re-match." in output
    assert "match:" not in output


def test_entries_without_hashes_are_counted_as_staging_counts_them(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json"
    media = [{"MediaID": 1, "MD5": _md5(1)}, {"MediaID": 2, "Category": 1}, {"MediaID": 3}]
    path.write_text(json.dumps({"@odata.context": VICS_MEDIA, "value": media}), encoding="utf-8")
    direct = import_hash_set(workspace, path, name="direct")
    monkeypatch.setattr(hashset_direct, "possible", lambda *_: False)
    staged = import_hash_set(workspace, path, name="staged")
    assert (direct.entries, direct.without_hashes) == (staged.entries, staged.without_hashes)
    assert (direct.entries, direct.without_hashes) == (3, 2)
