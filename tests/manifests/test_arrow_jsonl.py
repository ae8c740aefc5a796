"""Arrow's JSON parser gives the rows the row-by-row JSON Lines reader gives (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from raw_pieces import piece_rows, piece_texts

from auditor.errors import ManifestError
from auditor.manifests import arrow_jsonl
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import iter_manifest, read_manifest

ROW = '{{"photo_id": "{0}", "owner": "1{0}@N01", "license": {1}, "title": "t{0}"}}\n'
PLAIN = "".join(ROW.format(1000 + i, i % 9) for i in range(12))

# (file, content)
CASES = [
    ("plain.jsonl", PLAIN),
    ("ids-as-numbers.jsonl", "".join(f'{{"photo_id": {i}, "license": "{i}"}}\n' for i in range(9))),
    # A number where the first records had text, and text where they had numbers.
    ("types-change.jsonl", PLAIN + '{"photo_id": 77, "license": "4"}\n' + PLAIN),
    ("blank-lines.jsonl", "\n" + PLAIN[:200] + "\n  \n\t\r\n" + PLAIN[200:] + "\n\n"),
    ("crlf.jsonl", PLAIN.replace("\n", "\r\n")),
    ("bom.jsonl", "\ufeff" + PLAIN),
    ("no-final-newline.jsonl", PLAIN.rstrip("\n")),
    (
        "bad-lines.jsonl",
        PLAIN[:150]
        + "\n{bad\n5\n[1, 2]\n"
        + '{"photo_id": "1"} {"photo_id": "2"}\n'  # two objects on a line
        + '{"photo_id": "3", "photo_id": "4"}\n'  # a key twice: the last one counts
        + "\x0c\n"  # blank to Python's strip, not to JSON
        + '  {"photo_id": "5"}\n'
        + PLAIN[150:],
    ),
    (
        "odd-values.jsonl",
        PLAIN
        + '{"photo_id": "6", "license": 4.0, "title": true}\n'
        + '{"photo_id": "7", "license": null, "title": ["a", "b"]}\n'
        + '{"photo_id": "8", "license": 99999999999999999999999, "title": {"x": 1}}\n'
        + '{"photo_id": "9", "license": NaN, "title": "\\u00e9\\n\\"q\\""}\n'
        + '{"photo_id": "10", "title": "caf\u00e9 \\/ x"}\n'
        + PLAIN,
    ),
    (
        "nested.jsonl",
        "".join(
            f'{{"photo_id": "{i}", "meta": {{"license": "{i % 9}", "deep": {{"a": [1]}}}}}}\n'
            for i in range(10)
        ),
    ),
    ("keys-later.jsonl", PLAIN + '{"photo_id": "5", "extra": "x", "license": 4}\n'),
]


@pytest.mark.parametrize(("name", "content"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("block_size", [64, 1 << 20])
@pytest.mark.parametrize("chunk_rows", [1, 5, 1000])
def test_arrow_pieces_are_the_rows_of_the_row_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str,
    block_size: int,
    chunk_rows: int,
) -> None:
    monkeypatch.setattr(arrow_jsonl, "BLOCK_SIZE", block_size)
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    whole = read_manifest(path)  # the row-by-row reader
    pieces = list(iter_manifest(path, chunk_rows=chunk_rows))
    # Read by this module (Arrow arrays), but for a licence located in nested objects.
    arrow = name != "nested.jsonl"
    assert all(isinstance(piece.columns["photo_ref"], pa.Array) for piece in pieces) is arrow
    assert piece_rows(pieces) == piece_rows([whole])
    for field in whole.columns:
        if field != "source_row":
            assert piece_texts(pieces, field) == piece_texts([whole], field), field
    assert [note for piece in pieces for note in piece.notes] == whole.notes
    assert {piece.numeric_names for piece in pieces} == {whole.numeric_names}
    assert sum(piece.rows for piece in pieces) == whole.rows
    assert all(piece.rows == chunk_rows for piece in pieces[:-1])  # as the row reader's
    if chunk_rows == 1000:
        assert len(pieces) == 1


def test_plain_blocks_are_parsed_by_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    row_by_row: list[int] = []
    arrow, python = arrow_jsonl._parsed, arrow_jsonl._row_by_row

    def counted_arrow(block: bytes, schema: pa.Schema) -> pa.Table | None:
        parsed.append(len(block))
        return arrow(block, schema)

    def counted_python(path: Path, block: bytes, number: int, *rest: Any) -> Any:
        row_by_row.append(number)
        return python(path, block, number, *rest)

    monkeypatch.setattr(arrow_jsonl, "_parsed", counted_arrow)
    monkeypatch.setattr(arrow_jsonl, "_row_by_row", counted_python)
    monkeypatch.setattr(arrow_jsonl, "BLOCK_SIZE", 256)
    path = tmp_path / "m.jsonl"
    path.write_text(PLAIN + "{bad\n" + PLAIN, encoding="utf-8")
    pieces = list(iter_manifest(path, chunk_rows=1000))
    assert sum(piece.rows for piece in pieces) == 25
    assert len(parsed) > 2 and len(row_by_row) == 1  # only the block with the bad line


@pytest.mark.parametrize(
    ("content", "problem", "line"),
    [
        (PLAIN + '{"photo_id": "1", "t": "\xe9"}\n'.replace("\xe9", "\udce9"), "invalid UTF-8", 13),
        (PLAIN + '{"photo_id": "1", "t": ' + "[" * 300 + "]" * 300 + "}\n", "nested", 13),
    ],
)
def test_errors_name_their_line_as_the_row_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str, line: int
) -> None:
    monkeypatch.setattr(arrow_jsonl, "BLOCK_SIZE", 200)
    path = tmp_path / "m.jsonl"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(ManifestError, match=problem) as whole:
        read_manifest(path)
    with pytest.raises(ManifestError, match=problem) as chunked:
        list(iter_manifest(path, chunk_rows=5))
    assert str(chunked.value) == str(whole.value)
    assert getattr(chunked.value, "line", None) == line


def test_nested_located_keys_are_left_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(
        "".join(f'{{"meta": {{"photo_id": "{i}", "license": "4"}}}}\n' for i in range(5)),
        encoding="utf-8",
    )
    assert arrow_jsonl.iter_jsonl_arrow(path, ColumnOptions(), 10) is None
    whole = read_manifest(path)
    assert piece_texts(list(iter_manifest(path, chunk_rows=2)), "photo_ref") == piece_texts(
        [whole], "photo_ref"
    )
