"""Finding the photo id, URL, owner, licence and date columns of a generic table.

Generic CSV/TSV/JSONL/JSON/Parquet manifests name their columns freely. We look for common names
(case-insensitively), and the user can name a column, or give its 1-based position for a file
without a header, with `--id-column`, `--url-column`, `--owner-column`, `--licence-column` and
`--date-column`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ManifestError

# Names looked for, best first. `OPTION_FLAGS` lists the roles the user can name a column for.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "photo_ref": ("photo_id", "flickr_id", "flickr_photo_id", "photoid", "id"),
    "url": (
        "url",
        "photo_url",
        "flickr_url",
        "page_url",
        "image_url",
        "photo_page_url",
        "landing_url",
        "foreign_landing_url",
        "original_url",
    ),
    # Image file names or paths that hold the photo id (`image_names`): Flickr8k's `image`,
    # Flickr30k's `image_name`, Karpathy's `filename`, Im2GPS's `IMG_ID`, NUS-WIDE's `Photo_file`.
    "image_name": (
        "image_name",
        "image",
        "filename",
        "file_name",
        "image_file",
        "image_path",
        "img_id",
        "img",
        "img_name",
        "img_path",
        "photo_file",
        "file",
        "file_path",
        "filepath",
        "path",
    ),
    "owner_ref": (
        "owner",
        "nsid",
        "owner_nsid",
        "user_id",
        "owner_id",
        "user_nsid",
    ),
    "licence": (
        "licence",
        "license",
        "license_id",
        "licence_id",
        "license_url",
        "licence_url",
        "license_name",
        "licence_name",
    ),
    "collected_at": (
        "collected_at",
        "date_crawled",
        "crawled_at",
        "date_collected",
        "crawl_date",
    ),
    "licence_version": ("license_version", "licence_version"),
    "owner_name": ("owner_name", "ownername", "author", "creator", "username", "realname"),
    "uploaded_at": ("uploaded_at", "date_uploaded", "dateupload", "date_upload", "upload_date"),
    "title": ("title", "photo_title"),
}

# Names that say a column holds Flickr's own photo ids (unlike a bare `id`).
FLICKR_ID_NAMES: frozenset[str] = frozenset(COMMON_NAMES["photo_ref"]) - {"id"}
# Names of columns that hold photo ids or URLs: a header of one of these is not data.
ID_COLUMN_NAMES: frozenset[str] = frozenset(COMMON_NAMES["photo_ref"] + COMMON_NAMES["url"])


_COLUMN_TARGETS = {
    "id": "photo_ref",
    "url": "url",
    "owner": "owner_ref",
    "licence": "licence",
    "date": "collected_at",
}


@dataclass(frozen=True)
class ColumnOptions:
    """How the user says to read a file: columns named (a header name, or a 1-based position for
    header-less files), the delimiter of a text table, and whether bare-number image file names
    (`{id}.jpg`) are Flickr photo ids."""

    id: str | None = None
    url: str | None = None
    owner: str | None = None
    licence: str | None = None
    date: str | None = None
    delimiter: str | None = None  # one character, or " " for runs of white space
    ids_from_filenames: bool = False

    def given(self) -> dict[str, str]:
        """The column options that were set, keyed by the raw field they fill."""
        return {
            target: value
            for name, target in _COLUMN_TARGETS.items()
            if (value := getattr(self, name)) is not None and value != ""
        }

    def positional(self) -> bool:
        """True when every option given is a position, i.e. the file has no header."""
        given = self.given()
        return bool(given) and all(value.isdigit() for value in given.values())


OPTION_FLAGS = {
    "photo_ref": "--id-column",
    "url": "--url-column",
    "owner_ref": "--owner-column",
    "licence": "--licence-column",
    "collected_at": "--date-column",
}


def locate_columns(
    header: Sequence[str], options: ColumnOptions, path: Path
) -> dict[str, list[int]]:
    """Map each raw field to the header positions that fill it (best first).

    `url` and `licence` may map to two columns: the second is a fallback (`alt_url`) or a value
    that must agree (`licence_alt`).
    """
    lowered = [name.strip().lower() for name in header]
    # Nested JSON records are flattened to `parent.child`; a child name counts too.
    leaves = [name.rpartition(".")[2] for name in lowered]
    found: dict[str, list[int]] = {}
    for role, names in COMMON_NAMES.items():
        hits = [lowered.index(name) for name in names if name in lowered]
        hits += [leaves.index(name) for name in names if name in leaves]
        hits = list(dict.fromkeys(hits))
        if hits:
            found[role] = hits[:2] if role in ("url", "licence") else hits[:1]
    for role, wanted in options.given().items():
        if wanted.isdigit():
            position = int(wanted)
            if not 1 <= position <= len(header):
                raise ManifestError(
                    path,
                    f"{OPTION_FLAGS[role]} {wanted}: the file has {len(header)} columns; "
                    "give a position from 1",
                    line=1,
                )
            found[role] = [position - 1]
        else:
            if wanted.strip().lower() not in lowered:
                raise ManifestError(
                    path,
                    f"{OPTION_FLAGS[role]} {wanted!r}: no such column "
                    f"(columns: {', '.join(header[:20])})",
                    line=1,
                )
            found[role] = [lowered.index(wanted.strip().lower())]
    return found
