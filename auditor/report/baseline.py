"""`flickr-audit audit --baseline PREVIOUS/audit.json`: which findings are already known.

A baseline is the `audit.json` of an earlier run (it always lists every finding). A finding of
this run is *in the baseline* when the baseline has a finding that is not waived there with the
same key, which survives reordering rows and moving the manifest:

- `(rule, photo_id)` when the finding names a photo;
- `(rule, file name of source_file, source_row)` when it does not (rule `no-photo-id`): the
  folder is left out, so a manifest audited from another checkout still matches.

Findings that were waived in the baseline are not part of it: when their waiver expires they
come back as new. `apply_baseline` adds the bool column `baseline` to the findings table and
counts, among this run's findings that are not waived, the `new` ones (not in the baseline:
only these count for the exit code) and the `unchanged` ones; `fixed` counts the baseline's
findings (not waived there) whose key no finding of this run has. A baseline does not make a
photo usable: `--clean-manifest` and `--credits` still remove photos with baseline errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.errors import AuditorError
from auditor.findings import BASELINE_COLUMN
from auditor.report.document import SCHEMA_VERSION, BaselineSection

_SEP = "\x1f"  # between the parts of a key: never in a rule id, photo id or file name


@dataclass(frozen=True)
class Baseline:
    """The findings of an earlier run, as keys (see the module docstring)."""

    path: Path
    keys: frozenset[str]
    findings: pd.DataFrame  # its findings not waived: rule, photo_id, source_file, source_row


@dataclass(frozen=True)
class BaselineSummary:
    """How this run's findings compare with the baseline (`summary.baseline` in audit.json)."""

    file: str
    new: int
    unchanged: int
    fixed: int

    def as_json(self) -> BaselineSection:
        return {
            "file": self.file,
            "new": self.new,
            "unchanged": self.unchanged,
            "fixed": self.fixed,
        }


def finding_keys(findings: pd.DataFrame) -> pd.Series:
    """Each finding's baseline key, as one string: rule and photo id, else rule, the file name
    of `source_file` and `source_row`."""
    rule = findings["rule"].astype("str").fillna("")
    photo = findings["photo_id"].astype("str")
    name = findings["source_file"].astype("str").fillna("").str.replace(r"^.*[/\\]", "", regex=True)
    row = findings["source_row"].astype("Int64").astype("str").fillna("")
    by_photo = "p" + _SEP + rule + _SEP + photo.fillna("")
    by_row = "r" + _SEP + rule + _SEP + name + _SEP + row
    keys = by_photo.where(photo.notna() & (photo != ""), by_row)
    return pd.Series(keys.to_numpy(dtype=object), index=findings.index, dtype=object)


def _bad(path: Path, problem: str) -> AuditorError:
    return AuditorError(
        f"{path}: {problem}; give --baseline the audit.json written by an earlier "
        "`flickr-audit audit`"
    )


def _records(path: Path, findings: Iterable[Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("rule"), str):
            raise _bad(path, f"findings[{index}] is not a finding (no rule)")
        if finding.get("waived") is True:
            continue
        source_row = finding.get("source_row")
        rows.append(
            {
                "rule": finding["rule"],
                "photo_id": None if finding.get("photo_id") is None else str(finding["photo_id"]),
                "source_file": (
                    None if finding.get("source_file") is None else str(finding["source_file"])
                ),
                "source_row": source_row if isinstance(source_row, int) else None,
            }
        )
    frame = pd.DataFrame(rows, columns=["rule", "photo_id", "source_file", "source_row"])
    for name in ("rule", "photo_id", "source_file"):
        frame[name] = frame[name].astype("str")
    frame["source_row"] = frame["source_row"].astype("Int64")
    return frame


def load_baseline(path: str | Path) -> Baseline:
    """Read an earlier run's audit.json; `AuditorError` (one line naming the file) when it is
    missing, unreadable, not JSON, or not an audit.json of this schema version with findings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _bad(path, "no such file") from None
    except IsADirectoryError:
        raise _bad(path, "is a folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise _bad(path, f"cannot be read ({reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(path, f"is not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, dict) or "schema_version" not in document:
        raise _bad(path, "is not an audit.json (no schema_version)")
    if document["schema_version"] != SCHEMA_VERSION:
        raise _bad(
            path,
            f"is an audit.json of schema_version {document['schema_version']!r}, "
            f"not {SCHEMA_VERSION}",
        )
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise _bad(path, "is not an audit.json (no findings list)")
    table = _records(path, findings)
    return Baseline(path=path, keys=frozenset(finding_keys(table).tolist()), findings=table)


def apply_baseline(
    findings: pd.DataFrame, baseline: Baseline
) -> tuple[pd.DataFrame, BaselineSummary]:
    """A copy of `findings` with the bool column `baseline`, and the counts of
    `summary.baseline` (see the module docstring)."""
    keys = finding_keys(findings)
    known = keys.isin(baseline.keys).to_numpy(dtype=bool)
    out = findings.copy()
    out[BASELINE_COLUMN] = known
    live = ~findings["waived"].fillna(False).astype(bool).to_numpy()
    current = frozenset(keys.tolist())
    gone = ~finding_keys(baseline.findings).isin(current).to_numpy(dtype=bool)
    summary = BaselineSummary(
        file=str(baseline.path),
        new=int((live & ~known).sum()),
        unchanged=int((live & known).sum()),
        fixed=int(gone.sum()),
    )
    return out, summary


def counted(findings: pd.DataFrame) -> pd.Series:
    """Which findings count for the exit code: not waived, and not in the baseline (when the
    table has a `baseline` column)."""
    keep = ~findings["waived"].fillna(False).astype(bool)
    if BASELINE_COLUMN in findings.columns:
        keep &= ~findings[BASELINE_COLUMN].fillna(False).astype(bool)
    return keep
