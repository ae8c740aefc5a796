"""Dataset publishers: a static, privacy-preserving page where photographers look themselves up.

`build_lookup_site` writes `index.html` + `lookup.js` (no external requests) and one JSON file
per owner, found through files named by salted hashes of the owner's identifiers, so no file
lists owners in the clear. `normalise_identifier` / `identifier_hash` are the recipe the page's
script repeats in the browser. See docs/lookup-site.md.
"""

from auditor.lookup.normalise import identifier_hash, normalise_identifier
from auditor.lookup.site import (
    LookupSiteSummary,
    build_lookup_site,
    check_out_dir,
    is_lookup_site,
    owner_letter,
    random_salt,
)

__all__ = [
    "LookupSiteSummary",
    "build_lookup_site",
    "check_out_dir",
    "identifier_hash",
    "is_lookup_site",
    "normalise_identifier",
    "owner_letter",
    "random_salt",
]
