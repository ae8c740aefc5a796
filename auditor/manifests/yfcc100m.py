"""YFCC100M metadata lines: tab-separated, no header, text fields URL-encoded (`+` for space).

Two layouts exist: Yahoo's original 23 columns, and the 25-column variant (Multimedia Commons /
the `yfcc100m` tools) that adds a line number in front and the photo hash after the id. The
collection date is not in the file (the dataset is a 2014 snapshot), so `collected_at` is empty;
column "date uploaded" (epoch) becomes `uploaded_at`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_plus

from auditor.manifests.raw import RawManifest
from auditor.manifests.source import iter_lines

# 0-based positions in the original 23-column layout.
PHOTO_ID, NSID, NICKNAME, UPLOADED, TITLE, PAGE_URL, DOWNLOAD_URL, LICENCE_NAME, LICENCE_URL = (
    0,
    1,
    2,
    4,
    6,
    13,
    14,
    15,
    16,
)
WIDTHS = (23, 25)


def _shift(cells: list[str]) -> list[str]:
    """Map a 25-column line onto the 23-column positions (drop line number and hash)."""
    return [cells[1], *cells[3:]] if len(cells) == 25 else cells


def read_yfcc100m(path: Path) -> RawManifest:
    raw = RawManifest(path, "yfcc100m")
    for number, line in enumerate(iter_lines(path), start=1):
        if not line.strip():
            continue
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) not in WIDTHS:
            raw.add(number, notes=f"has {len(cells)} tab-separated fields, expected 23 or 25")
            continue
        cells = _shift(cells)
        raw.add(
            number,
            photo_ref=cells[PHOTO_ID],
            url=cells[PAGE_URL],
            alt_url=cells[DOWNLOAD_URL],
            owner_ref=cells[NSID],
            owner_name=unquote_plus(cells[NICKNAME]),
            licence=cells[LICENCE_URL],
            licence_alt=cells[LICENCE_NAME],
            licence_raw=f"{cells[LICENCE_NAME]} <{cells[LICENCE_URL]}>",
            uploaded_at=cells[UPLOADED],
            title=unquote_plus(cells[TITLE]),
        )
    return raw


def looks_like_yfcc100m(cells: list[str]) -> bool:
    """A header-less line of 23 (or 25) tab-separated fields starting with a numeric photo id."""
    if len(cells) not in WIDTHS:
        return False
    cells = _shift(cells)
    return cells[PHOTO_ID].isdigit() and "@N" in cells[NSID].upper()
