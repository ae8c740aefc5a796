"""Which licence a photo is judged by (the policy's `licence_basis`), and how a licence changed.

Both compare licences by their *restrictions*, a set drawn from BY, NC, ND, SA and ARR (no
licence at all):

- a public-domain kind (`cc0-1.0`, `pdm-1.0`, `nkcr`, `usgov`) has none;
- a Creative Commons licence has its elements (CC BY-NC 2.0: BY and NC);
- All Rights Reserved has all five, because it forbids everything any CC licence forbids;
- a licence the catalogue does not know (null, `unknown`, an unresolvable slug) has no set.

A change from licence A to licence B *narrowed* what the photo allows when B's set strictly
contains A's (B forbids something A allowed, and allows nothing A forbade), *widened* it when A's
strictly contains B's, and otherwise just *changed* it (NC → ND trades one restriction for
another; 2.0 → 4.0 keeps the same ones). "More permissive" (for `most-permissive`) means fewer
restrictions; a licence the catalogue does not know never wins over one it knows.

Everything is looked up once per distinct slug and then combined with numpy over all rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from auditor.licences import Licence, LicenceCatalogue

LICENCE_BASES: tuple[str, ...] = ("current", "collection", "most-permissive")
DEFAULT_LICENCE_BASIS = "current"

_BY, _NC, _ND, _SA, _ARR = 1, 2, 4, 8, 16
_ALL = _BY | _NC | _ND | _SA | _ARR
UNKNOWN_SET = -1  # the "set" of a licence the catalogue does not know
# Restriction count per set (index = set bits); unknown ranks below every known licence.
_COUNT = np.array([bin(bits).count("1") for bits in range(_ALL + 1)], dtype=np.int64)
_UNKNOWN_COUNT = _ALL + 1

CHANGES: tuple[str, ...] = ("narrowed", "widened", "changed")


def restrictions(licence: Licence | None) -> int:
    """The licence's restriction set as bits; `UNKNOWN_SET` when there is no known licence."""
    if licence is None:
        return UNKNOWN_SET
    if licence.kind == "all-rights-reserved":
        return _ALL
    if licence.kind == "public-domain":
        return 0
    return (
        (_BY if licence.by else 0)
        | (_NC if licence.nc else 0)
        | (_ND if licence.nd else 0)
        | (_SA if licence.sa else 0)
    )


def restriction_sets(slugs: pd.Series, catalogue: LicenceCatalogue) -> npt.NDArray[np.int64]:
    """`restrictions` of each row's licence slug, deciding once per distinct slug."""
    codes, uniques = pd.factorize(slugs)
    # Null slugs get code -1, which indexes the trailing UNKNOWN_SET.
    lookup = np.array(
        [*(restrictions(catalogue.get(str(slug))) for slug in uniques), UNKNOWN_SET],
        dtype=np.int64,
    )
    return lookup[np.asarray(codes, dtype=np.intp)]


def _count(sets: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.where(sets >= 0, _COUNT[np.clip(sets, 0, _ALL)], _UNKNOWN_COUNT)


def effective_licence(table: pd.DataFrame, catalogue: LicenceCatalogue, basis: str) -> pd.Series:
    """The licence each row is judged by, under `basis` (one of `LICENCE_BASES`).

    `table` holds `recorded_licence`, `current_licence`, `visibility` and
    `licence_at_collection`. The current licence counts only when the photo was fetched and is
    public; otherwise the recorded licence stands in for it.
    """
    if basis not in LICENCE_BASES:
        raise ValueError(f"licence basis {basis!r} is not one of {', '.join(LICENCE_BASES)}")
    recorded, current = table["recorded_licence"], table["current_licence"]
    visible = (current.notna() & (table["visibility"] == "public")).to_numpy(dtype=bool)
    # Offline nothing was fetched: the recorded licence is in force everywhere.
    by_current = current.where(visible, recorded) if visible.any() else recorded
    at_collection = table["licence_at_collection"]
    # With neither a current licence nor a licence history, every basis gives `by_current`.
    if basis == "current" or not (visible.any() or at_collection.notna().any()):
        return by_current
    collection_sets = restriction_sets(at_collection, catalogue)
    known_at_collection = collection_sets >= 0
    if basis == "collection":
        return at_collection.where(known_at_collection, by_current)
    # most-permissive: what the collector was granted (irrevocably) against what is offered now.
    granted = at_collection.where(known_at_collection, recorded)
    granted_sets = np.where(
        known_at_collection, collection_sets, restriction_sets(recorded, catalogue)
    )
    current_sets = restriction_sets(current, catalogue)
    # `<=`: ties go to the current licence; an unknown one loses to any known one.
    use_current = visible & (_count(current_sets) <= _count(granted_sets))
    return current.where(use_current, granted)


def licence_change(before: pd.Series, after: pd.Series, catalogue: LicenceCatalogue) -> pd.Series:
    """Per row, how the licence changed from `before` to `after`: one of `CHANGES`; null when
    either is not a known licence or the two are the same slug."""
    before_sets = restriction_sets(before, catalogue)
    after_sets = restriction_sets(after, catalogue)
    differ = (before_sets >= 0) & (after_sets >= 0) & (before != after).to_numpy(dtype=bool)
    added = (after_sets & ~before_sets) != 0
    removed = (before_sets & ~after_sets) != 0
    # Codes index CHANGES; -1 picks the trailing null.
    codes = np.select([~differ, added & ~removed, removed & ~added], [-1, 0, 1], default=2).astype(
        np.intp
    )
    values = pd.array([*CHANGES, None], dtype="str")
    return pd.Series(values.take(codes), index=before.index)


def changed_on(moments: pd.Series) -> pd.Series:
    """ " on 2021-03-04" for each ISO 8601 timestamp (its UTC date), null where there is none or
    it cannot be read: ready to follow a verb in a message template."""
    result = pd.Series(index=moments.index, dtype="str")
    present = moments.notna().to_numpy(dtype=bool)
    if not present.any():
        return result
    parsed = pd.to_datetime(moments[present], utc=True, errors="coerce", format="ISO8601")
    text = (" on " + parsed.dt.strftime("%Y-%m-%d")).astype("str")
    result[present] = text.to_numpy()
    return result
