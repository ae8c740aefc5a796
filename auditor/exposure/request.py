"""removal-request.json: the request as data, for the publisher's `audit --opt-outs`.

Schema version 1, described in docs/removal-request.md and docs/removal-request.schema.json:
who asks (what they typed and every identifier of theirs that was matched), when, on which
grounds, for which use, and one entry per distinct photo with its relation to the sender, its
Flickr page, and the manifest file NAMES and rows that list it. Rows without a photo id are in
the letter but not here: a reader matches photos by id only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from auditor.exposure.letter import LetterPhoto

SCHEMA_VERSION: Final = 1
KIND: Final = "flickr-audit removal request"
IDENTIFIER_KINDS: Final = ("nsid", "path_alias", "username", "realname")


def identifiers(pairs: Iterable[tuple[str, str | None]]) -> list[dict[str, str]]:
    """(kind, value) pairs as the schema's identifier objects: each (kind, value) once, in
    `IDENTIFIER_KINDS` order, empty values left out."""
    seen: dict[tuple[str, str], None] = {}
    for kind, value in pairs:
        if kind not in IDENTIFIER_KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        if isinstance(value, str) and value.strip():
            seen.setdefault((kind, value.strip()), None)
    ordered = sorted(seen, key=lambda pair: IDENTIFIER_KINDS.index(pair[0]))
    return [{"kind": kind, "value": value} for kind, value in ordered]


def request_document(
    *,
    query: str,
    requester: Sequence[dict[str, str]],
    grounds: Sequence[str],
    use: str | None,
    manifests: Sequence[str],
    photos: Sequence[LetterPhoto],
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The removal-request.json document (schema version 1). `manifests` and the photos'
    places are file names, never paths."""
    when = (created_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requester": {"query": query, "identifiers": list(requester)},
        "grounds": list(grounds),
        "use": use,
        "dataset": {"manifests": list(dict.fromkeys(manifests))},
        "photos": [
            {
                "photo_id": photo.photo_id,
                "relation": photo.relation,
                "page_url": photo.page_url,
                "manifests": [{"file": name, "rows": rows} for name, rows in photo.places.items()],
            }
            for photo in photos
            if photo.photo_id is not None
        ],
    }
