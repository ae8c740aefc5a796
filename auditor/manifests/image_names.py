"""Flickr photo ids (and owners) out of image file names and paths.

Many Flickr-sourced datasets never store a URL: the photo id is in the name of the downloaded
image, in one of a few layouts (`{n}` is any decimal number):

- `{id}_{secret}.jpg`, with an optional size suffix (`_b`, `_z`, `_o`, `_3k`…) and `_d`:
  Flickr's own static file name, kept by Flickr8k (`Flickr8k.token.txt`, its split lists, Kaggle's
  `captions.txt`), SBU and many crawls. The secret is 10 lower-case hex digits;
- `{id}_{secret}_{server}_{nsid}.jpg`: Im2GPS / MP-16 style, which names the owner too;
- `{n}_{id}.jpg`: NUS-WIDE's image lists (`C:\\ImageData\\actor\\0001_2124494179.jpg`), a counter
  of at most 5 digits then the photo id;
- `{id}.jpg`: Flickr30k (`results.csv`, Karpathy's `dataset_flickr30k.json`, BLIP/LAVIS
  `flickr30k-images/{id}.jpg`). A bare number is a photo id only when the layout is known to be
  Flickr's: the reader says so (`numeric=True`) from the file's content or the user's options;
  otherwise it is another dataset's counter and is not taken.

The directory part (POSIX or Windows separators), a `#n` caption-number suffix and a query string
are ignored. Names without an image extension are not image names. A number with leading zeros is
never a Flickr id (`000000397133.jpg` is a COCO image id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

IMAGE_EXTENSIONS: Final = frozenset({"jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "webp"})

# Parts of one name, after the directory, caption suffix and extension are dropped.
_NAME_RE: Final = re.compile(
    r"(?P<stem>[^/\\?#]+)\.(?P<ext>[A-Za-z]{3,4})(?:#[0-9]+)?(?:\?[^/\\]*)?", re.ASCII
)
_SECRET_RE: Final = re.compile(
    r"(?P<id>[0-9]{1,20})_[0-9a-f]{10}(?:_(?:[a-z]|[0-9]k))?(?:_d)?"
    r"(?:_(?P<server>[0-9]{1,6})_(?P<nsid>[0-9]+@[Nn][0-9]{2}))?",
    re.ASCII,
)
_COUNTER_RE: Final = re.compile(r"[0-9]{1,5}_(?P<id>[0-9]{6,20})", re.ASCII)
_NUMBER_RE: Final = re.compile(r"[0-9]{1,20}", re.ASCII)

# Problems, short and constant so reports can count them.
P_NOT_IMAGE: Final = "not an image file name"
P_NO_ID: Final = "image name holds no Flickr photo id"
P_NUMERIC: Final = (
    "image name is a bare number, not known to be a Flickr id (pass --ids-from-filenames "
    "if it is one)"
)
P_ZERO_PADDED: Final = "image name is a zero-padded number (another dataset's id, not Flickr's)"

# Layouts, as named in notes and docs.
SECRET: Final = "{id}_{secret}.jpg"
SECRET_OWNER: Final = "{id}_{secret}_{server}_{nsid}.jpg"
COUNTER: Final = "{n}_{id}.jpg"
NUMERIC: Final = "{id}.jpg"


@dataclass(frozen=True, slots=True)
class NameRef:
    """What one image name says: the photo id, the owner's NSID (Im2GPS names) or a problem."""

    photo_id: str | None
    owner: str | None
    layout: str | None  # one of the layout names above, when the name has one
    problem: str | None


_NOT_IMAGE: Final = NameRef(None, None, None, P_NOT_IMAGE)
_NO_ID: Final = NameRef(None, None, None, P_NO_ID)


def image_stem(value: str) -> str | None:
    """The file name without directory, extension and `#n` suffix; None if not an image name."""
    text = value.strip().strip("\"'")
    cut = max(text.rfind("/"), text.rfind("\\"))
    m = _NAME_RE.fullmatch(text[cut + 1 :])
    if m is None or m["ext"].lower() not in IMAGE_EXTENSIONS:
        return None
    return m["stem"]


def is_image_name(value: object) -> bool:
    return isinstance(value, str) and image_stem(value) is not None


def parse_image_name(value: object, numeric: bool = False) -> NameRef:
    """The photo id in an image file name or path. `numeric`: a bare `{id}.jpg` is a Flickr id
    (the layout is known to be Flickr's). Never raises."""
    if not isinstance(value, str):
        return _NOT_IMAGE
    stem = image_stem(value)
    if stem is None:
        return _NOT_IMAGE
    if _NUMBER_RE.fullmatch(stem):
        if stem[0] == "0":
            return NameRef(None, None, NUMERIC, P_ZERO_PADDED)
        if not numeric:
            return NameRef(None, None, NUMERIC, P_NUMERIC)
        return NameRef(stem, None, NUMERIC, None)
    counter = _COUNTER_RE.fullmatch(stem)
    secret = _SECRET_RE.fullmatch(stem)
    # `0001_2124494179`: the second part is all decimal, so it also reads as a hex secret; a
    # short first part is NUS-WIDE's counter (Flickr ids of 5 digits date from early 2004).
    if counter is not None and (secret is None or len(secret["id"]) <= 5):
        if counter["id"][0] == "0":
            return _NO_ID
        return NameRef(counter["id"], None, COUNTER, None)
    if secret is not None and secret["id"][0] != "0":
        if secret["nsid"]:
            return NameRef(secret["id"], secret["nsid"].upper(), SECRET_OWNER, None)
        return NameRef(secret["id"], None, SECRET, None)
    return _NO_ID


def name_layout(values: Iterable[object]) -> str | None:
    """The layout most of these names share (`NUMERIC` counts only numbers without leading
    zeros), or None when most are not Flickr-style image names."""
    counts: dict[str | None, int] = {}
    total = 0
    for value in values:
        ref = parse_image_name(value, numeric=True)
        if ref.problem == P_NOT_IMAGE:
            continue
        total += 1
        key = ref.layout if ref.photo_id is not None else None
        counts[key] = counts.get(key, 0) + 1
    if not total:
        return None
    layout, count = max(counts.items(), key=lambda item: item[1])
    return layout if layout is not None and count * 2 > total else None


def flickr_path_hint(values: Iterable[object]) -> bool:
    """Whether the paths say the images came from Flickr (`flickr30k-images/`,
    `ImageData\\Flickr\\…`): a folder name holding `flickr`."""
    for value in values:
        if isinstance(value, str):
            cut = max(value.rfind("/"), value.rfind("\\"))
            if cut > 0 and "flickr" in value[:cut].lower():
                return True
    return False
