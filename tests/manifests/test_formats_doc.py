"""docs/formats.md's dataset-family table stays true: every example is written to a file, read
with no options, and must give the format, photo id and owner the table shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from auditor.manifests.read import FORMATS, read_manifests

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
Write = Callable[[str, str | bytes], Path]


def _cells(line: str) -> list[str]:
    # `\|` inside a cell is a pipe of the example, not a cell border.
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def family_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Dataset families", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [_cells(line) for line in lines[1:]]  # the first is the header


ROWS = family_rows()


def test_the_table_lists_the_families_of_the_issue() -> None:
    families = " ".join(row[0] for row in ROWS)
    for name in ("Flickr8k", "Flickr30k", "Karpathy", "BLIP", "Im2GPS", "NUS-WIDE", "ImageNet"):
        assert name in families
    assert len(ROWS) >= 18


@pytest.mark.parametrize("row", [row for row in ROWS if row[5].startswith("`")], ids=lambda r: r[0])
def test_each_example_reads_as_documented(write: Write, row: list[str]) -> None:
    family, read_as, *_, example, gives = row
    content = example.strip("`").replace("\\n", "\n").replace("\\t", "\t") + "\n"
    table = read_manifests([write("example.bin", content)])
    formats = [name.strip("`") for name in re.findall(r"`[a-z0-9-]+`", read_as)]
    assert formats and all(name in FORMATS for name in formats), family
    assert table.files[0].format in formats, family
    photo_id, _, owner = gives.partition(", ")
    first = table.photos.iloc[0]
    assert first["photo_id"] == photo_id, family
    assert (None if pd.isna(first["owner"]) else first["owner"]) == (owner or None), family
