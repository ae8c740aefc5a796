"""clean_manifests: each manifest in its own format without the rows that have error findings."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditor.engine import evaluate, load_policy
from auditor.errors import AuditorError
from auditor.findings import FINDING_COLUMNS
from auditor.manifests.read import read_manifests
from auditor.release import REMOVAL_COLUMNS, clean_manifests, removals, removed_rows

Write = Callable[[str, str | bytes], Path]


def findings_for(path: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A findings table of `path`: each row gives source_row and optionally severity, waived,
    rule, photo_id, message."""
    records = [
        {
            "photo_id": row.get("photo_id", str(1000 + row["source_row"])),
            "owner": row.get("owner", "o@N01"),
            "owner_name": None,
            "rule": row.get("rule", "non-commercial"),
            "severity": row.get("severity", "error"),
            "message": row.get("message", "CC BY-NC 2.0 forbids commercial use"),
            "recorded_licence": "cc-by-nc-2.0",
            "current_licence": None,
            "effective_licence": "cc-by-nc-2.0",
            "visibility": None,
            "fetched_at": None,
            "source_file": str(path),
            "source_row": row["source_row"],
            "waived": row.get("waived", False),
        }
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=list(FINDING_COLUMNS))
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["waived"] = frame["waived"].astype(bool)
    return frame


def audit(paths: list[Path], policy: str = "commercial-training") -> pd.DataFrame:
    table = read_manifests(paths)
    return evaluate(table.photos, load_policy(policy))


CSV_TEXT = (
    "# exported 2025-05-01\r\n"
    "photo_id,owner,license,title\r\n"
    "1,a@N01,cc-by-2.0,kept\r\n"
    '2,b@N01,cc-by-nc-2.0,"two\r\nlines"\r\n'
    "\r\n"
    "3,c@N01,cc-by-2.0,=HYPERLINK(1)\r\n"
    "4,d@N01,cc-by-nc-2.0,last"
)


def test_csv_rows_are_dropped_and_every_other_byte_kept(write: Write, tmp_path: Path) -> None:
    path = write("photos.csv", CSV_TEXT)
    findings = audit([path])
    assert sorted(row for _, row in removed_rows(findings)) == [4, 8]
    result = clean_manifests([path], findings, tmp_path / "out" / "clean.csv")
    expected = (
        "# exported 2025-05-01\r\n"
        "photo_id,owner,license,title\r\n"
        "1,a@N01,cc-by-2.0,kept\r\n"
        "\r\n"
        "3,c@N01,cc-by-2.0,=HYPERLINK(1)\r\n"
    )
    assert (tmp_path / "out" / "clean.csv").read_bytes() == expected.encode()
    assert result.rows_removed == 2
    assert [m.rows_removed for m in result.manifests] == [2]
    assert result.removals_csv == tmp_path / "out" / "removals.csv"
    # The cleaned manifest reads back as the kept rows.
    again = read_manifests([tmp_path / "out" / "clean.csv"]).photos
    assert again["photo_id"].tolist() == ["1", "3"]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_compressed_input_is_written_compressed_the_same_way(
    write: Write, tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    text = "photo_id,license\n1,cc-by-2.0\n2,cc-by-nc-2.0\n3,cc-by-2.0\n"
    path = write("photos.csv.gz", compress(text.encode()))
    out = tmp_path / "clean.csv.gz"
    clean_manifests([path], findings_for(path, [{"source_row": 3}]), out)
    assert out.read_bytes()[:3] == compress(b"")[:3]
    decompress = gzip.decompress if compress is gzip.compress else bz2.decompress
    assert decompress(out.read_bytes()) == b"photo_id,license\n1,cc-by-2.0\n3,cc-by-2.0\n"


def test_nothing_to_remove_copies_the_file_byte_for_byte(write: Write, tmp_path: Path) -> None:
    path = write("photos.csv.gz", gzip.compress(b"photo_id,license\n1,cc-by-2.0\n"))
    out = tmp_path / "clean.csv.gz"
    result = clean_manifests([path], findings_for(path, []), out)
    assert out.read_bytes() == path.read_bytes()
    assert result.rows_removed == 0
    header = (tmp_path / "removals.csv").read_text().splitlines()
    assert [next(csv.reader(header))] == [list(REMOVAL_COLUMNS)]


def test_warnings_and_waived_errors_remove_nothing(write: Write, tmp_path: Path) -> None:
    path = write("photos.csv", "photo_id\n1\n2\n3\n")
    findings = findings_for(
        path,
        [
            {"source_row": 2, "severity": "warning", "rule": "duplicate"},
            {"source_row": 3, "waived": True},
        ],
    )
    clean_manifests([path], findings, tmp_path / "clean.csv")
    assert (tmp_path / "clean.csv").read_text() == "photo_id\n1\n2\n3\n"


def test_baseline_errors_still_remove_the_row(write: Write, tmp_path: Path) -> None:
    path = write("photos.csv", "photo_id\n1\n2\n")
    findings = findings_for(path, [{"source_row": 3}]).assign(baseline=True)
    clean_manifests([path], findings, tmp_path / "clean.csv")
    assert (tmp_path / "clean.csv").read_text() == "photo_id\n1\n"


def coco_document() -> dict[str, Any]:
    return {
        "info": {"description": "mini", "year": 2017},
        "licenses": [
            {"id": 2, "name": "Attribution-NonCommercial License", "url": "http://creativecommons.org/licenses/by-nc/2.0/"},
            {"id": 4, "name": "Attribution License", "url": "http://creativecommons.org/licenses/by/2.0/"},
        ],
        "images": [
            {"id": 11, "license": 4, "flickr_url": "http://farm1.staticflickr.com/1/101_abc_z.jpg"},
            {"id": 12, "license": 2, "flickr_url": "http://farm1.staticflickr.com/1/102_abc_z.jpg"},
            {"id": 13, "license": 4, "flickr_url": "http://farm1.staticflickr.com/1/103_abc_z.jpg"},
        ],
        "annotations": [
            {"id": 1, "image_id": 11, "caption": "a"},
            {"id": 2, "image_id": 12, "caption": "b"},
            {"id": 3, "image_id": 12, "caption": "c"},
            {"id": 4, "image_id": 13, "caption": "d"},
        ],
        "categories": [{"id": 1, "name": "person"}],
    }  # fmt: skip


def test_coco_images_and_their_annotations_go_everything_else_stays(
    write: Write, tmp_path: Path
) -> None:
    document = coco_document()
    path = write("captions.json", json.dumps(document))
    findings = audit([path])
    out = tmp_path / "clean.json"
    result = clean_manifests([path], findings, out)
    cleaned = json.loads(out.read_text())
    assert [image["id"] for image in cleaned["images"]] == [11, 13]
    assert [a["id"] for a in cleaned["annotations"]] == [1, 4]
    for key in ("info", "licenses", "categories"):
        assert cleaned[key] == document[key]
    assert list(cleaned) == list(document)
    assert result.manifests[0].format == "coco"
    assert read_manifests([out]).files[0].format == "coco"


def test_indented_json_stays_indented(write: Write, tmp_path: Path) -> None:
    path = write("captions.json", json.dumps(coco_document(), indent=4))
    clean_manifests([path], audit([path]), tmp_path / "clean.json")
    assert "\n  " in (tmp_path / "clean.json").read_text()


def test_parquet_rows_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "photos.parquet"
    table = pa.table({"photo_id": ["1", "2", "3"], "extra": [1.5, 2.5, 3.5]})
    pq.write_table(table.replace_schema_metadata({"origin": "test"}), path)
    out = tmp_path / "clean.parquet"
    clean_manifests([path], findings_for(path, [{"source_row": 2}]), out)
    cleaned = pq.read_table(out)
    assert cleaned.column("photo_id").to_pylist() == ["1", "3"]
    assert cleaned.column("extra").to_pylist() == [1.5, 3.5]
    assert cleaned.schema.metadata == {b"origin": b"test"}


@pytest.mark.parametrize(
    ("name", "content", "remove", "expected"),
    [
        ("photos.jsonl", '{"photo_id": "1"}\n\n{"photo_id": "2"}\n{"photo_id": "3"}\n', [3],
         '{"photo_id": "1"}\n\n{"photo_id": "3"}\n'),
        ("list.txt", "# photos\nhttps://flic.kr/p/2\n101\n102\n", [3], "# photos\nhttps://flic.kr/p/2\n102\n"),
    ],
)  # fmt: skip
def test_line_formats_drop_their_lines(
    write: Write, tmp_path: Path, name: str, content: str, remove: list[int], expected: str
) -> None:
    path = write(name, content)
    out = tmp_path / f"clean-{name}"
    clean_manifests([path], findings_for(path, [{"source_row": r} for r in remove]), out)
    assert out.read_text() == expected


def test_yfcc100m_lines_are_dropped(write: Write, tmp_path: Path) -> None:
    def line(photo_id: int) -> str:
        cells = [""] * 23
        cells[0], cells[1] = str(photo_id), "12345678@N01"
        cells[13] = f"http://www.flickr.com/photos/12345678@N01/{photo_id}/"
        cells[15] = "Attribution-NonCommercial License"
        cells[16] = "http://creativecommons.org/licenses/by-nc/2.0/"
        return "\t".join(cells) + "\n"

    path = write("yfcc.tsv", line(1) + line(2) + line(3))
    assert read_manifests([path]).files[0].format == "yfcc100m"
    out = tmp_path / "clean.tsv"
    clean_manifests([path], findings_for(path, [{"source_row": 2}]), out)
    assert out.read_text() == line(1) + line(3)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"metadata": {"0": {"photo_url": "https://www.flickr.com/photos/a/1/", "author": "A"},
                       "1": {"photo_url": "https://www.flickr.com/photos/b/2/", "author": "B"}}},
         {"metadata": {"0": {"photo_url": "https://www.flickr.com/photos/a/1/", "author": "A"}}}),
        ([{"photo_url": "https://www.flickr.com/photos/a/1/", "author": "A"},
          {"photo_url": "https://www.flickr.com/photos/b/2/", "author": "B"}],
         [{"photo_url": "https://www.flickr.com/photos/a/1/", "author": "A"}]),
        ({"photos": {"total": 2, "photo": [{"id": "1", "owner": "a@N01", "license": "4"},
                                           {"id": "2", "owner": "b@N01", "license": "2"}]},
          "stat": "ok"},
         {"photos": {"total": 2, "photo": [{"id": "1", "owner": "a@N01", "license": "4"}]},
          "stat": "ok"}),
        ([{"photo_id": "1", "x": 1}, {"photo_id": "2", "x": 2}], [{"photo_id": "1", "x": 1}]),
    ],
)  # fmt: skip
def test_json_documents_lose_their_records(
    write: Write, tmp_path: Path, document: Any, expected: Any
) -> None:
    path = write("photos.json", json.dumps(document))
    clean_manifests([path], findings_for(path, [{"source_row": 2}]), tmp_path / "clean.json")
    assert json.loads((tmp_path / "clean.json").read_text()) == expected


def test_a_single_photo_document_cannot_lose_its_photo(write: Write, tmp_path: Path) -> None:
    path = write("info.json", json.dumps({"photo": {"id": "1", "owner": {"nsid": "a@N01"}}}))
    with pytest.raises(AuditorError, match=r"info\.json: holds a single photo"):
        clean_manifests([path], findings_for(path, [{"source_row": 1}]), tmp_path / "c.json")


def test_several_manifests_go_into_a_folder(write: Write, tmp_path: Path) -> None:
    first = write("a/photos.csv", "photo_id\n1\n2\n")
    second = write("b/urls.txt", "101\n102\n")
    findings = pd.concat(
        [findings_for(first, [{"source_row": 2}]), findings_for(second, [{"source_row": 2}])]
    )
    out = tmp_path / "clean"
    result = clean_manifests([first, second], findings, out)
    assert (out / "photos.csv").read_text() == "photo_id\n2\n"
    assert (out / "urls.txt").read_text() == "101\n"
    assert result.removals_csv == out / "removals.csv"
    rows = list(csv.DictReader(io.StringIO((out / "removals.csv").read_text())))
    assert [(Path(r["source_file"]).name, r["source_row"]) for r in rows] == [
        ("photos.csv", "2"),
        ("urls.txt", "2"),
    ]


def test_output_collisions_are_usage_errors(write: Write, tmp_path: Path) -> None:
    first = write("a/photos.csv", "photo_id\n1\n")
    second = write("b/photos.csv", "photo_id\n2\n")
    empty = findings_for(first, [])
    with pytest.raises(AuditorError, match="two manifests have this name"):
        clean_manifests([first, second], empty, tmp_path / "out")
    with pytest.raises(AuditorError, match="would overwrite the input"):
        clean_manifests([first], empty, first)
    with pytest.raises(AuditorError, match="is a file"):
        clean_manifests([first, write("c.csv", "photo_id\n3\n")], empty, first)
    assert first.read_text() == "photo_id\n1\n"


def test_removals_say_why_with_formulas_defused(write: Write, tmp_path: Path) -> None:
    path = write("photos.csv", "photo_id\n1\n2\n")
    findings = findings_for(
        path,
        [
            {"source_row": 2, "owner": "=HYPERLINK(1)", "message": "first"},
            {"source_row": 2, "rule": "no-derivatives", "message": "=second"},
            {"source_row": 3, "severity": "note", "rule": "attribution"},
        ],
    )
    table = removals(findings)
    assert table["rules"].tolist() == ["non-commercial; no-derivatives"]
    assert table["messages"].tolist() == ["first; =second"]
    clean_manifests([path], findings, tmp_path / "clean.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "removals.csv").read_text())))
    assert list(rows[0]) == list(REMOVAL_COLUMNS)
    assert rows[0]["owner"] == "'=HYPERLINK(1)"
    assert rows[0]["photo_id"] == "1002"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@"))


def test_real_coco_sample(realdata: Path, tmp_path: Path) -> None:
    path = realdata / "coco_mini_2017" / "captions_val2017.json"
    findings = audit([path])
    out = tmp_path / "clean.json"
    clean_manifests([path], findings, out)
    original, cleaned = json.loads(path.read_text()), json.loads(out.read_text())
    errors = {int(r) for f, r in removed_rows(findings)}
    kept = [image for n, image in enumerate(original["images"], 1) if n not in errors]
    assert cleaned["images"] == kept
    ids = {image["id"] for image in kept}
    assert cleaned["annotations"] == [a for a in original["annotations"] if a["image_id"] in ids]
    assert {k: v for k, v in cleaned.items() if k not in ("images", "annotations")} == {
        k: v for k, v in original.items() if k not in ("images", "annotations")
    }
    again = audit([out])
    assert not (again["severity"] == "error").any()
