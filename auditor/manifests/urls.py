"""Plain lists of photos: one URL, short link, photo id or image file name per line; `#` starts
a comment.

A first line that is just a column name (`url`, `photo_id`...) is taken as a header and skipped.
Image file names and paths (Flickr8k's split lists `2513260012_03d33305cf.jpg`, NUS-WIDE's
`C:\\ImageData\\actor\\0001_2124494179.jpg`) are read for the photo id in the name
(`image_names`). Bare numbers are photo ids unless most other lines name no Flickr photo: such
a list is some other dataset's layout (face counts and boxes between file names), where a
number is a count, not a photo.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from auditor.manifests.columns import ID_COLUMN_NAMES
from auditor.manifests.content import NUMERIC_LAYOUT, describe_names, flickr_name_evidence, is_url
from auditor.manifests.flickr_ids import parse_flickr_ref
from auditor.manifests.image_names import is_image_name, parse_image_name
from auditor.manifests.raw import RawManifest
from auditor.manifests.source import iter_lines

_COMMENT = re.compile(r"(^|\s)#.*$")
_BARE_NUMBER = re.compile(r"[+-]?[0-9][0-9.eE+-]*")
_NAME_SAMPLE = 200
_DECIDE_LINES = 1000  # lines the layout is judged on
_BATCH = 8192


def _mostly_not_photos(values: list[str]) -> bool:
    """Whether most of these values (the list's lines that are not bare numbers) name no Flickr
    photo: then the list is some other layout and its numbers are counts, not ids."""
    photos = sum(
        1
        for value in values
        if parse_flickr_ref(value).photo_id or parse_image_name(value).photo_id
    )
    return photos * 2 < len(values)


def _values(path: Path) -> Iterator[tuple[int, str]]:
    """`(line, value)` per line that holds one, a first header line skipped."""
    first = True
    for number, line in enumerate(iter_lines(path), start=1):
        # A `#n` right after an image name is a caption number (`name.jpg#2`), not a comment.
        value = _COMMENT.sub("", line).strip()
        if not value:
            continue
        if first and value.lower() in ID_COLUMN_NAMES:
            first = False
            continue
        first = False
        yield number, value


def read_urls(path: Path, ids_from_filenames: bool = False) -> RawManifest:
    raw = RawManifest(path, "urls")
    values = _values(path)
    # The layout is judged on the first lines; the rest stream through in batches.
    head = list(itertools.islice(values, _DECIDE_LINES))
    bare = sum(1 for _, value in head if _BARE_NUMBER.fullmatch(value))
    others = [value for _, value in head if not _BARE_NUMBER.fullmatch(value)]
    mixed = bool(bare and others) and _mostly_not_photos(others[:_NAME_SAMPLE])
    names = [value for _, value in head if not is_url(value) and is_image_name(value)]
    if names:
        sample = names[:_NAME_SAMPLE]
        reason = ("--ids-from-filenames" if ids_from_filenames else None) or flickr_name_evidence(
            sample
        )
        raw.numeric_names = reason is not None
        layout = describe_names(sample)
        because = f", Flickr ids by {reason}" if reason and layout == NUMERIC_LAYOUT else ""
        raw.notes.append(f"photo ids from image file names ({layout}{because})")
    if mixed:
        raw.notes.append(
            "bare numbers among lines that name no Flickr photo: counts or sizes of another "
            "layout, not taken as photo ids"
        )
    rows = itertools.chain(head, values)
    while batch := list(itertools.islice(rows, _BATCH)):
        refs: list[object] = []
        image_names: list[object] = []
        problems: list[object] = []
        for _, value in batch:
            if mixed and _BARE_NUMBER.fullmatch(value):
                refs.append(None)
                image_names.append(None)
                problems.append("bare number among lines that name no photo, not a photo id")
            elif is_image_name(value) and not is_url(value):
                refs.append(None)
                image_names.append(value)
                problems.append(None)
            else:
                refs.append(value)
                image_names.append(None)
                problems.append(None)
        numbers = [number for number, _ in batch]
        raw.extend(numbers, {"photo_ref": refs, "image_name": image_names, "notes": problems})
    return raw
