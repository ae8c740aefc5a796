"""FFHQ-style metadata: one record per photo with `photo_url`, `author`, `license`,
`license_url`, `date_uploaded`, `date_crawled` (FFHQ nests them under `metadata`).

The file is a JSON list of records or an object of records keyed by index; either may sit inside
a top-level `metadata` wrapper. The owner's NSID is in the page URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.errors import ManifestError
from auditor.jsonstream import value_list
from auditor.manifests.raw import RawManifest


def _records(document: Any) -> list[Any] | None:
    if isinstance(document, dict) and set(document) == {"metadata"}:
        document = document["metadata"]
    if isinstance(document, dict):
        document = value_list(document)
    return document if isinstance(document, list) else None


def _fields(record: Any) -> dict[str, Any] | None:
    if not isinstance(record, dict):
        return None
    inner = record.get("metadata")
    return inner if isinstance(inner, dict) else record


# Besides `photo_url`, an FFHQ-style record has some of these; generic records with a
# `photo_url` column are read by the generic JSON reader, which keeps all their columns.
FFHQ_FIELDS = frozenset({"author", "license", "license_url", "date_crawled", "photo_title"})


def looks_like_ffhq(document: Any) -> bool:
    records = _records(document)
    if not records:
        return False
    first = _fields(records[0])
    if first is None or "photo_url" not in first:
        return False
    wrapped = first is not records[0] or (isinstance(document, dict) and "metadata" in document)
    return wrapped or bool(FFHQ_FIELDS & first.keys())


def read_ffhq(path: Path, document: Any) -> RawManifest:
    records = _records(document)
    if records is None:
        raise ManifestError(path, "is not FFHQ-style metadata (a list or object of records)")
    if not any((fields := _fields(r)) is not None and "photo_url" in fields for r in records):
        raise ManifestError(path, "no record has a `photo_url`, so it is not FFHQ-style metadata")
    raw = RawManifest(path, "ffhq")
    for number, record in enumerate(records, start=1):
        fields = _fields(record)
        if fields is None:
            raw.add(number, notes="record is not an object")
            continue
        raw.add(
            number,
            url=fields.get("photo_url"),
            owner_name=fields.get("author"),
            licence=fields.get("license"),
            licence_alt=fields.get("license_url"),
            collected_at=fields.get("date_crawled"),
            uploaded_at=fields.get("date_uploaded"),
            title=fields.get("photo_title"),
        )
    return raw
