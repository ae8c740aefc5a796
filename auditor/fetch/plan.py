"""The fetch plan: which Flickr call to make next, given the answers so far.

`FetchPlanner` is pure: it makes no call and writes nothing. The executor (`auditor.fetch.run`)
asks it for calls (`next_call`), makes them within the rate limit, and hands each outcome back
(`answer`, an answer object or the `FlickrError` the call raised); what the answers establish
goes to a `PlanSink` (the state store, or a list in tests). Calls are the cost (Flickr allows
about 3,600 an hour), so the planner spends them where they settle the most photos:

* **Owners the manifest names** are *listed* when that is cheaper than one
  `flickr.photos.getInfo` per photo (one listing page answers up to 500 photos): with upload
  times, `flickr.photos.search` windows, oldest first, split at the widest gap past Flickr's
  4,000-result cap or when their pages would cost more than the photos left; without, every
  `flickr.people.getPublicPhotos` page while they cost less than the photos still unmatched.
  A path alias is resolved (`flickr.urls.lookupUser`) only for owners with enough photos to list.
* **Photos whose owner the manifest does not give** (COCO, URL lists, Diversity in Faces) are
  taken in a random order, so what has been seen is a fair sample: each getInfo reveals an owner.
  From the sample, the photos still unresolved that belong to each owner seen are estimated
  (`expected_remaining`: Good-Turing's adjusted counts, so owners seen once are not taken for
  big ones in a flat dataset), and an owner is listed, page by page, newest first, as soon as the
  matches a page is expected to settle exceed the one call it costs.
* A photo no listing showed still gets a getInfo: unauthenticated listings omit photos above the
  "safe" level, so absence proves nothing.
* `flickr.photos.licenses.getLicenseHistory` for a visible photo whose current licence differs
  from one the manifest records, or for every photo with a collection date when the policy
  judges the licence in force at collection.

* **The photos a person is tagged in** (`flickr.people.getPhotosOf`, for `owner --featured`):
  every page, one after the other (the method gives `has_next_page`, not a page count), up to
  `MAX_PHOTOS_OF_PAGES`. These pages list other owners' photos by design: see `_believable` for
  what their entries may settle. The pages are kept (the caller reads who is featured from them).

A listing that fails leaves its photos to getInfo; a photo whose getInfo fails is reported as an
error (never a pass). `InvalidKey` is never handed to the planner: the executor stops the run.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from auditor.fetch.targets import Target
from auditor.flickr.errors import FlickrApiError, FlickrError, NotVisible, UnexpectedResponse
from auditor.flickr.parse import (
    GET_PHOTOS_OF,
    GET_PUBLIC_PHOTOS,
    LicenceChange,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    UserMatch,
)
from auditor.licences import UNKNOWN, LicenceCatalogue

PER_PAGE = 500
# Below these, listing cannot beat one getInfo per photo (a probe page, plus an alias lookup).
MIN_PHOTOS_WINDOW = 2
MIN_PHOTOS_LISTING = 3
# Discovery lists an owner's next page when it is expected to settle more photos than this
# (one call's worth, plus a margin for the estimate's noise).
PAGE_WORTH = 1.25
# Good-Turing's adjusted count is used for owners seen r times while at least this many unlisted
# owners were seen r times; above it, the raw count (few owners, all of them big).
GOOD_TURING_MIN_OWNERS = 5

# Pool photos' getInfo in flight grow by one for every this many photos sampled.
SAMPLE_PER_THREAD = 8

INFO = "info"
PAGE = "page"  # people.getPublicPhotos (window None) or photos.search (a window)
LOOKUP = "lookup"
HISTORY = "history"
PHOTOS_OF = "photos_of"  # people.getPhotosOf: the photos `nsid` is tagged in, any owner's

# getPhotosOf pages asked per person at the most (500 photos each): a `has_next_page` that never
# turns 0 cannot make a run endless; what lies past it is said, not silently dropped.
MAX_PHOTOS_OF_PAGES = 200


@dataclass(frozen=True, slots=True)
class Call:
    """One Flickr call the planner wants made."""

    kind: str  # INFO | PAGE | LOOKUP | HISTORY | PHOTOS_OF
    photo_id: str = ""  # INFO, HISTORY
    nsid: str = ""  # PAGE (the owner), PHOTOS_OF (the person tagged)
    page: int = 1  # PAGE, PHOTOS_OF
    # PAGE by photos.search: upload times, inclusive, either end open; None: getPublicPhotos.
    window: tuple[int | None, int | None] | None = None
    descending: bool = False  # PAGE by photos.search: newest first
    alias: str = ""  # LOOKUP
    job: int = -1  # PAGE, LOOKUP, PHOTOS_OF: the planner's own reference


class PlanSink(Protocol):
    """Where the planner puts what the answers establish."""

    def visible(self, status: PhotoStatus) -> None: ...
    def not_public(self, photo_id: str, exc: NotVisible) -> None: ...
    def failed(self, photo_id: str, exc: FlickrError) -> None: ...
    def history(self, photo_id: str, entries: list[LicenceChange]) -> None: ...
    def warning(self, text: str) -> None: ...
    def alias(self, alias: str, match: UserMatch | None) -> None: ...
    def listing(self, call: Call, page: PhotoPage | PhotosOfPage) -> None: ...
    def listed_in_full(self, nsid: str, pages: int) -> None: ...
    def photos_of_in_full(self, nsid: str, pages: int) -> None: ...


@dataclass(frozen=True)
class PlanEstimate:
    photos: int  # photos whose status must be fetched
    calls: int  # calls planned (exact) or expected (an estimate)
    exact: bool  # False while owner discovery may still change the number


@dataclass
class _Job:
    """Manifest photos of one named owner being found through listings."""

    nsid: str
    photo_ids: set[str]  # still unresolved manifest photos of this owner, in this window
    uploaded: dict[str, int]  # their upload times (search mode)
    search: bool
    pages_left: int = 0
    full: bool = False  # every page, whatever it costs (an owner's exposure needs them all)


@dataclass
class _PhotosOf:
    """The getPhotosOf pages of one person, fetched in full."""

    nsid: str


@dataclass
class _Lookup:
    alias: str
    photo_ids: tuple[str, ...]


@dataclass
class _Discovered:
    """An owner found by the sample and being listed: its newest getPublicPhotos page first
    (the whole listing for most owners), then walks in upload time from its sampled photos."""

    nsid: str
    expected: float  # pool photos of this owner the listing is still expected to settle
    times: list[int]  # upload times of its sampled photos, ascending
    pages: int | None = None  # known after the first page
    fetched: set[int] = field(default_factory=set)
    found: int = 0  # pool photos its pages settled
    in_flight: bool = False


@dataclass
class _Walk:
    """One direction of a discovered owner's walk: photos.search pages of 500, each starting
    where the last ended (so no page cap applies), newest first going back in time."""

    owner: _Discovered
    descending: bool
    bound: int  # the next page starts here (max_upload going back, min_upload going on)
    limit: int | None  # and stops here (inclusive), or runs to the end


def describe_plan(estimate: PlanEstimate, *, reused: int, per_hour: float) -> str:
    """One line: the photos to check, the calls planned (or expected, while owner discovery
    may change them) and how long they take at `per_hour` calls an hour."""
    if estimate.photos == 0 and estimate.calls <= 1:
        return f"plan: nothing to ask Flickr ({reused:,} photo(s) fresh in the state)"
    hours = estimate.calls / per_hour
    took = (
        f"{hours * 60:.0f} min"
        if hours < 1
        else f"{hours:.1f} h"
        if hours < 48
        else (f"{hours / 24:.1f} days")
    )
    calls = (
        f"{estimate.calls:,} call(s)"
        if estimate.exact
        else f"at most {estimate.calls:,} call(s) (an estimate: owner discovery lists big owners "
        "as it learns them, and needs fewer)"
    )
    return (
        f"plan: {estimate.photos:,} photo(s) to check ({reused:,} fresh in the state), "
        f"{calls}, about {took} at {per_hour:,.0f} calls/h"
    )


def mismatched_answer(photo_id: str, status: PhotoStatus) -> UnexpectedResponse:
    """getInfo for `photo_id` answered about another photo."""
    return UnexpectedResponse(
        status.method, f"asked about photo {photo_id}, answered about photo {status.photo_id}"
    )


def good_turing(r: int, freq: Mapping[int, int]) -> float:
    """The adjusted count r* = (r+1) N(r+1) / N(r) of an owner seen r times, where N(r) owners
    were seen r times; the raw count r while fewer than `GOOD_TURING_MIN_OWNERS` owners were
    seen r times (too few to tell; at most that many listings can be wasted on the guess)."""
    owners = freq.get(r, 0)
    if owners < GOOD_TURING_MIN_OWNERS:
        return float(r)
    return (r + 1) * freq.get(r + 1, 0) / owners


def expected_remaining(r: int, freq: Mapping[int, int], sampled: int, remaining: int) -> float:
    """How many of `remaining` unsampled photos belong to an owner seen `r` times in a uniform
    random sample of `sampled` photos (owners' frequencies `freq`)."""
    if sampled <= 0 or r <= 0:
        return 0.0
    return good_turing(r, freq) / sampled * remaining


class FetchPlanner:
    """Decides the calls; see the module docstring. Use from one thread."""

    def __init__(
        self,
        targets: Sequence[Target],
        stale: Sequence[Target],
        sink: PlanSink,
        *,
        catalogue: LicenceCatalogue,
        need_history: Iterable[str] = (),
        history_for_collection: bool = False,
        known_aliases: Mapping[str, str | None] | None = None,
        listed: Iterable[str] = (),
        sample: Iterable[tuple[str | None, int | None]] = (),
        kept: Iterable[PhotoStatus] = (),
        list_in_full: Iterable[str] = (),
        photos_of: Iterable[str] = (),
        seed: int = 0,
    ) -> None:
        """`targets`: every photo; `stale`: those to fetch. `listed`: owners whose listing pages
        are kept in the state (not listed again). `sample`: owners and upload times (owner
        None: not public) of pool photos a killed or earlier run established by getInfo, so
        discovery goes on from what it had learnt. `kept`: photos shown by listing pages kept
        in the state, settled without a call. `list_in_full`: owners whose every
        getPublicPhotos page is fetched, whatever it costs (their targets settled on the way).
        `photos_of`: people whose every getPhotosOf page is fetched (the photos they are tagged
        in). `kept` may hold entries of kept getPhotosOf pages (`method` GET_PHOTOS_OF): they
        settle what such a page may settle (`_believable`)."""
        self.sink = sink
        self.catalogue = catalogue
        self.history_for_collection = history_for_collection
        self.targets = {t.photo_id: t for t in targets}
        self.unresolved: set[str] = {t.photo_id for t in stale}
        self.queue: deque[Call] = deque()
        self.jobs: dict[int, _Job | _Lookup | _Discovered | _Walk | _PhotosOf] = {}
        self.next_job = 0
        self.done_calls = 0
        self.in_flight = 0
        self.unknown_ids: set[int] = set()
        # Owner discovery.
        # Owners listed (or being listed) in full or by discovery, and those kept in the state.
        self.listed: set[str] = set(listed)
        self.times: dict[str, list[int]] = {}  # upload times of owners' sampled photos
        self.hits: Counter[str] = Counter()  # pool photos sampled, by owner
        self.freq: Counter[int] = Counter()  # unlisted owners, by hits
        self.by_hits: dict[int, set[str]] = {}
        self.sampled = 0  # pool photos whose turn came, with their owner known or not public
        # Pool photos a listing settled before their turn: owner, upload time.
        self.pool_owner: dict[str, tuple[str, int | None]] = {}
        self.pool: list[str] = []
        self.pool_pos: dict[str, int] = {}
        self.cursor = 0
        self.pool_left = 0  # unresolved pool photos not yet taken
        self.discovery_pages = 0  # discovered owners' pages in flight
        self.pool_in_flight = 0  # pool photos' getInfo in flight
        for status in kept:
            listing = (
                Call(PHOTOS_OF)
                if status.method == GET_PHOTOS_OF
                else Call(PAGE, nsid=status.owner.nsid)
            )
            if status.photo_id in self.unresolved and self._believable(listing, status):
                self._resolved_visible(status)
        for person in dict.fromkeys(photos_of):
            job = self._job(_PhotosOf(person))
            self.queue.append(Call(PHOTOS_OF, nsid=person, page=1, job=job))
        stale = [t for t in stale if t.photo_id in self.unresolved]
        self._plan(stale, need_history, known_aliases or {}, seed, set(list_in_full))
        for nsid, uploaded in sample:
            self._sampled(nsid, uploaded)

    # -- the initial plan ---------------------------------------------------------------------

    def _plan(
        self,
        stale: Sequence[Target],
        need_history: Iterable[str],
        known_aliases: Mapping[str, str | None],
        seed: int,
        list_in_full: set[str],
    ) -> None:
        by_nsid: dict[str, list[Target]] = {}
        by_alias: dict[str, list[Target]] = {}
        singles: list[Target] = []
        pool: list[str] = []
        for target in stale:
            if target.owner_nsid:
                by_nsid.setdefault(target.owner_nsid, []).append(target)
            elif target.owner_alias:
                by_alias.setdefault(target.owner_alias.lower(), []).append(target)
            else:
                pool.append(target.photo_id)
        for alias, group in by_alias.items():
            if alias in known_aliases:
                nsid = known_aliases[alias]
                if nsid is None:
                    singles.extend(group)
                else:
                    by_nsid.setdefault(nsid, []).extend(group)
            elif len(group) >= MIN_PHOTOS_LISTING:
                job = self._job(_Lookup(alias, tuple(t.photo_id for t in group)))
                self.queue.append(Call(LOOKUP, alias=alias, job=job))
            else:
                singles.extend(group)
        for nsid in sorted(list_in_full):
            ids = [t.photo_id for t in by_nsid.pop(nsid, [])]
            full = _Job(nsid, set(ids), {}, search=False, full=True)
            self.listed.add(nsid)
            self.queue.append(Call(PAGE, nsid=nsid, page=1, job=self._job(full)))
        for nsid, group in by_nsid.items():
            self._plan_owner(nsid, [t.photo_id for t in group])
        for target in singles:
            self.queue.append(Call(INFO, photo_id=target.photo_id))
        for photo_id in need_history:
            self.queue.append(Call(HISTORY, photo_id=photo_id))
        # A fair sample needs a random order; seeded, so a plan can be repeated.
        random.Random(seed).shuffle(pool)
        self.pool = pool
        self.pool_pos = {photo_id: i for i, photo_id in enumerate(pool)}
        self.pool_left = len(pool)

    def _job(self, job: _Job | _Lookup | _Discovered | _Walk | _PhotosOf) -> int:
        self.next_job += 1
        self.jobs[self.next_job] = job
        return self.next_job

    def _plan_owner(self, nsid: str, photo_ids: Sequence[str], *, front: bool = False) -> None:
        ids = [p for p in photo_ids if p in self.unresolved]
        uploaded = {p: up for p in ids if (up := self.targets[p].uploaded_at) is not None}
        search = len(uploaded) == len(ids)
        if len(ids) < (MIN_PHOTOS_WINDOW if search else MIN_PHOTOS_LISTING):
            self._info(ids, front=front)
            return
        if not search and nsid in self.listed:  # discovery lists it already
            self._info(ids, front=front)
            return
        job = _Job(nsid, set(ids), uploaded if search else {}, search)
        if not search:
            self.listed.add(nsid)  # listed by its own job: discovery leaves it alone
        self._push(self._page_call(self._job(job), job, 1), front=front)

    @staticmethod
    def _page_call(number: int, job: _Job, page: int) -> Call:
        window = (min(job.uploaded.values()), max(job.uploaded.values())) if job.search else None
        return Call(PAGE, nsid=job.nsid, page=page, window=window, job=number)

    def _info(self, photo_ids: Iterable[str], *, front: bool = False) -> None:
        for photo_id in photo_ids:
            if photo_id in self.unresolved:
                self._push(Call(INFO, photo_id=photo_id), front=front)

    def _push(self, call: Call, *, front: bool) -> None:
        # Follow-ups go first: finishing an owner before starting the next keeps the work a
        # killed run loses small and the state useful.
        if front:
            self.queue.appendleft(call)
        else:
            self.queue.append(call)

    # -- what the executor asks ---------------------------------------------------------------

    def next_call(self) -> Call | None:
        """The next call to make, or None when none can be chosen before more answers."""
        while self.queue:
            call = self.queue.popleft()
            if call.kind == INFO and call.photo_id not in self.unresolved:
                continue  # a listing found it meanwhile
            if call.kind == PAGE and call.job not in self.jobs:
                continue  # an owner's listing that has found all it was for
            self.in_flight += 1
            if call.kind == PAGE and isinstance(self.jobs.get(call.job), _Discovered | _Walk):
                self.discovery_pages += 1
            return call
        if self.discovery_pages and self.in_flight > self.discovery_pages:
            # While a discovered owner's page is on its way, sample one photo at a time: every
            # getInfo sent meanwhile may be one of the photos that page is about to settle.
            return None
        if self.pool_in_flight > self.sampled // SAMPLE_PER_THREAD:
            # A small sample is worth more answered than sent: the first photos of a dataset
            # dominated by a few owners would all go to the same owner.
            return None
        while self.cursor < len(self.pool):
            photo_id = self.pool[self.cursor]
            self.cursor += 1
            if photo_id in self.unresolved:
                self.pool_left -= 1
                self.in_flight += 1
                self.pool_in_flight += 1
                return Call(INFO, photo_id=photo_id)
            # Settled by a listing before its turn: its owner is known, so it joins the sample
            # for free, and the sample stays a uniform one of the pool.
            self._sampled(*self.pool_owner.pop(photo_id, (None, None)))
        return None

    def finished(self) -> bool:
        return not self.queue and self.cursor >= len(self.pool) and self.in_flight == 0

    def estimate(self) -> PlanEstimate:
        """Calls made, in flight and still expected: the queue, the pool left (one getInfo each
        at most) and the pages running listings are expected to fetch."""
        pages = 0
        for job in self.jobs.values():
            if isinstance(job, _Job) and not job.search:
                pages += job.pages_left
            elif isinstance(job, _Discovered | _Walk):
                owner = job if isinstance(job, _Discovered) else job.owner
                pages += min(math.ceil(owner.expected / PAGE_WORTH), 1 + owner.found)
        calls = self.done_calls + self.in_flight + len(self.queue) + self.pool_left + pages
        discovering = any(isinstance(job, _Discovered | _Walk) for job in self.jobs.values())
        return PlanEstimate(len(self.unresolved), calls, self.pool_left == 0 and not discovering)

    def answer(self, call: Call, outcome: Any) -> None:
        """Hand back what `call` returned, or the `FlickrError` it raised."""
        self.done_calls += 1
        self.in_flight -= 1
        if call.kind == INFO and call.photo_id in self.pool_pos:
            self.pool_in_flight -= 1
        if call.kind == PHOTOS_OF:
            if isinstance(outcome, FlickrError):
                self._photos_of_failed(call, outcome)
            else:
                self._photos_of_page(call, outcome)
            return
        if isinstance(outcome, NotVisible):
            if call.kind == INFO:
                self._resolved_not_public(call.photo_id, outcome)
            elif call.kind == PAGE:
                self._page_failed(call, outcome)
            # A history call on a photo that just disappeared: its status says enough.
            return
        if isinstance(outcome, FlickrError):
            self._failed(call, outcome)
            return
        if call.kind == INFO:
            self._info_answer(call, outcome)
        elif call.kind == HISTORY:
            self.sink.history(call.photo_id, outcome)
        elif call.kind == LOOKUP:
            self._looked_up(call, outcome)
        else:
            self._page(call, outcome)

    # -- answers ------------------------------------------------------------------------------

    def _info_answer(self, call: Call, status: PhotoStatus) -> None:
        if status.photo_id != call.photo_id:
            # Never file one photo's answer under another: this photo stays unchecked.
            self._failed(call, mismatched_answer(call.photo_id, status))
            return
        if call.photo_id not in self.unresolved:
            return  # settled meanwhile by a listing
        self._resolved_visible(status)

    def _failed(self, call: Call, exc: FlickrError) -> None:
        if call.kind == INFO:
            if call.photo_id in self.unresolved:
                self.unresolved.discard(call.photo_id)
                self.sink.failed(call.photo_id, exc)
        elif call.kind == HISTORY:
            self.sink.warning(
                f"licence history of photo {call.photo_id} could not be fetched ({exc}); "
                "its licence at collection stays unknown"
            )
        elif call.kind == LOOKUP:
            lookup = self.jobs.pop(call.job)
            assert isinstance(lookup, _Lookup)
            if isinstance(exc, FlickrApiError):  # no such user: remember it
                self.sink.alias(lookup.alias, None)
            self._info(lookup.photo_ids, front=True)
        else:
            self._page_failed(call, exc)

    def _page_failed(self, call: Call, exc: FlickrError) -> None:
        job = self.jobs.pop(call.job, None)
        if isinstance(job, _Job):
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()
        elif isinstance(job, _Discovered | _Walk):
            # Its photos are still in the pool: they get their getInfo there.
            self.discovery_pages -= 1

    def _looked_up(self, call: Call, user: UserMatch) -> None:
        lookup = self.jobs.pop(call.job)
        assert isinstance(lookup, _Lookup)
        self.sink.alias(lookup.alias, user)
        self._plan_owner(user.nsid, lookup.photo_ids, front=True)

    def _page(self, call: Call, page: PhotoPage) -> None:
        job = self.jobs.get(call.job)
        found = 0
        for status in page.photos:
            if status.photo_id in self.unresolved and self._believable(call, status):
                found += status.photo_id in self.pool_pos
                self._resolved_visible(status)
        self.sink.listing(call, page)
        if isinstance(job, _Discovered):
            self._discovered_page(call, job, page, found)
            return
        if isinstance(job, _Walk):
            self._walked(call, job, page, found)
            return
        if not isinstance(job, _Job):
            return  # a page of a listing that found all it was for while this one was out
        job.photo_ids &= self.unresolved
        if job.full:
            self._full_page(call, job, page)
            return
        if not job.photo_ids:
            self.jobs.pop(call.job, None)
            return
        if job.search:
            self.jobs.pop(call.job, None)
            self._next_window(job, page)
            return
        if call.page == 1:
            more = page.pages - 1
            # One page was the whole listing (more == 0): fall through to getInfo below.
            if 0 < more < len(job.photo_ids):
                job.pages_left = more
                for number in range(page.pages, 1, -1):  # page 2 first
                    self._push(Call(PAGE, nsid=job.nsid, page=number, job=call.job), front=True)
                return
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()
            self.jobs.pop(call.job, None)
            return
        job.pages_left -= 1
        if job.pages_left == 0:
            # Listed in full: what it did not show needs its own getInfo.
            self._info(sorted(job.photo_ids), front=True)
            job.photo_ids.clear()
            self.jobs.pop(call.job, None)

    def _photos_of_page(self, call: Call, page: PhotosOfPage) -> None:
        """One getPhotosOf page: what its entries may settle (`_believable`), the page kept,
        and the next page asked while `has_next_page` says there is one."""
        if page.page != call.page:
            detail = f"asked for page {call.page}, answered page {page.page}"
            self._photos_of_failed(call, UnexpectedResponse(GET_PHOTOS_OF, detail))
            return
        for status in page.photos:
            if status.photo_id in self.unresolved and self._believable(call, status):
                self._resolved_visible(status)
        self.sink.listing(call, page)
        job = self.jobs.get(call.job)
        if not isinstance(job, _PhotosOf):
            return
        if not page.has_next_page:
            self.jobs.pop(call.job, None)
            self.sink.photos_of_in_full(job.nsid, call.page)
            return
        if page.photos and call.page < MAX_PHOTOS_OF_PAGES:
            self._push(Call(PHOTOS_OF, nsid=job.nsid, page=call.page + 1, job=call.job), front=True)
            return
        self.jobs.pop(call.job, None)
        why = "an empty page" if not page.photos else f"the limit of {MAX_PHOTOS_OF_PAGES} pages"
        self.sink.warning(
            f"the photos {job.nsid} is tagged in were listed up to page {call.page} only "
            f"({why}, though Flickr says more follow): later ones are not found"
        )

    def _photos_of_failed(self, call: Call, exc: FlickrError) -> None:
        job = self.jobs.pop(call.job, None)
        if isinstance(job, _PhotosOf):
            self.sink.warning(
                f"the photos {job.nsid} is tagged in could not be listed past page "
                f"{call.page - 1} ({exc}): later ones are not found"
            )

    def _full_page(self, call: Call, job: _Job, page: PhotoPage) -> None:
        if call.page == 1:
            job.pages_left = page.pages - 1
            for number in range(page.pages, 1, -1):  # page 2 first
                self._push(Call(PAGE, nsid=job.nsid, page=number, job=call.job), front=True)
        else:
            job.pages_left -= 1
        if job.pages_left <= 0:
            self.sink.listed_in_full(job.nsid, page.pages)
            self._info(sorted(job.photo_ids), front=True)
            self.jobs.pop(call.job, None)

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
            self._push(self._page_call(self._job(window), window, 1), front=True)
        job.photo_ids = set()

    # -- owner discovery ----------------------------------------------------------------------

    def _sampled(self, nsid: str | None, uploaded: int | None = None) -> None:
        """One more pool photo in the sample: its owner (None when it is not public) and its
        upload time."""
        self.sampled += 1
        if nsid is None:
            return
        if uploaded is not None:
            self.times.setdefault(nsid, []).append(uploaded)
        r = self.hits[nsid]
        self.hits[nsid] = r + 1
        if r:
            self.freq[r] -= 1
        self.freq[r + 1] += 1
        if nsid in self.listed:
            return
        if r:
            self.by_hits[r].discard(nsid)
        self.by_hits.setdefault(r + 1, set()).add(nsid)
        self._consider(r + 1, nsid)
        if r + 1 != 1:
            self._consider(1, None)  # owners seen once are judged as a class

    def _expected(self, r: int) -> float:
        # Every photo after the cursor is unsampled, so an unlisted owner's are among them.
        return expected_remaining(r, self.freq, self.sampled, len(self.pool) - self.cursor)

    def _consider(self, r: int, nsid: str | None) -> None:
        """List the owner (or every unlisted owner seen `r` times, when `nsid` is None) if its
        first page is expected to settle more than it costs."""
        expected = self._expected(r)
        if expected < PAGE_WORTH:
            return
        owners = [nsid] if nsid is not None else sorted(self.by_hits.get(r, ()))
        for owner in owners:
            self._list(owner, expected)

    def _list(self, nsid: str, expected: float) -> None:
        self.by_hits[self.hits[nsid]].discard(nsid)
        job = _Discovered(nsid, expected, sorted(self.times.get(nsid, ())), in_flight=True)
        self.listed.add(nsid)
        number = self._job(job)
        self._push(Call(PAGE, nsid=nsid, page=1, job=number), front=True)

    def _discovered_page(self, call: Call, job: _Discovered, page: PhotoPage, found: int) -> None:
        """The newest getPublicPhotos page of a discovered owner: often the whole listing;
        else the walk starts from the owner's sampled photos (or, without upload times, the
        listing goes on page by page while pages are worth their call)."""
        self.discovery_pages -= 1
        job.in_flight = False
        job.fetched.add(call.page)
        job.pages = page.pages
        job.found += found
        # The estimate that started the listing, less what it found; or, when the page found
        # more than that estimate expected, what the page's yield says of the rest.
        rest = max(page.total - page.per_page * page.page, 0)
        job.expected = max(job.expected - found, found * rest / page.per_page)
        left = [n for n in range(1, page.pages + 1) if n not in job.fetched]
        self.jobs.pop(call.job, None)
        if not left:
            return
        times = [t for t in (s.uploaded_at for s in page.photos) if t is not None]
        if job.times and times and call.page == 1:
            # Page 1 holds everything uploaded since its oldest photo: walk below that.
            newest = min(max(job.times), min(times) - 1)
            self._walk(_Walk(job, True, newest, None))
            self._walk(_Walk(job, False, newest + 1, min(times) - 1))
            return
        # Two views of what is left: the estimate that started the listing less what it found,
        # and the pages seen so far's yield spread over the rest.
        by_yield = job.found / len(job.fetched) * len(left)
        job.expected = (job.expected + by_yield) / 2
        if job.expected / len(left) < PAGE_WORTH:
            return
        job.in_flight = True
        number = self._job(job)
        self._push(Call(PAGE, nsid=job.nsid, page=left[0], job=number), front=True)

    def _beyond(self, walk: _Walk) -> int:
        """The owner's sampled photos the walk has still to reach."""
        times = walk.owner.times
        if walk.descending:
            return bisect.bisect_left(times, walk.bound)
        return len(times) - bisect.bisect_left(times, walk.bound)

    def _walk(self, walk: _Walk) -> None:
        """Take the walk's next page if the photos ahead are expected to be worth it: the
        owner's remaining photos, in the share its sample has ahead of the walk."""
        if walk.limit is not None and walk.bound > walk.limit:
            return
        owner = walk.owner
        ahead = self._beyond(walk)
        share = (ahead + 0.5) / (len(owner.times) + 1)
        if owner.expected * share < PAGE_WORTH:
            return
        self._walk_page(walk)

    def _walk_page(self, walk: _Walk) -> None:
        window = (None, walk.bound) if walk.descending else (walk.bound, walk.limit)
        number = self._job(walk)
        call = Call(
            PAGE, nsid=walk.owner.nsid, window=window, descending=walk.descending, job=number
        )
        self._push(call, front=True)

    def _walked(self, call: Call, walk: _Walk, page: PhotoPage, found: int) -> None:
        """After a walk's page: on while pages find photos; across a stretch without any, on
        from the next sampled photo ahead (the stretch's photos get their getInfo); done at
        the end of the owner's photos."""
        self.discovery_pages -= 1
        self.jobs.pop(call.job, None)
        owner = walk.owner
        owner.found += found
        rest = max(page.total - page.per_page, 0)  # the photos that way past this page
        owner.expected = max(owner.expected - found, found * rest / page.per_page)
        times = [t for t in (s.uploaded_at for s in page.photos) if t is not None]
        if page.total <= page.per_page * page.page or not times:
            return  # the last page that way
        edge = min(times) if walk.descending else max(times)
        # Photos uploaded in the page's last second may go on past it: start there again
        # (unless the whole page is that one second, which would never move on).
        if edge == walk.bound:
            return
        walk.bound = edge
        if found >= 1:
            self._walk_page(walk)
            return
        times_ahead = owner.times
        if walk.descending:
            index = bisect.bisect_left(times_ahead, edge) - 1
            if index < 0:
                return
            walk.bound = times_ahead[index]
        else:
            index = bisect.bisect_right(times_ahead, edge)
            if index >= len(times_ahead):
                return
            walk.bound = times_ahead[index]
        self._walk(walk)

    # -- recording ----------------------------------------------------------------------------

    def _slug(self, licence_id: int | None) -> str:
        if licence_id is None:
            return UNKNOWN
        licence = self.catalogue.by_flickr_id(licence_id)
        if licence is None:
            self.unknown_ids.add(licence_id)
            return UNKNOWN
        return licence.slug

    def _settled(self, photo_id: str, owner: str | None, uploaded: int | None = None) -> None:
        self.unresolved.discard(photo_id)
        position = self.pool_pos.get(photo_id)
        if position is None:
            return
        if position >= self.cursor:
            self.pool_left -= 1  # settled before its turn in the pool: sampled at its turn
            if owner is not None:
                self.pool_owner[photo_id] = (owner, uploaded)
        else:
            self._sampled(owner, uploaded)  # its turn came (its getInfo may still be in flight)

    def _believable(self, call: Call, status: PhotoStatus) -> bool:
        """A listing of one owner's photos settles only that owner's photos: an entry naming
        another owner, or a photo the manifest gives to another owner, waits for its own
        getInfo instead of passing on the listing's word.

        getPhotosOf pages are the one, deliberate exception: they list the photos a person is
        tagged in, whoever took them, so their entries name other owners by design. Such an
        entry proves what it shows: the photo is public (a key-only caller is shown nothing
        else), who took it and, through the `license` extra the client asks for, its current
        licence. It settles the photo only when it shows all of that (`ispublic` not 0, a
        licence present) and names the owner the manifest gives, if any; an entry without a
        licence (Flickr ignoring the extra) or naming another owner than the manifest waits for
        the photo's getInfo, so nothing the page does not show is taken from it. Who is tagged
        is no photo status: the caller reads it from the kept pages."""
        if call.kind == PHOTOS_OF:
            if not status.public or status.licence_id is None:
                return False
        elif call.nsid and status.owner.nsid != call.nsid:
            return False
        target = self.targets.get(status.photo_id)
        manifest_owner = None if target is None else target.owner_nsid
        return not manifest_owner or manifest_owner == status.owner.nsid

    def _resolved_visible(self, status: PhotoStatus) -> None:
        self._settled(status.photo_id, status.owner.nsid, status.uploaded_at)
        self.sink.visible(status)
        if not status.public:
            return  # stored not-public (`ispublic: 0`): no licence to trace
        target = self.targets.get(status.photo_id)
        if target is not None and self.needs_history(target, self._slug(status.licence_id)):
            self._push(Call(HISTORY, photo_id=status.photo_id), front=True)

    def _resolved_not_public(self, photo_id: str, exc: NotVisible) -> None:
        if photo_id not in self.unresolved:
            return
        self._settled(photo_id, None)
        self.sink.not_public(photo_id, exc)

    def needs_history(self, target: Target, current: str) -> bool:
        if self.history_for_collection and target.collected:
            return True
        return current != UNKNOWN and any(slug != current for slug in target.recorded)


__all__ = [
    "GET_PUBLIC_PHOTOS",
    "MAX_PHOTOS_OF_PAGES",
    "PHOTOS_OF",
    "Call",
    "FetchPlanner",
    "PlanEstimate",
    "PlanSink",
    "describe_plan",
    "expected_remaining",
    "good_turing",
]
