"""Folders and globs of shards as one dataset; partitions of a distributed audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.errors import ManifestError
from auditor.manifests.shards import (
    Partition,
    expand_shards,
    is_shard_name,
    number_lines,
    plan_partitions,
    range_newlines,
)
from auditor.manifests.yfcc100m import iter_yfcc100m
from auditor.photo_table import build_photo_table


def _touch(path: Path, text: str = "url\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_is_its_shards_in_path_order(tmp_path: Path) -> None:
    shards = tmp_path / "laion"
    b = _touch(shards / "00001.parquet")
    a = _touch(shards / "00000.parquet")
    c = _touch(shards / "part" / "00002.csv.gz")
    d = _touch(shards / "00003.jsonl")
    # Not shards: img2dataset's stats, markers, checksums, hidden files and folders.
    for name in ("00000_stats.json", "_SUCCESS", ".00000.parquet.crc", "README.md"):
        _touch(shards / name)
    _touch(shards / ".cache" / "00009.parquet")
    _touch(shards / "_temporary" / "00008.parquet")
    assert expand_shards([shards]) == [a, b, d, c]


def test_files_stay_as_named_and_globs_expand(tmp_path: Path) -> None:
    one = _touch(tmp_path / "z.tsv")
    shards = [_touch(tmp_path / "s" / f"{i:05d}.tsv") for i in (2, 0, 1)]
    assert expand_shards([one, str(tmp_path / "s" / "*.tsv")]) == [one, *sorted(shards)]
    # A file that does not exist is left to the reader, which names it.
    missing = tmp_path / "missing.csv"
    assert expand_shards([missing]) == [missing]


def test_an_empty_folder_or_pattern_is_one_line_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _touch(empty / "notes.txt")
    with pytest.raises(ManifestError, match="empty: is a folder with no shards"):
        expand_shards([empty])
    with pytest.raises(ManifestError, match=r"nothing-\*\.parquet: matches no file"):
        expand_shards([str(tmp_path / "nothing-*.parquet")])


@pytest.mark.parametrize(
    ("name", "shard"),
    [
        ("0.parquet", True),
        ("0.PQ", True),
        ("x.tsv.bz2", True),
        ("x.ndjson.xz", True),
        ("x_stats.json", False),
        ("_SUCCESS", False),
        (".x.parquet", False),
        ("x.parquet.crc", False),
    ],
)
def test_shard_names(name: str, shard: bool) -> None:
    assert is_shard_name(Path(name)) is shard


def test_a_plain_yfcc100m_file_is_cut_into_byte_ranges(tmp_path: Path) -> None:
    big = _touch(tmp_path / "yfcc.tsv", "x" * 250)
    small = _touch(tmp_path / "other.parquet", "x" * 250)
    parts = plan_partitions([small, big], ["parquet", "yfcc100m"], range_bytes=100)
    assert parts == [
        Partition(0, small),
        Partition(1, big, 0, 100),
        Partition(2, big, 100, 200),
        Partition(3, big, 200, None),
    ]
    assert parts[0].whole and not parts[1].whole


@pytest.mark.parametrize("range_bytes", [97, 300, 1000, 100_000])
def test_byte_ranges_of_a_yfcc100m_file_read_as_the_whole_file(
    tmp_path: Path, range_bytes: int
) -> None:
    """Each range reads the lines that start in it, numbered as in the whole file: bad lines,
    blank lines and a last line without its newline included."""
    lines = []
    for i in range(40):
        fields = [str(5000 + i), f"{1000 + i % 3}@N01", "nick", "2005-03-01 12:39:28.0",
                  "1100000000", "Canon", "T", "d", "t", "", "", "", "",
                  f"http://www.flickr.com/photos/x/{5000 + i}/", "", "Attribution License",
                  "http://creativecommons.org/licenses/by/2.0/", "8", "1", "65c9", "65c9", "jpg",
                  "0"]  # fmt: skip
        lines.append("\t".join(fields))
        if i in (5, 17):
            lines.append("bad\tline")
        if i == 23:
            lines.append("")
    path = tmp_path / "yfcc100m_dataset"
    path.write_text("\n".join(lines), encoding="utf-8")  # no newline after the last line

    def rows(pieces: list[Any]) -> tuple[list[Any], list[Any], list[str]]:
        table = build_photo_table(pieces)
        notes = [note for piece in pieces for note in piece.notes]
        return table["photo_id"].tolist(), table["source_row"].tolist(), notes

    whole = rows(list(iter_yfcc100m(path)))
    parts = plan_partitions([path], ["yfcc100m"], range_bytes=range_bytes)
    assert len(parts) == -(-path.stat().st_size // range_bytes)
    numbered = number_lines(parts, {part.index: range_newlines(part) for part in parts})
    pieces = [
        piece
        for part in numbered
        for piece in iter_yfcc100m(
            path, byte_range=(part.start, part.end), first_line=part.first_line
        )
    ]
    assert rows(pieces) == whole
    assert 43 in whole[1] and len(whole[0]) >= 40
