"""The columns rules may name: the photo table's, plus those `annotate` adds before evaluation.

Policies are checked against this list when they load, so a misspelt column is a load error with
its line and column rather than a rule that silently never fires.
"""

from __future__ import annotations

from auditor.photo_table import PHOTO_COLUMNS

# Filled by the live status fetch (a later stage); added as all-null columns when absent, which
# is the offline case. `visibility` is "public", "not-public" (deleted or private: an API key
# alone cannot tell which), "error" (could not be checked) or null (not fetched).
STATUS_COLUMNS: tuple[str, ...] = (
    "current_licence",
    "visibility",
    "tags",  # Flickr's normalised tags, space-separated
    "fetch_status",
    "licence_at_collection",  # the licence in force at `collected_at`, from the licence history
    # ISO 8601 UTC, e.g. 2021-03-04T10:00:00Z: the latest change in the licence history (null
    # when the history was not fetched or shows no change), and when the status was fetched.
    "licence_changed_at",
    "fetched_at",
)

# Joined from the removal requests and opt-out lists an audit is given (`--opt-outs`, see
# `auditor.optouts`), offline and live alike. `opt_out_request` names what lists the row, e.g.
# "removal request removal-request.json of 2026-12-03T12:40:00Z"; null when nothing does.
OPT_OUT_COLUMNS: tuple[str, ...] = ("opt_out_request",)

# Derived by `annotate` from the columns above.
DERIVED_COLUMNS: tuple[str, ...] = (
    "effective_licence",
    "recorded_licence_name",
    "current_licence_name",
    "effective_licence_name",
    "licence_at_collection_name",
    # recorded → current licence: "narrowed", "widened" or "changed"; null when either is not a
    # known licence or they are the same.
    "licence_change",
    "licence_changed_on",  # " on 2021-03-04" from `licence_changed_at`, else null: for messages
    "opt_out_tag",  # the first of the photo's tags that is one of the policy's opt-out tags
    # Why the photo is opted out, for the `opt-out` message: "its opt-out tag nocv", the
    # `opt_out_request`, or both joined by " and "; null when neither.
    "opt_out_source",
    "first_listed_at",  # `source_file:source_row` of a repeated photo's first row, else null
)

ANNOTATED_COLUMNS: tuple[str, ...] = STATUS_COLUMNS + OPT_OUT_COLUMNS + DERIVED_COLUMNS

# Every column a predicate or a message template may name.
RULE_COLUMNS: tuple[str, ...] = PHOTO_COLUMNS + ANNOTATED_COLUMNS

# Columns holding licence slugs: the only ones `has` and `kind` look licence facts up in.
LICENCE_COLUMNS: tuple[str, ...] = (
    "recorded_licence",
    "current_licence",
    "effective_licence",
    "licence_at_collection",
)

# Every other rule column holds text.
INTEGER_COLUMNS: frozenset[str] = frozenset({"source_row"})
