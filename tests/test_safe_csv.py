"""CSV written by the auditor cannot run formulas when opened in a spreadsheet."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from auditor.safe_csv import defuse_cell, defuse_frame, write_csv


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (42, 42),
        (None, None),
    ],
)
def test_defuse_cell(cell: object, expected: object) -> None:
    assert defuse_cell(cell) == expected


def test_defuse_frame_leaves_numbers_and_the_input_alone() -> None:
    frame = pd.DataFrame({"title": ["=1+1", "ok", None], "source_row": [1, 2, 3]})
    out = defuse_frame(frame)
    assert out["title"].tolist()[:2] == ["'=1+1", "ok"]
    assert pd.isna(out["title"].iloc[2])
    assert out["source_row"].tolist() == [1, 2, 3]
    assert frame["title"].iloc[0] == "=1+1"


def test_write_csv_has_no_index_and_defused_cells() -> None:
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"owner_name": ["@evil"], "photo_id": ["7088065"]}), buffer)
    # Arrow's writer quotes every text field (RFC 4180); spreadsheets still read '@evil as text.
    assert buffer.getvalue() == '"owner_name","photo_id"\n"\'@evil","7088065"\n'


def test_write_csv_round_trips_hostile_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"title": ['a "quoted", comma', "line\nbreak", None, "=1+1"], "source_row": [1, 2, 3, 4]}
    )
    target = tmp_path / "x.csv"
    write_csv(frame, target)
    back = pd.read_csv(target, dtype={"title": str}, keep_default_na=False)
    assert back["title"].tolist() == ['a "quoted", comma', "line\nbreak", "", "'=1+1"]
    assert back["source_row"].tolist() == [1, 2, 3, 4]
