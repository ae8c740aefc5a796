"""Work handed to a thread that runs it in order, a few steps behind the caller."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class StepsBehind:
    """Steps run in order by one thread, at most `depth` of them waiting; an error in a step
    is raised by a later `then` or by `wait`. The steps are mostly Arrow kernels and file
    writes, which release the GIL: they overlap the caller's work."""

    def __init__(self, depth: int = 2, name: str = "flickr-audit-writer") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: deque[Future[None]] = deque()
        self._depth = depth

    def then(self, step: Callable[..., None], *args: Any) -> None:
        self._pending.append(self._pool.submit(step, *args))
        while len(self._pending) > self._depth:
            self._pending.popleft().result()

    def wait(self) -> None:
        """Wait for every step; raise the first error."""
        while self._pending:
            self._pending.popleft().result()

    def shutdown(self) -> None:
        """Stop the thread: the step running finishes, those waiting are dropped."""
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
