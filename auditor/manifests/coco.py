"""MS COCO annotation files (instances, captions, keypoints, panoptic image info).

The photo id is inside `images[].flickr_url` (a static URL, so no owner). `images[].license`
is an id into the file's own `licenses` table, whose ids 1-8 coincide with Flickr's. Some
COCO-format files have no table; their ids are then read as Flickr's, and the summary says so.
`date_captured` is when the photo was taken, not when it was collected, so it is not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.errors import ManifestError
from auditor.manifests.raw import RawManifest


def looks_like_coco(document: Any) -> bool:
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        return False
    first = next((image for image in document["images"] if isinstance(image, dict)), None)
    return first is not None and bool({"flickr_url", "coco_url", "license"} & first.keys())


def licence_table(path: Path, document: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    table = document.get("licenses")
    if table is None:
        return None
    if not isinstance(table, list):
        raise ManifestError(path, "COCO `licenses` is not a list; fix the file")
    entries: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(table, start=1):
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("id"))
        if key in entries and entries[key] != entry:
            # Which of the two licences the photos carry is a guess: refuse rather than pick.
            raise ManifestError(
                path,
                f"COCO `licenses` gives id {key} twice, differently (entries "
                f"{list(entries).index(key) + 1} and {position}); keep one",
            )
        entries[key] = entry
    return entries


def read_coco(path: Path, document: Any) -> RawManifest:
    if not looks_like_coco(document):
        raise ManifestError(path, "is not a COCO annotation file (no `images` list)")
    raw = RawManifest(path, "coco")
    table = licence_table(path, document)
    if table is None:
        raw.notes.append(NO_TABLE)
    add_images(raw, table, enumerate(document["images"], start=1))
    return raw


NO_TABLE = "no `licenses` table: licence ids read as Flickr's (COCO's 1-8 match)"
NO_FLICKR_URL = "no flickr_url (coco_url is COCO's copy, not the Flickr photo)"


def add_images(
    raw: RawManifest,
    table: dict[str, dict[str, Any]] | None,
    images: Iterable[tuple[int, Any]],
) -> None:
    """Add the `(number, image record)` rows, their licence ids looked up in `table`."""
    for number, image in images:
        if not isinstance(image, dict):
            raw.add(number, notes="image record is not an object")
            continue
        values: dict[str, object] = {"url": image.get("flickr_url")}
        notes = [] if image.get("flickr_url") else [NO_FLICKR_URL]
        licence, note = licence_values(table, image.get("license"))
        values.update(licence)
        notes.extend(note)
        raw.add(number, notes="; ".join(notes) or None, **values)


def licence_values(
    table: dict[str, dict[str, Any]] | None, licence_id: Any
) -> tuple[dict[str, object], list[str]]:
    """The licence fields of an image whose `license` is `licence_id`, and a note if any."""
    if licence_id is None or licence_id == "":
        return {}, []
    if table is None:
        return {"licence": licence_id, "licence_raw": f"{licence_id}"}, []
    if str(licence_id) in table:
        entry = table[str(licence_id)]
        return {
            "licence": entry.get("url"),
            "licence_alt": entry.get("name"),
            "licence_raw": f"{licence_id}: {entry.get('name')} <{entry.get('url')}>",
        }, []
    return {"licence_raw": f"{licence_id}"}, [
        f"licence id {licence_id} is not in the file's `licenses` table"
    ]
