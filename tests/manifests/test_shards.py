"""Folders and globs of shards as one dataset; partitions of a distributed audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ManifestError
from auditor.manifests.shards import Partition, expand_shards, is_shard_name, plan_partitions


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
