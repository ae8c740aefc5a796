"""The audit document (`audit.json`) and the per-owner summary, built from the findings table.

The findings table has one row per finding, columns `FINDING_COLUMNS`: text columns (nullable),
`source_row` (int64) and `waived` (bool). Waived findings stay in every output with
`waived: true`; every count named after a severity leaves them out. The schema is documented in
`docs/audit-json.md`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from auditor.findings import FINDING_COLUMNS, SEVERITIES
from auditor.waivers import WaiverProblem

SCHEMA_VERSION = 1
TOOL_NAME = "flickr-licence-auditor"
MODES = ("offline", "live")


OWNER_COLUMNS: tuple[str, ...] = (
    "owner",
    "owner_name",
    "photos",
    *SEVERITIES,
    "waived",
    "rules",
)


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


def _codes(values: pd.Series) -> tuple[np.ndarray[Any, np.dtype[np.intp]], list[Any]]:
    """Integer codes of a column and the value of each code (missing values get code -1)."""
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), list(uniques.tolist())


def _first_text(
    groups: np.ndarray[Any, np.dtype[np.intp]], values: pd.Series, size: int
) -> list[str | None]:
    """Per group 0..size-1, the first non-null value of `values` in table order (or None)."""
    out: list[str | None] = [None] * size
    present = values.notna().to_numpy()
    rows = np.flatnonzero(present)
    if not len(rows):
        return out
    first_groups, first_at = np.unique(groups[rows], return_index=True)
    texts = values.iloc[rows[first_at]].astype("str").tolist()
    for group, text in zip(first_groups.tolist(), texts, strict=True):
        out[group] = text
    return out


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
    # Everything below works on integer owner codes (one factorize of both tables) and numpy
    # counting, not on string group-bys: a YFCC100M audit has millions of rows and owners. The
    # null owner is a code of its own (use_na_sentinel=False), not a dropped key.
    n_photos = len(photos)
    owner_codes, owner_values = pd.factorize(
        pd.concat([photos["owner"].astype("str"), findings["owner"].astype("str")]),
        use_na_sentinel=False,
    )
    owner_codes = np.asarray(owner_codes, dtype=np.intp)
    owners = pd.Series(owner_values, dtype="str")
    size = len(owners)
    photo_owner, finding_owner = owner_codes[:n_photos], owner_codes[n_photos:]

    photo_ids, _ = _codes(photos["photo_id"])
    has_id = photo_ids >= 0
    # Distinct (owner, photo) pairs; pd.unique hashes, far faster here than np.unique.
    pairs = pd.unique(photo_owner[has_id].astype(np.int64) * (n_photos + 1) + photo_ids[has_id])
    photo_counts = np.bincount(pairs // (n_photos + 1), minlength=size)

    names = _first_text(photo_owner, photos["owner_name"], size)
    finding_names = _first_text(finding_owner, findings["owner_name"], size)
    names = [
        name if name is not None else other
        for name, other in zip(names, finding_names, strict=True)
    ]
    # The unknown owner groups unrelated people: no one name stands for them.
    names = [
        None if owner_is_null else name
        for name, owner_is_null in zip(names, owners.isna().tolist(), strict=True)
    ]

    waived = _waived(findings).to_numpy()
    live = ~waived
    severity = pd.Categorical(findings["severity"].astype("str"), categories=list(SEVERITIES))
    severity_codes = np.asarray(severity.codes, dtype=np.intp)
    by_severity = np.bincount(
        finding_owner[live] * len(SEVERITIES) + severity_codes[live],
        minlength=size * len(SEVERITIES),
    ).reshape(size, len(SEVERITIES))
    waived_counts = np.bincount(finding_owner[waived], minlength=size)

    table = pd.DataFrame(
        {
            "owner": owners.array,
            "owner_name": pd.array(names, dtype="str"),
            "photos": photo_counts.astype("int64"),
            **{s: by_severity[:, i].astype("int64") for i, s in enumerate(SEVERITIES)},
            "waived": waived_counts.astype("int64"),
        }
    )
    table["rules"] = pd.Series(
        _rule_counts(finding_owner[live], findings["rule"][live], size), dtype=object
    )
    # Worst first; the owner name breaks the last ties, with the null owner after every name.
    name_rank = np.empty(size, dtype=np.int64)
    name_rank[owners.sort_values(na_position="last").index.to_numpy()] = np.arange(size)
    worst_first = [-by_severity[:, i] for i in range(len(SEVERITIES))]
    order = np.lexsort((name_rank, -photo_counts, *reversed(worst_first)))  # last key sorts first
    return table.iloc[order].reset_index(drop=True).loc[:, list(OWNER_COLUMNS)]


def _rule_counts(
    owner_codes: np.ndarray[Any, np.dtype[np.intp]], rules: pd.Series, size: int
) -> list[dict[str, int]]:
    """Per owner code, rule id → count of its (not waived) findings, largest count first."""
    out: list[dict[str, int]] = [{} for _ in range(size)]
    rule_codes, rule_names = _codes(rules)
    if not len(rule_names):
        return out
    # Codes in rule-name order, so that equal counts come out alphabetically.
    by_name = np.argsort(np.array(rule_names, dtype=object))
    rank = np.empty(len(rule_names), dtype=np.intp)
    rank[by_name] = np.arange(len(rule_names))
    ok = rule_codes >= 0
    keys, counts = np.unique(
        owner_codes[ok].astype(np.int64) * len(rule_names) + rank[rule_codes[ok]],
        return_counts=True,
    )
    owner_of, rule_of = np.divmod(keys, len(rule_names))
    order = np.lexsort((rule_of, -counts, owner_of))
    names = [rule_names[i] for i in by_name.tolist()]
    for owner, rule, count in zip(
        owner_of[order].tolist(), rule_of[order].tolist(), counts[order].tolist(), strict=True
    ):
        out[owner][names[rule]] = count
    return out


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
    """The findings as JSON-safe dicts with keys `FINDING_COLUMNS`, in table order."""
    columns: list[list[Any]] = []
    for name in FINDING_COLUMNS:
        if name == "source_row":
            columns.append(_json_ints(findings[name]))
        elif name == "waived":
            columns.append([bool(v) for v in _waived(findings).tolist()])
        else:
            columns.append(_json_column(findings[name]))
    return [dict(zip(FINDING_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def owner_records(owners: pd.DataFrame) -> list[dict[str, Any]]:
    """`owner_summary` rows as JSON-safe dicts (the null owner as None)."""
    columns: dict[str, list[Any]] = {
        "owner": _json_column(owners["owner"]),
        "owner_name": _json_column(owners["owner_name"]),
    }
    for name in ("photos", *SEVERITIES, "waived"):
        columns[name] = [int(v) for v in owners[name].tolist()]
    columns["rules"] = [dict(rules) for rules in owners["rules"].tolist()]
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _iso_utc(moment: datetime) -> str:
    # A naive datetime is taken as local time (Python's own rule for astimezone).
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _counts(values: pd.Series) -> dict[str, int]:
    """Value → count, largest first, ties by value."""
    counts = values.value_counts()
    pairs = sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))
    return dict(pairs)


def build_audit_document(
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    *,
    waiver_problems: Sequence[WaiverProblem] = (),
    tool_version: str,
    include_findings: bool = True,
) -> dict[str, Any]:
    """The content of `audit.json`: JSON-safe types only (`json.dumps(..., allow_nan=False)`).

    With `include_findings=False` the document lacks `findings`: one dict per finding costs
    about 1 GB per million findings, and `write_reports` writes them from the table anyway.
    """
    if run.mode not in MODES:
        raise ValueError(f"run mode {run.mode!r} is not one of {', '.join(MODES)}")
    check_findings(findings)
    waived = _waived(findings)
    live = findings.loc[~waived.to_numpy(), ["severity", "rule"]]
    by_severity = live["severity"].value_counts()
    photo_ids = photos["photo_id"]
    document: dict[str, Any] = {
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
            "photos": int(photo_ids.dropna().nunique()),
            "owners": int(photos["owner"].dropna().nunique()),
            "rows": len(photos),
            "findings": {s: int(by_severity.get(s, 0)) for s in SEVERITIES},
            "waived": int(np.count_nonzero(waived.to_numpy())),
            "by_rule": _counts(live["rule"]),
        },
        "owners": owner_records(owner_summary(findings, photos)),
        "findings": finding_records(findings) if include_findings else None,
        # In file order, whichever step (loading or applying) found them; unplaced ones last.
        "waiver_problems": [
            {"line": None if p.line is None else int(p.line), "message": str(p.message)}
            for p in sorted(waiver_problems, key=lambda p: (p.line is None, p.line or 0))
        ],
    }
    if not include_findings:
        del document["findings"]
    return document
