"""The findings table: what the rule engine produces and every report consumes.

One row per (manifest row, rule that fired): which photo and whose, the rule id and its
severity in the policy, the message saying why, the licences it was judged on, when its status
was fetched from Flickr (null offline), where in which manifest the photo is listed, and whether
a waiver accepted it.
"""

from __future__ import annotations

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
