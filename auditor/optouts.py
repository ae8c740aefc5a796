"""Opt-out lists for `audit --opt-outs`: read them, then join them onto the photo table.

Two kinds of file are read (`load_opt_outs`):

- a **removal request**, `removal-request.json` as `flickr-audit owner` writes it beside the
  letter (`schema_version` 1, docs/removal-request.md and its JSON Schema): every photo of its
  `photos[]` is opted out by photo id, under the request's name and `created_at`. Another
  `schema_version`, another `kind`, a missing key or a key of the wrong type is refused with one
  line naming the file and the key.
- a **plain list**: TXT, one entry a line (blank lines and lines starting with `#` are ignored),
  or CSV/TSV whose header names a column of photo ids or URLs (`photo_id`, `url`, ...) and/or of
  owners (`owner`, `nsid`, `path_alias`, ...), and optionally a date column (`date`,
  `created_at`, or any header with the word "date": ISO dates). An entry is a photo (id, photo
  page, static or flic.kr URL) or a whole owner (NSID, path alias, profile or photostream URL:
  every photo of theirs). A row of a CSV with a photo column names that photo; only a row
  whose photo cells are empty names its owner.
  An entry that names neither (an album URL, a username, junk) is refused with its line.

Every file is read whole within the `opt-out-file` limit (`auditor.limits`). `OptOutBook.join`
adds the column `opt_out_request` (see `auditor.engine.columns.OPT_OUT_COLUMNS`) to a photo
table: per row with a photo id, what opts it out ("removal request removal-request.json of
2026-12-03T12:40:00Z", "opt-out list owners.txt line 4 (owner 12345678@N01)"), null where
nothing does. The rule `opt-out` reads it. Photos match by id; owners by the row's owner field,
the NSID or alias in its photo page URL, and, live, the owner Flickr reports; aliases and NSIDs
compare case-insensitively. The book remembers which entries matched and which photos were
opted out, across chunks (and partitions, `add`), for the summary and the warnings about
entries that matched no row. Only file names, never local paths, go into findings.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.errors import AuditorError
from auditor.limits import InputTooLarge, read_small_file
from auditor.manifests.flickr_ids import parse_flickr_ref, parse_owner
from auditor.safe_text import one_line

REQUEST_SCHEMA_VERSION = 1
REQUEST_KIND = "flickr-audit removal request"
RELATIONS = ("owner", "featured")
IDENTIFIER_KINDS = ("nsid", "path_alias", "username", "realname")
DOCS = "docs/removal-request.md"

# CSV headers, compared lower case with every run of other characters as one `_`.
PHOTO_COLUMNS = (
    "photo_id",
    "photoid",
    "id",
    "photo",
    "flickr_id",
    "flickr_photo_id",
    "url",
    "photo_url",
    "page_url",
    "flickr_url",
    "flickr_page",
    "image_url",
    "link",
)
OWNER_COLUMNS = (
    "owner",
    "owner_id",
    "owner_nsid",
    "nsid",
    "user_id",
    "user_nsid",
    "path_alias",
    "alias",
    "owner_alias",
    "profile",
    "profile_url",
    "owner_url",
)
DATE_COLUMNS = (
    "date",
    "created_at",
    "created",
    "requested_at",
    "requested",
    "request_date",
    "received",
    "received_at",
    "opted_out_at",
    "opt_out_date",
)
_HEADER_RE = re.compile(r"[^a-z0-9]+")
_ISO_DATE_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_CREATED_AT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z")
# The owner in a photo page URL: flickr.com/photos/<NSID or alias>/<photo id>.
_PAGE_OWNER = r"(?i)flickr\.com/photos/(?P<who>[^/?#\s]+)/[0-9]+"
_SHOWN_UNMATCHED = 10


@dataclass(frozen=True)
class OptOutEntry:
    """One photo, or every photo of one owner, that a file opts out."""

    photo_id: str | None  # decimal id; None for an owner entry
    owner: str | None  # NSID (upper case) or path alias; None for a photo entry
    line: int | None = None  # 1-based line in a plain list (None in a removal request)
    date: str | None = None  # a plain list's date column, when it has one

    @property
    def target(self) -> str:
        return f"photo {self.photo_id}" if self.photo_id is not None else f"owner {self.owner}"


@dataclass(frozen=True)
class OptOutFile:
    """A removal request or a plain list, read."""

    name: str  # the file's name, made one harmless line: what findings cite
    kind: str  # "removal request" | "opt-out list"
    entries: tuple[OptOutEntry, ...]
    created_at: str | None = None  # a removal request's `created_at`

    def label(self, entry: OptOutEntry) -> str:
        """What `opt_out_request` says of a row this entry matches."""
        if self.kind == "removal request":
            return f"removal request {self.name} of {self.created_at}"
        text = f"opt-out list {self.name} line {entry.line}"
        if entry.date:
            text += f" of {entry.date}"
        return text if entry.owner is None else f"{text} ({entry.target})"


class OptOutError(AuditorError):
    """An opt-out file that cannot be used: one line naming the file (and line or key)."""


# -- reading --------------------------------------------------------------------------------------


def load_opt_outs(path: str | Path) -> OptOutFile:
    """Read one `--opt-outs` file: a removal request (JSON) or a plain list (TXT, CSV, TSV).

    Raises `OptOutError` (`path[:line]: problem; what to do`) for a file that cannot be read,
    is over the `opt-out-file` limit, is not UTF-8, or holds anything that is not a valid
    entry; an empty list is refused too (it would opt nothing out)."""
    shown = str(path)
    try:
        data = read_small_file(path, "opt_out_file", "opt-out list")
    except InputTooLarge as error:
        raise OptOutError(str(error)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise OptOutError(
            f"{shown}: cannot read the opt-out list ({reason}); check the path"
        ) from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise OptOutError(
            f"{shown}:{line}: not UTF-8 text; save the opt-out list as UTF-8"
        ) from None
    name = one_line(Path(shown).name)
    if text.lstrip().startswith("{") or shown.lower().endswith(".json"):
        return _read_request(shown, name, text)
    delimiter = _delimiter(shown, text)
    entries = tuple(_read_table(shown, text, delimiter) if delimiter else _read_lines(shown, text))
    if not entries:
        raise OptOutError(
            f"{shown}: the opt-out list names no photo and no owner; list photo ids, photo URLs, "
            "NSIDs or path aliases, one a line"
        )
    return OptOutFile(name, "opt-out list", entries)


def parse_entry(text: str) -> OptOutEntry | str:
    """What one list entry names: a photo (id, photo page, static or flic.kr URL) or a whole
    owner (NSID, path alias, profile or photostream URL); else the problem, as a phrase."""
    ref = parse_flickr_ref(text)
    if ref.photo_id is not None:
        return OptOutEntry(ref.photo_id, None)
    if ref.kind == "profile" and ref.owner is not None:
        return OptOutEntry(None, ref.owner)
    if ref.kind != "id" and "/" not in text and "." not in text:
        # Not a URL nor a number: an NSID or a path alias (neither holds "/" or "."), or junk.
        owner, _kind = parse_owner(text)
        if owner is not None:
            return OptOutEntry(None, owner)
        return (
            "not a photo id, photo URL, NSID, path alias or profile URL (a username cannot be "
            "matched: give the owner's NSID or the alias in their profile URL)"
        )
    return f"{ref.problem or 'not a photo'}; give a photo id or URL, or an owner's NSID or alias"


def _entry(path: str, line: int, text: str, date: str | None = None) -> OptOutEntry:
    parsed = parse_entry(text)
    if isinstance(parsed, str):
        raise OptOutError(f"{path}:{line}: {one_line(text, 80)!r}: {parsed}")
    return OptOutEntry(parsed.photo_id, parsed.owner, line, date)


def _read_lines(path: str, text: str) -> Iterator[OptOutEntry]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield _entry(path, number, line)


def _header_name(cell: str) -> str:
    return _HEADER_RE.sub("_", cell.strip().lower()).strip("_")


def _delimiter(path: str, text: str) -> str | None:
    """`,` or a tab for a CSV/TSV list, None for a TXT list: by the file's suffix, else by a
    first line that is a header naming a known column."""
    lower = path.lower()
    if lower.endswith(".csv"):
        return ","
    if lower.endswith(".tsv"):
        return "\t"
    first = next(
        (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")),
        "",
    )
    known = (*PHOTO_COLUMNS, *OWNER_COLUMNS)
    for delimiter in ("\t", ","):
        if delimiter in first:
            cells = next(csv.reader([first], delimiter=delimiter))
            if any(_header_name(cell) in known for cell in cells):
                return delimiter
    return None


def _columns(header: list[str], names: Sequence[str]) -> list[int]:
    """Positions of the header's cells named one of `names`, in the order of `names`."""
    normalised = [_header_name(cell) for cell in header]
    return [i for name in names for i, cell in enumerate(normalised) if cell == name]


def _read_table(path: str, text: str, delimiter: str) -> Iterator[OptOutEntry]:
    lines = text.splitlines(keepends=True)
    skip = 0  # comment and blank lines before the header
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    reader = csv.reader(lines[skip:], delimiter=delimiter, strict=True)
    header = _record(reader, path, skip + 1)
    if header is None:
        return
    photos, owners = _columns(header, PHOTO_COLUMNS), _columns(header, OWNER_COLUMNS)
    dates = _columns(header, DATE_COLUMNS) or [
        i for i, cell in enumerate(header) if "date" in _header_name(cell).split("_")
    ]
    if not photos and not owners:
        found = ", ".join(repr(one_line(cell, 40)) for cell in header[:8]) or "nothing"
        raise OptOutError(
            f"{path}:{skip + 1}: no column of photo ids, photo URLs or owners in the header "
            f"(found {found}); name one photo_id, url, owner or nsid"
        )
    end = skip + 1  # the line the last record ended on
    while (row := _record(reader, path, end + 1)) is not None:
        start, end = end + 1, skip + reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        date = _date(path, start, row, dates)
        cell = _first_cell(row, photos) or _first_cell(row, owners)
        if not cell:
            raise OptOutError(
                f"{path}:{start}: the row names no photo and no owner; fill its "
                f"{one_line(header[(photos or owners)[0]], 40)!r} cell or delete the row"
            )
        yield _entry(path, start, cell, date)


def _record(reader: Iterator[list[str]], path: str, line: int) -> list[str] | None:
    """The next CSV record (None at the end); `line` is where it starts, for the error."""
    try:
        return next(reader, None)
    except csv.Error as error:
        raise OptOutError(f"{path}:{line}: unreadable CSV record ({error})") from None


def _first_cell(row: list[str], columns: list[int]) -> str:
    """The first non-empty cell of `row` among `columns`, stripped; "" when all are empty."""
    return next((row[i].strip() for i in columns if i < len(row) and row[i].strip()), "")


def _date(path: str, line: int, row: list[str], columns: list[int]) -> str | None:
    cell = _first_cell(row, columns)
    if not cell:
        return None
    if not _ISO_DATE_RE.fullmatch(cell):
        raise OptOutError(
            f"{path}:{line}: date {one_line(cell, 40)!r} is not an ISO date; write it like "
            "2026-12-03 or 2026-12-03T12:40:00Z, or leave it empty"
        )
    return cell


# -- removal requests -----------------------------------------------------------------------------


class _Request:
    """Checks of one removal request's keys, each failure one line naming the file and key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> OptOutError:
        return OptOutError(
            f"{self.path}: removal request key {key}: {problem}; write it as "
            f"`flickr-audit owner` does (schema_version {REQUEST_SCHEMA_VERSION}, see {DOCS})"
        )

    def get(self, data: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
        name = f"{where}.{key}" if where else key
        if key not in data:
            raise self.fail(name, "missing")
        value = data[key]
        # bool is an int, but `true` is no number here.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _types(kind)):
            raise self.fail(name, f"is {_json_type(value)}, not {_json_types(kind)}")
        return value


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_JSON_NAMES = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "an integer",
    bool: "true/false",
}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_NAMES.get(type(value), "a number")


def _json_types(kind: type | tuple[type, ...]) -> str:
    return " or ".join(
        "null" if t is type(None) else _JSON_NAMES.get(t, t.__name__) for t in _types(kind)
    )


def _read_request(path: str, name: str, text: str) -> OptOutFile:
    try:
        data = json.loads(text)
    except RecursionError:
        raise OptOutError(f"{path}: JSON nested too deeply to be a removal request") from None
    except json.JSONDecodeError as error:
        raise OptOutError(
            f"{path}:{error.lineno}: not JSON ({error.msg}, column {error.colno}); a removal "
            f"request is the removal-request.json `flickr-audit owner` writes"
        ) from None
    if not isinstance(data, dict):
        raise OptOutError(f"{path}: a removal request is a JSON object, this is {_json_type(data)}")
    check = _Request(path)
    version = check.get(data, "schema_version", "", int)
    if version != REQUEST_SCHEMA_VERSION:
        raise OptOutError(
            f"{path}: removal request key schema_version is {version}; this flickr-audit reads "
            f"schema_version {REQUEST_SCHEMA_VERSION} (ask for the request again, or upgrade "
            "flickr-audit)"
        )
    kind = check.get(data, "kind", "", str)
    if kind != REQUEST_KIND:
        raise check.fail("kind", f"is {one_line(kind, 60)!r}, not {REQUEST_KIND!r}")
    created_at = check.get(data, "created_at", "", str)
    if not _CREATED_AT_RE.fullmatch(created_at) or not _valid_time(created_at):
        raise check.fail(
            "created_at",
            f"{one_line(created_at, 40)!r} is not a UTC time like 2026-12-03T12:40:00Z",
        )
    requester = check.get(data, "requester", "", dict)
    check.get(requester, "query", "requester", str)
    for number, identifier in enumerate(check.get(requester, "identifiers", "requester", list)):
        where = f"requester.identifiers[{number}]"
        if not isinstance(identifier, dict):
            raise check.fail(where, f"is {_json_type(identifier)}, not an object")
        if check.get(identifier, "kind", where, str) not in IDENTIFIER_KINDS:
            raise check.fail(f"{where}.kind", f"is none of {', '.join(IDENTIFIER_KINDS)}")
        check.get(identifier, "value", where, str)
    for number, ground in enumerate(check.get(data, "grounds", "", list)):
        if not isinstance(ground, str):
            raise check.fail(f"grounds[{number}]", f"is {_json_type(ground)}, not text")
    check.get(data, "use", "", (str, type(None)))
    dataset = check.get(data, "dataset", "", dict)
    check.get(dataset, "manifests", "dataset", list)
    entries: list[OptOutEntry] = []
    for number, photo in enumerate(check.get(data, "photos", "", list)):
        where = f"photos[{number}]"
        if not isinstance(photo, dict):
            raise check.fail(where, f"is {_json_type(photo)}, not an object")
        photo_id = check.get(photo, "photo_id", where, str)
        if (
            not (photo_id.isascii() and photo_id.isdigit())
            or parse_flickr_ref(photo_id).photo_id != photo_id
        ):
            raise check.fail(
                f"{where}.photo_id",
                f"{one_line(photo_id, 40)!r} is not a Flickr photo id (decimal digits)",
            )
        if check.get(photo, "relation", where, str) not in RELATIONS:
            raise check.fail(f"{where}.relation", f"is none of {', '.join(RELATIONS)}")
        check.get(photo, "page_url", where, str)
        check.get(photo, "manifests", where, list)
        entries.append(OptOutEntry(photo_id, None))
    return OptOutFile(name, "removal request", tuple(entries), created_at=created_at)


def _valid_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# -- joining --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutMatches:
    """What the opt-out entries matched so far: (file, entry) positions, and the photo ids
    opted out. Kept apart from the lists so a partition judged elsewhere can send it back."""

    entries: frozenset[tuple[int, int]] = frozenset()
    photos: frozenset[str] = frozenset()

    def __or__(self, other: OptOutMatches) -> OptOutMatches:
        return OptOutMatches(self.entries | other.entries, self.photos | other.photos)


@dataclass
class OptOutBook:
    """The opt-out files of an audit, joined onto each chunk of the photo table in turn."""

    files: tuple[OptOutFile, ...]
    matches: OptOutMatches = field(default_factory=OptOutMatches)

    def __post_init__(self) -> None:
        self._by_photo: dict[str, list[tuple[int, int]]] = {}
        self._by_owner: dict[str, list[tuple[int, int]]] = {}
        for f, file in enumerate(self.files):
            for e, entry in enumerate(file.entries):
                if entry.photo_id is not None:
                    self._by_photo.setdefault(entry.photo_id, []).append((f, e))
                elif entry.owner is not None:
                    self._by_owner.setdefault(entry.owner.lower(), []).append((f, e))

    def __getstate__(self) -> dict[str, Any]:
        return {"files": self.files, "matches": self.matches}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.files = state["files"]
        self.matches = state["matches"]
        self.__post_init__()

    def _labels(
        self, keys: Iterable[str], index: dict[str, list[tuple[int, int]]]
    ) -> dict[str, str]:
        return {
            key: " and ".join(
                dict.fromkeys(self.files[f].label(self.files[f].entries[e]) for f, e in index[key])
            )
            for key in keys
        }

    def join(self, photos: pd.DataFrame, flickr_owners: pd.Series | None = None) -> pd.DataFrame:
        """`photos` with `opt_out_request` (see the module docstring); `flickr_owners`, per row,
        the owner NSID Flickr reported (live), or None."""
        table = photos.copy(deep=False)
        request = pd.Series(index=photos.index, dtype="str")
        ids = photos["photo_id"]
        has_id = ids.notna().to_numpy(dtype=bool)
        found: list[tuple[np.ndarray[Any, np.dtype[np.bool_]], pd.Series]] = []
        used: set[tuple[int, int]] = set()
        # Each column of keys with the entries it is looked up in: photo ids, then owners.
        lookups: list[tuple[pd.Series, dict[str, list[tuple[int, int]]]]] = []
        if self._by_photo:
            lookups.append((ids, self._by_photo))
        if self._by_owner:
            lookups += [(o, self._by_owner) for o in self._owner_columns(photos, flickr_owners)]
        for column, index in lookups:
            hit = column.isin(list(index)).to_numpy(dtype=bool) & has_id
            if hit.any():
                keys = column[hit].astype("str")
                by_key = self._labels(set(keys), index)
                found.append((hit, keys.map(by_key)))
                used.update(pair for key in by_key for pair in index[key])
        if found:
            flagged = np.logical_or.reduce([hit for hit, _ in found])
            texts: dict[int, list[str]] = {}
            for hit, labels in found:
                for position, label in zip(
                    np.flatnonzero(hit).tolist(), labels.tolist(), strict=True
                ):
                    texts.setdefault(position, []).append(label)
            positions = np.flatnonzero(flagged)
            joined = [" and ".join(dict.fromkeys(texts[p])) for p in positions.tolist()]
            request.iloc[positions] = pd.array(joined, dtype="str")
            opted = frozenset(ids.iloc[positions].astype("str").tolist())
            self.matches = self.matches | OptOutMatches(frozenset(used), opted)
        table["opt_out_request"] = request
        return table

    @staticmethod
    def _owner_columns(
        photos: pd.DataFrame, flickr_owners: pd.Series | None
    ) -> Iterator[pd.Series]:
        """Each way a row names its owner, lower case: the owner field, the NSID or alias in its
        photo page URL, and the owner Flickr reported."""
        if "owner" in photos.columns:
            yield photos["owner"].astype("str").str.lower()
        if "url" in photos.columns and photos["url"].notna().any():
            urls = pa.array(photos["url"].astype("str").array, type=pa.large_string())
            owners = pc.struct_field(pc.extract_regex(urls, _PAGE_OWNER), [0])
            yield pd.Series(pc.utf8_lower(owners).to_pandas(), index=photos.index).astype("str")
        if flickr_owners is not None:
            yield flickr_owners.astype("str").str.lower().set_axis(photos.index)

    def add(self, matches: OptOutMatches) -> None:
        """Count what a book of the same audit matched elsewhere (another partition)."""
        self.matches = self.matches | matches

    def unmatched(self) -> list[tuple[OptOutFile, list[OptOutEntry]]]:
        """Per file, its entries that matched no manifest row (files with none left out)."""
        result = []
        for f, file in enumerate(self.files):
            missed = [
                entry for e, entry in enumerate(file.entries) if (f, e) not in self.matches.entries
            ]
            if missed:
                result.append((file, missed))
        return result

    def warnings(self) -> list[str]:
        """One line per file with entries that matched no manifest row."""
        lines = []
        for file, missed in self.unmatched():
            shown = ", ".join(
                entry.target if entry.line is None else f"line {entry.line} ({entry.target})"
                for entry in missed[:_SHOWN_UNMATCHED]
            )
            more = (
                f" and {len(missed) - _SHOWN_UNMATCHED} more"
                if len(missed) > _SHOWN_UNMATCHED
                else ""
            )
            noun = "entry" if len(file.entries) == 1 else "entries"
            lines.append(
                f"{file.kind} {file.name}: {len(missed)} of {len(file.entries)} {noun} "
                f"matched no manifest row: {shown}{more}"
            )
        return lines

    def summary(self) -> dict[str, Any]:
        """audit.json's `summary.opt_outs`."""
        missed = {id(file): len(entries) for file, entries in self.unmatched()}
        return {
            "opted_out_photos": len(self.matches.photos),
            "unmatched_entries": sum(missed.values()),
            "files": [
                {
                    "file": file.name,
                    "kind": file.kind,
                    "created_at": file.created_at,
                    "entries": len(file.entries),
                    "unmatched": missed.get(id(file), 0),
                }
                for file in self.files
            ],
        }


def load_book(paths: Sequence[str | Path]) -> OptOutBook | None:
    """The book of the `--opt-outs` files given, None when none was."""
    if not paths:
        return None
    return OptOutBook(tuple(load_opt_outs(path) for path in paths))


def flickr_owners(photos: pd.DataFrame, statuses: pd.DataFrame) -> pd.Series:
    """Per row of `photos`, the owner NSID Flickr reported for its photo (a live audit's
    `FetchReport.statuses`), null where the photo was not found."""
    found = statuses[statuses["status"] == "ok"].drop_duplicates("photo_id")
    nsids = found.set_index("photo_id")["owner_nsid"]
    return pd.Series(photos["photo_id"].map(nsids).to_numpy(), index=photos.index, dtype="str")
