"""Plain lists of photos: one URL, short link, photo id or image file name per line; `#` starts
a comment.

A first line that is just a column name (`url`, `photo_id`...) is taken as a header and skipped.
Image file names and paths (Flickr8k's split lists `2513260012_03d33305cf.jpg`, NUS-WIDE's
`C:\\ImageData\\actor\\0001_2124494179.jpg`) are read for the photo id in the name
(`image_names`). Bare numbers are photo ids unless the first lines show they are counts
(`content.counts_not_ids`: face counts between file names and boxes, or a counter).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from auditor.manifests.columns import ID_COLUMN_NAMES
from auditor.manifests.content import (
    counts_not_ids,
    flickr_name_evidence,
    is_url,
    names_note,
)
from auditor.manifests.image_names import is_image_name
from auditor.manifests.raw import RawManifest
from auditor.manifests.source import iter_lines

_COMMENT = re.compile(r"(^|\s)#.*$")
_NAME_SAMPLE = 200
_DECIDE_LINES = 1000  # lines the layout is judged on
_BATCH = 8192


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
    refused = counts_not_ids(value for _, value in head)
    names = [value for _, value in head if not is_url(value) and is_image_name(value)]
    if names:
        sample = names[:_NAME_SAMPLE]
        reason = ("--ids-from-filenames" if ids_from_filenames else None) or flickr_name_evidence(
            sample
        )
        raw.numeric_names = reason is not None
        raw.notes.append(names_note(sample, "", reason))
    if refused is not None:
        raw.counts_not_ids = refused
        raw.notes.append(f"the list holds {refused}; not taken as photo ids")
    rows = itertools.chain(head, values)
    while batch := list(itertools.islice(rows, _BATCH)):
        refs: list[object] = []
        image_names: list[object] = []
        problems: list[object] = []
        for _, value in batch:
            if is_image_name(value) and not is_url(value):
                refs.append(None)
                image_names.append(value)
                problems.append(None)
            else:
                refs.append(value)
                image_names.append(None)
                problems.append(None)
        numbers = [number for number, _ in batch]
        raw.add_columns(numbers, {"photo_ref": refs, "image_name": image_names, "notes": problems})
    return raw
