"""The live fetch: the planner's calls (`auditor.fetch.plan`) made within the rate limit from a
small thread pool, each answer stored as it arrives.

The planner decides which calls settle every photo's status with the fewest calls (listings for
owners with many photos, owner discovery for photos whose manifest names no owner, getInfo for
the rest); this module executes them: every call goes through the client's token bucket and
retries, answers are written to the state store in small transactions (a killed run loses at
most the batch in flight), and owners' listing pages are kept there too, so another manifest or
a re-audit within `max_age` settles the photos they show without asking again, and a resumed
run goes on with the owner-discovery sample it had. The getPhotosOf pages of `photos_of` people
(`owner --featured`) are kept the same way, apart from owners' listings. `flickr.photos.licenses
.getInfo` is called once per run, to catch licence ids the catalogue lacks.

A photo that still cannot be checked is stored with status "error" (the `unverified` finding;
fetched again next run). An invalid key stops the run at once (`InvalidKey` propagates) after
storing what was established.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from auditor.fetch import history as hist
from auditor.fetch.plan import (
    HISTORY,
    INFO,
    LOOKUP,
    PER_PAGE,
    PHOTOS_OF,
    Call,
    FetchPlanner,
    PlanEstimate,
)
from auditor.fetch.targets import Target, build_targets
from auditor.flickr.errors import FlickrError, InvalidKey, NotVisible, UnexpectedResponse
from auditor.flickr.parse import (
    GET_INFO,
    GET_PHOTOS_OF,
    GET_PUBLIC_PHOTOS,
    SEARCH,
    FlickrLicence,
    LicenceChange,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    UserMatch,
    photo_page,
    photos_of_page,
)
from auditor.licences import UNKNOWN, LicenceCatalogue, load_catalogue
from auditor.state import (
    STATUS_ERROR,
    STATUS_NOT_PUBLIC,
    STATUS_OK,
    ListingPage,
    PhotoRecord,
    StateStore,
    fresh_cutoff,
    iso,
    now_utc,
)

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
    def photos_of(self, nsid: str, page: int = 1, per_page: int = 500) -> PhotosOfPage: ...
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
    seed: int = 0  # the order owner discovery samples photos in
    # Owners whose every getPublicPhotos page is fetched (unless the state has them in full).
    list_in_full: tuple[str, ...] = ()
    # People whose every getPhotosOf page (the photos they are tagged in) is fetched unless the
    # state has them in full; their kept pages settle the photos they may (see the planner).
    photos_of: tuple[str, ...] = ()
    # Fresh means fetched at or after this time (ISO, as the store writes it) instead of within
    # max_age: a later fetch of the same run takes what the run itself fetched as fresh.
    fresh_since: str | None = None

    def cutoff(self) -> str:
        """Stored answers fetched at or after this are fresh."""
        return self.fresh_since if self.fresh_since is not None else fresh_cutoff(self.max_age)


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


# -- the executor ------------------------------------------------------------------------------


class _Recorder:
    """The planner's sink: answers become state rows, written in small batches."""

    def __init__(self, store: StateStore, run_id: int | None) -> None:
        self.store = store
        self.run_id = run_id
        self.buffer: list[PhotoRecord] = []
        self.histories: dict[str, tuple[str, str]] = {}
        self.pages: list[ListingPage] = []
        self.catalogue: LicenceCatalogue | None = None
        self.fetched: set[str] = set()
        self.warnings: list[str] = []
        self.stored_at: dict[str, str] = {}  # photos settled from a kept listing: its time
        self.last_flush = time.monotonic()

    def visible(self, status: PhotoStatus) -> None:
        record = status_record(status)
        kept = self.stored_at.pop(status.photo_id, None)
        if kept is not None:
            record = replace(record, fetched_at=kept)
        self._add(record)

    def not_public(self, photo_id: str, exc: NotVisible) -> None:
        self._add(not_public_record(photo_id, exc))

    def failed(self, photo_id: str, exc: FlickrError) -> None:
        self._add(error_record(photo_id, exc))

    def history(self, photo_id: str, entries: list[LicenceChange]) -> None:
        assert self.catalogue is not None
        changes = hist.to_changes(entries, self.catalogue)
        self.histories[photo_id] = (hist.dumps(changes), iso(now_utc()))
        if len(self.histories) >= FLUSH_PHOTOS:
            self.flush()

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def alias(self, alias: str, match: UserMatch | None) -> None:
        if match is None:
            self.store.save_owner(alias, None, None, iso(now_utc()))
        else:
            self.store.save_owner(alias, match.nsid, match.username, iso(now_utc()))

    def listing(self, call: Call, page: PhotoPage | PhotosOfPage) -> None:
        entries = [dict(status.raw) for status in page.photos]
        if call.kind == PHOTOS_OF:
            query = f"{GET_PHOTOS_OF} page={call.page}"
        elif call.window is None:
            query = f"{GET_PUBLIC_PHOTOS} page={call.page}"
        else:
            order = "desc" if call.descending else "asc"
            query = f"{SEARCH} {call.window[0]}..{call.window[1]} {order} page={call.page}"
        self.pages.append(ListingPage(call.nsid, query, iso(now_utc()), entries))

    def listed_in_full(self, nsid: str, pages: int) -> None:
        # A page with no entries marks the listing complete: the pages before it are kept.
        query = f"{GET_PUBLIC_PHOTOS} complete pages={pages}"
        self.pages.append(ListingPage(nsid, query, iso(now_utc()), []))

    def photos_of_in_full(self, nsid: str, pages: int) -> None:
        # Marks the pages 1..pages the person's whole getPhotosOf listing.
        query = f"{GET_PHOTOS_OF} complete pages={pages}"
        self.pages.append(ListingPage(nsid, query, iso(now_utc()), []))

    def _add(self, record: PhotoRecord) -> None:
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
        self.store.save_listing_pages(self.pages)
        self.pages = []
        self.last_flush = time.monotonic()


def _call(client: FlickrApi, call: Call) -> Any:
    """Make one planned call (in a worker thread)."""
    if call.kind == INFO:
        return client.photo_info(call.photo_id)
    if call.kind == HISTORY:
        return client.licence_history(call.photo_id)
    if call.kind == LOOKUP:
        return client.lookup_user(f"https://www.flickr.com/photos/{call.alias}/")
    if call.kind == PHOTOS_OF:
        return client.photos_of(call.nsid, call.page, per_page=PER_PAGE)
    if call.window is not None:
        return client.search_user_photos(
            call.nsid,
            call.page,
            min_upload=call.window[0],
            max_upload=call.window[1],
            sort="date-posted-desc" if call.descending else "date-posted-asc",
            per_page=PER_PAGE,
        )
    return client.public_photos(call.nsid, call.page, per_page=PER_PAGE)


def execute(
    planner: FetchPlanner,
    client: FlickrApi,
    recorder: _Recorder,
    *,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Make the planner's calls from `workers` threads until it has none left."""
    workers = max(1, workers)
    # No more calls decided than threads to make them: a call chosen early is chosen on old
    # answers (owner discovery would list owners whose photos are already being asked for).
    limit = workers
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[Any], Call] = {}
        try:
            while True:
                while len(pending) < limit and (call := planner.next_call()) is not None:
                    pending[pool.submit(_call, client, call)] = call
                if not pending:
                    break
                done, _ = wait(pending, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                stop: BaseException | None = None
                for future in done:
                    call = pending.pop(future)
                    try:
                        outcome: Any = future.result()
                    except InvalidKey as exc:
                        stop = exc
                        continue
                    except FlickrError as exc:
                        outcome = exc
                    except BaseException as exc:  # an interrupt in a worker
                        stop = exc
                        continue
                    planner.answer(call, outcome)
                if stop is not None:
                    # Raised once the batch's other answers are kept, so a stopped run loses
                    # only the calls still in flight.
                    raise stop
                if progress is not None:
                    progress(planner.done_calls, planner.estimate().calls)
                if time.monotonic() - recorder.last_flush > FLUSH_SECONDS:
                    recorder.flush()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        finally:
            recorder.flush()


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
    cutoff = options.cutoff()
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


@dataclass
class PreparedFetch:
    """A fetch planned from the manifests and the state, before any call (`prepare_fetch`)."""

    targets: list[Target]
    planner: FetchPlanner
    recorder: _Recorder
    reused: int  # photos whose stored status is fresh

    def estimate(self) -> PlanEstimate:
        """The calls the plan needs (the one licence-table call included): exact when no
        answer can change it, else what is expected before discovery refines it."""
        estimate = self.planner.estimate()
        table = 1 if self.targets and estimate.calls else 0
        return replace(estimate, calls=estimate.calls + table)


def _pool_sample(
    targets: Sequence[Target], stored: pd.DataFrame, stale: Sequence[Target]
) -> list[tuple[str | None, int | None]]:
    """Owners (None: not public) of photos without a manifest owner that an earlier or killed
    run established by getInfo: the discovery sample it had gathered."""
    if stored.empty:
        return []
    stale_ids = {t.photo_id for t in stale}
    pool = {t.photo_id for t in targets if not t.owner_nsid and not t.owner_alias}
    rows = stored.loc[
        stored["photo_id"].isin(pool - stale_ids) & (stored["method"] == GET_INFO),
        ["status", "owner_nsid", "uploaded_at"],
    ]
    return [
        (nsid, None if pd.isna(uploaded) else int(uploaded))
        if status == STATUS_OK and isinstance(nsid, str)
        else (None, None)
        for status, nsid, uploaded in zip(
            rows["status"], rows["owner_nsid"], rows["uploaded_at"], strict=True
        )
    ]


def _kept_listings(
    store: StateStore, stale: Sequence[Target], cutoff: str, recorder: _Recorder
) -> list[PhotoStatus]:
    """Photos to fetch that a kept listing page shows: settled from it, at its time."""
    entries = store.listed_entries([t.photo_id for t in stale], cutoff)
    statuses = []
    for fetched_at, entry in entries:
        body = {"photos": {"page": 1, "pages": 1, "perpage": 1, "total": 1, "photo": [entry]}}
        try:
            (status,) = photo_page(body, GET_PUBLIC_PHOTOS).photos
        except (UnexpectedResponse, ValueError):
            continue  # a kept entry that no longer reads: ask Flickr instead
        recorder.stored_at[status.photo_id] = fetched_at
        statuses.append(status)
    return statuses


def _kept_photos_of(
    store: StateStore,
    people: Sequence[str],
    stale: Sequence[Target],
    cutoff: str,
    recorder: _Recorder,
) -> list[PhotoStatus]:
    """Photos to fetch that a kept getPhotosOf page of `people` shows (method GET_PHOTOS_OF:
    the planner decides what such an entry may settle)."""
    wanted = {t.photo_id for t in stale}
    statuses = []
    for person in people:
        for fetched_at, entry in store.photos_of_entries(person, cutoff):
            if str(entry.get("id")) not in wanted:
                continue
            body = {"photos": {"page": 1, "perpage": 1, "has_next_page": 0, "photo": [entry]}}
            try:
                (status,) = photos_of_page(body, person).photos
            except (UnexpectedResponse, ValueError):
                continue  # a kept entry that no longer reads: ask Flickr instead
            recorder.stored_at.setdefault(status.photo_id, fetched_at)
            statuses.append(status)
    return statuses


def prepare_fetch(
    photos: pd.DataFrame,
    store: StateStore,
    *,
    options: FetchOptions | None = None,
    catalogue: LicenceCatalogue | None = None,
    run_id: int | None = None,
) -> PreparedFetch:
    """Plan the fetch of every photo id in `photos` from the state alone (no call is made)."""
    options = options or FetchOptions()
    catalogue = catalogue or load_catalogue()
    targets = build_targets(photos)
    stored = store.load_photos([t.photo_id for t in targets])
    stale, need_history = _stale_and_history(targets, stored, options, catalogue)
    recorder = _Recorder(store, run_id)
    recorder.catalogue = catalogue
    cutoff = options.cutoff()
    kept: list[PhotoStatus] = []
    listed: set[str] = set()
    sample: list[tuple[str | None, int | None]] = []
    if not options.refresh:
        kept = _kept_listings(store, stale, cutoff, recorder)
        kept += _kept_photos_of(store, options.photos_of, stale, cutoff, recorder)
        listed = store.listed_owners(cutoff)
        sample = _pool_sample(targets, stored, stale)
    planner = FetchPlanner(
        targets,
        stale,
        recorder,
        catalogue=catalogue,
        need_history=need_history,
        history_for_collection=options.history_for_collection,
        known_aliases=store.load_owners(cutoff),
        listed=listed,
        sample=sample,
        kept=kept,
        list_in_full=[
            nsid
            for nsid in options.list_in_full
            if options.refresh or not store.listed_in_full(nsid, cutoff)
        ],
        photos_of=[
            nsid
            for nsid in options.photos_of
            if options.refresh or not store.photos_of_in_full(nsid, cutoff)
        ],
        seed=options.seed,
    )
    return PreparedFetch(targets, planner, recorder, len(targets) - len(stale))


def fetch_status(
    photos: pd.DataFrame,
    client: FlickrApi,
    store: StateStore,
    *,
    options: FetchOptions | None = None,
    catalogue: LicenceCatalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    run_id: int | None = None,
    prepared: PreparedFetch | None = None,
) -> FetchReport:
    """Establish the live status of every photo id in `photos`, using and filling `store`.

    `progress(calls_done, calls_planned)` is called as answers arrive (the plan changes as
    listings and owner discovery reveal what they hold). Raises `InvalidKey` at once on an
    invalid key, after storing what was established; anything else a call raises ends as that
    photo's `error`. `prepared` is the plan `prepare_fetch` made for the same arguments.
    """
    options = options or FetchOptions()
    catalogue = catalogue or load_catalogue()
    if prepared is None:
        prepared = prepare_fetch(photos, store, options=options, catalogue=catalogue, run_id=run_id)
    targets, planner, recorder = prepared.targets, prepared.planner, prepared.recorder
    ids = [t.photo_id for t in targets]
    # Nothing to ask (every status fresh): not even the licence table.
    needed = prepared.planner.estimate().calls > 0
    warnings = _check_licences(client, catalogue) if targets and needed else []
    if progress is not None:
        progress(0, prepared.estimate().calls)
    execute(planner, client, recorder, workers=options.workers, progress=progress)
    statuses = statuses_table(store.load_photos(ids), catalogue)
    missing = set(ids) - set(statuses["photo_id"])
    if missing:  # cannot happen unless the store lost rows; never let a photo pass silently
        raise RuntimeError(f"{len(missing)} photo(s) have no status after the fetch")
    warnings.extend(recorder.warnings)
    if store.unsaved is not None:
        warnings.append(store.unsaved)
    warnings.extend(
        f"Flickr answered licence id {licence_id}, which the catalogue does not know: "
        "judged as unknown-licence"
        for licence_id in sorted(planner.unknown_ids)
    )
    return FetchReport(
        statuses=statuses,
        api_calls=dict(sorted(client.calls_by_method().items())),
        photos=len(ids),
        fetched=len(recorder.fetched),
        reused=len(ids) - len(recorder.fetched),
        unverified=int((statuses["status"] == STATUS_ERROR).sum()),
        warnings=warnings,
        status_as_of=None if statuses.empty else str(statuses["fetched_at"].min()),
    )
