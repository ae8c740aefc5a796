"""The one normalisation and hash of an owner identifier, shared by the builder and the page.

`lookup.js` implements exactly the same steps; `tests/lookup/vectors.json` holds the vectors
both are tested against. Change one and you must change the other, or lookups silently miss.

Steps: Unicode NFC; strip whitespace, byte-order marks, zero-width spaces and wrapping quotes or
angle brackets at both ends; collapse inner whitespace to one space; a flickr.com
`/photos/WHO/...`, `/photo/WHO/...` or `/people/WHO/...` URL (any scheme or none, `www.`, `m.`,
`secure.`) becomes WHO (with `%40` read as `@`); lower-case; NFC again. The character classes
are explicit because Python's `str.strip`/`\\s` and JavaScript's `trim`/`\\s` disagree on a few
characters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

# Spelled out rather than \s: the two languages' \s differ (U+001C-1F, U+0085, U+FEFF).
_SPACE: Final = "\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_EDGES: Final = re.compile(f"^[{_SPACE}\"'<>]+|[{_SPACE}\"'<>]+\\Z")
_INNER: Final = re.compile(f"[{_SPACE}]+")
# re.ASCII: with IGNORECASE, Python would also match the Kelvin sign to "k"; JavaScript does not.
_FLICKR_USER_URL: Final = re.compile(
    r"^(?:(?:https?:)?//)?(?:(?:www|m|secure)\.)?flickr\.com/(?:photos|photo|people)/([^/?#]+)",
    re.IGNORECASE | re.ASCII,
)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def normalise_identifier(text: str) -> str | None:
    """The form an identifier is hashed in (see the module docstring); None when empty."""
    text = unicodedata.normalize("NFC", text)
    text = _INNER.sub(" ", _EDGES.sub("", text))
    url = _FLICKR_USER_URL.match(text)
    if url is not None:
        text = url[1].replace("%40", "@")
    text = unicodedata.normalize("NFC", text.lower())
    return text or None


def identifier_hash(salt: str, identifier: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of `salt + identifier`, as `crypto.subtle.digest` computes
    it on `new TextEncoder().encode(salt + identifier)`."""
    # TextEncoder writes a lone surrogate as U+FFFD; Python's encoder would raise instead.
    data = _SURROGATE.sub("\ufffd", salt + identifier).encode("utf-8")
    return hashlib.sha256(data).hexdigest()
