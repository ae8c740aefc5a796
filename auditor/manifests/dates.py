"""Normalising the dates manifests record (crawl, collection and upload dates) to ISO 8601.

Manifests write dates as Unix epochs (`"1557512401"`), ISO dates (`2024-07-19`), PostgreSQL
timestamps (`2018-11-09 10:31:06.910129+00`) or `2017/09/01`. Flickr opened in 2004, so a
collection or upload date before then, or in the future, is garbage (YFCC100M has `4501-01-01`):
it is dropped with a note rather than trusted.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)
_EPOCH = re.compile(r"\d{9,11}(?:\.\d+)?")
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_NULLS = frozenset({"", "\\n", "null", "none", "nan", "nat"})


def normalise_date(value: object) -> tuple[str | None, str | None]:
    """`(iso_8601_or_None, problem_or_None)` for a recorded date.

    Dates keep the precision they were given: a day stays `YYYY-MM-DD`; a timestamp becomes
    `YYYY-MM-DDTHH:MM:SS` with its UTC offset when it had one. Epochs are UTC (`...Z`).
    """
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, float):
        if math.isnan(value):
            return None, None
        value = repr(value)
    elif isinstance(value, int):
        value = str(value)
    elif isinstance(value, datetime):
        value = value.isoformat()
    return _normalise_text(str(value).strip())


@lru_cache(maxsize=16384)
def _normalise_text(text: str) -> tuple[str | None, str | None]:
    if text.lower() in _NULLS:
        return None, None
    parsed: datetime
    if _EPOCH.fullmatch(text):
        parsed = datetime.fromtimestamp(float(text), tz=UTC)
        iso = parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        slashed = _SLASHED.fullmatch(text)
        if slashed:
            text = "{}-{:0>2}-{:0>2}".format(*slashed.groups())
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None, f"unreadable date {text[:40]!r}"
        if len(text) == 10:
            iso = parsed.date().isoformat()
        else:
            iso = parsed.isoformat(timespec="seconds" if not parsed.microsecond else "auto")
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if aware < _EARLIEST or aware > datetime.now(UTC) + timedelta(days=1):
        return None, f"implausible date {text[:40]!r} ignored"
    return iso, None
