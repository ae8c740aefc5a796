"""Cleaned manifests: each input manifest, in its own format, without the rows that must go.

A manifest row is removed when it has a finding of severity `error` that is not waived, or an
`opt-out` finding that is not waived, whatever severity the policy gives that rule: an owner's
opt-out tag or a removal request given with `--opt-outs` is a request to leave the photo out. Rows
are judged one by one (a photo listed twice is removed where a listing has such a finding, and
kept where it has none); findings in the baseline (`--baseline`) count: a baseline marks known
problems, it does not make a photo usable. Rows that are not photos (no photo id) go by the same
rule: `no-photo-id` removes them when the policy makes it an error.

What changes per format (`FORMATS`):

- text formats (CSV, TSV, pipe or whitespace tables, Open Images, Openverse, YFCC100M, URL
  lists, JSON Lines): the lines of the removed records are dropped (every line of a quoted
  multi-line CSV record); every other byte is kept, header, comments and blank lines included.
  A gzip, bz2 or xz input is written compressed the same way.
- Parquet: the rows are removed with pyarrow; schema and metadata are kept.
- COCO: the removed `images[]` and the `annotations[]` of their image ids go; `info`,
  `licenses`, `categories` and everything else stay. JSON documents (COCO, FFHQ-style, Flickr API
  listings, JSON arrays of records) are written again by `json`: their structure is kept, their
  spacing may change (indented input is written indented). A listing's `total`/`pages` are left
  as they were.
- A document that holds a single photo (a `photos.getInfo` answer, one flat JSON record) cannot
  lose its photo and stay that format: `AuditorError`.

A manifest with nothing to remove is copied byte for byte.

`clean_manifests(manifests, findings, out)` writes the cleaned manifests and `removals.csv`:
with one manifest `out` is the cleaned file and `removals.csv` goes beside it; with several, `out`
is a folder holding one cleaned file per input, under the same name, and `removals.csv`. It
returns a `CleanResult`. `removals(findings)` is the removal table alone (`REMOVAL_COLUMNS`: one
row per removed manifest row, its error rules and messages `; `-joined) and `removed_rows` the
set of `(source_file, source_row)` removed; `auditor.release.credits` uses it to know the photos
kept.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import json
import lzma
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from auditor.errors import AuditorError
from auditor.manifests.read import delimiter_of, detect_format
from auditor.manifests.source import compression_of, iter_lines, load_json, open_binary
from auditor.manifests.tabular import records_key
from auditor.outputs import atomic_path, atomic_text, check_outputs
from auditor.safe_csv import write_csv

REMOVAL_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_row",
    "photo_id",
    "owner",
    "rules",
    "messages",
)
REMOVALS_FILE = "removals.csv"
# Formats whose records are parsed as CSV (a quoted field may span lines), or are one line each.
CSV_RECORD_FORMATS = frozenset({"csv", "tsv", "openimages", "openverse"})
LINE_FORMATS = frozenset({"yfcc100m", "urls", "jsonl", "table"})
JSON_FORMATS = frozenset({"coco", "ffhq", "flickr-api", "json"})
FORMATS = CSV_RECORD_FORMATS | LINE_FORMATS | JSON_FORMATS | {"parquet"}


@dataclass(frozen=True)
class CleanedManifest:
    """One input manifest and its cleaned copy."""

    source: Path
    output: Path
    format: str
    rows_removed: int  # manifest rows (records) left out


@dataclass(frozen=True)
class CleanResult:
    """What `clean_manifests` wrote."""

    manifests: tuple[CleanedManifest, ...]
    removals_csv: Path
    removals: pd.DataFrame  # REMOVAL_COLUMNS, one row per removed manifest row

    @property
    def rows_removed(self) -> int:
        return len(self.removals)


# Rules whose findings remove the row at any severity (see the module docstring).
ALWAYS_REMOVED: frozenset[str] = frozenset({"opt-out"})


def _errors(findings: pd.DataFrame) -> pd.DataFrame:
    waived = findings["waived"].fillna(False).astype(bool)
    removing = (findings["severity"] == "error") | findings["rule"].isin(ALWAYS_REMOVED)
    return findings[removing & ~waived]


def removals(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per manifest row with an error (or `opt-out`) finding that is not waived
    (`REMOVAL_COLUMNS`), by source file and row; `rules` and `messages` list those findings,
    `; `-joined."""
    errors = _errors(findings)
    if errors.empty:
        frame = pd.DataFrame({name: pd.Series(dtype="str") for name in REMOVAL_COLUMNS})
        frame["source_row"] = frame["source_row"].astype("int64")
        return frame

    def joined(values: pd.Series) -> str:
        return "; ".join(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))

    grouped = errors.groupby(["source_file", "source_row"], sort=True, dropna=False)
    out = grouped.agg(
        photo_id=("photo_id", "first"),
        owner=("owner", "first"),
        rules=("rule", joined),
        messages=("message", joined),
    ).reset_index()
    out["source_row"] = out["source_row"].astype("int64")
    for name in ("source_file", "photo_id", "owner", "rules", "messages"):
        out[name] = out[name].astype("str")
    return out.loc[:, list(REMOVAL_COLUMNS)]


def removed_rows(findings: pd.DataFrame) -> set[tuple[str, int]]:
    """`(source_file, source_row)` of every manifest row the cleaning rule removes."""
    errors = _errors(findings)
    return {
        (str(file), int(row))
        for file, row in zip(errors["source_file"], errors["source_row"], strict=True)
    }


# -- writing -------------------------------------------------------------------------------------


def _open_compressed(path: Path, compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return cast(IO[bytes], gzip.open(path, "wb"))
    if compression == "bz2":
        return cast(IO[bytes], bz2.open(path, "wb"))
    if compression == "xz":
        return cast(IO[bytes], lzma.open(path, "wb"))
    return path.open("wb")


@contextlib.contextmanager
def _atomic(path: Path, compression: str | None = None) -> Iterator[IO[bytes]]:
    """A binary handle (compressed like the input) on a temporary file renamed to `path` when the
    block ends without an error."""
    with atomic_path(path) as temp, _open_compressed(temp, compression) as handle:
        yield handle


def _record_spans(path: Path, delimiter: str) -> Iterator[tuple[int, int]]:
    """`(first_line, last_line)` of each CSV record, numbered as `tabular.iter_delimited`
    numbers them (its first line is the record's `source_row`)."""
    reader = csv.reader(iter_lines(path), delimiter=delimiter, strict=False)
    start = 1
    try:
        for _ in reader:
            yield start, reader.line_num
            start = reader.line_num + 1
    except csv.Error as exc:
        raise AuditorError(f"{path}:{start}: malformed CSV ({exc})") from exc


def _first_data_line(path: Path) -> str:
    for line in iter_lines(path):
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return ""


def _delimiter(fmt: str, first_line: str) -> str:
    """The delimiter `manifests.read` reads a CSV-record format with."""
    found = delimiter_of(first_line)
    if fmt == "tsv":
        return "\t"
    if fmt == "csv":
        return ";" if found == ";" else ","
    if fmt == "openverse":
        return "\t" if "\t" in first_line else ","
    return found  # openimages


def _lines_to_drop(path: Path, fmt: str, rows: set[int]) -> set[int]:
    first_line = _first_data_line(path)
    tabbed = "\t" in first_line
    provider_tsv = fmt == "openverse" and tabbed and "foreign_identifier" not in first_line
    if fmt in LINE_FORMATS or provider_tsv:
        return set(rows)
    drop: set[int] = set()
    found: set[int] = set()
    for first, last in _record_spans(path, _delimiter(fmt, first_line)):
        if first in rows:
            found.add(first)
            drop.update(range(first, last + 1))
    missing = sorted(rows - found)
    if missing:
        raise AuditorError(
            f"{path}: line {missing[0]} does not start a record; was the file changed during "
            "the audit? Audit it again"
        )
    return drop


def _clean_text(path: Path, fmt: str, rows: set[int], output: Path) -> None:
    drop = _lines_to_drop(path, fmt, rows)
    with open_binary(path) as source, _atomic(output, compression_of(path)) as target:
        for number, line in enumerate(source, start=1):
            if number not in drop:
                target.write(line)


def _clean_parquet(path: Path, rows: set[int], output: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    metadata = parquet.metadata
    compression = "snappy"
    if metadata.num_row_groups and metadata.num_columns:
        compression = str(metadata.row_group(0).column(0).compression).lower()
    table = parquet.read()
    keep = [index for index in range(table.num_rows) if index + 1 not in rows]
    cleaned = table.take(pa.array(keep, pa.int64()))
    with _atomic(output) as handle:
        pq.write_table(
            cleaned, handle, compression="none" if compression == "uncompressed" else compression
        )


def _without(container: Any, positions: set[int]) -> Any:
    """A list or an object of records without the records at 0-based `positions`."""
    if isinstance(container, list):
        return [item for index, item in enumerate(container) if index not in positions]
    items = enumerate(container.items())
    return {key: value for index, (key, value) in items if index not in positions}


def _single(path: Path) -> AuditorError:
    return AuditorError(
        f"{path}: holds a single photo, which has an error finding; a cleaned copy would hold "
        "none. Leave this file out of the dataset instead"
    )


def _clean_coco(document: dict[str, Any], positions: set[int]) -> dict[str, Any]:
    images = document["images"]
    gone = {
        json.dumps(image.get("id"))
        for index, image in enumerate(images)
        if index in positions and isinstance(image, dict)
    }
    kept_images = _without(images, positions)
    gone -= {json.dumps(image.get("id")) for image in kept_images if isinstance(image, dict)}
    out = dict(document)
    out["images"] = kept_images
    annotations = document.get("annotations")
    if isinstance(annotations, list) and gone:
        out["annotations"] = [
            item
            for item in annotations
            if not (isinstance(item, dict) and json.dumps(item.get("image_id")) in gone)
        ]
    return out


def _clean_ffhq(document: Any, positions: set[int]) -> Any:
    if isinstance(document, dict) and set(document) == {"metadata"}:
        return {"metadata": _without(document["metadata"], positions)}
    return _without(document, positions)


def _clean_flickr_api(path: Path, document: Any, positions: set[int]) -> Any:
    photos = document.get("photos")
    out = dict(document)
    if isinstance(photos, dict) and isinstance(photos.get("photo"), list):
        out["photos"] = {**photos, "photo": _without(photos["photo"], positions)}
    elif isinstance(photos, list):
        out["photos"] = _without(photos, positions)
    elif isinstance(document.get("photo"), list):
        out["photo"] = _without(document["photo"], positions)
    else:
        raise _single(path)
    return out


def _clean_json_records(path: Path, document: Any, positions: set[int]) -> Any:
    if isinstance(document, list):
        return _without(document, positions)
    key = records_key(document)
    if key is not None:  # `{"images": [...], "dataset": ...}`: the records are in that list
        return {**document, key: _without(document[key], positions)}
    if any(isinstance(value, dict | list) for value in document.values()):
        return _without(document, positions)
    raise _single(path)


def _clean_json(path: Path, fmt: str, rows: set[int], output: Path) -> None:
    document = load_json(path)
    positions = {row - 1 for row in rows}
    if fmt == "coco":
        cleaned = _clean_coco(document, positions)
    elif fmt == "ffhq":
        cleaned = _clean_ffhq(document, positions)
    elif fmt == "flickr-api":
        cleaned = _clean_flickr_api(path, document, positions)
    else:
        cleaned = _clean_json_records(path, document, positions)
    with open_binary(path) as source:
        head = source.read(4096).lstrip()
    indented = b"\n" in head.rstrip()
    text = json.dumps(cleaned, ensure_ascii=False, indent=2 if indented else None)
    with _atomic(output, compression_of(path)) as handle:
        handle.write(text.encode("utf-8") + b"\n")


def clean_manifest(path: Path, fmt: str, rows: set[int], output: Path) -> None:
    """Write `path` (a manifest of format `fmt`) to `output` without the records whose
    `source_row` is in `rows`."""
    if fmt not in FORMATS:
        raise AuditorError(
            f"{path}: cannot write a cleaned {fmt} manifest; --clean-manifest supports "
            f"{', '.join(sorted(FORMATS))}"
        )
    if not rows:
        with atomic_path(output) as temp:
            shutil.copyfile(path, temp)
    elif fmt == "parquet":
        _clean_parquet(path, rows, output)
    elif fmt in JSON_FORMATS:
        _clean_json(path, fmt, rows, output)
    else:
        _clean_text(path, fmt, rows, output)


def cleaned_paths(manifests: Sequence[Path], out: Path) -> tuple[list[Path], Path]:
    """The cleaned file of each manifest, and removals.csv; `AuditorError` when `out` is the
    wrong kind of path or two of them would be one file."""
    if len(manifests) == 1:
        if out.is_dir():
            raise AuditorError(
                f"{out}: is a folder; with one manifest --clean-manifest names the cleaned file"
            )
        return [out], out.parent / REMOVALS_FILE
    if out.exists() and not out.is_dir():
        raise AuditorError(
            f"{out}: is a file; with several manifests --clean-manifest names a folder, which "
            "gets one cleaned file per manifest"
        )
    names = [path.name for path in manifests]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AuditorError(
            f"{repeated[0]}: two manifests have this name, and their cleaned copies would share "
            f"{out}/{repeated[0]}; clean them in separate runs"
        )
    if REMOVALS_FILE in names:
        raise AuditorError(
            f"{out}/{REMOVALS_FILE}: the cleaned copy of the manifest named {REMOVALS_FILE} "
            "would be replaced by the table of removed rows; rename that manifest"
        )
    return [out / name for name in names], out / REMOVALS_FILE


def clean_manifests(
    manifests: Sequence[str | Path],
    findings: pd.DataFrame,
    out: str | Path,
    *,
    formats: Mapping[str, str] | None = None,
) -> CleanResult:
    """Write each manifest without the rows that have an error finding not waived, and
    `removals.csv` (see the module docstring).

    `findings` is the audit's findings table (`FINDING_COLUMNS`; `source_file` is the manifest
    path as given). `formats` maps `str(Path(manifest))` to its format name (the CLI passes the
    formats the manifests were read as); a manifest not in it is detected from its content.
    Raises `AuditorError` when an output would overwrite an input, when outputs collide, or when
    a file cannot be written.
    """
    paths = [Path(path) for path in manifests]
    out = Path(out)
    targets, removals_path = cleaned_paths(paths, out)
    check_outputs([(target, "--clean-manifest") for target in [*targets, removals_path]], paths)
    table = removals(findings)
    by_file: dict[str, set[int]] = {}
    for file, row in zip(table["source_file"], table["source_row"], strict=True):
        by_file.setdefault(str(file), set()).add(int(row))
    written: list[CleanedManifest] = []
    try:
        (targets[0].parent).mkdir(parents=True, exist_ok=True)
        for source, target in zip(paths, targets, strict=True):
            key = str(source)
            fmt = (formats or {}).get(key) or detect_format(source)
            rows = by_file.get(key, set())
            clean_manifest(source, fmt, rows, target)
            written.append(CleanedManifest(source, target, fmt, len(rows)))
        with atomic_text(removals_path) as handle:
            write_csv(table, handle)
    except OSError as error:
        where = error.filename or out
        raise AuditorError(
            f"{where}: cannot write the cleaned manifest ({error.strerror or error}); check the "
            "folder's permissions and free space"
        ) from error
    return CleanResult(manifests=tuple(written), removals_csv=removals_path, removals=table)
