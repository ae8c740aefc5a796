"""The token bucket: never more than `per_hour` starts in any one-hour window, on a fake clock
and from several threads on the real one; `hold_until` delays everybody."""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Sequence

import pytest

from auditor.flickr.ratelimit import TokenBucket

HOUR = 3600.0


class FakeClock:
    """A clock that only moves when someone sleeps (optionally oversleeping, like a busy OS)."""

    def __init__(self, start: float = 1000.0, overshoot: float = 0.0, seed: int = 0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._overshoot = overshoot
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(seconds, 0.0) + self._rng.uniform(0, self._overshoot)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def max_in_window(starts: Sequence[float], window: float) -> int:
    """The most starts in any half-open window [t, t + window); the busiest window always begins
    at a start, so checking those is enough."""
    ordered = sorted(starts)
    best = 0
    j = 0
    for i, first in enumerate(ordered):
        while j < len(ordered) and ordered[j] < first + window:
            j += 1
        best = max(best, j - i)
    return best


def acquire_all(bucket: TokenBucket, clock: FakeClock, count: int) -> list[float]:
    starts = []
    for _ in range(count):
        bucket.acquire()
        starts.append(clock())
    return starts


@pytest.mark.parametrize("per_hour", [1, 60, 3600])
def test_bound_holds_in_every_hour_and_is_reached(per_hour: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(per_hour, clock=clock, sleep=clock.sleep)
    starts = acquire_all(bucket, clock, 3 * per_hour + 7)
    assert max_in_window(starts, HOUR) == per_hour  # never more, and not needlessly fewer
    assert starts[-1] - starts[0] == pytest.approx((len(starts) - 1) * HOUR / per_hour)


def test_bound_holds_with_oversleeping_and_idle_gaps() -> None:
    clock = FakeClock(overshoot=7.0, seed=3)
    bucket = TokenBucket(100, clock=clock, sleep=clock.sleep)
    rng = random.Random(5)
    starts = []
    for _ in range(2000):
        if rng.random() < 0.05:
            clock.advance(rng.uniform(0, 5000))  # idle: no burst of saved-up tokens afterwards
        bucket.acquire()
        starts.append(clock())
    assert max_in_window(starts, HOUR) <= 100
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= HOUR / 100 - 1e-9


@pytest.mark.parametrize("per_hour", [0.5, 2.5, 7.2])
def test_fractional_rates_allow_at_most_the_ceiling(per_hour: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(per_hour, clock=clock, sleep=clock.sleep)
    starts = acquire_all(bucket, clock, 40)
    assert max_in_window(starts, HOUR) <= math.ceil(per_hour)
    assert max_in_window(starts, 10 * HOUR) <= math.ceil(10 * per_hour)


def test_acquire_returns_the_seconds_waited() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock, sleep=clock.sleep)
    assert bucket.acquire() == 0.0  # the first call starts at once
    assert bucket.acquire() == pytest.approx(60.0)
    clock.advance(45)
    assert bucket.acquire() == pytest.approx(15.0)
    clock.advance(600)
    assert bucket.acquire() == 0.0


def test_hold_until_delays_everyone() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3600, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.hold_until(clock() + 30)
    bucket.hold_until(clock() + 5)  # a shorter hold does not shorten the longer one
    assert bucket.acquire() == pytest.approx(30.0)
    assert bucket.acquire() == pytest.approx(1.0)  # then the usual spacing
    bucket.hold_until(clock() - 100)  # a time already past changes nothing
    assert bucket.acquire() == pytest.approx(1.0)
    bucket.hold_for(12)
    assert bucket.acquire() == pytest.approx(12.0)


def test_hold_arriving_while_a_caller_sleeps_is_honoured() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock, sleep=lambda s: sleep_then_hold(s))

    def sleep_then_hold(seconds: float) -> None:
        # Another thread's 429 with Retry-After lands while this caller waits for its slot.
        if not clock.slept:
            bucket.hold_until(clock() + 500)
        clock.sleep(seconds)

    bucket.acquire()
    waited = bucket.acquire()
    assert waited == pytest.approx(500.0)
    assert clock.slept == [pytest.approx(60.0), pytest.approx(440.0)]


def test_hold_delays_every_thread() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3600, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.hold_until(clock() + 100)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        bucket.acquire()
        with lock:
            starts.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(starts) == 4
    assert min(starts) >= 1000.0 + 100


def test_many_threads_on_the_real_clock() -> None:
    per_hour = 36_000.0  # one start every 0.1 s
    interval = HOUR / per_hour
    readings: dict[int, float] = {}

    def clock() -> float:
        # The last reading a thread takes inside acquire() is the start it was granted.
        now = time.monotonic()
        readings[threading.get_ident()] = now
        return now

    bucket = TokenBucket(per_hour, clock=clock)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(2):
            bucket.acquire()
            start = readings[threading.get_ident()]
            with lock:
                starts.append(start)

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.monotonic() - began
    assert len(starts) == 12
    ordered = sorted(starts)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert min(gaps) >= interval - 1e-9
    assert max_in_window(starts, 1.0) <= 10  # the hourly bound, scaled to this rate
    assert ordered[-1] - began >= 11 * interval - 1e-9
    assert elapsed < 11 * interval + 2.0  # waits only as long as the spacing needs


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
def test_rejects_rates_that_are_not_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="per_hour"):
        TokenBucket(bad)


def test_attributes_and_repr() -> None:
    bucket = TokenBucket(3600)
    assert bucket.per_hour == 3600
    assert bucket.interval == 1.0
    assert repr(bucket) == "TokenBucket(per_hour=3600)"
