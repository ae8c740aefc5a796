"""Plain lists of photos: one URL, short link or photo id per line; `#` starts a comment.

A first line that is just a column name (`url`, `photo_id`...) is taken as a header and skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditor.manifests.columns import ID_COLUMN_NAMES
from auditor.manifests.raw import RawManifest
from auditor.manifests.source import iter_lines

_COMMENT = re.compile(r"(^|\s)#.*$")


def read_urls(path: Path) -> RawManifest:
    raw = RawManifest(path, "urls")
    first = True
    for number, line in enumerate(iter_lines(path), start=1):
        value = _COMMENT.sub("", line).strip()
        if not value:
            continue
        if first and value.lower() in ID_COLUMN_NAMES:
            first = False
            continue
        first = False
        raw.add(number, photo_ref=value)
    return raw
