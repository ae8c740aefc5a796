"""The removal request: one letter template, used by `flickr-audit owner` (removal-request.md and
.txt) and by the lookup page (`publish-lookup`), so both send the same words.

`letter_photos` turns matched manifest rows into distinct photos (a photo listed in three rows is
one photo, with three places); `compose` writes the letter as parts: the head (title, greeting,
what is asked), one paragraph set per legal ground (`GROUNDS`), and the tail (the photos, in a
section for those the sender took and one for those they are shown in; empty sections left out).
The sender chooses the grounds; the letter states the dataset's use only when the sender gives it.
`render_markdown` / `render_text` join the parts; the lookup page joins the same text parts in
the same order (`LetterText.assemble`, repeated in lookup.js), so its letter is this one.

Every value from a manifest or from Flickr is hostile text: it is put on one line (`plain`) and,
in Markdown, escaped (`md_escape_prose`: only what could act in a paragraph, so the .md
reads as plain text too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from auditor.errors import AuditorError
from auditor.report.markdown import md_escape_prose
from auditor.report.text import plain

# The legal grounds a sender may cite, in the order the letter gives them.
GROUNDS: Final = ("gdpr", "bipa", "licence")
GROUND_NAMES: Final = {
    "gdpr": "the GDPR (EU and UK data protection)",
    "bipa": "the Illinois Biometric Information Privacy Act",
    "licence": "the photos' licences (NonCommercial, NoDerivatives, All Rights Reserved)",
}
RELATIONS: Final = ("owner", "featured")
MAX_USE_CHARS: Final = 500


def parse_grounds(values: Iterable[str]) -> tuple[str, ...]:
    """`--grounds gdpr,bipa` (repeatable) as a tuple in letter order; `AuditorError` naming the
    unknown ones. An empty value (or `none`) means no grounds."""
    chosen: set[str] = set()
    for value in values:
        for part in value.split(","):
            word = part.strip().lower()
            if word and word != "none":
                chosen.add(word)
    unknown = sorted(chosen - set(GROUNDS))
    if unknown:
        raise AuditorError(
            f"--grounds: unknown ground(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(GROUNDS)} (comma-separated)"
        )
    return tuple(g for g in GROUNDS if g in chosen)


def check_use(use: str | None) -> str | None:
    """`--use TEXT`: one line of at most `MAX_USE_CHARS` characters; None or blank: not given."""
    if use is None or not use.strip():
        return None
    text = use.strip()
    if len(text) > MAX_USE_CHARS or any(not ch.isprintable() for ch in text):
        raise AuditorError(
            f"--use must be one line of at most {MAX_USE_CHARS} characters, without control "
            "characters"
        )
    return text


def count(n: int, word: str, plural: str | None = None) -> str:
    """`1 photo`, `2 photos`."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _verb(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _and(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class LetterPhoto:
    """One distinct photo (or one row without a photo id), with every place that lists it."""

    photo_id: str | None
    page_url: str | None
    relation: str  # "owner" (the sender took it) or "featured" (the sender is shown in it)
    places: dict[str, list[int]] = field(default_factory=dict)  # manifest file name -> rows
    nc: bool = False
    nd: bool = False
    all_rights_reserved: bool = False
    gone: bool = False  # deleted or made private on Flickr since (known from a live check)


def letter_photos(rows: Iterable[Mapping[str, object]]) -> list[LetterPhoto]:
    """Rows (`photo_id`, `page_url`, `relation`, `file`, `row`, `nc`, `nd`,
    `all_rights_reserved`, `gone`) grouped into distinct photos, in first-seen order. A photo the
    sender both took and is shown in counts as theirs ("owner"); a licence flag set on any of its
    rows is kept."""
    photos: dict[object, LetterPhoto] = {}
    for number, row in enumerate(rows):
        photo_id = row.get("photo_id")
        key: object = photo_id if isinstance(photo_id, str) and photo_id else ("row", number)
        relation = "featured" if row.get("relation") == "featured" else "owner"
        page = row.get("page_url")
        photo = photos.get(key)
        if photo is None:
            photo = photos[key] = LetterPhoto(
                photo_id if isinstance(photo_id, str) and photo_id else None,
                page if isinstance(page, str) and page else None,
                relation,
            )
        elif relation == "owner" and photo.relation != "owner":
            photo.relation = "owner"
            if isinstance(page, str) and page:
                photo.page_url = page
        rows_in_file = photo.places.setdefault(str(row.get("file") or ""), [])
        line = row.get("row")
        if isinstance(line, int) and line not in rows_in_file:
            rows_in_file.append(line)
        photo.nc |= bool(row.get("nc"))
        photo.nd |= bool(row.get("nd"))
        photo.all_rights_reserved |= bool(row.get("all_rights_reserved"))
        photo.gone |= bool(row.get("gone"))
    for photo in photos.values():
        for rows_in_file in photo.places.values():
            rows_in_file.sort()
    return list(photos.values())


# A block of the letter: ("title" | "heading" | "paragraph" | "item", text). Texts are plain
# (already on one line); the renderers escape them.
Block = tuple[str, str]


@dataclass(frozen=True)
class LetterParts:
    """The letter as parts: `grounds` holds one list of paragraphs per ground that has
    something to say (a ground with nothing to say, such as `licence` when every photo is
    CC BY, is absent)."""

    head: list[Block]
    grounds: dict[str, list[Block]]
    tail: list[Block]

    def blocks(self, chosen: Sequence[str]) -> list[Block]:
        cited = [block for g in GROUNDS if g in chosen for block in self.grounds.get(g, [])]
        heading: list[Block] = [("heading", "Grounds")] if cited else []
        return [*self.head, *heading, *cited, *self.tail]


def sender_name(identifiers: list[dict[str, str]], query: str) -> str:
    """How the letter names its sender: their username (else realname, alias, NSID), with
    their alias and NSID in brackets."""
    by_kind: dict[str, list[str]] = {}
    for ident in identifiers:
        by_kind.setdefault(ident["kind"], []).append(ident["value"])
    first = next(
        (by_kind[k][0] for k in ("username", "realname", "path_alias", "nsid") if k in by_kind),
        query,
    )
    others = [v for k in ("path_alias", "nsid") for v in by_kind.get(k, []) if v != first]
    return plain(first) + (f" ({', '.join(map(plain, others))})" if others else "")


def _place(places: Mapping[str, list[int]]) -> str:
    out = []
    for name, rows in places.items():
        where = f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows))}"
        out.append(f"{plain(name)}, {where}" if name else where)
    return "; ".join(out)


def _photo_item(photo: LetterPhoto) -> str:
    page = plain(photo.page_url) if photo.page_url else "(this row gives no Flickr photo id)"
    return f"{page} (in {_place(photo.places)})"


def _intro(
    sender: str, took: int, shown: int, manifests: Sequence[str], dataset: str | None
) -> str:
    listed = []
    if took:
        listed.append(f"{count(took, 'photo')} that I took")
    if shown:
        listed.append(f"{count(shown, 'photo')} in which I am shown (tagged on Flickr)")
    names = [plain(m) for m in manifests]
    where = (
        ""
        if not names
        else f", in its manifest {names[0]}"
        if len(names) == 1
        else f", in its manifests {_and(names)}"
    )
    each = "It is" if took + shown == 1 else "Each is"
    named = f", {plain(dataset)}," if dataset else ""
    manifest = "manifest lists" if len(names) <= 1 else "manifests list"
    return (
        f"I am the Flickr user {plain(sender)}. Your dataset{named} lists "
        f"{' and '.join(listed)}{where}. "
        f"{each} given below with its Flickr page and where your {manifest} it."
    )


def _gdpr(took: int, shown: int) -> list[Block]:
    what = "photos I took and photos of me" if took and shown else "photos of me"
    if not shown:
        what = "photos I took"
    text = (
        f"These {what}, the Flickr account names listed with them and anything derived from "
        "them (such as face geometry, embeddings or captions) are personal data about me under "
        "the General Data Protection Regulation (EU GDPR and UK GDPR). I object to their "
        "processing (Article 21) and ask you to erase them (Article 17), to tell everyone to "
        "whom you disclosed them of the erasure (Article 19), and to reply within one month of "
        "receiving this request (Article 12(3))."
    )
    return [("paragraph", text)]


def _bipa(shown: int) -> list[Block]:
    text = (
        "Face geometry taken from photos of people is a biometric identifier under the "
        "Illinois Biometric Information Privacy Act (740 ILCS 14). Collecting it requires the "
        "informed written consent of each person shown (Section 15(b)), and whoever holds it "
        "must follow a written policy for destroying it (Section 15(a)). "
    )
    if shown:
        text += f"I am shown in {count(shown, 'of these photos', 'of these photos')} and gave "
        text += "no such consent. "
    text += (
        "I ask you to destroy any face geometry, face templates or embeddings derived from "
        "these photos."
    )
    return [("paragraph", text)]


# What each licence term allows, as the letter says it.
_TERMS: Final = (
    (
        "nc",
        (
            "a NonCommercial (NC) Creative Commons licence, which allows no commercial use, "
            "such as training or selling models that are used commercially"
        ),
    ),
    (
        "nd",
        (
            "a NoDerivatives (ND) Creative Commons licence, which allows no adapted copies, "
            "such as crops, alignments or augmentations, to be shared"
        ),
    ),
    (
        "all_rights_reserved",
        (
            "no licence at all (All Rights Reserved): no one but me may permit their use, and I "
            "have not"
        ),
    ),
)


def _licence(photos: Sequence[LetterPhoto]) -> list[Block]:
    """Licence terms: only for photos the sender took (the licence of a photo they are merely
    shown in is its photographer's to enforce)."""
    taken = [p for p in photos if p.relation == "owner"]
    out: list[Block] = []
    for flag, term in _TERMS:
        n = sum(bool(getattr(p, flag)) for p in taken)
        if n:
            lead = "" if out else "Of the photos I took, "
            if n == 1:
                term = term.replace("permit their use", "permit its use")
            out.append(("paragraph", f"{lead}{n} {_verb(n, 'carries', 'carry')} {term}."))
    return out


def compose(
    sender: str,
    photos: Sequence[LetterPhoto],
    manifests: Sequence[str],
    *,
    use: str | None = None,
    dataset: str | None = None,
) -> LetterParts:
    """The letter from `sender` (how they are named: username, alias, NSID) about `photos`
    listed in the manifests named `manifests` (file names). `use`: what the sender says the
    dataset is used for, stated only when given; `dataset`: its name, when known."""
    took = [p for p in photos if p.relation == "owner"]
    shown = [p for p in photos if p.relation == "featured"]
    title = (
        "Request to remove my photos and photos of me from your dataset"
        if took and shown
        else "Request to remove photos of me from your dataset"
        if shown
        else "Request to remove my photos from your dataset"
    )
    head: list[Block] = [
        ("title", title),
        ("paragraph", "Dear maintainers,"),
        ("paragraph", _intro(sender, len(took), len(shown), manifests, dataset)),
    ]
    if use:
        head.append(("paragraph", f"The dataset is used for {plain(use).rstrip('.')}."))
    head.append(
        (
            "paragraph",
            (
                f"I ask you to remove {_verb(len(photos), 'it', 'them')} from the dataset and from "
                "every version you distribute, to delete the copies you hold and anything derived "
                f"from {_verb(len(photos), 'it', 'them')}, to ask everyone you have shared "
                f"{_verb(len(photos), 'it', 'them')} with to do the same, and to confirm to me in "
                "writing when this is done."
            ),
        )
    )
    gone = sum(p.gone for p in took)
    if gone:
        head.append(
            (
                "paragraph",
                (
                    f"I have since deleted or made private on Flickr "
                    f"{count(gone, 'of the photos', 'of the photos')} I took."
                ),
            )
        )
    grounds = {"gdpr": _gdpr(len(took), len(shown)), "bipa": _bipa(len(shown))}
    licence = _licence(photos)
    if licence:
        grounds["licence"] = licence
    tail: list[Block] = []
    for section, chosen in (
        ("Photos I took", took),
        ("Photos I am shown in", shown),
    ):
        if chosen:
            tail.append(("heading", f"{section} ({count(len(chosen), 'photo')})"))
            tail += [("item", _photo_item(photo)) for photo in chosen]
    tail += [("paragraph", "Thank you,"), ("paragraph", plain(sender))]
    return LetterParts(head, grounds, tail)


# A Flickr page URL as `photo_page_url` writes it (quoted): safe inside a Markdown autolink,
# where backslash escapes would not be read.
_PAGE_URL: Final = re.compile(r"https://www\.flickr\.com/[A-Za-z0-9@%._~/?=&-]+(?= |$)")


def _markdown(kind: str, text: str) -> str:
    url = _PAGE_URL.match(text) if kind == "item" else None
    if url is None:
        return md_escape_prose(text)
    rest = md_escape_prose(text[url.end() :])
    return f"<{url[0]}>" + (f" {rest}" if rest else "")


def _render(blocks: Sequence[Block], markdown: bool) -> str:
    out: list[str] = []
    for i, (kind, text) in enumerate(blocks):
        shown = _markdown(kind, text) if markdown else plain(text)
        if kind == "title":
            out.append(f"# {shown}\n\n" if markdown else f"{shown}\n\n")
        elif kind == "heading":
            out.append(f"## {shown}\n\n" if markdown else f"{shown}\n\n")
        elif kind == "item":
            last = i + 1 == len(blocks) or blocks[i + 1][0] != "item"
            out.append(f"- {shown}\n" + ("\n" if last else ""))
        else:
            out.append(f"{shown}\n\n")
    return "".join(out)


def _finish(text: str) -> str:
    return text.rstrip("\n") + "\n"


def render_markdown(parts: LetterParts, grounds: Sequence[str]) -> str:
    return _finish(_render(parts.blocks(grounds), markdown=True))


@dataclass(frozen=True)
class LetterText:
    """The plain-text letter in parts, as the lookup page stores it: `assemble` (and lookup.js,
    step for step) joins head, the grounds heading and the chosen grounds, and tail."""

    head: str
    grounds_heading: str
    grounds: dict[str, str]
    tail: str

    def assemble(self, chosen: Sequence[str]) -> str:
        cited = [self.grounds[g] for g in GROUNDS if g in chosen and self.grounds.get(g)]
        middle = self.grounds_heading + "".join(cited) if cited else ""
        return _finish(self.head + middle + self.tail)

    def as_dict(self) -> dict[str, object]:
        return {
            "head": self.head,
            "grounds_heading": self.grounds_heading,
            "grounds": dict(self.grounds),
            "tail": self.tail,
        }


def text_parts(parts: LetterParts) -> LetterText:
    return LetterText(
        head=_render(parts.head, markdown=False),
        grounds_heading=_render([("heading", "Grounds")], markdown=False),
        grounds={g: _render(blocks, markdown=False) for g, blocks in parts.grounds.items()},
        tail=_render(parts.tail, markdown=False),
    )


def render_text(parts: LetterParts, grounds: Sequence[str]) -> str:
    return text_parts(parts).assemble(grounds)
