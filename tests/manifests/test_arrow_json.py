"""Arrow's JSON parser gives the rows the record reader gives for JSON documents (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from raw_pieces import count_arrow_json_records, piece_rows, piece_texts

from auditor.errors import ManifestError
from auditor.manifests import arrow_json, source
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import iter_manifest, read_manifest


def _record(n: int) -> dict[str, Any]:
    return {
        "photo_id": str(6985418911 + n),
        "owner": f"{n % 7}1@N0{n % 9}",
        "license": n % 9,
        "title": f"t{n}",
        "size": [n, n + 1],
    }


RECORDS = [_record(n) for n in range(400)]
ARRAY = json.dumps(RECORDS)
HALF = json.dumps(RECORDS[:250])[:-1]  # an array left open after 250 records
REST = json.dumps(RECORDS[250:])[1:]  # the other records and the `]`


def _wrapped(array: str) -> str:
    """`array` as a document's list of records, among other keys."""
    return '{"info": {"year": 2024, "url": "x"}, "records": ' + array + ', "extra": [1, {"a": 2}]}'


def _with(element: str, where: int = 250) -> str:
    """The array with `element` (JSON text) inserted before record `where`."""
    head = json.dumps(RECORDS[:where])[:-1]
    return head + ", " + element + ", " + json.dumps(RECORDS[where:])[1:]


NESTED = "[" * 200 + "]" * 200

# (name, document, how it is read: arrow | partly (Arrow, then records) | error)
CASES = [
    ("compact", ARRAY.replace(", ", ",").replace(": ", ":"), "arrow"),
    ("spaced", ARRAY, "arrow"),
    ("pretty", json.dumps(RECORDS, indent=2), "arrow"),
    ("crlf-pretty", json.dumps(RECORDS, indent="\t").replace("\n", "\r\n"), "arrow"),
    ("bom", "\ufeff" + ARRAY, "arrow"),
    ("wrapped", _wrapped(ARRAY), "arrow"),
    ("wrapped-last", '{"a": [1, 2], "b": "}{[", "records": ' + ARRAY + "}", "arrow"),
    ("escaped-key", _wrapped(ARRAY).replace('"records"', '"rec\\u006frds"'), "arrow"),
    (
        "strings",
        _with(
            '{"photo_id": "1", "title": "},{\\"\\\\\\\\\\"], \\u00e9 NaN Infinity \\ud83d\\ude00"}'
        ),
        "arrow",
    ),
    ("unicode", _with('{"photo_id": "2", "title": "caf\u00e9 \u2603 \U0001f600 \ufeff"}'), "arrow"),
    ("empty-object", _with("{}"), "arrow"),
    ("long-element", _with('{"photo_id": "3", "title": "' + "x" * 5000 + '"}'), "arrow"),
    # Fewer than 100 records in the skeleton: the first ones are read again from the file.
    ("long-records", json.dumps([{"text": "x" * 300, **r} for r in RECORDS]), "arrow"),
    ("long-number-in-string", _with('{"photo_id": "12345678901234567890123"}'), "arrow"),
    ("non-objects", _with('null, 5, "x", [1, 2], true'), "partly"),
    ("float-licence", _with('{"photo_id": "4", "license": 4.0}'), "partly"),
    ("number-for-text", _with('{"photo_id": 5, "license": 4}'), "partly"),
    ("key-twice", _with('{"photo_id": "6", "photo_id": "7"}'), "partly"),
    ("ignored-key-twice", _with('{"photo_id": "6", "x": 1, "x": 2}'), "arrow"),
    ("high-surrogate", _with('{"photo_id": "8", "title": "\\ud800x"}'), "partly"),
    ("low-surrogate", _with('{"photo_id": "8", "title": "\\udc00"}'), "error"),
    # The same key twice: its second list's records follow the first's.
    ("duplicate-list", _wrapped(ARRAY)[:-1] + ', "records": [{"photo_id": "1"}]}', "partly"),
    ("nan", _with('{"photo_id": "9", "x": NaN}'), "error"),
    ("infinity", _with('{"photo_id": "9", "x": -Infinity}'), "error"),
    ("huge-int", _with('{"photo_id": "9", "x": 123456789012345678901234567890}'), "error"),
    ("huge-int-located", _with('{"photo_id": 123456789012345678901234567890}'), "error"),
    ("float-overflow", _with('{"photo_id": "9", "x": 1e400}'), "error"),
    ("bom-inside", _with('\ufeff{"photo_id": "9"}'), "error"),
    ("trailing-comma", ARRAY[:-1] + ",]", "error"),
    ("comma-twice", _with("{}").replace("{}, ", "{},, "), "error"),
    ("no-comma", HALF + " " + json.dumps(RECORDS[250]) + " " + REST, "error"),
    ("garbage-between", HALF + ", x, " + REST, "error"),
    ("garbage-after", ARRAY + " x", "error"),
    ("truncated", ARRAY[: len(ARRAY) * 2 // 3], "error"),
    ("truncated-wrapped", _wrapped(ARRAY)[:-20], "error"),
    ("not-closed", HALF, "error"),
    ("wrong-bracket", ARRAY[:-1] + "}", "error"),
    ("deep", _with('{"photo_id": "9", "x": ' + NESTED + "}"), "error"),
    ("deep-after", _wrapped(ARRAY)[:-1] + ', "z": ' + NESTED + "}", "error"),
    ("invalid-utf8", _with('{"photo_id": "9", "title": "a\udcffb"}'), "error"),
    ("bad-escape", _with('{"photo_id": "9", "x": "\\q"}'), "error"),
    ("control-char", _with('{"photo_id": "9", "x": "a\tb"}'), "error"),
]


@pytest.fixture(autouse=True)
def _streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents over 24 KiB are streamed (the record reader's path), from a skeleton of their
    first 24 KiB (which holds the first 100 records)."""
    monkeypatch.setattr(source, "WHOLE_JSON_BYTES", 24 * 1024)


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    return path


@pytest.mark.parametrize(("name", "content", "how"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("block_size", [50, 700, 1 << 20])
def test_arrow_pieces_are_the_rows_of_the_record_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str,
    how: str,
    block_size: int,
) -> None:
    monkeypatch.setattr(arrow_json, "BLOCK_SIZE", block_size)
    path = _write(tmp_path, name, content)
    parsed = count_arrow_json_records(monkeypatch)
    if how == "error":
        with pytest.raises(ManifestError) as by_records:
            read_manifest(path)
        with pytest.raises(ManifestError) as by_arrow_first:
            list(iter_manifest(path, chunk_rows=40))
        assert str(by_arrow_first.value) == str(by_records.value)
        assert by_arrow_first.value.line == by_records.value.line
        return
    whole = read_manifest(path)  # the record reader
    pieces = list(iter_manifest(path, chunk_rows=40))
    assert piece_rows(pieces) == piece_rows([whole])
    for field in whole.columns:
        if field != "source_row":
            assert piece_texts(pieces, field) == piece_texts([whole], field), field
    assert [note for piece in pieces for note in piece.notes] == whole.notes
    assert {piece.numeric_names for piece in pieces} == {whole.numeric_names}
    by_arrow = [isinstance(piece.columns["photo_ref"], pa.Array) for piece in pieces if piece.rows]
    if how == "arrow":
        assert all(by_arrow) and sum(parsed) == whole.rows
    else:  # Arrow's blocks (when the file is read in several), then the record reader's
        assert (by_arrow[0] or block_size > 1000) and not by_arrow[-1]
        assert sum(parsed) < whole.rows


@pytest.mark.parametrize("name", ["strings", "pretty", "wrapped"])
def test_reads_cut_anywhere_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Reads that end inside strings, escapes, keys, between a `}` and its comma..."""
    path = _write(tmp_path, name, next(content for case, content, _ in CASES if case == name))
    whole = read_manifest(path)
    for block_size in (7, 23, 61):
        monkeypatch.setattr(arrow_json, "BLOCK_SIZE", block_size)
        pieces = list(iter_manifest(path, chunk_rows=1000))
        assert all(isinstance(piece.columns["photo_ref"], pa.Array) for piece in pieces)
        assert piece_texts(pieces, "title") == piece_texts([whole], "title"), block_size
        assert piece_rows(pieces) == piece_rows([whole])


def test_plain_documents_are_cut_into_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_json, "BLOCK_SIZE", 1000)
    path = _write(tmp_path, "plain", ARRAY)
    pieces = list(iter_manifest(path, chunk_rows=40))
    assert [piece.rows for piece in pieces] == [40] * 10
    assert all(isinstance(piece.columns["photo_ref"], pa.Array) for piece in pieces)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(json.dumps(RECORDS[:100]), id="small"),  # read whole: the record reader's
        pytest.param(
            json.dumps([{"meta": {"photo_id": str(n), "license": "4"}} for n in range(300)]),
            id="nested-keys",
        ),
        pytest.param(
            json.dumps({str(n): record for n, record in enumerate(RECORDS)}),
            id="records-keyed-by-index",
        ),
    ],
)
def test_other_documents_are_left_to_the_record_reader(tmp_path: Path, document: str) -> None:
    path = _write(tmp_path, "doc", document)
    chosen = source.load_json_document(path)
    pieces = arrow_json.iter_json_arrow(path, chosen, ColumnOptions(), 10, lambda r, n: iter([]))
    assert pieces is None


# -- COCO ------------------------------------------------------------------------------------

LICENCES = [
    {"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1, "name": "BY-NC-SA"},
    {"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution"},
]


def _image(n: int) -> dict[str, Any]:
    image: dict[str, Any] = {
        "license": [1, 4, 7][n % 3],  # 7: not in the table
        "file_name": f"{n:012d}.jpg",
        "coco_url": f"http://images.cocodataset.org/train2017/{n:012d}.jpg",
        "height": 480,
        "flickr_url": f"http://farm1.staticflickr.com/1/{6985418911 + n}_da26cf2c9e_z.jpg",
        "id": n,
    }
    if n % 17 == 5:
        del image["flickr_url"]
    if n % 19 == 3:
        image["flickr_url"] = ""
    if n % 23 == 2:
        image["license"] = None
    return image


IMAGES = [_image(n) for n in range(300)]
ANNOTATIONS = [
    {"id": n, "image_id": n, "segmentation": [[1.5, 2, 3]], "bbox": [1, 2]} for n in range(50)
]


def _coco(images: str, licences: object = LICENCES, after: str = "") -> str:
    head = '{"info": {"year": 2017}, ' + (
        f'"licenses": {json.dumps(licences)}, ' if licences is not None else ""
    )
    return (
        head + '"images": ' + images + ', "annotations": ' + json.dumps(ANNOTATIONS) + after + "}"
    )


def _with_image(element: str) -> str:
    return json.dumps(IMAGES[:200])[:-1] + ", " + element + ", " + json.dumps(IMAGES[200:])[1:]


COCO_CASES = [
    ("coco", _coco(json.dumps(IMAGES)), "arrow"),
    ("coco-pretty", json.dumps(json.loads(_coco(json.dumps(IMAGES))), indent=1), "arrow"),
    ("no-table", _coco(json.dumps(IMAGES), None), "arrow"),
    (
        "text-ids",
        _coco(
            json.dumps(IMAGES)
            .replace('"license": 7', '"license": "7"')
            .replace('"license": 1,', '"license": "1",')
            .replace('"license": 4,', '"license": "4",')
        ),
        "arrow",
    ),
    ("empty-id", _coco(_with_image('{"license": "", "flickr_url": "u"}')), "partly"),
    ("float-id", _coco(_with_image('{"license": 1.0, "flickr_url": "u"}')), "partly"),
    ("not-an-object", _coco(_with_image("null")), "partly"),
    ("numeric-url", _coco(_with_image('{"license": 1, "flickr_url": 5}')), "partly"),
    ("images-twice", _coco(json.dumps(IMAGES), after=', "images": [{"license": 1}]'), "partly"),
    ("nan", _coco(_with_image('{"license": 1, "height": NaN}')), "error"),
    ("truncated", _coco(json.dumps(IMAGES))[:-300], "error"),
]


@pytest.mark.parametrize(("name", "content", "how"), COCO_CASES, ids=[c[0] for c in COCO_CASES])
@pytest.mark.parametrize("block_size", [90, 1 << 20])
def test_coco_pieces_are_the_rows_of_the_coco_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str,
    how: str,
    block_size: int,
) -> None:
    test_arrow_pieces_are_the_rows_of_the_record_reader(
        tmp_path, monkeypatch, name, content, how, block_size
    )
    if how != "error":
        assert {piece.format for piece in iter_manifest(_write(tmp_path, name, content))} == {
            "coco"
        }


def test_truncated_gzip_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut inside the records: an error naming the file, not an EOFError (once taken for an
    interrupt by the command line)."""
    import gzip

    monkeypatch.setattr(arrow_json, "BLOCK_SIZE", 7000)
    data = gzip.compress(json.dumps([_record(n) for n in range(4000)]).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) * 4 // 5])
    with pytest.raises(
        ManifestError, match=r"cannot be read to the end .*; is it truncated"
    ) as one:
        read_manifest(path)
    with pytest.raises(ManifestError) as other:
        list(iter_manifest(path, chunk_rows=40))
    assert str(other.value) == str(one.value)


def test_stopping_early_closes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow_json, "BLOCK_SIZE", 1000)
    pieces = iter_manifest(_write(tmp_path, "plain", ARRAY), chunk_rows=40)
    assert next(pieces).rows == 40
    pieces.close()  # (a file left open would be a ResourceWarning, an error here)
