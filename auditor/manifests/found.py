"""A manifest in which no Flickr photo is found is an error, not an empty audit.

A read that finds nothing is almost always a read that went wrong (ids in a column the reader
did not take, image names it could not read, the wrong file); passing it would turn a CI gate
green on a broken read. So once a manifest has been read whole, `PhotosFound.check` raises
`ManifestError` (exit 2) naming the file, what it was read as, why its rows gave no id, and the
option to try.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from auditor.errors import ManifestError
from auditor.photo_table import FileReport

_NOTE_CHARS: Final = 160


def _hint(report: FileReport, note: str | None) -> str:
    text = f"{note or ''} {' '.join(report.notes)}"
    if "COCO_" in text:
        return (
            "these images are named by COCO's own ids; audit COCO's annotation file (its "
            "images[].flickr_url) instead"
        )
    if "--ids-from-filenames" in text:
        return "if the image names are Flickr photo ids, pass --ids-from-filenames"
    if report.format in ("csv", "tsv", "table", "urls", "json", "jsonl", "parquet"):
        return (
            "name the column of photo ids, URLs or image names with --id-column or --url-column "
            "(a position for a file without a header), or --delimiter if it was split wrongly"
        )
    return "check that this is the file you meant, or pass --manifest-format"


class PhotosFound:
    """Which manifests have given at least one Flickr photo id, chunk by chunk."""

    def __init__(self) -> None:
        self._found: set[str] = set()
        self._first_note: dict[str, str] = {}

    def observe(self, photos: pd.DataFrame) -> None:
        """Note the files of a piece of the photo table that name a photo."""
        if photos.empty:
            return
        has_id = photos["photo_id"].notna()
        self._found.update(photos.loc[has_id, "source_file"].unique().tolist())
        missing = photos.loc[~has_id, ["source_file", "notes"]]
        for name in missing["source_file"].unique().tolist():
            if name in self._found or name in self._first_note:
                continue
            notes = missing.loc[missing["source_file"] == name, "notes"].dropna()
            if len(notes):
                self._first_note[name] = str(notes.iloc[0])

    def check(self, files: Sequence[FileReport]) -> None:
        """Raise `ManifestError` for the first file read whole that named no photo."""
        for report in files:
            if report.path in self._found:
                continue
            note = self._first_note.get(report.path)
            seen = f" (the first says: {note[:_NOTE_CHARS]})" if note and report.rows else ""
            rows = f"{report.rows} row(s)" if report.rows else "no rows"
            raise ManifestError(
                report.path,
                f"no Flickr photo found: read as {report.format}, {rows}{seen}; "
                f"{_hint(report, note)}",
            )
