"""Flickr's decoded JSON answers as frozen dataclasses.

Pure functions: no I/O, no licence resolution (the caller maps licence ids, names and URLs
through `auditor.licences`). Flickr's JSON is converted from XML and loosely typed: the same field
is `"0"` in one answer and `0` in another, so every number goes through `int(str(x))`; a path
alias may be null, `""` or a string; text may be plain or `{"_content": ...}`. Listings
(`people.getPublicPhotos`, `photos.search`, `people.getPhotosOf`) rename the extras they return:
`pathalias`, `ownername`, `dateupload`, `lastupdate`, and `tags` as one space-separated string.
`people.getPhotosOf` pages by `has_next_page` instead of `pages`/`total` (for anyone but the
caller), and lists other owners' photos: see `PhotosOfPage`.

A body that is JSON but lacks what the method returns raises `UnexpectedResponse` naming the
method and the missing or malformed field, never a bare `KeyError` or `TypeError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.flickr.errors import UnexpectedResponse

GET_INFO = "flickr.photos.getInfo"
GET_PUBLIC_PHOTOS = "flickr.people.getPublicPhotos"
SEARCH = "flickr.photos.search"
LICENCE_HISTORY = "flickr.photos.licenses.getLicenseHistory"
LICENCES = "flickr.photos.licenses.getInfo"
LOOKUP_USER = "flickr.urls.lookupUser"
FIND_BY_USERNAME = "flickr.people.findByUsername"
PERSON_INFO = "flickr.people.getInfo"
GET_PHOTOS_OF = "flickr.people.getPhotosOf"


@dataclass(frozen=True)
class Owner:
    nsid: str
    username: str | None
    alias: str | None  # the custom URL slug (path alias); None when the owner has none


@dataclass(frozen=True)
class PhotoStatus:
    """What one getInfo answer or one listing entry says about a photo."""

    photo_id: str
    owner: Owner
    licence_id: int | None  # Flickr's numeric licence id; None when the answer has none
    public: bool
    tags: tuple[str, ...]  # Flickr's normalised forms (lower case, no spaces or punctuation)
    uploaded_at: int | None  # unix seconds
    last_update: int | None  # unix seconds; any change to the photo or its metadata
    title: str | None
    method: str  # the API method that answered
    # The photo's JSON object as answered, kept as evidence; left out of ==, hash and repr.
    raw: Mapping[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PhotoPage:
    page: int
    pages: int
    per_page: int
    total: int
    photos: tuple[PhotoStatus, ...]


@dataclass(frozen=True)
class PhotosOfPage:
    """One page of `flickr.people.getPhotosOf`: photos `person` is tagged in, whoever took
    them. Flickr gives no `pages` or `total` for another member, only `has_next_page`."""

    person: str  # the NSID asked about (the answer does not repeat it)
    page: int
    per_page: int
    has_next_page: bool
    photos: tuple[PhotoStatus, ...]


@dataclass(frozen=True)
class LicenceChange:
    """One `license_history` entry. `new_name == ""` means the licence never changed: the entry
    then only says the photo was uploaded under `old_name` (at `changed_at`)."""

    changed_at: int  # unix seconds
    old_name: str
    old_url: str
    new_name: str
    new_url: str


@dataclass(frozen=True)
class FlickrLicence:
    id: int
    name: str
    url: str


@dataclass(frozen=True)
class UserMatch:
    nsid: str
    username: str | None


def photo_info(body: Any) -> PhotoStatus:
    """A `flickr.photos.getInfo` answer."""
    where = _Where(GET_INFO)
    photo = where.obj(body, "photo")
    owner = where.obj(photo, "owner", "photo")
    dates = where.opt_obj(photo, "dates", "photo")
    visibility = where.opt_obj(photo, "visibility", "photo")
    tags_obj = where.opt_obj(photo, "tags", "photo")
    tag_list = where.opt_list(tags_obj, "tag", "photo.tags")
    tags = tuple(
        text
        for i, tag in enumerate(tag_list)
        if (text := where.text(tag, f"photo.tags.tag[{i}]"))  # Flickr has stored empty tags
    )
    uploaded = where.opt_number(dates, "posted", "photo.dates")
    if uploaded is None:
        uploaded = where.opt_number(photo, "dateuploaded", "photo")
    return PhotoStatus(
        photo_id=where.string(photo, "id", "photo"),
        owner=Owner(
            nsid=where.string(owner, "nsid", "photo.owner"),
            username=where.opt_string(owner, "username", "photo.owner"),
            alias=where.opt_string(owner, "path_alias", "photo.owner"),
        ),
        licence_id=where.opt_number(photo, "license", "photo"),
        # A key-only caller gets an answer only for photos anyone may see, so a missing
        # `visibility` cannot mean private.
        public=where.flag(visibility, "ispublic", "photo.visibility", default=True),
        tags=tags,
        uploaded_at=uploaded,
        last_update=where.opt_number(dates, "lastupdate", "photo.dates"),
        title=_title(where, photo, "photo"),
        method=GET_INFO,
        raw=photo,
    )


def photo_page(body: Any, method: str) -> PhotoPage:
    """A standard photo list (`people.getPublicPhotos`, `photos.search`) with the extras in
    `auditor.flickr.client.LISTING_EXTRAS`."""
    where = _Where(method)
    photos = where.obj(body, "photos")
    entries = where.opt_list(photos, "photo", "photos")
    per_page = where.opt_number(photos, "perpage", "photos")
    if per_page is None:
        per_page = where.number(photos, "per_page", "photos")
    return PhotoPage(
        page=where.number(photos, "page", "photos"),
        pages=where.number(photos, "pages", "photos"),
        per_page=per_page,
        total=where.number(photos, "total", "photos"),
        photos=_distinct(
            where,
            [_listed(where, item, f"photos.photo[{i}]", method) for i, item in enumerate(entries)],
        ),
    )


def photos_of_page(body: Any, person: str) -> PhotosOfPage:
    """A `flickr.people.getPhotosOf` answer for `person`: the standard photo list's entries,
    paged by `has_next_page` (0/1, string or number). An answer with `pages` instead (Flickr
    gives it for the caller's own photos) is read the same way; one with neither is
    unexpected, never taken for the last page."""
    where = _Where(GET_PHOTOS_OF)
    photos = where.obj(body, "photos")
    entries = where.opt_list(photos, "photo", "photos")
    page = where.number(photos, "page", "photos")
    per_page = where.opt_number(photos, "perpage", "photos")
    if per_page is None:
        per_page = where.number(photos, "per_page", "photos")
    if "has_next_page" in photos:
        more = where.flag(photos, "has_next_page", "photos", default=False)
    elif "pages" in photos:
        more = page < where.number(photos, "pages", "photos")
    else:
        raise where.error("no 'photos.has_next_page' (nor 'photos.pages') in the answer")
    return PhotosOfPage(
        person=person,
        page=page,
        per_page=per_page,
        has_next_page=more,
        photos=_distinct(
            where,
            [
                _listed(where, item, f"photos.photo[{i}]", GET_PHOTOS_OF)
                for i, item in enumerate(entries)
            ],
        ),
    )


def _distinct(where: _Where, listed: list[PhotoStatus]) -> tuple[PhotoStatus, ...]:
    """The page's entries, each photo once: a photo listed twice with two different answers
    (visibility, licence or owner) makes the page unexpected, rather than the first winning."""
    by_id: dict[str, PhotoStatus] = {}
    for status in listed:
        before = by_id.setdefault(status.photo_id, status)
        if (before.public, before.licence_id, before.owner.nsid) != (
            status.public,
            status.licence_id,
            status.owner.nsid,
        ):
            raise where.error(f"photo {status.photo_id} is listed twice, with different answers")
    return tuple(by_id.values())


def _listed(where: _Where, entry: Any, path: str, method: str) -> PhotoStatus:
    photo = where.as_obj(entry, path)
    tags = where.opt_string(photo, "tags", path)
    return PhotoStatus(
        photo_id=where.string(photo, "id", path),
        owner=Owner(
            nsid=where.string(photo, "owner", path),
            username=where.opt_string(photo, "ownername", path),
            alias=where.opt_string(photo, "pathalias", path),
        ),
        licence_id=where.opt_number(photo, "license", path),
        # These listings show only public photos; `ispublic` is there to confirm it.
        public=where.flag(photo, "ispublic", path, default=True),
        tags=tuple(tags.split()) if tags else (),
        uploaded_at=where.opt_number(photo, "dateupload", path),
        last_update=where.opt_number(photo, "lastupdate", path),
        title=_title(where, photo, path),
        method=method,
        raw=photo,
    )


def licence_history(body: Any) -> list[LicenceChange]:
    """A `flickr.photos.licenses.getLicenseHistory` answer, oldest change first.

    Flickr's order is not guaranteed, and the XML-to-JSON conversion gives a single entry as an
    object rather than a one-element list; both are accepted.
    """
    where = _Where(LICENCE_HISTORY)
    if not isinstance(body, Mapping) or "license_history" not in body:
        raise where.error("no 'license_history' in the answer")
    history = body["license_history"]
    entries = [history] if isinstance(history, Mapping) else history
    if not isinstance(entries, list):
        raise where.error(f"'license_history' is {_kind(history)}, not a list or an object")
    changes = []
    for i, entry in enumerate(entries):
        path = f"license_history[{i}]"
        item = where.as_obj(entry, path)
        changes.append(
            LicenceChange(
                changed_at=where.number(item, "date_change", path),
                old_name=where.string(item, "old_license", path),
                old_url=where.opt_string(item, "old_license_url", path) or "",
                new_name=where.opt_string(item, "new_license", path) or "",
                new_url=where.opt_string(item, "new_license_url", path) or "",
            )
        )
    return sorted(changes, key=lambda change: change.changed_at)


def licences(body: Any) -> list[FlickrLicence]:
    """A `flickr.photos.licenses.getInfo` answer, by id (Flickr's own order is not)."""
    where = _Where(LICENCES)
    table = where.obj(body, "licenses")
    entries = where.opt_list(table, "license", "licenses")
    result = []
    for i, entry in enumerate(entries):
        path = f"licenses.license[{i}]"
        item = where.as_obj(entry, path)
        result.append(
            FlickrLicence(
                id=where.number(item, "id", path),
                name=where.string(item, "name", path),
                url=where.opt_string(item, "url", path) or "",  # "" for All Rights Reserved once
            )
        )
    if not result:
        raise where.error("the licence table is empty")
    return sorted(result, key=lambda licence: licence.id)


def user_match(body: Any, method: str = LOOKUP_USER) -> UserMatch:
    """A `flickr.urls.lookupUser` or `flickr.people.findByUsername` answer."""
    where = _Where(method)
    user = where.obj(body, "user")
    nsid = where.opt_string(user, "nsid", "user") or where.string(user, "id", "user")
    username = user.get("username")
    return UserMatch(nsid=nsid, username=where.text(username, "user.username") or None)


def person(body: Any) -> Owner:
    """A `flickr.people.getInfo` answer: NSID, username and path alias."""
    where = _Where(PERSON_INFO)
    found = where.obj(body, "person")
    nsid = where.opt_string(found, "nsid", "person") or where.string(found, "id", "person")
    username = where.text(found.get("username"), "person.username") or None
    alias = where.opt_string(found, "path_alias", "person") or None
    return Owner(nsid=nsid, username=username, alias=alias)


def _title(where: _Where, photo: Mapping[str, Any], path: str) -> str | None:
    # getInfo wraps the title as {"_content": ...}; listings give a plain string.
    return where.text(photo.get("title"), f"{path}.title") or None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


_INT64 = 2**63


class _Where:
    """Typed field access that fails with `UnexpectedResponse` naming the method and field."""

    def __init__(self, method: str) -> None:
        self.method = method

    def error(self, detail: str) -> UnexpectedResponse:
        return UnexpectedResponse(self.method, detail)

    def as_obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(f"{path} is {_kind(value)}, not an object")
        return value

    def obj(self, parent: Any, key: str, path: str = "") -> Mapping[str, Any]:
        full = f"{path}.{key}" if path else key
        if not isinstance(parent, Mapping):
            raise self.error(f"the answer is {_kind(parent)}, not an object")
        if key not in parent:
            raise self.error(f"no '{full}' in the answer")
        return self.as_obj(parent[key], full)

    def opt_obj(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key)
        return {} if value is None else self.as_obj(value, f"{path}.{key}")

    def opt_list(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if isinstance(value, Mapping):  # one XML element becomes an object, not a list
            return [value]
        if not isinstance(value, list):
            raise self.error(f"{path}.{key} is {_kind(value)}, not a list")
        return value

    def string(self, parent: Mapping[str, Any], key: str, path: str) -> str:
        value = self.opt_string(parent, key, path)
        if value is None:
            raise self.error(f"no '{path}.{key}' in the answer")
        return value

    def opt_string(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """The field as text; None when absent, null or empty."""
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(f"{path}.{key} is {_kind(value)}, not text")
        text = str(value)
        return text if text.strip() else None

    def text(self, value: Any, path: str) -> str:
        """Plain text or Flickr's `{"_content": text}`; "" when absent."""
        if isinstance(value, Mapping):
            value = value.get("_content")
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(f"{path} is {_kind(value)}, not text")
        return str(value)

    def number(self, parent: Mapping[str, Any], key: str, path: str) -> int:
        value = self.opt_number(parent, key, path)
        if value is None:
            raise self.error(f"no '{path}.{key}' in the answer")
        return value

    def opt_number(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        """The field as a whole number, whether Flickr sent `"12"` or `12`; None when absent,
        null or ""."""
        value = parent.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(f"{path}.{key} is {_kind(value)}, not a number")
        try:
            number = int(str(value))
        except ValueError:
            raise self.error(f"{path}.{key} is {str(value)[:40]!r}, not a number") from None
        if not -_INT64 <= number < _INT64:
            # No id, count or time Flickr sends is this large; SQLite could not store it.
            raise self.error(f"{path}.{key} is {str(value)[:40]!r}, out of range")
        return number

    def flag(self, parent: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        """A 0/1 flag, `"0"`/`"1"` or 0/1; `default` only when the key is absent. Any other
        value (null, "", 2, -1, true) is an unexpected answer, never read as either."""
        if key not in parent:
            return default
        value = parent[key]
        if isinstance(value, bool) or str(value).strip() not in ("0", "1"):
            raise self.error(f"{path}.{key} is {str(value)[:40]!r}, not 0 or 1")
        return str(value).strip() == "1"
