"""Detect each manifest's format from its content and read any number of them into one table.

Detection looks at what the file holds, not its name: Parquet's magic bytes; a JSON document's
shape (COCO's `images`, a Flickr `photos.photo` listing, FFHQ-style records with `photo_url`);
JSON Lines; the header of a CSV (Open Images, Openverse) or the shape of a header-less TSV line
(YFCC100M, Openverse's provider TSV); one value per line (a URL list); else a generic CSV/TSV.
`--format` overrides it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

import pandas as pd

from auditor.errors import ManifestError
from auditor.inputs import release
from auditor.jsonstream import JsonProblem
from auditor.licences import LicenceCatalogue
from auditor.manifests.arrow_csv import iter_delimited_arrow, row_reader_note
from auditor.manifests.arrow_json import iter_coco_arrow, iter_json_arrow
from auditor.manifests.arrow_jsonl import iter_jsonl_arrow
from auditor.manifests.coco import looks_like_coco, read_coco
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.content import WHITESPACE, text_delimiter
from auditor.manifests.ffhq import looks_like_ffhq, read_ffhq
from auditor.manifests.flickr_api import looks_like_flickr_api, read_flickr_api
from auditor.manifests.format_names import FORMATS as FORMATS
from auditor.manifests.format_names import GENERIC_FORMATS as GENERIC_FORMATS
from auditor.manifests.format_names import JSON_DOCUMENT_FORMATS as JSON_DOCUMENT_FORMATS
from auditor.manifests.found import PhotosFound
from auditor.manifests.openimages import SIGNATURE as OPENIMAGES_SIGNATURE
from auditor.manifests.openimages import read_openimages
from auditor.manifests.openverse import CSV_REQUIRED as OPENVERSE_SIGNATURE
from auditor.manifests.openverse import TSV_COLUMNS as OPENVERSE_TSV_COLUMNS
from auditor.manifests.openverse import read_openverse
from auditor.manifests.raw import RawManifest, hand_on_pieces
from auditor.manifests.source import PARQUET_MAGIC, head_bytes, load_json_document, loads_line
from auditor.manifests.tabular import (
    iter_parquet,
    json_records,
    read_delimited,
    read_json_records,
    read_jsonl,
    read_parquet,
    row_reader_reason,
)
from auditor.manifests.urls import read_urls
from auditor.manifests.yfcc100m import CHUNK_ROWS as YFCC_CHUNK_ROWS
from auditor.manifests.yfcc100m import iter_yfcc100m, looks_like_yfcc100m, read_yfcc100m
from auditor.photo_table import FileReport, TableSummary, build_photo_table, summarise


@dataclass(frozen=True)
class _Sniff:
    container: str  # parquet | json | jsonl | text
    first_line: str  # first non-blank, non-comment line of a text file
    lines: tuple[str, ...] = ()  # the first few such lines (whole ones only)


def _data_lines(text: str, limit: int = 50) -> list[str]:
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # cut off by the sniffing buffer
    found = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return found[:limit]


def _sniff(path: Path) -> _Sniff:
    head = head_bytes(path)
    if head.startswith(PARQUET_MAGIC):
        return _Sniff("parquet", "")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ManifestError(path, "is UTF-16 text (a spreadsheet's 'Unicode text'); save as UTF-8")
    if b"\x00" in head:
        raise ManifestError(
            path, "is a binary file of no known manifest format; give a CSV, JSON or Parquet file"
        )
    text = head.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _Sniff("json", "")
    if stripped.startswith("{"):
        newline = stripped.find("\n")
        if newline != -1 and stripped[newline:].lstrip().startswith("{"):
            try:
                if isinstance(loads_line(stripped[:newline]), dict):
                    return _Sniff("jsonl", "")
            except (json.JSONDecodeError, JsonProblem):
                pass
        # Up to two lines: one means the document may also be a JSON Lines file of one record.
        return _Sniff("json", "", tuple(_data_lines(text, 2)))
    lines = _data_lines(text)
    return _Sniff("text", lines[0] if lines else "", tuple(lines))


def _detect_json(path: Path, document: Any, columns: ColumnOptions) -> str:
    if columns.given():
        return "json"
    for name, test in (
        ("coco", looks_like_coco),
        ("flickr-api", looks_like_flickr_api),
        ("ffhq", looks_like_ffhq),
    ):
        if test(document):
            return name
    if json_records(document) is not None:
        return "json"
    raise ManifestError(
        path,
        "is JSON of no known manifest shape (COCO, FFHQ-style, Flickr API listing or a list of "
        "records); check the file or pass --format",
    )


def delimiter_of(line: str) -> str:
    """Tab, semicolon (European spreadsheet exports) or comma, judged by a header line."""
    if "\t" in line:
        return "\t"
    return ";" if ";" in line and "," not in line else ","


def _delimiter(sniff: _Sniff, columns: ColumnOptions) -> str:
    """The text's delimiter: the user's, else the one that splits the sampled lines evenly,
    else judged by the first line as before."""
    if columns.delimiter:
        return columns.delimiter
    return text_delimiter(sniff.lines) or delimiter_of(sniff.first_line)


def _detect_text(sniff: _Sniff, columns: ColumnOptions) -> str:
    line = sniff.first_line
    delimiter = _delimiter(sniff, columns)
    if delimiter not in ("\t", ",", ";"):
        return "table"
    tabbed = delimiter == "\t"
    if columns.given():
        return "tsv" if tabbed else "csv"
    cells = line.rstrip("\r\n").split(delimiter)
    header = {cell.strip().strip('"').lower() for cell in cells}
    if all(name in header for name in OPENIMAGES_SIGNATURE):
        return "openimages"
    if all(name in header for name in OPENVERSE_SIGNATURE):
        return "openverse"
    if tabbed:
        if looks_like_yfcc100m(cells):
            return "yfcc100m"
        is_openverse_tsv = len(cells) == len(OPENVERSE_TSV_COLUMNS) and (
            cells[15].strip().lower() == "flickr" or "flickr.com" in cells[1]
        )
        return "openverse" if is_openverse_tsv else "tsv"
    if len(cells) == 1 and len(line.split()) <= 1 and not columns.delimiter:
        return "urls"
    return "csv"


def _choose_format(path: Path, fmt: str | None, columns: ColumnOptions) -> tuple[str, _Sniff, Any]:
    """`(format, sniff, parsed JSON document or None)`; the document is parsed at most once."""
    if fmt is not None and fmt not in FORMATS:
        raise ManifestError(path, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if columns.given() and fmt is not None and fmt not in GENERIC_FORMATS:
        raise ManifestError(
            path,
            f"column options apply to {', '.join(sorted(GENERIC_FORMATS))}, not {fmt}; "
            "drop them or choose a generic format",
        )
    sniff = _sniff(path)
    document: Any = None
    if sniff.container == "json" and (fmt is None or fmt in JSON_DOCUMENT_FORMATS):
        document = load_json_document(path)
    if fmt is None:
        if sniff.container in ("parquet", "jsonl"):
            fmt = sniff.container
        elif sniff.container == "json":
            fmt = _detect_json(path, document, columns)
        else:
            fmt = _detect_text(sniff, columns)
    elif not _fits(fmt, sniff, document, columns):
        raise ManifestError(
            path,
            f"does not fit --manifest-format {fmt}: it looks like "
            f"{_looks_like(path, sniff, document, columns)}; drop the option to read it as that",
        )
    return fmt, sniff, document


_LOOKS = {
    "coco": "MS COCO annotations (coco)",
    "ffhq": "FFHQ-style metadata (ffhq)",
    "flickr-api": "a Flickr API photo listing (flickr-api)",
    "json": "JSON records (json)",
    "openimages": "an Open Images image CSV (openimages)",
    "openverse": "an Openverse catalog export (openverse)",
    "yfcc100m": "YFCC100M metadata lines (yfcc100m)",
}
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "white space"}


def _looks_like(path: Path, sniff: _Sniff, document: Any, columns: ColumnOptions) -> str:
    """What a file is, by its content: a format name and what that is, for errors."""
    if sniff.container == "parquet":
        return "a Parquet file (parquet)"
    if sniff.container == "jsonl":
        return "JSON Lines, one record per line (jsonl)"
    if sniff.container == "json":
        if document is None:
            document = load_json_document(path)
        try:
            found = _detect_json(path, document, ColumnOptions())
        except ManifestError:
            return "a JSON document of no known manifest shape"
        return _LOOKS[found]
    found = _detect_text(sniff, columns)
    if found in ("csv", "tsv", "table"):
        delimiter = _delimiter(sniff, columns)
        name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
        return f"a text table separated by {name} ({found})"
    if found == "urls":
        return "a list of one value per line (urls)"
    return _LOOKS[found]


def _fits(fmt: str, sniff: _Sniff, document: Any, columns: ColumnOptions) -> bool:
    """Whether a format the user forced can read this file: the container must match, and a
    specialised format's shape must be there (a forced guess that does not fit is refused,
    not read into a table of junk)."""
    if sniff.container != "text":
        if fmt == "json" and sniff.container == "json":
            return json_records(document) is not None
        if fmt == "jsonl" and sniff.container == "json":
            # A JSON Lines file of one flat record (not a one-line COCO or API document): the
            # document is not loaded for a forced jsonl (a pipe is read once), its line is.
            if len(sniff.lines) != 1:
                return False
            try:
                record = loads_line(sniff.lines[0])
            except (json.JSONDecodeError, JsonProblem):
                return False
            return json_records(record) == [record] and not looks_like_flickr_api(record)
        if sniff.container == "json" and fmt in JSON_DOCUMENT_FORMATS:
            tests = {"coco": looks_like_coco, "ffhq": looks_like_ffhq}
            tests["flickr-api"] = looks_like_flickr_api
            failed = isinstance(document, dict) and document.get("stat") == "fail"
            return tests[fmt](document) or (fmt == "flickr-api" and failed)
        return fmt == sniff.container
    if fmt in JSON_DOCUMENT_FORMATS or fmt in ("jsonl", "parquet"):
        return False
    found = _detect_text(sniff, columns)
    if fmt == found or (fmt in ("csv", "tsv", "table") and found == "urls"):
        return True
    delimiter = _delimiter(sniff, columns)
    if fmt == "csv":
        return delimiter in (",", ";")
    if fmt == "tsv":
        return delimiter == "\t"
    return fmt == "table" and columns.delimiter is not None


def detect_format(path: str | Path, columns: ColumnOptions | None = None) -> str:
    """The format name (a key of `FORMATS`) that `path`'s content shows."""
    return _choose_format(Path(path), None, columns or ColumnOptions())[0]


def read_manifest(
    path: str | Path, fmt: str | None = None, columns: ColumnOptions | None = None
) -> RawManifest:
    """Read one manifest's rows as its format keeps them (see `auditor.manifests.raw`)."""
    path = Path(path)
    columns = columns or ColumnOptions()
    try:
        return _read(path, *_choose_format(path, fmt, columns), columns)
    finally:
        release(path)


def _read(
    path: Path, fmt: str, sniff: _Sniff, document: Any, columns: ColumnOptions
) -> RawManifest:
    delimiter = _delimiter(sniff, columns) if sniff.container == "text" else ","
    readers: dict[str, Callable[[], RawManifest]] = {
        "coco": lambda: read_coco(path, document),
        "ffhq": lambda: read_ffhq(path, document),
        "flickr-api": lambda: read_flickr_api(path, document),
        "json": lambda: read_json_records(path, columns, document),
        "openimages": lambda: read_openimages(path, delimiter),
        "openverse": lambda: read_openverse(path, sniff.first_line),
        "yfcc100m": lambda: read_yfcc100m(path),
        "csv": lambda: read_delimited(path, "csv", columns, ";" if delimiter == ";" else ","),
        "tsv": lambda: read_delimited(path, "tsv", columns),
        "table": lambda: read_delimited(
            path, "table", columns, delimiter if delimiter not in ("\t", ",", ";") else WHITESPACE
        ),
        "jsonl": lambda: read_jsonl(path, columns),
        "parquet": lambda: read_parquet(path, columns),
        "urls": lambda: read_urls(path, columns.ids_from_filenames),
    }
    return readers[fmt]()


def iter_manifest(
    path: str | Path,
    fmt: str | None = None,
    columns: ColumnOptions | None = None,
    chunk_rows: int = YFCC_CHUNK_ROWS,
) -> Iterator[RawManifest]:
    """Read one manifest in pieces of about `chunk_rows` rows, in file order: YFCC100M by
    Arrow in blocks, the formats read row by row through `_in_pieces`."""
    path = Path(path)
    columns = columns or ColumnOptions()
    try:
        chosen, sniff, document = _choose_format(path, fmt, columns)
        if chosen == "parquet":
            yield from iter_parquet(path, columns, chunk_rows)
            return
        if chosen in ("csv", "tsv"):
            comma = ";" if _delimiter(sniff, columns) == ";" else ","
            delimiter = comma if chosen == "csv" else "\t"
            reason = row_reader_reason(path, columns, delimiter)
            if reason is not None:
                row_reader_note(path, reason)
            pieces = (
                None
                if reason is not None
                else iter_delimited_arrow(path, chosen, columns, delimiter, chunk_rows)
            )
            if pieces is not None:
                yield from pieces
                return
        if chosen == "jsonl" and sniff.container == "jsonl":
            lines = iter_jsonl_arrow(path, columns, chunk_rows)
            if lines is not None:
                yield from lines
                return
        if sniff.container == "json" and chosen in ("json", "coco"):
            records = (
                iter_json_arrow(path, document, columns, chunk_rows, _in_pieces)
                if chosen == "json"
                else iter_coco_arrow(path, document, chunk_rows, _in_pieces)
            )
            if records is not None:
                yield from records
                return
        if chosen != "yfcc100m":
            yield from _in_pieces(lambda: _read(path, chosen, sniff, document, columns), chunk_rows)
            return
        chunks = iter_yfcc100m(path, chunk_rows=chunk_rows)
        first = next(chunks, None)
        if first is None:
            raise ManifestError(path, "is empty; give a manifest that lists photos")
        yield first
        del first  # (`yield from` holds no chunk while the next is parsed)
        yield from chunks
    finally:
        release(path)


class _Stopped(Exception):
    """The consumer of the pieces went away: the reader thread stops."""


def _in_pieces(read: Callable[[], RawManifest], rows: int) -> Iterator[RawManifest]:
    """The rows `read()` (a reader going row by row) adds, in pieces of `rows` rows, while it
    reads: it runs in a thread whose `RawManifest.add` hands each piece over (one at a time,
    so memory holds at most two pieces), and its own RawManifest, with the file's notes and
    skips, comes last. A streamed JSON document or a large CSV is so read in bounded memory by
    the chunked pipeline, however the format's reader is written."""
    handed: Queue[tuple[str, Any]] = Queue(maxsize=1)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                handed.put(entry, timeout=0.1)
                return
            except Full:
                continue
        raise _Stopped

    def work() -> None:
        hand_on_pieces(lambda piece: put(("piece", piece)), rows)
        try:
            put(("last", read()))
        except _Stopped:
            pass
        except BaseException as error:  # handed to the consumer, which raises it
            with contextlib.suppress(_Stopped):
                put(("error", error))
        finally:
            hand_on_pieces(None)

    thread = threading.Thread(target=work, name="flickr-audit-pieces", daemon=True)
    thread.start()
    try:
        yielded = False
        while True:
            kind, item = handed.get()
            if kind == "error":
                raise item
            if kind == "last":
                if item.rows or item.notes or item.skipped or not yielded:
                    yield item
                return
            yielded = True
            yield item
    finally:
        stop.set()
        with contextlib.suppress(Empty):
            handed.get_nowait()
        thread.join()


@dataclass(frozen=True)
class ManifestTable:
    """The photo table read from one or more manifests, and what was read from each file."""

    photos: pd.DataFrame
    files: list[FileReport]

    def summary(self) -> TableSummary:
        return summarise(self.photos, self.files)


def read_manifests(
    paths: Sequence[str | Path],
    fmt: str | None = None,
    columns: ColumnOptions | None = None,
    catalogue: LicenceCatalogue | None = None,
) -> ManifestTable:
    """Read manifests (auto-detected, or all as `fmt`) into one photo table.

    Each file is read by the readers the chunked pipeline uses (`iter_manifest`: Arrow for
    CSV, TSV, JSON Lines and Parquet), piece by piece, each piece normalised as it comes, so
    the table is the concatenation of what the pipeline's chunks hold, and a piece's raw rows
    are let go once normalised.

    Raises `ManifestError` for a file that cannot be used at all, or in which no Flickr photo
    is found (`found.PhotosFound`); bad rows inside a good file are kept with a note.
    """
    files: list[FileReport] = []
    photos = build_photo_table(iter_manifests(paths, fmt, columns, files), catalogue)
    found = PhotosFound()
    found.observe(photos)
    found.check(files)
    return ManifestTable(photos=photos, files=files)


def iter_manifests(
    paths: Sequence[str | Path],
    fmt: str | None,
    columns: ColumnOptions | None,
    files: list[FileReport],
    chunk_rows: int = YFCC_CHUNK_ROWS,
) -> Iterator[RawManifest]:
    """The pieces of each manifest in turn (`iter_manifest`); `files` gets each file's report
    once the file has been read."""
    for path in paths:
        tally = FileTally()
        for piece in iter_manifest(path, fmt, columns, chunk_rows=chunk_rows):
            tally.add(piece)
            yield piece
        files.append(tally.report(path))


class FileTally:
    """What the pieces of one manifest add up to (its `FileReport`), kept without their
    rows."""

    def __init__(self) -> None:
        self.rows = 0
        self.format = ""
        self.skipped: Counter[str] = Counter()
        self.notes: list[str] = []

    def add(self, piece: RawManifest) -> None:
        self.rows += piece.rows
        self.format = piece.format
        self.skipped.update(piece.skipped)
        self.notes.extend(piece.notes)

    def report(self, path: str | Path) -> FileReport:
        return FileReport(
            str(Path(path)), self.format, self.rows, dict(self.skipped), tuple(self.notes)
        )
