"""A token bucket that keeps one process under Flickr's "3600 queries per hour across the whole
key", whatever the number of threads calling."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Never more than `per_hour` call starts in any window of one hour.

    The bucket holds one token (burst 1): starts are spaced at least `interval = 3600/per_hour`
    seconds apart on `clock`, and nobody starts before a time given to `hold_until`.

    Why that bounds every hour: `acquire` calls are served one at a time, and each returns at a
    clock reading `t` (taken under the lock) that is no earlier than the previous start plus
    `interval`, so starts satisfy `t[i+1] - t[i] >= interval`. If `k` starts fall in a window
    `[a, a + 3600)`, the first and last of them are at least `(k - 1) * interval` apart and less
    than 3600 apart, so `(k - 1) * 3600 / per_hour < 3600`, i.e. `k < per_hour + 1`: at most
    `per_hour` starts when it is a whole number (as 3600 is), at most `ceil(per_hour)` otherwise.
    Spacing starts evenly, rather than allowing a burst of a full hour's tokens, also avoids the
    bursts Flickr answers with HTTP 429.

    Thread-safe. `clock` and `sleep` are injectable so tests run on a fake clock; `sleep` must not
    return before the clock has advanced by the amount asked for (or the bucket asks again).
    """

    def __init__(
        self,
        per_hour: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(per_hour) and per_hour > 0):
            raise ValueError(f"per_hour must be a positive number, not {per_hour!r}")
        self.per_hour = per_hour
        self.interval = 3600.0 / per_hour
        self.clock = clock
        self._sleep = sleep
        self._turn = threading.Lock()  # one acquirer at a time, so starts are granted in order
        self._state = threading.Lock()  # guards the two times below; never held while sleeping
        self._next = -math.inf  # earliest start the spacing allows
        self._hold = -math.inf  # earliest start `hold_until` allows

    def acquire(self) -> float:
        """Block until this call may start; return the seconds waited."""
        entered = self.clock()
        with self._turn:
            while True:
                with self._state:
                    now = self.clock()
                    start = max(self._next, self._hold)
                    if now >= start:
                        self._next = now + self.interval
                        return now - entered
                # Re-checked after sleeping: a `hold_until` may have arrived meanwhile.
                self._sleep(start - now)

    def hold_until(self, when: float) -> None:
        """Let nobody start before clock time `when` (a server's Retry-After, for all threads)."""
        with self._state:
            self._hold = max(self._hold, when)

    def hold_for(self, seconds: float) -> None:
        """`hold_until` `seconds` from now on this bucket's clock."""
        self.hold_until(self.clock() + seconds)

    def __repr__(self) -> str:
        return f"TokenBucket(per_hour={self.per_hour!r})"
