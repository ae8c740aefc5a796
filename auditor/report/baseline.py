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

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.errors import AuditorError
from auditor.findings import BASELINE_COLUMN
from auditor.inputs import guard_of, is_stream, open_guarded
from auditor.jsonstream import JsonProblem, Target, stream_values
from auditor.limits import current
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
    missing, unreadable, not JSON, or not an audit.json of this schema version with findings.

    The file is read streaming (`auditor.jsonstream`) within the `baseline_file` size limit and
    the JSON depth limit: only the four fields of a key are kept per finding.
    """
    path = Path(path)
    if not path.exists():
        raise _bad(path, "no such file")
    if path.is_dir():
        raise _bad(path, "is a folder")
    found: dict[str, Any] = {}
    findings: list[Any] = []
    try:
        with _open(path) as stream:
            targets = [Target("schema_version"), Target("findings.item")]
            for index, value in stream_values(stream, targets, lambda: guard_of(stream).lines):
                if index == 0:
                    found["schema_version"] = value
                else:
                    findings.append(_key_fields(value))
        found["findings"] = bool(findings)
        if not findings and not is_stream(path):  # none: is there an empty list, or no list?
            with _open(path) as stream:
                for _, value in stream_values(stream, [Target("findings")]):
                    found["findings"] = isinstance(value, list)
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from None
    except JsonProblem as problem:
        where = "" if problem.line is None else f", line {problem.line}"
        raise _bad(path, f"is not JSON ({problem.problem}{where})") from None
    except AuditorError as exc:  # over a limit
        raise _bad(path, str(exc).removeprefix(f"{path}: ")) from None
    if "schema_version" not in found:
        raise _bad(path, "is not an audit.json (no schema_version)")
    if found["schema_version"] != SCHEMA_VERSION:
        raise _bad(
            path,
            f"is an audit.json of schema_version {found['schema_version']!r}, not {SCHEMA_VERSION}",
        )
    if not found.get("findings"):
        raise _bad(path, "is not an audit.json (no findings list)")
    table = _records(path, findings)
    return Baseline(path=path, keys=frozenset(finding_keys(table).tolist()), findings=table)


def _open(path: Path) -> io.BufferedReader:
    return open_guarded(
        path, json=True, max_bytes=current().baseline_file, max_field="baseline_file"
    )


def _key_fields(finding: Any) -> Any:
    """What a baseline keeps of a finding: the fields of its key and whether it was waived."""
    if not isinstance(finding, dict):
        return finding
    return {key: finding.get(key) for key in _KEPT if key in finding}


_KEPT = ("rule", "photo_id", "source_file", "source_row", "waived")


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
