"""The photo table: one row per manifest row, the same columns whatever the manifest's format.

Columns (`PHOTO_COLUMNS`): `photo_id` (Flickr's id as a string), `owner` (NSID when known, else the
path alias; `owner_kind` says which), `owner_name`, `recorded_licence` (a catalogue slug or
`unknown`; the value as written is in `recorded_licence_raw`), `collected_at` (ISO 8601), `url`
(as the manifest has it), `source_file`, `source_row` (1-based line for line-oriented files, record
number for JSON and Parquet), `uploaded_at`, `title`, `source_format`, and `notes` (problems found
in that row). Rows without a photo id and duplicates are kept: they are findings, not noise.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.manifests.dates import normalise_date
from auditor.manifests.flickr_ids import FlickrRef, parse_flickr_ref, parse_owner
from auditor.manifests.raw import RawManifest
from auditor.safe_csv import write_csv

PHOTO_COLUMNS: tuple[str, ...] = (
    "photo_id",
    "owner",
    "owner_name",
    "recorded_licence",
    "collected_at",
    "url",
    "source_file",
    "source_row",
    "owner_kind",
    "recorded_licence_raw",
    "uploaded_at",
    "title",
    "source_format",
    "notes",
)

_NULL_TEXT = frozenset({"", "\\N"})


def _texts(values: list[object]) -> list[str | None]:
    """Each value as stripped text, or None when blank (`""`, `\\N`, NaN, None).

    Column-wise and inlined: this runs once per cell of every manifest.
    """
    out: list[str | None] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
        elif type(value) is str:
            text = value.strip()
            append(None if text in _NULL_TEXT else text)
        elif isinstance(value, float) and math.isnan(value):
            append(None)
        else:
            text = str(value).strip()
            append(None if text in _NULL_TEXT else text)
    return out


class _LicenceJudge:
    """Resolves a row's recorded licence values into one slug, and says why when it can't.

    Rows repeat the same few licence values, so each combination is judged once.
    """

    def __init__(self, catalogue: LicenceCatalogue) -> None:
        self.catalogue = catalogue
        self._seen: dict[tuple[str | None, ...], tuple[str, str | None]] = {}

    def judge(
        self, code: str | None, version: str | None, value: str | None, alt: str | None
    ) -> tuple[str, str | None]:
        key = (code, version, value, alt)
        if key not in self._seen:
            self._seen[key] = self._judge(code, version, value, alt)
        return self._seen[key]

    def _same_terms(self, a: str, b: str) -> bool:
        la, lb = self.catalogue.get(a), self.catalogue.get(b)
        if la is None or lb is None:
            return a == b
        terms = ("by", "sa", "nc", "nd", "kind", "version")
        return all(getattr(la, t) == getattr(lb, t) for t in terms)

    def _judge(
        self, code: str | None, version: str | None, value: str | None, alt: str | None
    ) -> tuple[str, str | None]:
        first_text = " ".join(v for v in (code, version) if v) if code else value
        if code is not None:
            first = self.catalogue.resolve_code(code, version)
            if first == UNKNOWN:
                first = self.catalogue.resolve(code)
        else:
            first = self.catalogue.resolve(value) if value is not None else UNKNOWN
        second = self.catalogue.resolve(alt) if alt is not None else UNKNOWN

        if first_text is None and alt is None:
            return UNKNOWN, None
        if alt is None or (first != UNKNOWN and second == first):
            return first, (None if first != UNKNOWN else f"licence {first_text!r} not recognised")
        if first_text is None:
            return second, (None if second != UNKNOWN else f"licence {alt!r} not recognised")
        if first != UNKNOWN and second != UNKNOWN:
            if self._same_terms(first, second):
                # Same terms; keep the more specific one (a ported licence names its jurisdiction).
                return max(first, second, key=len), None
            return (
                UNKNOWN,
                f"recorded licences disagree: {first_text!r} is {first}, {alt!r} is {second}",
            )
        if first != UNKNOWN:
            return first, f"licence {alt!r} not recognised; used {first_text!r}"
        if second != UNKNOWN:
            return second, f"licence {first_text!r} not recognised; used {alt!r}"
        return UNKNOWN, f"licence {first_text!r} / {alt!r} not recognised"


def _owner_of(
    owner_ref: str | None, refs: list[FlickrRef]
) -> tuple[str | None, str | None, str | None]:
    """`(owner, owner_kind, note)`: an NSID beats an alias; two different NSIDs are noted."""
    candidates: list[tuple[str, str]] = []
    if owner_ref is not None:
        owner, kind = parse_owner(owner_ref)
        if owner is not None and kind is not None:
            candidates.append((owner, kind))
    candidates += [(r.owner, r.owner_kind) for r in refs if r.owner and r.owner_kind]
    if not candidates:
        return None, None, None
    nsids = list(dict.fromkeys(owner for owner, kind in candidates if kind == "nsid"))
    aliases = list(dict.fromkeys(owner.lower() for owner, kind in candidates if kind == "alias"))
    if nsids:
        note = f"owner differs between fields: {', '.join(nsids)}" if len(nsids) > 1 else None
        return nsids[0], "nsid", note
    note = f"owner differs between fields: {', '.join(aliases)}" if len(aliases) > 1 else None
    return candidates[0][0], candidates[0][1], note


def _photo_id_of(refs: list[FlickrRef], notes: list[str]) -> str | None:
    """The first photo id the row's fields give; disagreements and absences go to `notes`."""
    with_id = [ref for ref in refs if ref.photo_id is not None]
    if not with_id:
        problem = refs[0].problem if refs else "no id or URL in this row"
        notes.append(f"no Flickr photo id: {problem or 'unrecognised value'}")
        return None
    photo_id = with_id[0].photo_id
    others = sorted({str(r.photo_id) for r in with_id[1:] if r.photo_id != photo_id})
    if others:
        notes.append(f"other fields name photo {', '.join(others)}")
    return photo_id


def _dates(values: list[object], label: str) -> tuple[list[str | None], list[str | None]]:
    """ISO dates for a column, and per row a note when a date was unusable."""
    isos: list[str | None] = []
    notes: list[str | None] = []
    for value in values:
        iso, problem = normalise_date(value)
        isos.append(iso)
        notes.append(f"{label}: {problem}" if problem else None)
    return isos, notes


def _normalise(raw: RawManifest, judge: _LicenceJudge) -> dict[str, list[object]]:
    """The photo-table columns for one read manifest."""
    n = raw.rows
    text = {name: _texts(values) for name, values in raw.columns.items() if name != "source_row"}
    ref_columns = [
        [None if value is None else parse_flickr_ref(value) for value in text[name]]
        for name in ("photo_ref", "url", "alt_url")
    ]
    collected_at, collected_notes = _dates(raw.columns["collected_at"], "collection date")
    uploaded_at, uploaded_notes = _dates(raw.columns["uploaded_at"], "upload date")

    photo_ids: list[object] = []
    owners: list[object] = []
    owner_kinds: list[object] = []
    urls: list[object] = []
    slugs: list[object] = []
    licence_raws: list[object] = []
    row_notes: list[object] = []
    for i in range(n):
        notes: list[str] = [] if text["notes"][i] is None else [str(text["notes"][i])]
        refs = [ref for column in ref_columns if (ref := column[i]) is not None]
        photo_ids.append(_photo_id_of(refs, notes))

        owner, owner_kind, owner_note = _owner_of(text["owner_ref"][i], refs)
        owners.append(owner)
        owner_kinds.append(owner_kind)
        if owner_note:
            notes.append(owner_note)

        url = text["url"][i]
        if url is None:
            ref_text = text["photo_ref"][i]
            url = ref_text if ref_text and "/" in ref_text else text["alt_url"][i]
        urls.append(url)

        code, version = text["licence_code"][i], text["licence_version"][i]
        value, alt = text["licence"][i], text["licence_alt"][i]
        slug, licence_note = judge.judge(code, version, value, alt)
        slugs.append(slug)
        if licence_note:
            notes.append(licence_note)
        licence_raw = text["licence_raw"][i]
        if licence_raw is None:
            shown = [" ".join(v for v in (code, version) if v) if code else None, value, alt]
            licence_raw = " | ".join(v for v in shown if v) or None
        licence_raws.append(licence_raw)

        for date_note in (collected_notes[i], uploaded_notes[i]):
            if date_note:
                notes.append(date_note)
        row_notes.append("; ".join(notes) or None)

    return {
        "photo_id": photo_ids,
        "owner": owners,
        "owner_name": list(text["owner_name"]),
        "recorded_licence": slugs,
        "collected_at": list(collected_at),
        "url": urls,
        "source_file": [str(raw.path)] * n,
        "source_row": list(raw.columns["source_row"]),
        "owner_kind": owner_kinds,
        "recorded_licence_raw": licence_raws,
        "uploaded_at": list(uploaded_at),
        "title": list(text["title"]),
        "source_format": [raw.format] * n,
        "notes": row_notes,
    }


def empty_photo_table() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="str") for name in PHOTO_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def build_photo_table(
    raws: list[RawManifest], catalogue: LicenceCatalogue | None = None
) -> pd.DataFrame:
    """Normalise the rows of one or more read manifests into one photo table."""
    judge = _LicenceJudge(catalogue or load_catalogue())
    frames = [pd.DataFrame(_normalise(raw, judge), columns=list(PHOTO_COLUMNS)) for raw in raws]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_photo_table()
    table = pd.concat(frames, ignore_index=True)
    table["source_row"] = table["source_row"].astype("int64")
    for name in PHOTO_COLUMNS:
        if name != "source_row":
            table[name] = table[name].astype("str")
    return table


@dataclass(frozen=True)
class FileReport:
    """What was read from one manifest file."""

    path: str
    format: str
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason → rows not taken
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSummary:
    """The counts shown after reading manifests."""

    files: int
    rows: int
    photos: int  # distinct photo ids
    duplicates: int  # rows whose photo id appeared in an earlier row
    no_photo_id: int
    unknown_licence: int  # a licence was recorded but resolves to nothing in the catalogue
    no_licence: int  # no licence recorded at all (URL lists, COCO files without ids...)
    skipped: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable summary lines (the CLI prints them to stderr)."""
        out = [
            f"{self.files} file(s), {self.rows} row(s), {self.photos} distinct photo(s)",
            (
                f"rows to look at: {self.duplicates} duplicate(s), {self.no_photo_id} without a "
                f"Flickr photo id, {self.unknown_licence} with an unresolved licence, "
                f"{self.no_licence} with no licence recorded"
            ),
        ]
        if self.skipped:
            parts = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items()))
            out.append(f"skipped rows: {parts}")
        return out


def summarise(photos: pd.DataFrame, files: list[FileReport]) -> TableSummary:
    ids = photos["photo_id"]
    has_id = ids.notna()
    unknown = photos["recorded_licence"] == UNKNOWN
    recorded = photos["recorded_licence_raw"].notna()
    skipped: Counter[str] = Counter()
    for report in files:
        skipped.update(report.skipped)
    return TableSummary(
        files=len(files),
        rows=len(photos),
        photos=int(ids[has_id].nunique()),
        duplicates=int(ids[has_id].duplicated().sum()),
        no_photo_id=int((~has_id).sum()),
        unknown_licence=int((unknown & recorded).sum()),
        no_licence=int((unknown & ~recorded).sum()),
        skipped=dict(skipped),
    )


OUTPUT_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")


def write_photo_table(photos: pd.DataFrame, target: Path | IO[str]) -> None:
    """Write the table as CSV (formulas defused), JSON Lines or Parquet, chosen by suffix.

    A stream (e.g. stdout) gets CSV. The caller checks the suffix with `OUTPUT_SUFFIXES` first.
    """
    if not isinstance(target, Path):
        write_csv(photos, target)
        return
    suffix = target.suffix.lower()
    if suffix == ".csv":
        write_csv(photos, target)
    elif suffix in (".jsonl", ".ndjson"):
        photos.to_json(target, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        photos.to_parquet(target, index=False)
    else:
        raise ValueError(f"unsupported output suffix {suffix!r}")
