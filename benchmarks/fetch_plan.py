"""How many Flickr calls the live fetch plans, and how much of the rate limit it uses.

Builds a synthetic Flickr shaped like MegaFace (3.3M photos from 48k owners, heavy-tailed photos
per owner), scaled by `--scale`: every owner has more public photos than the manifest lists
(YFCC100M, and MegaFace from it, took a subset), uploaded in bursts over the years, some after
the manifest was made; a few per cent of the manifest's photos are restricted (missing from
unauthenticated listings), private or deleted, and a few per cent have changed licence since.

1. Calls: the real planner (`auditor.fetch.fetch_status`) and the real `FlickrClient`, answered
   in memory by the stand-in (`tests/flickr_standin.py`, no HTTP, no rate limit), on a YFCC100M
   manifest (owners and upload times), a CSV with owners but no upload times, and a CSV of photo
   ids only (COCO-like). Prints calls by method and per photo against the naive plan (one getInfo
   per photo, one history call per changed photo) and the lower bound
   sum over owners of min(photos in manifest, ceil(public photos / 500) + photos missing from
   listings), plus one history call per changed photo (both plus the one licence-table call
   every run makes); and the owners that cost most above their bound.
2. Rate: the same over real HTTP against the stand-in with injected latency, with a token
   bucket of `--rate` calls/hour, on a subset of owners worth about `--rate-seconds` of calls.
   Prints the achieved call rate against the limit, and the most call starts in any sliding
   window of 1 s and 60 s against what the limit allows there.

    python benchmarks/fetch_plan.py [--scale 0.01] [--rate 36000] [--rate-seconds 60]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import planner_world
from flickr_standin import (
    IN_MEMORY_URL,
    VALID_KEY,
    Faults,
    FlickrStandIn,
    Owner,
    Photo,
    World,
)

from auditor.fetch import FetchOptions, FetchPlanner, FetchReport, fetch_status
from auditor.flickr import FlickrClient, TokenBucket
from auditor.licences import load_catalogue
from auditor.manifests.read import read_manifests
from auditor.state import StateStore

MEGAFACE_PHOTOS = 3_300_000
MEGAFACE_OWNERS = 48_000
PER_PAGE = 500  # Flickr's listing page size
FIRST_UPLOAD = 1_075_593_600  # 2004-02-01: Flickr opens
SNAPSHOT = 1_396_310_400  # 2014-04-01: YFCC100M's photos were all uploaded before
NOW = 1_719_792_000  # 2024-07-01: uploads after the snapshot run to here
SIGMA_PER_OWNER = 1.5  # lognormal spread of manifest photos per owner: a heavy tail
BURST_PHOTOS = 20  # mean photos per upload burst (an outing, an event)
BURST_SECONDS = 7200.0  # mean length of a burst
# Manifest photos: (listed, restricted, private, deleted); the other photos of their owners too.
STATES_MANIFEST = (0.95, 0.02, 0.01, 0.02)
STATES_OTHER = (0.94, 0.03, 0.02, 0.01)
CHANGED = 0.03  # manifest photos, of those still visible, whose licence changed since
# YFCC100M's Creative Commons mix by Flickr licence id (1 BY-NC-SA ... 6 BY-ND).
YFCC_LICENCES = {1: 0.32, 2: 0.17, 3: 0.20, 4: 0.17, 5: 0.09, 6: 0.05}
YFCC_NAMES = {
    1: ("Attribution-NonCommercial-ShareAlike License", "by-nc-sa"),
    2: ("Attribution-NonCommercial License", "by-nc"),
    3: ("Attribution-NonCommercial-NoDerivs License", "by-nc-nd"),
    4: ("Attribution License", "by"),
    5: ("Attribution-ShareAlike License", "by-sa"),
    6: ("Attribution-NoDerivs License", "by-nd"),
}
UNLIMITED = 3.6e15  # calls/hour for the in-memory runs: the bucket never waits
HISTORY = "flickr.photos.licenses.getLicenseHistory"
LICENCES = "flickr.photos.licenses.getInfo"
SHORT = {
    "flickr.photos.getInfo": "getInfo",
    "flickr.photos.search": "search",
    "flickr.people.getPublicPhotos": "getPublicPhotos",
    HISTORY: "getLicenseHistory",
    LICENCES: "licenses.getInfo",
    "flickr.urls.lookupUser": "lookupUser",
}


# -- the synthetic world ----------------------------------------------------------------------


@dataclass
class OwnerFacts:
    nsid: str
    manifest: int = 0  # photos the manifest lists
    listable: int = 0  # public, safe, not deleted: what an unauthenticated listing shows
    public: int = 0  # public photos, listable or not (restricted ones included)
    missing: int = 0  # manifest photos the listings do not show
    changed: int = 0  # manifest photos, still visible, whose licence changed

    @property
    def bound(self) -> int:
        """The issue's per-owner lower bound, without history calls."""
        return min(self.manifest, math.ceil(self.listable / PER_PAGE) + self.missing)

    @property
    def discovery_bound(self) -> int:
        """The same when the manifest names no owner: one getInfo must reveal the owner first
        (issue 14: min(n, 1 + ceil(public / 500) + photos no listing can show))."""
        return min(self.manifest, 1 + math.ceil(self.listable / PER_PAGE) + self.missing)


@dataclass
class Synthetic:
    world: World
    owners: dict[str, OwnerFacts]
    # Manifest rows: photo id, owner NSID, upload time, recorded Flickr licence id.
    rows: list[tuple[str, str, int, int]] = field(default_factory=list)


def _bursts(rng: np.random.Generator, n: int, start: float, end: float) -> np.ndarray:
    """`n` upload times in bursts between `start` and `end`; and each one's burst number."""
    bursts = max(1, round(n / BURST_PHOTOS))
    centres = rng.uniform(start, end, bursts)
    lengths = rng.exponential(BURST_SECONDS, bursts)
    burst_of = rng.integers(0, bursts, n)
    times = centres[burst_of] + rng.uniform(0.0, 1.0, n) * lengths[burst_of]
    return np.stack([np.minimum(times, end - 1).astype(np.int64), burst_of])


def build_world(scale: float, seed: int, multiplier: float, *, flat: bool = False) -> Synthetic:
    """MegaFace-shaped: `scale` of its photos and owners; an owner's public photos before the
    snapshot number about `multiplier` times (median) the manifest's photos of them. `flat`:
    as many owners as manifest photos, one photo each (nothing worth listing)."""
    rng = np.random.default_rng(seed)
    n_manifest = max(1, round(MEGAFACE_PHOTOS * scale))
    n_owners = n_manifest if flat else max(1, round(MEGAFACE_OWNERS * scale))
    weights = rng.lognormal(0.0, SIGMA_PER_OWNER, n_owners)
    counts = 1 + rng.multinomial(n_manifest - n_owners, weights / weights.sum())
    owner_ix, times, in_manifest, states, licences = [], [], [], [], []
    for o, m in enumerate(counts):
        m = int(m)
        before = max(m, math.ceil(m * max(1.0, rng.lognormal(math.log(multiplier), 1.0))))
        # Many owners went on uploading after the snapshot (listings page through those too).
        after = 0 if rng.random() < 0.4 else round(before * rng.lognormal(math.log(0.5), 1.0))
        start = rng.uniform(FIRST_UPLOAD, SNAPSHOT - 90 * 86400)
        pre, burst_of = _bursts(rng, before, start, SNAPSHOT)
        post = _bursts(rng, after, SNAPSHOT, NOW)[0] if after else np.empty(0, np.int64)
        # The manifest took whole events more than others (faces cluster): weighted sampling
        # without replacement by burst weight (Efraimidis-Spirakis, with Gumbel keys).
        keys = np.log(rng.gamma(0.5, 1.0, burst_of.max() + 1))[burst_of] + rng.gumbel(size=before)
        chosen = np.zeros(before + after, dtype=bool)
        chosen[np.argpartition(-keys, m - 1)[:m]] = True
        n = before + after
        owner_ix.append(np.full(n, o))
        times.append(np.concatenate([pre, post]))
        in_manifest.append(chosen)
        state = rng.choice(4, n, p=STATES_OTHER)  # index into the STATES tuples
        state[chosen] = rng.choice(4, m, p=STATES_MANIFEST)
        states.append(state)
        licence = rng.choice([0, 1, 2, 3, 4, 5, 6], n, p=[0.4, 0.15, 0.1, 0.1, 0.1, 0.1, 0.05])
        licence[chosen] = rng.choice(list(YFCC_LICENCES), m, p=list(YFCC_LICENCES.values()))
        licences.append(licence)
    owner_all = np.concatenate(owner_ix)
    time_all = np.concatenate(times)
    chosen_all = np.concatenate(in_manifest)
    state_all = np.concatenate(states)
    recorded = np.concatenate(licences)
    # Flickr's ids grow with upload time.
    order = np.argsort(time_all, kind="stable")
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = 5_000_000_000 + np.cumsum(rng.integers(1, 40, len(order)))
    visible = state_all <= 1  # listed or restricted: getInfo answers
    changed = chosen_all & visible & (rng.random(len(order)) < CHANGED)
    current = recorded.copy()
    # Owners mostly narrowed (to All Rights Reserved or NonCommercial), a few widened.
    new = rng.choice(
        [0, 1, 2, 3, 4, 5, 6], int(changed.sum()), p=[0.5, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]
    )
    clash = new == recorded[changed]
    new[clash] = (new[clash] + 1) % 7
    current[changed] = new
    change_at = time_all + (rng.random(len(order)) * (NOW - time_all)).astype(np.int64)

    world = World()
    nsids = [f"{30_000_000 + 7919 * o}@N0{1 + o % 8}" for o in range(n_owners)]
    facts = {nsid: OwnerFacts(nsid) for nsid in nsids}
    for o, nsid in enumerate(nsids):
        world.add_owner(Owner(nsid, f"owner{o}", alias=f"owner-{o}" if o % 3 == 0 else None))
    rows = []
    for i in range(len(order)):
        nsid = nsids[owner_all[i]]
        kind = int(state_all[i])  # 0 listed, 1 restricted, 2 private, 3 deleted
        photo_id = str(ids[i])
        history: list[tuple[int, int, int | None]] | None = None
        if changed[i]:
            history = [(int(change_at[i]), int(recorded[i]), int(current[i]))]
        world.add_photo(
            Photo(
                photo_id,
                nsid,
                int(current[i]),
                int(time_all[i]),
                public=kind != 2,
                deleted=kind == 3,
                safety_level=2 if kind == 1 else 0,
                history=history,
            )
        )
        fact = facts[nsid]
        fact.listable += kind == 0
        fact.public += kind <= 1
        if chosen_all[i]:
            fact.manifest += 1
            fact.missing += kind != 0
            fact.changed += bool(changed[i])
            rows.append((photo_id, nsid, int(time_all[i]), int(recorded[i])))
    rows.sort()
    return Synthetic(world, facts, rows)


# -- manifests ------------------------------------------------------------------------------


def write_yfcc(path: Path, rows: Sequence[tuple[str, str, int, int]]) -> None:
    """YFCC100M's 23 tab-separated columns, as MegaFace's metadata inherits them."""
    with path.open("w", encoding="utf-8") as fh:
        for photo_id, nsid, uploaded, licence in rows:
            name, code = YFCC_NAMES[licence]
            fields = [
                photo_id, nsid, "someone", "2010-06-01 10:00:00.0", str(uploaded), "Canon",
                "a+title", "", "face,people", "", "", "", "",
                f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
                f"http://farm1.staticflickr.com/1/{photo_id}_0123456789.jpg",
                name.replace(" ", "+"), f"http://creativecommons.org/licenses/{code}/2.0/",
                "1", "1", "0123456789", "0123456789", "jpg", "0",
            ]  # fmt: skip
            fh.write("\t".join(fields) + "\n")


def write_urls(path: Path, rows: Sequence[tuple[str, str, int, int]]) -> None:
    """A plain list of photo page URLs (the form Diversity in Faces was published in): no
    owner, no licence, no upload time."""
    path.write_text("".join(f"https://www.flickr.com/photo.gne?id={row[0]}\n" for row in rows))


def write_csv(path: Path, rows: Sequence[tuple[str, str, int, int]], *, owners: bool) -> None:
    """A CSV with licence URLs, with or without the owner column; never upload times."""
    lines = ["photo_id,owner,license" if owners else "photo_id,license"]
    for photo_id, nsid, _, licence in rows:
        url = f"https://creativecommons.org/licenses/{YFCC_NAMES[licence][1]}/2.0/"
        lines.append(f"{photo_id},{nsid},{url}" if owners else f"{photo_id},{url}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- calls: the planner in memory -------------------------------------------------------------


@dataclass
class PlanResult:
    name: str
    report: FetchReport
    requests: list[dict[str, str]]
    seconds: float
    photos: int
    wrong: int  # statuses that disagree with the world


def run_in_memory(
    name: str, synthetic: Synthetic, manifest: Path, state: Path, faults: Faults | None = None
) -> PlanResult:
    photos = read_manifests([manifest]).photos
    standin = FlickrStandIn(synthetic.world, faults=faults)
    session = standin.session()
    limiter = TokenBucket(UNLIMITED)
    with (
        FlickrClient(
            VALID_KEY,
            api_url=IN_MEMORY_URL,
            session=session,
            limiter=limiter,
            backoff=(0.001, 0.01),
        ) as client,
        StateStore(state) as store,
    ):
        started = time.perf_counter()
        report = fetch_status(photos, client, store, options=FetchOptions())
        seconds = time.perf_counter() - started
    session.close()
    return PlanResult(
        name, report, standin.requests, seconds, report.photos, _wrong(synthetic, report)
    )


def _wrong(synthetic: Synthetic, report: FetchReport) -> int:
    """Statuses that disagree with the world: visibility, or the current licence."""
    catalogue = load_catalogue()
    wrong = 0
    for photo_id, visibility, licence in zip(
        report.statuses["photo_id"],
        report.statuses["visibility"],
        report.statuses["licence"],
        strict=True,
    ):
        photo = synthetic.world.photos[photo_id]
        visible = photo.public and not photo.deleted
        expected = catalogue.by_flickr_id(photo.licence_id)
        if visibility != ("public" if visible else "not-public") or (
            visible and (expected is None or licence != expected.slug)
        ):
            wrong += 1
    return wrong


def calls_by_owner(synthetic: Synthetic, requests: list[dict[str, str]]) -> dict[str, Counter[str]]:
    """Each owner's calls by method, from the stand-in's request log."""
    photos = synthetic.world.photos
    by_owner: dict[str, Counter[str]] = {}
    for params in requests:
        method = params.get("method", "")
        if "photo_id" in params:
            owner = photos[params["photo_id"]].owner
        elif "user_id" in params:
            owner = params["user_id"]
        else:
            continue  # the licence table: once per run, nobody's
        by_owner.setdefault(owner, Counter())[method] += 1
    return by_owner


def _calls_text(calls: dict[str, int]) -> str:
    return ", ".join(
        f"{SHORT.get(method, method)} {count:,}"
        for method, count in sorted(calls.items(), key=lambda kv: -kv[1])
    )


def report_plan(
    result: PlanResult,
    synthetic: Synthetic,
    *,
    owners_known: bool,
    top: int,
    flat: bool = False,
    records_licences: bool = True,
) -> dict[str, float]:
    """Print one variant's figures; returns them for the summary."""
    facts = synthetic.owners
    calls = result.report.api_calls
    total = sum(calls.values())
    n = result.photos
    # History calls only where the manifest records a licence to compare (not URL lists).
    changed = sum(f.changed for f in facts.values()) if records_licences else 0
    missing = sum(f.missing for f in facts.values())
    naive = n + changed + 1
    # Without owners, one getInfo must reveal each owner before it can be listed.
    per_owner_bound = sum(f.bound if owners_known else f.discovery_bound for f in facts.values())
    bound = per_owner_bound + changed + 1
    target = 1.02 if flat else 1.1
    print(f"\n== {result.name} ==")
    print(
        f"photos {n:,} from {len(facts):,} owners; {missing:,} missing from listings "
        f"(restricted, private, deleted), {changed:,} with a changed licence"
    )
    print(f"calls: {_calls_text(calls)}")
    print(f"  total {total:,} = {total / n:.3f} per photo")
    print(f"naive (getInfo per photo + history per changed + 1): {naive:,} = {naive / n:.3f}/photo")
    first = "" if owners_known else "1 + "
    print(
        f"lower bound (sum min(manifest, {first}ceil(public/500) + missing) + history + 1): "
        f"{bound:,} = {bound / n:.3f}/photo"
    )
    ratio = total / bound
    if flat:  # the bound is one call per photo: nothing is worth listing
        ratio = total / naive
    verdict = "met" if ratio <= target else f"MISSED by {100 * (ratio / target - 1):.1f}%"
    against = "one call per photo (naive)" if flat else "lower bound"
    print(f"achieved / {against}: {ratio:.3f} (target <= {target:.2f}: {verdict}); naive / "
          f"achieved: {naive / total:.2f}x")  # fmt: skip
    print(
        f"statuses agreeing with the world: {n - result.wrong:,} / {n:,}; in memory "
        f"{result.seconds:.1f} s ({total / result.seconds:,.0f} calls/s through planner, client "
        "and stand-in)"
    )
    history = calls.get(HISTORY, 0)
    if history != changed:
        print(f"history calls {history:,} for {changed:,} changed photos")
    if not flat:
        per_owner = calls_by_owner(synthetic, result.requests)
        excess = []
        for nsid, fact in facts.items():
            made = per_owner.get(nsid, Counter())
            spent = sum(c for m, c in made.items() if m != HISTORY)
            own = fact.bound if owners_known else fact.discovery_bound
            excess.append((spent - own, nsid, spent, fact, made))
        above = [e for e in excess if e[0] > 0]
        below = [e for e in excess if e[0] < 0]
        print(
            f"owners above their bound: {len(above):,} (+{sum(e[0] for e in above):,} calls); "
            f"below it: {len(below):,} ({sum(e[0] for e in below):,} calls)"
        )
        for diff, nsid, spent, fact, made in sorted(excess, key=lambda e: -e[0])[:top]:
            if diff <= 0:
                break
            detail = _calls_text({m: c for m, c in made.items() if m != HISTORY})
            print(
                f"  {nsid}: {spent:,} calls vs bound {spent - diff:,} (+{diff:,}): manifest "
                f"{fact.manifest:,}, listable {fact.listable:,} "
                f"({math.ceil(fact.listable / PER_PAGE):,} pages), missing {fact.missing:,}; "
                f"{detail}"
            )
    return {"photos": n, "calls": total, "naive": naive, "bound": bound, "ratio": ratio}


def _same_statuses(clean: FetchReport, faulty: FetchReport) -> bool:
    """The statuses of a run with faults equal those of the clean run, photos that could not be
    checked at all (unverified, never passed) aside."""
    columns = ["photo_id", "status", "licence", "visibility", "tags", "owner_nsid"]
    a = clean.statuses[columns].set_index("photo_id").sort_index()
    b = faulty.statuses[columns].set_index("photo_id").sort_index()
    checked = b["status"] != "error"
    return bool(a.loc[checked[checked].index].equals(b.loc[checked]))


def simulate_dif(photos: int, owners: int, seed: int, per_hour: float) -> str:
    """The planner alone (`tests/planner_world.py`: answers in memory, no client, no HTTP) on
    an owner-less URL list the size of Diversity in Faces, with MegaFace's heavy tail."""
    started = time.perf_counter()
    world = planner_world.build(
        np.random.default_rng(seed), photos=photos, owners=owners, sigma=SIGMA_PER_OWNER
    )
    built = time.perf_counter() - started
    sink = planner_world.ListSink()
    targets = world.targets()
    planner = FetchPlanner(targets, targets, sink, catalogue=load_catalogue(), seed=seed)
    started = time.perf_counter()
    calls = planner_world.drive(planner, planner_world.SimFlickr(world), concurrency=4)
    seconds = time.perf_counter() - started
    bound = world.lower_bound()
    settled = len(sink.visible_ids) + len(sink.not_public_ids)
    wrong = sum(world.owner_of(p) != nsid for p, nsid in sink.visible_ids.items())
    days = calls / per_hour / 24
    naive_days = photos / per_hour / 24
    print("\n== Diversity-in-Faces-sized simulation (in-memory planner) ==")
    print(
        f"{photos:,} URLs naming no owner, from {owners:,} owners (lognormal sigma "
        f"{SIGMA_PER_OWNER}); world built in {built:.1f} s, planned in {seconds:.1f} s"
    )
    print(
        f"calls {calls:,} (getInfo {planner_world_calls(sink, calls)}); lower bound {bound:,}; "
        f"achieved / bound {calls / bound:.3f}; settled {settled:,} / {photos:,}, wrong owners "
        f"{wrong:,}"
    )
    print(
        f"at {per_hour:,.0f} calls/h: {days:.2f} days (one getInfo per photo: "
        f"{naive_days:.2f} days)"
    )
    return (
        f"- DiF-sized simulation: {photos:,} owner-less URLs from {owners:,} owners: "
        f"{calls:,} calls, lower bound {bound:,}, achieved/bound {calls / bound:.3f}; "
        f"{days:.2f} days at {per_hour:,.0f}/h (naive {naive_days:.2f} days)"
    )


def planner_world_calls(sink: planner_world.ListSink, calls: int) -> str:
    pages = len(sink.pages)
    return f"{calls - pages:,}, getPublicPhotos {pages:,}"


# -- rate: the planner over HTTP within the token bucket --------------------------------------


def max_in_window(times: Sequence[float], width: float) -> int:
    """The most of `times` in any half-open window [t, t + width)."""
    ordered = sorted(times)
    best = end = 0
    for begin, t in enumerate(ordered):
        while end < len(ordered) and ordered[end] < t + width:
            end += 1
        best = max(best, end - begin)
    return best


def tightest(times: Sequence[float], count: int) -> float:
    """The shortest time that `count` consecutive `times` span (inf when there are fewer)."""
    ordered = np.sort(np.asarray(times))
    if len(ordered) < count:
        return math.inf
    return float((ordered[count - 1 :] - ordered[: len(ordered) - count + 1]).min())


def pick_owners(
    synthetic: Synthetic, plan: PlanResult, calls: int, seed: int
) -> tuple[list[str], int]:
    """Owners, in random order, whose calls in the in-memory run add up to about `calls`."""
    per_owner = calls_by_owner(synthetic, plan.requests)
    rng = np.random.default_rng(seed)
    chosen, total = [], 0
    for ix in rng.permutation(len(synthetic.owners)):
        nsid = list(synthetic.owners)[ix]
        cost = sum(per_owner.get(nsid, Counter()).values())
        if total + cost <= calls:
            chosen.append(nsid)
            total += cost
    return chosen, total


def run_rate(
    synthetic: Synthetic, manifest: Path, state: Path, args: argparse.Namespace
) -> dict[str, float]:
    photos = read_manifests([manifest]).photos
    bucket = planner_world.RecordingBucket(args.rate)
    with (
        FlickrStandIn(synthetic.world, latency=args.latency) as standin,
        FlickrClient(VALID_KEY, api_url=standin.url, limiter=bucket) as client,
        StateStore(state) as store,
    ):
        started = time.monotonic()
        report = fetch_status(photos, client, store, options=FetchOptions(workers=args.workers))
        seconds = time.monotonic() - started
        arrived = list(standin.arrived)
    starts = sorted(bucket.starts)
    n = len(starts)
    limit = args.rate / 3600
    span = starts[-1] - starts[0]
    steady = (n - 1) / span if span > 0 else float("nan")
    gaps = np.diff(starts)
    idle = float(np.clip(gaps - bucket.interval, 0, None).sum())
    late = int((gaps > 1.5 * bucket.interval).sum())
    print(f"\n== rate: real FlickrClient over HTTP, {args.latency * 1000:.0f} ms latency ==")
    print(
        f"photos {report.photos:,}, calls {n:,} ({_calls_text(report.api_calls)}), "
        f"workers {args.workers}, limit {args.rate:,.0f}/h = {limit:g}/s"
    )
    print(
        f"achieved: {steady:.3f} calls/s between the first and last start = "
        f"{100 * steady / limit:.1f}% of the limit (target >= 95%); end to end {n / seconds:.3f}"
        f"/s over {seconds:.1f} s (planning and the last answer included)"
    )
    print(
        f"starts later than 1.5 intervals after the previous one: {late:,}; budget left unused "
        f"between starts: {idle:.1f} s of {span:.1f} s"
    )
    windows = {}
    for width in (1.0, 60.0):
        allowed = math.floor(width * args.rate / 3600 + 1e-9)
        most = max_in_window(starts, width)
        seen = max_in_window(arrived, width)
        windows[width] = most
        flag = "ok" if most <= allowed else "OVER THE LIMIT"
        print(
            f"most starts in any {width:g} s window: {most:,} (allowed {allowed:,}: {flag}); "
            f"as the server saw arrivals: {seen:,}"
        )
        # The bucket spaces starts; arrivals add the client's varying time to send, so the
        # server may see one more than allowed in a window the starts only just fill.
        print(
            f"  shortest span of {allowed + 1:,} consecutive starts: "
            f"{tightest(starts, allowed + 1):.4f} s; of arrivals: "
            f"{tightest(arrived, allowed + 1):.4f} s"
        )
    if span < 60:
        print("(the run is shorter than 60 s: raise --rate-seconds for a full 60 s window)")
    return {
        "calls": n,
        "steady": steady,
        "share": steady / limit,
        "max1": windows[1.0],
        "max60": windows[60.0],
        "seconds": seconds,
    }


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=0.01, help="share of MegaFace (0.01: 33k photos)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--multiplier",
        type=float,
        default=4.0,
        help="median public photos before the snapshot per manifest photo, per owner",
    )
    parser.add_argument("--rate", type=float, default=36_000.0, help="calls/hour for the rate run")
    parser.add_argument(
        "--rate-seconds", type=float, default=60.0, help="about this long of calls at --rate"
    )
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per answer (rate run)")
    parser.add_argument("--workers", type=int, default=FetchOptions().workers)
    parser.add_argument("--top", type=int, default=5, help="costliest owners shown")
    parser.add_argument("--no-coco", action="store_true", help="skip the ids-only manifest")
    parser.add_argument("--no-rate", action="store_true", help="skip the rate run")
    parser.add_argument(
        "--no-named", action="store_true", help="skip the manifests that name owners"
    )
    parser.add_argument(
        "--dif-photos",
        type=int,
        default=1_000_000,
        help="URLs in the Diversity-in-Faces-sized simulation on the in-memory planner (0: skip)",
    )
    parser.add_argument(
        "--dif-owners",
        type=int,
        default=round(1_000_000 * MEGAFACE_OWNERS / MEGAFACE_PHOTOS),
        help="their owners (default: MegaFace's photos per owner)",
    )
    parser.add_argument(
        "--rate-limit", type=float, default=3600.0, help="calls/hour the days are counted at"
    )
    parser.add_argument("--keep", type=Path, help="write the manifests here and keep them")
    args = parser.parse_args()

    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    started = time.perf_counter()
    synthetic = build_world(args.scale, args.seed, args.multiplier)
    facts = list(synthetic.owners.values())
    per_owner = np.array([f.manifest for f in facts])
    ratio = np.array([f.public / f.manifest for f in facts])
    print(
        f"world (scale {args.scale:g} of MegaFace, seed {args.seed}): "
        f"{len(synthetic.world.photos):,} photos on Flickr, {len(synthetic.rows):,} in the "
        f"manifest from {len(facts):,} owners, built in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"manifest photos per owner: median {np.median(per_owner):.0f}, mean "
        f"{per_owner.mean():.0f}, p90 {np.percentile(per_owner, 90):.0f}, max {per_owner.max():,}; "
        f"public/manifest per owner: median {np.median(ratio):.1f}, p90 "
        f"{np.percentile(ratio, 90):.1f}"
    )

    summary: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        flat_world = build_world(args.scale, args.seed, args.multiplier, flat=True)
        print(
            f"flat world (same scale, every owner one manifest photo): "
            f"{len(flat_world.world.photos):,} photos on Flickr, {len(flat_world.rows):,} in "
            f"the manifest from {len(flat_world.owners):,} owners"
        )
        # (name, manifest file, world, owners named, flat, faults)
        variants: list[tuple[str, str, Synthetic, bool, bool, Faults | None]] = []
        if not args.no_named:
            variants += [
                (
                    "owners and upload times (YFCC100M TSV)",
                    "yfcc.tsv",
                    synthetic,
                    True,
                    False,
                    None,
                ),
                ("owners, no upload times (CSV)", "owners.csv", synthetic, True, False, None),
            ]
        if not args.no_coco:
            variants.append(
                ("no owners (ids only, COCO-like CSV)", "ids.csv", synthetic, False, False, None)
            )
        variants += [
            ("no owners, heavy-tailed (URL list)", "urls.txt", synthetic, False, False, None),
            (
                "no owners, heavy-tailed (URL list), 10% transient faults",
                "urls.txt",
                synthetic,
                False,
                False,
                Faults(rate=0.1, seed=args.seed, retry_after=0),
            ),
            ("no owners, flat (URL list)", "flat.txt", flat_world, False, True, None),
        ]
        plans: dict[str, PlanResult] = {}
        for name, file, world, owners_known, flat, faults in variants:
            path = folder / file
            if file.endswith(".tsv"):
                write_yfcc(path, world.rows)
            elif file.endswith(".txt"):
                write_urls(path, world.rows)
            else:
                write_csv(path, world.rows, owners=owners_known)
            state = Path(tmp) / f"{file}{'.faults' if faults else ''}.sqlite"
            try:
                plan = run_in_memory(name, world, path, state, faults)
            except RuntimeError as exc:  # the fetch's own "no status" guard: a planner bug
                print(f"\n== {name} ==\nFAILED: fetch_status raised RuntimeError: {exc}")
                summary.append(f"- {name}: FAILED, fetch_status raised RuntimeError: {exc}")
                continue
            figures = report_plan(
                plan,
                world,
                owners_known=owners_known,
                top=args.top,
                flat=flat,
                records_licences=not file.endswith(".txt"),
            )
            if faults is not None:
                clean = plans.get(file)
                same = clean is not None and _same_statuses(clean.report, plan.report)
                print(
                    f"statuses identical to the run without faults: {same}; unverified "
                    f"{plan.report.unverified:,} (every attempt failed); the calls count every "
                    "attempt, retries of the faulted ones included"
                )
                figures["same"] = float(same)
            else:
                plans[file] = plan
            against = "one call per photo" if flat else "bound"
            summary.append(
                f"- {name}: {figures['calls']:,.0f} calls for {figures['photos']:,.0f} photos "
                f"({figures['calls'] / figures['photos']:.3f}/photo); naive "
                f"{figures['naive']:,.0f}; lower bound {figures['bound']:,.0f}; "
                f"achieved/{against} {figures['ratio']:.3f}; statuses wrong "
                f"{plan.wrong:,}"
                + ("" if faults is None else f"; identical to no faults: {bool(figures['same'])}")
            )
        if args.dif_photos:
            summary.append(
                simulate_dif(args.dif_photos, args.dif_owners, args.seed, args.rate_limit)
            )
        if not args.no_rate:
            target = round(args.rate / 3600 * args.rate_seconds)
            owners, expected = pick_owners(
                synthetic, plans["urls.txt" if args.no_named else "yfcc.tsv"], target, args.seed
            )
            chosen = set(owners)
            subset = [row for row in synthetic.rows if row[1] in chosen]
            path = folder / "rate.tsv"
            write_yfcc(path, subset)
            print(
                f"\nrate run: {len(owners):,} owners, {len(subset):,} photos, "
                f"about {expected:,} calls planned in memory"
            )
            rate = run_rate(synthetic, path, Path(tmp) / "rate.sqlite", args)
            summary.append(
                f"- rate ({args.latency * 1000:.0f} ms latency, limit {args.rate:,.0f}/h, "
                f"{args.workers} workers): {rate['steady']:.2f} calls/s = "
                f"{100 * rate['share']:.1f}% of the limit over {rate['calls']:,.0f} calls; most "
                f"starts in any 1 s: {rate['max1']:.0f} (allowed "
                f"{math.floor(args.rate / 3600 + 1e-9)}), in any 60 s: {rate['max60']:.0f} "
                f"(allowed {math.floor(60 * args.rate / 3600 + 1e-9)})"
            )
    print("\n== summary ==")
    print(
        f"fetch_plan benchmark, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()} "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; MegaFace-shaped world at "
        f"scale {args.scale:g} ({len(synthetic.rows):,} manifest photos, "
        f"{len(synthetic.owners):,} owners, {len(synthetic.world.photos):,} on Flickr)"
    )
    print("\n".join(summary))


if __name__ == "__main__":
    main()
