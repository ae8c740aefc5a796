"""The state store: what Flickr said about each photo, when, and the answer itself as evidence.

One SQLite file (WAL journal) holds, per photo, the latest status the live fetch established
(`photos`: status, licence, visibility, owner NSID/username/alias, tags, licence history,
`fetched_at`, the raw JSON answer), every observation made over time (`observations`: a compact
log, so a licence change between two audits can be shown), path aliases resolved to NSIDs
(`owners`), and one row per run (`runs`). The fetcher writes in small transactions, so a run
killed at any moment (SIGKILL included) loses at most the batch in flight, and a run started
again skips what is stored and still fresh. Two runs sharing the file wait for each other's
write lock (`busy_timeout`) instead of failing or corrupting it.

Nothing here ever holds the API key: answers are stored as Flickr sent them (the key is a request
parameter, never part of an answer), and run rows record the endpoint, not the request URLs.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.errors import AuditorError

SCHEMA_VERSION = 1
# Statuses a photo can have in the store.
STATUS_OK = "ok"  # visible: licence, owner and tags known
STATUS_NOT_PUBLIC = "not-public"  # getInfo said not found / private (deleted or private)
STATUS_ERROR = "error"  # could not be checked: never fresh, fetched again on the next run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS photos (
    photo_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    licence_id INTEGER,
    owner_nsid TEXT,
    owner_username TEXT,
    owner_alias TEXT,
    tags TEXT,
    uploaded_at INTEGER,
    method TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    error TEXT,
    evidence TEXT,
    history TEXT,
    history_fetched_at TEXT,
    run_id INTEGER
);
CREATE TABLE IF NOT EXISTS observations (
    photo_id TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    status TEXT NOT NULL,
    licence_id INTEGER,
    method TEXT NOT NULL,
    run_id INTEGER
);
CREATE INDEX IF NOT EXISTS observations_photo ON observations (photo_id, fetched_at);
CREATE TABLE IF NOT EXISTS owners (
    alias TEXT PRIMARY KEY,
    nsid TEXT,
    username TEXT,
    fetched_at TEXT NOT NULL
);
-- Pages of owners' photo listings (getPublicPhotos, or photos.search over one owner), kept so
-- another manifest or a re-audit within --max-age settles the photos they show without asking
-- again. `query` names the page (method and parameters); `entries` is the page's photo objects
-- as JSON, zlib-compressed. `listed_photos` says on which page a photo was last seen. Pages of
-- getPhotosOf (the photos `nsid` is tagged in, other owners' photos) are kept here too, but are
-- no listing of `nsid`'s photos: they stay out of `listed_photos` and `listed_owners`.
CREATE TABLE IF NOT EXISTS listing_pages (
    nsid TEXT NOT NULL,
    query TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    entries BLOB NOT NULL,
    PRIMARY KEY (nsid, query)
);
CREATE TABLE IF NOT EXISTS listed_photos (
    photo_id INTEGER PRIMARY KEY,
    nsid TEXT NOT NULL,
    query TEXT NOT NULL
);
-- Other answers kept for --max-age (who a username, alias or NSID is), by the question asked.
CREATE TABLE IF NOT EXISTS answers (
    question TEXT PRIMARY KEY,
    answer TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    api_url TEXT,
    manifests TEXT,
    policy TEXT,
    photos INTEGER,
    api_calls TEXT
);
"""

PHOTO_FIELDS: tuple[str, ...] = (
    "photo_id",
    "status",
    "licence_id",
    "owner_nsid",
    "owner_username",
    "owner_alias",
    "tags",
    "uploaded_at",
    "method",
    "fetched_at",
    "error",
    "evidence",
    "history",
    "history_fetched_at",
    "run_id",
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC, to the second, with a Z: the one timestamp form the store and the reports use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class PhotoRecord:
    """One photo's latest status as the fetcher established it."""

    photo_id: str
    status: str  # STATUS_OK | STATUS_NOT_PUBLIC | STATUS_ERROR
    method: str  # the API method whose answer decided it
    fetched_at: str  # ISO 8601 UTC
    licence_id: int | None = None
    owner_nsid: str | None = None
    owner_username: str | None = None
    owner_alias: str | None = None
    tags: str | None = None  # Flickr's normalised tags, space-separated
    uploaded_at: int | None = None
    error: str | None = None  # why it could not be checked, or Flickr's not-found message
    evidence: str | None = None  # the answer's JSON (the photo object, or the error body)
    history: str | None = None  # JSON list of licence changes, when fetched
    history_fetched_at: str | None = None


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing of an owner's photos, as Flickr answered it."""

    nsid: str
    query: str  # the method and parameters that asked for it
    fetched_at: str
    entries: Sequence[Mapping[str, Any]]  # the page's photo objects


# The `query` of kept getPhotosOf pages starts with this (see `photos_of_entries`).
PHOTOS_OF = "flickr.people.getPhotosOf"

# Photo ids SQLite can hold as an INTEGER key: decimal, no leading zero, within int64.
_SQLITE_ID = re.compile(r"[1-9][0-9]{0,17}")


class StateError(AuditorError):
    """The state file cannot be used (not SQLite, newer schema, unwritable)."""


class StateStore:
    """The SQLite state file. Use from one thread (the fetcher's coordinating thread)."""

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        # Once a write fails (disk full, I/O error, lock held too long), the rest of the run is
        # kept here instead, so its answers still reach the reports: `unsaved` says why.
        self.unsaved: str | None = None
        self._unsaved_photos: dict[str, dict[str, Any]] = {}
        self._unsaved_owners: dict[str, tuple[str | None, str]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in `transaction`).
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            _retry_locked(self._set_up)
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"{self.path}: cannot be used as the state file ({exc}); "
                "give another path with --state or delete this file"
            ) from None
        except OSError as exc:
            raise StateError(
                f"{self.path}: cannot create the state file ({exc.strerror}); "
                "give a writable path with --state"
            ) from None

    def _set_up(self) -> None:
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        # executescript commits on its own; every statement is idempotent (IF NOT EXISTS).
        self._db.executescript(_SCHEMA)
        with self.transaction():
            self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: written by a newer flickr-audit (schema {row[0]}); "
                "upgrade flickr-audit or give another path with --state"
            )

    # -- transactions -------------------------------------------------------------------------

    class _Transaction:
        def __init__(self, db: sqlite3.Connection) -> None:
            self._db = db

        def __enter__(self) -> sqlite3.Connection:
            # IMMEDIATE takes the write lock now, so two runs queue here rather than failing
            # half-way through a batch with "database is locked".
            self._db.execute("BEGIN IMMEDIATE")
            return self._db

        def __exit__(self, kind: object, value: object, traceback: object) -> None:
            if kind is None:
                self._db.execute("COMMIT")
            elif self._db.in_transaction:  # SQLite may have rolled back itself (disk full)
                self._db.execute("ROLLBACK")

    def transaction(self) -> StateStore._Transaction:
        return StateStore._Transaction(self._db)

    def _write(self, work: Callable[[sqlite3.Connection], object]) -> bool:
        """Run `work` in one transaction; False (and `unsaved` set) when the file cannot take
        it. After one failure no further write is tried: the file stays as it was."""
        if self.unsaved is not None:
            return False

        def attempt() -> None:
            with self.transaction() as db:
                work(db)

        try:
            _retry_locked(attempt)
        except sqlite3.DatabaseError as exc:  # OperationalError: full, I/O, locked, read-only
            self.unsaved = (
                f"{self.path}: the state file could not be written ({exc}); this run's answers "
                "are in its reports but not saved, and will be asked of Flickr again next run"
            )
            return False
        return True

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- photos -------------------------------------------------------------------------------

    def save_photos(self, records: Iterable[PhotoRecord], run_id: int | None = None) -> int:
        """Store (insert or replace) photo statuses and log them as observations; one commit.

        A record without history keeps the history already stored for the photo: a listing
        answer does not erase what getLicenseHistory said.
        """
        rows = [
            (
                r.photo_id,
                r.status,
                r.licence_id,
                r.owner_nsid,
                r.owner_username,
                r.owner_alias,
                r.tags,
                r.uploaded_at,
                r.method,
                r.fetched_at,
                r.error,
                r.evidence,
                r.history,
                r.history_fetched_at,
                run_id,
            )
            for r in records
        ]
        if not rows:
            return 0
        placeholders = ", ".join("?" * len(PHOTO_FIELDS))
        updates = ", ".join(
            f"{name} = excluded.{name}"
            for name in PHOTO_FIELDS
            if name not in ("photo_id", "history", "history_fetched_at")
        )

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                f"INSERT INTO photos ({', '.join(PHOTO_FIELDS)}) VALUES ({placeholders}) "
                f"ON CONFLICT (photo_id) DO UPDATE SET {updates}, "
                "history = COALESCE(excluded.history, photos.history), "
                "history_fetched_at = COALESCE(excluded.history_fetched_at, "
                "photos.history_fetched_at)",
                rows,
            )
            db.executemany(
                "INSERT INTO observations (photo_id, fetched_at, status, licence_id, method, "
                "run_id) VALUES (?, ?, ?, ?, ?, ?)",
                [(row[0], row[9], row[1], row[2], row[8], run_id) for row in rows],
            )

        if not self._write(write):
            for row in rows:
                record: dict[str, Any] = dict(zip(PHOTO_FIELDS, row, strict=True))
                before = self._unsaved_photo(record["photo_id"])
                if before is not None and record["history"] is None:
                    record["history"] = before["history"]
                    record["history_fetched_at"] = before["history_fetched_at"]
                self._unsaved_photos[record["photo_id"]] = record
        return len(rows)

    def _unsaved_photo(self, photo_id: str) -> dict[str, Any] | None:
        """The photo's row as this run knows it: kept in memory, else as stored."""
        if photo_id in self._unsaved_photos:
            return self._unsaved_photos[photo_id]
        row = self._db.execute(
            f"SELECT {', '.join(PHOTO_FIELDS)} FROM photos WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        return None if row is None else dict(zip(PHOTO_FIELDS, row, strict=True))

    def save_history(self, histories: Mapping[str, tuple[str, str]]) -> None:
        """Store licence histories: photo id → (history JSON, fetched_at)."""
        if not histories:
            return
        rows = [(text, when, photo_id) for photo_id, (text, when) in histories.items()]
        unsaved = set(self._unsaved_photos) & set(histories)
        saved = self._write(
            lambda db: db.executemany(
                "UPDATE photos SET history = ?, history_fetched_at = ? WHERE photo_id = ?",
                [row for row in rows if row[2] not in unsaved],
            )
        )
        for text, when, photo_id in rows:
            if saved and photo_id not in unsaved:
                continue
            record = self._unsaved_photo(photo_id)
            if record is not None:
                self._unsaved_photos[photo_id] = {
                    **record,
                    "history": text,
                    "history_fetched_at": when,
                }

    def load_photos(self, photo_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Stored statuses (columns `PHOTO_FIELDS`), for the given ids or all of them."""
        query = f"SELECT {', '.join(PHOTO_FIELDS)} FROM photos"
        if photo_ids is None:
            rows = self._db.execute(query).fetchall()
        else:
            rows = []
            for chunk in _chunks(list(dict.fromkeys(photo_ids)), 900):
                marks = ", ".join("?" * len(chunk))
                rows.extend(self._db.execute(f"{query} WHERE photo_id IN ({marks})", chunk))
        if self._unsaved_photos:
            wanted = None if photo_ids is None else set(photo_ids)
            kept = {
                photo_id: tuple(record[name] for name in PHOTO_FIELDS)
                for photo_id, record in self._unsaved_photos.items()
                if wanted is None or photo_id in wanted
            }
            rows = [row for row in rows if row[0] not in kept] + list(kept.values())
        frame = pd.DataFrame.from_records(rows, columns=list(PHOTO_FIELDS))
        for name in ("licence_id", "uploaded_at", "run_id"):
            frame[name] = frame[name].astype("Int64")
        return frame

    def observations(self, photo_id: str) -> list[dict[str, Any]]:
        """Every status recorded for one photo, oldest first (the evidence trail)."""
        cursor = self._db.execute(
            "SELECT fetched_at, status, licence_id, method, run_id FROM observations "
            "WHERE photo_id = ? ORDER BY fetched_at, rowid",
            (photo_id,),
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- owners -------------------------------------------------------------------------------

    def save_owner(self, alias: str, nsid: str | None, username: str | None, when: str) -> None:
        """Remember what a path alias resolved to (nsid None: no such user)."""
        saved = self._write(
            lambda db: db.execute(
                "INSERT INTO owners (alias, nsid, username, fetched_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (alias) DO UPDATE SET nsid = excluded.nsid, "
                "username = excluded.username, fetched_at = excluded.fetched_at",
                (alias.lower(), nsid, username, when),
            )
        )
        if not saved:
            self._unsaved_owners[alias.lower()] = (nsid, when)

    def load_owners(self, since: str) -> dict[str, str | None]:
        """Path alias (lower case) → NSID (None: no such user), resolved at or after `since`."""
        rows = self._db.execute("SELECT alias, nsid FROM owners WHERE fetched_at >= ?", (since,))
        known: dict[str, str | None] = dict(rows)
        known.update(
            (alias, nsid) for alias, (nsid, when) in self._unsaved_owners.items() if when >= since
        )
        return known

    # -- owner listings -----------------------------------------------------------------------

    def save_listing_pages(self, pages: Iterable[ListingPage]) -> None:
        """Keep listing pages (replacing an older copy of the same page); one commit."""
        rows = list(pages)
        if not rows:
            return

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO listing_pages (nsid, query, fetched_at, entries) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (nsid, query) DO UPDATE SET fetched_at = excluded.fetched_at, "
                "entries = excluded.entries",
                [
                    (
                        p.nsid,
                        p.query,
                        p.fetched_at,
                        zlib.compress(
                            json.dumps(list(p.entries), separators=(",", ":")).encode(), 6
                        ),
                    )
                    for p in rows
                ],
            )
            db.executemany(
                "INSERT INTO listed_photos (photo_id, nsid, query) VALUES (?, ?, ?) "
                "ON CONFLICT (photo_id) DO UPDATE SET nsid = excluded.nsid, query = excluded.query",
                [
                    (int(photo_id), p.nsid, p.query)
                    for p in rows
                    if not p.query.startswith(PHOTOS_OF)
                    for entry in p.entries
                    if _SQLITE_ID.fullmatch(photo_id := str(entry.get("id", "")))
                ],
            )

        # Kept only to save calls later: pages a full disk cannot take are simply not kept.
        self._write(write)

    def listed_owners(self, since: str) -> set[str]:
        """Owners with a listing page of their photos fetched at or after `since`."""
        rows = self._db.execute(
            "SELECT DISTINCT nsid FROM listing_pages WHERE fetched_at >= ? AND query NOT LIKE ?",
            (since, f"{PHOTOS_OF} %"),
        )
        return {nsid for (nsid,) in rows}

    def save_answer(self, question: str, answer: Mapping[str, Any], when: str) -> None:
        """Keep an answer (JSON-able) to a question such as "flickr.people.getInfo 1@N01"."""
        text = json.dumps(dict(answer), separators=(",", ":"), ensure_ascii=False)
        self._write(
            lambda db: db.execute(
                "INSERT INTO answers (question, answer, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT (question) DO UPDATE SET answer = excluded.answer, "
                "fetched_at = excluded.fetched_at",
                (question, text, when),
            )
        )

    def load_answer(self, question: str, since: str) -> dict[str, Any] | None:
        """The kept answer to `question`, if it was fetched at or after `since`."""
        row = self._db.execute(
            "SELECT answer FROM answers WHERE question = ? AND fetched_at >= ?", (question, since)
        ).fetchone()
        if row is None:
            return None
        answer = json.loads(row[0])
        return answer if isinstance(answer, dict) else None

    def listed_in_full(self, nsid: str, since: str) -> bool:
        """Whether every getPublicPhotos page of the owner was fetched at or after `since`
        (the run that fetched them all marked the listing complete)."""
        row = self._db.execute(
            "SELECT fetched_at FROM listing_pages WHERE nsid = ? AND query LIKE ? "
            "ORDER BY fetched_at DESC LIMIT 1",
            (nsid, "flickr.people.getPublicPhotos complete %"),
        ).fetchone()
        if row is None or row[0] < since:
            return False
        first = self._db.execute(
            "SELECT fetched_at FROM listing_pages WHERE nsid = ? AND query = ?",
            (nsid, "flickr.people.getPublicPhotos page=1"),
        ).fetchone()
        return first is not None and first[0] >= since

    def _photos_of_pages(self, nsid: str, since: str) -> int | None:
        """How many getPhotosOf pages of `nsid` there are, if a run fetched them all at or
        after `since` (and every one of them is still that fresh); else None."""
        row = self._db.execute(
            "SELECT query, fetched_at FROM listing_pages WHERE nsid = ? AND query LIKE ? "
            "ORDER BY fetched_at DESC LIMIT 1",
            (nsid, f"{PHOTOS_OF} complete pages=%"),
        ).fetchone()
        if row is None or row[1] < since:
            return None
        pages = int(str(row[0]).rpartition("=")[2])
        wanted = [f"{PHOTOS_OF} page={n}" for n in range(1, pages + 1)]
        fresh = 0
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM listing_pages WHERE nsid = ? AND fetched_at >= ? "
                f"AND query IN ({marks})",
                (nsid, since, *chunk),
            ).fetchone()
            fresh += int(count)
        return pages if fresh == pages else None

    def photos_of_in_full(self, nsid: str, since: str) -> bool:
        """Whether every getPhotosOf page of `nsid` (the photos they are tagged in) was
        fetched at or after `since`."""
        return self._photos_of_pages(nsid, since) is not None

    def photos_of_entries(self, nsid: str, since: str) -> list[tuple[str, dict[str, Any]]]:
        """The photos `nsid` is tagged in, as kept getPhotosOf pages fetched at or after
        `since` show them: (fetched_at, the photo's object). When the pages were fetched in
        full, only those pages (not older, longer runs of pages)."""
        pages = self._photos_of_pages(nsid, since)
        found = []
        for query, fetched_at, entries in self._db.execute(
            "SELECT query, fetched_at, entries FROM listing_pages "
            "WHERE nsid = ? AND query LIKE ? AND fetched_at >= ?",
            (nsid, f"{PHOTOS_OF} page=%", since),
        ):
            number = str(query).rpartition("=")[2]
            if pages is not None and (not number.isdigit() or int(number) > pages):
                continue
            for entry in json.loads(zlib.decompress(entries)):
                if isinstance(entry, dict):
                    found.append((str(fetched_at), entry))
        return found

    def listed_entries(
        self, photo_ids: Iterable[str], since: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """Photos shown by a listing page fetched at or after `since`: (fetched_at, the
        photo's object as the page gave it), for those of `photo_ids` such a page shows."""
        wanted = sorted({int(p) for p in photo_ids if _SQLITE_ID.fullmatch(p)})
        pages: dict[tuple[str, str], set[str]] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            for photo_id, nsid, query in self._db.execute(
                f"SELECT photo_id, nsid, query FROM listed_photos WHERE photo_id IN ({marks})",
                chunk,
            ):
                pages.setdefault((nsid, query), set()).add(str(photo_id))
        found = []
        for (nsid, query), ids in pages.items():
            row = self._db.execute(
                "SELECT fetched_at, entries FROM listing_pages "
                "WHERE nsid = ? AND query = ? AND fetched_at >= ?",
                (nsid, query, since),
            ).fetchone()
            if row is None:
                continue
            for entry in json.loads(zlib.decompress(row[1])):
                if isinstance(entry, dict) and str(entry.get("id")) in ids:
                    found.append((str(row[0]), entry))
        return found

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, *, api_url: str, manifests: Sequence[str], policy: str, photos: int) -> int:
        """The new run's id; 0 when the file cannot record it (see `unsaved`)."""
        ids: list[int] = []

        def write(db: sqlite3.Connection) -> None:
            cursor = db.execute(
                "INSERT INTO runs (started_at, api_url, manifests, policy, photos) "
                "VALUES (?, ?, ?, ?, ?)",
                (iso(now_utc()), api_url, json.dumps(list(manifests)), policy, photos),
            )
            ids.append(int(cursor.lastrowid or 0))

        return ids[0] if self._write(write) else 0

    def finish_run(self, run_id: int, *, outcome: str, api_calls: Mapping[str, int]) -> None:
        self._write(
            lambda db: db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, api_calls = ? WHERE run_id = ?",
                (iso(now_utc()), outcome, json.dumps(dict(api_calls), sort_keys=True), run_id),
            )
        )

    def runs(self) -> list[dict[str, Any]]:
        cursor = self._db.execute("SELECT * FROM runs ORDER BY run_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def _retry_locked(step: Callable[[], None], attempts: int = 6) -> None:
    """Run `step`, again after a short wait when SQLite says "database is locked" at once: in
    WAL mode some lock conflicts (another connection switching the journal mode or recovering
    the WAL) return SQLITE_BUSY without waiting for `busy_timeout`."""
    for attempt in range(attempts):
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)


def fresh_cutoff(max_age: timedelta, now: datetime | None = None) -> str:
    """The `fetched_at` at or after which a stored status is fresh enough to reuse."""
    return iso((now or now_utc()) - max_age)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
