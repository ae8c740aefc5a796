"""MS COCO annotation files (instances, captions, keypoints, panoptic image info).

The photo id is inside `images[].flickr_url` (a static URL, so no owner). `images[].license`
is an id into the file's own `licenses` table, whose ids 1-8 coincide with Flickr's. Some
COCO-format files have no table; their ids are then read as Flickr's, and the summary says so.
`date_captured` is when the photo was taken, not when it was collected, so it is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.errors import ManifestError
from auditor.manifests.raw import RawManifest


def looks_like_coco(document: Any) -> bool:
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        return False
    first = next((image for image in document["images"] if isinstance(image, dict)), None)
    return first is not None and bool({"flickr_url", "coco_url", "license"} & first.keys())


def _licence_table(path: Path, document: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
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
    table = _licence_table(path, document)
    if table is None:
        raw.notes.append("no `licenses` table: licence ids read as Flickr's (COCO's 1-8 match)")
    for number, image in enumerate(document["images"], start=1):
        if not isinstance(image, dict):
            raw.add(number, notes="image record is not an object")
            continue
        licence_id = image.get("license")
        values: dict[str, object] = {"url": image.get("flickr_url")}
        notes: list[str] = []
        if not image.get("flickr_url"):
            notes.append("no flickr_url (coco_url is COCO's copy, not the Flickr photo)")
        if licence_id is None or licence_id == "":
            pass
        elif table is None:
            values["licence"] = licence_id
            values["licence_raw"] = f"{licence_id}"
        elif str(licence_id) in table:
            entry = table[str(licence_id)]
            values["licence"] = entry.get("url")
            values["licence_alt"] = entry.get("name")
            values["licence_raw"] = f"{licence_id}: {entry.get('name')} <{entry.get('url')}>"
        else:
            values["licence_raw"] = f"{licence_id}"
            notes.append(f"licence id {licence_id} is not in the file's `licenses` table")
        raw.add(number, notes="; ".join(notes) or None, **values)
    return raw
