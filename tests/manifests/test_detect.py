"""Format detection from a file's content (never its name), `--format`, and the errors a user
gets for files that cannot be read at all: `ManifestError` with the file, the line where known,
and what to do.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import ManifestError
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import FORMATS, detect_format, read_manifest, read_manifests

Write = Callable[[str, str | bytes], Path]


def tsv(*cells: str) -> str:
    return "\t".join(cells) + "\n"


YFCC_23 = tsv(
    "7088065",
    "30302697@N00",
    "jhf",
    "2005-03-01 12:39:28.0",
    "1111467388",
    "SONY+CLIE",
    "Gnome",
    "",
    "2005,gnome",
    "",
    "-122.288368",
    "47.622562",
    "15",
    "http://www.flickr.com/photos/30302697@N00/7088065/",
    "http://farm1.staticflickr.com/8/7088065_65c9d45e09.jpg",
    "Attribution-NonCommercial License",
    "http://creativecommons.org/licenses/by-nc/2.0/",
    "8",
    "1",
    "65c9d45e09",
    "65c9d45e09",
    "jpg",
    "0",
)
YFCC_25 = tsv("1", "7088065", "0123456789abcdef", *YFCC_23.rstrip("\n").split("\t")[1:])
OPENVERSE_TSV = tsv(
    "47030104294",
    "www.flickr.com/photos/24917258@N05/47030104294",
    "https://live.staticflickr.com/65535/47030104294_f9110a178e_b.jpg",
    *["\\N"] * 4,
    "by-nc-nd",
    "2.0",
    "Andy",
    "www.flickr.com/photos/24917258@N05",
    "IMG_8449",
    '{"pub_date": "1557512425"}',
    "\\N",
    "f",
    "flickr",
    "flickr",
)

SAMPLES: dict[str, tuple[str | bytes, str]] = {
    "coco": (
        json.dumps(
            {
                "licenses": [{"id": 4, "name": "Attribution License", "url": "x"}],
                "images": [
                    {
                        "id": 1,
                        "license": 4,
                        "flickr_url": "http://farm4.staticflickr.com/3/6255196340_da26cf2c9e_z.jpg",
                    }
                ],
            }
        ),
        "coco",
    ),
    "coco-without-flickr-url": (
        json.dumps({"images": [{"id": 1, "license": 4, "coco_url": "http://x/1.jpg"}]}),
        "coco",
    ),
    "ffhq-list": (
        json.dumps([{"photo_url": "https://www.flickr.com/photos/12345678@N01/1", "license": "x"}]),
        "ffhq",
    ),
    "ffhq-dict-metadata": (
        json.dumps({"0": {"metadata": {"photo_url": "https://www.flickr.com/photos/a/1"}}}),
        "ffhq",
    ),
    "ffhq-wrapper": (
        json.dumps({"metadata": [{"photo_url": "https://www.flickr.com/photos/a/1"}]}),
        "ffhq",
    ),
    "flickr-listing": (
        json.dumps({"photos": {"page": 1, "photo": [{"id": "1", "owner": "1@N01"}]}, "stat": "ok"}),
        "flickr-api",
    ),
    "flickr-get-info": (
        json.dumps({"photo": {"id": "1", "owner": {"nsid": "1@N01"}, "license": "4"}}),
        "flickr-api",
    ),
    "flickr-photos-api": (
        json.dumps({"count_photos": 1, "photos": [{"id": "1", "owner": {"id": "1@N01"}}]}),
        "flickr-api",
    ),
    "flickr-photos-api-single": (
        json.dumps({"id": "1", "owner": {"id": "1@N01"}, "license": {"id": "pdm"}}),
        "flickr-api",
    ),
    "json-records": (json.dumps([{"photo_id": "1"}, {"photo_id": "2"}]), "json"),
    "json-object-of-records": (json.dumps({"a": {"photo_id": "1"}}), "json"),
    "jsonl": ('{"photo_id": "1"}\n\n{"photo_id": "2"}\n', "jsonl"),
    "openimages": (
        (
            "ImageID,Subset,OriginalURL,OriginalLandingURL,License\n"
            "4fa8054781a4c382,train,https://farm3.staticflickr.com/5310/5898076654_5_o.jpg,,x\n"
        ),
        "openimages",
    ),
    "openverse-csv": (
        "identifier,provider,foreign_identifier,license,license_version\nu1,flickr,1,by,2\n",
        "openverse",
    ),
    "openverse-csv-quoted-header": (
        '"identifier","Provider","Foreign_Identifier"\n"u1","flickr","1"\n',
        "openverse",
    ),
    "openverse-tsv": (OPENVERSE_TSV, "openverse"),
    "yfcc100m-23": (YFCC_23, "yfcc100m"),
    "yfcc100m-25": (YFCC_25, "yfcc100m"),
    "csv": ("photo_id,license\n1,4\n", "csv"),
    "csv-header-less": ("123,12345678@N01,4\n", "csv"),  # needs column options to be read
    "tsv": ("photo_id\tlicense\n1\t4\n", "tsv"),
    "urls": ("# a list\n\nhttps://www.flickr.com/photos/a/1\nhttps://flic.kr/p/2\n", "urls"),
    "urls-header": ("url\nhttps://www.flickr.com/photos/a/1\n", "urls"),
    "urls-bare-ids": ("7088065\n343224206\n", "urls"),
    "gzip-csv": (gzip.compress(b"photo_id,license\n1,4\n"), "csv"),
    "gzip-json": (gzip.compress(json.dumps([{"photo_id": "1"}]).encode()), "json"),
    "bom-json": ("\ufeff" + json.dumps([{"photo_id": "1"}]), "json"),
}


@pytest.mark.parametrize(("content", "expected"), SAMPLES.values(), ids=SAMPLES.keys())
def test_detect_format_from_content(write: Write, content: str | bytes, expected: str) -> None:
    assert expected in FORMATS
    path = write("data.bin", content)
    assert detect_format(path) == expected
    assert detect_format(str(path)) == expected
    # Detection and reading agree: the file reads as the detected format.
    columns = ColumnOptions(id="1") if content == SAMPLES["csv-header-less"][0] else None
    assert read_manifest(path, columns=columns).format == expected


@pytest.mark.parametrize(
    ("key", "misleading_name"),
    [
        ("csv", "photos.json"),
        ("coco", "annotations.csv"),
        ("yfcc100m-23", "dataset.parquet"),
        ("jsonl", "manifest.txt"),
        ("urls", "list.tsv"),
        ("openverse-tsv", "export.csv"),
    ],
)
def test_detection_ignores_the_file_name(write: Write, key: str, misleading_name: str) -> None:
    content, expected = SAMPLES[key]
    assert detect_format(write(misleading_name, content)) == expected


def test_detect_parquet_by_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "manifest.txt"
    pd.DataFrame({"photo_id": ["1", "2"]}).to_parquet(path, index=False)
    assert detect_format(path) == "parquet"


def test_column_options_make_any_json_generic(write: Write) -> None:
    path = write("data.bin", SAMPLES["ffhq-list"][0])
    assert detect_format(path) == "ffhq"
    assert detect_format(path, ColumnOptions(url="photo_url")) == "json"


def test_column_options_make_a_yfcc_line_a_generic_tsv(write: Write) -> None:
    path = write("data.bin", YFCC_23)
    options = ColumnOptions(id="1", owner="2")
    assert detect_format(path, options) == "tsv"
    table = read_manifests([path], columns=options)
    assert table.photos[["photo_id", "owner"]].values.tolist() == [["7088065", "30302697@N00"]]


# -- --format ------------------------------------------------------------------------------------


def test_format_override_reads_ffhq_shape_as_generic_json(write: Write) -> None:
    records = [
        {
            "photo_url": "https://www.flickr.com/photos/jdoe/1",
            "owner": "12345678@N01",
            "license": "4",
        }
    ]
    path = write("data.bin", json.dumps(records))
    detected = read_manifests([path])
    assert detected.files[0].format == "ffhq"
    assert detected.photos["owner"].tolist() == ["jdoe"]  # FFHQ has no owner field
    generic = read_manifests([path], fmt="json")
    assert generic.files[0].format == "json"
    assert generic.photos["source_format"].tolist() == ["json"]
    assert generic.photos["owner"].tolist() == ["12345678@N01"]


def test_format_override_reads_a_one_record_jsonl_file(write: Write) -> None:
    path = write("data.bin", '{"photo_id": "123", "license": "4"}\n')
    table = read_manifests([path], fmt="jsonl")
    assert table.photos[["photo_id", "recorded_licence"]].values.tolist() == [["123", "cc-by-2.0"]]
    assert table.photos["source_row"].tolist() == [1]


def test_format_override_reads_a_one_column_url_file_as_csv(write: Write) -> None:
    path = write("data.bin", "url\nhttps://www.flickr.com/photos/jdoe/1\n")
    assert read_manifests([path]).files[0].format == "urls"
    table = read_manifests([path], fmt="csv")
    assert table.files[0].format == "csv"
    assert table.photos[["photo_id", "source_row"]].values.tolist() == [["1", 2]]


def test_format_override_applies_to_every_file(write: Write) -> None:
    a = write("a.bin", "photo_id\tlicense\n1\t4\n")
    b = write("b.bin", "photo_id\tlicense\n2\t5\n")
    table = read_manifests([a, b], fmt="tsv")
    assert [report.format for report in table.files] == ["tsv", "tsv"]
    assert table.photos["photo_id"].tolist() == ["1", "2"]


# -- unusable files ------------------------------------------------------------------------------


def raises(
    path: Path, fmt: str | None = None, columns: ColumnOptions | None = None
) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        read_manifests([path], fmt, columns)
    error = caught.value
    assert error.path == str(path)
    where = str(path) if error.line is None else f"{path}:{error.line}"
    assert str(error) == f"{where}: {error.problem}"
    return error


def test_missing_file(tmp_path: Path) -> None:
    error = raises(tmp_path / "nope.csv")
    assert error.line is None
    assert error.problem == "no such file; check the path"


def test_folder(tmp_path: Path) -> None:
    error = raises(tmp_path)
    assert error.line is None
    assert "is a folder" in error.problem
    assert "name the files inside it" in error.problem


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n   \n"], ids=["empty", "whitespace-only"])
def test_empty_file(write: Write, content: bytes) -> None:
    error = raises(write("data.bin", content))
    assert error.line is None
    assert error.problem == "is empty; give a manifest that lists photos"


def test_empty_gzip_file(write: Write) -> None:
    error = raises(write("data.bin", gzip.compress(b"")))
    assert error.problem == "is empty; give a manifest that lists photos"


def test_truncated_json_names_the_line(write: Write) -> None:
    text = (
        '[\n {"photo_url": "https://www.flickr.com/photos/jdoe/1"},\n {"photo_url": "https://www.fl'
    )
    error = raises(write("data.bin", text))
    assert error.line == 3
    assert "the file looks truncated" in error.problem


def test_invalid_json_names_the_line(write: Write) -> None:
    error = raises(write("data.bin", '[\n {"a": 1},\n {"a": 2,,}\n]\n'))
    assert error.line == 3
    assert error.problem.startswith("invalid JSON (")
    assert "column 10" in error.problem


@pytest.mark.parametrize(
    "document",
    [{"hello": "world"}, [1, 2, 3], [], {"images": [], "licenses": []}],
    ids=["object", "numbers", "empty-list", "coco-without-images"],
)
def test_json_of_unknown_shape(write: Write, document: object) -> None:
    error = raises(write("data.bin", json.dumps(document)))
    assert error.line is None
    assert "no known manifest shape" in error.problem
    assert "--format" in error.problem


@pytest.mark.parametrize(
    ("content", "byte"),
    [
        pytest.param(b"photo_id,owner\n123,ann\n456,b\xe9a\n789,c\n", "0xe9", id="csv"),
        pytest.param(
            b'[\n{"photo_id": "1"},\n{"photo_id": "2", "owner": "b\xe9"}\n]\n', "0xe9", id="json"
        ),
        pytest.param(
            b"https://www.flickr.com/photos/x/1\n"
            b"https://www.flickr.com/photos/x/2\n"
            b"https://www.flickr.com/photos/\xff/3\n",
            "0xff",
            id="urls",
        ),
        pytest.param(
            gzip.compress(b'{"photo_id": "1"}\n{"photo_id": "2"}\n{"photo_id": "\xc3("}\n'),
            "0xc3",
            id="gzip-jsonl",
        ),
        pytest.param(
            (YFCC_23 + YFCC_23 + YFCC_23.replace("jhf", "j\xe9f")).encode("latin-1"),
            "0xe9",
            id="yfcc100m",
        ),
    ],
)
def test_invalid_utf8_names_the_line_of_the_bad_byte(
    write: Write, content: bytes, byte: str
) -> None:
    error = raises(write("data.bin", content))
    assert error.line == 3
    assert error.problem == f"invalid UTF-8 (byte {byte}); re-save the file as UTF-8"


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"],
    ids=["all-bytes", "png"],
)
def test_binary_garbage(write: Write, content: bytes) -> None:
    error = raises(write("data.bin", content))
    assert error.line is None
    assert error.problem == (
        "is a binary file of no known manifest format; give a CSV, JSON or Parquet file"
    )


def test_truncated_gzip(write: Write) -> None:
    data = gzip.compress(b"photo_id,license\n" + b"1234567,4\n" * 2000)
    error = raises(write("data.bin", data[: len(data) // 2]))
    assert "is it truncated?" in error.problem


def test_header_less_csv_without_options(write: Write) -> None:
    error = raises(write("data.bin", "123,12345678@N01,4\n456,jdoe,5\n"))
    assert error.line == 1
    assert "has no header naming a photo id or URL column" in error.problem
    assert "--id-column N or --url-column N" in error.problem


def test_csv_without_an_id_or_url_column(write: Write) -> None:
    error = raises(write("data.bin", "foo,bar\nx,y\n"))
    assert error.line == 1
    assert error.problem == (
        "no column of Flickr photo ids, URLs or image file names found (columns: foo, bar); "
        "name one with --id-column or --url-column"
    )


def test_unknown_column_named_in_options(write: Write) -> None:
    error = raises(write("data.bin", "photo_id,x\n1,2\n"), columns=ColumnOptions(owner="who"))
    assert error.line == 1
    assert error.problem == "--owner-column 'who': no such column (columns: photo_id, x)"


@pytest.mark.parametrize("position", ["3", "0"])
def test_column_position_out_of_range(write: Write, position: str) -> None:
    error = raises(write("data.bin", "1,2\n3,4\n"), columns=ColumnOptions(id=position))
    assert error.line == 1
    assert (
        error.problem == f"--id-column {position}: the file has 2 columns; give a position from 1"
    )


@pytest.mark.parametrize("fmt", ["coco", "urls", "yfcc100m", "openverse", "flickr-api"])
def test_column_options_with_a_specialised_format(write: Write, fmt: str) -> None:
    error = raises(write("data.bin", "photo_id\n1\n"), fmt=fmt, columns=ColumnOptions(id="1"))
    assert error.problem == (
        f"column options apply to csv, json, jsonl, parquet, table, tsv, not {fmt}; "
        "drop them or choose a generic format"
    )


def test_column_positions_for_named_records(write: Write, tmp_path: Path) -> None:
    jsonl = write("data.bin", '{"photo_id": "1"}\n{"photo_id": "2"}\n')
    error = raises(jsonl, columns=ColumnOptions(id="1"))
    assert "give column names, not positions" in error.problem
    parquet = tmp_path / "table.bin"
    pd.DataFrame({"photo_id": ["1"]}).to_parquet(parquet, index=False)
    error = raises(parquet, columns=ColumnOptions(id="1"))
    assert "give column names, not positions" in error.problem


@pytest.mark.parametrize("fmt", ["coco", "ffhq", "flickr-api", "json"])
def test_json_format_forced_on_a_csv(write: Write, fmt: str) -> None:
    error = raises(write("data.bin", "photo_id,license\n1,4\n"), fmt=fmt)
    assert error.problem == (
        f"does not fit --manifest-format {fmt}: it looks like a text table separated by comma "
        "(csv); drop the option to read it as that"
    )


def test_parquet_format_forced_on_a_csv(write: Write) -> None:
    error = raises(write("data.bin", "photo_id,license\n1,4\n"), fmt="parquet")
    assert error.problem.startswith("does not fit --manifest-format parquet: it looks like a text")


def test_coco_format_forced_on_other_json(write: Write) -> None:
    error = raises(write("data.bin", json.dumps([{"photo_id": "1"}])), fmt="coco")
    assert error.problem == (
        "does not fit --manifest-format coco: it looks like JSON records (json); "
        "drop the option to read it as that"
    )


def test_unknown_format_name(write: Write) -> None:
    error = raises(write("data.bin", "photo_id\n1\n"), fmt="xml")
    assert error.problem.startswith("unknown format 'xml'; choose one of coco, ffhq,")


def test_an_error_in_any_file_stops_the_whole_read(write: Write, tmp_path: Path) -> None:
    good = write("good.bin", "photo_id\n1\n")
    with pytest.raises(ManifestError, match=re.escape(str(tmp_path / "missing.bin"))):
        read_manifests([good, tmp_path / "missing.bin"])


# -- detection and reading disagree --------------------------------------------------------------


def test_openverse_export_saved_as_tsv_with_header(write: Write) -> None:
    text = tsv("identifier", "provider", "foreign_identifier", "license", "license_version") + tsv(
        "u1", "flickr", "123", "by", "2"
    )
    path = write("data.bin", text)
    assert detect_format(path) == "openverse"
    table = read_manifests([path])
    assert table.photos[["photo_id", "recorded_licence"]].values.tolist() == [["123", "cc-by-2.0"]]


def test_openimages_list_saved_as_tsv_with_header(write: Write) -> None:
    text = tsv("ImageID", "OriginalURL", "OriginalLandingURL", "License") + tsv(
        "4fa8054781a4c382",
        "https://farm3.staticflickr.com/5310/5898076654_51085e157c_o.jpg",
        "https://www.flickr.com/photos/michael-beat/5898076654",
        "https://creativecommons.org/licenses/by/2.0/",
    )
    path = write("data.bin", text)
    assert detect_format(path) == "openimages"
    table = read_manifests([path])
    assert table.photos["photo_id"].tolist() == ["5898076654"]


def test_empty_flickr_api_page_is_a_flickr_api_listing(write: Write) -> None:
    page = {
        "photos": {"page": 3, "pages": 2, "perpage": 100, "total": 150, "photo": []},
        "stat": "ok",
    }
    path = write("data.bin", json.dumps(page))
    assert detect_format(path) == "flickr-api"
    # An empty page names no photo: an error, never an audit that passes on nothing.
    with pytest.raises(ManifestError, match="no Flickr photo found: read as flickr-api, no rows"):
        read_manifests([path], fmt="flickr-api")
    assert read_manifest(path, "flickr-api").rows == 0


def test_comment_line_before_a_csv_header(write: Write) -> None:
    path = write("data.bin", "# exported 2020\nphoto_id,license\n123,4\n")
    assert detect_format(path) == "csv"
    table = read_manifests([path])
    assert table.photos[["photo_id", "source_row"]].values.tolist() == [["123", 3]]


# --- shapes at the edges of detection ---------------------------------------------------------


def test_one_line_json_lines_file_is_one_record(write: Callable[[str, str | bytes], Path]) -> None:
    path = write("one.jsonl", '{"photo_id": "7088065", "license": "2"}\n')
    assert detect_format(path) == "json"
    photos = read_manifests([path]).photos
    assert photos["photo_id"].tolist() == ["7088065"]
    assert photos["recorded_licence"].tolist() == ["cc-by-nc-2.0"]
    assert photos["source_row"].tolist() == [1]


def test_json_list_with_a_stray_non_object(write: Callable[[str, str | bytes], Path]) -> None:
    path = write("mixed.json", json.dumps([{"photo_id": "1"}, 5, {"photo_id": "2"}]))
    assert detect_format(path) == "json"
    photos = read_manifests([path]).photos
    assert photos["photo_id"].tolist()[::2] == ["1", "2"]
    assert photos["notes"].iloc[1].startswith("not a JSON object (int)")


def test_generic_records_with_photo_url_keep_their_owner_column(
    write: Callable[[str, str | bytes], Path],
) -> None:
    record = {"photo_url": "https://www.flickr.com/photos/jdoe/456", "owner": "12345678@N01"}
    path = write("records.json", json.dumps([record]))
    assert detect_format(path) == "json"
    row = read_manifests([path]).photos.iloc[0]
    assert (row.photo_id, row.owner, row.owner_kind) == ("456", "12345678@N01", "nsid")


def test_utf16_text_is_refused_with_advice(write: Callable[[str, str | bytes], Path]) -> None:
    path = write("excel.txt", "photo_id\t\n7088065\n".encode("utf-16"))
    with pytest.raises(ManifestError, match=r"UTF-16.*save as UTF-8"):
        detect_format(path)


def test_semicolon_separated_csv(write: Callable[[str, str | bytes], Path]) -> None:
    path = write("eu.csv", "photo_id;license\n7088065;2\n")
    assert detect_format(path) == "csv"
    photos = read_manifests([path]).photos
    assert photos["photo_id"].tolist() == ["7088065"]
    assert photos["recorded_licence"].tolist() == ["cc-by-nc-2.0"]


def test_forcing_ffhq_on_a_coco_file_is_refused(write: Callable[[str, str | bytes], Path]) -> None:
    coco = {
        "images": [
            {"id": 1, "license": 4, "flickr_url": "http://farm1.static.flickr.com/1/2_a.jpg"}
        ]
    }
    path = write("instances.json", json.dumps(coco))
    with pytest.raises(ManifestError, match=r"it looks like MS COCO annotations \(coco\)"):
        read_manifest(path, "ffhq")


def test_missing_id_column_in_parquet_names_no_line(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pd.DataFrame({"caption": ["a dog"]}).to_parquet(path)
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    assert caught.value.line is None
    assert str(caught.value).startswith(f"{path}: no column of Flickr photo ids, URLs or image")
