"""Opt-out lists (`auditor.optouts`): removal requests and plain lists read, every refusal one
line naming the file and the line or key, and the join onto the photo table."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from removal_requests import CREATED, removal_request

from auditor.errors import AuditorError
from auditor.limits import InputLimits, using
from auditor.optouts import (
    OptOutBook,
    OptOutEntry,
    OptOutError,
    flickr_owners,
    load_book,
    load_opt_outs,
    parse_entry,
)

ROOT = Path(__file__).resolve().parents[1]


def request(**changes: Any) -> dict[str, Any]:
    """Spike's request for two photos: one they took, one they are in."""
    document = removal_request(["53100000001", "53100000002"], alias="spike_yun", **changes)
    if isinstance(document["photos"], list) and len(document["photos"]) == 2:
        document["photos"][1]["relation"] = "featured"
    return document


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def photos(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    columns = ["photo_id", "owner", "url", "source_file", "source_row"]
    data: dict[str, Any] = {
        name: pd.Series([row.get(name) for row in rows], dtype="str") for name in columns[:-1]
    }
    data["source_row"] = pd.Series(range(2, len(rows) + 2), dtype="int64")
    return pd.DataFrame(data)


# -- removal requests -----------------------------------------------------------------------------


def test_a_removal_request_opts_out_its_photos_by_id(tmp_path: Path) -> None:
    read = load_opt_outs(write_json(tmp_path / "removal-request.json", request()))
    assert read.kind == "removal request"
    assert read.name == "removal-request.json"
    assert read.created_at == CREATED
    assert [entry.photo_id for entry in read.entries] == ["53100000001", "53100000002"]
    assert all(entry.owner is None for entry in read.entries)  # by photo id only
    assert read.label(read.entries[0]) == f"removal request removal-request.json of {CREATED}"


def test_the_requests_built_here_are_valid_by_the_json_schema() -> None:
    """The reader's tests and the producer's schema (docs/removal-request.schema.json) agree."""
    schema = json.loads((ROOT / "docs" / "removal-request.schema.json").read_text("utf-8"))
    jsonschema.validate(request(), schema)
    jsonschema.validate(removal_request(["1"]), schema)
    assert set(schema["required"]) == set(REQUIRED)
    assert set(schema["properties"]["photos"]["items"]["required"]) == set(PHOTO_REQUIRED)


def test_unknown_keys_are_ignored_and_no_photos_is_a_valid_request(tmp_path: Path) -> None:
    document = request(photos=[], future_key={"x": 1})
    document["requester"]["another"] = True
    assert load_opt_outs(write_json(tmp_path / "r.json", document)).entries == ()


REQUIRED = [
    "schema_version",
    "kind",
    "created_at",
    "requester",
    "grounds",
    "use",
    "dataset",
    "photos",
]
PHOTO_REQUIRED = ["photo_id", "relation", "page_url", "manifests"]


@pytest.mark.parametrize("key", REQUIRED)
def test_a_missing_key_is_one_line_naming_the_file_and_key(tmp_path: Path, key: str) -> None:
    document = request()
    del document[key]
    path = write_json(tmp_path / "removal-request.json", document)
    with pytest.raises(OptOutError) as error:
        load_opt_outs(path)
    message = str(error.value)
    assert message.startswith(f"{path}: removal request key {key}: missing")
    assert "\n" not in message


@pytest.mark.parametrize("key", PHOTO_REQUIRED)
def test_a_photo_missing_a_key_names_it(tmp_path: Path, key: str) -> None:
    document = request()
    del document["photos"][1][key]
    with pytest.raises(OptOutError, match=rf"key photos\[1\]\.{key}: missing"):
        load_opt_outs(write_json(tmp_path / "r.json", document))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"schema_version": 2}, "schema_version is 2; this flickr-audit reads schema_version 1"),
        ({"schema_version": "1"}, "key schema_version: is text, not an integer"),
        ({"schema_version": True}, "key schema_version: is true/false, not an integer"),
        ({"kind": "flickr-audit exposure"}, "key kind: is 'flickr-audit exposure'"),
        ({"created_at": "2026-12-03"}, "key created_at: '2026-12-03' is not a UTC time"),
        ({"created_at": "2026-13-40T12:40:00Z"}, "key created_at:"),
        ({"created_at": 1733229600}, "key created_at: is an integer, not text"),
        ({"requester": []}, "key requester: is a list, not an object"),
        ({"requester": {"identifiers": []}}, "key requester.query: missing"),
        (
            {"requester": {"query": "x", "identifiers": [{"kind": "email", "value": "x"}]}},
            "identifiers[0].kind",
        ),
        ({"requester": {"query": "x", "identifiers": ["spike"]}}, "identifiers[0]: is text"),
        ({"grounds": "gdpr"}, "key grounds: is text, not a list"),
        ({"grounds": [1]}, "key grounds[0]: is an integer"),
        ({"use": 3}, "key use: is an integer, not text or null"),
        ({"dataset": {"files": []}}, "key dataset.manifests: missing"),
        ({"photos": {}}, "key photos: is an object, not a list"),
        ({"photos": [7]}, "key photos[0]: is an integer, not an object"),
    ],
)
def test_a_wrong_request_is_refused(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    path = write_json(tmp_path / "removal-request.json", request(**change))
    with pytest.raises(OptOutError) as error:
        load_opt_outs(path)
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("photo_id", "relation"),
    [
        (53100000001, "owner"),  # a number, not the decimal string
        ("0531", "owner"),
        ("53100000001.0", "owner"),
        ("https://flic.kr/p/abc", "owner"),
        ("53100000001", "creator"),
    ],
)
def test_a_wrong_photo_entry_is_refused(tmp_path: Path, photo_id: object, relation: str) -> None:
    document = request()
    document["photos"][0].update(photo_id=photo_id, relation=relation)
    with pytest.raises(OptOutError, match=r"key photos\[0\]\.(photo_id|relation)"):
        load_opt_outs(write_json(tmp_path / "r.json", document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"schema_version": 1,', "r.json:1: not JSON"),
        ("[1, 2]", "a removal request is a JSON object, this is a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_what_is_no_json_object_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(OptOutError, match=expected):
        load_opt_outs(path)


# -- plain lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "photo_id", "owner"),
    [
        ("7088065", "7088065", None),
        ("https://www.flickr.com/photos/spike_yun/53100000001/in/album-1/", "53100000001", None),
        ("https://live.staticflickr.com/65535/53100000001_0123456789_b.jpg", "53100000001", None),
        ("https://flic.kr/p/2oU", "4692", None),
        ("132051449@n06", None, "132051449@N06"),
        ("spike_yun", None, "spike_yun"),
        ("https://www.flickr.com/photos/spike_yun/", None, "spike_yun"),
        ("https://www.flickr.com/people/132051449@N06/", None, "132051449@N06"),
    ],
)
def test_an_entry_is_a_photo_or_an_owner(
    text: str, photo_id: str | None, owner: str | None
) -> None:
    assert parse_entry(text) == OptOutEntry(photo_id, owner)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.flickr.com/photos/spike_yun/albums/72157", "album URL"),
        ("Jeong Vin, Yoon", "a username cannot be matched"),
        ("0123", "leading zeros"),
        ("https://example.com/cat.jpg", "not a Flickr URL"),
    ],
)
def test_an_entry_that_names_neither_says_why(text: str, expected: str) -> None:
    problem = parse_entry(text)
    assert isinstance(problem, str) and expected in problem


def test_a_text_list_skips_blank_lines_and_comments_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "opt-outs.txt"
    path.write_text(
        "# photos people asked us to remove\n\n7088065\n  # indented comment\n"
        "https://www.flickr.com/photos/spike_yun/\r\n132051449@N06\n"
    )
    read = load_opt_outs(path)
    assert read.kind == "opt-out list"
    assert [(e.line, e.photo_id, e.owner) for e in read.entries] == [
        (3, "7088065", None),
        (5, None, "spike_yun"),
        (6, None, "132051449@N06"),
    ]
    assert read.label(read.entries[0]) == "opt-out list opt-outs.txt line 3"
    assert read.label(read.entries[1]) == "opt-out list opt-outs.txt line 5 (owner spike_yun)"


def test_a_bad_line_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("7088065\n\nhttps://www.flickr.com/photos/x/albums/1\n")
    with pytest.raises(OptOutError) as error:
        load_opt_outs(path)
    assert str(error.value).startswith(f"{path}:3: ")
    assert "album URL" in str(error.value)


def test_an_empty_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# nothing yet\n\n")
    with pytest.raises(OptOutError, match="names no photo and no owner"):
        load_opt_outs(path)


def test_a_csv_with_photo_owner_and_date_columns(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "# exported from the ticket system\n"
        "Ticket,Photo URL,Owner NSID,Date Requested\n"
        "T-1,https://www.flickr.com/photos/a/7088065/,11111111@N01,2026-11-02\n"
        "T-2,,22222222@N02,\n"
        '"T-3, ""urgent""",7088066,,2026-11-05T09:00:00Z\n'
        ",,,\n"
    )
    read = load_opt_outs(path)
    assert [(e.line, e.photo_id, e.owner, e.date) for e in read.entries] == [
        (3, "7088065", None, "2026-11-02"),  # a photo column names the photo, not its owner
        (4, None, "22222222@N02", None),  # only an empty photo cell names the owner
        (5, "7088066", None, "2026-11-05T09:00:00Z"),
    ]
    assert read.label(read.entries[0]) == "opt-out list requests.csv line 3 of 2026-11-02"


def test_a_tsv_and_a_txt_with_a_known_header_are_tables(tmp_path: Path) -> None:
    tsv = tmp_path / "ids.tsv"
    tsv.write_text("photo_id\tnote\n7088065\tasked by mail\n")
    assert [e.photo_id for e in load_opt_outs(tsv).entries] == ["7088065"]
    txt = tmp_path / "export.txt"
    txt.write_text("owner,reason\nspike_yun,gdpr\n")
    assert [e.owner for e in load_opt_outs(txt).entries] == ["spike_yun"]


def test_a_multi_line_record_keeps_the_line_it_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text('note,photo_id\n"two\nlines",1\n"x",2\n"y",https://x.example/\n')
    with pytest.raises(OptOutError, match=r"ids\.csv:5: "):
        load_opt_outs(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,comment\nalice,hi\n", r"list\.csv:1: no column of photo ids, photo URLs or owners"),
        ("photo_id,date\n1,yesterday\n", r"list\.csv:2: date 'yesterday' is not an ISO date"),
        ("photo_id,owner,note\n,,x\n", r"list\.csv:2: the row names no photo and no owner"),
        ("photo_id\nnot a photo\n", r"list\.csv:2: 'not a photo': not a photo id"),
        ('photo_id\n"unclosed\n', r"list\.csv:2: "),
    ],
)
def test_a_csv_that_cannot_be_used_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text)
    with pytest.raises(OptOutError, match=expected) as error:
        load_opt_outs(path)
    assert "\n" not in str(error.value)


def test_a_csv_unreadable_by_the_csv_module_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("photo_id\n" + "x" * 200_000 + "\n")  # over csv's field size limit
    with pytest.raises(OptOutError, match=r"list\.csv:2: "):
        load_opt_outs(path)


# -- hostile files --------------------------------------------------------------------------------


def test_a_huge_file_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("7088065\n" * 2000)
    with using(InputLimits(opt_out_file=1024)), pytest.raises(AuditorError) as error:
        load_opt_outs(path)
    assert str(error.value).startswith(f"{path}: the opt-out list is larger than 1 KiB")
    assert "--limit opt-out-file=VALUE" in str(error.value)


def test_dev_zero_is_bounded() -> None:
    with using(InputLimits(opt_out_file=4096)), pytest.raises(AuditorError, match="larger than"):
        load_opt_outs("/dev/zero")


@pytest.mark.parametrize("where", ["missing.txt", "."])
def test_an_unreadable_path_is_one_line(tmp_path: Path, where: str) -> None:
    with pytest.raises(OptOutError, match="cannot read the opt-out list"):
        load_opt_outs(tmp_path / where)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"7088065\n\xff\xfe\n")
    with pytest.raises(OptOutError, match=r"list\.txt:2: not UTF-8"):
        load_opt_outs(path)


def test_terminal_controls_in_a_file_name_never_reach_a_label(tmp_path: Path) -> None:
    path = tmp_path / "evil\x1b]0;pwned\x07\u202e.txt"
    path.write_text("7088065\n")
    read = load_opt_outs(path)
    label = read.label(read.entries[0])
    assert "\x1b" not in label and "\x07" not in label and "\u202e" not in label
    assert label.startswith("opt-out list evil")


def test_terminal_controls_in_an_entry_are_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("7088065\n\x1b[2Jjunk entry\n")
    with pytest.raises(OptOutError) as error:
        load_opt_outs(path)
    assert "\x1b" not in str(error.value)


# -- the join -------------------------------------------------------------------------------------


def book_of(tmp_path: Path, **files: str) -> OptOutBook:
    paths = []
    for name, text in files.items():
        path = tmp_path / name.replace("_", ".")
        path.write_text(text)
        paths.append(path)
    book = load_book(paths)
    assert book is not None
    return book


def test_photos_and_owners_are_matched_every_way_a_row_names_them(tmp_path: Path) -> None:
    book = book_of(tmp_path, ids_txt="7\nspike_yun\n11111111@N01\nnobody\n")
    table = photos(
        [
            {"photo_id": "7", "owner": "22222222@N02"},  # by photo id
            {"photo_id": "8", "owner": "Spike_Yun"},  # by alias, any case
            {"photo_id": "9", "url": "https://www.flickr.com/photos/SPIKE_YUN/9/"},  # page URL
            {"photo_id": "10", "owner": "11111111@n01"},  # NSID
            {"photo_id": None, "owner": "spike_yun"},  # no photo: not flagged
            {"photo_id": "12", "owner": "22222222@N02"},
        ]
    )
    joined = book.join(table)
    assert joined["opt_out_request"].tolist()[:4] == [
        "opt-out list ids.txt line 1",
        "opt-out list ids.txt line 2 (owner spike_yun)",
        "opt-out list ids.txt line 2 (owner spike_yun)",
        "opt-out list ids.txt line 3 (owner 11111111@N01)",
    ]
    assert joined["opt_out_request"].iloc[4:].isna().all()
    assert "opt_out_request" not in table.columns  # the caller's table is left alone
    assert book.summary() == {
        "opted_out_photos": 4,
        "unmatched_entries": 1,
        "files": [
            {
                "file": "ids.txt",
                "kind": "opt-out list",
                "created_at": None,
                "entries": 4,
                "unmatched": 1,
            }
        ],
    }
    assert book.warnings() == [
        "opt-out list ids.txt: 1 of 4 entries matched no manifest row: line 4 (owner nobody)"
    ]


def test_a_photo_named_twice_names_both_and_counts_once(tmp_path: Path) -> None:
    write_json(tmp_path / "removal-request.json", request())
    (tmp_path / "ids.txt").write_text("53100000001\nhttps://www.flickr.com/photos/x/53100000001/\n")
    book = load_book([tmp_path / "removal-request.json", tmp_path / "ids.txt"])
    assert book is not None
    joined = book.join(photos([{"photo_id": "53100000001"}, {"photo_id": "53100000001"}]))
    both = (
        f"removal request removal-request.json of {CREATED} and opt-out list ids.txt line 1 "
        "and opt-out list ids.txt line 2"
    )
    assert joined["opt_out_request"].tolist() == [both, both]
    assert book.summary()["opted_out_photos"] == 1
    unmatched = "1 of 2 entries matched no manifest row: photo 53100000002"
    assert book.warnings() == [f"removal request removal-request.json: {unmatched}"]


def test_live_the_owner_flickr_reports_matches(tmp_path: Path) -> None:
    book = book_of(tmp_path, owners_txt="33333333@N03\n")
    table = photos([{"photo_id": "1"}, {"photo_id": "2"}, {"photo_id": "3"}])
    statuses = pd.DataFrame(
        {
            "photo_id": ["1", "2", "3"],
            "status": ["ok", "ok", "error"],
            "owner_nsid": ["33333333@N03", "44444444@N04", "33333333@N03"],
        }
    )
    offline = book.join(table)
    assert offline["opt_out_request"].isna().all()
    live = book.join(table, flickr_owners(table, statuses))
    # Photo 3 could not be checked: Flickr's answer names no owner for it.
    assert live["opt_out_request"].notna().tolist() == [True, False, False]


def test_matches_add_up_across_chunks_and_partitions(tmp_path: Path) -> None:
    book = book_of(tmp_path, ids_txt="1\n2\n3\n")
    elsewhere = pickle.loads(pickle.dumps(book))  # as a Dask worker gets it
    book.join(photos([{"photo_id": "1"}]))
    elsewhere.join(photos([{"photo_id": "2"}]))
    book.add(elsewhere.matches)
    assert book.summary()["opted_out_photos"] == 2
    assert book.warnings() == [
        "opt-out list ids.txt: 1 of 3 entries matched no manifest row: line 3 (photo 3)"
    ]
    fresh = copy.deepcopy(book)
    assert fresh.summary() == book.summary()


def test_the_warning_shows_ten_unmatched_entries_and_counts_the_rest(tmp_path: Path) -> None:
    book = book_of(tmp_path, ids_txt="".join(f"{n}\n" for n in range(1, 26)))
    book.join(photos([{"photo_id": "1"}]))
    (line,) = book.warnings()
    assert line.startswith("opt-out list ids.txt: 24 of 25 entries matched no manifest row: ")
    assert line.count("(photo ") == 10 and line.endswith(" and 14 more")


def test_no_file_no_book() -> None:
    assert load_book([]) is None
