"""Licence histories: Flickr's dated changes as catalogue slugs; the licence in force at a time.

`flickr.photos.licenses.getLicenseHistory` names licences by name and URL, never by id, and both
have drifted (old "Attribution License" names before June 2025, "" or a help-page URL for All
Rights Reserved), so each side is resolved through the catalogue, URL first. An entry with an
empty `new_license` means "never changed": it only says which licence the photo was uploaded
under. After the first real change Flickr drops that entry, so the licence before the first
change is the first entry's old licence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.flickr.parse import LicenceChange
from auditor.licences import UNKNOWN, LicenceCatalogue


@dataclass(frozen=True)
class Change:
    """One dated licence change, as slugs. `new` is None for the "never changed" entry."""

    at: int  # unix seconds
    old: str
    new: str | None


def _slug(name: str, url: str, catalogue: LicenceCatalogue) -> str:
    # URLs are the stabler key; an empty URL is All Rights Reserved in Flickr's own example.
    if url.strip():
        slug = catalogue.resolve(url)
        if slug != UNKNOWN:
            return slug
    return catalogue.resolve(name) if name.strip() else UNKNOWN


def to_changes(entries: Sequence[LicenceChange], catalogue: LicenceCatalogue) -> list[Change]:
    """Flickr's entries as slugs, oldest first."""
    changes = []
    for entry in sorted(entries, key=lambda e: e.changed_at):
        never_changed = not entry.new_name.strip() and not entry.new_url.strip()
        old = _slug(entry.old_name, entry.old_url, catalogue)
        new = None if never_changed else _slug(entry.new_name, entry.new_url, catalogue)
        changes.append(Change(entry.changed_at, old, new))
    return changes


def dumps(changes: Sequence[Change]) -> str:
    return json.dumps([[c.at, c.old, c.new] for c in changes], separators=(",", ":"))


def loads(text: str | None) -> list[Change] | None:
    """The stored form back; None when no history was fetched."""
    if text is None:
        return None
    return [
        Change(int(at), str(old), None if new is None else str(new))
        for at, old, new in json.loads(text)
    ]


def licence_at(changes: Sequence[Change], when: int) -> str | None:
    """The licence in force at unix time `when`, or None when the history says nothing."""
    real = [c for c in changes if c.new is not None]
    if not real:
        # Never changed: the upload-time licence has been in force all along.
        return changes[0].old if changes else None
    if when < real[0].at:
        return real[0].old
    in_force = real[0].new
    for change in real:
        if change.at <= when:
            in_force = change.new
        else:
            break
    return in_force


def last_change_at(changes: Sequence[Change]) -> int | None:
    """When the licence last changed, or None when it never did."""
    real = [c.at for c in changes if c.new is not None]
    return max(real) if real else None
