"""Open Images image-list CSVs (`ImageID, Subset, OriginalURL, OriginalLandingURL, License,
AuthorProfileURL, Author, Title, ...`).

`ImageID` is Open Images' own hex id, not Flickr's: the Flickr photo id comes from the landing
page URL (which also names the owner, usually by path alias) or the original image URL.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import ManifestError
from auditor.manifests.raw import RawManifest
from auditor.manifests.tabular import header_and_records

SIGNATURE = ("imageid", "originalurl")


def read_openimages(path: Path, delimiter: str = ",") -> RawManifest:
    """Read an Open Images image list, comma- or (when re-saved) tab-separated."""
    (header_line, names), records = header_and_records(path, delimiter)
    header = [name.strip().lower() for name in names]
    if not all(name in header for name in SIGNATURE):
        raise ManifestError(
            path, "Open Images list without ImageID and OriginalURL columns", line=header_line
        )
    raw = RawManifest(path, "openimages")
    for number, cells in records:
        row = dict(zip(header, cells, strict=False))
        raw.add(
            number,
            url=row.get("originallandingurl"),
            alt_url=row.get("originalurl"),
            owner_ref=row.get("authorprofileurl"),
            owner_name=row.get("author"),
            licence=row.get("license"),
            title=row.get("title"),
        )
    return raw
