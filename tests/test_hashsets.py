"""Hash sets (VICS 1.x and 2.0, NCMEC hash sharing v2, CSV) read field by field, categories kept
in their own scheme, malformed input refused with its place, and VICS written and read back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import amparo.formats.hashsets as hashsets
from amparo.errors import ExportError, InvalidInput, UnsafeInput
from amparo.formats.hashsets import read_hash_set
from amparo.formats.hashsets.csv_set import read_csv_set
from amparo.formats.hashsets.vics import VicsMedia, write_vics
from amparo.model import Category, HashSetFile, KnownEntry

FIXTURES = Path(__file__).parent / "fixtures" / "hashsets"
PHOTODNA_1 = (
    "UoHEb9qrazme7UqZXJPoSl3NTV0jB3ovpLRuMmUN8LaVEdkRQvGNGvYJTmpA7ShkDGbtYvCpMkw/SxFiB/hYHD2T0r7NR"
    "UByD4qw8+pJ3PrxId4DiGLAp2TmWa7NnUFh9eE3BdrlML5xnmGQjysvy5t9AJ5jVFzPo5Qj6NuOKQsEpGxNRQqvN3V7mAB3"
    "LXkF"
)
PHOTODNA_2 = (
    "WSSlJYnsfRluBafmDtY7hgrXnTpG+Fy22jz6du7O/eS4HAfQgoMX4k23ijqBI8sWCZswx86fRCtREDXsQlqMLVXs6q80xL"
    "AZJLGTJkBol5e8qUWVAVzDMhgCWGjiuqOy+d9KAVZybymtmmDGcJYU3j61+PJGyJOxycmIGbdwrZ9Qk2JJd/KaO25c3vs2"
    "eTuH"
)
VICS_2_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#Cases"
MD5 = "9995d4d79fc1caa10042118539c621c2"


def _read(name: str) -> HashSetFile:
    return read_hash_set((FIXTURES / name).read_bytes(), path=name)


def _vics(media: list[dict[str, object]], scheme: str = "US") -> bytes:
    document = {"@odata.context": VICS_2_CONTEXT.format(scheme), "value": [{"Media": media}]}
    return json.dumps(document).encode()


@pytest.fixture(scope="module")
def vics1() -> HashSetFile:
    return _read("vics-1.3.json")


@pytest.fixture(scope="module")
def vics2() -> HashSetFile:
    return _read("vics-2.0.json")


@pytest.fixture(scope="module")
def ncmec() -> HashSetFile:
    return _read("ncmec-v2.xml")


@pytest.fixture(scope="module")
def csv_set() -> HashSetFile:
    return _read("subset.csv")


@pytest.mark.parametrize(
    ("name", "format_", "version"),
    [
        ("vics-1.3.json", "vics", "1.3"),
        ("vics-2.0.json", "vics", "2.0"),
        ("ncmec-v2.xml", "ncmec-hashsharing", "v2"),
        ("subset.csv", "csv", None),
    ],
)
def test_format_is_detected(name: str, format_: str, version: str | None) -> None:
    hash_set = _read(name)
    assert (hash_set.format, hash_set.version) == (format_, version)


def test_vics_1_media_list_fully_described(vics1: HashSetFile) -> None:
    first = vics1.entries[0]
    assert first.entry_id == "1"
    assert first.kind == "image"
    assert first.md5 == "b4af724b256a7482b043899e343551de"
    assert first.sha1 == "8d0c7ecf1d1d03bdd703a4f6a45829f79356b61b"
    assert (first.sha256, first.pdq) == (None, None)
    assert first.photodna == PHOTODNA_1
    assert first.category == Category("vics-us", "1")
    assert first.series == "Sunset series"
    assert first.deleted is False
    assert first.details["MediaSize"] == 2835
    assert first.details["MediaFiles"][0]["FilePath"] == "\\DCIM\\100TEST\\IMG_0001.jpg"
    assert first.details["Tags"] == "beach|sunset"
    assert first.details["IsPrecategorized"] == "false"
    assert "CaseID" not in first.details


def test_vics_flags_as_strings_booleans_or_missing(vics1: HashSetFile, vics2: HashSetFile) -> None:
    flags = [
        (entry.victim_identified, entry.offender_identified, entry.is_distributed)
        for entry in (*vics1.entries, vics2.entries[0])
    ]
    assert flags == [
        (True, False, True),  # "true", "false", "True"
        (False, True, None),  # booleans, missing
        (None, None, None),
        (True, False, True),  # boolean, "false", "true"
    ]


def test_vics_media_without_any_hash_is_kept_for_the_importer(vics1: HashSetFile) -> None:
    hashless = vics1.entries[2]
    assert hashless.entry_id == "3"
    assert (hashless.md5, hashless.sha1, hashless.sha256, hashless.pdq, hashless.photodna) == (
        (None,) * 5
    )
    assert hashless.category == Category("caid-uk", "B")


def test_vics_2_case_media_with_alternative_hashes(vics2: HashSetFile) -> None:
    first = vics2.entries[0]
    assert first.entry_id == "1"
    assert first.kind == "image"
    assert first.md5 == "c2446fd6b566e0d9927df105e57a0327"
    assert first.sha1 == "43dec4a775d0cff617166db76383744324df9757"
    assert first.sha256 == "f06e2a32155cdbe67c4c65510dde59edefc5bbb3dac4bc03cd85c47b04a9348e"
    assert first.pdq == "4df00c76b439bddd926274d43363d243ba14cdedbb1bb196dc750c477a215f6a"
    assert first.photodna is None
    assert first.series == "Lighthouse"
    assert first.details["CaseID"] == "3f1c2a8e-0d4b-4c6e-9a71-5b2e8d9c0f13"
    assert first.details["MediaSize"] == 12345
    assert [f["FileName"] for f in first.details["MediaFiles"]] == [
        "lighthouse.png",
        "copy of lighthouse.png",
    ]


def test_vics_2_video_and_photodna_only_media(vics2: HashSetFile) -> None:
    video, photodna_only = vics2.entries[1:]
    assert (video.entry_id, video.kind, video.series) == ("2", "video", None)
    assert video.md5 == "fece1d9dd3456910d7de578b3a29926d"
    assert video.sha256 == "593e2e4a841978dfe472eece5bbfef0fa6f936af0d80ea88773420739413282e"
    assert video.category == Category("vics-us", "3")
    assert (photodna_only.entry_id, photodna_only.md5) == ("4", None)
    assert photodna_only.photodna == PHOTODNA_2
    assert photodna_only.category == Category("vics-us", "0")


def test_ncmec_image_with_all_fingerprints(ncmec: HashSetFile) -> None:
    image = ncmec.entries[0]
    assert image.entry_id == "42-img-1001"
    assert (image.kind, image.deleted) == ("image", False)
    assert image.category == Category("ncmec-industry", "A1")
    assert image.md5 == "0dcb0b966a53c5ac76986c80a6a542e4"
    assert image.sha1 == "a9686802659989f21c8570c520a17e023eb5a585"
    assert image.pdq == "2854e88fe904de797dd191b574474b66d8d5ce31fc0030cbe5402dec7c80250c"
    assert image.photodna == PHOTODNA_1
    assert image.details["id"] == "img-1001"
    assert image.details["member"] == {"@id": "42", "#text": "Example Platform"}
    assert image.details["timestamp"] == "2026-01-12T10:00:00Z"
    feedback = image.details["feedback"]["affirmativeFeedback"]
    assert feedback["members"]["member"] == {"@id": "7", "#text": "Another Platform"}


def test_ncmec_pdq_only_image_and_video_with_linked_fingerprints(ncmec: HashSetFile) -> None:
    pdq_only, video = ncmec.entries[1], ncmec.entries[3]
    assert pdq_only.pdq == "07d632f6b2114bac4840c87210a553ad1dd58749b00b61be8717a666ccb24776"
    assert pdq_only.category == Category("ncmec-industry", "B2")
    assert (video.entry_id, video.kind) == ("42-vid-2001", "video")
    assert video.md5 == "bea8be3d453faeda29d1865daf7b5ed2"
    assert video.category == Category("ncmec", "E")
    assert video.details["fingerprints"]["tmk-pdqf"]["@href"].endswith("/TMK_PDQF")
    assert "videntifier" in video.details["fingerprints"]


def test_ncmec_deletions_come_out_as_deleted_entries(ncmec: HashSetFile) -> None:
    deleted = [(e.entry_id, e.kind) for e in ncmec.entries if e.deleted]
    assert deleted == [("43-img-0990", "image"), ("42-vid-1999", "video")]
    withdrawn = ncmec.entries[2]
    assert (withdrawn.md5, withdrawn.pdq, withdrawn.category) == (None, None, None)


def test_ncmec_keeps_document_order_so_a_later_deletion_wins() -> None:
    md5 = f"<fingerprints><md5>{MD5}</md5></fingerprints>"
    data = (
        "<queryResult><images>"
        f"<image><member id='1'/><id>a</id>{md5}</image>"
        "<deletedImage><member id='1'/><id>b</id></deletedImage>"
        f"<image><member id='1'/><id>b</id>{md5}</image>"
        "<deletedImage><member id='1'/><id>a</id></deletedImage>"
        "</images><videos>"
        f"<video><member id='1'/><id>v</id>{md5}</video>"
        "<deletedVideo><member id='1'/><id>v</id></deletedVideo>"
        "</videos></queryResult>"
    )
    entries = read_hash_set(data.encode(), path="order.xml").entries
    assert [(e.entry_id, e.deleted) for e in entries] == [
        ("1-a", False),
        ("1-b", True),
        ("1-b", False),
        ("1-a", True),
        ("1-v", False),
        ("1-v", True),
    ]
    final: dict[str, bool] = {}
    for entry in entries:
        final[entry.entry_id] = entry.deleted
    assert final == {"1-a": True, "1-b": False, "1-v": True}


def test_nul_characters_are_removed_from_text_and_details() -> None:
    media = [
        {
            "MediaID": "7\x00",
            "MD5": MD5,
            "Series": "light\x00house",
            "Comments": "seen\x00 twice",
            "Tags": ["a\x00b", {"k\x00": "v\x00"}],
        }
    ]
    (entry,) = read_hash_set(_vics(media), path="nul.json").entries
    assert entry.entry_id == "7"
    assert entry.series == "lighthouse"
    assert entry.details["Comments"] == "seen twice"
    assert entry.details["Tags"] == ["ab", {"k": "v"}]
    assert "\x00" not in json.dumps(entry.details)
    csv_entry = read_csv_set(f"md5,note\n{MD5},x\x00y\n".encode(), path="nul.csv").entries[0]
    assert csv_entry.details == {"note": "xy"}


def test_nul_removal_never_merges_two_detail_keys() -> None:
    entry = KnownEntry("e", details={"a": 1, "a\x00": 2})
    assert hashsets.nul_free_entry(entry).details == {"a": 1, "a\ufffd": 2}


def test_ncmec_without_namespace_reads_the_same() -> None:
    data = (FIXTURES / "ncmec-v2.xml").read_bytes()
    plain = data.replace(b' xmlns="https://hashsharing.ncmec.org/hashsharing/v2"', b"")
    hash_set = read_hash_set(plain, path="plain.xml")
    assert hash_set.version is None
    assert hash_set.entries == _read("ncmec-v2.xml").entries


def test_csv_subset_of_columns(csv_set: HashSetFile) -> None:
    first, unnamed, pdq_with_quality = csv_set.entries
    assert first == KnownEntry(
        entry_id="ref-1",
        md5=MD5,
        pdq="a8dfb0ddfd90493f188c9ee96d0cfa6c21f586e420f71d0d2f31a4549878ba38",
        category=Category("vics-us", "1"),
        victim_identified=True,
        details={"source": "partner hotline"},
    )
    assert unnamed.entry_id == "line-4"
    assert (unnamed.md5, unnamed.pdq) == ("f73a58e5df66d4d41b907bdacee7c5ad", None)
    assert unnamed.category == Category("caid-uk", "B")
    assert unnamed.victim_identified is None
    assert pdq_with_quality.pdq == (
        "0b55c438cddd19a330af347eb865a2652b8da1f64e949d49ab59e464a4cefadf"
    )
    assert pdq_with_quality.details == {"pdq_quality": 87}
    assert pdq_with_quality.category == Category("ncmec-industry", "A2")
    assert pdq_with_quality.victim_identified is False


def test_categories_keep_their_schemes(
    vics1: HashSetFile, vics2: HashSetFile, ncmec: HashSetFile, csv_set: HashSetFile
) -> None:
    entries = [*vics1.entries, *vics2.entries, *ncmec.entries, *csv_set.entries]
    schemes = {entry.category.scheme for entry in entries if entry.category}
    assert schemes == {"vics-us", "caid-uk", "ncmec-industry", "ncmec"}


def test_vics_uk_numbers_are_kept_under_their_own_scheme() -> None:
    hash_set = read_hash_set(_vics([{"MediaID": 1, "Category": 1, "MD5": MD5}], "UK"), path="uk")
    assert hash_set.entries[0].category == Category("vics-uk", "1")


def test_vics_media_ids_get_the_case_when_several_cases() -> None:
    media = [{"MediaID": 1, "MD5": MD5}]
    document = {
        "@odata.context": VICS_2_CONTEXT.format("US"),
        "value": [{"CaseID": "a", "Media": media}, {"Media": media}],
    }
    hash_set = read_hash_set(json.dumps(document).encode(), path="two-cases.json")
    assert [entry.entry_id for entry in hash_set.entries] == ["a/1", "case-1/1"]
    assert [entry.details.get("CaseID") for entry in hash_set.entries] == ["a", None]


def test_csv_with_quoted_header_is_detected() -> None:
    hash_set = read_hash_set(f'"ID","MD5"\n"a","{MD5}"\n'.encode(), path="quoted.csv")
    assert [(e.entry_id, e.md5) for e in hash_set.entries] == [("a", MD5)]


def test_unrecognised_format_says_what_it_saw() -> None:
    with pytest.raises(InvalidInput, match=r"not a hash set.*'hello") as caught:
        read_hash_set(b"hello,world\n1,2\n", path="notes.txt")
    assert caught.value.place == "line 1"


def test_json_that_is_not_vics() -> None:
    with pytest.raises(InvalidInput, match=r"odata\.metadata.*@odata\.context") as caught:
        read_hash_set(b'{"value": []}', path="other.json")
    assert caught.value.place == "top level"


def test_xml_that_is_not_ncmec() -> None:
    with pytest.raises(InvalidInput, match="root is <status>") as caught:
        read_hash_set(b"<?xml version='1.0'?>\n<status/>", path="status.xml")
    assert caught.value.place == "line 2"


def test_vics_bad_json_names_line_and_column() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON") as caught:
        read_hash_set(b'{"@odata.context": "x",\n  "value": [}', path="broken.json")
    assert caught.value.place == "line 2, column 13"


@pytest.mark.parametrize(
    ("media", "place", "message"),
    [
        ({"MediaID": 1, "MD5": "xyz"}, "value[0].Media[0].MD5", "md5 must be 32 hex"),
        (
            {"MediaID": 1, "MD5": MD5, "IsDistributed": "maybe"},
            "value[0].Media[0].IsDistributed",
            "IsDistributed must be true or false",
        ),
        (
            {"MediaID": 1, "MD5": MD5, "Category": "Z"},
            "value[0].Media[0].Category",
            "neither a VICS number nor a CAID letter",
        ),
        ({"MD5": MD5}, "value[0].Media[0]", "without a MediaID"),
        (
            {"MediaID": 1, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "ab"}]},
            "value[0].Media[0].AlternativeHashes[0].HashValue",
            "pdq must be 64 hex",
        ),
    ],
)
def test_vics_malformed_media_names_its_place(
    media: dict[str, object], place: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        read_hash_set(_vics([media]), path="bad.json")
    assert caught.value.place == place


def test_vics_media_id_given_twice() -> None:
    media = [{"MediaID": 7, "MD5": MD5}, {"MediaID": "7"}]
    with pytest.raises(InvalidInput, match="MediaID '7' given twice") as caught:
        read_hash_set(_vics(media), path="twice.json")
    assert caught.value.place == "value[0].Media[1]"


@pytest.mark.parametrize(
    ("text", "place", "message"),
    [
        (f"id,md5\na,{MD5}\nb,{MD5[:-1]}g\n", "line 3", "md5 must be 32 hex digits"),
        (f"md5,sha1\n{MD5}\n", "line 2", "1 fields where the header has 2"),
        ("md5,series\n,lighthouse\n", "line 2", "row without any hash"),
        (f"md5,category_code\n{MD5},1\n", "line 2", "without a category_scheme"),
        (f"md5,category_scheme\n{MD5},vics-us\n", "line 2", "without a category_code"),
        (
            f"md5,category_scheme,category_code\n{MD5},vics-us,1\n{MD5},caid-uk,\n",
            "line 3",
            "category_scheme 'caid-uk' without a category_code",
        ),
        (f"md5,is_distributed\n{MD5},often\n", "line 2", "is_distributed must be true or false"),
        (f"id,md5\nx,{MD5}\nx,{MD5}\n", "line 3", "id 'x' given twice"),
        ("id,series\nx,y\n", "line 1", "header names no hash column"),
        ("md5,MD5\n", "line 1", "header repeats md5"),
    ],
)
def test_csv_bad_row_fails_the_whole_file(text: str, place: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        read_csv_set(text.encode(), path="bad.csv")
    assert caught.value.place == place


def test_ncmec_doctype_is_refused() -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY x "y">]>\n<queryResult/>'
    with pytest.raises(UnsafeInput, match="DOCTYPE") as caught:
        read_hash_set(data, path="evil.xml")
    assert caught.value.place == "line 2"


@pytest.mark.parametrize(
    ("entry", "place", "message"),
    [
        ("<image><classification>A1</classification></image>", "line 3", "without an <id>"),
        (
            "<image><id>i</id><fingerprints>\n<md5>123</md5></fingerprints></image>",
            "line 4",
            "md5 must be 32 hex digits",
        ),
        ("<picture><id>i</id></picture>", "line 3", "unexpected <picture> in <images>"),
    ],
)
def test_ncmec_malformed_entry_names_its_line(entry: str, place: str, message: str) -> None:
    data = f"<?xml version='1.0'?>\n<queryResult><images>\n{entry}\n</images></queryResult>"
    with pytest.raises(InvalidInput, match=message) as caught:
        read_hash_set(data.encode(), path="bad.xml")
    assert caught.value.place == place


def test_oversized_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashsets, "MAX_HASH_SET_BYTES", 64)
    with pytest.raises(UnsafeInput, match="byte limit"):
        _read("subset.csv")


EXPORTED = (
    VicsMedia(
        media_id="12",
        md5="C2446FD6B566E0D9927DF105E57A0327",
        sha1="43dec4a775d0cff617166db76383744324df9757",
        sha256="f06e2a32155cdbe67c4c65510dde59edefc5bbb3dac4bc03cd85c47b04a9348e",
        pdq="4df00c76b439bddd926274d43363d243ba14cdedbb1bb196dc750c477a215f6a",
        category=Category("vics-us", "1"),
        series="Lighthouse",
        is_distributed=True,
        victim_identified=False,
        offender_identified=None,
        size=12345,
        files=(("lighthouse.png", "/sdcard/DCIM/lighthouse.png"), ("a.png", "/tmp/a.png")),
    ),
    VicsMedia(media_id="3", md5=MD5, sha1=None, category=Category("vics-us", "0")),
)


def test_vics_round_trip_through_the_writer() -> None:
    read_back = read_hash_set(write_vics(EXPORTED, case_name="OP-TEST"), path="out.json")
    assert (read_back.format, read_back.version) == ("vics", "2.0")
    assert len(read_back.entries) == len(EXPORTED)
    for media, entry in zip(EXPORTED, read_back.entries, strict=True):
        assert entry.entry_id == media.media_id
        assert (entry.md5, entry.sha1) == (media.md5.lower(), media.sha1)
        assert (entry.sha256, entry.pdq, entry.category) == (
            media.sha256,
            media.pdq,
            media.category,
        )
        assert (entry.series, entry.is_distributed) == (media.series, media.is_distributed)
        assert (entry.victim_identified, entry.offender_identified) == (
            media.victim_identified,
            media.offender_identified,
        )
        assert entry.details.get("MediaSize") == media.size
        files = [(f["FileName"], f["FilePath"]) for f in entry.details.get("MediaFiles", [])]
        assert tuple(files) == media.files


def test_vics_writer_output_is_deterministic_with_numbers_and_booleans() -> None:
    data = write_vics(EXPORTED, case_name="OP-TEST")
    assert data == write_vics(list(EXPORTED), case_name="OP-TEST")
    document = json.loads(data)
    assert document["@odata.context"] == VICS_2_CONTEXT.format("US")
    first = document["value"][0]["Media"][0]
    assert (first["MediaID"], first["Category"], first["IsDistributed"]) == (12, 1, True)
    assert "OffenderIdentified" not in first
    assert document["value"][0]["CaseNumber"] == "OP-TEST"


@pytest.mark.parametrize(
    ("media", "message"),
    [
        (VicsMedia("1", MD5, None, category=Category("caid-uk", "A")), "US categories only"),
        (VicsMedia("1", "abc", None), "invalid md5"),
        (VicsMedia("1", MD5, None, pdq="00"), "invalid pdq"),
    ],
)
def test_vics_writer_refuses_what_it_cannot_write_faithfully(
    media: VicsMedia, message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        write_vics([media], case_name="OP-TEST")


def test_vics_writer_refuses_repeated_media_ids() -> None:
    with pytest.raises(ExportError, match="more than once: 1"):
        write_vics([VicsMedia("1", MD5, None), VicsMedia("1", MD5, None)], case_name="OP-TEST")


def test_vics_writer_checks_repeated_ids_in_linear_time() -> None:
    media = [VicsMedia(str(index), MD5, None) for index in range(30_000)]
    media += [VicsMedia("5", MD5, None), VicsMedia("77", MD5, None)]
    started = time.perf_counter()
    with pytest.raises(ExportError, match=r"more than once: 5, 77$"):
        write_vics(media, case_name="OP-TEST")
    assert time.perf_counter() - started < 5  # the quadratic check took about 20 s here
