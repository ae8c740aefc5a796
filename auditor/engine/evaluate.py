"""Judge a photo table against a policy: annotate it, evaluate each rule's mask, list findings.

`annotate` adds what rules read besides the photo table: the live status columns (null when the
status was not fetched: the offline case), the opt-out requests joined onto the table
(`opt_out_request`, null when none was given), the effective licence (chosen by the policy's
`licence_basis`, see `basis.py`; by default the current licence when the photo was fetched and is
public, otherwise the recorded one), licence display names, how the licence changed and when,
the first of the policy's opt-out tags a photo carries (and so why it is opted out), and where
a repeated photo was first listed. `evaluate` computes every active rule's boolean mask over
all rows at once and returns one tidy findings table (`FINDING_COLUMNS`), one row per (row,
rule) that fired, ordered by source file, source row, then rule order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from auditor.engine.basis import (
    DEFAULT_LICENCE_BASIS,
    changed_on,
    effective_licence,
    licence_change,
)
from auditor.engine.columns import OPT_OUT_COLUMNS, STATUS_COLUMNS
from auditor.engine.listings import Observation
from auditor.engine.policy import Policy
from auditor.engine.predicates import EvalContext, Mask, first_positions
from auditor.engine.tags import DEFAULT_OPT_OUT_TAGS, first_tag_in, normalised_set
from auditor.engine.template import MessageTemplate, parse_template, render
from auditor.findings import FINDING_COLUMNS
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.photo_table import PHOTO_COLUMNS

# Copied from the annotated table into each finding.
_ROW_COLUMNS = tuple(
    name for name in FINDING_COLUMNS if name not in ("rule", "severity", "message", "waived")
)
_REQUIRED = ("photo_id", "source_file", "source_row")
_UNKNOWN_NAME = "unknown licence"


def _display_name(slug: str, catalogue: LicenceCatalogue) -> str:
    if slug == UNKNOWN:
        return _UNKNOWN_NAME
    licence = catalogue.get(slug)
    return slug if licence is None else licence.name


def _licence_names(slugs: pd.Series, catalogue: LicenceCatalogue) -> pd.Series:
    """Each slug's display name, looked up once per distinct slug; null → ""."""
    codes, uniques = pd.factorize(slugs)
    # Null slugs get code -1, which `take` reads as the last entry: the "" appended at the end.
    names = pd.array([*(_display_name(str(u), catalogue) for u in uniques), ""], dtype="str")
    return pd.Series(names.take(codes), index=slugs.index)


def _text_column(values: list[str], codes: npt.NDArray[np.intp]) -> pd.Series:
    """`values[code]` for each code, as a `str` column (a take from a tiny Arrow array)."""
    return pd.Series(pd.array(values, dtype="str").take(codes))


def _first_listed_at(table: pd.DataFrame, first: npt.NDArray[np.intp]) -> pd.Series:
    """For a row whose photo id appeared in an earlier row: that row's `source_file:source_row`.

    `first` is `first_positions(table["photo_id"])`.
    """
    result = pd.Series(index=table.index, dtype="str")
    repeat = np.flatnonzero((first >= 0) & (first != np.arange(len(table))))
    if len(repeat) == 0:
        return result
    where = first[repeat]
    files = table["source_file"].iloc[where].fillna("").reset_index(drop=True)
    rows = table["source_row"].iloc[where].astype("str").reset_index(drop=True)
    result.iloc[repeat] = (files + ":" + rows).to_numpy()
    return result


def _opt_out_source(tag: pd.Series, request: pd.Series) -> pd.Series:
    """Per row, why the photo is opted out: "its opt-out tag X", the request that names it,
    or both joined by " and "; null when neither (the common case, decided without a loop)."""
    if not tag.notna().any():  # offline, or no photo tagged: no string work on every row
        return request.astype("str")
    by_tag = "its opt-out tag " + tag
    both = tag.notna() & request.notna()
    source = by_tag.fillna(request)
    if both.any():
        source = source.mask(both, by_tag + " and " + request)
    return source.astype("str")


def annotate(
    photos: pd.DataFrame,
    catalogue: LicenceCatalogue | None = None,
    *,
    licence_basis: str = DEFAULT_LICENCE_BASIS,
    opt_out_tags: tuple[str, ...] = DEFAULT_OPT_OUT_TAGS,
) -> pd.DataFrame:
    """A copy of the photo table with the columns rules read (see `columns.ANNOTATED_COLUMNS`).

    `photos` needs `photo_id`, `source_file` and `source_row`; other photo-table columns and
    the live status columns (`columns.STATUS_COLUMNS`) are added as nulls when absent. Text
    columns become pandas `str`. `licence_basis` (one of `basis.LICENCE_BASES`) decides the
    effective licence; `opt_out_tags` are the tags `opt_out_tag` looks for (a policy's own).
    """
    table, _, _ = _annotate(photos, catalogue or load_catalogue(), licence_basis, opt_out_tags)
    return table


def _annotate(
    photos: pd.DataFrame,
    catalogue: LicenceCatalogue,
    licence_basis: str,
    opt_out_tags: tuple[str, ...],
    listed: Observation | None = None,
) -> tuple[pd.DataFrame, Mask, frozenset[str]]:
    """`annotate`, plus which rows repeat an earlier photo id and the normalised opt-out tags
    (evaluate hands both to the predicates, so `duplicate` and `opt-out` reuse the work).

    `listed`: what `FirstListings.observe` found for these rows, when the table is one chunk
    of a larger audit; without it repeats are looked for in this table alone.
    """
    missing = [name for name in _REQUIRED if name not in photos.columns]
    if missing:
        raise ValueError(f"the photo table lacks column(s) {', '.join(missing)}")
    # Copy-on-write: adding or replacing columns never touches the caller's frame.
    table = photos.copy(deep=False)
    nulls = pd.Series(index=table.index, dtype="str")  # shared by the missing columns
    for name in (*PHOTO_COLUMNS, *STATUS_COLUMNS, *OPT_OUT_COLUMNS):
        if name == "source_row":
            if table[name].dtype != np.int64:
                table[name] = table[name].astype("int64")
        elif name not in table.columns:
            table[name] = nulls
        elif table[name].dtype != "str":
            table[name] = table[name].astype("str")

    table["effective_licence"] = effective_licence(table, catalogue, licence_basis)
    for column in ("recorded_licence", "current_licence", "licence_at_collection"):
        table[f"{column}_name"] = _licence_names(table[column], catalogue)
    effective = table["effective_licence"]
    # Offline, the effective licence is the recorded one: its names are known already.
    same = effective.equals(table["recorded_licence"])
    names = table["recorded_licence_name"] if same else _licence_names(effective, catalogue)
    table["effective_licence_name"] = names
    table["licence_change"] = licence_change(
        table["recorded_licence"], table["current_licence"], catalogue
    )
    table["licence_changed_on"] = changed_on(table["licence_changed_at"])
    wanted = normalised_set(opt_out_tags)
    table["opt_out_tag"] = first_tag_in(table["tags"], wanted)
    table["opt_out_source"] = _opt_out_source(table["opt_out_tag"], table["opt_out_request"])
    if listed is None:
        first = first_positions(table["photo_id"])
        table["first_listed_at"] = _first_listed_at(table, first)
        repeated: Mask = (first >= 0) & (first != np.arange(len(table)))
    else:
        table["first_listed_at"] = listed.first_listed_at.set_axis(table.index)
        repeated = listed.repeated
    return table, repeated, wanted


def _messages(
    template: MessageTemplate, table: pd.DataFrame, fired: npt.NDArray[np.intp], policy: str
) -> tuple[pd.Series, npt.NDArray[np.intp]]:
    """`render` for the rows at `fired`, rendering each distinct combination of the template's
    fields once (licence rules name a handful of licences across millions of rows): the
    messages rendered and, per row, the position of its message among them."""
    fields = [name for name in dict.fromkeys(template.fields) if name != "policy"]
    combined = np.zeros(len(fired), dtype=np.int64)
    for name in fields:
        codes, uniques = pd.factorize(table[name].iloc[fired], use_na_sentinel=False)
        if len(uniques) * 2 > len(fired):  # mostly distinct (ids, rows): nothing to share
            return render(template, table, fired, policy), np.arange(len(fired), dtype=np.intp)
        combined = combined * len(uniques) + codes
    codes, _ = pd.factorize(combined)
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    once = render(template, table, fired[first], policy)
    return once, np.asarray(codes, dtype=np.intp)


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the right column types."""
    frame = pd.DataFrame({name: pd.Series(dtype="str") for name in FINDING_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["waived"] = frame["waived"].astype(bool)
    return frame


def evaluate(
    photos: pd.DataFrame,
    policy: Policy,
    *,
    live: bool = False,
    catalogue: LicenceCatalogue | None = None,
    listed: Observation | None = None,
) -> pd.DataFrame:
    """The findings of `policy` on a photo table, one row per (photo row, rule) that fired.

    The table is annotated with the policy's `licence_basis` and `opt_out_tags`. Rules with
    severity `off` are skipped, and so are rules that need the live status unless `live` is
    True. Columns are `FINDING_COLUMNS`; `waived` is False (waivers apply later). `listed`
    says which rows repeat a photo listed earlier, when the table is one chunk of an audit
    (`auditor.engine.listings`); without it, repeats within this table.
    """
    findings, _ = evaluate_rows(photos, policy, live=live, catalogue=catalogue, listed=listed)
    return findings


def evaluate_rows(
    photos: pd.DataFrame,
    policy: Policy,
    *,
    live: bool = False,
    catalogue: LicenceCatalogue | None = None,
    listed: Observation | None = None,
    on_annotated: Callable[[pd.DataFrame], None] | None = None,
) -> tuple[pd.DataFrame, npt.NDArray[np.intp]]:
    """`evaluate`, and for each finding the position in `photos` of the row it is about.
    `on_annotated`, when given, gets the photo table annotated as `annotate` gives it (what a
    chunked audit writes photos.csv and photos.parquet from, without annotating twice)."""
    catalogue = catalogue or load_catalogue()
    table, repeated, wanted = _annotate(
        photos, catalogue, policy.licence_basis, policy.opt_out_tags, listed
    )
    if on_annotated is not None:
        on_annotated(table)
    context = EvalContext(table, policy.use.as_dict(), catalogue, opt_out_tags=policy.opt_out_tags)
    context.seed_repeated("photo_id", repeated)
    context.seed_tag_matches("tags", wanted, table["opt_out_tag"])
    active = [
        rule for rule in policy.rules if rule.severity != "off" and (live or not rule.requires_live)
    ]

    positions: list[npt.NDArray[np.intp]] = []
    rule_numbers: list[npt.NDArray[np.intp]] = []
    messages: list[pd.Series] = []
    message_codes: list[npt.NDArray[np.intp]] = []
    rendered = 0  # messages rendered so far: the next rule's codes start there
    for number, rule in enumerate(active):
        fired = np.flatnonzero(rule.when.mask(context))
        if len(fired) == 0:
            continue
        positions.append(fired)
        rule_numbers.append(np.full(len(fired), number, dtype=np.intp))
        once, codes = _messages(parse_template(rule.message), table, fired, policy.id)
        messages.append(once)
        message_codes.append(codes + rendered)
        rendered += len(once)
    if not positions:
        return empty_findings(), np.zeros(0, dtype=np.intp)

    position = np.concatenate(positions)
    rule_number = np.concatenate(rule_numbers)
    file_codes, _ = pd.factorize(table["source_file"], sort=True)
    source_rows = table["source_row"].to_numpy()
    # np.lexsort sorts by the last key first: file, row, table position, rule order.
    order = np.lexsort((rule_number, position, source_rows[position], file_codes[position]))

    rows = position[order]
    findings = table[list(_ROW_COLUMNS)].iloc[rows].reset_index(drop=True)
    sorted_rules = rule_number[order]
    findings["rule"] = _text_column([rule.id for rule in active], sorted_rules)
    findings["severity"] = _text_column([rule.severity for rule in active], sorted_rules)
    # One take from the messages rendered, in report order.
    all_messages = messages[0] if len(messages) == 1 else pd.concat(messages, ignore_index=True)
    all_messages = all_messages.astype("str")
    findings["message"] = pd.Series(all_messages.array.take(np.concatenate(message_codes)[order]))
    findings["waived"] = np.zeros(len(findings), dtype=bool)
    return findings[list(FINDING_COLUMNS)], rows
