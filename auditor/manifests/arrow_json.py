"""JSON documents (an array of records, or an object holding one: `{"images": [...]}`) read
by Arrow's JSON parser, block by block (issue 18).

The record reader (`tabular.read_json_records` over `auditor.jsonstream`) builds each record
as a Python dict through ijson, then copies its fields into columns: exact, but slow. This gives
the same rows column by column. The columns are learnt as the record reader learns them
(`tabular.records_plan`), from the first records (the skeleton's, or read again from the file
when it holds fewer than 100). Then the bytes of the records' array are cut out of the file
between elements, found by a vectorised scan of the structure (`DepthScanner.structure`), and
each block of whole elements, their separating commas made newlines, is parsed by Arrow as JSON
Lines with a schema of just the located keys (as `arrow_jsonl` does). COCO files' `images` are
read so too, their licence ids looked up once each (`iter_coco_arrow`, `coco.licence_values`).

Arrow and yajl (the record reader's parser) disagree at the edges: Arrow takes NaN and Infinity,
integers past 64 bits in the fields it skips, a value other than an object (null becomes a row)
and objects with no comma between them. So a block is Arrow's only when its elements are
objects with one comma between each two, no NaN, Inf, 19-digit number or byte-order mark stands
outside its strings, and Arrow makes as many rows of it as it has objects. The document around
the array is checked by yajl with the array left out (which also finds a second array of
records under the same key). At the first thing that fails, the record reader takes over from
the first record not yet read, reading the document again (`StreamedList.rest`): bad records
keep their notes, a broken document its error message (and its line), an unreadable one its
error. The reader checks what it reads as the guard of a JSON stream would (nesting depth,
UTF-8); the record reader reads through the guard, which says what failed.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from auditor.errors import ManifestError
from auditor.inputs import DECOMPRESSION_ERRORS, is_stream
from auditor.jsonstream import DepthScanner, JsonProblem, StreamedList
from auditor.limits import current
from auditor.manifests.arrow_jsonl import (
    _Block,
    _key_type,
    _piece,
    _split,
    column_text,
    read_json_block,
)
from auditor.manifests.coco import (
    NO_FLICKR_URL,
    NO_TABLE,
    add_images,
    licence_table,
    licence_values,
    looks_like_coco,
)
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.normalise import _as_text
from auditor.manifests.raw import RawManifest
from auditor.manifests.source import json_stream
from auditor.manifests.tabular import (
    _RECORD_SAMPLE,
    _document_evidence,
    _fill,
    _flatten,
    _plan,
    json_records,
    record_rows,
    records_key,
    records_plan,
)

BLOCK_SIZE = 4 << 20  # bytes read (and of whole elements parsed) at a time
PREFIX_BYTES = 64 << 20  # how far into an object its list of records is looked for
_STR = pa.string()
_COMMA, _COLON, _NEWLINE = ord(","), ord(":"), ord("\n")
_BRACE, _BRACKET, _END = ord("{"), ord("["), ord("]")
_CLOSING = np.zeros(256, dtype=bool)  # by byte
_CLOSING[[ord("]"), ord("}")]] = True
_BLANK = b" \t\r\n"
# Outside strings, these bytes start what yajl refuses and Arrow may take: NaN, Infinity, a
# byte-order mark.
_SUSPECT = np.zeros(256, dtype=bool)  # by byte
_SUSPECT[list(b"NI\xef")] = True
_MARKS = (_COMMA, _COLON, *b"NI\xef")
_DIGITS_AS_ZERO = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord("x") for b in range(256))
_LONG_NUMBER = b"0" * 19  # yajl's integers stop at 64 bits (19 digits may already be too many)
_LONG_NUMBERS = re.compile(b"0{19,}")

ReadInPieces = Callable[[Callable[[], RawManifest], int], Iterator[RawManifest]]


class _GiveUp(Exception):
    """Arrow cannot settle what follows: the record reader reads it."""


def iter_json_arrow(
    path: Path, document: Any, options: ColumnOptions, chunk_rows: int, in_pieces: ReadInPieces
) -> Iterator[RawManifest] | None:
    """The records of a streamed JSON document in pieces of about `chunk_rows` rows, or None
    when the record reader must read it: a pipe (it is read once), positional column options,
    a document read whole (small) or of another shape, records whose first ones the skeleton
    does not hold, located keys of nested objects (`meta.url`). `in_pieces` reads the rest in
    pieces with the record reader, when Arrow cannot (`read._in_pieces`)."""
    if is_stream(path) or options.positional():
        return None
    items = json_records(document)
    key = records_key(document)
    if not isinstance(items, StreamedList):
        return None
    if isinstance(document, list) != (key is None) or "." in (key or ""):
        return None  # (ijson's prefixes join keys with dots)
    if items.where != ("item" if key is None else f"{key}.item"):
        return None
    try:
        head = _first_records(items)
    except ManifestError:
        return None  # the record reader says it again
    meta = RawManifest(path, "json")
    if key is not None:
        meta.notes.append(f"records read from the document's {key!r} list")
    try:
        located, _ = records_plan(
            meta, enumerate(head, start=1), options, _document_evidence(document)
        )
    except ManifestError:
        return None  # the record reader says it again
    plan = _plan(located)
    keys = list(dict.fromkeys(name for _, name in plan))
    if any(not isinstance(name, str) or "." in name for name in keys):
        return None
    sample = [_flatten(record) for record in head if isinstance(record, dict)]
    schema = pa.schema([(name, _key_type(name, sample)) for name in keys])

    def columns_of(table: pa.Table) -> dict[str, pa.Array]:
        return {target: column_text(table, name) for target, name in plan}

    def by_records(skip: int) -> RawManifest:
        """The records after the first `skip`, read by the record reader."""
        raw = RawManifest(path, "json")
        raw.numeric_names = meta.numeric_names
        raw.counts_not_ids = meta.counts_not_ids
        values = enumerate(items.rest(skip), start=skip + 1)
        records = ((n, _flatten(r) if isinstance(r, dict) else r) for n, r in values)
        _fill(raw, located, record_rows(records))
        return raw

    return _pieces(path, meta, key, _Parse(schema, columns_of), chunk_rows, by_records, in_pieces)


def _first_records(items: StreamedList) -> list[Any]:
    """The records the record reader learns its columns from (up to the `_RECORD_SAMPLE`th
    object): the skeleton's, read on from the file when it holds fewer (records of more than
    10 KiB)."""
    head: list[Any] = items[:]  # (a slice does not stream)
    if sum(isinstance(record, dict) for record in head) >= _RECORD_SAMPLE:
        return head
    records = iter(items)
    head, objects = [], 0
    try:
        for record in records:
            head.append(record)
            objects += isinstance(record, dict)
            if objects >= _RECORD_SAMPLE:
                break
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()  # the file, at once
    return head


def iter_coco_arrow(
    path: Path, document: Any, chunk_rows: int, in_pieces: ReadInPieces
) -> Iterator[RawManifest] | None:
    """`iter_json_arrow` for a COCO annotation file (`coco.read_coco`)."""
    if is_stream(path) or not looks_like_coco(document):
        return None
    images = document["images"]
    if not isinstance(images, StreamedList) or images.where != "images.item":
        return None
    try:
        licences = licence_table(path, document)
    except ManifestError:
        return None  # the record reader says it again
    meta = RawManifest(path, "coco")
    if licences is None:
        meta.notes.append(NO_TABLE)
    sample = [image for image in images[:] if isinstance(image, dict)]
    schema = pa.schema([("flickr_url", _STR), ("license", _key_type("license", sample))])

    def by_records(skip: int) -> RawManifest:
        raw = RawManifest(path, "coco")
        add_images(raw, licences, enumerate(images.rest(skip), start=skip + 1))
        return raw

    parse = _Parse(schema, lambda table: _coco_columns(table, licences))
    return _pieces(path, meta, "images", parse, chunk_rows, by_records, in_pieces)


def _coco_columns(
    table: pa.Table, licences: dict[str, dict[str, Any]] | None
) -> dict[str, pa.Array]:
    """`coco.add_images` column by column: each licence id looked up once."""
    url = column_text(table, "flickr_url")
    ids = table.column("license").combine_chunks()
    whole_numbers = pa.types.is_integer(ids.type)
    encoded = column_text(table, "license").dictionary_encode()
    fields: dict[str, list[str | None]] = {
        name: [] for name in ("licence", "licence_alt", "licence_raw", "notes")
    }
    for text in encoded.dictionary.to_pylist():
        values, notes = licence_values(licences, int(text) if whole_numbers else text)
        for name in ("licence", "licence_alt", "licence_raw"):
            fields[name].append(_as_text(values.get(name)))
        fields["notes"].append("; ".join(notes) or None)
    columns = {
        name: pa.array(values, _STR).take(encoded.indices) for name, values in fields.items()
    }
    no_url = pc.fill_null(pc.equal(url, ""), True)
    url_note = pc.if_else(no_url, pa.scalar(NO_FLICKR_URL, _STR), pa.scalar(None, _STR))
    licence_note = columns["notes"]
    both = pc.binary_join_element_wise(url_note, licence_note, "; ")
    columns["notes"] = pc.coalesce(both, url_note, licence_note)
    columns["url"] = url
    return columns


class _Parse:
    """How a block is parsed: the keys Arrow reads, and the fields they become."""

    def __init__(
        self, schema: pa.Schema, columns: Callable[[pa.Table], dict[str, pa.Array]]
    ) -> None:
        self.schema = schema
        self.columns = columns


def _pieces(
    path: Path,
    meta: RawManifest,
    key: str | None,
    parse: _Parse,
    chunk_rows: int,
    by_records: Callable[[int], RawManifest],
    in_pieces: ReadInPieces,
) -> Iterator[RawManifest]:
    pending: list[_Block] = []
    rows = 0  # in pending
    done = 0  # records read
    yielded = False
    gave_up = False
    stream = json_stream(path, guarded=False)  # (checked here, as it is scanned)
    try:
        for columns, count in _array_blocks(stream, key, parse):
            pending.append((np.arange(done + 1, done + count + 1, dtype=np.int64), columns))
            done += count
            rows += count
            while rows >= chunk_rows:  # pieces of `chunk_rows` rows, as the record reader's
                piece, pending = _split(pending, chunk_rows)
                yield _piece(meta, piece, first=not yielded)
                rows -= chunk_rows
                yielded = True
    except (_GiveUp, ManifestError, *DECOMPRESSION_ERRORS):
        gave_up = True  # the record reader meets it again, and says it as it always has
    finally:
        stream.close()
    if rows or not yielded:
        yield _piece(meta, pending, first=not yielded)
    if gave_up:
        yield from in_pieces(lambda: by_records(done), chunk_rows)


class _Scanned:
    """Bytes read and not yet parsed, with the positions in them of their unescaped quotes and
    of their brackets, commas, colons and `_SUSPECT` bytes outside strings (and the depth after
    each). What is read is checked as the guard of a JSON stream checks it (nesting depth and
    UTF-8): when it fails, the record reader reads the file through the guard, which says so."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.scanner = DepthScanner(current().json_depth, count_lines=False)
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.data = b""
        self.quotes = np.zeros(0, dtype=np.int64)
        self.marks = np.zeros(0, dtype=np.int64)
        self.depths = np.zeros(0, dtype=np.int64)
        self.ended = False

    def read(self) -> bytes:
        """The next bytes of the file, checked (b"" at its end)."""
        chunk = self.stream.read(BLOCK_SIZE)
        try:
            self.utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise _GiveUp from None
        return chunk

    def more(self) -> bool:
        """Read and scan the next bytes; False at the end of the file."""
        chunk = self.read()
        if not chunk:
            self.ended = True
            return False
        try:
            quotes, marks, depths = self.scanner.structure(chunk, _MARKS)
        except JsonProblem:
            raise _GiveUp from None
        offset = len(self.data)
        self.data += chunk
        self.quotes = np.concatenate([self.quotes, quotes + offset])
        self.marks = np.concatenate([self.marks, marks + offset])
        self.depths = np.concatenate([self.depths, depths])
        return True

    def kinds(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.uint8)[self.marks]

    def drop(self, size: int) -> bytes:
        """Take the first `size` bytes out."""
        taken, self.data = self.data[:size], self.data[size:]
        self.quotes = self.quotes[self.quotes >= size] - size
        kept = self.marks >= size
        self.marks, self.depths = self.marks[kept] - size, self.depths[kept]
        return taken


class _Around:
    """yajl over the document with the records' array left out: it must be valid JSON, and hold
    no other records where the array's are (a key given twice)."""

    def __init__(self, key: str | None) -> None:
        self.found = ijson.sendable_list()
        self.parser = ijson.items_coro(
            self.found, "item" if key is None else f"{key}.item", use_float=True
        )

    def send(self, data: bytes) -> None:
        if not data:
            return  # (to ijson, no bytes is the end of the document)
        try:
            self.parser.send(data)
        except ijson.JSONError:
            raise _GiveUp from None
        if self.found:
            raise _GiveUp

    def close(self) -> None:
        try:
            self.parser.close()
        except ijson.JSONError:
            raise _GiveUp from None
        if self.found:
            raise _GiveUp


def _array_blocks(
    stream: BinaryIO, key: str | None, parse: _Parse
) -> Iterator[tuple[dict[str, pa.Array], int]]:
    """(located columns, rows) of each block of the records' array; `_GiveUp` at the first
    thing Arrow cannot settle."""
    scanned = _Scanned(stream)
    around = _Around(key)
    depth, start = _find_array(scanned, key)
    around.send(scanned.drop(start + 1) + b"]")  # the document with the array left empty
    while True:
        kinds = scanned.kinds()
        ends = np.flatnonzero(_CLOSING[kinds] & (scanned.depths == depth - 1))
        end = int(scanned.marks[ends[0]]) if len(ends) else None
        opens = (kinds == _BRACE) & (scanned.depths == depth + 1)
        separators = (kinds == _COMMA) & (scanned.depths == depth)
        if end is not None:
            if scanned.data[end] != _END:
                raise _GiveUp  # the array closed by a `}`
            cut = end
            level = np.flatnonzero((opens | separators) & (scanned.marks < end))
            if not len(level):
                raise _GiveUp  # a comma before the `]`
        elif scanned.ended:
            raise _GiveUp  # the file ends inside the array
        elif not separators.any():
            scanned.more()  # an element longer than what was read
            continue
        else:
            level = np.flatnonzero(opens | separators)
            level = level[: np.flatnonzero(separators[level])[-1] + 1]
            cut = int(scanned.marks[level[-1]])
        # Objects and single commas in turn, from an object to the `]` or the last comma.
        is_separator = separators[level]
        if is_separator[0] or bool((is_separator[1:] == is_separator[:-1]).any()):
            raise _GiveUp  # a comma too many or too few, or an element not an object
        if is_separator[-1] == (end is not None):
            raise _GiveUp  # a comma before the `]`
        arrays = (kinds == _BRACKET) & (scanned.depths == depth + 1)
        if (arrays | _SUSPECT[kinds])[scanned.marks < cut].any():
            raise _GiveUp  # an array among the records, or NaN, Infinity, a byte-order mark
        yield _parsed(scanned, level[is_separator], int((~is_separator).sum()), cut, parse)
        if end is not None:
            around.send(scanned.drop(len(scanned.data))[end + 1 :])
            while chunk := scanned.read():
                try:
                    scanned.scanner.feed(chunk)
                except JsonProblem:
                    raise _GiveUp from None
                around.send(chunk)
            around.close()
            return
        scanned.drop(cut + 1)


def _find_array(scanned: _Scanned, key: str | None) -> tuple[int, int]:
    """Read up to the `[` of the records' array: the depth inside it and its position."""
    looked = 0  # marks looked at
    while True:
        kinds = scanned.kinds()
        if key is None:
            if len(kinds):
                start = int(scanned.marks[0])
                if kinds[0] != _BRACKET or scanned.data[:start].strip(_BLANK):
                    raise _GiveUp
                return 1, start
        else:
            colons = np.flatnonzero((kinds == _COLON) & (scanned.depths == 1))
            for index in colons[colons >= looked].tolist():
                if index + 1 >= len(kinds):
                    break  # its value is not read yet
                looked = index + 1
                colon, start = int(scanned.marks[index]), int(scanned.marks[index + 1])
                if _key_before(scanned, colon) != key:
                    continue
                if kinds[index + 1] != _BRACKET or scanned.data[colon + 1 : start].strip(_BLANK):
                    raise _GiveUp
                return 2, start
        if len(scanned.data) > PREFIX_BYTES or not scanned.more():
            raise _GiveUp


def _key_before(scanned: _Scanned, colon: int) -> str | None:
    """The key a colon at the document's first level follows."""
    quotes = scanned.quotes[scanned.quotes < colon]
    if len(quotes) < 2:
        raise _GiveUp
    try:
        name = json.loads(scanned.data[int(quotes[-2]) : int(quotes[-1]) + 1])
    except ValueError:
        raise _GiveUp from None
    return name if isinstance(name, str) else None


def _parsed(
    scanned: _Scanned,
    separators: np.ndarray,
    objects: int,
    cut: int,
    parse: _Parse,
) -> tuple[dict[str, pa.Array], int]:
    """The fields (as text) of the `objects` elements before `cut` (`separators`: the marks
    of the commas between them, and maybe of the one at `cut`), and their count."""
    data = bytearray(memoryview(scanned.data)[:cut])
    commas = scanned.marks[separators]
    np.frombuffer(data, dtype=np.uint8)[commas[commas < cut]] = _NEWLINE
    _refuse_long_numbers(data, scanned.quotes[scanned.quotes < cut])
    try:
        table = read_json_block(data, parse.schema)
    except pa.ArrowException:  # (invalid JSON, or more than an Arrow array holds)
        raise _GiveUp from None
    if table.num_rows != objects:
        raise _GiveUp  # a value that is not an object (null) among them
    return parse.columns(table), objects


def _refuse_long_numbers(data: bytes | bytearray, quotes: np.ndarray) -> None:
    """`_GiveUp` when a 19-digit number stands outside the strings of `data` (which starts
    outside a string; `quotes`: its unescaped quotes)."""
    digits = data.translate(_DIGITS_AS_ZERO)
    if _LONG_NUMBER in digits:
        found = [match.start() for match in _LONG_NUMBERS.finditer(digits)]
        if (np.searchsorted(quotes, np.asarray(found)) % 2 == 0).any():
            raise _GiveUp
