"""Photographers: find one owner's photos across manifests, and draft their removal request.

`resolve` turns what a photographer types (NSID, path alias, username, URL) into Flickr
accounts; `find` matches their photos (offline by owner fields, live by listing their photos);
`letter` is the one template of the removal request (the CLI's and the lookup page's);
`request` is removal-request.json; `report` writes exposure.json, exposure.md, the letter and
the request.
"""

from auditor.exposure.find import Exposure, find_live, find_offline
from auditor.exposure.letter import GROUNDS, check_use, parse_grounds
from auditor.exposure.report import (
    EXPOSURE_FILES,
    RemovalRequest,
    exposure_document,
    nothing_found_lines,
    removal_request,
    remove_earlier_letter,
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
    "GROUNDS",
    "Exposure",
    "OwnerIdentity",
    "OwnerNotFound",
    "RemovalRequest",
    "check_use",
    "exposure_document",
    "find_live",
    "find_offline",
    "nothing_found_lines",
    "offline_identities",
    "parse_grounds",
    "parse_who",
    "removal_request",
    "remove_earlier_letter",
    "resolve_identities",
    "summary_lines",
    "write_exposure",
]
