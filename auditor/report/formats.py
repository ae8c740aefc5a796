"""The report formats of `flickr-audit audit --format`: one registry, one writer interface.

Every audit writes its record, `audit.json`, `findings.csv`, `owners.csv` (format `json`) and
`summary.md` (`md`), by `auditor.report.write`. Every other format is a `ReportFormat` whose
writer takes the `AuditTables` of one evaluation and a folder, and returns what it `Written`:
files, lines for stdout (`github`'s workflow annotations) and the Markdown for the step summary.
Writers are imported only when their format is chosen: this module stays light, so the CLI
can list the formats without loading pandas.

Formats beyond the record that hold one row per photo row or per finding (csv, parquet) are
also written in pieces by the chunked offline audit (`report.streamed`); the others (html, sarif,
junit, github) need the whole findings and photo tables in memory, so an offline audit asked for
them reads its manifests whole instead of in chunks (`needs_whole_tables`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from auditor.engine.policy import Policy
    from auditor.licences import LicenceCatalogue
    from auditor.report.document import AuditDocument


@dataclass(frozen=True)
class AuditTables:
    """One audit's whole tables, from which every format beyond the record is written."""

    document: AuditDocument  # audit.json's content (its findings list may be absent)
    findings: pd.DataFrame  # FINDING_COLUMNS, plus `baseline` (bool) when a baseline was given
    # The photo table annotated for the policy (`engine.annotate`): live columns, the effective
    # licence and licence names, one row per manifest row.
    photos: pd.DataFrame
    policy: Policy
    catalogue: LicenceCatalogue
    manifests: tuple[Path, ...]


@dataclass(frozen=True)
class Written:
    """What a format's writer produced."""

    paths: list[Path]  # files written into the folder
    stdout: list[str] = field(default_factory=list)  # lines for stdout (workflow commands)
    # The Markdown for $GITHUB_STEP_SUMMARY, built only when called (it can take seconds).
    step_summary: Callable[[], str] | None = None


Writer = Callable[["AuditTables", Path], "list[Path] | Written"]


@dataclass(frozen=True)
class ReportFormat:
    """A value of `--format`."""

    name: str
    files: tuple[str, ...]  # the files it writes into the report folder
    description: str  # for --help: what choosing it adds
    # "module:function" of its writer; None for the record, which every audit writes.
    writer: str | None = None

    @property
    def record(self) -> bool:
        return self.writer is None

    def write(self, tables: AuditTables, out_dir: Path) -> Written:
        """Write this format for `tables` into `out_dir`."""
        if self.writer is None:
            return Written([out_dir / name for name in self.files])
        module, function = self.writer.split(":")
        writer: Writer = getattr(importlib.import_module(module), function)
        done = writer(tables, out_dir)
        return done if isinstance(done, Written) else Written(list(done))


# Every format, in the order reports are written and listed.
REGISTRY: dict[str, ReportFormat] = {
    entry.name: entry
    for entry in (
        ReportFormat(
            "json",
            ("audit.json", "findings.csv", "owners.csv"),
            "audit.json, findings.csv and owners.csv (always written)",
        ),
        ReportFormat(
            "csv",
            ("photos.csv",),
            "photos.csv, every manifest row as judged",
            "auditor.report.formats:write_photos_csv",
        ),
        ReportFormat("md", ("summary.md",), "summary.md (always written)"),
        ReportFormat(
            "html",
            ("report.html",),
            "report.html, one self-contained page",
            "auditor.report.html:write_html",
        ),
        ReportFormat(
            "sarif",
            ("audit.sarif",),
            "audit.sarif (SARIF 2.1.0, for code scanning)",
            "auditor.report.sarif:write_sarif",
        ),
        ReportFormat(
            "junit",
            ("junit.xml",),
            "junit.xml, one suite per rule",
            "auditor.report.junit:write_junit",
        ),
        ReportFormat(
            "parquet",
            ("findings.parquet", "photos.parquet"),
            "findings.parquet and photos.parquet (typed, dictionary-encoded columns)",
            "auditor.report.parquet:write_parquet",
        ),
        ReportFormat(
            "github",
            (),
            "workflow annotations on stdout and the summary appended to $GITHUB_STEP_SUMMARY",
            "auditor.report.github:write_github",
        ),
    )
}
FORMATS: tuple[str, ...] = tuple(REGISTRY)
DEFAULT_FORMATS: tuple[str, ...] = ("json",)
# Formats beyond the record that the chunked offline audit writes as its chunks come
# (`report.streamed`): one row per photo row or per finding, nothing that needs the whole audit.
STREAMED_FORMATS: frozenset[str] = frozenset({"csv", "parquet"})
# Formats whose files are always written (the audit's record): asking for them changes nothing.
RECORD_FORMATS: frozenset[str] = frozenset(name for name, f in REGISTRY.items() if f.record)
RECORD_FILES: tuple[str, ...] = ("audit.json", "findings.csv", "owners.csv", "summary.md")


def report_files() -> frozenset[str]:
    """Every file name a run may write into its report folder (any format)."""
    return frozenset(name for entry in REGISTRY.values() for name in entry.files)


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


def write_photos_csv(tables: AuditTables, out_dir: Path) -> list[Path]:
    """`photos.csv`: every manifest row as judged, with its licences and status."""
    from auditor.outputs import atomic_path
    from auditor.safe_csv import write_csv

    columns = [column for column in PHOTO_COLUMNS if column in tables.photos.columns]
    path = out_dir / "photos.csv"
    with atomic_path(path) as temp:
        write_csv(tables.photos[columns], temp)
    return [path]


def chosen(formats: Sequence[str]) -> list[ReportFormat]:
    """The registry's entries for `formats`, in registry order (unknown names: ValueError)."""
    unknown = sorted(set(formats) - set(REGISTRY))
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(unknown)}")
    return [entry for name, entry in REGISTRY.items() if name in formats]


def needs_whole_tables(formats: Sequence[str]) -> bool:
    """Whether these formats need the whole tables (the streaming offline audit has neither):
    those beyond the record that are not written in pieces (`STREAMED_FORMATS`)."""
    return any(not entry.record and entry.name not in STREAMED_FORMATS for entry in chosen(formats))


def write_files(tables: AuditTables, formats: Sequence[str], out_dir: Path) -> list[Written]:
    """Write the chosen formats beyond the record into `out_dir`, in registry order."""
    from auditor.report.pause import gc_paused

    written: list[Written] = []
    with gc_paused():
        for entry in chosen(formats):
            if not entry.record:
                written.append(entry.write(tables, out_dir))
    return written
