"""The audit document (`audit.json`) and the per-owner summary, built from the findings table.

The findings table has one row per finding, columns `FINDING_COLUMNS`: text columns (nullable),
`source_row` (int64) and `waived` (bool). Waived findings stay in every output with
`waived: true`; every count named after a severity leaves them out. The schema is documented in
`docs/audit-json.md`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

import pandas as pd

from auditor.findings import BOOL_COLUMNS, FINDING_COLUMNS, SEVERITIES, finding_columns
from auditor.manifests.hosts import ranked_hosts
from auditor.report.tally import AuditTally
from auditor.waivers import WaiverProblem

SCHEMA_VERSION = 1
TOOL_NAME = "flickr-licence-auditor"
MODES = ("offline", "live")


OWNER_COLUMNS: tuple[str, ...] = (
    "owner",
    "owner_name",
    "photos",
    "usable_photos",
    "photos_with_errors",
    *SEVERITIES,
    "waived",
    "rules",
)


class ToolSection(TypedDict):
    name: str
    version: str


class RunSection(TypedDict):
    policy: str
    mode: str  # "offline" | "live"
    started_at: str  # ISO 8601 UTC, "Z"
    finished_at: str
    manifests: list[str]
    api_calls: dict[str, int]
    status_as_of: str | None
    photos_fetched: int
    photos_reused: int
    unverified: int
    warnings: list[str]


class BaselineSection(TypedDict):
    file: str
    new: int
    unchanged: int
    fixed: int


class SummarySection(TypedDict):
    photos: int  # distinct photo ids
    usable_photos: int  # distinct photo ids with no error finding that is not waived
    photos_with_errors: int  # photos - usable_photos
    owners: int
    rows: int  # manifest rows
    findings: dict[str, int]  # findings (one per row and rule) not waived, by severity
    waived: int  # findings waived
    by_rule: dict[str, int]  # findings not waived, by rule
    other_hosts: dict[str, int]  # rows of other image hosts, not audited, by host
    baseline: NotRequired[BaselineSection]
    opt_outs: NotRequired[dict[str, Any]]  # with --opt-outs: `auditor.optouts.OptOutBook.summary`


class OwnerRecord(TypedDict):
    owner: str | None
    owner_name: str | None
    photos: int  # the owner's distinct photo ids
    usable_photos: int
    photos_with_errors: int
    error: int  # findings (rows) not waived, by severity
    warning: int
    note: int
    waived: int
    rules: dict[str, int]


class WaiverProblemRecord(TypedDict):
    line: int | None
    message: str


class AuditDocument(TypedDict):
    """audit.json (docs/audit-json.md, docs/audit.schema.json): a renamed key fails mypy."""

    schema_version: int
    tool: ToolSection
    run: RunSection
    summary: SummarySection
    owners: list[OwnerRecord]
    findings: NotRequired[list[dict[str, Any]]]
    # --engine dask: where the findings are instead (the findings.parquet dataset).
    findings_dataset: NotRequired[dict[str, Any]]
    waiver_problems: list[WaiverProblemRecord]


@dataclass(frozen=True)
class RunInfo:
    """What the CLI knows about the run, for `audit.json`."""

    policy: str
    mode: str  # "offline" | "live"
    started_at: datetime
    finished_at: datetime
    manifests: tuple[str, ...]
    # Flickr API calls made by this run, by method (HTTP attempts, retries included).
    api_calls: Mapping[str, int] = field(default_factory=dict)
    # Live: the oldest `fetched_at` among the statuses judged (some may come from the state).
    status_as_of: str | None = None
    photos_fetched: int = 0  # live: statuses this run fetched
    photos_reused: int = 0  # live: fresh statuses reused from the state file
    unverified: int = 0  # live: photos that could not be checked
    warnings: tuple[str, ...] = ()  # live: e.g. licence ids the catalogue lacks


def check_findings(findings: pd.DataFrame) -> None:
    """Raise ValueError when `findings` is not a findings table (a bug in the caller)."""
    missing = [name for name in FINDING_COLUMNS if name not in findings.columns]
    if missing:
        raise ValueError(f"findings table lacks columns: {', '.join(missing)}")
    bad = set(findings["severity"].dropna().unique()) - set(SEVERITIES)
    if bad or findings["severity"].isna().any():
        shown = ", ".join(sorted(map(str, bad))) or "null"
        raise ValueError(f"findings with a severity other than {'|'.join(SEVERITIES)}: {shown}")


def _waived(findings: pd.DataFrame) -> pd.Series:
    return findings["waived"].fillna(False).astype(bool)


def format_rules(rules: dict[str, int]) -> str:
    """`non-commercial:3; duplicate:1`: a rules dict as one CSV or table cell."""
    return "; ".join(f"{rule}:{count}" for rule, count in rules.items())


def owner_summary(findings: pd.DataFrame, photos: pd.DataFrame) -> pd.DataFrame:
    """One row per owner, worst first; photos without a known owner under a null owner.

    Columns `OWNER_COLUMNS`: `photos` counts the owner's distinct photo ids in the photo table;
    `error`, `warning`, `note` and `rules` (a dict rule id → count, largest first) count findings
    that are not waived; `waived` counts the waived ones. Sorted by errors, warnings, notes and
    photos (descending), then owner (the null owner last among equals). `owner_name` is the first
    name the photo table gives the owner, else the first the findings give; null for the null
    owner, which groups unrelated people.
    """
    check_findings(findings)
    tally = AuditTally()
    tally.add_table(photos, findings)
    return tally.owner_table().loc[:, list(OWNER_COLUMNS)]


def _json_column(values: pd.Series) -> list[Any]:
    """A column as JSON-safe Python values: str or None (NaN and NA become None)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # Index -1 (missing) picks the trailing None; repeated values share one str object, which
    # matters for memory when a run has millions of findings.
    lookup: list[Any] = [str(value) for value in uniques.tolist()]
    lookup.append(None)
    return [lookup[code] for code in codes.tolist()]


def _json_ints(values: pd.Series) -> list[int | None]:
    if not values.isna().any():
        return [int(v) for v in values.astype("int64").tolist()]
    return [None if pd.isna(v) else int(v) for v in values.tolist()]


def finding_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """The findings as JSON-safe dicts with keys `FINDING_COLUMNS` (plus `baseline` when the
    table has it), in table order."""
    names = finding_columns(findings.columns)
    columns: list[list[Any]] = []
    for name in names:
        if name == "source_row":
            columns.append(_json_ints(findings[name]))
        elif name in BOOL_COLUMNS:
            columns.append([bool(v) for v in findings[name].fillna(False).astype(bool).tolist()])
        else:
            columns.append(_json_column(findings[name]))
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _iso_utc(moment: datetime) -> str:
    # A naive datetime is taken as local time (Python's own rule for astimezone).
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_audit_document(
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    *,
    waiver_problems: Sequence[WaiverProblem] = (),
    tool_version: str,
    include_findings: bool = True,
    other_hosts: Counter[str] | None = None,
) -> AuditDocument:
    """The content of `audit.json`: JSON-safe types only (`json.dumps(..., allow_nan=False)`).

    `other_hosts`: the rows of other image hosts left out of `photos`, by host
    (`ManifestTable.other_hosts`).

    With `include_findings=False` the document lacks `findings`: one dict per finding costs
    about 1 GB per million findings, and `write_reports` writes them from the table anyway.
    """
    if run.mode not in MODES:
        raise ValueError(f"run mode {run.mode!r} is not one of {', '.join(MODES)}")
    check_findings(findings)
    tally = AuditTally()
    tally.add_table(photos, findings)
    if other_hosts:
        tally.add_other_hosts(other_hosts)
    document = tally_document(
        tally, run, waiver_problems=waiver_problems, tool_version=tool_version
    )
    if include_findings:
        # The findings go after owners, before the waiver problems.
        return {
            "schema_version": document["schema_version"],
            "tool": document["tool"],
            "run": document["run"],
            "summary": document["summary"],
            "owners": document["owners"],
            "findings": finding_records(findings),
            "waiver_problems": document["waiver_problems"],
        }
    return document


def tally_document(
    tally: AuditTally,
    run: RunInfo,
    *,
    waiver_problems: Sequence[WaiverProblem] = (),
    tool_version: str,
) -> AuditDocument:
    """The content of `audit.json` but its findings, from the counts of a whole audit."""
    if run.mode not in MODES:
        raise ValueError(f"run mode {run.mode!r} is not one of {', '.join(MODES)}")
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": str(tool_version)},
        "run": {
            "policy": str(run.policy),
            "mode": run.mode,
            "started_at": _iso_utc(run.started_at),
            "finished_at": _iso_utc(run.finished_at),
            "manifests": [str(m) for m in run.manifests],
            "api_calls": {str(k): int(v) for k, v in sorted(run.api_calls.items())},
            "status_as_of": run.status_as_of,
            "photos_fetched": int(run.photos_fetched),
            "photos_reused": int(run.photos_reused),
            "unverified": int(run.unverified),
            "warnings": [str(w) for w in run.warnings],
        },
        "summary": {
            "photos": tally.photo_ids,
            "usable_photos": tally.photo_ids - tally.photos_with_errors,
            "photos_with_errors": tally.photos_with_errors,
            "owners": tally.owners,
            "rows": tally.rows,
            "findings": tally.severity_totals(),
            "waived": tally.waived,
            "by_rule": tally.by_rule(),
            "other_hosts": ranked_hosts(tally.other_hosts),
        },
        "owners": tally.owner_records(),
        # In file order, whichever step (loading or applying) found them; unplaced ones last.
        "waiver_problems": [
            {"line": None if p.line is None else int(p.line), "message": str(p.message)}
            for p in sorted(waiver_problems, key=lambda p: (p.line is None, p.line or 0))
        ],
    }
