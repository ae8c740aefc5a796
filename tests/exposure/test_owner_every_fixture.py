"""Every owner in the real Flickr API answers of `../shared/realdata` (albums, galleries, group
pools, tag searches, user listings) is found offline with all their photos from each identifier
those answers give them: NSID, path alias, profile URL, username (real ones hold "/", "www."
and private-use characters) and realname."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.exposure import find_offline, offline_identities, parse_who
from auditor.manifests.read import read_manifests

_PAGE_ALIAS = r"flickr\.com/photos/([^/]+)/\d+"


def identifiers(rows: pd.DataFrame, nsid: str) -> dict[str, str]:
    found = {"nsid": nsid, "profile": f"https://www.flickr.com/photos/{nsid}/"}
    for column, kind in (("owner_name", "username"), ("owner_realname", "realname")):
        values = rows[column].dropna() if column in rows.columns else pd.Series([], dtype=str)
        values = values[values.astype(str).str.strip() != ""]
        if len(values):
            found[kind] = str(values.iloc[0])
    aliases = rows["url"].dropna().astype(str).str.extract(_PAGE_ALIAS, expand=False).dropna()
    aliases = aliases[~aliases.str.contains("@N")]
    if len(aliases):
        found["alias"] = aliases.iloc[0]
        found["profile"] = f"https://www.flickr.com/photos/{aliases.iloc[0]}/"
    return found


def test_every_owner_is_found_from_each_of_their_identifiers(realdata: Path) -> None:
    answers = sorted((realdata / "flickr_foundation_photos_api" / "api_responses").glob("*.json"))
    assert len(answers) >= 10
    missed: list[str] = []
    checked = 0
    for path in answers:
        photos = read_manifests([path]).photos
        for nsid, rows in photos[photos["owner_kind"] == "nsid"].groupby("owner"):
            theirs = set(photos.loc[photos["owner"] == nsid, "photo_id"].dropna())
            for kind, who in identifiers(rows, str(nsid)).items():
                found = find_offline(photos, offline_identities(parse_who(who))).rows
                checked += 1
                if not theirs <= set(found["photo_id"].dropna()):
                    missed.append(f"{path.name}: {kind} {who!r}")
    assert checked > 500
    assert not missed, missed
