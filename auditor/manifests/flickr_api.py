"""Photo listings straight from the Flickr API, and the same listings as parsed by the Flickr
Foundation's `flickr-photos-api` library.

Accepted shapes:
- a raw listing page `{"photos": {"photo": [...]}}` (photos.search, people.getPublicPhotos, ...),
  with the listing names for extras: `owner` (NSID), `ownername`, `pathalias`, `license` (a Flickr
  licence id, string or int), `dateupload` (epoch), `title` (a plain string);
- a raw `photos.getInfo` answer `{"photo": {...}}` (`owner` is an object there, `title` is
  `{"_content": ...}`, the upload date is `dates.posted`);
- flickr-photos-api's parsed results: `{"photos": [...]}` or one photo object, with
  `owner{id, path_alias, username}`, `license{id: slug}`, `date_posted{value}` and `url`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.errors import ManifestError
from auditor.manifests.raw import RawManifest


def _photos(document: Any) -> list[Any] | None:
    if not isinstance(document, dict):
        return None
    photos = document.get("photos")
    if isinstance(photos, dict) and isinstance(photos.get("photo"), list):
        return photos["photo"]  # type: ignore[no-any-return]  # (a streamed list stays one)
    if isinstance(photos, list):
        return photos
    photo = document.get("photo")
    if isinstance(photo, list):
        return photo
    if isinstance(photo, dict):
        return [photo]
    if "id" in document and "owner" in document and "license" in document:
        return [document]
    return None


def looks_like_flickr_api(document: Any) -> bool:
    listing = document.get("photos") if isinstance(document, dict) else None
    if isinstance(listing, dict) and isinstance(listing.get("photo"), list):
        return True  # a listing page, possibly an empty one past the last page
    photos = _photos(document)
    return bool(photos) and isinstance(photos[0], dict) and "id" in photos[0]  # type: ignore[index]


def _text(value: Any) -> Any:
    """Flickr's JSON puts element text under `_content`; listings use plain strings."""
    return value.get("_content") if isinstance(value, dict) else value


def _photo_fields(photo: dict[str, Any]) -> dict[str, object]:
    owner = photo.get("owner")
    licence = photo.get("license")
    fields: dict[str, object] = {"photo_ref": photo.get("id"), "title": _text(photo.get("title"))}
    if isinstance(owner, dict):  # getInfo answer, or flickr-photos-api's parsed owner
        fields["owner_ref"] = owner.get("nsid") or owner.get("id") or owner.get("path_alias")
        fields["owner_name"] = owner.get("username") or owner.get("realname")
        fields["owner_realname"] = _text(owner.get("realname"))
    else:  # listing: owner is the NSID; the alias comes back as `pathalias`
        fields["owner_ref"] = owner or photo.get("pathalias")
        fields["owner_name"] = photo.get("ownername")
        fields["owner_realname"] = photo.get("realname")  # the undocumented `realname` extra
    if isinstance(licence, dict):  # flickr-photos-api: {"id": slug, "label": ..., "url": ...}
        fields["licence"] = licence.get("id")
        fields["licence_alt"] = licence.get("url")
        fields["licence_raw"] = licence.get("label") or licence.get("id")
    else:
        fields["licence"] = licence
    dates = photo.get("dates")
    posted = photo.get("date_posted")
    if photo.get("dateupload") is not None:
        fields["uploaded_at"] = photo.get("dateupload")
    elif isinstance(dates, dict):
        fields["uploaded_at"] = dates.get("posted")
    elif isinstance(posted, dict):
        fields["uploaded_at"] = posted.get("value")
    page = photo.get("url")
    urls = photo.get("urls")
    if isinstance(page, str):
        fields["url"] = page
    elif isinstance(urls, dict) and isinstance(urls.get("url"), list):
        pages = [u for u in urls["url"] if isinstance(u, dict) and u.get("type") == "photopage"]
        fields["url"] = _text(pages[0]) if pages else None
    if "url" not in fields or not fields["url"]:
        fields["url"] = next(
            (photo[key] for key in ("url_o", "url_l", "url_c", "url_z", "url_m") if photo.get(key)),
            None,
        )
    return fields


def read_flickr_api(path: Path, document: Any) -> RawManifest:
    photos = _photos(document)
    if photos is None:
        if isinstance(document, dict) and document.get("stat") == "fail":
            raise ManifestError(
                path, f"is a failed Flickr API answer ({document.get('message')}); nothing to read"
            )
        raise ManifestError(path, "is not a Flickr API photo listing (no `photos.photo` list)")
    raw = RawManifest(path, "flickr-api")
    for number, photo in enumerate(photos, start=1):
        if isinstance(photo, dict):
            raw.add(number, **_photo_fields(photo))
        else:
            raw.add(number, notes="photo entry is not an object")
    return raw
