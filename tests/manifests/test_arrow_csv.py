"""Arrow's streaming CSV reader gives the rows the row-by-row reader gives (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cli_run import run_cli

from auditor.manifests import arrow_csv
from auditor.manifests.arrow_csv import arrow_can_split
from auditor.manifests.raw import RawManifest
from auditor.manifests.read import iter_manifest, read_manifest

# (file, content, read by Arrow)
CASES = [
    ("basic.csv", "photo_id,owner,license\n1,a,4\n2,b,5\n", True),
    (
        "quirks.csv",
        (
            '# comment\n\nphoto_id,owner,license,title\n1,a,4,"x,y"\n\n2,b\n3,c,5,t,extra\n'
            ',,,\n  ,  ,,\n4,"q""q",6,abc\n5,d,7,ünï\r\n6,e,8,last'
        ),
        True,
    ),
    ("semicolons.csv", "photo_id;owner;license\n1;a;4\n2;b;5\n", True),
    ("tabs.tsv", "photo_id\towner\tlicense\n1\ta\t4\n\n2\tb\n", True),
    ("crlf.csv", "photo_id,owner\r\n1,a\r\n\r\n2,b\r\n", True),
    ("bom.csv", "\ufeffphoto_id,license\n1,4\n2,5\n", True),
    ("header-only.csv", "photo_id,owner\n", True),
    ("spaces.csv", "photo_id,owner\n 1 , a \n\t2\t,b\n", True),
    # blank rows found by their first bytes, then trimmed: Unicode spaces, and near misses
    (
        "unicode-blank.csv",
        "owner,photo_id\na,1\n\u00a0,\u3000\n \t, \n\u00a0x,2\né, \nc,3\n\u2003,\n",
        True,
    ),
    ("quote-inside.csv", 'photo_id,title\n1,ab"c\n2,d\n', False),
    ("newline-in-field.csv", 'photo_id,title\n1,"a\nb"\n2,c\n', False),
]


def _values(pieces: list[RawManifest], name: str) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        column = piece.columns[name]
        values = column.to_pylist() if isinstance(column, pa.Array) else list(column)
        out.extend(value.item() if hasattr(value, "item") else value for value in values)
    return out


@pytest.mark.parametrize(("name", "content", "arrow"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("chunk_rows", [1, 3, 1000])
def test_arrow_pieces_are_the_rows_of_the_row_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str,
    arrow: bool,
    chunk_rows: int,
) -> None:
    monkeypatch.setattr(arrow_csv, "BLOCK_SIZE", 64)  # many small Arrow blocks
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    whole = read_manifest(path)  # the row-by-row reader
    pieces = list(iter_manifest(path, chunk_rows=chunk_rows))
    for field in whole.columns:
        assert _values(pieces, field) == _values([whole], field), field
    assert isinstance(pieces[0].columns["photo_ref"], pa.Array) is arrow


def test_split_scan_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow_csv, "BLOCK_SIZE", 32)
    path = tmp_path / "a.csv"
    path.write_text('id,t\n1,"x"\n2,"a ""b"" c"\n3,y\n', encoding="utf-8")
    assert arrow_can_split(path)
    path.write_text('id,t\n1,"x"\n2,"a\n""b"" c"\n3,y\n', encoding="utf-8")
    assert not arrow_can_split(path)  # a quoted field spans lines
    path.write_text("id,t\n1,x\n2," + "y" * 17 + "\n3,z\n", encoding="utf-8")
    assert not arrow_can_split(path)  # a line longer than half a block


@pytest.mark.parametrize(("length", "splits"), [(30, True), (31, True), (32, False)])
def test_lines_up_to_half_a_block_apart_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, length: int, splits: bool
) -> None:
    monkeypatch.setattr(arrow_csv, "BLOCK_SIZE", 64)  # newlines at most 32 bytes apart
    path = tmp_path / "a.csv"
    # a line of `length` bytes between two newlines of one block, after shorter lines
    path.write_text("i\n1\n22\n" + "3" * length + "\n4\n", encoding="utf-8")
    assert arrow_can_split(path) is splits


def test_line_longer_than_a_block_is_read_by_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_csv, "BLOCK_SIZE", 64)
    path = tmp_path / "long.csv"
    path.write_text("photo_id,title\n1,a\n2," + "t" * 500 + "\n3,c\n", encoding="utf-8")
    pieces = list(iter_manifest(path, chunk_rows=10))
    assert _values(pieces, "title") == ["a", "t" * 500, "c"]


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"photo_id,owner\n1,a\n2,b\xe9\n")
    with pytest.raises(Exception, match="invalid UTF-8") as error:
        list(iter_manifest(path, chunk_rows=10))
    assert getattr(error.value, "line", None) == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('photo_id,owner,license,title\n1,a,4,"two\nlines"\n2,b,5,t\n', "a quoted value spans"),
        ("image,owner,license\n12345_abcdef1234.jpg,a,4\n", "image file names"),
        ("photo_id,owner,license\n12345,a,4\n", None),  # read by Arrow: nothing said
    ],
)
def test_verbose_names_a_csv_read_row_by_row_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str | None
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(content, encoding="utf-8")
    base = ["audit", str(path), "--offline", "--output-dir", str(tmp_path / "out")]
    quiet = run_cli(base, capsys)[2]
    err = run_cli([*base, "--verbose"], capsys)[2]
    assert "row by row" not in quiet
    said = [line for line in err.splitlines() if "row by row by Python's csv module" in line]
    if reason is None:
        assert said == []
    else:
        assert len(said) == 1 and str(path) in said[0] and reason in said[0], err
