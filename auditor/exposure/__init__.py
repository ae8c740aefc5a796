"""Photographers: find one owner's photos across manifests, and draft their removal request.

`resolve` turns what a photographer types (NSID, path alias, username, URL) into Flickr
accounts; `find` matches their photos (offline by owner fields, live by listing their photos);
`report` writes exposure.json, exposure.md and the removal request.
"""

from auditor.exposure.find import Exposure, find_live, find_offline
from auditor.exposure.report import (
    EXPOSURE_FILES,
    exposure_document,
    summary_lines,
    write_exposure,
)
from auditor.exposure.resolve import (
    OwnerIdentity,
    OwnerNotFound,
    offline_identities,
    parse_who,
    resolve_identities,
)

__all__ = [
    "EXPOSURE_FILES",
    "Exposure",
    "OwnerIdentity",
    "OwnerNotFound",
    "exposure_document",
    "find_live",
    "find_offline",
    "offline_identities",
    "parse_who",
    "resolve_identities",
    "summary_lines",
    "write_exposure",
]
