"""What `flickr-audit owner` writes: exposure.json (data), exposure.md (for the photographer),
removal-request.md / .txt (the letter to the dataset's maintainers, from the one template in
`auditor.exposure.letter`) and removal-request.json (the same request as data, for the
publisher's `audit --opt-outs`).

Everything that came from a manifest or from Flickr is hostile text: the Markdown escapes it,
and the plain-text letter strips control characters and line breaks from it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.engine import Policy
from auditor.exposure.find import Exposure, page_aliases
from auditor.exposure.letter import (
    compose,
    count,
    letter_photos,
    render_markdown,
    render_text,
    sender_name,
)
from auditor.exposure.request import identifiers, request_document
from auditor.exposure.resolve import Who
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.manifests.flickr_ids import is_nsid, photo_page_url
from auditor.outputs import atomic_text
from auditor.report.markdown import md_escape
from auditor.report.text import plain


def _value(value: object) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    return value


def _page_url(photo_id: str, owner: object, nsid: str | None) -> str:
    # The row's own owner (NSID or alias: both work in page URLs), else the resolved NSID.
    return photo_page_url(photo_id, owner if isinstance(owner, str) and owner else nsid)


def _licence_name(slug: object, catalogue: LicenceCatalogue) -> str | None:
    if not isinstance(slug, str):
        return None
    if slug == UNKNOWN:
        return "unknown licence"
    licence = catalogue.get(slug)
    return slug if licence is None else licence.name


def exposure_document(
    exposure: Exposure,
    grounds: pd.DataFrame,
    *,
    policy: Policy,
    catalogue: LicenceCatalogue | None = None,
) -> dict[str, Any]:
    """The content of exposure.json. `grounds`: findings (`photo_id`, `rule`) of the policy on
    the owner's rows."""
    catalogue = catalogue or load_catalogue()
    rows = exposure.rows
    nsid = next((o.nsid for o in exposure.owners if o.nsid), None)
    rules_by_photo: dict[str, set[str]] = {}
    for photo_id, rule in zip(grounds["photo_id"], grounds["rule"], strict=True):
        if isinstance(photo_id, str):
            rules_by_photo.setdefault(photo_id, set()).add(str(rule))
    datasets: dict[str, list[dict[str, Any]]] = {}
    by_licence: Counter[str] = Counter()
    for row in rows.to_dict("records"):
        photo_id = _value(row.get("photo_id"))
        current = _value(row.get("current_licence"))
        recorded = _value(row.get("recorded_licence"))
        licence = current or recorded or UNKNOWN
        entry = {
            "photo_id": photo_id,
            "page_url": None if photo_id is None else _page_url(photo_id, row.get("owner"), nsid),
            "manifest_url": _value(row.get("url")),
            "source_row": int(row["source_row"]),
            "title": _value(row.get("title")),
            "recorded_licence": recorded,
            "current_licence": current,
            "licence_name": _licence_name(licence, catalogue),
            "visibility": _value(row.get("visibility")),
            "matched_by": row["matched_by"],
            "relation": _value(row.get("relation")) or "owner",
            "grounds": sorted(rules_by_photo.get(photo_id or "", set())),
        }
        datasets.setdefault(str(row["source_file"]), []).append(entry)
        by_licence[licence] += 1
    distinct = set(rows["photo_id"].dropna())
    featured = rows["relation"] == "featured" if "relation" in rows.columns else None
    shown_in = set() if featured is None else set(rows.loc[featured, "photo_id"].dropna())
    return {
        "owner": exposure.owners[0].as_dict() if len(exposure.owners) == 1 else None,
        "owners": [o.as_dict() for o in exposure.owners],
        "mode": "live" if exposure.live else "offline",
        "policy": policy.id,
        "datasets": [{"manifest": name, "photos": photos} for name, photos in datasets.items()],
        "summary": {
            "photos": len(distinct),
            "featured_photos": len(shown_in),  # of `photos`, those they are tagged in, not took
            "rows": len(rows),
            "by_dataset": {name: len(photos) for name, photos in datasets.items()},
            "by_licence": dict(sorted(by_licence.items())),
        },
        "notes": list(exposure.notes),
    }


def _who(document: dict[str, Any]) -> str:
    names = []
    for owner in document["owners"]:
        parts = [p for p in (owner["username"], owner["path_alias"], owner["nsid"]) if p]
        names.append(" / ".join(dict.fromkeys(parts)))
    return "; ".join(names) or "unknown"


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The terminal summary: how many photos, in which datasets, under which licences."""
    summary = document["summary"]
    lines = [
        f"owner: {plain(_who(document))} ({document['mode']}; "
        + "; ".join(plain(o["resolved_by"]) for o in document["owners"])
        + ")",
        (
            f"{count(summary['photos'], 'photo')}{_featured(summary)} in "
            f"{count(len(summary['by_dataset']), 'manifest')}"
        ),
    ]
    lines += [f"  {plain(name)}: {count(n, 'row')}" for name, n in summary["by_dataset"].items()]
    if summary["by_licence"]:
        licences = ", ".join(f"{plain(k)} {v}" for k, v in summary["by_licence"].items())
        lines.append(f"licences: {licences}")
    lines += [f"note: {plain(note)}" for note in document["notes"]]
    return lines


def _featured(summary: dict[str, Any]) -> str:
    shown = summary.get("featured_photos", 0)
    return f" ({shown} of them tagged with this person, taken by others)" if shown else ""


def exposure_markdown(document: dict[str, Any]) -> str:
    summary = document["summary"]
    out = [
        f"# Photos of {md_escape(_who(document))} in these datasets",
        "",
        (
            f"- Found: **{count(summary['photos'], 'photo')}**{_featured(summary)} "
            f"({count(summary['rows'], 'manifest row')}), {document['mode']} lookup."
        ),
    ]
    for owner in document["owners"]:
        out.append(
            f"- Account {md_escape(owner['nsid'] or '(NSID not resolved)')}: "
            f"{md_escape(owner['resolved_by'])}"
        )
    out += [f"- Note: {md_escape(note)}" for note in document["notes"]]
    for dataset in document["datasets"]:
        out += ["", f"## {md_escape(dataset['manifest'])}", ""]
        out += ["| photo | row | licence | on Flickr now | grounds |", "|---|---:|---|---|---|"]
        for photo in dataset["photos"]:
            link = (
                md_escape(photo["photo_id"] or "(no id)")
                if photo["page_url"] is None
                else f"[{md_escape(photo['photo_id'])}]({photo['page_url']})"
            )
            out.append(
                f"| {link} | {photo['source_row']} | {md_escape(photo['licence_name'] or '')} | "
                f"{md_escape(photo['visibility'] or 'not checked (offline)')} | "
                f"{md_escape(', '.join(photo['grounds']))} |"
            )
    return "\n".join(out) + "\n"


# What `write_exposure` writes into its folder.
EXPOSURE_FILES: tuple[str, ...] = (
    "exposure.json",
    "exposure.md",
    "removal-request.md",
    "removal-request.txt",
    "removal-request.json",
)


def _licence_flags(slug: object, catalogue: LicenceCatalogue) -> dict[str, bool]:
    licence = catalogue.get(slug) if isinstance(slug, str) and slug != UNKNOWN else None
    return {
        "nc": bool(licence and licence.nc),
        "nd": bool(licence and licence.nd),
        "all_rights_reserved": bool(licence and licence.kind == "all-rights-reserved"),
    }


def _letter_rows(
    document: dict[str, Any], catalogue: LicenceCatalogue
) -> Iterator[dict[str, object]]:
    for dataset in document["datasets"]:
        name = Path(dataset["manifest"]).name  # the file name: never the sender's folders
        for photo in dataset["photos"]:
            yield {
                "photo_id": photo["photo_id"],
                "page_url": photo["page_url"],
                "relation": photo.get("relation", "owner"),
                "file": name,
                "row": photo["source_row"],
                "gone": photo["visibility"] == "not-public",
                **_licence_flags(photo["current_licence"] or photo["recorded_licence"], catalogue),
            }


def _names(values: pd.Series) -> list[str]:
    return sorted({v for v in values.dropna().astype("str") if v.strip()}, key=str.lower)


def requester_identifiers(exposure: Exposure) -> list[dict[str, str]]:
    """Every identifier of the sender's: the accounts resolved on Flickr (live), and what the
    matched rows name them by (NSID or alias in the owner field, alias in the page URLs, the
    owner name). Offline, what was typed is not listed as such: only what the rows confirm."""
    pairs: list[tuple[str, str | None]] = []
    for owner in exposure.owners:
        if exposure.live:
            pairs += [("nsid", owner.nsid), ("path_alias", owner.path_alias)]
            pairs += [("username", owner.username), ("realname", owner.realname)]
        elif owner.nsid:
            pairs.append(("nsid", owner.nsid))
    rows = exposure.rows
    if not rows.empty:
        # Rows of photos the sender took, matched by owner field, page URL or listing: their
        # owner names are the sender's (not so for photos they are only shown in).
        taken = (
            rows["relation"].fillna("owner") != "featured"
            if "relation" in rows.columns
            else pd.Series(True, index=rows.index)
        )
        mine = rows.loc[taken & (rows["matched_by"] != "owner name")]
        kinds = mine["owner_kind"].fillna("")
        pairs += [("nsid", n) for n in _names(mine.loc[kinds == "nsid", "owner"])]
        pairs += [("path_alias", a) for a in _names(mine.loc[kinds == "alias", "owner"])]
        for alias in _names(page_aliases(mine)):
            nsid = alias.upper()
            pairs.append(("nsid", nsid) if is_nsid(nsid) else ("path_alias", alias))
        if not exposure.live:
            pairs += [("username", n) for n in _names(rows.loc[taken, "owner_name"])]
            if "owner_realname" in rows.columns:
                pairs += [("realname", n) for n in _names(rows.loc[taken, "owner_realname"])]
    return identifiers(pairs)


def nothing_found_lines(
    exposure: Exposure, parsed: Who, manifests: Sequence[str], rows: int
) -> list[str]:
    """What `owner` says when no row matched: the identifiers tried, in which manifests."""
    tried: list[str] = []
    for identity in exposure.owners:
        if exposure.live:
            tried += [
                f"{label} {value!r}"
                for label, value in (
                    ("NSID", identity.nsid),
                    ("path alias", identity.path_alias),
                    ("username", identity.username),
                    ("realname", identity.realname),
                )
                if value
            ]
        elif parsed.kind == "nsid":
            tried.append(f"NSID {parsed.value!r}")
        elif parsed.kind == "alias":
            tried.append(f"path alias {parsed.value!r}")
        else:
            tried.append(f"path alias, username or realname {parsed.value!r}")
    how = (
        "owner fields, photo page URLs, owner names and the owner's Flickr listing"
        if exposure.live
        else "owner fields, photo page URLs and owner names"
    )
    lines = [
        (
            f"no photo found: tried {plain('; '.join(dict.fromkeys(tried)))} against the {how} of "
            f"{count(rows, 'row')} in {plain(', '.join(manifests))}; no letter written"
        ),
    ]
    lines += [f"note: {plain(note)}" for note in exposure.notes]
    return lines


@dataclass(frozen=True)
class RemovalRequest:
    """The letter (Markdown and plain text) and removal-request.json, from one template."""

    markdown: str
    text: str
    document: dict[str, Any]
    photos: int  # distinct photos (and rows without a photo id)


def removal_request(
    exposure: Exposure,
    document: dict[str, Any],
    *,
    query: str,
    grounds: Sequence[str],
    use: str | None,
    manifests: Sequence[str],
    catalogue: LicenceCatalogue | None = None,
) -> RemovalRequest:
    """The letter and the request document for the photos in `document` (`exposure_document`).
    `manifests`: the file names of every manifest read."""
    catalogue = catalogue or load_catalogue()
    photos = letter_photos(_letter_rows(document, catalogue))
    requester = requester_identifiers(exposure)
    sender = sender_name(requester, query)
    listing = list(dict.fromkeys(name for p in photos for name in p.places))
    parts = compose(sender, photos, listing, use=use)
    request = request_document(
        query=query,
        requester=requester,
        grounds=grounds,
        use=use,
        manifests=manifests,
        photos=photos,
    )
    return RemovalRequest(
        render_markdown(parts, grounds), render_text(parts, grounds), request, len(photos)
    )


def write_exposure(out_dir: Path, document: dict[str, Any], request: RemovalRequest) -> list[Path]:
    """Write exposure.json, exposure.md, the letter (removal-request.md and .txt) and
    removal-request.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        exposure_markdown(document),
        request.markdown,
        request.text,
        json.dumps(request.document, indent=2, ensure_ascii=False) + "\n",
    )
    written = []
    for name, text in zip(EXPOSURE_FILES, texts, strict=True):
        with atomic_text(out_dir / name) as handle:
            handle.write(text)
        written.append(out_dir / name)
    return written


def remove_earlier_letter(out_dir: Path) -> list[Path]:
    """Remove the files an earlier run wrote in `out_dir` (when this run found nothing, its
    letter would otherwise stand there as if it were this run's)."""
    removed = []
    for name in EXPOSURE_FILES:
        path = out_dir / name
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
