"""The photo table built from read manifests, and the summary counts shown after reading."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from auditor.manifests.raw import RawManifest
from auditor.manifests.read import read_manifests
from auditor.photo_table import (
    PHOTO_COLUMNS,
    FileReport,
    TableSummary,
    build_photo_table,
    summarise,
)

Write = Callable[[str, str | bytes], Path]


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def one_row(**values: object) -> dict[str, object]:
    """The photo-table row built from one raw row."""
    raw = RawManifest(Path("m.csv"), "csv")
    raw.add(2, **values)
    table = build_photo_table([raw])
    assert len(table) == 1
    return {str(name): _plain(value) for name, value in table.iloc[0].items()}


def report(raw: RawManifest) -> FileReport:
    return FileReport(str(raw.path), raw.format, raw.rows, dict(raw.skipped), tuple(raw.notes))


# -- columns -------------------------------------------------------------------------------------


def test_first_eight_columns() -> None:
    assert PHOTO_COLUMNS[:8] == (
        "photo_id",
        "owner",
        "owner_name",
        "recorded_licence",
        "collected_at",
        "url",
        "source_file",
        "source_row",
    )
    assert len(set(PHOTO_COLUMNS)) == len(PHOTO_COLUMNS)


@pytest.mark.parametrize(
    "raws",
    [[], [RawManifest(Path("empty.csv"), "csv")]],
    ids=["no-manifest", "manifest-without-rows"],
)
def test_empty_table_has_every_column(raws: list[RawManifest]) -> None:
    table = build_photo_table(raws)
    assert list(table.columns) == list(PHOTO_COLUMNS)
    assert len(table) == 0
    assert table["source_row"].dtype == "int64"
    for name in PHOTO_COLUMNS:
        if name != "source_row":
            assert pd.api.types.is_string_dtype(table[name].dtype), name
    summary = summarise(table, [report(raw) for raw in raws])
    assert summary == TableSummary(
        files=len(raws),
        rows=0,
        photos=0,
        duplicates=0,
        no_photo_id=0,
        unknown_licence=0,
        no_licence=0,
        skipped={},
    )


def test_table_dtypes_and_source_columns() -> None:
    raw = RawManifest(Path("folder/m.jsonl"), "jsonl")
    raw.add(3, photo_ref=123, licence=4)
    raw.add(7, photo_ref="https://www.flickr.com/photos/jdoe/124")
    table = build_photo_table([raw])
    assert list(table.columns) == list(PHOTO_COLUMNS)
    assert table["source_row"].dtype == "int64"
    assert table["source_row"].tolist() == [3, 7]
    assert table["source_file"].tolist() == [str(Path("folder/m.jsonl"))] * 2
    assert table["source_format"].tolist() == ["jsonl", "jsonl"]
    # An id given as a number is the same string as one given as text.
    assert table["photo_id"].tolist() == ["123", "124"]
    # The URL column is the manifest's URL; a URL given as the id counts as one.
    assert [_plain(v) for v in table["url"]] == [None, "https://www.flickr.com/photos/jdoe/124"]


# -- photo ids, duplicates and summary counts ----------------------------------------------------


def test_summary_counts() -> None:
    raw = RawManifest(Path("m.csv"), "csv")
    raw.add(2, photo_ref="123", licence="4")
    raw.add(3, photo_ref="123", licence="4")  # duplicate
    raw.add(4, url="https://www.flickr.com/photos/jdoe/123/")  # duplicate, no licence
    raw.add(5, url="https://example.com/x.jpg", licence="cc-by-2.0")  # no photo id
    raw.add(6, photo_ref="0")  # no photo id
    raw.add(7, photo_ref="124", licence="not a licence")  # unresolved licence
    raw.add(8, photo_ref="125", licence="\\N")  # a NULL: nothing recorded
    raw.add(9, photo_ref="126", licence="0")  # all rights reserved is a licence
    raw.skipped["provider wikimedia"] += 2
    table = build_photo_table([raw])
    summary = summarise(table, [report(raw)])
    assert summary == TableSummary(
        files=1,
        rows=8,
        photos=4,
        duplicates=2,
        no_photo_id=2,
        unknown_licence=1,
        no_licence=3,
        skipped={"provider wikimedia": 2},
    )
    assert summary.lines() == [
        "1 file(s), 8 row(s), 4 distinct photo(s)",
        (
            "rows to look at: 2 duplicate(s), 2 without a Flickr photo id, 1 with an unresolved "
            "licence, 3 with no licence recorded"
        ),
        "skipped rows: 2 provider wikimedia",
    ]
    assert [_plain(v) for v in table["notes"]] == [
        None,
        None,
        None,
        "no Flickr photo id: not a Flickr URL",
        "no Flickr photo id: number is not a positive photo id",
        "licence 'not a licence' not recognised",
        None,
        None,
    ]


def test_several_files_in_one_call_are_one_table(write: Write) -> None:
    a = write("a.bin", "photo_id,license\n123,4\n124,5\n")
    b = write("b.bin", '{"photo_id": "124", "license": "5"}\n{"photo_id": "125"}\n')
    c = write("c.bin", "https://www.flickr.com/photos/jdoe/123\nhttps://example.com/x\n")
    table = read_manifests([a, b, c])
    photos = table.photos
    assert [
        (_plain(p), f, r) for p, f, r in photos[["photo_id", "source_file", "source_row"]].values
    ] == [
        ("123", str(a), 2),
        ("124", str(a), 3),
        ("124", str(b), 1),
        ("125", str(b), 2),
        ("123", str(c), 1),
        (None, str(c), 2),
    ]
    assert photos["source_format"].tolist() == ["csv", "csv", "jsonl", "jsonl", "urls", "urls"]
    assert [f.format for f in table.files] == ["csv", "jsonl", "urls"]
    assert [f.rows for f in table.files] == [2, 2, 2]
    assert table.summary() == TableSummary(
        files=3,
        rows=6,
        photos=3,
        duplicates=2,  # 124 in b and 123 in c were already seen in a
        no_photo_id=1,
        unknown_licence=0,
        no_licence=3,
        skipped={},
    )


def test_skipped_counts_add_up_across_files() -> None:
    a = RawManifest(Path("a.csv"), "openverse")
    a.skipped.update({"provider wikimedia": 2, "provider eol": 1})
    b = RawManifest(Path("b.csv"), "openverse")
    b.skipped.update({"provider wikimedia": 3})
    summary = summarise(build_photo_table([a, b]), [report(a), report(b)])
    assert summary.skipped == {"provider wikimedia": 5, "provider eol": 1}
    assert summary.lines()[-1] == "skipped rows: 1 provider eol, 5 provider wikimedia"


def test_fields_naming_different_photos_keep_the_first_with_a_note() -> None:
    row = one_row(photo_ref="127", url="https://www.flickr.com/photos/jdoe/128")
    assert row["photo_id"] == "127"
    assert row["notes"] == "other fields name photo 128"


def test_url_falls_back_to_the_second_url() -> None:
    row = one_row(alt_url="https://live.staticflickr.com/65535/49514337850_abc_o.jpg")
    assert (row["photo_id"], row["url"]) == (
        "49514337850",
        "https://live.staticflickr.com/65535/49514337850_abc_o.jpg",
    )


# -- owners --------------------------------------------------------------------------------------


def test_owner_nsid_preferred_over_alias() -> None:
    row = one_row(
        url="https://www.flickr.com/photos/jdoe/126",
        owner_ref="https://www.flickr.com/people/12345678@N01/",
    )
    assert (row["photo_id"], row["owner"], row["owner_kind"]) == ("126", "12345678@N01", "nsid")
    assert row["notes"] is None
    row = one_row(owner_ref="jdoe", url="https://www.flickr.com/photos/12345678@n01/126/")
    assert (row["owner"], row["owner_kind"]) == ("12345678@N01", "nsid")


def test_owner_alias_when_no_nsid() -> None:
    row = one_row(photo_ref="126", owner_ref="jdoe")
    assert (row["owner"], row["owner_kind"]) == ("jdoe", "alias")


def test_two_different_nsids_keep_the_first_with_a_note() -> None:
    row = one_row(
        photo_ref="124",
        owner_ref="12345678@N01",
        url="https://www.flickr.com/photos/87654321@N02/124",
    )
    assert (row["owner"], row["owner_kind"]) == ("12345678@N01", "nsid")
    assert row["notes"] == "owner differs between fields: 12345678@N01, 87654321@N02"


def test_no_owner_from_a_static_url() -> None:
    row = one_row(url="http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg")
    assert (row["photo_id"], row["owner"], row["owner_kind"]) == ("6255196340", None, None)


# -- recorded licences ---------------------------------------------------------------------------


def test_conflicting_recorded_licences_are_unknown_with_a_note() -> None:
    row = one_row(photo_ref="1", licence="4", licence_alt="CC BY-SA 2.0")
    assert row["recorded_licence"] == "unknown"
    assert row["recorded_licence_raw"] == "4 | CC BY-SA 2.0"
    assert (
        row["notes"]
        == "recorded licences disagree: '4' is cc-by-2.0, 'CC BY-SA 2.0' is cc-by-sa-2.0"
    )


def test_same_licence_with_a_ported_jurisdiction_keeps_the_port() -> None:
    row = one_row(
        photo_ref="1",
        licence="cc-by-nc-2.0",
        licence_alt="https://creativecommons.org/licenses/by-nc/2.0/jp/",
    )
    assert row["recorded_licence"] == "cc-by-nc-2.0-jp"
    assert row["notes"] is None


def test_agreeing_licences_resolve_without_a_note() -> None:
    row = one_row(
        photo_ref="1",
        licence="Attribution License",
        licence_alt="http://creativecommons.org/licenses/by/2.0/",
    )
    assert (row["recorded_licence"], row["notes"]) == ("cc-by-2.0", None)


def test_one_unresolvable_licence_uses_the_other_with_a_note() -> None:
    row = one_row(photo_ref="1", licence="gibberish", licence_alt="5")
    assert row["recorded_licence"] == "cc-by-sa-2.0"
    assert row["notes"] == "licence 'gibberish' not recognised; used '5'"


def test_only_a_second_licence_value() -> None:
    row = one_row(
        photo_ref="1", licence="", licence_alt="https://creativecommons.org/licenses/by/2.0/"
    )
    assert (row["recorded_licence"], row["notes"]) == ("cc-by-2.0", None)


def test_licence_code_and_version() -> None:
    row = one_row(photo_ref="1", licence_code="by-nc-nd", licence_version="2")
    assert (row["recorded_licence"], row["recorded_licence_raw"]) == (
        "cc-by-nc-nd-2.0",
        "by-nc-nd 2",
    )


def test_licence_raw_given_by_the_reader_is_kept() -> None:
    row = one_row(photo_ref="1", licence="4", licence_raw="4: Attribution License <url>")
    assert (row["recorded_licence"], row["recorded_licence_raw"]) == (
        "cc-by-2.0",
        "4: Attribution License <url>",
    )


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-01-02", "2019-01-02"),
        ("1557512401", "2019-05-10T18:20:01Z"),
        ("2018-11-09 10:31:06.910129+00", "2018-11-09T10:31:06.910129+00:00"),
        ("\\N", None),
    ],
)
def test_collection_dates_become_iso(value: str, expected: str | None) -> None:
    row = one_row(photo_ref="1", collected_at=value)
    assert (row["collected_at"], row["notes"]) == (expected, None)


def test_implausible_dates_are_dropped_with_a_note() -> None:
    row = one_row(photo_ref="1", collected_at="4501-01-01", uploaded_at="2003-12-31")
    assert (row["collected_at"], row["uploaded_at"]) == (None, None)
    assert row["notes"] == (
        "collection date: implausible date '4501-01-01' ignored; "
        "upload date: implausible date '2003-12-31' ignored"
    )


def test_unreadable_date_is_dropped_with_a_note() -> None:
    row = one_row(photo_ref="1", collected_at="last tuesday")
    assert row["collected_at"] is None
    assert row["notes"] == "collection date: unreadable date 'last tuesday'"


def test_row_notes_are_joined_in_order() -> None:
    row = one_row(
        notes="reader says so",
        url="https://example.com/x.jpg",
        licence="gibberish",
        collected_at="4501-01-01",
    )
    assert row["notes"] == (
        "reader says so; no Flickr photo id: not a Flickr URL; licence 'gibberish' not "
        "recognised; collection date: implausible date '4501-01-01' ignored"
    )


# -- text cleaning -------------------------------------------------------------------------------


def test_blank_and_null_text_is_missing() -> None:
    row = one_row(photo_ref=" 123 ", owner_name="  ", title="\\N")
    assert (row["photo_id"], row["owner_name"], row["title"]) == ("123", None, None)


def test_text_is_kept_as_written() -> None:
    row = one_row(photo_ref="1", title='=HYPERLINK("x") <b>émoji 📷</b>', owner_name=" Ann ")
    assert row["title"] == '=HYPERLINK("x") <b>émoji 📷</b>'
    assert row["owner_name"] == "Ann"


def test_url_falls_back_to_a_url_given_as_id_but_not_to_a_bare_value(write: Write) -> None:
    path = write("ids.csv", "photo_id\n124.0\nhttps://flic.kr/p/2i1si16\n")
    photos = read_manifests([path]).photos
    assert pd.isna(photos["url"].iloc[0])
    assert photos["url"].iloc[1] == "https://flic.kr/p/2i1si16"


def test_two_different_aliases_are_noted(write: Write) -> None:
    path = write("own.csv", "url,owner\nhttps://www.flickr.com/photos/alice/7088065,bob\n")
    row = read_manifests([path]).photos.iloc[0]
    assert (row.owner, row.owner_kind) == ("bob", "alias")
    assert "owner differs between fields: bob, alice" in row.notes
