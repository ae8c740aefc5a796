"""Flickr photo ids and owners out of the values real dataset manifests hold.

`parse_flickr_ref` turns one cell (a number, a URL, junk) into a `FlickrRef`: the photo id, the
owner when the value names one, what kind of reference it was, and, when there is no photo id, a
short phrase saying why. It never raises. `parse_owner` reads an owner (NSID or path alias) out of
an owner / creator / profile column.

Forms handled (any host case, `http://`, `https://`, `//` or no scheme, surrounding whitespace or
quotes, a query string and a fragment):

- bare ids: `"7088065"`, `7088065`, `7088065.0` (pandas turns id columns with gaps into floats),
  `"7088065.0"` -> kind `"id"`;
- static image URLs -> kind `"static"`, owner always None (static URLs never name the owner):
  `farmN.staticflickr.com/SERVER/ID_SECRET[_SIZE][_d].ext`, `farmN.static.flickr.com/...`,
  `live.staticflickr.com/SERVER/ID_...`, `cN.staticflickr.com/FARM/SERVER/ID_...`,
  `static.flickr.com/SERVER/ID_...`, `photosN.flickr.com/ID_SECRET_b.jpg`,
  `live.staticflickr.com/video/ID/SECRET/1080p.mp4`; buddy icons `.../buddyicons/NSID.jpg` give
  the owner and no photo;
- photo pages -> kind `"page"`: `(www.|m.|secure.)flickr.com/photos/WHO/ID[/in/...|/sizes/l/|...]`,
  the old `flickr.com/photo/WHO/ID`, `m.flickr.com/#/photos/WHO/ID`, `photo.gne?id=ID`,
  `photo_zoom.gne?id=ID`, `photo_exif.gne?id=ID`, `photo.gne?short=BASE58`,
  `apps/video/stewart.swf?photo_id=ID`;
- short links -> kind `"short"`: `flic.kr/p/BASE58` (Flickr's base58 alphabet, not Bitcoin's);
- photostreams and profiles -> kind `"profile"`, owner set: `/photos/WHO/`, `/photos/WHO/pageN`,
  `/photos/WHO/with/ID`, `/people/WHO/`;
- everything else -> kind `"other"` with a problem: albums and sets, galleries, favorites,
  collections, groups, tag pages, guest passes (`/gp/...`), `flic.kr/s/`, `/y/`, `/ps/`, other
  Flickr pages, other sites, empty values and junk. A user page (album, favorites, guest pass)
  still reports its owner.

Ids are ASCII digits without leading zeros, at most 20 of them. A zero-padded number is refused on
purpose: `000000397133` is a COCO image id, and read as a Flickr id it names someone else's photo.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import quote

FLICKR_BASE58_ALPHABET: Final = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_B58_INDEX: Final = {ch: i for i, ch in enumerate(FLICKR_BASE58_ALPHABET)}

_MAX_ID_DIGITS: Final = 20
_MAX_ID: Final = 10**_MAX_ID_DIGITS  # exclusive
_FLOAT_EXACT: Final = 2**53  # floats at or above this may no longer hold the integer that was meant

# Problems: short constant phrases, so a report can count rows per problem.
_P_EMPTY: Final = "empty value"
_P_JUNK: Final = "not a Flickr photo id or URL"
_P_NOT_FLICKR: Final = "not a Flickr URL"
_P_BOOL: Final = "true/false value, not a photo id"
_P_NOT_POSITIVE: Final = "number is not a positive photo id"
_P_FRACTION: Final = "number with a fraction, not a photo id"
_P_FLOAT_INEXACT: Final = "float too large to hold a photo id exactly"
_P_SCIENTIFIC: Final = "number in scientific notation (digits lost, e.g. by a spreadsheet)"
_P_TOO_LONG: Final = "number too long for a photo id (over 20 digits)"
_P_LEADING_ZERO: Final = "number with leading zeros, not a Flickr photo id"
_P_NOT_NUMBER: Final = "photo id in the URL is not a number"
_P_STATIC_NAME: Final = "static Flickr file name does not start with a photo id"
_P_STATIC_OTHER: Final = "static Flickr file that is not a photo"
_P_BUDDY: Final = "buddy icon, not a photo"
_P_ALBUM: Final = "album URL, not a photo"
_P_GALLERY: Final = "gallery URL, not a photo"
_P_FAVORITES: Final = "favorites page, not a photo"
_P_COLLECTION: Final = "collection URL, not a photo"
_P_GROUP: Final = "group URL, not a photo"
_P_TAGS: Final = "tag page, not a photo"
_P_GUEST: Final = "guest pass URL needs a redirect to resolve"
_P_PROFILE: Final = "photostream or profile URL, not a photo"
_P_FLICKR_OTHER: Final = "Flickr URL that is not a photo page"
_P_GNE_NO_ID: Final = "photo.gne URL without a photo id"
_P_SHORT_B58: Final = "flic.kr short id is not base58"
_P_SHORT_ALBUM: Final = "flic.kr album link needs a redirect to resolve"
_P_SHORT_GALLERY: Final = "flic.kr gallery link needs a redirect to resolve"
_P_SHORT_PEOPLE: Final = "flic.kr profile link needs a redirect to resolve"
_P_SHORT_OTHER: Final = "flic.kr URL that is not a photo"

# Whitespace of every kind, a byte-order mark (first cell of a CSV read without utf-8-sig),
# zero-width space, and the quotes / angle brackets that wrap URLs pasted from text or HTML.
_STRIP: Final = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\ufeff\u200b\"'<>"
# Stringified missing values, compared lower-cased, all at most 4 chars: the short ones among
# pandas.read_csv's default na_values ("<NA>" arrives here as "na", its brackets stripped), and
# Postgres COPY's `\N` (the Openverse TSV).
_NULL_TOKENS: Final = frozenset({"nan", "-nan", "none", "null", "na", "n/a", "#n/a", "#na", "\\n"})

# [0-9], never \d: \d also matches Arabic-Indic and other Unicode digits.
_NSID_RE: Final = re.compile(r"[0-9]+@[Nn][0-9]{2}")
_ALIAS_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A number that is not a plain id, to say what is wrong with it (only tried on the slow path).
_NUMBER_RE: Final = re.compile(
    r"(?P<sign>[+-]?)(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?P<exp>[eE][+-]?[0-9]+)?"
)
# Always matches: (authority, path, query, fragment); the scheme, if any, is dropped. A regex
# split costs a fraction of urllib.parse.urlsplit and needs no try/except.
_SPLIT_RE: Final = re.compile(
    r"(?:(?:https?:)?//)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.IGNORECASE | re.DOTALL
)
_PHOTOS_N_HOST_RE: Final = re.compile(r"photos[0-9]*\.flickr\.com")
_GNE_QUERY_RE: Final = re.compile(r"(?:^|[&;])(id|photo_id|short)=([^&;]*)", re.IGNORECASE)
_VIDEO_RE: Final = re.compile(r"/video/([0-9]+)(?:/|$)", re.IGNORECASE)

_PAGE_HOSTS: Final = frozenset(
    {"flickr.com", "www.flickr.com", "m.flickr.com", "secure.flickr.com"}
)
_STATIC_HOSTS: Final = frozenset({"staticflickr.com", "static.flickr.com"})
_STATIC_SUFFIXES: Final = (".staticflickr.com", ".static.flickr.com")  # farmN., live., cN., ...
_SHORT_HOSTS: Final = frozenset({"flic.kr", "www.flic.kr"})
_GNE_PAGES: Final = frozenset({"photo.gne", "photo_zoom.gne", "photo_exif.gne"})
# Words after /photos/ that are Flickr features, not users.
_RESERVED_WHO: Final = frozenset({"tags", "upload", "organize", "friends", "me"})
# /photos/WHO/<word>/...: pages of a user that are not one photo.
_USER_SUBPAGES: Final = {
    "albums": _P_ALBUM,
    "sets": _P_ALBUM,
    "galleries": _P_GALLERY,
    "favorites": _P_FAVORITES,
    "collections": _P_COLLECTION,
    "tags": _P_TAGS,
}
_SHORT_PREFIXES: Final = {"s": _P_SHORT_ALBUM, "y": _P_SHORT_GALLERY, "ps": _P_SHORT_PEOPLE}


def base58_encode(n: int) -> str:
    """Flickr's base58 (the `flic.kr/p/` short id) of a photo id `n >= 1`."""
    if isinstance(n, bool):  # bool is an int; True is not a photo id
        raise ValueError("base58_encode needs an integer >= 1, not a bool")
    n = operator.index(n)  # TypeError for floats and strings
    if n < 1:
        raise ValueError(f"base58_encode needs an integer >= 1, got {n}")
    digits: list[str] = []
    while n:
        n, r = divmod(n, 58)
        digits.append(FLICKR_BASE58_ALPHABET[r])
    return "".join(reversed(digits))


def base58_decode(s: str) -> int:
    """The integer a Flickr base58 string stands for; ValueError if empty or not base58."""
    if not s:
        raise ValueError("empty base58 string")
    n = 0
    for ch in s:
        digit = _B58_INDEX.get(ch)
        if digit is None:  # 0, O, I, l and anything else outside the alphabet
            raise ValueError(f"{ch!r} is not in Flickr's base58 alphabet")
        n = n * 58 + digit
    return n


def is_nsid(text: str) -> bool:
    """Whether `text`, as a whole, looks like a Flickr NSID (`12345678@N01`, any case of N)."""
    return isinstance(text, str) and _NSID_RE.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)  # slots: millions of these may be held at once
class FlickrRef:
    """What one manifest value says about a Flickr photo."""

    photo_id: str | None  # decimal string, no leading zeros; None when the value names no photo
    owner: str | None  # NSID ("12345678@N01") or path alias, when the value names a user
    owner_kind: str | None  # "nsid" | "alias" | None
    kind: str  # "id" | "static" | "page" | "short" | "profile" | "other"
    problem: str | None  # why photo_id is None, for a human; None when photo_id is set


def _other(problem: str) -> FlickrRef:
    return FlickrRef(None, None, None, "other", problem)


# Shared results for the values that name neither photo nor owner (frozen, so sharing is safe).
_EMPTY: Final = _other(_P_EMPTY)
_JUNK: Final = _other(_P_JUNK)
_NOT_FLICKR: Final = _other(_P_NOT_FLICKR)
_FLICKR_OTHER: Final = _other(_P_FLICKR_OTHER)
_NO_OWNER: Final[tuple[None, None]] = (None, None)


def _id_problem(digits: str) -> str | None:
    """None when a string of ASCII digits is a valid photo id, else what is wrong with it."""
    if digits[0] == "0":
        return _P_NOT_POSITIVE if digits.count("0") == len(digits) else _P_LEADING_ZERO
    if len(digits) > _MAX_ID_DIGITS:
        return _P_TOO_LONG
    return None


def _is_digits(text: str) -> bool:
    # isdigit() alone accepts "²" and "٣"; isascii() keeps it to 0-9.
    return text.isascii() and text.isdigit()


def _owner_from_who(who: str) -> tuple[str | None, str | None]:
    """(owner, owner_kind) from the user part of a URL path; an all-digit part is not a user."""
    if "%" in who:  # scraped URLs sometimes carry the NSID's @ percent-encoded
        who = who.replace("%40", "@")
    if _NSID_RE.fullmatch(who):
        return who.upper(), "nsid"  # NSIDs hold only digits, "@" and "N": upper() normalises
    if _ALIAS_RE.fullmatch(who) and not who.isdigit():
        return who, "alias"
    return _NO_OWNER


def _id_ref(digits: str, kind: str) -> FlickrRef:
    problem = _id_problem(digits)
    if problem is None:
        return FlickrRef(digits, None, None, kind, None)
    return FlickrRef(None, None, None, kind, problem)


def _clean(value: object) -> str | None:
    """The value as stripped text, or None for a missing value (None, NaN, "", "nan", ...)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "replace")
    elif value is None:
        return None
    else:
        try:
            text = str(value)  # numpy scalars, Decimal, pandas.NA ("<NA>"), ...
        except Exception:
            return ""
    text = text.strip(_STRIP)
    if not text or (len(text) <= 4 and text.lower() in _NULL_TOKENS):
        return None
    return text


def _bad_number(problem: str) -> FlickrRef:
    # kind "id": the value is a number, just not one that can be a photo id.
    return FlickrRef(None, None, None, "id", problem)


def _from_number(value: int | float) -> FlickrRef:
    if isinstance(value, bool):
        return _other(_P_BOOL)
    if isinstance(value, float):
        if math.isnan(value):
            return _EMPTY
        if math.isinf(value):
            return _JUNK
        if not value.is_integer():
            return _bad_number(_P_FRACTION)
        if abs(value) >= _FLOAT_EXACT:
            return _bad_number(_P_FLOAT_INEXACT)
        value = int(value)
    if value < 1:
        return _bad_number(_P_NOT_POSITIVE)
    if value >= _MAX_ID:
        return _bad_number(_P_TOO_LONG)
    return FlickrRef(str(value), None, None, "id", None)


def _from_number_text(text: str) -> FlickrRef | None:
    """A numeric string that is not plain digits ("7088065.0", "-3", "5.2e9"); None if not one."""
    m = _NUMBER_RE.fullmatch(text)
    if m is None or not (m["int"] or m["frac"]):
        return None
    if m["exp"]:
        return _bad_number(_P_SCIENTIFIC)
    if m["frac"] and m["frac"].strip("0"):
        return _bad_number(_P_FRACTION)
    digits = m["int"]
    if not digits or not digits.strip("0") or m["sign"] == "-":
        return _bad_number(_P_NOT_POSITIVE)
    # "7088065.0" is how an id column that pandas turned into floats is written back out.
    return _id_ref(digits, "id")


def parse_flickr_ref(value: object) -> FlickrRef:
    """Photo id (and owner, when named) from an id, a static URL, a page URL or a flic.kr link.

    Never raises: anything that names no photo gives `photo_id=None` and a `problem` phrase.
    Not cached: real manifests hold mostly distinct URLs, where a cache only costs time and memory.
    """
    if isinstance(value, int | float):
        return _from_number(value)
    text = _clean(value)
    if text is None:
        return _EMPTY
    if not text:
        return _JUNK
    first = text[0]
    if "0" <= first <= "9" or first in "+-.":
        if _is_digits(text):
            return _id_ref(text, "id")
        number = _from_number_text(text)
        if number is not None:
            return number
    return _parse_url(text)


def _parse_url(text: str) -> FlickrRef:
    m = _SPLIT_RE.match(text)
    assert m is not None  # every group is optional
    host, path, query, fragment = m.groups()
    host = host.lower()
    if host not in _PAGE_HOSTS:  # the common case skips the normalisation below
        if "@" in host:  # user:password@host
            host = host.rpartition("@")[2]
        if ":" in host:  # host:port
            host = host.partition(":")[0]
        host = host.rstrip(".")
    if host in _PAGE_HOSTS:
        if fragment and fragment[0] == "/" and path in ("", "/"):
            # Old mobile site: m.flickr.com/#/photos/WHO/ID/
            path, _, query = fragment.partition("?")
        return _parse_page(path, query)
    if host.endswith(_STATIC_SUFFIXES) or host in _STATIC_HOSTS:
        return _parse_static(path)
    if host in _SHORT_HOSTS:
        return _parse_short(path)
    if _PHOTOS_N_HOST_RE.fullmatch(host):  # photosN.flickr.com/ID_SECRET_b.jpg
        return _parse_static(path)
    if host.endswith((".flickr.com", ".flickr.net", ".flic.kr")):
        return _FLICKR_OTHER
    if "." in host and " " not in host:
        return _NOT_FLICKR
    return _JUNK


def _parse_static(path: str) -> FlickrRef:
    name = path.rpartition("/")[2]
    photo, sep, _ = name.partition("_")
    if sep and _is_digits(photo):
        return _id_ref(photo, "static")
    lowered = path.lower()
    if "buddyicon" in lowered:  # /SERVER/buddyicons/NSID[_r].jpg, or the default buddyicon.gif
        stem = name.partition(".")[0].partition("_")[0]
        owner = stem.upper() if _NSID_RE.fullmatch(stem) else None
        return FlickrRef(None, owner, "nsid" if owner else None, "static", _P_BUDDY)
    video = _VIDEO_RE.search(path)  # /video/ID/SECRET/1080p.mp4
    if video is not None:
        return _id_ref(video[1], "static")
    if sep and photo:
        return FlickrRef(None, None, None, "static", _P_STATIC_NAME)
    return FlickrRef(None, None, None, "static", _P_STATIC_OTHER)


def _parse_page(path: str, query: str | None) -> FlickrRef:
    segs = path.strip("/").split("/")
    head = segs[0].lower()
    if head in ("photos", "photo"):
        if len(segs) < 2 or not segs[1]:
            return _FLICKR_OTHER
        who = segs[1]
        if who.lower() in _RESERVED_WHO:
            return _other(_P_TAGS if who.lower() == "tags" else _P_FLICKR_OTHER)
        owner, owner_kind = _owner_from_who(who)
        sub = segs[2] if len(segs) > 2 else ""
        if not sub:
            return FlickrRef(None, owner, owner_kind, "profile", _P_PROFILE)
        if _is_digits(sub):
            problem = _id_problem(sub)
            return FlickrRef(None if problem else sub, owner, owner_kind, "page", problem)
        if "0" <= sub[0] <= "9":
            return FlickrRef(None, owner, owner_kind, "page", _P_NOT_NUMBER)
        word = sub.lower()
        problem = _USER_SUBPAGES.get(word)
        if problem is not None:
            return FlickrRef(None, owner, owner_kind, "other", problem)
        if word == "with" or (word.startswith("page") and _is_digits(word[4:])):
            return FlickrRef(None, owner, owner_kind, "profile", _P_PROFILE)
        return FlickrRef(None, owner, owner_kind, "other", _P_FLICKR_OTHER)
    if head == "people":
        if len(segs) < 2 or not segs[1]:
            return _FLICKR_OTHER
        owner, owner_kind = _owner_from_who(segs[1])
        return FlickrRef(None, owner, owner_kind, "profile", _P_PROFILE)
    if head in _GNE_PAGES or (head == "apps" and path.lower().endswith("stewart.swf")):
        return _parse_gne(query)
    if head == "gp":
        owner, owner_kind = _owner_from_who(segs[1]) if len(segs) > 1 else _NO_OWNER
        return FlickrRef(None, owner, owner_kind, "other", _P_GUEST)
    if head == "groups":
        return _other(_P_GROUP)
    if "buddyicon" in path.lower():  # www.flickr.com/images/buddyicon.gif, the default icon
        return FlickrRef(None, None, None, "static", _P_BUDDY)
    return _FLICKR_OTHER


def _parse_gne(query: str | None) -> FlickrRef:
    for m in _GNE_QUERY_RE.finditer(query or ""):
        name, arg = m[1].lower(), m[2]
        if name == "short":
            return _from_base58(arg, "page")
        if _is_digits(arg):
            return _id_ref(arg, "page")
        return FlickrRef(None, None, None, "page", _P_NOT_NUMBER)
    return FlickrRef(None, None, None, "page", _P_GNE_NO_ID)


def _parse_short(path: str) -> FlickrRef:
    prefix, _, rest = path.strip("/").partition("/")
    prefix = prefix.lower()
    if prefix == "p":
        return _from_base58(rest.partition("/")[0], "short")
    problem = _SHORT_PREFIXES.get(prefix)
    return _other(problem or _P_SHORT_OTHER)


def _from_base58(code: str, kind: str) -> FlickrRef:
    # 12 base58 digits already exceed 20 decimal ones; the cap also bounds the work on junk.
    if not code or len(code) > 12:
        return FlickrRef(None, None, None, kind, _P_SHORT_B58)
    try:
        n = base58_decode(code)
    except ValueError:
        return FlickrRef(None, None, None, kind, _P_SHORT_B58)
    if n < 1:  # "1", "11", ...: base58 zero
        return FlickrRef(None, None, None, kind, _P_NOT_POSITIVE)
    if n >= _MAX_ID:
        return FlickrRef(None, None, None, kind, _P_TOO_LONG)
    return FlickrRef(str(n), None, None, kind, None)


def parse_owner(value: object) -> tuple[str | None, str | None]:
    """(owner, owner_kind) from an NSID, a Flickr profile / photostream / photo page URL, a
    buddy icon URL, or a bare path alias; (None, None) when the value names no user.

    A bare all-digit string is not an alias (it is more likely a photo id or a truncated NSID),
    and neither are stringified missing values ("nan", "None", "NA", "null", "\\N").
    """
    if isinstance(value, str):
        return _parse_owner_text(value)
    if isinstance(value, bytes | bytearray):
        return _parse_owner_text(bytes(value).decode("utf-8", "replace"))
    return _NO_OWNER


# Cached: an owner column repeats the same few thousand users across millions of rows.
@lru_cache(maxsize=65536)
def _parse_owner_text(value: str) -> tuple[str | None, str | None]:
    text = _clean(value)
    if not text:
        return _NO_OWNER
    if _NSID_RE.fullmatch(text):
        return text.upper(), "nsid"
    if _ALIAS_RE.fullmatch(text):
        return _NO_OWNER if text.isdigit() else (text, "alias")
    ref = _parse_url(text)
    if ref.owner is None:
        return _NO_OWNER
    return ref.owner, ref.owner_kind


def photo_page_url(photo_id: str, owner: str | None = None) -> str:
    """The photo's page on Flickr: under its owner (NSID or path alias) when known, else
    Flickr's redirect by id, which finds the owner itself."""
    if owner:
        return f"https://www.flickr.com/photos/{quote(owner, safe='@')}/{quote(photo_id, safe='')}/"
    return f"https://www.flickr.com/photo.gne?id={quote(photo_id, safe='')}"
