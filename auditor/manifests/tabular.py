"""Generic tables: CSV, TSV, JSON Lines, a JSON array of records, and Parquet.

Columns are found by common names or named by the user (`auditor.manifests.columns`). A file
whose header names no id or URL column is refused with a message saying which option to pass,
rather than read as if its first data row were a header.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from auditor.errors import ManifestError
from auditor.inputs import is_stream
from auditor.jsonstream import JsonProblem, value_list
from auditor.limits import current, raise_hint, shown
from auditor.manifests.columns import (
    COMMON_NAMES,
    FLICKR_ID_NAMES,
    ID_COLUMN_NAMES,
    ColumnOptions,
    locate_columns,
)
from auditor.manifests.content import (
    SAMPLE_ROWS,
    WHITESPACE,
    counts_not_ids,
    flickr_name_evidence,
    ids_agree,
    names_note,
    reference_ids,
    roles_by_content,
    row_has_reference,
)
from auditor.manifests.flickr_ids import parse_flickr_ref
from auditor.manifests.image_names import name_layout
from auditor.manifests.raw import RAW_FIELDS, RawManifest, piece_rows
from auditor.manifests.source import iter_lines, load_json_document, loads_line

_RECORD_SAMPLE = 100  # records looked at to learn the keys of JSON Lines / JSON arrays


_Row = TypeVar("_Row")


class _BadRow:
    """A record that cannot be read (invalid JSON, not an object): kept so the user sees it."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def iter_delimited(
    path: Path, delimiter: str, quoted: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """`(first_line_number, cells)` per record (quoted fields may span lines); skips blank lines.

    A field (which may span lines) is bounded like a line, by the `line_bytes` limit.
    `quoted=False` reads one record per line with no quoting (pipe-delimited and
    whitespace-aligned tables, `WHITESPACE`), as the tools that write them do.
    """
    if not quoted:
        for number, line in enumerate(iter_lines(path), start=1):
            text = line.rstrip("\r\n")
            cells = text.split() if delimiter == WHITESPACE else text.split(delimiter)
            if any(cell.strip() for cell in cells):
                yield number, cells
        return
    # Real exports carry JSON blobs in cells (Openverse's meta_data): the csv module's default
    # 128 KiB cap is low, so fields get the line limit instead.
    limit = current().line_bytes
    csv.field_size_limit(limit)
    reader = csv.reader(iter_lines(path), delimiter=delimiter, strict=False)
    start = 1
    try:
        for cells in reader:
            if cells and any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ManifestError(
                path,
                f"a field longer than the line limit ({shown(limit)} characters); is this a "
                "manifest? "
                f"({raise_hint('line_bytes')})",
                line=start,
            ) from None
        raise ManifestError(path, f"malformed {_kind(delimiter)} ({exc})", line=start) from exc


def header_and_records(
    path: Path, delimiter: str, quoted: bool = True
) -> tuple[tuple[int, list[str]], Iterator[tuple[int, list[str]]]]:
    """The first record `(line, cells)` (a header, usually) and an iterator over the rest."""
    records = iter_delimited(path, delimiter, quoted)
    first = next(records, None)
    # Exports sometimes start with `# comment` lines before the header.
    while first is not None and first[1][0].lstrip().startswith("#"):
        first = next(records, None)
    if first is None:
        raise ManifestError(path, "is empty; give a manifest that lists photos")
    return first, records


def _kind(delimiter: str) -> str:
    return "TSV" if delimiter == "\t" else "CSV"


def _has_photo_id(value: object) -> bool:
    return parse_flickr_ref(value).photo_id is not None


def _plan(located: Mapping[str, Sequence[Any]]) -> list[tuple[str, Any]]:
    """`(raw field, column key)` pairs: where each field of a row comes from."""
    plan: list[tuple[str, Any]] = []
    for role, keys in located.items():
        if role == "url":
            plan.append(("url", keys[0]))
            if len(keys) > 1:
                plan.append(("alt_url", keys[1]))
        elif role == "licence":
            # A separate version column means the licence column holds a short code (`by-nc`).
            plan.append(("licence_code" if "licence_version" in located else "licence", keys[0]))
            if len(keys) > 1:
                plan.append(("licence_alt", keys[1]))
        else:
            plan.append((role, keys[0]))
    return plan


_BATCH_ROWS = 4096  # rows `_fill` gathers before handing them to the raw manifest


def _fill(
    raw: RawManifest,
    located: Mapping[str, Sequence[Any]],
    rows: Iterator[tuple[int, Any]],
) -> None:
    """Copy each row's located cells (a list of cells or a record) into the raw manifest's
    fields, gathered column by column in batches: the per-row work is one append per field
    that is read."""
    plan = _plan(located)
    targets = [target for target, _ in plan]
    keys = [key for _, key in plan]
    sources: list[int] = []
    gathered: list[list[Any]] = [[] for _ in plan]

    def flush() -> None:
        nonlocal sources, gathered
        raw.add_columns(sources, dict(zip(targets, gathered, strict=True)))
        sources, gathered = [], [[] for _ in plan]

    batch = min(_BATCH_ROWS, piece_rows() or _BATCH_ROWS)
    pairs = list(zip(gathered, keys, strict=True))
    for source_row, row in rows:
        if isinstance(row, _BadRow):
            flush()
            pairs = list(zip(gathered, keys, strict=True))
            raw.add(source_row, notes=row.problem)
            continue
        sources.append(source_row)
        if isinstance(row, dict):
            for column, key in pairs:
                column.append(row.get(key))
        else:  # a list of cells; a short row has no value for the last columns
            cells = len(row)
            for column, key in pairs:
                column.append(row[key] if key < cells else None)
        if len(sources) >= batch:
            flush()
            pairs = list(zip(gathered, keys, strict=True))
    flush()


def _require_id_column(
    raw: RawManifest,
    header: Sequence[str],
    located: Mapping[str, Any],
    first_row: Sequence[Any],
    line: int | None = None,
) -> None:
    if _has_reference_role(located):
        return
    if any(_has_photo_id(cell) for cell in first_row):
        raise ManifestError(
            raw.path,
            "has no header naming a photo id or URL column, and this line looks like data; "
            "give the column's position with --id-column N or --url-column N",
            line=line,
        )
    shown = ", ".join(str(name) for name in header[:20]) or "none"
    raise ManifestError(
        raw.path,
        f"no column of Flickr photo ids, URLs or image file names found (columns: {shown}); "
        "name one with --id-column or --url-column",
        line=line,
    )


def read_delimited(
    path: Path,
    fmt: str,
    options: ColumnOptions,
    delimiter: str | None = None,
) -> RawManifest:
    """Read a generic CSV (`fmt="csv"`, `,` or `;` separated), TSV (`fmt="tsv"`) or text table
    (`fmt="table"`: pipe-delimited or whitespace-aligned, one record per line).

    Columns are found by name (`columns.locate_columns`), else by content
    (`content.roles_by_content`): a first line whose cells are themselves URLs or image names
    is data, and the file has no header."""
    delimiter = delimiter or ("\t" if fmt == "tsv" else ",")
    raw = RawManifest(path, fmt)
    first, records = header_and_records(path, delimiter, quoted=fmt != "table")
    first_cells = first[1]
    if fmt == "table" and first_cells and set(first_cells[0]) <= {"%"}:
        first_cells = first_cells[1:]  # NUS-WIDE-urls.txt's header starts with `%%%`
    sample = list(itertools.islice(records, SAMPLE_ROWS))
    rows = _chain([first, *sample], records)

    if options.positional():
        header = [str(i + 1) for i in range(max(len(first_cells), 1))]
        located = locate_columns(header, options, path)
        data = [first_cells, *(cells for _, cells in sample)]
        if len(sample) and _looks_like_header(located, first_cells, sample[0][1]):
            rows = _chain(sample, records)
            data = data[1:]
            raw.notes.append("line 1 read as a header")
        _finish(raw, located, header, data, options)
        _fill(raw, located, rows)
        return raw

    header = first_cells
    located = locate_columns(header, options, path)
    data = [cells for _, cells in sample]
    width = max((len(cells) for cells in [first_cells, *data]), default=0)
    by_content = (
        {} if _has_reference_role(located) else roles_by_content([first_cells, *data], range(width))
    )
    if by_content and row_has_reference(first_cells, by_content):
        header = [str(i + 1) for i in range(width)]
        located = by_content
        data = [first_cells, *data]
        raw.notes.append("no header line: columns found by their content")
    else:
        # Line 1 is a header.
        _refuse_duplicate_columns(path, header, first[0])
        if not _has_reference_role(located):
            located.update(roles_by_content(data, range(len(header))))
        rows = _chain(sample, records)
    _require_id_column(raw, header, located, first_cells, line=first[0])
    _finish(raw, located, header, data, options)
    _fill(raw, located, rows)
    return raw


def row_reader_reason(path: Path, options: ColumnOptions, delimiter: str) -> str | None:
    """Why a CSV/TSV must be read by `read_delimited` rather than column-wise by Arrow
    (`arrow_csv`), or None: when its columns are found by content, it has image names, or its
    sampled rows change what the header says (a row-id `id` column, counts in the id column).
    Reads the header and a sample; a pipe is always left to the row reader (it is read once)."""
    if is_stream(path):
        return "it is a stream, read once"
    if options.positional():
        return "its columns are given by position, which reading rows settles"
    (_, header), records = header_and_records(path, delimiter)
    try:
        located = locate_columns(header, options, path)
        if not _has_reference_role(located):
            return "its header names no id or URL column: columns are found by their content"
        if "image_name" in located:
            return "it has image file names, parsed row by row"
        sample = [cells for _, cells in itertools.islice(records, SAMPLE_ROWS)]
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()
    probe = RawManifest(path, "csv")
    settled = {role: list(keys) for role, keys in located.items()}
    _finish(probe, settled, header, sample, options)
    if settled != located or probe.notes:
        return "its first rows change what the header says (" + "; ".join(probe.notes) + ")"
    return None


def _has_reference_role(located: Mapping[str, Any]) -> bool:
    return bool({"photo_ref", "url", "image_name"} & located.keys())


def _column_name(header: Sequence[Any], key: Any) -> str:
    if isinstance(key, int):
        name = str(header[key]) if key < len(header) else ""
        return f"column {key + 1}" if not name or name == str(key + 1) else f"column {name!r}"
    return f"field {key!r}"


def _finish(
    raw: RawManifest,
    located: dict[str, list[Any]],
    header: Sequence[Any],
    sample: Sequence[Any],
    options: ColumnOptions,
    evidence: str | None = None,
) -> None:
    """Settle what the sampled rows show about the located columns: a bare `id` column that is
    the dataset's own row id is dropped, and whether bare-number image names are Flickr ids."""
    refs = {role: keys for role, keys in located.items() if role in ("url", "image_name")}
    ref_key = located.get("photo_ref", [None])[0]
    generic_id = (
        ref_key is not None
        and not options.given().get("photo_ref")
        and str(ref_key if not isinstance(ref_key, int) else header[ref_key])
        .strip()
        .lower()
        .rpartition(".")[2]
        == "id"
    )
    if generic_id and refs:
        ids = [row[ref_key] if _has(row, ref_key) else None for row in sample]
        if not ids_agree(ids, reference_ids(sample, refs)):
            del located["photo_ref"]
            raw.notes.append(
                f"{_column_name(header, ref_key)} is the dataset's own row id, not Flickr's "
                "(it differs from the photo ids in the URLs or image names); not used"
            )
    if "photo_ref" in located:
        id_key = located["photo_ref"][0]
        name = str(header[id_key] if isinstance(id_key, int) else id_key).strip().lower()
        reason = counts_not_ids(
            [row[id_key] for row in sample if _has(row, id_key)],
            counter_may_be_ids=name.rpartition(".")[2] in FLICKR_ID_NAMES,
        )
        if reason is not None:
            raw.counts_not_ids = reason
            raw.notes.append(f"{_column_name(header, id_key)} holds {reason}; not taken as ids")
    if "image_name" not in located:
        return
    key = located["image_name"][0]
    names = [row[key] for row in sample if _has(row, key)]
    if ("photo_ref" in located or "url" in located) and name_layout(names) is None:
        del located["image_name"]  # local file names beside the ids: nothing to add
        return
    reason = (
        ("--ids-from-filenames" if options.ids_from_filenames else None)
        or evidence
        or flickr_name_evidence(names, [str(name) for name in header])
    )
    raw.numeric_names = reason is not None
    raw.notes.append(names_note(names, f" in {_column_name(header, key)}", reason))


def _has(row: Sequence[Any], key: Any) -> bool:
    try:
        row[key]
    except (IndexError, KeyError, TypeError):
        return False
    return True


def _refuse_duplicate_columns(path: Path, header: Sequence[str], line: int) -> None:
    """Two columns of one name: which one holds the photo is a guess, so it is an error."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = name.strip().lower()
        if not key:
            continue
        if key in seen:
            raise ManifestError(
                path,
                f"the header names column {name.strip()!r} twice (columns {seen[key]} and "
                f"{position}); rename one, or give the column by position with --id-column N",
                line=line,
            )
        seen[key] = position


_COLUMN_NAME = re.compile(r"[A-Za-z_][\w .()-]{0,63}")


def _looks_like_header(
    located: Mapping[str, Sequence[int]], first: Sequence[str], second: Sequence[str]
) -> bool:
    """With positions given, line 1 is a header when its id/URL cells read like column names
    (`url`, `Photo ID`), not values, and line 2's give a photo id."""
    keys = [*located.get("photo_ref", []), *located.get("url", [])]

    def names(cells: Sequence[str]) -> bool:
        return all(
            k < len(cells) and _COLUMN_NAME.fullmatch(cells[k].strip()) is not None for k in keys
        )

    def ids(cells: Sequence[str]) -> bool:
        return any(k < len(cells) and _has_photo_id(cells[k]) for k in keys)

    return names(first) and ids(second)


def _chain(first: list[_Row], rest: Iterator[_Row]) -> Iterator[_Row]:
    yield from first
    yield from rest


def _record_keys(records: Sequence[Mapping[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for record in records[:_RECORD_SAMPLE]:
        keys.update(dict.fromkeys(record))
    return list(keys)


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A record with the fields of its nested objects raised one level (`meta.url`): datasets
    often keep the photo's fields under `metadata`, `image` or `photo`."""
    if not any(isinstance(value, dict) for value in record.values()):
        return record
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                flat.setdefault(f"{key}.{inner}", item)
        else:
            flat[key] = value
    return flat


def _read_records(
    raw: RawManifest,
    records: Iterator[tuple[int, Any]],
    options: ColumnOptions,
    evidence: str | None = None,
) -> RawManifest:
    """Shared by JSON Lines and JSON arrays: `records` are `(source_row, object)` pairs, read
    once (the keys are learnt from the first objects, then every record streams through).
    `evidence`: why bare-number image names in these records are Flickr ids, if the document
    says (Karpathy's `"dataset": "flickr30k"`)."""
    located, records = records_plan(raw, records, options, evidence)
    _fill(raw, located, record_rows(records))
    return raw


def record_rows(records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """`(source_row, record)` pairs as `_fill` takes them: a value that is not an object is a
    bad row."""
    return (
        (
            n,
            r
            if isinstance(r, dict | _BadRow)
            else _BadRow(f"not a JSON object ({type(r).__name__})"),
        )
        for n, r in records
    )


def records_plan(
    raw: RawManifest,
    records: Iterator[tuple[int, Any]],
    options: ColumnOptions,
    evidence: str | None = None,
) -> tuple[dict[str, list[Any]], Iterator[tuple[int, Any]]]:
    """The located columns of JSON records (learnt from the first objects; what they settle
    goes into `raw`: notes, bare-number names), and the records, nested objects flattened,
    the first ones included (see `_read_records`)."""
    records = ((n, _flatten(r) if isinstance(r, dict) else r) for n, r in records)
    sample: list[tuple[int, Any]] = []
    for item in records:
        sample.append(item)
        if sum(isinstance(record, dict) for _, record in sample) >= _RECORD_SAMPLE:
            break
    dicts = [record for _, record in sample if isinstance(record, dict)]
    if not dicts:
        raise ManifestError(raw.path, "holds no JSON objects with photo fields")
    records = _chain(sample, records)
    header = _record_keys(dicts)
    if options.positional():
        raise ManifestError(
            raw.path, "JSON records have named fields; give column names, not positions"
        )
    located = {
        role: [header[i] for i in positions]
        for role, positions in locate_columns(header, options, raw.path).items()
    }
    if not _has_reference_role(located):
        located.update(roles_by_content(dicts, header))
    _require_id_column(raw, header, located, [])
    _finish(raw, located, header, dicts, options, evidence)
    return located, records


def read_jsonl(path: Path, options: ColumnOptions) -> RawManifest:
    """Read JSON Lines: one object per line; a line that is not JSON is kept as a bad row."""
    raw = RawManifest(path, "jsonl")
    stream = jsonl_records(path, enumerate(iter_lines(path), start=1))
    first = next(stream, None)
    if first is None:
        raise ManifestError(path, "is empty; give a manifest that lists photos")
    return _read_records(raw, _chain([first], stream), options)


def jsonl_records(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    """`(line number, value)` of JSON Lines `lines` (numbered text), blank ones left out; a line
    that is not JSON is a bad row, one nested too deeply an error naming it."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            yield number, loads_line(line)
        except json.JSONDecodeError as exc:
            yield number, _BadRow(f"not a JSON object (invalid JSON: {exc.msg})")
        except JsonProblem as problem:
            raise ManifestError(
                path,
                f"{problem.problem}; is this a manifest? ({raise_hint('json_depth')})",
                line=number,
            ) from None


def records_key(document: Any) -> str | None:
    """The key of an object's list of records (`{"images": [...], "dataset": ...}`: Karpathy's
    splits and other documents that are not COCO): the longest list of objects; None if none."""
    if not isinstance(document, dict):
        return None
    best: tuple[int, str] | None = None
    # `dict.keys`: a streamed object's first entries only (its values are looked up, not read).
    for key in list(dict.keys(document)):
        value = document[key]
        records = isinstance(value, list) and any(isinstance(x, dict) for x in value[:100])
        if records and (best is None or len(value) > best[0]):
            best = (len(value), str(key))
    return None if best is None else best[1]


def json_records(document: Any) -> list[Any] | None:
    """The records of a JSON document: an array, an object's list of records (`records_key`),
    an object of records keyed by index, or a single flat record (a one-line JSON Lines file);
    None when it holds no records."""
    if isinstance(document, list):
        records = document
    elif isinstance(document, dict):
        key = records_key(document)
        if key is not None:
            records = document[key]
        else:
            values = value_list(document)
            flat = not any(isinstance(value, dict | list) for value in values)
            if flat and not ID_COLUMN_NAMES & {str(key).lower() for key in document}:
                return None  # one object without an id or URL field is not a manifest
            records = [document] if flat else values
    else:
        return None
    return records if any(isinstance(record, dict) for record in records[:100]) else None


def _document_evidence(document: Any) -> str | None:
    """Karpathy's caption splits name their dataset: `"dataset": "flickr8k"`."""
    if isinstance(document, dict):
        name = document.get("dataset")
        if isinstance(name, str) and "flickr" in name.lower():
            return f'the document\'s "dataset": "{name[:40]}"'
    return None


def read_json_records(path: Path, options: ColumnOptions, document: Any = None) -> RawManifest:
    """Read a JSON array of records (or an object holding a list or an object of records)."""
    data = load_json_document(path) if document is None else document
    items = json_records(data)
    if items is None:
        raise ManifestError(
            path, "is JSON but not a list of records; use --manifest-format to say which"
        )
    raw = RawManifest(path, "json")
    key = records_key(data)
    if key is not None:
        raw.notes.append(f"records read from the document's {key!r} list")
    return _read_records(raw, enumerate(items, start=1), options, _document_evidence(data))


def _one_line(error: Exception) -> str:
    """An exception's text on one line (Arrow's messages run over several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _open_parquet(path: Path, options: ColumnOptions) -> tuple[Any, list[tuple[str, Any]]]:
    """The Parquet file and the plan of which column fills which field."""
    import pyarrow.parquet as pq  # heavy import: only when a Parquet manifest is read

    if is_stream(path):
        raise ManifestError(path, "is Parquet through a pipe; Parquet is read from a file, save it")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise ManifestError(
            path, f"is not a readable Parquet file ({_one_line(exc)}); re-export it"
        ) from None
    header = list(parquet.schema_arrow.names)
    if options.positional():
        raise ManifestError(path, "Parquet columns have names; give column names, not positions")
    located_idx = locate_columns(header, options, path)
    located = {role: [header[i] for i in positions] for role, positions in located_idx.items()}
    schema = parquet.schema_arrow
    if "image_name" in located:
        # Image names are text; an `image` column of Hugging Face datasets holds the image
        # itself ({bytes, path}), so the first text column among the image-name names is taken.
        lowered = [name.strip().lower() for name in header]
        texts = [
            header[lowered.index(name)]
            for name in COMMON_NAMES["image_name"]
            if name in lowered and pa.types.is_string(schema.field(lowered.index(name)).type)
        ]
        if texts:
            located["image_name"] = texts[:1]
        else:
            del located["image_name"]
    _require_id_column(RawManifest(path, "parquet"), header, located, [])
    return parquet, _plan(located)


def _column_values(array: pa.Array) -> Any:
    """A Parquet column as the photo table takes it: strings and integers stay Arrow arrays
    (normalised column-wise); other types become Python values, as a row reader gives them."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind):
        return array
    return array.to_pylist()


def _parquet_piece(
    path: Path,
    columns: Mapping[str, pa.Array],
    plan: list[tuple[str, Any]],
    first_row: int,
    options: ColumnOptions,
) -> RawManifest:
    rows = len(next(iter(columns.values())))
    raw = RawManifest(path, "parquet")
    raw.numeric_names = options.ids_from_filenames
    fields: dict[str, Any] = {name: pa.nulls(rows, pa.string()) for name in RAW_FIELDS}
    fields["source_row"] = np.arange(first_row, first_row + rows, dtype=np.int64)
    for target, name in plan:
        fields[target] = _column_values(columns[name])
    raw.columns = fields
    return raw


def iter_parquet(path: Path, options: ColumnOptions, chunk_rows: int) -> Iterator[RawManifest]:
    """Read Parquet in record batches of `chunk_rows` rows, column-wise, loading only the
    columns the photo table needs; `source_row` is the record number."""
    parquet, plan = _open_parquet(path, options)
    wanted = sorted({name for _, name in plan})
    row = 1
    try:
        # One reader per span of row groups, not one for the file: a reader holds on to
        # memory for every row group it has read (a 20M-row file in 100 row groups: 370 MiB
        # against 170 MiB read span by span); within a span it still reads batch by batch.
        for span in _row_group_spans(parquet.metadata, chunk_rows):
            for batch in parquet.iter_batches(
                row_groups=span, columns=wanted, batch_size=chunk_rows
            ):
                columns = {name: batch.column(name) for name in wanted}
                piece = _parquet_piece(path, columns, plan, row, options)
                row += batch.num_rows
                yield piece
    except ManifestError:
        raise
    except Exception as exc:
        raise ManifestError(
            path, f"Parquet data cannot be read ({_one_line(exc)}); re-export it"
        ) from None
    if row == 1:  # no rows at all: one empty piece, so the file is still reported
        empty = {name: pa.array([], pa.string()) for name in wanted}
        yield _parquet_piece(path, empty, plan, 1, options)


def _row_group_spans(metadata: Any, rows: int) -> list[list[int]]:
    """The file's row groups in runs of at least `rows` rows (the last may hold fewer): small
    row groups are read together, so they do not make as many small pieces."""
    spans: list[list[int]] = [[]]
    held = 0
    for index in range(metadata.num_row_groups):
        if held >= rows:
            spans.append([])
            held = 0
        spans[-1].append(index)
        held += metadata.row_group(index).num_rows
    return [span for span in spans if span]


def read_parquet(path: Path, options: ColumnOptions) -> RawManifest:
    """Read a whole Parquet file (see `iter_parquet` for bounded memory)."""
    parquet, plan = _open_parquet(path, options)
    wanted = sorted({name for _, name in plan})
    try:
        table = parquet.read(columns=wanted)
    except Exception as exc:
        raise ManifestError(
            path, f"Parquet data cannot be read ({_one_line(exc)}); re-export it"
        ) from None
    columns = {name: table.column(name).combine_chunks() for name in wanted}
    return _parquet_piece(path, columns, plan, 1, options)
