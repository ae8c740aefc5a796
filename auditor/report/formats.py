"""The report formats of `flickr-audit audit --format`, behind one small interface.

Every audit writes its record, `audit.json`, `findings.csv`, `owners.csv` and `summary.md`
(`auditor.report.write`). The other formats are written afterwards from one `AuditResult`, the
outcome of a single evaluation: a `FileWriter` writes files into the output folder and returns
their paths. `github` is not a file: the CLI prints `github_annotations` and appends the step
summary (see `auditor.report.github`).

Formats beyond the record need the whole findings and photo tables in memory, so an offline
audit asked for them reads its manifests whole instead of in chunks (`needs_whole_tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.engine.policy import Policy
from auditor.licences import LicenceCatalogue
from auditor.report.pause import gc_paused
from auditor.safe_csv import write_csv

# What `--format` accepts, in the order reports are written and listed.
FORMATS: tuple[str, ...] = ("json", "csv", "md", "html", "sarif", "junit", "github")
DEFAULT_FORMATS: tuple[str, ...] = ("json",)
# Formats whose files are always written (the audit's record): asking for them changes nothing.
RECORD_FORMATS: frozenset[str] = frozenset({"json", "md"})

# photos.csv: the photo table as judged, one row per manifest row.
PHOTO_COLUMNS: tuple[str, ...] = (
    "photo_id",
    "owner",
    "owner_name",
    "title",
    "recorded_licence",
    "current_licence",
    "effective_licence",
    "visibility",
    "fetch_status",
    "fetched_at",
    "url",
    "source_file",
    "source_row",
)


@dataclass(frozen=True)
class AuditResult:
    """One audit's outcome, from which every extra format is written."""

    document: dict[str, Any]  # audit.json's content (its findings list may be absent)
    findings: pd.DataFrame  # FINDING_COLUMNS, plus `baseline` (bool) when a baseline was given
    # The photo table annotated for the policy (`engine.annotate`): live columns, the effective
    # licence and licence names, one row per manifest row.
    photos: pd.DataFrame
    policy: Policy
    catalogue: LicenceCatalogue
    manifests: tuple[Path, ...]


FileWriter = Callable[[AuditResult, Path], list[Path]]


def write_photos_csv(result: AuditResult, out_dir: Path) -> list[Path]:
    """`photos.csv`: every manifest row as judged, with its licences and status."""
    columns = [column for column in PHOTO_COLUMNS if column in result.photos.columns]
    path = out_dir / "photos.csv"
    write_csv(result.photos[columns], path)
    return [path]


def file_writers(formats: Sequence[str]) -> list[tuple[str, FileWriter]]:
    """The file writers for the chosen formats, in `FORMATS` order (record formats and `github`
    have none)."""
    writers: list[tuple[str, FileWriter]] = []
    # Imported only when chosen, and here because each writer module imports this one.
    for name in FORMATS:
        if name not in formats:
            continue
        if name == "csv":
            writers.append((name, write_photos_csv))
        elif name == "html":
            from auditor.report.html import write_html

            writers.append((name, write_html))
        elif name == "sarif":
            from auditor.report.sarif import write_sarif

            writers.append((name, write_sarif))
        elif name == "junit":
            from auditor.report.junit import write_junit

            writers.append((name, write_junit))
    return writers


def needs_whole_tables(formats: Sequence[str]) -> bool:
    """Whether these formats need the whole tables (the streaming offline audit has neither)."""
    return any(name not in RECORD_FORMATS for name in formats)


def write_files(result: AuditResult, formats: Sequence[str], out_dir: Path) -> list[Path]:
    """Write the files of the chosen formats (see `file_writers`) into `out_dir`; their paths."""
    written: list[Path] = []
    with gc_paused():
        for _, write in file_writers(formats):
            written += write(result, out_dir)
    return written
