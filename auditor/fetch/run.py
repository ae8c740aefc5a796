"""The live fetch: plan the fewest Flickr calls that establish every photo's status, make them
within the rate limit from a small thread pool, and store each answer as it arrives.

How calls are chosen (Flickr allows about 3,600 calls an hour, so calls are the cost):

* A photo whose stored status is fresh (younger than `max_age`, not an error) costs nothing.
* An owner with several photos to check is *listed* when that is cheaper than one
  `flickr.photos.getInfo` per photo: one listing page answers up to 500 photos. When the manifest
  gives upload times, `flickr.photos.search` with `user_id` asks only for the window between the
  earliest and latest of them, oldest first, so the first page always holds the earliest photo;
  a window over Flickr's 4,000-result cap, or one whose remaining pages would cost more than
  asking for its remaining photos one by one, is split at the widest gap between upload times.
  Without upload times, `flickr.people.getPublicPhotos` pages through the owner's photos while
  more pages cost less than the photos still unmatched.
* A photo its owner's listing did not show gets a `getInfo`: unauthenticated listings omit
  photos above the "safe" level, so absence proves nothing. So do photos of unknown owners
  (COCO, URL lists) and owners with too few photos to be worth a listing.
* A path alias is resolved to an NSID (`flickr.urls.lookupUser`, remembered in the state) only
  for owners with enough photos to list.
* `flickr.photos.licenses.getLicenseHistory` only for a visible photo whose current licence
  differs from a licence the manifest records, or for every photo with a collection date when
  the policy judges the licence in force at collection.
* `flickr.photos.licenses.getInfo` once per run, to catch licence ids the catalogue lacks.

Every call goes through the client's token bucket and retries. A photo that still cannot be
checked is stored with status "error" (the `unverified` finding; fetched again next run); a
listing that fails falls back to `getInfo` for its photos. An invalid key stops the run at once
(`InvalidKey` propagates) after storing what was established.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from auditor.fetch import history as hist
from auditor.fetch.targets import Target, build_targets
from auditor.flickr.errors import (
    FlickrApiError,
    FlickrError,
    InvalidKey,
    NotVisible,
    UnexpectedResponse,
)
from auditor.flickr.parse import FlickrLicence, LicenceChange, PhotoPage, PhotoStatus, UserMatch
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.state import (
    STATUS_ERROR,
    STATUS_NOT_PUBLIC,
    STATUS_OK,
    PhotoRecord,
    StateStore,
    fresh_cutoff,
    iso,
    now_utc,
)

PER_PAGE = 500
# Below these, listing cannot beat one getInfo per photo (a probe page, plus an alias lookup).
MIN_PHOTOS_WINDOW = 2
MIN_PHOTOS_LISTING = 3
FLUSH_PHOTOS = 100  # commit at least this often, so a killed run loses little
FLUSH_SECONDS = 2.0


class FlickrApi(Protocol):
    """What the fetcher needs from a Flickr client (`auditor.flickr.FlickrClient`)."""

    def photo_info(self, photo_id: str) -> PhotoStatus: ...
    def public_photos(self, nsid: str, page: int = 1, per_page: int = 500) -> PhotoPage: ...
    def search_user_photos(
        self,
        nsid: str,
        page: int = 1,
        *,
        min_upload: int | None = None,
        max_upload: int | None = None,
        sort: str = "date-posted-asc",
        per_page: int = 500,
    ) -> PhotoPage: ...
    def licence_history(self, photo_id: str) -> list[LicenceChange]: ...
    def licences(self) -> list[FlickrLicence]: ...
    def lookup_user(self, url: str) -> UserMatch: ...
    def calls_by_method(self) -> dict[str, int]: ...


@dataclass
class FetchOptions:
    max_age: timedelta = timedelta(days=7)
    refresh: bool = False  # fetch everything again, however fresh
    workers: int = 4  # concurrent requests: enough to hide latency at ~1 call/s
    history_for_collection: bool = False  # policy judges the licence in force at collection


@dataclass
class FetchReport:
    """What the fetch established, per photo id (`statuses`), and how."""

    statuses: pd.DataFrame  # one row per photo id: see `STATUS_FIELDS`
    api_calls: dict[str, int]
    photos: int  # distinct photo ids
    fetched: int  # photos whose status this run fetched
    reused: int  # photos whose stored status was fresh
    unverified: int
    warnings: list[str] = field(default_factory=list)
    status_as_of: str | None = None  # the oldest fetched_at among the statuses used


STATUS_FIELDS: tuple[str, ...] = (
    "photo_id",
    "status",
    "licence_id",
    "licence",
    "visibility",
    "owner_nsid",
    "owner_username",
    "owner_alias",
    "tags",
    "title",  # from the stored answer (evidence): getInfo's {"_content"} or a listing's string
    "method",
    "fetched_at",
    "error",
    "history",
)


# -- tasks: each makes exactly one API call in a worker thread ------------------------------


@dataclass
class _Job:
    """An owner whose photos are being found through listings."""

    nsid: str
    photo_ids: set[str]  # still unresolved manifest photos of this owner, in this window
    uploaded: dict[str, int]  # their upload times (search mode)
    search: bool
    pages: int = 0
    pages_left: int = 0


@dataclass
class _Task:
    kind: str  # "info" | "page" | "lookup" | "history"
    photo_id: str = ""
    job: _Job | None = None
    page: int = 1
    alias: str = ""
    photo_ids: tuple[str, ...] = ()


class _Fetch:
    def __init__(
        self,
        client: FlickrApi,
        store: StateStore,
        targets: Sequence[Target],
        options: FetchOptions,
        catalogue: LicenceCatalogue,
        progress: Callable[[int, int], None] | None,
        run_id: int | None,
    ) -> None:
        self.client = client
        self.store = store
        self.options = options
        self.catalogue = catalogue
        self.progress = progress
        self.run_id = run_id
        self.targets = {t.photo_id: t for t in targets}
        self.unresolved: set[str] = set()
        self.queue: deque[_Task] = deque()
        self.done_calls = 0
        self.buffer: list[PhotoRecord] = []
        self.histories: dict[str, tuple[str, str]] = {}
        self.last_flush = time.monotonic()
        self.fetched: set[str] = set()
        self.warnings: list[str] = []
        self.unknown_ids: set[int] = set()
        self.lock = threading.Lock()

    # -- planning -----------------------------------------------------------------------------

    def plan(self, stale: Sequence[Target], need_history: Iterable[str]) -> None:
        self.unresolved = {t.photo_id for t in stale}
        by_nsid: dict[str, list[Target]] = {}
        by_alias: dict[str, list[Target]] = {}
        singles: list[Target] = []
        for target in stale:
            if target.owner_nsid:
                by_nsid.setdefault(target.owner_nsid, []).append(target)
            elif target.owner_alias:
                by_alias.setdefault(target.owner_alias.lower(), []).append(target)
            else:
                singles.append(target)
        known_aliases = self.store.load_owners(fresh_cutoff(self.options.max_age))
        for alias, group in by_alias.items():
            if alias in known_aliases:
                nsid = known_aliases[alias]
                if nsid is None:
                    singles.extend(group)
                else:
                    by_nsid.setdefault(nsid, []).extend(group)
            elif len(group) >= MIN_PHOTOS_LISTING:
                ids = tuple(t.photo_id for t in group)
                self.queue.append(_Task("lookup", alias=alias, photo_ids=ids))
            else:
                singles.extend(group)
        for nsid, group in by_nsid.items():
            self._plan_owner(nsid, [t.photo_id for t in group])
        for target in singles:
            self.queue.append(_Task("info", photo_id=target.photo_id))
        for photo_id in need_history:
            self.queue.append(_Task("history", photo_id=photo_id))

    def _plan_owner(self, nsid: str, photo_ids: Sequence[str], *, front: bool = False) -> None:
        ids = [p for p in photo_ids if p in self.unresolved]
        uploaded = {p: up for p in ids if (up := self.targets[p].uploaded_at) is not None}
        search = len(uploaded) == len(ids)
        if len(ids) < (MIN_PHOTOS_WINDOW if search else MIN_PHOTOS_LISTING):
            self._info(ids, front=front)
            return
        job = _Job(nsid, set(ids), uploaded if search else {}, search)
        self._push(_Task("page", job=job, page=1), front=front)

    def _info(self, photo_ids: Iterable[str], *, front: bool = False) -> None:
        for photo_id in photo_ids:
            if photo_id in self.unresolved:
                self._push(_Task("info", photo_id=photo_id), front=front)

    def _push(self, task: _Task, *, front: bool) -> None:
        # Follow-ups go first: finishing an owner before starting the next keeps the work a
        # killed run loses small and the state useful.
        if front:
            self.queue.appendleft(task)
        else:
            self.queue.append(task)

    # -- calls (worker threads) ---------------------------------------------------------------

    def call(self, task: _Task) -> Any:
        if task.kind == "info":
            return self.client.photo_info(task.photo_id)
        if task.kind == "history":
            return self.client.licence_history(task.photo_id)
        if task.kind == "lookup":
            return self.client.lookup_user(f"https://www.flickr.com/photos/{task.alias}/")
        job = task.job
        assert job is not None
        if job.search:
            return self.client.search_user_photos(
                job.nsid,
                task.page,
                min_upload=min(job.uploaded.values()),
                max_upload=max(job.uploaded.values()),
                sort="date-posted-asc",
                per_page=PER_PAGE,
            )
        return self.client.public_photos(job.nsid, task.page, per_page=PER_PAGE)

    # -- answers (coordinating thread) --------------------------------------------------------

    def handle(self, task: _Task, future: Future[Any]) -> None:
        self.done_calls += 1
        try:
            answer = future.result()
        except InvalidKey:
            raise
        except NotVisible as exc:
            if task.kind == "info":
                self._record_not_public(task.photo_id, exc)
            return  # a history call on a photo that just disappeared: its status says enough
        except FlickrError as exc:
            self._failed(task, exc)
            return
        if task.kind == "info":
            if answer.photo_id != task.photo_id:
                # Never file one photo's answer under another: this photo stays unchecked.
                self._record_error(task.photo_id, mismatched_answer(task.photo_id, answer))
            else:
                self._record_listed(answer, answer.method)
        elif task.kind == "history":
            self._record_history(task.photo_id, answer)
        elif task.kind == "lookup":
            self._looked_up(task, answer)
        else:
            self._page(task, answer)

    def _failed(self, task: _Task, exc: FlickrError) -> None:
        if task.kind == "info":
            self._record_error(task.photo_id, exc)
        elif task.kind == "history":
            self.warnings.append(
                f"licence history of photo {task.photo_id} could not be fetched ({exc}); "
                "its licence at collection stays unknown"
            )
        elif task.kind == "lookup":
            if isinstance(exc, FlickrApiError):  # no such user: remember it
                self.store.save_owner(task.alias, None, None, iso(now_utc()))
            self._info(task.photo_ids, front=True)
        else:
            job = task.job
            assert job is not None
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()

    def _looked_up(self, task: _Task, user: UserMatch) -> None:
        self.store.save_owner(task.alias, user.nsid, user.username, iso(now_utc()))
        self._plan_owner(user.nsid, task.photo_ids, front=True)

    def _page(self, task: _Task, page: PhotoPage) -> None:
        job = task.job
        assert job is not None
        for status in page.photos:
            if status.photo_id in self.unresolved:
                self._record_listed(status, status.method)
        job.photo_ids &= self.unresolved
        if not job.photo_ids:
            return
        if job.search:
            self._next_window(job, page)
            return
        if task.page == 1:
            more = page.pages - 1
            # One page was the whole listing (more == 0): fall through to getInfo below.
            if 0 < more < len(job.photo_ids):
                job.pages_left = more
                for number in range(2, page.pages + 1):
                    self._push(_Task("page", job=job, page=number), front=True)
                return
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()
            return
        job.pages_left -= 1
        if job.pages_left == 0:
            # Listed in full: what it did not show needs its own getInfo.
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()

    def _next_window(self, job: _Job, page: PhotoPage) -> None:
        """After the first page of an upload-time window (oldest first): what it cannot hold
        gets a getInfo, and the rest a new window starting at the earliest of them.

        The page lists every public, safe photo uploaded up to its last photo's time, so a
        manifest photo uploaded before that and not listed is restricted, private or deleted:
        only getInfo can tell. Starting the next window at the earliest remaining photo skips
        the photos in between that the manifest does not want; each window's first page holds
        that photo, so every call settles at least one photo and none asks past the 4,000 cap.
        """
        remaining = job.photo_ids
        listed_until = max((s.uploaded_at or 0 for s in page.photos), default=0)
        if page.pages <= 1 or len(page.photos) < PER_PAGE:
            missing, rest = set(remaining), set()
        else:
            # Strictly before: photos sharing the last second may continue on the next page.
            missing = {p for p in remaining if job.uploaded[p] < listed_until}
            rest = remaining - missing
        self._info(sorted(missing), front=True)
        if len(rest) <= 1 or min(job.uploaded[p] for p in rest) <= min(job.uploaded.values()):
            # One photo costs one call either way; a window that would not move on could loop.
            self._info(sorted(rest), front=True)
        else:
            window = _Job(job.nsid, rest, {p: job.uploaded[p] for p in rest}, search=True)
            self._push(_Task("page", job=window, page=1), front=True)
        job.photo_ids = set()

    # -- recording ----------------------------------------------------------------------------

    def _slug(self, licence_id: int | None) -> str:
        if licence_id is None:
            return UNKNOWN
        licence = self.catalogue.by_flickr_id(licence_id)
        if licence is None:
            self.unknown_ids.add(licence_id)
            return UNKNOWN
        return licence.slug

    def _record_listed(self, status: PhotoStatus, method: str) -> None:
        record = status_record(status)
        self._add(record)
        if record.status != STATUS_OK:
            return
        if self._needs_history(self.targets[status.photo_id], self._slug(status.licence_id)):
            self._push(_Task("history", photo_id=status.photo_id), front=True)

    def _record_not_public(self, photo_id: str, exc: NotVisible) -> None:
        self._add(not_public_record(photo_id, exc))

    def _record_error(self, photo_id: str, exc: FlickrError) -> None:
        self._add(error_record(photo_id, exc))

    def _record_history(self, photo_id: str, entries: list[LicenceChange]) -> None:
        changes = hist.to_changes(entries, self.catalogue)
        self.histories[photo_id] = (hist.dumps(changes), iso(now_utc()))
        if len(self.histories) >= FLUSH_PHOTOS:
            self.flush()

    def _add(self, record: PhotoRecord) -> None:
        self.unresolved.discard(record.photo_id)
        self.fetched.add(record.photo_id)
        self.buffer.append(record)
        if len(self.buffer) >= FLUSH_PHOTOS or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.store.save_photos(self.buffer, self.run_id)
        self.buffer = []
        # Histories after their photos, so an UPDATE never misses its row.
        self.store.save_history(self.histories)
        self.histories = {}
        self.last_flush = time.monotonic()

    def _needs_history(self, target: Target, current: str) -> bool:
        if self.options.history_for_collection and target.collected:
            return True
        return current != UNKNOWN and any(slug != current for slug in target.recorded)

    # -- the loop -----------------------------------------------------------------------------

    def planned(self, in_flight: int) -> int:
        return self.done_calls + in_flight + len(self.queue)

    def run(self) -> None:
        limit = max(1, self.options.workers) * 2
        with ThreadPoolExecutor(max_workers=max(1, self.options.workers)) as pool:
            pending: dict[Future[Any], _Task] = {}
            try:
                while self.queue or pending:
                    while self.queue and len(pending) < limit:
                        task = self.queue.popleft()
                        if task.kind == "info" and task.photo_id not in self.unresolved:
                            continue  # a listing found it meanwhile
                        pending[pool.submit(self.call, task)] = task
                    if not pending:
                        continue
                    done, _ = wait(pending, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                    for future in done:
                        self.handle(pending.pop(future), future)
                    if self.progress is not None:
                        self.progress(self.done_calls, self.planned(len(pending)))
                    if time.monotonic() - self.last_flush > FLUSH_SECONDS:
                        self.flush()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
            finally:
                self.flush()


def status_record(status: PhotoStatus) -> PhotoRecord:
    """What a getInfo answer or a listing entry establishes, the photo's JSON kept as evidence.

    The one visibility rule: only an answer that says the photo is public (`ispublic` 1, or
    absent, as in answers that only ever hold public photos) makes it `ok`; `ispublic: 0` is
    stored `not-public`, whatever else the answer says, so it can never pass as clean.
    """
    public = status.public
    return PhotoRecord(
        photo_id=status.photo_id,
        status=STATUS_OK if public else STATUS_NOT_PUBLIC,
        method=status.method,
        fetched_at=iso(now_utc()),
        licence_id=status.licence_id,
        owner_nsid=status.owner.nsid,
        owner_username=status.owner.username,
        owner_alias=status.owner.alias,
        tags=" ".join(status.tags),
        uploaded_at=status.uploaded_at,
        error=None if public else f"{status.method}: the answer says the photo is not public",
        evidence=json.dumps(status.raw, separators=(",", ":"), ensure_ascii=False),
    )


def mismatched_answer(photo_id: str, status: PhotoStatus) -> UnexpectedResponse:
    """getInfo for `photo_id` answered about another photo."""
    return UnexpectedResponse(
        status.method, f"asked about photo {photo_id}, answered about photo {status.photo_id}"
    )


def not_public_record(photo_id: str, exc: NotVisible) -> PhotoRecord:
    """getInfo said not found or private: deleted or private, which a key cannot tell apart."""
    evidence = {"stat": "fail", "code": exc.code, "message": exc.message}
    return PhotoRecord(
        photo_id=photo_id,
        status=STATUS_NOT_PUBLIC,
        method=exc.method,
        fetched_at=iso(now_utc()),
        error=f"{exc.method}: code {exc.code} {exc.message}",
        evidence=json.dumps(evidence, ensure_ascii=False),
    )


def error_record(photo_id: str, exc: FlickrError) -> PhotoRecord:
    """The photo could not be checked: stored, never fresh, reported `unverified`."""
    method = getattr(exc, "method", "flickr.photos.getInfo")
    return PhotoRecord(
        photo_id=photo_id,
        status=STATUS_ERROR,
        method=str(method),
        fetched_at=iso(now_utc()),
        error=str(exc),
    )


def _current_slug(licence_id: object, catalogue: LicenceCatalogue) -> str:
    if not isinstance(licence_id, int | np.integer):  # None or pd.NA: not visible
        return UNKNOWN
    licence = catalogue.by_flickr_id(int(licence_id))
    return UNKNOWN if licence is None else licence.slug


def _stale_and_history(
    targets: Sequence[Target],
    stored: pd.DataFrame,
    options: FetchOptions,
    catalogue: LicenceCatalogue,
) -> tuple[list[Target], list[str]]:
    """Targets whose stored status is missing, stale or an error; fresh ones lacking history."""
    if options.refresh or stored.empty:
        return list(targets), []
    cutoff = fresh_cutoff(options.max_age)
    fresh = stored.loc[(stored["status"] != STATUS_ERROR) & (stored["fetched_at"] >= cutoff)]
    fresh_ids = set(fresh["photo_id"])
    stale = [t for t in targets if t.photo_id not in fresh_ids]
    by_id = {t.photo_id: t for t in targets}
    need_history = []
    visible = fresh.loc[fresh["status"] == STATUS_OK]
    for photo_id, licence_id, history_at in zip(
        visible["photo_id"], visible["licence_id"], visible["history_fetched_at"], strict=True
    ):
        if isinstance(history_at, str) and history_at >= cutoff:
            continue
        target = by_id[photo_id]
        current = _current_slug(licence_id, catalogue)
        wanted = (options.history_for_collection and target.collected) or (
            current != UNKNOWN and any(slug != current for slug in target.recorded)
        )
        if wanted:
            need_history.append(photo_id)
    return stale, need_history


def _check_licences(client: FlickrApi, catalogue: LicenceCatalogue) -> list[str]:
    """Flickr's licence table against the catalogue: a loud warning for each id it lacks.

    The table only adds warnings: photos are judged by the catalogue, and an id it lacks is
    `unknown-licence` either way, so a table Flickr will not give is a warning, not the end.
    """
    try:
        licences = client.licences()
    except InvalidKey:
        raise
    except FlickrError as exc:
        warning = (
            f"Flickr's licence table could not be fetched ({exc}): licence ids the catalogue "
            "does not know are judged as unknown-licence, but could not be named"
        )
        return [warning]
    warnings = []
    for licence in licences:
        if catalogue.by_flickr_id(licence.id) is None:
            warnings.append(
                f"Flickr offers licence id {licence.id} ({licence.name!r}) that the catalogue "
                "does not know: photos under it are judged as unknown-licence; "
                "update flickr-licence-auditor"
            )
    return warnings


def statuses_table(stored: pd.DataFrame, catalogue: LicenceCatalogue) -> pd.DataFrame:
    """Stored rows (`StateStore.load_photos`) as the per-photo status table (`STATUS_FIELDS`)."""
    frame = stored.copy()
    frame["licence"] = [
        None if status != STATUS_OK else _current_slug(licence_id, catalogue)
        for status, licence_id in zip(frame["status"], frame["licence_id"], strict=True)
    ]
    frame["visibility"] = frame["status"].map(
        {STATUS_OK: "public", STATUS_NOT_PUBLIC: "not-public", STATUS_ERROR: "error"}
    )
    frame["title"] = [
        _evidence_title(evidence) if status == STATUS_OK else None
        for status, evidence in zip(frame["status"], frame["evidence"], strict=True)
    ]
    return frame[list(STATUS_FIELDS)].reset_index(drop=True)


def _evidence_title(evidence: object) -> str | None:
    """The photo's title in a stored answer, or None (no answer, or no title)."""
    if not isinstance(evidence, str):
        return None
    try:
        raw = json.loads(evidence)
    except ValueError:
        return None
    title = raw.get("title") if isinstance(raw, dict) else None
    if isinstance(title, dict):  # getInfo: {"_content": ...}, HTML-escaped
        content = title.get("_content")
        title = html.unescape(content) if isinstance(content, str) else None
    if not isinstance(title, str) or not title.strip():
        return None
    return title.strip()


def fetch_status(
    photos: pd.DataFrame,
    client: FlickrApi,
    store: StateStore,
    *,
    options: FetchOptions | None = None,
    catalogue: LicenceCatalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    run_id: int | None = None,
) -> FetchReport:
    """Establish the live status of every photo id in `photos`, using and filling `store`.

    `progress(calls_done, calls_planned)` is called as answers arrive (the plan grows as
    listings reveal what they hold). Raises `InvalidKey` at once on an invalid key, after
    storing what was established; anything else a call raises ends as that photo's `error`.
    """
    options = options or FetchOptions()
    catalogue = catalogue or load_catalogue()
    targets = build_targets(photos)
    ids = [t.photo_id for t in targets]
    stored = store.load_photos(ids)
    stale, need_history = _stale_and_history(targets, stored, options, catalogue)
    fetch = _Fetch(client, store, targets, options, catalogue, progress, run_id)
    warnings = _check_licences(client, catalogue) if targets else []
    fetch.plan(stale, need_history)
    if progress is not None:
        progress(0, fetch.planned(0))
    fetch.run()
    statuses = statuses_table(store.load_photos(ids), catalogue)
    missing = set(ids) - set(statuses["photo_id"])
    if missing:  # cannot happen unless the store lost rows; never let a photo pass silently
        raise RuntimeError(f"{len(missing)} photo(s) have no status after the fetch")
    warnings.extend(fetch.warnings)
    if store.unsaved is not None:
        warnings.append(store.unsaved)
    warnings.extend(
        f"Flickr answered licence id {licence_id}, which the catalogue does not know: "
        "judged as unknown-licence"
        for licence_id in sorted(fetch.unknown_ids)
    )
    return FetchReport(
        statuses=statuses,
        api_calls=dict(sorted(client.calls_by_method().items())),
        photos=len(ids),
        fetched=len(fetch.fetched),
        reused=len(ids) - len(fetch.fetched),
        unverified=int((statuses["status"] == STATUS_ERROR).sum()),
        warnings=warnings,
        status_as_of=None if statuses.empty else str(statuses["fetched_at"].min()),
    )
