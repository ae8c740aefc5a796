"""Simulated Flickr worlds that answer the fetch planner's calls in memory, with no HTTP, no
JSON and no client: for testing `auditor.fetch.plan.FetchPlanner` on thousands of owners in
seconds, and for the benchmark's DiF-sized (a million URLs) simulation.

A world is owners, each with public photos (newest first in listings, as getPublicPhotos
answers) of which the manifest takes some; a share of the manifest's photos are *missing* from
listings (restricted, private or deleted). `lower_bound` is issue 14's bound for manifests that
name no owner: the sum over owners of min(manifest photos, 1 + ceil(listable / 500) + missing).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from auditor.fetch.plan import HISTORY, INFO, LOOKUP, PER_PAGE, Call, FetchPlanner
from auditor.fetch.targets import Target
from auditor.flickr import TokenBucket
from auditor.flickr.errors import FetchFailed, FlickrError, NotVisible
from auditor.flickr.parse import (
    GET_INFO,
    GET_PUBLIC_PHOTOS,
    LicenceChange,
    Owner,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    UserMatch,
)

LISTED, RESTRICTED, PRIVATE, DELETED = 0, 1, 2, 3


@dataclass
class SimOwner:
    nsid: str
    first_id: int  # the owner's photos have ids first_id, first_id + 1, ... (upload order)
    listable: np.ndarray  # ids of the photos listings show, newest first
    manifest: int = 0
    missing: int = 0  # manifest photos no listing shows


@dataclass
class SimWorld:
    """Owners and the manifest's photos: `facts` holds, per manifest photo id, its owner, its
    state (LISTED, RESTRICTED, PRIVATE, DELETED) and its licence id; photos outside the
    manifest are only ids in their owner's `listable`."""

    owners: dict[str, SimOwner]
    facts: dict[str, tuple[str, int, int]]
    manifest: list[str]  # the manifest's photo ids, in manifest order

    def owner_of(self, photo_id: str) -> str:
        return self.facts[photo_id][0]

    def state(self, photo_id: str) -> int:
        return self.facts[photo_id][1]

    def lower_bound(self) -> int:
        """Issue 14's bound for an owner-less manifest (no history calls, no licence table)."""
        return sum(
            min(o.manifest, 1 + math.ceil(len(o.listable) / PER_PAGE) + o.missing)
            for o in self.owners.values()
            if o.manifest
        )

    def targets(self) -> list[Target]:
        """The manifest as the planner sees it: ids only, no owner, no upload time."""
        empty: frozenset[str] = frozenset()
        return [Target(p, None, None, None, empty, False) for p in self.manifest]


def build(
    rng: np.random.Generator,
    *,
    photos: int,
    owners: int,
    sigma: float,
    multiplier: float = 4.0,
    missing: float = 0.05,
) -> SimWorld:
    """`photos` manifest photos from `owners` owners, photos per owner lognormal(0, `sigma`)
    (sigma 0: every owner the same share); each owner has about `multiplier` times (median,
    lognormal spread) as many public photos as the manifest takes, and the manifest's photos
    are spread over them at random. `missing` of the manifest photos are not listable (and
    about 6% of the others)."""
    weights = rng.lognormal(0.0, sigma, owners) if sigma > 0 else np.ones(owners)
    counts = 1 + rng.multinomial(photos - owners, weights / weights.sum())
    world = SimWorld({}, {}, [])
    next_id = 10_000_000_000
    for index, n in enumerate(counts.tolist()):
        nsid = f"{10_000_000 + index}@N0{index % 9}"
        public = max(n, math.ceil(n * max(1.0, rng.lognormal(math.log(multiplier), 1.0))))
        states = rng.choice(4, public, p=[0.94, 0.03, 0.02, 0.01])
        chosen = rng.choice(public, n, replace=False)
        lost = rng.random(n) < missing
        states[chosen] = np.where(lost, rng.integers(1, 4, n), LISTED)
        licences = rng.integers(0, 7, n)
        ids = next_id + np.arange(public, dtype=np.int64)
        owner = SimOwner(nsid, next_id, ids[states == LISTED][::-1].copy(), n, int(lost.sum()))
        for k, state, licence in zip(
            chosen.tolist(), states[chosen].tolist(), licences.tolist(), strict=True
        ):
            photo_id = str(next_id + k)
            world.facts[photo_id] = (nsid, state, licence)
            world.manifest.append(photo_id)
        next_id += public
        world.owners[nsid] = owner
    order = rng.permutation(len(world.manifest))
    world.manifest = [world.manifest[i] for i in order.tolist()]
    return world


def flat(rng: np.random.Generator, photos: int, multiplier: float = 4.0) -> SimWorld:
    """Every owner has one photo in the manifest."""
    return build(rng, photos=photos, owners=photos, sigma=0.0, multiplier=multiplier)


class SimFlickr:
    """Answers `Call`s from a `SimWorld` the way the client would: answer objects, or the
    `FlickrError` the call would raise. `fail` makes calls fail (FetchFailed) at that rate.

    A listing page's `page`, `pages` and `total` are Flickr's, but its entries are only its
    first and last photo and the manifest's photos among those it shows (with `full_pages`,
    every photo; those outside the manifest have licence 0): the planner reads nothing else
    (where the page starts and ends in upload time, and the photos it looks for), so its
    calls are the same, and a million-photo simulation need not build twenty million entries."""

    def __init__(
        self, world: SimWorld, *, fail: float = 0.0, seed: int = 0, full_pages: bool = False
    ) -> None:
        self.world = world
        self.full_pages = full_pages
        self.calls: Counter[str] = Counter()
        self.fail = fail
        self.rng = np.random.default_rng(seed)
        self._owners = {nsid: Owner(nsid, f"user {nsid}", None) for nsid in world.owners}

    def status(self, photo_id: str, method: str, owner: str | None = None) -> PhotoStatus:
        fact = self.world.facts.get(photo_id)
        return PhotoStatus(
            photo_id=photo_id,
            owner=self._owners[fact[0] if fact is not None else str(owner)],
            licence_id=fact[2] if fact is not None else 0,
            public=True,
            tags=(),
            uploaded_at=int(photo_id),  # ids grow with upload time: the id is the time
            last_update=None,
            title=None,
            method=method,
            raw={},
        )

    def __call__(self, call: Call) -> object:
        method = {INFO: GET_INFO, HISTORY: "history", LOOKUP: "lookup"}.get(
            call.kind, GET_PUBLIC_PHOTOS
        )
        self.calls[method] += 1
        if self.fail and self.rng.random() < self.fail:
            return FetchFailed(method, 5, "HTTP 503")
        if call.kind == INFO:
            fact = self.world.facts.get(call.photo_id)
            if fact is None or fact[1] in (PRIVATE, DELETED):
                return NotVisible(GET_INFO, 1, "Photo not found")
            return self.status(call.photo_id, GET_INFO)
        if call.kind == HISTORY:
            return list[LicenceChange]()
        if call.kind == LOOKUP:
            return UserMatch(call.alias, call.alias)
        if call.window is not None:
            return self.search(call.nsid, call.window, call.descending)
        return self.page(call.nsid, call.page)

    def search(
        self, nsid: str, window: tuple[int | None, int | None], descending: bool
    ) -> PhotoPage:
        """Page 1 of photos.search over the owner's photos uploaded within `window`."""
        ascending = self.world.owners[nsid].listable[::-1]
        low, high = window
        start = 0 if low is None else int(np.searchsorted(ascending, low, "left"))
        end = len(ascending) if high is None else int(np.searchsorted(ascending, high, "right"))
        selected = ascending[start:end]
        return self._answer(nsid, selected[::-1] if descending else selected, 1)

    def page(self, nsid: str, number: int) -> PhotoPage:
        return self._answer(nsid, self.world.owners[nsid].listable, number)

    def _answer(self, nsid: str, listable: np.ndarray, number: int) -> PhotoPage:
        chunk = listable[(number - 1) * PER_PAGE : number * PER_PAGE]
        return PhotoPage(
            page=number,
            pages=max(1, math.ceil(len(listable) / PER_PAGE)),
            per_page=PER_PAGE,
            total=len(listable),
            photos=tuple(
                self.status(photo_id, GET_PUBLIC_PHOTOS, nsid)
                for k, photo_id in enumerate(map(str, chunk.tolist()))
                if self.full_pages or photo_id in self.world.facts or k in (0, len(chunk) - 1)
            ),
        )


class RecordingBucket(TokenBucket):
    """The real token bucket, recording the clock reading at which it let each call start (to
    count the starts in any window against what the limit allows there)."""

    def __init__(self, per_hour: float) -> None:
        self._local = threading.local()
        super().__init__(per_hour, clock=self._clock)
        self.starts: list[float] = []

    def _clock(self) -> float:
        now = time.monotonic()
        self._local.last = now
        return now

    def acquire(self) -> float:
        waited = super().acquire()
        # The last clock reading in this thread is the one the start was granted at.
        self.starts.append(self._local.last)
        return waited


class ListSink:
    """Collects what the planner establishes."""

    def __init__(self) -> None:
        self.visible_ids: dict[str, str] = {}  # photo id -> owner nsid
        self.not_public_ids: set[str] = set()
        self.failed_ids: set[str] = set()
        self.warnings: list[str] = []
        self.pages: list[tuple[str, int]] = []
        self.complete: list[tuple[str, int]] = []
        self.photos_of_complete: list[tuple[str, int]] = []  # getPhotosOf listed in full

    def visible(self, status: PhotoStatus) -> None:
        self.visible_ids[status.photo_id] = status.owner.nsid

    def not_public(self, photo_id: str, exc: NotVisible) -> None:
        self.not_public_ids.add(photo_id)

    def failed(self, photo_id: str, exc: FlickrError) -> None:
        self.failed_ids.add(photo_id)

    def history(self, photo_id: str, entries: list[LicenceChange]) -> None:
        pass

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def alias(self, alias: str, match: UserMatch | None) -> None:
        pass

    def listing(self, call: Call, page: PhotoPage | PhotosOfPage) -> None:
        self.pages.append((call.nsid, page.page))

    def listed_in_full(self, nsid: str, pages: int) -> None:
        self.complete.append((nsid, pages))

    def photos_of_in_full(self, nsid: str, pages: int) -> None:
        self.photos_of_complete.append((nsid, pages))


def drive(planner: FetchPlanner, flickr: SimFlickr, *, concurrency: int = 8) -> int:
    """Run the planner to the end, `concurrency` calls in flight (answered oldest first, as
    a thread pool would roughly do); the number of calls made."""
    in_flight: list[Call] = []
    calls = 0
    while True:
        while len(in_flight) < concurrency and (call := planner.next_call()) is not None:
            in_flight.append(call)
        if not in_flight:
            break
        call = in_flight.pop(0)
        calls += 1
        planner.answer(call, flickr(call))
    assert planner.finished()
    return calls
