"""The lookup tests' manifest: hostile and overlapping owners. Imported by name, like
tests/flickr_standin.py; conftest.py builds the sites from it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

SALT = "test-salt-☃"
VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text(encoding="utf-8"))

HOSTILE_TITLE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
HOSTILE_NAME = '<img src=x onerror="window.pwned=3">Eve\u202e'

ANNA_NSID = "55555555@N05"
ANNA_NAME = "Anna K"
ANNA_ALIAS = "anna-shoots"
OTHER_NSID = "66666666@N06"  # their USERNAME equals Anna's alias: another account
BO_NSID = "77777777@N07"
BO_NAME = "Bo Öberg"

CC = "https://creativecommons.org/licenses"
ROWS: list[dict[str, str]] = [
    # Anna by NSID, with her username; an NC and an ND photo, one with a hostile title.
    {"photo_id": "1001", "owner": ANNA_NSID, "username": ANNA_NAME, "title": "Dawn",
     "license": f"{CC}/by-nc/2.0/", "url": f"https://www.flickr.com/photos/{ANNA_NSID}/1001/"},
    {"photo_id": "1002", "owner": ANNA_NSID, "username": ANNA_NAME, "title": HOSTILE_TITLE,
     "license": f"{CC}/by-nd/2.0/", "url": "https://farm1.staticflickr.com/1/1002_abc.jpg"},
    # Anna by alias only: photo 1001 again links the alias to her NSID.
    {"photo_id": "1001", "owner": ANNA_ALIAS, "username": "", "title": "Dawn",
     "license": f"{CC}/by-nc/2.0/"},
    {"photo_id": "1003", "owner": ANNA_ALIAS, "username": "", "title": "Harbour",
     "license": f"{CC}/by/2.0/"},
    {"photo_id": "2001", "owner": OTHER_NSID, "username": ANNA_ALIAS, "title": "Other's",
     "license": f"{CC}/by/2.0/"},
    {"photo_id": "3001", "owner": BO_NSID, "username": BO_NAME, "title": "Fjord",
     "license": f"{CC}/by-sa/2.0/"},
    # Only a name: findable by that name alone.
    {"photo_id": "4001", "owner": "", "username": HOSTILE_NAME, "title": "Named only",
     "license": ""},
    # No owner and no name: cannot be looked up.
    {"photo_id": "5001", "owner": "", "username": "", "title": "Anonymous", "license": ""},
]  # fmt: skip

# Every identifier each person can be found by, as a visitor might type it.
ANNA_IDS = (ANNA_NSID, ANNA_ALIAS, ANNA_NAME)
OWNER_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "anna": ANNA_IDS,
    "other": (OTHER_NSID, ANNA_ALIAS),
    "bo": (BO_NSID, BO_NAME),
    "named-only": (HOSTILE_NAME,),
}


def manifest_text() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["photo_id", "owner", "username", "title", "license", "url"])
    writer.writeheader()
    writer.writerows(ROWS)
    return out.getvalue()


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
