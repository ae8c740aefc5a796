"""Releasing a dataset after an audit: cleaned manifests and the credits of the photos kept.

- `clean_manifests(manifests, findings, out)` writes each manifest, in its own format, without
  the rows that have an error finding not waived, plus `removals.csv` (what was removed and
  why); it returns a `CleanResult` (see `auditor.release.clean`).
- `credits_table(photos, findings)` lists every kept photo whose licence requires attribution,
  once each; `write_credits(table, path)` writes it as `.csv` or `.md` (see
  `auditor.release.credits`).

Both take the tables of one audit: the findings table (`auditor.findings.FINDING_COLUMNS`, with
`waived`) and, for the credits, the photo table (annotated or not). The same rule decides what is
kept in both, so the credits list exactly the photos a cleaned manifest keeps.
"""

from auditor.release.clean import (
    REMOVAL_COLUMNS,
    CleanedManifest,
    CleanResult,
    clean_manifests,
    removals,
    removed_rows,
)
from auditor.release.credits import CREDIT_COLUMNS, credits_table, write_credits

__all__ = [
    "CREDIT_COLUMNS",
    "REMOVAL_COLUMNS",
    "CleanResult",
    "CleanedManifest",
    "clean_manifests",
    "credits_table",
    "removals",
    "removed_rows",
    "write_credits",
]
