"""A large hash-set file is read by a worker process beside the importer: the import is the same
as reading it here, bad entries, repeated ids, deletions, version and broken files included."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.errors import InputRejected, InvalidInput, UnsafeInput
from amparo.formats.hashsets import EntryBatch, HashSetStream, one_at_a_time, open_hash_set
from amparo.intake import hashset_reader
from amparo.intake.hashsets import HASH_SET_ENTRY_SOURCE, import_hash_set
from amparo.store import tables
from amparo.workspace import Workspace

NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"
VICS = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"
COUNT = 3000  # several of the worker's groups, in batches and one by one


def _md5(number: int) -> str:
    return f"{number:032x}"


def _csv(path: Path) -> Path:
    rows = ["id,md5,category_scheme,category_code,note"]
    for n in range(COUNT):
        md5 = "xyz" if n % 700 == 3 else _md5(n)
        rows.append(f"e{n % 2900},{md5},vics-us,{n % 3},\"n,{n}\"" if n % 500 == 7 else
                    f"e{n % 2900},{md5},vics-us,{n % 3},n{n}")  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _ncmec(path: Path) -> Path:
    parts = [f'<?xml version="1.0"?>\n<queryResult xmlns="{NCMEC}"><images count="{COUNT}" '
             'maxTimestamp="2026-01-12T10:00:00Z">']  # fmt: skip
    for n in range(COUNT):
        if n % 400 == 9:
            parts.append(f'<deletedImage><member id="7"/><id>i{n - 9}</id></deletedImage>')
            continue
        ncmec_id = "" if n % 900 == 5 else f"<id>i{n}</id>"
        parts.append(f'<image><member id="7">Hotline</member>{ncmec_id}<classification>A1'
                     f"</classification><fingerprints><md5>{_md5(n)}</md5></fingerprints>"
                     "</image>")  # fmt: skip
    path.write_text("\n".join([*parts, "</images></queryResult>"]), encoding="utf-8")
    return path


def _vics(path: Path, *, cases: bool = False) -> Path:
    media = [
        json.dumps({"MediaID": n, "MD5": _md5(n), "Category": "Z" if n % 800 == 2 else 1})
        for n in range(COUNT)
    ]
    listed = ",\n".join(media)
    value = f'[{{"CaseID": "c-1", "Media": [{listed}]}}]' if cases else f"[{listed}]"
    kind = "Cases" if cases else "Media"
    path.write_text(f'{{"@odata.context": "{VICS}{kind}", "value": {value}}}', encoding="utf-8")
    return path


WRITERS: dict[str, Callable[[Path], Path]] = {
    "csv": lambda folder: _csv(folder / "set.csv"),
    "ncmec": lambda folder: _ncmec(folder / "set.xml"),
    "vics-media": lambda folder: _vics(folder / "set.json"),
    "vics-cases": lambda folder: _vics(folder / "cases.json", cases=True),
}


def _imported(workspace: Workspace, path: Path, name: str) -> tuple[object, ...]:
    """What the import says, the set's rows in order, its version, and the bad entries."""
    result = import_hash_set(workspace, path, name=name)
    k, s = tables.KnownEntry, tables.Source
    with workspace.session() as session:
        rows = session.execute(
            select(k.entry_id, k.md5, k.category_scheme, k.category_code, k.details)
            .join(tables.HashSet).where(tables.HashSet.name == name).order_by(k.id)
        ).all()  # fmt: skip
        version = session.scalar(select(tables.HashSet.version).filter_by(name=name))
        parts = session.execute(
            select(s.place, s.reason).where(s.kind == HASH_SET_ENTRY_SOURCE).order_by(s.id)
        ).all()
    summary = (result.format, result.entries, result.added, result.removed, result.rejected,
               result.rejected_examples)  # fmt: skip
    return summary, [tuple(row) for row in rows], version, [tuple(part) for part in parts]


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_file_read_by_the_worker_imports_as_read_here(
    kind: str, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = WRITERS[kind](tmp_path)
    here = _imported(workspace, path, "here")
    monkeypatch.setattr(hashset_reader, "WORKER_MIN_BYTES", 0)
    used: list[str] = []
    read_in_worker = hashset_reader.read_in_worker

    def counted(path: str) -> HashSetStream:
        used.append(path)
        return read_in_worker(path)

    monkeypatch.setattr(hashset_reader, "read_in_worker", counted)
    by_worker = _imported(workspace, path, "worker")
    assert used
    assert by_worker == here
    assert here[0][4] > 0  # type: ignore[index]  # the file has bad entries, set aside


def test_a_file_broken_midway_is_rejected_as_when_read_here(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _vics(tmp_path / "whole.json")
    broken = tmp_path / "broken.json"
    broken.write_text(whole.read_text(encoding="utf-8")[:-2000], encoding="utf-8")
    with pytest.raises(InvalidInput) as here:
        import_hash_set(workspace, broken, name="s")
    monkeypatch.setattr(hashset_reader, "WORKER_MIN_BYTES", 0)
    with pytest.raises(InvalidInput) as by_worker:
        import_hash_set(workspace, broken, name="s")
    assert (by_worker.value.reason, by_worker.value.place) == (here.value.reason, here.value.place)
    assert "not valid JSON" in here.value.reason


def test_a_worker_that_dies_rejects_the_file_as_unsafe() -> None:
    receiving, sending = multiprocessing.Pipe(duplex=False)
    outbox = hashset_reader._Outbox(sending)
    outbox.put("items", 20, hashset_reader._pickled([("line 2", ("e1",))]))
    outbox.close()
    sending.close()  # as a worker killed by a crashing parser leaves its end
    stream = HashSetStream("csv", None, "id", iter(()))
    worker = multiprocessing.get_context("forkserver").Process(target=int)
    worker.start()  # a process that ends at once, as a crashed worker has
    received = hashset_reader.WorkerItems(worker, receiving, stream, "set.csv")
    assert next(received) == ("line 2", ("e1",))
    assert received.position == 20
    with pytest.raises(UnsafeInput, match="reader stopped") as raised:
        next(received)
    assert isinstance(raised.value, InputRejected)
    assert raised.value.path == "set.csv"


def test_an_import_stopped_early_stops_its_worker(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    rows = (f"e{n},{_md5(n)}\n" for n in range(5 * hashset_reader.GROUP_ENTRIES))
    path.write_text("id,md5\n" + "".join(rows), encoding="utf-8")  # groups a pipe cannot hold
    stream = hashset_reader.read_in_worker(str(path))
    assert (stream.format, stream.unique_id) == ("csv", "id")  # told by the worker
    items = stream.items
    assert isinstance(items, hashset_reader.WorkerItems)
    next(items)
    assert len(multiprocessing.active_children()) == 1
    items.close()
    assert multiprocessing.active_children() == []


def test_the_worker_started_early_is_the_one_that_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``start_early`` starts the worker before the importer asks for it; ``read_in_worker``
    takes that worker (no second one), and gets every item, after the worker read ahead."""
    path = tmp_path / "set.csv"
    rows = (f"e{n},{_md5(n)}\n" for n in range(3 * hashset_reader.GROUP_ENTRIES))
    path.write_text("id,md5\n" + "".join(rows), encoding="utf-8")
    monkeypatch.setattr(hashset_reader, "WORKER_MIN_BYTES", 0)
    hashset_reader.start_early(str(path))
    early = hashset_reader._early[str(path)]
    stream = hashset_reader.read_in_worker(str(path))
    assert str(path) not in hashset_reader._early
    assert multiprocessing.active_children() == [early.started()[0]]
    entries = list(one_at_a_time(stream.items))
    expected = [f"e{n}" for n in range(3 * hashset_reader.GROUP_ENTRIES)]
    assert [row[0] for _, row in entries] == expected  # type: ignore[misc]


class _Recorded:
    """What an import tells its progress: each step's total, and the amounts done."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}

    def start(self, stage: str, total: int) -> None:
        self.totals[stage] = total
        self.done[stage] = 0

    def advance(self, stage: str, amount: int = 1) -> None:
        self.done[stage] += amount


@pytest.mark.parametrize("by_worker", [False, True])
@pytest.mark.parametrize("kind", ["csv", "vics-cases"])
def test_the_import_tells_how_far_it_has_read(
    kind: str,
    by_worker: bool,
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every byte of the file, each time it is read, then the indexes."""
    if by_worker:
        monkeypatch.setattr(hashset_reader, "WORKER_MIN_BYTES", 0)
    path = WRITERS[kind](tmp_path)
    recorded = _Recorded()
    import_hash_set(workspace, path, name="s", progress=recorded)
    size = path.stat().st_size
    # On SQLite the CSV's repeated ids stop the direct writes: it is read again to be staged
    again = kind == "csv" and workspace.engine.dialect.name == "sqlite"
    read = {"Reading": size, **({"Reading again": size} if again else {})}
    assert {stage: recorded.totals[stage] for stage in read} == read
    assert {stage: recorded.done[stage] for stage in read} == read
    assert (recorded.totals["Indexing"], recorded.done["Indexing"]) == (1, 1)


@pytest.mark.parametrize(
    ("joined", "shapes"), [(100, [[7, "bad", 2], [7, 6]]), (2, [[3, 4, "bad", 2], [2, 5, 6]])]
)
def test_the_worker_joins_consecutive_batches_and_keeps_the_order(
    joined: int, shapes: list[list[object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group is sent once it holds GROUP_ENTRIES; batches join until other columns, an
    error, or JOINED_ENTRIES."""

    def batch(first: int, count: int, *, with_kind: bool = False) -> EntryBatch:
        numbers = range(first, first + count)
        columns: dict[str, list[object]] = {"entry_id": [f"e{n}" for n in numbers]}
        if with_kind:
            columns["kind"] = ["image"] * count
        return EntryBatch([f"line {n}" for n in numbers], columns)

    bad = InvalidInput("md5 must be 32 hex digits", path="set.csv", place="line 9")
    items: list[EntryBatch | InvalidInput] = [
        batch(0, 3), batch(3, 4), bad, batch(10, 2), batch(12, 2, with_kind=True),
        batch(14, 5, with_kind=True), batch(19, 6),
    ]  # fmt: skip
    monkeypatch.setattr(hashset_reader, "GROUP_ENTRIES", 10)
    monkeypatch.setattr(hashset_reader, "JOINED_ENTRIES", joined)
    receiving, sending = multiprocessing.Pipe(duplex=False)
    outbox = hashset_reader._Outbox(sending)
    for position, group in enumerate(hashset_reader._groups(iter(items))):
        outbox.put("items", position, group)
    outbox.close()
    sending.close()
    groups = []
    for number in range(len(shapes)):
        kind, position, payload = hashset_reader._unpickled(receiving.recv_bytes())
        assert (kind, position) == ("items", number)
        groups.append(payload)
    with pytest.raises(EOFError):  # nothing more was sent
        receiving.recv_bytes()
    sent = [item for group in groups for item in group]
    assert _comparable(sent) == _comparable(items)
    found = [[len(i.places) if isinstance(i, EntryBatch) else "bad" for i in g] for g in groups]
    assert found == shapes


def test_a_file_that_cannot_be_opened_is_refused_as_when_read_here(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text("id,name\ne1,x\n", encoding="utf-8")  # no hash column
    with pytest.raises(InvalidInput) as here, path.open("rb") as file:
        open_hash_set(file, path=str(path))
    with pytest.raises(InvalidInput) as by_worker:
        hashset_reader.read_in_worker(str(path))
    assert (by_worker.value.reason, by_worker.value.place) == (here.value.reason, here.value.place)
    assert multiprocessing.active_children() == []


def _comparable(items: list[EntryBatch | InvalidInput]) -> list[object]:
    """Entries one at a time, a bad one as its reason and place (an error is only equal to
    itself)."""
    return [
        (item.reason, item.place) if isinstance(item, InvalidInput) else item
        for item in one_at_a_time(items)
    ]
