"""What `flickr-audit owner` writes: exposure.json (data), exposure.md (for the photographer),
and removal-request.md / .txt (a letter to the dataset's maintainers listing every photo).

Everything that came from a manifest or from Flickr is hostile text: the Markdown escapes it,
and the plain-text letter strips control characters and line breaks from it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.engine import Policy
from auditor.exposure.find import Exposure
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.manifests.flickr_ids import photo_page_url
from auditor.outputs import atomic_text
from auditor.report.markdown import md_escape
from auditor.report.text import plain

# Rules whose findings are grounds a photographer can cite, in the order the letter gives them.
LICENCE_GROUNDS = ("non-commercial", "no-derivatives", "all-rights-reserved")
WISH_GROUNDS = ("opt-out", "not-public")


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
            # "owner": they took it; "featured": they are tagged in someone else's photo.
            "relation": _value(row.get("relation")) or "owner",
            "grounds": sorted(rules_by_photo.get(photo_id or "", set())),
        }
        datasets.setdefault(str(row["source_file"]), []).append(entry)
        by_licence[licence] += 1
    distinct = set(rows["photo_id"].dropna())
    return {
        "owner": exposure.owners[0].as_dict() if len(exposure.owners) == 1 else None,
        "owners": [o.as_dict() for o in exposure.owners],
        "mode": "live" if exposure.live else "offline",
        "policy": policy.id,
        "datasets": [{"manifest": name, "photos": photos} for name, photos in datasets.items()],
        "summary": {
            "photos": len(distinct),
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
        f"{summary['photos']} photo(s) in {len(summary['by_dataset'])} manifest(s)",
    ]
    lines += [f"  {plain(name)}: {count} row(s)" for name, count in summary["by_dataset"].items()]
    if summary["by_licence"]:
        licences = ", ".join(f"{plain(k)} {v}" for k, v in summary["by_licence"].items())
        lines.append(f"licences: {licences}")
    lines += [f"note: {plain(note)}" for note in document["notes"]]
    return lines


def exposure_markdown(document: dict[str, Any]) -> str:
    summary = document["summary"]
    out = [
        f"# Photos of {md_escape(_who(document))} in these datasets",
        "",
        (
            f"- Found: **{summary['photos']} photo(s)** ({summary['rows']} manifest row(s)), "
            f"{document['mode']} lookup."
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


def _grounds_paragraphs(document: dict[str, Any], policy: Policy) -> list[str]:
    counts: Counter[str] = Counter()
    for dataset in document["datasets"]:
        for photo in dataset["photos"]:
            counts.update(photo["grounds"])
    paragraphs = []
    use = policy.description
    if counts["non-commercial"]:
        paragraphs.append(
            f"{counts['non-commercial']} of these photos carry a NonCommercial (NC) licence, "
            f"which does not allow the use this dataset serves ({use})."
        )
    if counts["no-derivatives"]:
        paragraphs.append(
            f"{counts['no-derivatives']} carry a NoDerivatives (ND) licence, which does not "
            "allow adapted copies such as crops, alignments or augmentations."
        )
    if counts["all-rights-reserved"]:
        paragraphs.append(
            f"{counts['all-rights-reserved']} carry no licence at all (All Rights Reserved): "
            "no one but me may permit their use."
        )
    if counts["opt-out"]:
        paragraphs.append(
            f"{counts['opt-out']} carry a tag by which I asked that they not be used for machine "
            "learning."
        )
    if counts["not-public"]:
        paragraphs.append(f"{counts['not-public']} I have since deleted or made private on Flickr.")
    return paragraphs


LEGAL_NOTE = (
    "Independently of the licences, if I live in the European Union or the United Kingdom, the "
    "GDPR gives me the right to have personal data about me erased (Article 17) and to object "
    "to its processing (Article 21); photos of people, and any face geometry derived from them, "
    "are personal data. If the photos show residents of Illinois, the Biometric Information "
    "Privacy Act (740 ILCS 14) restricts collecting face geometry without written consent. "
    "This is information, not legal advice."
)


def removal_request(document: dict[str, Any], policy: Policy) -> tuple[str, str]:
    """The letter, as Markdown and as plain text. Lists every matched photo."""
    who = _who(document)
    total = document["summary"]["photos"]
    intro = (
        f"I am the Flickr user {who}. The dataset(s) you maintain include {total} of my photos, "
        "listed below with their Flickr pages and where your manifest lists them. I ask you to "
        "remove them from the dataset, from every version you distribute, and from the copies "
        "you have already shared with others, to ask those recipients to delete them, and to "
        "confirm in writing when this is done."
    )
    grounds = _grounds_paragraphs(document, policy)
    md = ["# Request to remove my photos from your dataset", "", md_escape(intro), ""]
    txt = ["Request to remove my photos from your dataset", "", plain(intro), ""]
    if grounds:
        md += ["## Grounds", ""] + [md_escape(p) + "\n" for p in grounds]
        txt += ["Grounds:"] + [f"- {plain(p)}" for p in grounds] + [""]
    md += [md_escape(LEGAL_NOTE), "", "## The photos", ""]
    txt += [LEGAL_NOTE, "", "The photos:"]
    for dataset in document["datasets"]:
        md += [f"### {md_escape(dataset['manifest'])}", ""]
        txt += ["", f"{plain(dataset['manifest'])}:"]
        for photo in dataset["photos"]:
            where = photo["manifest_url"] or f"row {photo['source_row']}"
            page = photo["page_url"] or "(no Flickr photo id in this row)"
            md.append(
                f"- {md_escape(page)}, listed as {md_escape(where)} (row {photo['source_row']})"
            )
            txt.append(f"- {page}, listed as {plain(where)} (row {photo['source_row']})")
        md.append("")
    md += ["Thank you,", "", md_escape(who)]
    txt += ["", "Thank you,", plain(who)]
    return "\n".join(md) + "\n", "\n".join(txt) + "\n"


# What `write_exposure` writes into its folder.
EXPOSURE_FILES: tuple[str, ...] = (
    "exposure.json",
    "exposure.md",
    "removal-request.md",
    "removal-request.txt",
)


def write_exposure(out_dir: Path, document: dict[str, Any], policy: Policy) -> list[Path]:
    """Write exposure.json, exposure.md, removal-request.md and removal-request.txt."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    letter_md, letter_txt = removal_request(document, policy)
    texts = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        exposure_markdown(document),
        letter_md,
        letter_txt,
    )
    files = dict(zip(EXPOSURE_FILES, texts, strict=True))
    written = []
    for name, text in files.items():
        with atomic_text(out_dir / name) as handle:
            handle.write(text)
        written.append(out_dir / name)
    return written
