"""Findings aggregated for the CI formats (SARIF, JUnit, GitHub annotations).

A CI report with one entry per finding drowns its reader (and GitHub caps what it shows), so
`sarif`, `junit` and `github` report *groups*: the findings of one rule, for one owner (a null
owner is one group, "unknown owner"), in one manifest file, waived or not. A group lists its
first photos (by row) and counts the rest.

When the findings carry a `baseline` column (True: the finding was already in the baseline), a
group's `state` is `new` (no finding in the baseline), `unchanged` (all of them) or `updated`
(some), as SARIF's `baselineState` names them.

Also here: where a manifest is (`Where`: its path relative to the current folder, forward
slashes, when it is inside it), whether its `source_row` is a line (`line_oriented`), and text
cleaning shared by the three formats.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import quote

import numpy as np
import pandas as pd

from auditor.engine.policy import Policy
from auditor.findings import SEVERITIES
from auditor.report.text import plain

UNKNOWN_OWNER = "unknown owner"
LISTED = 20  # photos listed per group by default; the rest are counted

# Formats whose `source_row` is a record number, not a line of the file (photo_table.py).
RECORD_FORMATS = frozenset({"json", "coco", "ffhq", "flickr-api", "parquet"})
_RECORD_SUFFIXES = (".json", ".json.gz", ".parquet", ".pq")
# Manifest formats whose `source_row` is the 1-based line: csv, tsv, jsonl, urls, yfcc100m,
# openimages, openverse.

_SURROGATE = re.compile("[\ud800-\udfff]")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@lru_cache(maxsize=1 << 16)
def _clean_text(text: str, limit: int | None) -> str:
    out = plain(text, limit)
    if _SURROGATE.search(out):
        out = out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return out


def clean(text: object, limit: int | None = None) -> str:
    """Manifest text on one line, without control characters or lone surrogates (which no
    UTF-8 file can hold), cut to `limit` characters. Messages repeat: each distinct text is
    cleaned once."""
    return _clean_text(text if isinstance(text, str) else str(text), limit)


def _value(value: Any) -> str | None:
    """A cell as a string, or None when null (pandas gives NaN, None or pd.NA)."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return None
    return str(value)


@dataclass(frozen=True)
class Where:
    """A manifest file as reports name it."""

    source_file: str  # as the findings have it
    path: str  # relative to the current folder with forward slashes, else absolute (POSIX form)
    relative: bool  # whether `path` is relative to the current folder
    line_oriented: bool  # whether source_row is the file's line (else a record number)

    @property
    def uri(self) -> str:
        """A URI reference: relative (percent-encoded) or an absolute file: URI."""
        if self.relative:
            return quote(self.path, safe="/")
        return Path(self.path).as_uri()

    @property
    def basename(self) -> str:
        return PurePosixPath(self.path).name


def locate(source_file: str, source_format: str | None, cwd: Path | None = None) -> Where:
    """Where `source_file` is, relative to `cwd` (the current folder) when inside it."""
    base = (cwd or Path.cwd()).resolve()
    path = Path(source_file)
    absolute = path if path.is_absolute() else base / path
    absolute = Path(os.path.normpath(absolute))
    try:
        shown, relative = absolute.relative_to(base).as_posix(), True
    except ValueError:
        shown, relative = absolute.as_posix(), False
    if source_format is not None:
        lines = source_format not in RECORD_FORMATS
    else:
        lines = not source_file.lower().endswith(_RECORD_SUFFIXES)
    return Where(source_file, shown, relative, lines)


def manifest_formats(photos: pd.DataFrame) -> dict[str, str]:
    """source_file → source_format, from the photo table (when it has `source_format`)."""
    if "source_format" not in photos.columns or photos.empty:
        return {}
    pairs = photos[["source_file", "source_format"]].drop_duplicates("source_file")
    return {
        str(file): str(fmt)
        for file, fmt in zip(pairs["source_file"], pairs["source_format"], strict=True)
        if _value(file) is not None and _value(fmt) is not None
    }


class Row(NamedTuple):
    """One finding of a group, as listed (a tuple: a million of them are built fast)."""

    photo_id: str | None
    source_row: int
    message: str
    baseline: bool = False  # already in the baseline


@dataclass(frozen=True)
class _Listing:
    """The columns a group's listed rows are built from, shared by every group of one call
    (Python lists: indexing them is several times faster than indexing arrays one by one)."""

    photo_ids: list[Any]
    source_rows: list[int]
    messages: list[Any]
    baseline: list[bool]


@dataclass(frozen=True)
class Group:
    """The findings of one rule for one owner in one manifest, waived or not.

    `rows` is built when first read: a writer that keeps only the worst groups (SARIF's cap)
    never pays for the rest.
    """

    rule: str
    severity: str
    owner: str | None
    owner_name: str | None
    where: Where
    waived: bool
    count: int  # findings in the group
    in_baseline: int  # of which were in the baseline (0 without a baseline)
    first_row: int  # the smallest source_row
    listed_at: np.ndarray = field(repr=False, compare=False)  # positions of the listed rows
    listing: _Listing = field(repr=False, compare=False)
    # Distinct messages among the group's findings: more than one when its photos were judged
    # on different licences (CC BY-NC 2.0 and 3.0, say).
    messages: int = 1
    summary: str = ""  # the rule's summary in the policy

    @property
    def common_message(self) -> str | None:
        """The message every finding of the group has, or None when they differ: a group's
        text must not quote one photo's licence for photos under others."""
        if self.messages != 1 or not self.rows:
            return None
        return self.rows[0].message

    @cached_property
    def rows(self) -> tuple[Row, ...]:
        """The first `listed` findings by row."""
        source = self.listing
        return tuple(
            Row(
                _value(source.photo_ids[i]),
                source.source_rows[i],
                clean(_value(source.messages[i]) or "", 500),
                source.baseline[i],
            )
            for i in self.listed_at.tolist()
        )

    @property
    def owner_label(self) -> str:
        """The owner (and the name of its first row) on one line, for titles and messages."""
        if self.owner is None:  # rows of several people, perhaps: their names are not shown
            return UNKNOWN_OWNER
        label = clean(self.owner, 120)
        if self.owner_name and self.owner_name != self.owner:
            label += f" ({clean(self.owner_name, 80)})"
        return label

    @property
    def state(self) -> str:
        """SARIF's baselineState: new, unchanged or updated."""
        if self.in_baseline == 0:
            return "new"
        return "unchanged" if self.in_baseline == self.count else "updated"

    @property
    def new_count(self) -> int:
        return self.count - self.in_baseline

    @property
    def more(self) -> int:
        """Findings in the group that `rows` leaves out."""
        return self.count - len(self.rows)

    def fingerprint(self) -> str:
        """Stable across runs: rule, owner, manifest file name and waived-ness, never rows,
        counts or times (so a group keeps its identity as photos come and go)."""
        parts = [
            self.rule,
            "" if self.owner is None else self.owner,
            self.where.basename,
            "waived" if self.waived else "",
        ]
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def row_label(self, row: Row) -> str:
        """`photo 123 (manifest.csv:4)` or `record 4` for rows of JSON manifests."""
        what = (
            "a row without a photo id" if row.photo_id is None else f"photo {clean(row.photo_id)}"
        )
        unit = "line" if self.where.line_oriented else "record"
        return f"{what} ({self.where.path} {unit} {row.source_row})"


def group_findings(
    findings: pd.DataFrame,
    policy: Policy,
    photos: pd.DataFrame | None = None,
    *,
    listed: int = LISTED,
    cwd: Path | None = None,
) -> list[Group]:
    """The findings aggregated, worst first: not waived before waived, by severity, then the
    biggest groups, then by rule (policy order), owner and file."""
    if findings.empty:
        return []
    formats = manifest_formats(photos) if photos is not None else {}
    # Each key column as integer codes and its distinct values (-1: null), so that only the
    # distinct values and the listed rows become Python objects.
    factors: dict[str, tuple[np.ndarray, list[str | None]]] = {}
    for name in ("rule", "severity", "owner", "owner_name", "source_file"):
        codes, uniques = pd.factorize(findings[name], use_na_sentinel=True)
        factors[name] = (codes, [_value(value) for value in uniques.tolist()])

    waived = findings["waived"].fillna(False).astype(bool).to_numpy()
    frame = pd.DataFrame(
        {
            "rule": factors["rule"][0],
            "owner": factors["owner"][0],
            "source_file": factors["source_file"][0],
            "waived": waived,
        }
    )
    baseline = (
        findings["baseline"].fillna(False).astype(bool).to_numpy()
        if "baseline" in findings.columns
        else np.zeros(len(findings), dtype=bool)
    )
    source_row = findings["source_row"].to_numpy(dtype=np.int64)
    photo_ids = findings["photo_id"].to_numpy(dtype=object)
    messages = findings["message"].to_numpy(dtype=object)
    keys = frame.groupby(["rule", "owner", "source_file", "waived"], sort=False)
    group_of = keys.ngroup().to_numpy()
    order = np.lexsort((np.arange(len(group_of)), source_row, group_of))
    counts = np.bincount(group_of)
    message_codes, _ = pd.factorize(findings["message"], use_na_sentinel=True)
    pairs = pd.DataFrame({"group": group_of, "message": message_codes}).drop_duplicates()
    distinct_messages = np.bincount(pairs["group"].to_numpy(), minlength=len(counts))
    in_base = np.bincount(group_of, weights=baseline.astype(np.int64)).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rule_rank = {rule.id: rank for rank, rule in enumerate(policy.rules)}
    places: dict[str, Where] = {}
    groups: list[Group] = []
    listing = _Listing(
        photo_ids.tolist(), source_row.tolist(), messages.tolist(), baseline.tolist()
    )
    firsts = order[starts]  # each group's first finding by row

    def values(name: str) -> list[str | None]:
        """Column `name` at each group's first finding."""
        codes, uniques = factors[name]
        return [None if code < 0 else uniques[code] for code in codes[firsts].tolist()]

    columns = zip(
        starts.tolist(),
        counts.tolist(),
        in_base.tolist(),
        distinct_messages.tolist(),
        values("rule"),
        values("severity"),
        values("owner"),
        values("owner_name"),
        values("source_file"),
        waived[firsts].tolist(),
        source_row[firsts].tolist(),
        strict=True,
    )
    shown = max(listed, 1)
    summaries = {rule.id: rule.summary for rule in policy.rules}
    for (
        start,
        count,
        base,
        kinds,
        rule,
        severity,
        owner,
        owner_name,
        file,
        gone,
        first_row,
    ) in columns:
        source_file = file or ""
        if source_file not in places:
            places[source_file] = locate(source_file, formats.get(source_file), cwd)
        groups.append(
            Group(
                rule=rule or "",
                severity=severity or "",
                owner=owner,
                owner_name=owner_name,
                where=places[source_file],
                waived=gone,
                count=count,
                in_baseline=base,
                first_row=first_row,
                listed_at=order[start : start + min(count, shown)][:listed],
                listing=listing,
                messages=kinds,
                summary=summaries.get(rule or "", ""),
            )
        )
    groups.sort(
        key=lambda g: (
            g.waived,
            g.state == "unchanged",
            _SEVERITY_RANK.get(g.severity, len(SEVERITIES)),
            -g.count,
            rule_rank.get(g.rule, len(rule_rank)),
            g.owner is None,
            g.owner or "",
            g.where.path,
        )
    )
    return groups


def rows_text(group: Group, limit: int) -> str:
    """The group's first photos, `; `-separated, with "and N more" past `limit`."""
    shown = [group.row_label(row) for row in group.rows[:limit]]
    rest = group.count - len(shown)
    text = "; ".join(shown)
    return f"{text}; and {rest} more" if rest > 0 else text


_SENTENCE_END = re.compile(r"[.!?]$")


def sentence(text: str) -> str:
    """`text` ending with a full stop (SARIF messages should be sentences)."""
    text = text.rstrip()
    return text if _SENTENCE_END.search(text) else text + "."
