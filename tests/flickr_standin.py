"""A local stand-in for the Flickr REST API, for tests and benchmarks over real HTTP.

It answers in the JSON shapes Flickr really uses (see the shared reference `flickr-api.md`),
including the quirks a client must survive: ids and counts that are strings in some answers and
ints in others, `path_alias` null or "", `stat: "fail"` with HTTP 200, getLicenseHistory as a
single object instead of a list, the 4,000-result search cap that repeats its last page, and
listings that silently omit non-safe photos. Transient faults (HTML 429 with Retry-After, 5xx,
codes 105/201, truncated bodies, slow answers) are injected on request, reproducibly.

Which quirk a photo or owner gets is decided by its id, so tests can pick one on purpose:

* getInfo `license`: a string for photos whose id ends in an even digit, an int otherwise.
* getInfo private photo: code 2 "Photo is private" for ids ending in an even digit, code 1
  "not found" otherwise.
* getLicenseHistory: a single object (not a list) when it has one entry and the id is divisible
  by 3.
* An owner without an alias: `path_alias`/`pathalias` null when the number before "@" in the
  NSID ends in an even digit, "" otherwise; people.getInfo `photos.count._content` is a string
  for the even ones and an int for the odd ones.
* licenses.getInfo `id`: a string for even licence ids, an int for odd ones.
* people.getPhotosOf `has_next_page`: a string ("0"/"1") on even pages, an int on odd ones; like
  Flickr for anyone but the caller, its pages carry no `pages` or `total`.

A usage sketch::

    world = World()
    alice = world.add_owner(Owner("11111111@N01", "alice", alias="alice-photos"))
    world.add_owner_photos(alice, 1200, start_id=100000)
    with FlickrStandIn(world, faults=Faults(rate=0.1)) as standin:
        requests.get(standin.url, params={"method": "flickr.photos.getInfo", ...})
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import hashlib
import html
import http
import io
import json
import random
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from calendar import timegm
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import requests
import requests.adapters
import requests.utils
from requests.structures import CaseInsensitiveDict

VALID_KEY = "standin-test-key-0123456789abcdef"
REST_PATH = "/services/rest/"
# Where `FlickrStandIn.session()` answers (.invalid never resolves, should a request escape).
IN_MEMORY_HOST = "flickr-standin.invalid"
IN_MEMORY_URL = f"http://{IN_MEMORY_HOST}{REST_PATH}"

# Flickr's licence table as recorded on 19 June 2025, in the order Flickr returns it.
FLICKR_LICENCES: list[tuple[int, str, str]] = [
    (
        0,
        "All Rights Reserved",
        (
            "https://www.flickrhelp.com/hc/en-us/articles/"
            "10710266545556-Using-Flickr-images-shared-by-other-members"
        ),
    ),
    (4, "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"),
    (6, "CC BY-ND 2.0", "https://creativecommons.org/licenses/by-nd/2.0/"),
    (3, "CC BY-NC-ND 2.0", "https://creativecommons.org/licenses/by-nc-nd/2.0/"),
    (2, "CC BY-NC 2.0", "https://creativecommons.org/licenses/by-nc/2.0/"),
    (1, "CC BY-NC-SA 2.0", "https://creativecommons.org/licenses/by-nc-sa/2.0/"),
    (5, "CC BY-SA 2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    (7, "No known copyright restrictions", "https://www.flickr.com/commons/usage/"),
    (8, "United States Government Work", "https://www.usa.gov/government-copyright"),
    (9, "Public Domain Dedication (CC0)", "https://creativecommons.org/publicdomain/zero/1.0/"),
    (10, "Public Domain Mark", "https://creativecommons.org/publicdomain/mark/1.0/"),
    (11, "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    (12, "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    (13, "CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    (14, "CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    (15, "CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    (16, "CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
]

# getLicenseHistory was recorded (May 2025) with the pre-June-2025 names, and its doc example
# gives All Rights Reserved an empty URL: the stand-in answers that way.
HISTORY_NAMES: dict[int, tuple[str, str]] = {
    0: ("All Rights Reserved", ""),
    1: (
        "Attribution-NonCommercial-ShareAlike License",
        "https://creativecommons.org/licenses/by-nc-sa/2.0/",
    ),
    2: ("Attribution-NonCommercial License", "https://creativecommons.org/licenses/by-nc/2.0/"),
    3: (
        "Attribution-NonCommercial-NoDerivs License",
        "https://creativecommons.org/licenses/by-nc-nd/2.0/",
    ),
    4: ("Attribution License", "https://creativecommons.org/licenses/by/2.0/"),
    5: ("Attribution-ShareAlike License", "https://creativecommons.org/licenses/by-sa/2.0/"),
    6: ("Attribution-NoDerivs License", "https://creativecommons.org/licenses/by-nd/2.0/"),
}

TRANSIENT_KINDS = ("html429", "http500", "http503", "code105", "code201", "truncated")
# echo503: a 503 whose reason phrase echoes the request's query string, api_key included, as
# some proxies do ("503 Busy /services/rest/?...&api_key=..."): the client must redact it.
FAULT_KINDS = frozenset({*TRANSIENT_KINDS, "echo503", "slow", "code100", "ok"})

HTML_429 = (
    "<html><body><h1>429 Too Many Requests</h1>"
    "You have sent too many requests in a given amount of time.</body></html>"
)
HTML_ERRORS = {
    404: "<html><body><h1>404 Not Found</h1>The requested URL was not found.</body></html>",
    500: "<html><body><h1>500 Internal Server Error</h1>Something went wrong.</body></html>",
    503: (
        "<html><body><h1>503 Service Unavailable</h1>"
        "No server is available to handle this request.</body></html>"
    ),
}

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
SEARCH_CAP = 4000

Json = dict[str, Any]


@dataclass
class Owner:
    nsid: str  # "12345678@N01"
    username: str  # Flickr screen name (the findByUsername namespace)
    alias: str | None = None  # path alias (the URL namespace, lookupUser); None = no alias
    realname: str = ""


@dataclass
class Photo:
    photo_id: str
    owner: str  # nsid
    licence_id: int  # current licence id; any int (e.g. 99) to test unknown ids
    uploaded_at: int  # unix seconds
    public: bool = True  # False: getInfo fails (code 1 or 2), never listed
    deleted: bool = False  # getInfo code 1 "not found"; never listed
    safety_level: int = 0  # 0 safe, 1 moderate, 2 restricted: only 0 is listed (unauthenticated)
    tags: list[str] = field(default_factory=list)  # raw, as the owner typed them
    title: str = ""
    last_update: int | None = None  # None: the latest of upload and licence changes
    # Licence changes (date_change, old_licence_id, new_licence_id), oldest first; a None new id
    # is Flickr's "never changed" entry. history=None: one such entry at upload time.
    history: list[tuple[int, int, int | None]] | None = None
    # Misbehaviour, for hardening tests: getInfo and listings answer `ispublic: 0` (a key-only
    # caller should never see such a photo); getInfo answers with another photo's id.
    answers_not_public: bool = False
    answered_as: str | None = None
    # NSIDs of the people tagged in the photo (people.getPhotosOf finds it for each of them).
    people: list[str] = field(default_factory=list)


@dataclass
class Faults:
    """Which requests get a fault instead of (or before) their answer.

    Order: `photo_faults` (every request naming that photo_id, every time), then `script` (one
    entry consumed per request), then a random draw with probability `rate` from `kinds`. Only
    requests for `methods` are faulted when it is set (and only they consume the script).
    Kinds: html429, http500, http503, code105, code201, truncated, plus echo503, slow, code100
    and ok.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = TRANSIENT_KINDS
    retry_after: int = 1  # seconds, sent as Retry-After with html429
    seed: int = 0
    script: list[str] = field(default_factory=list)
    slow_seconds: float = 2.0
    methods: frozenset[str] | None = None
    # A persistent fault for one photo (e.g. {"2003": "http503"}: it never answers).
    photo_faults: dict[str, str] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = {*self.kinds, *self.script, *self.photo_faults.values()} - FAULT_KINDS
        if unknown:
            raise ValueError(f"unknown fault kind(s): {sorted(unknown)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be in 0..1, not {self.rate}")
        self._rng = random.Random(self.seed)

    def draw(self, params: dict[str, str]) -> str | None:
        """The fault for one request, or None. Not thread-safe: the server holds a lock."""
        if self.methods is not None and params.get("method") not in self.methods:
            return None
        kind: str | None = self.photo_faults.get(params.get("photo_id", ""))
        if kind is None and self.script:
            kind = self.script.pop(0)
        elif kind is None and self.rate > 0 and self._rng.random() < self.rate and self.kinds:
            kind = self._rng.choice(self.kinds)
        return None if kind == "ok" else kind


def _sort_key(photo: Photo) -> tuple[int, int, str]:
    # Numeric ids compare as numbers without int() failing on odd test ids.
    return (photo.uploaded_at, len(photo.photo_id), photo.photo_id)


class World:
    """The photos and owners the stand-in serves.

    Photos are indexed by owner in upload order at `add_photo`: change `owner` or `uploaded_at`
    by adding the photo again. Everything else (licence, visibility, tags, history) is read per
    request, so tests may change it between requests.
    """

    def __init__(self) -> None:
        self.owners: dict[str, Owner] = {}
        self.photos: dict[str, Photo] = {}
        self._by_owner: dict[str, list[Photo]] = collections.defaultdict(list)
        self._unsorted: set[str] = set()
        self._lock = threading.Lock()

    def add_owner(self, owner: Owner) -> Owner:
        self.owners[owner.nsid] = owner
        return owner

    def add_photo(self, photo: Photo) -> Photo:
        if photo.owner not in self.owners:
            raise KeyError(f"photo {photo.photo_id}: add its owner {photo.owner} first")
        with self._lock:
            old = self.photos.get(photo.photo_id)
            if old is not None:
                self._by_owner[old.owner].remove(old)
            self.photos[photo.photo_id] = photo
            # Sorted lazily: insort per photo is quadratic for owners with 100k photos.
            self._by_owner[photo.owner].append(photo)
            self._unsorted.add(photo.owner)
        return photo

    def add_owner_photos(
        self,
        owner: Owner | str,
        count: int,
        *,
        start_id: int,
        licence_id: int = 4,
        start_time: int = 1_200_000_000,
        step: int = 3600,
        **fields: Any,
    ) -> list[Photo]:
        """`count` photos of `owner` (added if new), ids start_id, start_id+1, ..., uploaded
        `step` seconds apart from `start_time`; `fields` are passed to every `Photo`."""
        if isinstance(owner, Owner):
            self.owners.setdefault(owner.nsid, owner)
            nsid = owner.nsid
        else:
            nsid = owner
        return [
            self.add_photo(
                Photo(str(start_id + i), nsid, licence_id, start_time + step * i, **fields)
            )
            for i in range(count)
        ]

    def owner_photos(self, nsid: str) -> list[Photo]:
        """A copy of the owner's photos, oldest upload first (all of them, listable or not)."""
        with self._lock:
            photos = self._by_owner.get(nsid, [])
            if nsid in self._unsorted:
                photos.sort(key=_sort_key)
                self._unsorted.discard(nsid)
            return list(photos)


def normalise_tag(raw: str) -> str:
    """Flickr's normalised tag: lower case, every character that is not a letter or digit gone."""
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def _last_digit(text: str) -> int:
    for ch in reversed(text):
        if ch.isdigit():
            return int(ch)
    return sum(map(ord, text)) % 10


def _nsid_even(nsid: str) -> bool:
    return _last_digit(nsid.partition("@")[0]) % 2 == 0


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _listable(photo: Photo) -> bool:
    # Unauthenticated listings: public, not deleted, and Safe only.
    return photo.public and not photo.deleted and photo.safety_level == 0


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name, ""))
    except ValueError:
        return default  # Flickr ignores what it cannot parse


def _time_param(params: dict[str, str], name: str) -> int | None:
    """Unix seconds, or a MySQL datetime (taken as UTC); None if absent or unparseable."""
    value = params.get(name, "").strip()
    if not value:
        return None
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return timegm(datetime.strptime(value, fmt).timetuple())
        except ValueError:
            continue
    return None


def _taken(uploaded_at: int) -> str:
    return datetime.fromtimestamp(uploaded_at, UTC).strftime("%Y-%m-%d %H:%M:%S")


class _Fail(Exception):
    """A `stat: "fail"` answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise _Fail(1, "Required parameter missing")
    return value


class _Api:
    """The methods: each takes the request's parameters and returns the payload or raises _Fail."""

    def __init__(self, world: World, licences: list[tuple[int, str, str]]) -> None:
        self.world = world
        self.licences = licences
        self.methods: dict[str, Callable[[dict[str, str]], Json]] = {
            "flickr.photos.getInfo": self.photo_info,
            "flickr.people.getPublicPhotos": self.public_photos,
            "flickr.photos.search": self.search,
            "flickr.photos.licenses.getInfo": self.licence_table,
            "flickr.photos.licenses.getLicenseHistory": self.licence_history,
            "flickr.urls.lookupUser": self.lookup_user,
            "flickr.people.findByUsername": self.find_by_username,
            "flickr.people.getInfo": self.person_info,
            "flickr.people.getPhotosOf": self.photos_of,
        }

    # -- helpers --

    def _owner(self, nsid: str) -> Owner:
        # A photo put straight into world.photos may have no registered owner.
        return self.world.owners.get(nsid) or Owner(nsid, nsid)

    @staticmethod
    def _alias_value(owner: Owner) -> str | None:
        if owner.alias:
            return owner.alias
        return None if _nsid_even(owner.nsid) else ""

    @staticmethod
    def _url_name(owner: Owner) -> str:
        return owner.alias or owner.nsid

    @staticmethod
    def _tags(photo: Photo) -> list[tuple[str, str]]:
        """(raw, normalised) pairs; Flickr keeps one tag per normalised form, none empty."""
        seen: dict[str, str] = {}
        for raw in photo.tags:
            normal = normalise_tag(raw)
            if normal and normal not in seen:
                seen[normal] = raw
        return [(raw, normal) for normal, raw in seen.items()]

    @staticmethod
    def _last_update(photo: Photo) -> int:
        if photo.last_update is not None:
            return photo.last_update
        changes = [change[0] for change in photo.history or []]
        return max([photo.uploaded_at, *changes])

    @staticmethod
    def _image_fields(photo: Photo) -> Json:
        digest = _digest(photo.photo_id)
        return {
            "secret": digest[:10],
            "server": str(1000 + int(digest[10:14], 16) % 9000),
            "farm": 1 + int(digest[14], 16) % 9,
        }

    def _visible_photo(self, params: dict[str, str], *, history: bool) -> Photo:
        photo_id = _required(params, "photo_id")
        photo = self.world.photos.get(photo_id)
        if history:
            if photo is None or photo.deleted or not photo.public:
                raise _Fail(1, "Photo not found")
            return photo
        not_found = _Fail(1, f'Photo "{photo_id}" not found (invalid ID)')
        if photo is None or photo.deleted:
            raise not_found
        if not photo.public:
            # Flickr answered code 2 in 2024 and code 1 in 2025 for the same private photo.
            raise _Fail(2, "Photo is private") if _last_digit(photo_id) % 2 == 0 else not_found
        return photo

    # -- methods --

    def photo_info(self, params: dict[str, str]) -> Json:
        photo = self._visible_photo(params, history=False)
        owner = self._owner(photo.owner)
        owner_num = owner.nsid.partition("@")[0]
        even = _last_digit(photo.photo_id) % 2 == 0
        posted = str(photo.uploaded_at)
        tags = [
            {
                "id": f"{owner_num}-{photo.photo_id}-{n}",
                "author": owner.nsid,
                "authorname": owner.username,
                "raw": raw,
                "_content": normal,
                "machine_tag": 0,
            }
            for n, (raw, normal) in enumerate(self._tags(photo), start=1)
        ]
        icon = _digest(owner.nsid)
        info: Json = {
            "id": photo.answered_as or photo.photo_id,
            **self._image_fields(photo),
            "dateuploaded": posted,
            "isfavorite": 0,
            "license": str(photo.licence_id) if even else photo.licence_id,
            "safety_level": str(photo.safety_level),
            "rotation": 0,
            "owner": {
                "nsid": owner.nsid,
                "username": owner.username,
                "realname": owner.realname,
                "location": "",
                "iconserver": str(int(icon[:4], 16) % 9000),
                "iconfarm": 1 + int(icon[4], 16) % 9,
                "path_alias": self._alias_value(owner),
            },
            "title": {"_content": html.escape(photo.title, quote=False)},
            "description": {"_content": ""},
            "visibility": {
                "ispublic": 0 if photo.answers_not_public else 1,
                "isfriend": 0,
                "isfamily": 0,
            },
            "dates": {
                "posted": posted,
                "taken": _taken(photo.uploaded_at),
                "takengranularity": "0" if even else 0,
                "takenunknown": 0,
                "lastupdate": str(self._last_update(photo)),
            },
            "views": "0",
            "editability": {"cancomment": 0, "canaddmeta": 0},
            "publiceditability": {"cancomment": 1, "canaddmeta": 0},
            "usage": {"candownload": 1, "canblog": 0, "canprint": 0, "canshare": 1},
            "comments": {"_content": "0" if even else 0},
            "notes": {"note": []},
            "people": {"haspeople": 1 if photo.people else 0},
            "tags": {"tag": tags},
            "urls": {
                "url": [
                    {
                        "type": "photopage",
                        "_content": "https://www.flickr.com/photos/"
                        f"{self._url_name(owner)}/{photo.photo_id}/",
                    }
                ]
            },
            "media": "photo",
        }
        return {"photo": info}

    def _list_item(self, photo: Photo, extras: set[str]) -> Json:
        item: Json = {
            "id": photo.photo_id,
            "owner": photo.owner,
            **self._image_fields(photo),
            "title": photo.title,
            "ispublic": 0 if photo.answers_not_public else 1,
            "isfriend": 0,
            "isfamily": 0,
        }
        owner = self._owner(photo.owner)
        if "license" in extras:
            item["license"] = str(photo.licence_id)
        if "date_upload" in extras:
            item["dateupload"] = str(photo.uploaded_at)
        if "date_taken" in extras:
            item["datetaken"] = _taken(photo.uploaded_at)
            item["datetakengranularity"] = "0"
            item["datetakenunknown"] = 0
        if "owner_name" in extras:
            item["ownername"] = owner.username
        if "realname" in extras:
            item["realname"] = owner.realname
        if "last_update" in extras:
            item["lastupdate"] = str(self._last_update(photo))
        if "tags" in extras:
            item["tags"] = " ".join(normal for _, normal in self._tags(photo))
        if "path_alias" in extras:
            item["pathalias"] = self._alias_value(owner)
        if "safety_level" in extras:
            item["safety_level"] = str(photo.safety_level)
        if "media" in extras:
            item["media"] = "photo"
            item["media_status"] = "ready"
        return item

    def _page(self, params: dict[str, str], photos: list[Photo], *, cap: int | None = None) -> Json:
        """A standard photo list; `photos` in answer order. With `cap`, pages past the first
        `cap` results repeat the last page within it (Flickr's search cap)."""
        per_page = _int_param(params, "per_page", DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(_int_param(params, "page", 1), 1)
        total = len(photos)
        start = (page - 1) * per_page
        end = start + per_page
        if cap is not None and total > cap:
            if start >= cap:
                last = -(-cap // per_page)  # the last page within the cap
                start = (last - 1) * per_page
            end = min(start + per_page, cap)
        extras = {e.strip() for e in params.get("extras", "").split(",") if e.strip()}
        return {
            "photos": {
                "page": page,
                "pages": -(-total // per_page),
                "perpage": per_page,
                "total": str(total),
                "photo": [self._list_item(p, extras) for p in photos[start:end]],
            }
        }

    def public_photos(self, params: dict[str, str]) -> Json:
        nsid = _required(params, "user_id")
        if nsid not in self.world.owners:
            raise _Fail(1, "User not found")
        photos = [p for p in self.world.owner_photos(nsid) if _listable(p)]
        photos.reverse()  # newest upload first
        return self._page(params, photos)

    def photos_of(self, params: dict[str, str]) -> Json:
        """The public, safe photos the user is tagged in (newest upload first), whoever took
        them; `owner_id` keeps one owner's. As Flickr answers about anyone but the caller: no
        `pages` or `total`, only `has_next_page`."""
        nsid = _required(params, "user_id")
        if nsid not in self.world.owners:
            raise _Fail(1, "User not found.")
        owner_id = params.get("owner_id", "")
        with self.world._lock:
            tagged = [
                p
                for p in self.world.photos.values()
                if nsid in p.people and _listable(p) and (not owner_id or p.owner == owner_id)
            ]
        tagged.sort(key=_sort_key, reverse=True)
        answer = self._page(params, tagged)
        photos = answer["photos"]
        more = photos.pop("pages") > photos["page"]
        del photos["total"]
        photos["has_next_page"] = str(int(more)) if photos["page"] % 2 == 0 else int(more)
        return answer

    def search(self, params: dict[str, str]) -> Json:
        nsid = params.get("user_id", "")
        if not nsid:
            # The stand-in only searches one user's photos: anything else counts as parameterless.
            raise _Fail(
                3,
                "Parameterless searches have been disabled. "
                "Please use flickr.photos.getRecent instead.",
            )
        if nsid not in self.world.owners:
            raise _Fail(2, "Unknown user")
        photos = self.world.owner_photos(nsid)
        low = _time_param(params, "min_upload_date")
        high = _time_param(params, "max_upload_date")
        lo = 0 if low is None else bisect.bisect_left(photos, low, key=lambda p: p.uploaded_at)
        hi = (
            len(photos)
            if high is None
            else bisect.bisect_right(photos, high, key=lambda p: p.uploaded_at)
        )
        wanted_licences = {
            int(x) for x in params.get("license", "").split(",") if x.strip().lstrip("-").isdigit()
        }
        selected = [
            p
            for p in photos[lo:hi]
            if _listable(p) and (not wanted_licences or p.licence_id in wanted_licences)
        ]
        if params.get("sort", "date-posted-desc") not in ("date-posted-asc", "date-taken-asc"):
            selected.reverse()  # default and unknown sorts: newest first
        return self._page(params, selected, cap=SEARCH_CAP)

    def licence_table(self, params: dict[str, str]) -> Json:
        return {
            "licenses": {
                "license": [
                    {"id": str(lid) if lid % 2 == 0 else lid, "name": name, "url": url}
                    for lid, name, url in self.licences
                ]
            }
        }

    def _history_name(self, licence_id: int | None) -> tuple[str, str]:
        if licence_id is None:
            return ("", "")
        if licence_id in HISTORY_NAMES:
            return HISTORY_NAMES[licence_id]
        for lid, name, url in self.licences:
            if lid == licence_id:
                return (name, url)
        return (f"License {licence_id}", "")

    def licence_history(self, params: dict[str, str]) -> Json:
        photo = self._visible_photo(params, history=True)
        changes = photo.history
        if changes is None:
            changes = [(photo.uploaded_at, photo.licence_id, None)]
        entries = []
        for date_change, old, new in changes:
            old_name, old_url = self._history_name(old)
            new_name, new_url = self._history_name(new)
            entries.append(
                {
                    "date_change": str(date_change),
                    "old_license": old_name,
                    "old_license_url": old_url,
                    "new_license": new_name,
                    "new_license_url": new_url,
                }
            )
        numeric = photo.photo_id.isdigit() and int(photo.photo_id) % 3 == 0
        if len(entries) == 1 and numeric:
            return {"license_history": entries[0]}  # XML→JSON of one element: no list
        return {"license_history": entries}

    def _by_url_name(self, name: str) -> Owner | None:
        lowered = name.lower()
        for owner in self.world.owners.values():
            if owner.nsid.lower() == lowered or (owner.alias and owner.alias.lower() == lowered):
                return owner
        return None

    def lookup_user(self, params: dict[str, str]) -> Json:
        url = _required(params, "url").strip()
        if "://" not in url:
            url = "https://" + url
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        segments = [s for s in parts.path.split("/") if s]
        owner = None
        flickr = host in ("flickr.com", "www.flickr.com", "m.flickr.com")
        if flickr and len(segments) >= 2 and segments[0] in ("photos", "people"):
            owner = self._by_url_name(urllib.parse.unquote(segments[1]))
        if owner is None:
            raise _Fail(1, "User not found")
        return {"user": {"id": owner.nsid, "username": {"_content": owner.username}}}

    def find_by_username(self, params: dict[str, str]) -> Json:
        username = _required(params, "username").lower()
        for owner in self.world.owners.values():
            if owner.username.lower() == username:
                return {
                    "user": {
                        "id": owner.nsid,
                        "nsid": owner.nsid,
                        "username": {"_content": owner.username},
                    }
                }
        raise _Fail(1, "User not found")

    def person_info(self, params: dict[str, str]) -> Json:
        nsid = _required(params, "user_id")
        owner = self.world.owners.get(nsid)
        if owner is None:
            raise _Fail(1, "User not found")
        public = [p for p in self.world.owner_photos(nsid) if p.public and not p.deleted]
        count = len(public)
        even = _nsid_even(nsid)
        icon = _digest(nsid)
        person: Json = {
            "id": nsid,
            "nsid": nsid,
            "ispro": 0,
            "is_deleted": 0,
            "iconserver": str(int(icon[:4], 16) % 9000),
            "iconfarm": 1 + int(icon[4], 16) % 9,
            "path_alias": self._alias_value(owner),
            "has_stats": 0,
            "username": {"_content": owner.username},
        }
        if owner.realname:  # absent when not set
            person["realname"] = {"_content": owner.realname}
        name = self._url_name(owner)
        person |= {
            "location": {"_content": ""},
            "description": {"_content": ""},
            "photosurl": {"_content": f"https://www.flickr.com/photos/{name}/"},
            "profileurl": {"_content": f"https://www.flickr.com/people/{name}/"},
            "photos": {
                "firstdatetaken": {"_content": _taken(public[0].uploaded_at) if public else ""},
                "firstdate": {"_content": str(public[0].uploaded_at) if public else ""},
                "count": {"_content": str(count) if even else count},
            },
        }
        return {"person": person}


def _encode(payload: Json) -> str:
    # Flickr escapes "/" and non-ASCII in its JSON; "/" only occurs inside strings.
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, standin: FlickrStandIn) -> None:
        self.standin = standin
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def close_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().close_request(request)

    def drop_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they finish."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (or stop() dropping them) are normal; anything else is a bug here.
        if not isinstance(sys.exc_info()[1], OSError):
            traceback.print_exc()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Flickr: the benchmark reuses connections
    server_version = "flickr-standin"
    disable_nagle_algorithm = True  # headers and body are separate writes: no delayed-ACK stall
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no request log on stderr

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length > 0 else b"")

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        reason: str | None = None,
    ) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, form: bytes) -> None:
        parts = urllib.parse.urlsplit(self.path)
        reply = self.server.standin.reply(parts.path, _params(parts.query, form))
        self._send(reply.status, reply.content_type, reply.body, reply.headers, reply.reason)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer of the stand-in, whichever way it is delivered."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None  # the HTTP reason phrase; the status's standard one when None


def _params(query: str, form: bytes | str) -> dict[str, str]:
    """Request parameters as Flickr reads them: the query string, then the form body."""
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if isinstance(form, bytes):
        form = form.decode("utf-8", "replace")
    params.update(urllib.parse.parse_qsl(form, keep_blank_values=True))
    return params


def _fail(code: int, message: str) -> Json:
    return {"stat": "fail", "code": code, "message": message}


def _invalid_key() -> Json:
    return _fail(100, "Invalid API Key (Key has invalid format)")


def _wrap(params: dict[str, str], answer: Json) -> tuple[str, bytes]:
    """The JSON body, or JSONP `jsonFlickrApi(...)` without nojsoncallback=1 (as Flickr)."""
    text = _encode(answer)
    if params.get("nojsoncallback") == "1":
        return "application/json; charset=utf-8", text.encode()
    callback = params.get("jsoncallback") or "jsonFlickrApi"
    return "text/javascript; charset=utf-8", f"{callback}({text})".encode()


class FlickrStandIn:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port) serving the Flickr REST API for
    `world`. Use as a context manager (starts a daemon thread; stops and closes on exit), or
    `.start()`/`.stop()`.

    `requests` holds every request's parameters (query and form) without api_key, in arrival
    order, and `arrived` their arrival times (`time.monotonic()`); `calls()` counts them by
    method. `faults` may be replaced or changed between requests. Every answer waits `latency`
    seconds first. `url` is set by `start()`; `session()` answers without the server.
    """

    def __init__(
        self,
        world: World,
        *,
        faults: Faults | None = None,
        latency: float = 0.0,
        licences: list[tuple[int, str, str]] | None = None,
    ) -> None:
        self.world = world
        self.faults = faults if faults is not None else Faults()
        self.latency = latency
        self.requests: list[dict[str, str]] = []
        self.arrived: list[float] = []  # time.monotonic() of each request's arrival, in order
        self._api = _Api(world, list(FLICKR_LICENCES if licences is None else licences))
        self._calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle --

    def start(self) -> FlickrStandIn:
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}{REST_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="flickr-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()  # cuts latency and "slow" sleeps short
        server.shutdown()
        thread.join()
        server.drop_connections()
        server.server_close()  # joins the handler threads
        self._server = self._thread = None

    def __enter__(self) -> FlickrStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- bookkeeping --

    def calls(self) -> collections.Counter[str]:
        """Requests answered so far, by `method` (faulted ones included)."""
        with self._lock:
            return collections.Counter(self._calls)

    def _arrive(self, params: dict[str, str]) -> tuple[str | None, Faults]:
        logged = {k: v for k, v in params.items() if k != "api_key"}
        with self._lock:
            self.arrived.append(time.monotonic())
            self.requests.append(logged)
            self._calls[params.get("method", "")] += 1
            faults = self.faults
            return faults.draw(params), faults

    def reply(self, path: str, params: dict[str, str]) -> Reply:
        """The answer to one request for `path` with `params` (query and form), after the
        injected latency and faults: what the HTTP server sends, and the in-memory session."""
        if path != REST_PATH:
            return Reply(404, "text/html; charset=utf-8", HTML_ERRORS[404].encode())
        fault, faults = self._arrive(params)
        self._sleep(self.latency)
        if fault in ("html429", "http500", "http503"):
            status = {"html429": 429, "http500": 500, "http503": 503}[fault]
            retry = (("Retry-After", str(faults.retry_after)),) if status == 429 else ()
            body = (HTML_429 if status == 429 else HTML_ERRORS[status]).encode()
            return Reply(status, "text/html; charset=utf-8", body, retry)
        if fault == "echo503":
            reason = f"Busy {path}?{urllib.parse.urlencode(params)}"
            return Reply(503, "text/plain; charset=utf-8", reason.encode(), reason=reason)
        if fault == "slow":
            self._sleep(faults.slow_seconds)
        if fault in ("code100", "code105", "code201"):
            answer: Json = {
                "code100": _invalid_key(),
                "code105": _fail(105, "Service currently unavailable"),
                "code201": _fail(201, "Sorry, the Flickr API service is not currently available."),
            }[fault]
            content_type, body = _wrap(params, answer)
        else:
            content_type, body = self._answer(params)
        if fault == "truncated":
            body = body[: len(body) // 2]
        return Reply(200, content_type, body)

    def session(self) -> requests.Session:
        """A `requests.Session` answering `IN_MEMORY_URL` from this stand-in without a socket
        (no server needed, `start()` or not): for benchmarks that count calls on big worlds,
        where HTTP would only add time. Latency and faults apply as over HTTP, except that a
        "slow" answer is only late (no read timeout), and nothing else is reachable."""
        session = requests.Session()
        session.trust_env = False  # no proxy or netrc lookups: nothing leaves the process
        adapter = _InMemoryAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _answer(self, params: dict[str, str]) -> tuple[str, bytes]:
        fmt = params.get("format", "")
        if fmt != "json":
            # The stand-in speaks JSON only; Flickr's own "unknown format" error, in XML.
            message = html.escape(f'Format "{fmt or "rest"}" not found (stand-in: json only)')
            body = (
                '<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n'
                f'\t<err code="111" msg="{message}" />\n</rsp>\n'
            )
            return "text/xml; charset=utf-8", body.encode()
        if params.get("api_key") != VALID_KEY:
            return _wrap(params, _invalid_key())
        method = params.get("method", "")
        handler = self._api.methods.get(method)
        try:
            if handler is None:
                raise _Fail(112, f'Method "{method}" not found')
            answer = {**handler(params), "stat": "ok"}
        except _Fail as fail:
            answer = _fail(fail.code, fail.message)
        return _wrap(params, answer)


class _InMemoryAdapter(requests.adapters.BaseAdapter):
    """Answers every request a session sends from the stand-in, in the calling thread."""

    def __init__(self, standin: FlickrStandIn) -> None:
        super().__init__()
        self.standin = standin

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | tuple[float, float] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        parts = urllib.parse.urlsplit(request.url or "")
        if parts.hostname != IN_MEMORY_HOST:
            # As a firewall would: the in-memory stand-in is the only endpoint there is.
            raise requests.ConnectionError(f"in-memory stand-in: no route to {parts.hostname}")
        reply = self.standin.reply(parts.path, _params(parts.query, request.body or b""))
        response = requests.Response()
        response.status_code = reply.status
        response.reason = reply.reason or http.HTTPStatus(reply.status).phrase
        response.headers = CaseInsensitiveDict(
            {
                "Content-Type": reply.content_type,
                "Content-Length": str(len(reply.body)),
                **dict(reply.headers),
            }
        )
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(reply.body)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass
