"""Sharded manifests as one dataset: folders and globs of shards, and partitions to read.

LAION-5B, DataComp and COYO publish their metadata as thousands of Parquet (or CSV, TSV, JSON
Lines) shards in a folder; YFCC100M is one 50 GB TSV. `expand_shards` turns what the user
named (files, folders, globs) into the sorted list of shard files the audit reads as one
dataset: a folder's shards are the files under it with a shard suffix, in path order, so the
first listing of a photo (the `duplicate` rule) and the report order do not depend on how the
file system lists them. `plan_partitions` cuts that list into the units a distributed engine
reads on its own: one per shard, and a plain YFCC100M file in byte ranges of whole lines.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.errors import ManifestError
from auditor.manifests.source import compression_of

# Suffixes of shard files found in a folder (compressed ones too); anything else beside them
# (img2dataset's _stats.json, _SUCCESS, .crc checksums, README) is not a shard.
SHARD_SUFFIXES: tuple[str, ...] = (".parquet", ".pq", ".csv", ".tsv", ".jsonl", ".ndjson")
_COMPRESSED: tuple[str, ...] = (".gz", ".bz2", ".xz")
_GLOB_CHARACTERS = frozenset("*?[")
# A plain YFCC100M file is read in byte ranges of about this size (about 230,000 lines).
RANGE_BYTES = 64 * 1024 * 1024


def is_shard_name(path: Path) -> bool:
    """Whether a file found in a folder is a shard, by its suffix (a compressed one too)."""
    name = path.name.lower()
    if name.startswith((".", "_")):
        return False
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    return name.endswith(SHARD_SUFFIXES)


def _folder_shards(folder: Path) -> list[Path]:
    found = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and is_shard_name(path)
        and not any(part.startswith((".", "_")) for part in path.relative_to(folder).parts)
    )
    if not found:
        raise ManifestError(
            folder,
            f"is a folder with no shards ({', '.join(SHARD_SUFFIXES)} files, compressed or not); "
            "name the manifest files themselves",
        )
    return found


def expand_shards(names: Sequence[str | Path]) -> list[Path]:
    """The manifest files `names` stand for, in order: a file as it is, a folder as its shards
    (sorted by path), a glob pattern that names no existing file as its matches (sorted).

    A folder without shards, or a pattern that matches nothing, raises `ManifestError`; a file
    that does not exist is left for the reader to name.
    """
    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            files.extend(_folder_shards(path))
        elif not path.exists() and _GLOB_CHARACTERS & set(str(name)):
            # glob.glob, not Path.glob: the pattern may be absolute and span folders.
            found = glob.glob(str(name), recursive=True)  # noqa: PTH207
            matches = sorted(Path(match) for match in found if Path(match).is_file())
            if not matches:
                raise ManifestError(path, "matches no file; check the pattern (quote it)")
            files.extend(matches)
        else:
            files.append(path)
    return files


@dataclass(frozen=True)
class Partition:
    """One unit of a distributed audit: a whole manifest, or the lines of a plain YFCC100M file
    that start in bytes [start, end)."""

    index: int  # position in the audit's order: the reports list its rows in this order
    path: Path
    start: int = 0
    end: int | None = None  # None: to the end of the file (the whole file when start is 0)
    first_line: int = 1  # the line number of the range's first line (`number_lines`)

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end is None


def plan_partitions(
    files: Sequence[Path], formats: Sequence[str], range_bytes: int = RANGE_BYTES
) -> list[Partition]:
    """Partitions for `files` (`formats[i]` is the format of `files[i]`): a plain (not
    compressed) YFCC100M file larger than `range_bytes` in byte ranges, every other file whole."""
    partitions: list[Partition] = []
    for path, fmt in zip(files, formats, strict=True):
        try:
            size = path.stat().st_size if fmt == "yfcc100m" and path.is_file() else 0
        except OSError:  # the reader names the problem
            size = 0
        if fmt != "yfcc100m" or size <= range_bytes or compression_of(path) is not None:
            partitions.append(Partition(len(partitions), path))
            continue
        for start in range(0, size, range_bytes):
            end = start + range_bytes
            partitions.append(Partition(len(partitions), path, start, None if end >= size else end))
    return partitions


def range_newlines(part: Partition) -> int:
    """Newlines in bytes [start - 1, end - 1) of a partition's file: summed over the ranges
    before one, the newlines before the byte just ahead of its start (`number_lines`)."""
    path = Path(part.path)
    stop = (part.end if part.end is not None else path.stat().st_size) - 1
    begin = max(part.start - 1, 0)
    count = 0
    with path.open("rb") as handle:
        handle.seek(begin)
        left = max(0, stop - begin)
        while left > 0:
            block = handle.read(min(left, 1 << 22))
            if not block:
                break
            count += block.count(b"\n")
            left -= len(block)
    return count


def number_lines(partitions: Sequence[Partition], newlines: dict[int, int]) -> list[Partition]:
    """`partitions` with the first line number of each byte range, from `range_newlines` of
    every range (by partition index). A range's first line is the first that starts at or
    after its start: after the newline at or after the byte just ahead of it, so its number is
    the newlines before that byte, plus two."""
    numbered: list[Partition] = []
    before: dict[str, int] = {}
    for part in partitions:
        if part.whole:
            numbered.append(part)
            continue
        key = str(part.path)
        seen = before.get(key, 0)
        first = 1 if part.start == 0 else seen + 2
        numbered.append(replace(part, first_line=first))
        before[key] = seen + newlines[part.index]
    return numbered
