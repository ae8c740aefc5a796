"""YFCC100M metadata lines: tab-separated, no header, text fields URL-encoded (`+` for space).

Two layouts exist: Yahoo's original 23 columns, and the 25-column variant (Multimedia Commons /
the `yfcc100m` tools) that adds a line number in front and the photo hash after the id. The
collection date is not in the file (the dataset is a 2014 snapshot), so `collected_at` is empty;
column "date uploaded" (epoch) becomes `uploaded_at`.

YFCC100M has 100 million lines, so the file is parsed by Arrow's CSV reader in blocks, reading
only the columns the photo table needs; `iter_yfcc100m` yields it in chunks of bounded size.
Line numbers stay exact: blank lines are kept as (empty) rows and lines with the wrong number of
fields are reported by the reader with their line number and become rows with a note.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from auditor.errors import ManifestError
from auditor.inputs import is_stream
from auditor.limits import current, using
from auditor.manifests.raw import RAW_FIELDS, RawManifest
from auditor.manifests.source import head_bytes, iter_lines, open_binary

# 0-based positions in the original 23-column layout.
PHOTO_ID, NSID, NICKNAME, UPLOADED, TITLE, PAGE_URL, DOWNLOAD_URL, LICENCE_NAME, LICENCE_URL = (
    0,
    1,
    2,
    4,
    6,
    13,
    14,
    15,
    16,
)
WIDTHS = (23, 25)
CHUNK_ROWS = 1_000_000
# Bytes Arrow parses at a time: blocks that stay in the CPU cache parse about twice as fast as
# 16 MiB ones.
BLOCK_SIZE = 1 << 20
_STR = pa.string()


def _shift(cells: list[str]) -> list[str]:
    """Map a 25-column line onto the 23-column positions (drop line number and hash)."""
    return [cells[1], *cells[3:]] if len(cells) == 25 else cells


def looks_like_yfcc100m(cells: list[str]) -> bool:
    """A header-less line of 23 (or 25) tab-separated fields starting with a numeric photo id."""
    if len(cells) not in WIDTHS:
        return False
    cells = _shift(cells)
    return cells[PHOTO_ID].isdigit() and "@N" in cells[NSID].upper()


def _width(path: Path) -> int:
    first = head_bytes(path).split(b"\n", 1)[0]
    width = first.count(b"\t") + 1
    return width if width in WIDTHS else 23


def _decode(array: pa.Array) -> pa.Array:
    """URL-decode (`+` → space, `%XX`); values without `%` need only the `+` replaced."""
    plus = pc.replace_substring(array, "+", " ")
    escaped = pc.fill_null(pc.match_substring(array, "%"), False).to_numpy(zero_copy_only=False)
    if not escaped.any():
        return plus
    rows = np.flatnonzero(escaped)
    values = plus.to_numpy(zero_copy_only=False).copy()
    originals = array.take(pa.array(rows)).to_pylist()
    decoded = {value: unquote_plus(value) for value in dict.fromkeys(originals)}
    values[rows] = [decoded[value] for value in originals]
    return pa.array(values, _STR)


def _nullify(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, _STR), array)


def _shown(name: str | None, url: str | None) -> str | None:
    """The recorded licence as one display string: `name <url>`, or what there is of it."""
    if url is not None:
        return f"<{url}>" if name is None else f"{name} <{url}>"
    return name


def _licence_texts(names: pa.Array, urls: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(name, URL, display string) per row, empty values as null. The columns hold a few
    licences across millions of rows: each distinct (name, URL) pair is worked out once."""
    if len(names) == 0 or names.null_count or urls.null_count:  # (the reader gives no null)
        name, url = _nullify(names), _nullify(urls)
        bracketed = pc.binary_join_element_wise("<", url, ">", "")
        joined = pc.binary_join_element_wise(name, bracketed, " ")
        return name, url, pc.coalesce(joined, name, bracketed)
    name_codes, name_values = _dictionary(names)
    url_codes, url_values = _dictionary(urls)
    pair = name_codes * len(url_values) + url_codes
    unique_pairs, at = np.unique(pair, return_inverse=True)
    shown = [
        _shown(name_values[int(p) // len(url_values)], url_values[int(p) % len(url_values)])
        for p in unique_pairs
    ]
    take = pa.array(at.reshape(-1).astype(np.int64))
    return (
        _nullify(names) if None in name_values else names,
        _nullify(urls) if None in url_values else urls,
        pa.array(shown, _STR).take(take),
    )


def _dictionary(array: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """Dictionary codes of a string column without nulls, and each code's value (None for
    the empty string)."""
    encoded = array.dictionary_encode()
    values = [value or None for value in encoded.dictionary.to_pylist()]
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, values


def _chunk(
    path: Path, columns: dict[str, pa.Array], lines: np.ndarray, bad: list[tuple[int, int]]
) -> RawManifest:
    """A raw manifest from parsed columns (23-column positions) plus the bad lines among them."""
    raw = RawManifest(path, "yfcc100m")
    # Blank lines are not rows. A row is blank only if its first field is empty: test that first.
    keep = np.ones(len(lines), dtype=bool)
    col = columns
    if len(lines) and not pc.all(pc.not_equal(columns["c0"], "")).as_py():
        empty = pc.equal(columns["c0"], "")
        for name in ("c1", "c13", "c14"):
            empty = pc.and_(empty, pc.equal(columns[name], ""))
        keep &= ~empty.to_numpy(zero_copy_only=False)
        take = pa.array(np.flatnonzero(keep))
        col = {name: array.take(take) for name, array in columns.items()}
    name, url, shown = _licence_texts(col[f"c{LICENCE_NAME}"], col[f"c{LICENCE_URL}"])
    fields: dict[str, object] = {
        "source_row": lines[keep],
        "photo_ref": col[f"c{PHOTO_ID}"],
        "url": col[f"c{PAGE_URL}"],
        "alt_url": col[f"c{DOWNLOAD_URL}"],
        "owner_ref": col[f"c{NSID}"],
        "owner_name": _decode(col[f"c{NICKNAME}"]),
        "licence": url,
        "licence_alt": name,
        "licence_raw": shown,
        "uploaded_at": col[f"c{UPLOADED}"],
        "title": _decode(col[f"c{TITLE}"]),
    }
    rows = int(keep.sum())
    if bad:  # lines with the wrong number of fields: rows of their own, with a note
        numbers = [number for number, _ in bad]
        order = np.argsort(np.concatenate([lines[keep], numbers]), kind="stable")
        notes = [f"has {count} tab-separated fields, expected 23 or 25" for _, count in bad]
        merged: dict[str, object] = {}
        for key in RAW_FIELDS:
            value = fields.get(key)
            if key == "source_row":
                merged[key] = np.concatenate([lines[keep], numbers])[order]
            elif key == "notes":
                merged[key] = pa.array([None] * rows + notes, _STR).take(pa.array(order))
            elif value is None:
                merged[key] = pa.nulls(rows + len(bad), _STR)
            else:
                assert isinstance(value, pa.Array)
                merged[key] = pa.concat_arrays([value, pa.nulls(len(bad), _STR)]).take(
                    pa.array(order)
                )
        raw.columns = merged
        return raw
    raw.columns = {key: fields.get(key, pa.nulls(rows, _STR)) for key in RAW_FIELDS}
    return raw


class _LineRange(io.RawIOBase):
    """The lines of a plain (not compressed) file that start in bytes [start, end): from the
    first line start at or after `start` to the first one at or after `end` (or the end)."""

    def __init__(self, path: Path, start: int, end: int | None) -> None:
        self._file = path.open("rb")
        begin = self._line_start(start)
        stop = self._line_start(end) if end is not None else path.stat().st_size
        self._file.seek(begin)
        self._remaining = max(0, stop - begin)

    def _line_start(self, at: int) -> int:
        if at <= 0:
            return 0
        self._file.seek(at - 1)
        while block := self._file.read(1 << 16):
            newline = block.find(b"\n")
            if newline >= 0:
                return self._file.tell() - len(block) + newline + 1
        return self._file.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        size = min(len(view), self._remaining)
        got = self._file.readinto(view[:size]) if size else 0
        self._remaining -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def iter_yfcc100m(
    path: Path,
    chunk_rows: int = CHUNK_ROWS,
    block_size: int | None = None,
    *,
    byte_range: tuple[int, int | None] | None = None,
    first_line: int = 1,
) -> Iterator[RawManifest]:
    """Read a YFCC100M file in chunks of about `chunk_rows` lines, in file order.

    `block_size` is the bytes Arrow parses at a time (a chunk is made of whole blocks;
    default `BLOCK_SIZE`). With `byte_range` (start, end or None), only the lines of a plain
    file that start in those bytes, the first of them numbered `first_line` (a distributed
    audit reads a 50 GB file in pieces, `manifests.shards.plan_partitions`).
    """
    width = _width(path)
    names = [f"f{i}" for i in range(width)]
    # Positions in this file of the 23-column fields we need.
    offset = {i: (i + 2 if width == 25 and i > 0 else (1 if width == 25 else i)) for i in range(23)}
    wanted = (
        PHOTO_ID,
        NSID,
        NICKNAME,
        UPLOADED,
        TITLE,
        PAGE_URL,
        DOWNLOAD_URL,
        LICENCE_NAME,
        LICENCE_URL,
    )
    include = {f"f{offset[i]}": f"c{i}" for i in wanted}
    bad: list[tuple[int, int]] = []  # (line, fields) of lines with the wrong number of fields
    skipped: list[int] = []  # every line the CSV reader skipped, bad or whitespace-only

    def invalid(row: pa_csv.InvalidRow) -> str:
        number = int(row.number) + first_line - 1  # Arrow counts from the stream's start
        skipped.append(number)
        if row.text.strip():
            bad.append((number, int(row.actual_columns)))
        return "skip"

    stream: Any = (
        open_binary(path, lines=True)
        if byte_range is None
        else io.BufferedReader(_LineRange(path, *byte_range), 1 << 20)
    )
    try:
        if byte_range is not None and not stream.peek(1):
            return  # no line starts in these bytes
        reader = _open(path, stream, names, include, invalid, block_size or BLOCK_SIZE)
        pending: list[pa.RecordBatch] = []
        next_line = first_line
        pending_rows = 0
        for batch in _batches(reader, path):
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= chunk_rows:
                chunk, next_line = _emit(path, pending, include, next_line, skipped, bad)
                pending, pending_rows = [], 0
                yield chunk
                del chunk  # the consumer's: not held while the next chunk is parsed
        if pending or bad:
            yield _emit(path, pending, include, next_line, skipped, bad, final=True)[0]
    finally:
        stream.close()


def _open(
    path: Path,
    stream: object,
    names: list[str],
    include: dict[str, str],
    invalid: object,
    block_size: int,
) -> pa_csv.CSVStreamingReader:
    try:
        return pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                column_names=names, use_threads=False, block_size=block_size
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter="\t",
                quote_char=False,
                ignore_empty_lines=False,  # keep blank lines as rows, so row positions are lines
                invalid_row_handler=invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, _STR),
                include_columns=list(include),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: pa.ArrowInvalid) -> ManifestError:
    """The error to raise for a file Arrow's reader refused; a bad byte is found by line."""
    if ("UTF8" in str(exc) or "UTF-8" in str(exc)) and not is_stream(path):
        for _ in iter_lines(path):  # raises ManifestError naming the line of the bad byte
            pass
    if "straddl" in str(exc) and not is_stream(path):
        # A line longer than Arrow's block: no YFCC100M line is; name it.
        shorter = replace(current(), line_bytes=min(current().line_bytes, BLOCK_SIZE))
        with using(shorter):
            for _ in iter_lines(path):  # raises ManifestError naming the long line
                pass
    return ManifestError(path, f"cannot be read as YFCC100M ({exc})")


def _batches(reader: pa_csv.CSVStreamingReader, path: Path) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    except pa.ArrowInvalid as exc:
        raise _unreadable(path, exc) from exc


def _emit(
    path: Path,
    batches: list[pa.RecordBatch],
    include: dict[str, str],
    next_line: int,
    skipped: list[int],
    bad: list[tuple[int, int]],
    final: bool = False,
) -> tuple[RawManifest, int]:
    rows = sum(batch.num_rows for batch in batches)
    table = pa.Table.from_batches(batches) if batches else None
    columns = {
        target: (table.column(source).combine_chunks() if table is not None else pa.array([], _STR))
        for source, target in include.items()
    }
    # The lines these rows came from: the next `rows` line numbers that were not bad lines.
    ahead = sorted(number for number in skipped if number >= next_line)
    span = np.arange(next_line, next_line + rows + len(ahead))
    lines = span[~np.isin(span, ahead)][:rows]
    end = int(lines[-1]) + 1 if rows else next_line
    mine = [(n, c) for n, c in bad if next_line <= n < end or (final and n >= next_line)]
    for item in mine:
        bad.remove(item)
    return _chunk(path, columns, lines, mine), end


def read_yfcc100m(path: Path) -> RawManifest:
    """Read a whole YFCC100M file (see `iter_yfcc100m` for bounded memory)."""
    chunks = list(iter_yfcc100m(path, chunk_rows=1 << 62))
    if len(chunks) == 1:
        return chunks[0]
    raise ManifestError(path, "is empty; give a manifest that lists photos")
