"""Credits: the attribution that the kept photos' licences require, one entry per photo.

`credits_table(photos, findings)` lists every photo that is kept (a manifest row of it has no
error finding that is not waived: the rule of `auditor.release.clean`, whether or not cleaned
manifests are written) and whose effective licence has the BY element (`Licence.by` in the
licence catalogue: every Creative Commons licence but CC0; not All Rights Reserved, the public
domain marks, or an unknown licence). A photo listed several times is credited once: the title
and author are the first its kept listings give. Rows without a photo id cannot be credited.

Columns (`CREDIT_COLUMNS`): `photo_id`; `title`; `author` (the owner's display name, else the
owner's NSID or alias); `owner`; `page_url` (the photo's Flickr page); `licence` (its name) and
`licence_url`; `source_file` and `source_row` of the first kept listing. Title and author come
from the manifests, or from the live status when it has them (`current_title`,
`current_owner_name` columns, when present).

`write_credits(table, path)` writes `.csv` (through `auditor.safe_csv`: no cell starts a
formula) or `.md` (manifest text escaped by `md_escape`: it renders as the literal text);
another suffix is an `AuditorError`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pandas as pd

from auditor.engine.basis import DEFAULT_LICENCE_BASIS
from auditor.engine.evaluate import annotate
from auditor.errors import AuditorError
from auditor.licences import LicenceCatalogue, load_catalogue
from auditor.manifests.flickr_ids import photo_page_url
from auditor.outputs import atomic_path
from auditor.release.clean import removed_rows
from auditor.report.markdown import md_escape
from auditor.safe_csv import write_csv

CREDIT_COLUMNS: tuple[str, ...] = (
    "photo_id",
    "title",
    "author",
    "owner",
    "page_url",
    "licence",
    "licence_url",
    "source_file",
    "source_row",
)
CREDIT_SUFFIXES: tuple[str, ...] = (".csv", ".md")
# Live columns preferred over the manifest's, when an audit's photo table has them.
LIVE_TITLE, LIVE_OWNER_NAME = "current_title", "current_owner_name"
_URL_SAFE = ":/?=&%@.~-_+#"


def check_credits_path(path: str | Path) -> Path:
    """`path` when its suffix is one `write_credits` knows, else `AuditorError`."""
    path = Path(path)
    if path.suffix.lower() not in CREDIT_SUFFIXES:
        raise AuditorError(
            f"{path}: unknown suffix for the credits; name a .csv or .md file with --credits"
        )
    return path


def page_url(photo_id: str, owner: object, owner_kind: object) -> str:
    """The photo's Flickr page: by its owner's NSID or alias when known, else Flickr's
    redirect by id."""
    known = owner if isinstance(owner, str) and owner_kind in ("nsid", "alias") else None
    return photo_page_url(photo_id, known)


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("str")
    return out.where(out.str.strip() != "")


def credits_table(
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    catalogue: LicenceCatalogue | None = None,
    *,
    licence_basis: str = DEFAULT_LICENCE_BASIS,
) -> pd.DataFrame:
    """The credits of the kept photos that require attribution (see the module docstring).

    `photos` is the audit's photo table, annotated (`engine.annotate`: it has
    `effective_licence`) or not (it is annotated with `licence_basis`); `findings` its findings
    table.
    """
    catalogue = catalogue or load_catalogue()
    if "effective_licence" not in photos.columns:
        photos = annotate(photos, catalogue, licence_basis=licence_basis)
    removed = removed_rows(findings)
    files, numbers = photos["source_file"].astype("str"), photos["source_row"].astype("int64")
    keys = zip(files, numbers, strict=True)
    kept = pd.Series([(str(f), int(r)) not in removed for f, r in keys], index=photos.index)
    slugs = photos["effective_licence"].astype("str")
    licences = {slug: catalogue.get(slug) for slug in slugs.dropna().unique().tolist()}
    attribution = {slug for slug, licence in licences.items() if licence is not None and licence.by}
    needs = slugs.isin(attribution)
    has_id = photos["photo_id"].notna() & (photos["photo_id"].astype("str") != "")
    rows = photos[kept & needs & has_id]
    if rows.empty:
        return _empty()

    def column(name: str, live: str | None = None) -> pd.Series:
        manifest = (
            _text(rows[name]) if name in rows.columns else pd.Series(index=rows.index, dtype="str")
        )
        if live is not None and live in rows.columns:
            return _text(rows[live]).fillna(manifest)
        return manifest

    owner = column("owner")
    frame = pd.DataFrame(
        {
            "photo_id": rows["photo_id"].astype("str"),
            "title": column("title", LIVE_TITLE),
            "author": column("owner_name", LIVE_OWNER_NAME).fillna(owner),
            "owner": owner,
            "owner_kind": column("owner_kind"),
            "licence_slug": slugs[rows.index],
            "source_file": rows["source_file"].astype("str"),
            "source_row": rows["source_row"].astype("int64"),
        }
    )
    # One entry per photo: the first kept listing, its empty fields filled from later ones.
    first = frame.groupby("photo_id", sort=False).first().reset_index()
    first["page_url"] = [
        page_url(p, o, k)
        for p, o, k in zip(first["photo_id"], first["owner"], first["owner_kind"], strict=True)
    ]
    first["licence"] = [licences[s].name for s in first["licence_slug"]]  # type: ignore[union-attr]
    first["licence_url"] = [licences[s].url for s in first["licence_slug"]]  # type: ignore[union-attr]
    out = first.loc[:, list(CREDIT_COLUMNS)]
    for name in CREDIT_COLUMNS:
        if name != "source_row":
            out[name] = out[name].astype("str")
    out["source_row"] = out["source_row"].astype("int64")
    return out.reset_index(drop=True)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="str") for name in CREDIT_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _md_url(url: object) -> str:
    return quote(str(url), safe=_URL_SAFE)


def _cell(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def credits_markdown(table: pd.DataFrame) -> str:
    """The credits as Markdown: one list item per photo, manifest text escaped."""
    count = len(table)
    lines = [
        "# Photo credits",
        "",
        (
            f"{count} photo{'' if count == 1 else 's'} of this dataset "
            f"{'is' if count == 1 else 'are'} used under licences that require credit to the "
            "author: keep these credits with the images."
        ),
        "",
    ]
    for row in table.itertuples(index=False):
        title = _cell(row.title)
        author = _cell(row.author)
        shown_title = f"“{md_escape(title)}”" if title else "*Untitled*"
        shown_author = md_escape(author) if author else "*unknown author*"
        lines.append(
            f"- {shown_title} by {shown_author}, [on Flickr]({_md_url(row.page_url)}), "
            f"licensed under [{md_escape(row.licence)}]({_md_url(row.licence_url)})"
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def write_credits(table: pd.DataFrame, path: str | Path) -> Path:
    """Write `credits_table`'s table to `path`: `.csv` or `.md` by suffix (else
    `AuditorError`). The file is replaced only once written whole."""
    path = check_credits_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as temp:
            if path.suffix.lower() == ".csv":
                write_csv(table.loc[:, list(CREDIT_COLUMNS)], temp)
            else:
                temp.write_text(credits_markdown(table), encoding="utf-8")
    except OSError as error:
        raise AuditorError(
            f"{path}: cannot write the credits ({error.strerror or error}); check the folder's "
            "permissions and free space"
        ) from error
    return path
