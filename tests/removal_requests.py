"""Removal requests built per docs/removal-request.md (schema_version 1), for the tests of
`audit --opt-outs`: what `flickr-audit owner` writes beside its letter."""

from __future__ import annotations

from typing import Any

CREATED = "2026-12-03T12:40:00Z"


def removal_request(
    photo_ids: list[str], *, alias: str = "alice", **changes: Any
) -> dict[str, Any]:
    """A request from the owner with path alias `alias` for `photo_ids` (relation `owner`);
    `changes` replace top-level keys."""
    document: dict[str, Any] = {
        "schema_version": 1,
        "kind": "flickr-audit removal request",
        "created_at": CREATED,
        "requester": {
            "query": alias,
            "identifiers": [
                {"kind": "nsid", "value": "11111111@N01"},
                {"kind": "path_alias", "value": alias},
                {"kind": "username", "value": "Jeong Vin, Yoon"},
            ],
        },
        "grounds": ["gdpr", "licence"],
        "use": None,
        "dataset": {"manifests": ["manifest.csv"]},
        "photos": [
            {
                "photo_id": photo_id,
                "relation": "owner",
                "page_url": f"https://www.flickr.com/photos/{alias}/{photo_id}/",
                "manifests": [{"file": "manifest.csv", "rows": [2, 9]}],
            }
            for photo_id in photo_ids
        ],
    }
    document.update(changes)
    return document
