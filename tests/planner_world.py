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
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from auditor.fetch.plan import HISTORY, INFO, LOOKUP, PER_PAGE, Call, FetchPlanner
from auditor.fetch.targets import Target
from auditor.flickr.errors import FetchFailed, FlickrError, NotVisible
from auditor.flickr.parse import (
    GET_INFO,
    GET_PUBLIC_PHOTOS,
    LicenceChange,
    Owner,
    PhotoPage,
    PhotoStatus,
    UserMatch,
)

LISTED, RESTRICTED, PRIVATE, DELETED = 0, 1, 2, 3


@dataclass
class SimOwner:
    nsid: str
    listable: list[str] = field(default_factory=list)  # newest first
    manifest: int = 0
    missing: int = 0  # manifest photos no listing shows


@dataclass
class SimWorld:
    owners: dict[str, SimOwner]
    owner_of: dict[str, str]  # every photo id -> owner nsid
    state: dict[str, int]  # photo id -> LISTED | RESTRICTED | PRIVATE | DELETED
    licence: dict[str, int]
    manifest: list[str]  # the manifest's photo ids, in manifest order

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
    are spread over them at random. `missing` of the manifest photos are not listable."""
    weights = rng.lognormal(0.0, sigma, owners) if sigma > 0 else np.ones(owners)
    counts = 1 + rng.multinomial(photos - owners, weights / weights.sum())
    world = SimWorld({}, {}, {}, {}, [])
    next_id = 10_000_000_000
    for index, n in enumerate(counts.tolist()):
        nsid = f"{10_000_000 + index}@N0{index % 9}"
        owner = SimOwner(nsid)
        public = max(n, math.ceil(n * max(1.0, rng.lognormal(math.log(multiplier), 1.0))))
        ids = [str(next_id + k) for k in range(public)]
        next_id += public
        chosen = set(rng.choice(public, n, replace=False).tolist())
        states = rng.choice(4, public, p=[0.94, 0.03, 0.02, 0.01])
        for k, photo_id in enumerate(ids):
            state = int(states[k])
            if k in chosen:
                state = LISTED if rng.random() >= missing else int(rng.integers(1, 4))
                world.manifest.append(photo_id)
                owner.manifest += 1
                owner.missing += state != LISTED
            world.owner_of[photo_id] = nsid
            world.state[photo_id] = state
            world.licence[photo_id] = int(rng.integers(0, 7))
            if state == LISTED:
                owner.listable.append(photo_id)
        owner.listable.reverse()  # ids grow with upload time: newest first
        world.owners[nsid] = owner
    order = rng.permutation(len(world.manifest))
    world.manifest = [world.manifest[i] for i in order.tolist()]
    return world


def flat(rng: np.random.Generator, photos: int, multiplier: float = 4.0) -> SimWorld:
    """Every owner has one photo in the manifest."""
    return build(rng, photos=photos, owners=photos, sigma=0.0, multiplier=multiplier)


class SimFlickr:
    """Answers `Call`s from a `SimWorld` the way the client would: answer objects, or the
    `FlickrError` the call would raise. `fail` makes calls fail (FetchFailed) at that rate."""

    def __init__(self, world: SimWorld, *, fail: float = 0.0, seed: int = 0) -> None:
        self.world = world
        self.calls: Counter[str] = Counter()
        self.fail = fail
        self.rng = np.random.default_rng(seed)
        self._owners = {nsid: Owner(nsid, f"user {nsid}", None) for nsid in world.owners}
        self._pages: dict[tuple[str, int], PhotoPage] = {}

    def status(self, photo_id: str, method: str) -> PhotoStatus:
        return PhotoStatus(
            photo_id=photo_id,
            owner=self._owners[self.world.owner_of[photo_id]],
            licence_id=self.world.licence[photo_id],
            public=True,
            tags=(),
            uploaded_at=None,
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
            state = self.world.state.get(call.photo_id)
            if state is None or state in (PRIVATE, DELETED):
                return NotVisible(GET_INFO, 1, "Photo not found")
            return self.status(call.photo_id, GET_INFO)
        if call.kind == HISTORY:
            return list[LicenceChange]()
        if call.kind == LOOKUP:
            return UserMatch(call.alias, call.alias)
        return self.page(call.nsid, call.page)

    def page(self, nsid: str, number: int) -> PhotoPage:
        key = (nsid, number)
        cached = self._pages.get(key)
        if cached is None:
            listable = self.world.owners[nsid].listable
            chunk = listable[(number - 1) * PER_PAGE : number * PER_PAGE]
            cached = PhotoPage(
                page=number,
                pages=max(1, math.ceil(len(listable) / PER_PAGE)),
                per_page=PER_PAGE,
                total=len(listable),
                photos=tuple(self.status(p, GET_PUBLIC_PHOTOS) for p in chunk),
            )
            self._pages[key] = cached
        return cached


class ListSink:
    """Collects what the planner establishes."""

    def __init__(self) -> None:
        self.visible_ids: dict[str, str] = {}  # photo id -> owner nsid
        self.not_public_ids: set[str] = set()
        self.failed_ids: set[str] = set()
        self.warnings: list[str] = []
        self.pages: list[tuple[str, int]] = []

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

    def listing(self, nsid: str, page: PhotoPage) -> None:
        self.pages.append((nsid, page.page))


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
