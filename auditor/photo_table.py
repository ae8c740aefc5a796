"""The photo table: one row per manifest row, the same columns whatever the manifest's format.

Columns (`PHOTO_COLUMNS`): `photo_id` (Flickr's id as a string), `owner` (NSID when known, else the
path alias; `owner_kind` says which), `owner_name`, `recorded_licence` (a catalogue slug or
`unknown`; the value as written is in `recorded_licence_raw`), `collected_at` (ISO 8601), `url`
(as the manifest has it), `source_file`, `source_row` (1-based line for line-oriented files, record
number for JSON and Parquet), `uploaded_at`, `title`, `source_format`, `notes` (problems found
in that row), and `owner_realname` (the owner's real name where the manifest records one beside
the username, as Flickr API answers do). Rows without a photo id and duplicates are kept: they
are findings, not noise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa

from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.manifests.normalise import LicenceJudge, normalise
from auditor.manifests.raw import RawManifest
from auditor.safe_csv import write_csv

PHOTO_COLUMNS: tuple[str, ...] = (
    "photo_id",
    "owner",
    "owner_name",
    "recorded_licence",
    "collected_at",
    "url",
    "source_file",
    "source_row",
    "owner_kind",
    "recorded_licence_raw",
    "uploaded_at",
    "title",
    "source_format",
    "notes",
    "owner_realname",
)


def empty_photo_table() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="str") for name in PHOTO_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _arrow_table(columns: dict[str, Any]) -> pa.Table:
    arrays = {
        name: (
            pa.array(columns[name], pa.int64())
            if name == "source_row"
            else columns[name]
            if isinstance(columns[name], pa.Array)
            else pa.array(columns[name], pa.string())
        )
        for name in PHOTO_COLUMNS
    }
    return pa.table(arrays)


def build_photo_table(
    raws: Iterable[RawManifest],
    catalogue: LicenceCatalogue | None = None,
    judge: LicenceJudge | None = None,
) -> pd.DataFrame:
    """Normalise the rows of one or more read manifests into one photo table.

    `judge` (built from `catalogue`) may be kept across calls, so a manifest read in chunks
    judges each distinct licence once.
    """
    judge = judge or LicenceJudge(catalogue or load_catalogue())
    tables = [_arrow_table(normalise(raw, judge)) for raw in raws if raw.rows]
    if not tables:
        return empty_photo_table()
    table: pd.DataFrame = pa.concat_tables(tables).to_pandas()
    table["source_row"] = table["source_row"].astype("int64")
    return table


@dataclass(frozen=True)
class FileReport:
    """What was read from one manifest file."""

    path: str
    format: str
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason → rows not taken
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSummary:
    """The counts shown after reading manifests."""

    files: int
    rows: int
    photos: int  # distinct photo ids
    duplicates: int  # rows whose photo id appeared in an earlier row
    no_photo_id: int
    unknown_licence: int  # a licence was recorded but resolves to nothing in the catalogue
    no_licence: int  # no licence recorded at all (URL lists, COCO files without ids...)
    skipped: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable summary lines (the CLI prints them to stderr)."""
        out = [
            f"{self.files} file(s), {self.rows} row(s), {self.photos} distinct photo(s)",
            (
                f"rows to look at: {self.duplicates} duplicate(s), {self.no_photo_id} without a "
                f"Flickr photo id, {self.unknown_licence} with an unresolved licence, "
                f"{self.no_licence} with no licence recorded"
            ),
        ]
        if self.skipped:
            parts = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items()))
            out.append(f"skipped rows: {parts}")
        return out


def summarise(photos: pd.DataFrame, files: list[FileReport]) -> TableSummary:
    ids = photos["photo_id"]
    has_id = ids.notna()
    unknown = photos["recorded_licence"] == UNKNOWN
    recorded = photos["recorded_licence_raw"].notna()
    skipped: Counter[str] = Counter()
    for report in files:
        skipped.update(report.skipped)
    return TableSummary(
        files=len(files),
        rows=len(photos),
        photos=int(ids[has_id].nunique()),
        duplicates=int(ids[has_id].duplicated().sum()),
        no_photo_id=int((~has_id).sum()),
        unknown_licence=int((unknown & recorded).sum()),
        no_licence=int((unknown & ~recorded).sum()),
        skipped=dict(skipped),
    )


OUTPUT_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")


def write_photo_table(photos: pd.DataFrame, target: Path | IO[str]) -> None:
    """Write the table as CSV (formulas defused), JSON Lines or Parquet, chosen by suffix.

    A stream (e.g. stdout) gets CSV. The caller checks the suffix with `OUTPUT_SUFFIXES` first.
    """
    if not isinstance(target, Path):
        write_csv(photos, target)
        return
    suffix = target.suffix.lower()
    if suffix == ".csv":
        write_csv(photos, target)
    elif suffix in (".jsonl", ".ndjson"):
        photos.to_json(target, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        photos.to_parquet(target, index=False)
    else:
        raise ValueError(f"unsupported output suffix {suffix!r}")
