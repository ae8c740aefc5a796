"""Build the static lookup site: `index.html`, `lookup.js`, `site.json` and the owner files.

Layout (see docs/lookup-site.md):

- `site.json`: the salt, the hash recipe, the manifests' file names, when it was built. It also
  marks the folder as a lookup site, so a rebuild may replace it.
- `owners/<hex>.json`, one per identifier an owner can be found by (NSID, path alias,
  lower-cased username), `<hex>` being `identifier_hash(salt, normalise_identifier(id))`: a
  pointer `{"owners": ["<id>", ...]}` (more than one when accounts share a name).
- `photos/<id>.json`, one per owner: their identifiers, photos and removal request. `<id>` is a
  salted hash too, so no file name and no file other than the owner's own names anyone.
- `owners/index.html`, `photos/index.html`: empty pages, so servers that list folders
  (`python -m http.server`, autoindex) show those instead of every file name.

Rows are grouped into owners by their owner field (NSID or alias, else the owner name), and
groups that share a photo id are merged: a photo listed under an NSID in one manifest and under
an alias in another is the same person's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final

import pandas as pd

from auditor.errors import AuditorError
from auditor.exposure.letter import LetterText, compose, letter_photos, sender_name, text_parts
from auditor.exposure.request import identifiers
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.lookup.normalise import identifier_hash, normalise_identifier
from auditor.manifests.flickr_ids import photo_page_url
from auditor.outputs import OutputSet

SITE_FORMAT: Final = "flickr-audit-lookup-site/1"
OWNER_FORMAT: Final = "flickr-audit-lookup-owner/2"
HASH_RECIPE: Final = "sha256(utf8(salt + normalised identifier)), lower-case hex"
ASSETS: Final = ("index.html", "lookup.js")
FOLDERS: Final = ("owners", "photos")
MAX_SALT_CHARS: Final = 256

_STYLE_RE: Final = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NO_LISTING: Final = (
    '<!doctype html><meta charset="utf-8"><title>Not listed</title>'
    "<p>Files here are found by the lookup page only.</p>\n"
)


@dataclass(frozen=True)
class LookupSiteSummary:
    """What `build_lookup_site` wrote."""

    out_dir: Path
    salt: str
    owners: int  # owner files (people who can be looked up)
    identifiers: int  # pointer files: identifiers an owner can be found by
    photos: int  # distinct photo ids in the owner files
    rows: int  # manifest rows in the owner files
    unfindable_rows: int  # rows that name no owner (e.g. COCO's static URLs): not in the site
    manifests: tuple[str, ...]


def random_salt() -> str:
    """A fresh salt: 128 random bits as hex."""
    return secrets.token_hex(16)


def is_lookup_site(folder: Path) -> bool:
    """Whether `folder` holds a site this module built (its `site.json` says so)."""
    try:
        data = json.loads((folder / "site.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("format") == SITE_FORMAT


def check_out_dir(out_dir: Path) -> None:
    """Refuse a file, or a non-empty folder that is not a previous lookup site."""
    if out_dir.exists() and not out_dir.is_dir():
        raise AuditorError(f"{out_dir}: is a file, not a folder; give --out a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_lookup_site(out_dir):
        raise AuditorError(
            f"{out_dir}: is not empty and holds no lookup site (no site.json); "
            "give --out an empty or new folder"
        )


def check_salt(salt: str) -> None:
    if not salt or len(salt) > MAX_SALT_CHARS or _CONTROL_RE.search(salt):
        raise AuditorError(
            f"--salt must be 1 to {MAX_SALT_CHARS} characters without control characters"
        )


# -- grouping rows into owners -----------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class _Groups:
    """Union-find over owner keys ("nsid:...", "alias:...", "name:..."); only merged keys are
    stored, each pointing towards its group's leading key."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        """The leading key of `key`'s group; a key never merged leads its own."""
        root = key
        while root in self.parent:
            root = self.parent[root]
        while key != root:  # path compression: big manifests chain many keys
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smaller key leads: stable across runs


_COLUMNS: Final = (
    "photo_id", "owner", "owner_kind", "owner_name", "recorded_licence", "url", "title",
    "source_file", "source_row",
)  # fmt: skip


def _columns(photos: pd.DataFrame) -> dict[str, list[Any]]:
    """The columns the site needs as Python lists, missing values as None: one pass each,
    instead of pandas calls per owner (tens of thousands of owners in a big manifest)."""
    return {
        name: [value if isinstance(value, str) and value else None for value in photos[name]]
        if name != "source_row"
        else [int(value) for value in photos[name]]
        for name in _COLUMNS
    }


def _owner_keys(cols: dict[str, list[Any]]) -> list[str | None]:
    """Per row, the key of the owner it names ("nsid:...", "alias:...", "name:..."), or None."""
    normalised: dict[str, str | None] = {}  # owners repeat over millions of rows

    def norm(text: str) -> str | None:
        if text not in normalised:
            normalised[text] = normalise_identifier(text)
        return normalised[text]

    keys: list[str | None] = []
    for owner, kind, name in zip(
        cols["owner"], cols["owner_kind"], cols["owner_name"], strict=True
    ):
        ident = None if owner is None else norm(owner)
        if ident is not None:
            keys.append(f"{'nsid' if kind == 'nsid' else 'alias'}:{ident}")
            continue
        ident = None if name is None else norm(name)
        keys.append(None if ident is None else f"name:{ident}")
    return keys


def _merge_by_photo(keys: list[str | None], photo_ids: list[str | None], groups: _Groups) -> None:
    first_key: dict[str, str] = {}
    for key, photo_id in zip(keys, photo_ids, strict=True):
        if key is None or photo_id is None:
            continue
        seen = first_key.setdefault(photo_id, key)
        if seen != key:
            groups.union(seen, key)


# -- one owner's file --------------------------------------------------------------------------


def _page_url(photo_id: str | None, owner: str | None, owner_kind: str | None) -> str | None:
    if photo_id is None:
        return None
    return photo_page_url(photo_id, owner if owner_kind in ("nsid", "alias") else None)


def _licence_facts(slug: str | None, catalogue: LicenceCatalogue) -> dict[str, Any]:
    licence = None if slug is None or slug == UNKNOWN else catalogue.get(slug)
    if licence is None:
        return {
            "licence": None if slug is None else "unknown licence",
            "licence_url": None,
            "nc": False,
            "nd": False,
            "all_rights_reserved": False,
        }
    return {
        "licence": licence.name,
        "licence_url": licence.url or None,
        "nc": licence.nc,
        "nd": licence.nd,
        "all_rights_reserved": licence.kind == "all-rights-reserved",
    }


def _photo_entry(
    cols: dict[str, list[Any]], i: int, licence: dict[str, Any], manifest: str
) -> dict[str, Any]:
    photo_id = cols["photo_id"][i]
    url = cols["url"][i]
    row = cols["source_row"][i]
    return {
        "photo_id": photo_id,
        "page_url": _page_url(photo_id, cols["owner"][i], cols["owner_kind"][i]),
        "manifest": manifest,
        "row": row,
        "manifest_url": url,
        "listed_as": url or f"{manifest}:{row}",
        "title": cols["title"][i],
        **licence,
    }


def owner_letter(
    nsids: list[str], aliases: list[str], names: list[str], photos: list[dict[str, Any]]
) -> LetterText:
    """The removal request the page offers, from the template `flickr-audit owner` uses, in
    parts: the page joins the head, the grounds the visitor ticks and the tail (as
    `LetterText.assemble` does)."""
    sender = sender_name(
        identifiers(
            [
                *(("username", name) for name in names),
                *(("path_alias", alias) for alias in aliases),
                *(("nsid", nsid) for nsid in nsids),
            ]
        ),
        "(unknown)",
    )
    rows = (
        {
            "photo_id": p["photo_id"],
            "page_url": p["page_url"],
            "file": p["manifest"],
            "row": p["row"],
            "nc": p["nc"],
            "nd": p["nd"],
            "all_rights_reserved": p["all_rights_reserved"],
        }
        for p in photos
    )
    letter = letter_photos(rows)
    manifests = list(dict.fromkeys(name for photo in letter for name in photo.places))
    return text_parts(compose(sender, letter, manifests))


# -- writing -----------------------------------------------------------------------------------


def _dump(path: Path, data: Any) -> None:
    # ensure_ascii: every byte is 7-bit, whatever the server says the charset is.
    path.write_text(json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n", "utf-8")


def _index_html() -> str:
    """The page, with the hash of its inline style filled into its Content-Security-Policy."""
    html = resources.files("auditor.lookup").joinpath("index.html").read_text(encoding="utf-8")
    style = _STYLE_RE.search(html)
    assert style is not None  # the shipped page has one <style> block
    digest = base64.b64encode(hashlib.sha256(style[1].encode("utf-8")).digest()).decode()
    return html.replace("__STYLE_HASH__", f"sha256-{digest}")


def _group_id(salt: str, key: str) -> str:
    # NUL keeps this namespace apart from identifier hashes (identifiers never hold one after
    # a manifest is read as text), and the file lives in another folder anyway.
    return identifier_hash(salt, f"\x00owner\x00{key}")


def _write_site(
    tmp: Path, photos: pd.DataFrame, salt: str, catalogue: LicenceCatalogue
) -> LookupSiteSummary:
    for folder in FOLDERS:
        (tmp / folder).mkdir()
        (tmp / folder / "index.html").write_text(_NO_LISTING, encoding="utf-8")
    (tmp / "index.html").write_text(_index_html(), encoding="utf-8")
    script = resources.files("auditor.lookup").joinpath("lookup.js").read_text(encoding="utf-8")
    (tmp / "lookup.js").write_text(script, encoding="utf-8")

    cols = _columns(photos)
    keys = _owner_keys(cols)
    groups = _Groups()
    _merge_by_photo(keys, cols["photo_id"], groups)
    rows_of: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            rows_of.setdefault(groups.find(key), []).append(i)
    licences: dict[str | None, dict[str, Any]] = {}
    manifest_names: dict[str, str] = {}  # the file name only, not the publisher's folders

    pointers: dict[str, list[str]] = {}
    rows = 0
    distinct_photos: set[str] = set()
    for root in sorted(rows_of):
        block = rows_of[root]
        nsids = sorted(
            {cols["owner"][i] for i in block if cols["owner_kind"][i] == "nsid"} - {None}
        )
        aliases = sorted(
            {cols["owner"][i] for i in block if cols["owner_kind"][i] != "nsid"} - {None}
        )
        names = sorted({cols["owner_name"][i] for i in block} - {None})
        entries = []
        for i in block:
            slug = cols["recorded_licence"][i]
            if slug not in licences:
                licences[slug] = _licence_facts(slug, catalogue)
            source = cols["source_file"][i] or ""
            if source not in manifest_names:
                manifest_names[source] = Path(source).name
            entries.append(_photo_entry(cols, i, licences[slug], manifest_names[source]))
        identifiers = _identifiers(nsids, aliases, names)
        group_id = _group_id(salt, root)
        _dump(
            tmp / "photos" / f"{group_id}.json",
            {
                "format": OWNER_FORMAT,
                "nsids": nsids,
                "aliases": aliases,
                "names": names,
                "identifiers": identifiers,
                "photos": entries,
                "letter": owner_letter(nsids, aliases, names, entries).as_dict(),
            },
        )
        for ident in identifiers:
            pointers.setdefault(identifier_hash(salt, ident["value"]), []).append(group_id)
        rows += len(entries)
        distinct_photos.update(e["photo_id"] for e in entries if e["photo_id"])
    for digest, group_ids in pointers.items():
        _dump(tmp / "owners" / f"{digest}.json", {"owners": group_ids})

    manifests = tuple(dict.fromkeys(Path(f or "").name for f in dict.fromkeys(cols["source_file"])))
    _dump(
        tmp / "site.json",
        {
            "format": SITE_FORMAT,
            "salt": salt,
            "hash": HASH_RECIPE,
            "manifests": list(manifests),
            "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return LookupSiteSummary(
        out_dir=tmp,
        salt=salt,
        owners=len(rows_of),
        identifiers=len(pointers),
        photos=len(distinct_photos),
        rows=rows,
        unfindable_rows=keys.count(None),
        manifests=manifests,
    )


def _identifiers(nsids: list[str], aliases: list[str], names: list[str]) -> list[dict[str, str]]:
    """Each normalised identifier once, with the kind it was first found as."""
    seen: dict[str, str] = {}
    for kind, values in (("nsid", nsids), ("alias", aliases), ("username", names)):
        for value in values:
            ident = normalise_identifier(value)
            if ident is not None:
                seen.setdefault(ident, kind)
    return [{"kind": kind, "value": value} for value, kind in seen.items()]


def build_lookup_site(photos: pd.DataFrame, out_dir: Path, salt: str) -> LookupSiteSummary:
    """Write the lookup site for the photo table `photos` into `out_dir`.

    `out_dir` must be new, empty, or a site built before (it is then replaced, keeping any other
    file in it). The site is built aside first and moved in at once (`auditor.outputs`), so a
    failure or an interruption leaves the old one whole.
    """
    check_salt(salt)
    check_out_dir(out_dir)
    with OutputSet(out_dir, (*FOLDERS, *ASSETS, "site.json")) as staged:
        summary = _write_site(staged.staging, photos, salt, load_catalogue())
        staged.commit()
    return replace(summary, out_dir=out_dir)
