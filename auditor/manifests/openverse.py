"""Openverse / CC-catalog exports: the catalog's CSV export (with a header, every provider mixed)
and the Flickr provider's 17-column TSV (no header, PostgreSQL `\\N` for NULL).

Only `provider == flickr` rows are photos for this auditor; the others are counted by provider
and skipped. The licence is a short code plus a version (`by-nc-nd`, `2`); `meta_data` may also
carry a `license_url`, which must agree with it (194 rows of Openverse's own sample point to the
non-existent `by-nd-nc/2.0/jp`: those are resolved through the code and noted). Dates: the row's
licence is what Openverse saw when it last synced the photo (`last_synced_with_source`, else
`updated_on`, else `created_on`); `meta_data.pub_date` is the Flickr upload time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from auditor.errors import ManifestError
from auditor.jsonstream import JsonProblem
from auditor.manifests.raw import RawManifest
from auditor.manifests.source import iter_lines, loads_line
from auditor.manifests.tabular import header_and_records

# The provider TSV's columns (CC catalog's `provider_image_data` table definition).
TSV_COLUMNS: tuple[str, ...] = (
    "foreign_identifier",
    "foreign_landing_url",
    "url",
    "thumbnail",
    "width",
    "height",
    "filesize",
    "license",
    "license_version",
    "creator",
    "creator_url",
    "title",
    "meta_data",
    "tags",
    "watermarked",
    "provider",
    "source",
)
CSV_REQUIRED = ("provider", "foreign_identifier")


def _row_fields(row: Mapping[str, str | None]) -> dict[str, object]:
    notes: list[str] = []
    meta: dict[str, object] = {}
    blob = row.get("meta_data")
    if blob and blob != "\\N":
        try:
            parsed = loads_line(blob)
            meta = parsed if isinstance(parsed, dict) else {}
        except (json.JSONDecodeError, JsonProblem):
            notes.append("meta_data is not valid JSON")
    collected = next(
        (
            row[key]
            for key in ("last_synced_with_source", "updated_on", "created_on")
            if row.get(key) and row[key] != "\\N"
        ),
        None,
    )
    code, version = row.get("license"), row.get("license_version")
    licence_url = meta.get("license_url")
    raw_licence = " ".join(str(v) for v in (code, version) if v and v != "\\N")
    return {
        "photo_ref": row.get("foreign_identifier"),
        "url": row.get("foreign_landing_url"),
        "alt_url": row.get("url"),
        "owner_ref": row.get("creator_url"),
        "owner_name": row.get("creator"),
        "licence_code": code,
        "licence_version": version,
        "licence_alt": licence_url,
        "licence_raw": " | ".join(str(v) for v in (raw_licence, licence_url) if v),
        "collected_at": collected,
        "uploaded_at": meta.get("pub_date"),
        "title": row.get("title"),
        "notes": "; ".join(notes) or None,
    }


def _take(raw: RawManifest, rows: Iterator[tuple[int, Mapping[str, str | None]]]) -> RawManifest:
    for number, row in rows:
        provider = (row.get("provider") or "").strip().lower()
        if provider != "flickr":
            raw.skipped[f"provider {provider or '(empty)'}"] += 1
            continue
        raw.add(number, **_row_fields(row))
    return raw


def read_openverse_export(path: Path, delimiter: str = ",") -> RawManifest:
    """Read the catalog export: a header row, comma- (or, re-saved, tab-) separated."""
    (header_line, names), records = header_and_records(path, delimiter)
    header = [name.strip().lower() for name in names]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ManifestError(
            path, f"Openverse export without {', '.join(missing)} column(s)", line=header_line
        )
    rows = ((number, dict(zip(header, cells, strict=False))) for number, cells in records)
    return _take(RawManifest(path, "openverse"), rows)


def read_openverse_tsv(path: Path) -> RawManifest:
    def rows() -> Iterator[tuple[int, Mapping[str, str | None]]]:
        for number, line in enumerate(iter_lines(path), start=1):
            if not line.strip():
                continue
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) != len(TSV_COLUMNS):
                raw.add(
                    number,
                    notes=f"has {len(cells)} tab-separated fields, expected {len(TSV_COLUMNS)}",
                )
                continue
            yield number, dict(zip(TSV_COLUMNS, cells, strict=True))

    raw = RawManifest(path, "openverse")
    return _take(raw, rows())


def read_openverse(path: Path, first_line: str) -> RawManifest:
    """Dispatch on the first line: an export's header, or a header-less provider TSV."""
    tabbed = "\t" in first_line
    if tabbed and "foreign_identifier" not in first_line:
        return read_openverse_tsv(path)
    return read_openverse_export(path, "\t" if tabbed else ",")
