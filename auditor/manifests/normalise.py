"""Turning a reader's raw rows into photo-table columns, vectorised.

Every format goes through here, so every format gets the same rules: photo ids and owners from
ids and URLs (`flickr_ids`), one licence slug from the recorded values (`_LicenceJudge`), ISO
dates (`dates`), and a `notes` column saying what was wrong with a row.

Large manifests are mostly canonical values: bare ids, `www.flickr.com/photos/WHO/ID/` pages and
`farmN.staticflickr.com/SERVER/ID_SECRET.jpg` images, Unix epochs, ISO days. Those are recognised
with Arrow compute (RE2, in C++) over whole columns. Anything else takes the exact Python parser,
once per distinct value. The fast path accepts only values on which it provably agrees with the
Python parser (tests compare the two), so results do not depend on which path a value took.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.arrow_text import MAYBE_SPACE, decimal_strings, string_buffers
from auditor.licences import UNKNOWN, LicenceCatalogue
from auditor.manifests.content import is_url
from auditor.manifests.dates import normalise_date
from auditor.manifests.flickr_ids import parse_flickr_ref, parse_owner
from auditor.manifests.image_names import is_image_name, parse_image_name
from auditor.manifests.raw import RawManifest

_STR = pa.string()
_NULL_STR = pa.scalar(None, _STR)
_NULL_TEXT = pa.array(["", "\\N"], _STR)

# Fast-path patterns (RE2). Each accepts a strict subset of what `flickr_ids` parses, on which
# the two agree: lower-case scheme and host, no quotes or percent-escapes, canonical layouts.
_ID = r"[1-9][0-9]{0,19}"
_PAGE_RE = (
    r"^(?:https?://)?(?:www\.)?flickr\.com/photos/(?P<who>[A-Za-z0-9_@-]{1,64})"
    rf"/(?P<id>{_ID})(?:/[^?#]*)?(?:[?#].*)?$"
)
# Written so RE2 can match it in one pass (no two branches alive at once): fast to extract from.
_STATIC_RE = (
    r"^(?:https?://)?(?:farm[0-9]{1,4}\.static(?:flickr\.com|\.flickr\.com)"
    r"|live\.staticflickr\.com|c[0-9]{1,4}\.staticflickr\.com/[0-9]{1,4}|static\.flickr\.com)"
    rf"/[0-9]{{1,6}}/(?P<id>{_ID})_[^/?#]*(?:[?#].*)?$"
)
# `{id}_{secret}[_size][_d].ext[#n]` after any folders, the id of 6 digits or more (so it is
# never NUS-WIDE's `{n}_{id}`): exactly what `image_names.parse_image_name` reads from it.
_NAME_RE = (
    r"^(?:.*[/\\])?(?P<id>[1-9][0-9]{5,19})_[0-9a-f]{10}(?:_(?:[a-z]|[0-9]k))?(?:_d)?"
    r"\.(?i:jpg|jpeg|png|gif|tif|tiff|bmp|webp)(?:#[0-9]+)?$"
)
# NUS-WIDE's `{n}_{id}.jpg`: a counter of at most 5 digits, then the id.
_COUNTER_NAME_RE = (
    r"^(?:.*[/\\])?[0-9]{1,5}_(?P<id>[1-9][0-9]{5,19})"
    r"\.(?i:jpg|jpeg|png|gif|tif|tiff|bmp|webp)(?:#[0-9]+)?$"
)
_NSID_RE = r"^[0-9]+@[Nn][0-9]{2}$"
# An NSID short enough to be the `who` of a page URL (`_PAGE_RE` allows 64 characters).
_FAST_NSID_RE = r"^[0-9]{1,60}@[Nn][0-9]{2}$"
_ALIAS_RE = r"^[A-Za-z0-9_-]{1,64}$"
_DIGITS_RE = r"^[0-9]+$"
_RESERVED_WHO = pa.array(["tags", "upload", "organize", "friends", "me"], _STR)

_DAY_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)


def text_column(values: Any) -> pa.Array:
    """A raw column as Arrow strings: stripped, with blanks (`""`, `\\N`, NaN, None) as null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        array = values if values.type == _STR else pc.cast(values, _STR)
        if array.null_count == len(array):  # a field this format does not have
            return array
    elif values.count(None) == len(values):
        return pa.nulls(len(values), _STR)
    else:
        try:  # the common case: every value is already a string (or None)
            array = pa.array(values, _STR)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # JSON numbers, NaN from pandas, ...
            array = pa.array([_as_text(value) for value in values], _STR)
    maybe_space, blank = _scan(array)
    if maybe_space:
        array = pc.utf8_trim_whitespace(array)
        blank = _scan(array)[1]
    return pc.if_else(pa.array(blank), _NULL_STR, array) if blank.any() else array


def _scan(array: pa.Array) -> tuple[bool, np.ndarray]:
    """`(maybe_space, blank)` for a string array, read from its buffers: whether some value
    may start or end with white space, and where the value is `""` or `\\N`."""
    n = len(array)
    if n == 0:
        return False, np.zeros(0, dtype=bool)
    offsets, values = string_buffers(array)
    starts, lengths = offsets[:-1], np.diff(offsets)
    valid = (
        np.ones(n, dtype=bool)
        if array.null_count == 0
        else array.is_valid().to_numpy(zero_copy_only=False)
    )
    blank = valid & (lengths == 0)
    if array.null_count == 0 and not blank.any():  # the common case: no masking needed
        filled, first, last = valid, starts, offsets[1:] - 1
    else:
        filled = valid & (lengths > 0)
        if not filled.any():
            return False, blank
        first = starts[filled]
        last = first + lengths[filled] - 1
    maybe_space = bool(MAYBE_SPACE[values[first]].any() or MAYBE_SPACE[values[last]].any())
    pairs = np.flatnonzero(filled & (lengths == 2))
    if len(pairs):
        at = starts[pairs]
        blank[pairs] = (values[at] == ord("\\")) & (values[at + 1] == ord("N"))
    return maybe_space, blank


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # NaN
        return None
    return value if isinstance(value, str) else str(value)


def _mask(array: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(array, pattern), False)


def _photo_ids_mask(array: pa.Array) -> pa.Array:
    """Values that are a bare photo id (`^{_ID}$`), without running a regex."""
    return decimal_strings(array, 1, 20, leading_zero=False)


def _pick(cases: Sequence[tuple[pa.Array, pa.Array | pa.Scalar]]) -> pa.Array:
    """Per row, the value of the first case whose condition holds (null when none does)."""
    conditions = pa.StructArray.from_arrays(
        [condition for condition, _ in cases], [f"c{i}" for i in range(len(cases))]
    )
    return pc.case_when(conditions, *[value for _, value in cases])


def _numpy(array: pa.Array) -> np.ndarray:
    result: np.ndarray = array.to_numpy(zero_copy_only=False)
    return result


class _RefColumns:
    """Per row of one text column: photo id, owner, owner kind and problem (None until the
    column's reader fills them in), and whether the row has a value at all."""

    def __init__(self, texts: pa.Array) -> None:
        n = len(texts)
        self.photo_id = np.full(n, None, dtype=object)
        self.owner = np.full(n, None, dtype=object)
        self.owner_kind = np.full(n, None, dtype=object)
        self.problem = np.full(n, None, dtype=object)
        self.present = _numpy(pc.is_valid(texts))


class _Refs(_RefColumns):
    """Photo id, owner, owner kind and problem for one column of ids or URLs.

    Patterns run cheapest first, each only on the rows the previous ones did not recognise;
    the rest go to the Python parser, once per distinct value.
    """

    def __init__(self, texts: pa.Array, names_as_ids: bool = False) -> None:
        super().__init__(texts)
        # An id column (named by the user or found by name) may hold image file names.
        self.names_as_ids = names_as_ids
        todo = np.flatnonzero(self.present)
        todo = self._bare_ids(texts, todo)
        todo = self._pages(texts, todo)
        todo = self._statics(texts, todo)
        self._slow(texts, todo)

    def _bare_ids(self, texts: pa.Array, todo: np.ndarray) -> np.ndarray:
        if not len(todo):
            return todo
        values = texts.take(pa.array(todo))
        hit = _numpy(_photo_ids_mask(values))
        self.photo_id[todo[hit]] = _numpy(values.filter(pa.array(hit)))
        rest: np.ndarray = todo[~hit]
        return rest

    def _pages(self, texts: pa.Array, todo: np.ndarray) -> np.ndarray:
        if not len(todo):
            return todo
        page = pc.extract_regex(texts.take(pa.array(todo)), _PAGE_RE)
        who = pc.struct_field(page, "who")
        nsid = _mask(who, _NSID_RE)
        reserved = pc.fill_null(pc.is_in(pc.utf8_lower(who), value_set=_RESERVED_WHO), False)
        alias = pc.and_(
            pc.and_(_mask(who, _ALIAS_RE), pc.invert(_mask(who, _DIGITS_RE))),
            pc.invert(reserved),
        )
        hit = _numpy(pc.and_(pc.is_valid(page), pc.or_(nsid, alias)))
        rows, keep = todo[hit], pa.array(hit)
        self.photo_id[rows] = _numpy(pc.struct_field(page, "id").filter(keep))
        is_nsid = _numpy(nsid.filter(keep))
        who_hit = who.filter(keep)
        self.owner[rows] = np.where(is_nsid, _numpy(pc.utf8_upper(who_hit)), _numpy(who_hit))
        self.owner_kind[rows] = np.where(is_nsid, "nsid", "alias")
        rest: np.ndarray = todo[~hit]
        return rest

    def _statics(self, texts: pa.Array, todo: np.ndarray) -> np.ndarray:
        if not len(todo):
            return todo
        static = pc.extract_regex(texts.take(pa.array(todo)), _STATIC_RE)
        hit = _numpy(pc.is_valid(static))
        self.photo_id[todo[hit]] = _numpy(pc.struct_field(static, "id").filter(pa.array(hit)))
        rest: np.ndarray = todo[~hit]
        return rest

    def _slow(self, texts: pa.Array, todo: np.ndarray) -> None:
        if not len(todo):
            return
        values = texts.take(pa.array(todo)).to_pylist()
        parsed = {value: self._parse(value) for value in dict.fromkeys(values)}
        refs = [parsed[value] for value in values]
        self.photo_id[todo] = [ref[0] for ref in refs]
        self.owner[todo] = [ref[1] for ref in refs]
        self.owner_kind[todo] = [ref[2] for ref in refs]
        self.problem[todo] = [ref[3] for ref in refs]

    def _parse(self, value: str) -> tuple[str | None, str | None, str | None, str | None]:
        ref = parse_flickr_ref(value)
        if (
            ref.photo_id is None
            and self.names_as_ids
            and is_image_name(value)
            and not is_url(value)
        ):
            name = parse_image_name(value, numeric=True)
            return name.photo_id, name.owner, "nsid" if name.owner else None, name.problem
        return ref.photo_id, ref.owner, ref.owner_kind, ref.problem


class _NameRefs(_RefColumns):
    """Photo id, owner and problem for a column of image file names (`image_names`), parsed
    once per distinct value; `numeric`: bare-number names are Flickr ids in this file."""

    def __init__(self, texts: pa.Array, numeric: bool) -> None:
        super().__init__(texts)
        todo = np.flatnonzero(self.present)
        if not len(todo):
            return
        # Flickr's own `{id}_{secret}.jpg` names and NUS-WIDE's `{n}_{id}.jpg`, the bulk of
        # large file-name manifests, in RE2.
        for pattern in (_NAME_RE, _COUNTER_NAME_RE):
            fast = pc.extract_regex(texts.take(pa.array(todo)), pattern)
            hit = _numpy(pc.is_valid(fast))
            self.photo_id[todo[hit]] = _numpy(pc.struct_field(fast, "id").filter(pa.array(hit)))
            todo = todo[~hit]
            if not len(todo):
                return
        encoded = texts.take(pa.array(todo)).dictionary_encode()
        parsed = [parse_image_name(v, numeric) for v in encoded.dictionary.to_pylist()]
        at = encoded.indices.to_numpy(zero_copy_only=False)
        self.photo_id[todo] = np.array([ref.photo_id for ref in parsed], dtype=object)[at]
        owners = np.array([ref.owner for ref in parsed], dtype=object)[at]
        self.owner[todo] = owners
        kinds = np.full(len(todo), None, dtype=object)
        kinds[~_isnull(owners)] = "nsid"
        self.owner_kind[todo] = kinds
        self.problem[todo] = np.array([ref.problem for ref in parsed], dtype=object)[at]


def _owner_candidates(owner_texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(owner, kind) per row from an owner column: parsed once per distinct value (cached)."""
    n = len(owner_texts)
    owners = np.full(n, None, dtype=object)
    kinds = np.full(n, None, dtype=object)
    if owner_texts.null_count == n:
        return owners, kinds
    nsid = _mask(owner_texts, _NSID_RE).to_numpy(zero_copy_only=False)
    owners[nsid] = pc.utf8_upper(owner_texts.filter(pa.array(nsid))).to_numpy(zero_copy_only=False)
    kinds[nsid] = "nsid"
    rest = np.flatnonzero(~nsid & pc.is_valid(owner_texts).to_numpy(zero_copy_only=False))
    if len(rest):
        encoded = owner_texts.take(pa.array(rest)).dictionary_encode()
        parsed = [parse_owner(value) for value in encoded.dictionary.to_pylist()]
        distinct_owners = np.array([owner for owner, _ in parsed], dtype=object)
        distinct_kinds = np.array([kind for _, kind in parsed], dtype=object)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        owners[rest], kinds[rest] = distinct_owners[indices], distinct_kinds[indices]
    return owners, kinds


def _combine_owners(
    candidates: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, owner_kind, note) per row: an NSID beats an alias; disagreements are noted."""
    n = len(candidates[0][0])
    owner = np.full(n, None, dtype=object)
    kind = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)
    nsid_first = np.full(n, None, dtype=object)
    alias_first = np.full(n, None, dtype=object)
    for owners, kinds in candidates:
        is_nsid = (kinds == "nsid") & _isnull(nsid_first)
        nsid_first[is_nsid] = owners[is_nsid]
        is_alias = (kinds == "alias") & _isnull(alias_first)
        alias_first[is_alias] = owners[is_alias]
    has_nsid = ~_isnull(nsid_first)
    has_alias = ~_isnull(alias_first)
    owner[has_nsid] = nsid_first[has_nsid]
    kind[has_nsid] = "nsid"
    only_alias = has_alias & ~has_nsid
    owner[only_alias] = alias_first[only_alias]
    kind[only_alias] = "alias"

    # Rows where some candidate disagrees with the chosen one get a note (rare: done per row).
    disagree = np.zeros(n, dtype=bool)
    for owners, kinds in candidates:
        disagree |= has_nsid & (kinds == "nsid") & (owners != nsid_first)
        disagree |= only_alias & (kinds == "alias") & (owners != alias_first)
    for i in np.flatnonzero(disagree):
        wanted = "nsid" if has_nsid[i] else "alias"
        seen = [o[i] for o, k in candidates if k[i] == wanted]
        if wanted == "alias":
            seen = [str(o).lower() for o in seen]
        distinct = list(dict.fromkeys(seen))
        if len(distinct) > 1:
            note[i] = f"owner differs between fields: {', '.join(distinct)}"
    return owner, kind, note


def _isnull(values: np.ndarray) -> np.ndarray:
    """Elementwise "is missing" for an object array (the arrays here hold str or None)."""
    return np.asarray(pd.isna(values), dtype=bool)


def _photo_ids(refs: Sequence[_RefColumns]) -> tuple[np.ndarray, np.ndarray]:
    """(photo_id, note) per row: the first field that names a photo wins; others that name a
    different photo, or the absence of any id, are noted."""
    n = len(refs[0].photo_id)
    photo_id = np.full(n, None, dtype=object)
    for ref in refs:
        take = _isnull(photo_id) & ~_isnull(ref.photo_id)
        photo_id[take] = ref.photo_id[take]
    note = np.full(n, None, dtype=object)

    missing = np.flatnonzero(_isnull(photo_id))
    for i in missing:
        problem = next((ref.problem[i] for ref in refs if ref.present[i]), None)
        present = any(ref.present[i] for ref in refs)
        if not present:
            note[i] = "no Flickr photo id: no id or URL in this row"
        else:
            note[i] = f"no Flickr photo id: {problem or 'unrecognised value'}"

    conflict = np.zeros(n, dtype=bool)
    for ref in refs:
        conflict |= ~_isnull(ref.photo_id) & ~_isnull(photo_id) & (ref.photo_id != photo_id)
    for i in np.flatnonzero(conflict):
        others = sorted(
            {str(ref.photo_id[i]) for ref in refs if ref.photo_id[i] is not None} - {photo_id[i]}
        )
        note[i] = f"other fields name photo {', '.join(others)}"
    return photo_id, note


class LicenceJudge:
    """Resolves a row's recorded licence values into one slug, and says why when it can't.

    Rows repeat the same few licence values, so each combination is judged once.
    """

    def __init__(self, catalogue: LicenceCatalogue) -> None:
        self.catalogue = catalogue
        self._seen: dict[tuple[str | None, ...], tuple[str, str | None, str | None]] = {}

    def judge(
        self, code: str | None, version: str | None, value: str | None, alt: str | None
    ) -> tuple[str, str | None, str | None]:
        """`(slug, note, raw)`: the slug, why it could not be resolved or which value was
        ignored, and the recorded values as one display string."""
        key = (code, version, value, alt)
        found = self._seen.get(key)
        if found is None:
            slug, note = self._judge(code, version, value, alt)
            shown = [" ".join(v for v in (code, version) if v) if code else None, value, alt]
            found = (slug, note, " | ".join(v for v in shown if v) or None)
            self._seen[key] = found
        return found

    def _same_terms(self, a: str, b: str) -> bool:
        la, lb = self.catalogue.get(a), self.catalogue.get(b)
        if la is None or lb is None:
            return a == b
        terms = ("by", "sa", "nc", "nd", "kind", "version")
        return all(getattr(la, t) == getattr(lb, t) for t in terms)

    def _judge(
        self, code: str | None, version: str | None, value: str | None, alt: str | None
    ) -> tuple[str, str | None]:
        first_text = " ".join(v for v in (code, version) if v) if code else value
        if code is not None:
            first = self.catalogue.resolve_code(code, version)
            if first == UNKNOWN:
                first = self.catalogue.resolve(code)
        else:
            first = self.catalogue.resolve(value) if value is not None else UNKNOWN
        second = self.catalogue.resolve(alt) if alt is not None else UNKNOWN

        if first_text is None and alt is None:
            return UNKNOWN, None
        if alt is None or (first != UNKNOWN and second == first):
            return first, (None if first != UNKNOWN else f"licence {first_text!r} not recognised")
        if first_text is None:
            return second, (None if second != UNKNOWN else f"licence {alt!r} not recognised")
        if first != UNKNOWN and second != UNKNOWN:
            if self._same_terms(first, second):
                # Same terms; keep the more specific one (a ported licence names its jurisdiction).
                return max(first, second, key=len), None
            return (
                UNKNOWN,
                f"recorded licences disagree: {first_text!r} is {first}, {alt!r} is {second}",
            )
        if first != UNKNOWN:
            return first, f"licence {alt!r} not recognised; used {first_text!r}"
        if second != UNKNOWN:
            return second, f"licence {first_text!r} not recognised; used {alt!r}"
        return UNKNOWN, f"licence {first_text!r} / {alt!r} not recognised"


def _codes(column: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """Dictionary codes of a column (null gets the last code) and the value of each code."""
    if column.null_count == len(column):
        return np.zeros(len(column), dtype=np.int64), [None]
    encoded = column.dictionary_encode()
    values: list[str | None] = [*encoded.dictionary.to_pylist(), None]
    codes = pc.fill_null(encoded.indices, len(values) - 1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), values


def _licences(
    judge: LicenceJudge,
    code: pa.Array,
    version: pa.Array,
    value: pa.Array,
    alt: pa.Array,
    raw: pa.Array,
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(slug, note, raw display) per row, judging each distinct combination once."""
    # One integer per combination of the four columns' dictionary codes.
    combination = np.zeros(len(code), dtype=np.int64)
    columns = [_codes(column) for column in (code, version, value, alt)]
    for codes, values in columns:
        if len(values) > 1:  # (a column with no value adds nothing: its code is always 0)
            combination = combination * len(values) + codes
    indices, distinct = pd.factorize(combination)
    judged = []
    for key in distinct.tolist():
        combo: list[str | None] = []
        for _, values in reversed(columns):
            key, at = divmod(key, len(values))
            combo.append(values[at])
        judged.append(judge.judge(*reversed(combo)))
    take = pa.array(indices)

    def per_row(values: list[str | None], needed: bool = True) -> pa.Array:
        if not needed or all(value is None for value in values):
            return pa.nulls(len(indices), _STR)
        return pa.array(values, _STR).take(take)

    slugs = per_row([j[0] for j in judged])
    notes = per_row([j[1] for j in judged])
    # The recorded values as one display string are needed only where the reader gave none.
    built = per_row([j[2] for j in judged], needed=raw.null_count > 0)
    if raw.null_count == len(raw):  # none given (most formats): coalesce would copy `built`
        return slugs, notes, built
    return slugs, notes, pc.coalesce(raw, built) if raw.null_count else raw


def _dates(texts: pa.Array, label: str) -> tuple[pa.Array, pa.Array | None]:
    """ISO 8601 per row, and a note where a date was unusable.

    Epoch seconds and ISO days are converted in Arrow; other spellings go through
    `dates.normalise_date` once per distinct value.
    """
    n = len(texts)
    if texts.null_count == n:
        return texts, None
    latest = datetime.now(UTC) + timedelta(days=1)
    epoch = decimal_strings(texts, 9, 11)  # `^[0-9]{9,11}$`; the range is checked below
    seconds = pc.cast(pc.if_else(epoch, texts, _NULL_STR), pa.int64())
    stamps = pc.cast(seconds, pa.timestamp("s", tz="UTC"))
    epoch_ok = pc.fill_null(
        pc.and_(
            pc.greater_equal(stamps, pa.scalar(_EARLIEST, pa.timestamp("s", tz="UTC"))),
            pc.less_equal(stamps, pa.scalar(latest, pa.timestamp("s", tz="UTC"))),
        ),
        False,
    )
    # Arrow casts a timestamp to "YYYY-MM-DD HH:MM:SS" far faster than strftime formats it.
    plain = pc.cast(pc.cast(seconds, pa.timestamp("s")), _STR)
    epoch_iso = pc.binary_join_element_wise(pc.replace_substring(plain, " ", "T"), "Z", "")
    if not pc.any(pc.and_(pc.is_valid(texts), pc.invert(epoch_ok))).as_py():
        # Every date is an epoch in range (or missing): the common case of large manifests.
        return pc.if_else(epoch_ok, epoch_iso, _NULL_STR), None
    day = _mask(texts, _DAY_RE)
    day_ok = pc.and_(
        day,
        pc.fill_null(
            pc.and_(
                pc.greater_equal(texts, pa.scalar(_EARLIEST.date().isoformat())),
                pc.less_equal(texts, pa.scalar(latest.date().isoformat())),
            ),
            False,
        ),
    )
    iso = _pick([(epoch_ok, epoch_iso), (day_ok, texts)])
    notes = np.full(n, None, dtype=object)
    slow = pc.is_valid(texts).to_numpy(zero_copy_only=False) & ~pc.or_(epoch_ok, day_ok).to_numpy(
        zero_copy_only=False
    )
    if slow.any():
        rows = np.flatnonzero(slow)
        values = texts.take(pa.array(rows)).to_pylist()
        once = {value: normalise_date(value) for value in dict.fromkeys(values)}
        results = [once[value] for value in values]
        iso_np = iso.to_numpy(zero_copy_only=False).copy()
        iso_np[rows] = [r[0] for r in results]
        notes[rows] = [f"{label}: {r[1]}" if r[1] else None for r in results]
        iso = pa.array(iso_np, _STR)
    return iso, _notes(notes)


def _join_notes(parts: Sequence[pa.Array | None], n: int) -> pa.Array:
    """Per row, the non-null notes of `parts` joined with `; ` (null when there are none)."""
    present = [part for part in parts if part is not None and part.null_count < len(part)]
    if not present:
        return pa.nulls(n, _STR)
    if len(present) == 1:
        return present[0]
    has = pc.is_valid(present[0])
    for part in present[1:]:
        has = pc.or_(has, pc.is_valid(part))
    rows = pa.array(np.flatnonzero(has.to_numpy(zero_copy_only=False)))
    values = [part.take(rows).to_pylist() for part in present]
    joined = ["; ".join(v for v in row if v is not None) for row in zip(*values, strict=True)]
    return pc.replace_with_mask(pa.nulls(n, _STR), has, pa.array(joined, _STR))


def _notes(values: np.ndarray) -> pa.Array | None:
    """A numpy column of notes (str or None) as Arrow; None when it holds no note."""
    present = ~_isnull(values)
    if not present.any():
        return None
    return pa.array(
        [value if keep else None for value, keep in zip(values, present, strict=True)], _STR
    )


def _canonical_rows(text: dict[str, pa.Array]) -> tuple[np.ndarray, pa.Array]:
    """Rows whose ids and owner need no parsing, and the photo id on each of them.

    Two layouts are canonical. A bare photo id, an NSID or no owner, a page URL that is exactly
    `http(s)://www.flickr.com/photos/<owner>/<id>/` or none, and a static image URL naming the
    same photo or none. Or no id column value, an NSID or no owner, and static image URLs
    (`_STATIC_RE`) in `url` and/or `alt_url` that name the same photo (the usual manifest of
    image URLs with their owner).

    On these rows every field names the same photo and owner, so the general path would find
    photo id = the bare or static id, owner = the NSID in upper case, and nothing to note.
    """
    ref, url, alt, owner = (text[name] for name in ("photo_ref", "url", "alt_url", "owner_ref"))
    n = len(ref)
    nsid = _mask(owner, _FAST_NSID_RE)
    owner_ok = pc.or_(pc.is_null(owner), nsid)
    photo_id = ref
    ok = pa.array(np.zeros(n, dtype=bool))
    if ref.null_count < n:
        ok = pc.and_(_photo_ids_mask(ref), owner_ok)
        if url.null_count < n:
            same = pc.fill_null(pc.equal(url, _page(owner, ref, "http")), False)
            if not pc.all(pc.or_(same, pc.is_null(url))).as_py():
                same = pc.or_(same, pc.fill_null(pc.equal(url, _page(owner, ref, "https")), False))
            ok = pc.and_(ok, pc.or_(pc.is_null(url), pc.and_(nsid, same)))
    alt_static = (
        pc.struct_field(pc.extract_regex(alt, _STATIC_RE), "id")
        if alt.null_count < n
        else pa.nulls(n, _STR)
    )
    if ref.null_count < n and alt.null_count < n:
        ok = pc.and_(ok, pc.or_(pc.is_null(alt), pc.fill_null(pc.equal(alt_static, ref), False)))
    if ref.null_count and (url.null_count < n or alt.null_count < n):
        # No id value: the photo is the one the static URL(s) name, when they agree.
        url_static = (
            pc.struct_field(pc.extract_regex(url, _STATIC_RE), "id")
            if url.null_count < n
            else pa.nulls(n, _STR)
        )
        static_id = _coalesce(url_static, alt_static)
        static_ok = pc.and_(
            pc.and_(pc.is_null(ref), pc.is_valid(static_id)),
            pc.and_(
                pc.or_(pc.is_null(url), pc.is_valid(url_static)),
                pc.or_(pc.is_null(alt), pc.fill_null(pc.equal(alt_static, static_id), False)),
            ),
        )
        static_ok = pc.fill_null(pc.and_(static_ok, owner_ok), False)
        if pc.all(static_ok).as_py():  # (the usual manifest of image URLs: no copy)
            photo_id, ok = static_id, static_ok
        elif pc.any(static_ok).as_py():
            photo_id = pc.if_else(static_ok, static_id, ref)
            ok = pc.or_(ok, static_ok)
    names = text.get("image_name")
    if names is not None and names.null_count < n:  # an image name may name another photo
        ok = pc.and_(ok, pc.is_null(names))
    result: np.ndarray = ok.to_numpy(zero_copy_only=False)
    return result, photo_id


def _coalesce(*arrays: pa.Array) -> pa.Array:
    """`pc.coalesce`, without copying the first array when it has no null (usually so)."""
    return arrays[0] if arrays[0].null_count == 0 else pc.coalesce(*arrays)


def _page(owner: pa.Array, photo: pa.Array, scheme: str) -> pa.Array:
    return pc.binary_join_element_wise(
        f"{scheme}://www.flickr.com/photos/", owner, "/", photo, "/", ""
    )


def _ids_and_owners(
    text: dict[str, pa.Array], numeric_names: bool = False
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array | None, pa.Array | None]:
    """(photo_id, owner, owner_kind, id note, owner note) per row.

    Canonical rows (`_canonical_rows`) are settled with a few Arrow kernels; the rest go through
    the general path (`_Refs`, `_photo_ids`, `_combine_owners`).
    """
    n = len(text["photo_ref"])
    canonical, photo_id = _canonical_rows(text)
    owner_ref = text["owner_ref"]
    # An NSID is ASCII: ascii_upper gives what utf8_upper would.
    owner = pc.ascii_upper(owner_ref)
    kind = pc.if_else(pc.is_valid(owner_ref), pa.scalar("nsid", _STR), _NULL_STR)
    rest = np.flatnonzero(~canonical)
    if not len(rest):
        return photo_id, owner, kind, None, None
    take = pa.array(rest)
    names = ("photo_ref", "url", "alt_url", "owner_ref", "image_name")
    none = pa.nulls(n, _STR)
    sub = {name: text.get(name, none).take(take) for name in names}
    refs: list[_RefColumns] = [
        _Refs(sub["photo_ref"], names_as_ids=True),
        _Refs(sub["url"]),
        _Refs(sub["alt_url"]),
        _NameRefs(sub["image_name"], numeric_names),
    ]
    sub_id, id_note = _photo_ids(refs)
    sub_owner, sub_kind, owner_note = _combine_owners(
        [_owner_candidates(sub["owner_ref"]), *[(r.owner, r.owner_kind) for r in refs]]
    )
    where = pa.array(~canonical)

    def merged(base: pa.Array, values: np.ndarray) -> pa.Array:
        return pc.replace_with_mask(base, where, pa.array(values, _STR))

    def scattered(values: np.ndarray) -> pa.Array | None:
        notes = _notes(values)
        return None if notes is None else pc.replace_with_mask(pa.nulls(n, _STR), where, notes)

    return (
        merged(photo_id, sub_id),
        merged(owner, sub_owner),
        merged(kind, sub_kind),
        scattered(id_note),
        scattered(owner_note),
    )


def _repeated(value: str, n: int) -> pa.Array:
    """`value` `n` times, as an Arrow string array."""
    return pa.array([value], _STR).take(pa.array(np.zeros(n, dtype=np.int32)))


def normalise(raw: RawManifest, judge: LicenceJudge) -> dict[str, Any]:
    """The photo-table columns (Arrow arrays, and a numpy `source_row`) for one raw manifest."""
    n = raw.rows
    text = {name: text_column(raw.columns[name]) for name in raw.columns if name != "source_row"}
    counts_note = None
    if raw.counts_not_ids is not None:
        # The id column's bare numbers are counts or a counter: not photo ids (`content`).
        digits = decimal_strings(text["photo_ref"], 1, 40)
        text["photo_ref"] = pc.if_else(digits, _NULL_STR, text["photo_ref"])
        note = pa.scalar(f"no Flickr photo id: a bare number in {raw.counts_not_ids}", _STR)
        counts_note = pc.if_else(digits, note, _NULL_STR)
    photo_id, owner, owner_kind, id_note, owner_note = _ids_and_owners(text, raw.numeric_names)
    if counts_note is not None and id_note is not None:
        # "no id or URL in this row" would be wrong there: the row has a number, refused.
        id_note = pc.if_else(pc.is_valid(counts_note), _NULL_STR, id_note)

    ref_text = text["photo_ref"]
    ref_is_url = pc.fill_null(pc.match_substring(ref_text, "/"), False)
    url = _coalesce(text["url"], pc.if_else(ref_is_url, ref_text, _NULL_STR), text["alt_url"])

    slug, licence_note, licence_raw = _licences(
        judge,
        text["licence_code"],
        text["licence_version"],
        text["licence"],
        text["licence_alt"],
        text["licence_raw"],
    )
    collected_at, collected_note = _dates(text["collected_at"], "collection date")
    uploaded_at, uploaded_note = _dates(text["uploaded_at"], "upload date")
    notes = _join_notes(
        [
            text["notes"],
            counts_note,
            id_note,
            owner_note,
            licence_note,
            collected_note,
            uploaded_note,
        ],
        n,
    )
    source_row = raw.columns["source_row"]
    return {
        "photo_id": photo_id,
        "owner": owner,
        "owner_name": text["owner_name"],
        "recorded_licence": slug,
        "collected_at": collected_at,
        "url": url,
        "source_file": _repeated(str(raw.path), n),
        "source_row": np.asarray(source_row, dtype=np.int64),
        "owner_kind": owner_kind,
        "recorded_licence_raw": licence_raw,
        "uploaded_at": uploaded_at,
        "title": text["title"],
        "source_format": _repeated(raw.format, n),
        "notes": notes,
        "owner_realname": text["owner_realname"],
    }
