"""The findings table: what the rule engine produces and every report consumes.

One row per (manifest row, rule that fired): which photo and whose, the rule id and its
severity in the policy, the message saying why, the licences it was judged on, when its status
was fetched from Flickr (null offline), where in which manifest the photo is listed, and whether
a waiver accepted it.

With `flickr-audit audit --baseline`, the table gets one more bool column, `baseline`: the
finding was already in the earlier run's audit.json (`auditor.report.baseline`). Reports write
it (after `waived`) only when the table has it: `finding_columns` gives the columns to write.
"""

from __future__ import annotations

from collections.abc import Iterable

FINDING_COLUMNS: tuple[str, ...] = (
    "photo_id",
    "owner",
    "owner_name",
    "rule",
    "severity",
    "message",
    "recorded_licence",
    "current_licence",
    "effective_licence",
    "visibility",
    "fetched_at",  # ISO 8601 UTC, when the live status was fetched; null offline
    "source_file",
    "source_row",
    "waived",
)
SEVERITIES: tuple[str, ...] = ("error", "warning", "note")  # worst first
BASELINE_COLUMN = "baseline"  # optional bool column: the finding is in the baseline
BOOL_COLUMNS: frozenset[str] = frozenset({"waived", BASELINE_COLUMN})


def finding_columns(names: Iterable[str]) -> tuple[str, ...]:
    """The columns a report writes for a findings table whose columns are `names`:
    `FINDING_COLUMNS`, plus `baseline` when the table has it."""
    return FINDING_COLUMNS + ((BASELINE_COLUMN,) if BASELINE_COLUMN in set(names) else ())
