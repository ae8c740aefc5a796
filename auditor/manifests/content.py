"""Which columns of a table hold photo references, judged by their values rather than names.

Header-less files (ImageNet's `fall11_urls.txt`: `wnid_n<TAB>url`; `url<TAB>labels` lists;
Flickr8k's `name.jpg#n<TAB>caption`) and tables whose header names no id column (`image,caption`)
are read by looking at a sample of rows: a column of URLs some of which are Flickr photos is the
URL column; a column of image file names is the image-name column. Bare numbers are never taken
this way: in a file of unknown layout they are as likely counters, sizes or coordinates.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from auditor.manifests.flickr_ids import parse_flickr_ref
from auditor.manifests.image_names import (
    NUMERIC,
    flickr_path_hint,
    is_image_name,
    name_layout,
    parse_image_name,
)

SAMPLE_ROWS: Final = 200  # rows looked at to judge a column
_URL_RE: Final = re.compile(r"(?:https?:)?//|www\.|flic\.kr/|[a-z0-9.-]+\.[a-z]{2,}/", re.I)
_TOKEN_RE: Final = re.compile(r"\.[A-Za-z]{3,4}#[0-9]+$")


def _filled(values: Iterable[object]) -> list[str]:
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def is_url(value: str) -> bool:
    return _URL_RE.match(value) is not None


def column_kind(values: Iterable[object]) -> str | None:
    """`"url"` when most values are URLs and some name a Flickr photo, `"image_name"` when most
    are image file names (not URLs), else None."""
    filled = _filled(values)
    if not filled:
        return None
    urls = [v for v in filled if is_url(v)]
    if len(urls) * 2 > len(filled) and any(parse_flickr_ref(v).photo_id for v in urls):
        return "url"
    names = [v for v in filled if not is_url(v) and is_image_name(v)]
    if len(names) * 2 > len(filled):
        return "image_name"
    return None


def _column(rows: Sequence[Any], key: Any) -> list[object]:
    column: list[object] = []
    for row in rows:
        try:
            column.append(row[key])
        except (IndexError, KeyError, TypeError):
            continue
    return column


def roles_by_content(rows: Sequence[Any], keys: Sequence[Any]) -> dict[str, list[Any]]:
    """`{"url": [key, …]}` and/or `{"image_name": [key]}`: the columns (`keys` of the rows) whose
    sampled values hold photo references; URL columns with the most Flickr photos first."""
    urls: list[tuple[int, int, Any]] = []
    names: list[Any] = []
    for order, key in enumerate(keys):
        values = _column(rows, key)
        kind = column_kind(values)
        if kind == "url":
            hits = sum(1 for v in _filled(values) if parse_flickr_ref(v).photo_id)
            urls.append((-hits, order, key))
        elif kind == "image_name":
            names.append(key)
    found: dict[str, list[Any]] = {}
    if urls:
        found["url"] = [key for _, _, key in sorted(urls)[:2]]
    if names:
        found["image_name"] = names[:1]
    return found


def row_has_reference(row: Sequence[Any], roles: Mapping[str, Sequence[Any]]) -> bool:
    """Whether `row` itself holds a URL or image name where `roles` says they are: then it is
    data, not a header."""
    for role, keys in roles.items():
        for key in keys:
            try:
                value = row[key]
            except (IndexError, KeyError, TypeError):
                continue
            if not isinstance(value, str):
                continue
            if role == "url" and is_url(value.strip()):
                return True
            if role == "image_name" and is_image_name(value):
                return True
    return False


def ids_agree(id_values: Iterable[object], reference_ids: Iterable[str | None]) -> bool:
    """Whether a column named just `id` holds the same photo ids as the URLs or names beside
    it (in most sampled rows where both are present); if not, it is the dataset's own row id."""
    pairs = [
        (parse_flickr_ref(value).photo_id, other)
        for value, other in zip(id_values, reference_ids, strict=False)
        if other is not None
    ]
    if not pairs:
        return True
    same = sum(1 for mine, other in pairs if mine == other)
    return same * 2 > len(pairs)


def reference_ids(rows: Sequence[Any], roles: Mapping[str, Sequence[Any]]) -> list[str | None]:
    """Per sampled row, the photo id its URL or image name gives (bare numbers allowed)."""
    result: list[str | None] = []
    for row in rows:
        found: str | None = None
        for key in roles.get("url", []):
            value = _column([row], key)
            if value and (found := parse_flickr_ref(value[0]).photo_id):
                break
        if found is None:
            for key in roles.get("image_name", []):
                value = _column([row], key)
                if value and (found := parse_image_name(value[0], numeric=True).photo_id):
                    break
        result.append(found)
    return result


def flickr_name_evidence(names: Iterable[object], header: Iterable[str] = ()) -> str | None:
    """Why bare-number image names (`{id}.jpg`) in this file are Flickr ids, or None: the
    caption-token suffix of Flickr8k/Flickr30k (`1000092795.jpg#0`), a folder named for Flickr
    (`flickr30k-images/`, `ImageData\\Flickr\\`), Flickr30k's `results.csv` header, or Karpathy's
    Flickr split records."""
    values = _filled(names)
    if any(_TOKEN_RE.search(v) for v in values):
        return "caption-token names (`{id}.jpg#n`, Flickr8k/Flickr30k)"
    if flickr_path_hint(v for v in values if not is_url(v)):
        return "paths in a Flickr folder"
    lowered = {str(name).strip().lower() for name in header}
    if {"image_name", "comment_number"} <= lowered:
        return "Flickr30k's results.csv header"
    # Karpathy's splits: Flickr8k/30k records have these; the COCO split's add `cocoid` and
    # `filepath`. (The document's `"dataset"` comes after its records, past what a streamed
    # document's start shows.)
    if {"filename", "sentences", "imgid"} <= lowered and not {"cocoid", "filepath"} & lowered:
        return "Karpathy's Flickr caption-split records (sentences, imgid, no cocoid)"
    return None


def names_note(names: Iterable[object], where: str, reason: str | None) -> str:
    """The file note saying what a column of image names gave: their layout, or why not."""
    values = _filled(names)
    layout = name_layout(values)
    if layout is None:
        example = f" (e.g. {values[0][:60]!r})" if values else ""
        return f"image file names{where} hold no Flickr photo id in a known layout{example}"
    if layout == NUMERIC and reason is None:
        return (
            f"image file names{where} are bare numbers ({NUMERIC}) with nothing to show they are "
            "Flickr ids; pass --ids-from-filenames if they are"
        )
    because = f", Flickr ids by {reason}" if layout == NUMERIC else ""
    return f"photo ids from image file names{where} ({layout}{because})"


WHITESPACE: Final = " "  # a whitespace-aligned table: cells split on runs of blanks and tabs
_SNIFF_LINES: Final = 50


def _cell_counts(lines: Sequence[str], delimiter: str) -> list[int]:
    if delimiter == WHITESPACE:
        counts = [len(line.split()) for line in lines]
        first = lines[0].split()
        # NUS-WIDE-urls.txt's header starts with `%%%`: not a column.
        counts[0] -= len(list(itertools.takewhile(lambda cell: set(cell) <= {"%"}, first)))
        return counts
    return [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]


def text_delimiter(lines: Sequence[str]) -> str | None:
    """The delimiter that splits these lines (a header, perhaps, then data) into the same number
    of cells, at least two, on most lines: tab, comma, semicolon, pipe, then runs of white space
    (`WHITESPACE`); None when none does (one value per line, or free text)."""
    sample = [line.rstrip("\r\n") for line in lines[:_SNIFF_LINES] if line.strip()]
    if not sample:
        return None
    for delimiter in ("\t", ",", ";", "|", WHITESPACE):
        counts = _cell_counts(sample, delimiter)
        common, seen = Counter(counts).most_common(1)[0]
        if common > 1 and counts[0] >= common and seen * 10 >= len(counts) * 7:
            return delimiter
    return None


_DIGITS_RE: Final = re.compile(r"[0-9]+", re.ASCII)


def _names_a_photo(value: str) -> bool:
    return bool(parse_flickr_ref(value).photo_id or parse_image_name(value, numeric=True).photo_id)


def counts_not_ids(values: Iterable[object], counter_may_be_ids: bool = False) -> str | None:
    """Why the bare numbers of an id column are not photo ids, or None when they may be: they
    sit among values that name no photo (a face count between file names and boxes), or they
    are a counter (`1, 2, 3, …` from 0 or 1: a row number) in a column not named for Flickr's
    ids (`counter_may_be_ids`: a `photo_id` column is taken at its word)."""
    filled = _filled(
        str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values
    )
    numbers = [v for v in filled if _DIGITS_RE.fullmatch(v)]
    if not numbers:
        return None
    others = [v for v in filled if not _DIGITS_RE.fullmatch(v)]
    # Values that name no photo beside the numbers: the numbers belong to that layout when
    # there are as many of those values, or the numbers are mostly small (counts, sizes and
    # pixel coordinates; Flickr passed 100,000 photos in its first weeks). A few junk cells
    # among real ids do not make them counts.
    small = sum(1 for v in numbers if len(v) <= 5)
    mixed = len(others) >= len(numbers) or small * 2 > len(numbers)
    if others and mixed and sum(map(_names_a_photo, others)) * 2 < len(others):
        return "numbers among values that name no photo (counts or sizes of another layout)"
    as_ints = [int(v) for v in numbers]
    counter = as_ints[0] <= 1 and all(b == a + 1 for a, b in itertools.pairwise(as_ints))
    if len(as_ints) >= 3 and counter and not counter_may_be_ids:
        return f"a counter ({', '.join(numbers[:3])}, …), not photo ids"
    return None
