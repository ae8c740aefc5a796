"""The Flickr REST client: every call rate-limited, retried when worth it, and key-safe.

One `FlickrClient` is shared by the fetcher's worker threads. Each HTTP attempt takes one token
from the `TokenBucket` (retries spend the hourly budget too), transient failures are retried with
exponential backoff and full jitter (tenacity) up to `max_attempts`, and a `Retry-After` holds the
bucket so every thread waits, not just the one that was told. See `auditor.flickr.errors` for what
is transient, what is permanent and what stops the run.

The API key travels only in the query string to `api_url` (never followed through redirects),
and never leaves this module in an exception, a repr or a log record: `requests`' exceptions, which
embed the full URL, are replaced by redacted `FlickrError`s with no link back to them, every
string read from an answer (reason phrase, headers, body, JSON-escaped text) is scrubbed in one
place (`_receive`) before anything uses it, and urllib3's debug log of request lines is filtered
while the client is open.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import requests
import tenacity
from requests.adapters import HTTPAdapter

from auditor import __version__
from auditor.flickr import parse
from auditor.flickr.errors import (
    INVALID_KEY_CODE,
    NOT_VISIBLE_CODES,
    TRANSIENT_CODES,
    TRANSIENT_MESSAGE,
    FetchFailed,
    FlickrApiError,
    FlickrError,
    InvalidKey,
    NotVisible,
    TransientError,
    UnexpectedResponse,
    UserNotFound,
    is_transient,
    is_transient_status,
    redact,
)
from auditor.flickr.parse import (
    FlickrLicence,
    LicenceChange,
    Owner,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    UserMatch,
)
from auditor.flickr.ratelimit import TokenBucket

DEFAULT_API_URL = "https://api.flickr.com/services/rest/"
LISTING_EXTRAS = "license,owner_name,path_alias,date_upload,last_update,tags"
# Names the tool and what it does, as Flickr recommends; no URL until the project has a public one.
USER_AGENT = f"flickr-licence-auditor/{__version__} (licence-compliance audit of image datasets)"

MAX_PER_PAGE = 500  # Flickr's cap for list methods; larger values are silently lowered
MAX_RETRY_AFTER = 3600.0  # never wait longer than the hour the budget is counted over
POOL_SIZE = 16  # connections kept per host: room for the fetcher's ~8 threads
_RESERVED = frozenset({"method", "api_key", "format", "nojsoncallback"})
# Flickr's largest answers (500 listed photos with every extra) are a few hundred KB.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_QUERY = re.compile(r"\?[^\s'\")]*")  # a URL's query string, up to a space or a quote

# Which method-specific codes (below 95) mean "no such photo/user to a key-only caller".
_NOT_VISIBLE_METHODS = frozenset({parse.GET_INFO, parse.LICENCE_HISTORY})
_USER_NOT_FOUND: Mapping[str, frozenset[int]] = {
    parse.GET_PUBLIC_PHOTOS: frozenset({1, 5}),
    parse.GET_PHOTOS_OF: frozenset({1, 5}),  # "User not found."
    "flickr.people.getInfo": frozenset({1, 5}),
    parse.FIND_BY_USERNAME: frozenset({1}),
    parse.LOOKUP_USER: frozenset({1}),
    parse.SEARCH: frozenset({2, 5}),  # "Unknown user", "User deleted"
}

# `flickr-audit --verbose` shows this logger: one line per attempt, never the key.
log = logging.getLogger("auditor.flickr")


class FlickrClient:
    """A thread-safe client for the read-only Flickr methods the auditor uses."""

    def __init__(
        self,
        api_key: str,
        *,
        api_url: str = DEFAULT_API_URL,
        limiter: TokenBucket | None = None,
        timeout: tuple[float, float] = (10.0, 30.0),
        max_attempts: int = 5,
        backoff: tuple[float, float] = (1.0, 60.0),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key.strip() if isinstance(api_key, str) else ""
        if not key:
            raise ValueError("the Flickr API key is empty")
        parts = urllib.parse.urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"api_url must be an http(s) URL, not {api_url!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if session is not None and session.verify is False:
            raise ValueError("the session turns TLS verification off; the client needs it on")
        self._key = key
        self.api_url = api_url
        self._limiter = limiter if limiter is not None else TokenBucket(3600)
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._jitter = tenacity.wait_random_exponential(multiplier=backoff[0], max=backoff[1])
        self._sleep = sleep
        self._own_session = session is None
        self._session = session if session is not None else _new_session()
        self._headers = {"User-Agent": USER_AGENT}
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._log_filter = _RedactKey(key)
        logging.getLogger("urllib3.connectionpool").addFilter(self._log_filter)

    def __repr__(self) -> str:
        return f"FlickrClient(api_url={self.api_url!r})"

    # -- the one way out ---------------------------------------------------------------------

    def call(self, method: str, **params: str | int) -> dict[str, Any]:
        """GET `method` with `params`; the decoded `stat: "ok"` body.

        Raises `InvalidKey` (code 100) at once; `NotVisible`, `UserNotFound` or `FlickrApiError`
        for a permanent `stat: "fail"`; `UnexpectedResponse` for an answer the API does not
        give; `FetchFailed` when every attempt failed transiently.
        """
        clash = _RESERVED & params.keys()
        if clash:
            raise ValueError(f"{', '.join(sorted(clash))} is set by the client itself")
        query = {name: str(value) for name, value in params.items()}
        attempts = 0

        def attempt() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            started = time.monotonic()
            try:
                answer = self._attempt(method, query)
            except FlickrError as exc:  # its text is redacted; `query` never holds the key
                log.debug(
                    "%s %s: attempt %d failed after %.2f s: %s",
                    method,
                    urllib.parse.urlencode(query),
                    attempts,
                    time.monotonic() - started,
                    exc,
                )
                raise
            log.debug(
                "%s %s: ok in %.2f s",
                method,
                urllib.parse.urlencode(query),
                time.monotonic() - started,
            )
            return answer

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_transient),
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,  # the last TransientError, not tenacity's RetryError
        )
        try:
            return retrying(attempt)
        except TransientError as exc:
            last = exc
        # Raised outside the handler so that nothing but the (redacted) cause is chained.
        cause = str(last).removeprefix(f"{method}: ")
        raise FetchFailed(method, attempts, cause) from last

    def calls_by_method(self) -> dict[str, int]:
        """HTTP attempts made so far, by API method (retries included)."""
        with self._lock:
            return dict(self._calls)

    # -- the methods the auditor uses -------------------------------------------------------

    def photo_info(self, photo_id: str) -> PhotoStatus:
        """`flickr.photos.getInfo`; `NotVisible` when the photo is deleted or private."""
        return parse.photo_info(self.call(parse.GET_INFO, photo_id=photo_id))

    def public_photos(self, nsid: str, page: int = 1, per_page: int = MAX_PER_PAGE) -> PhotoPage:
        """One page of `flickr.people.getPublicPhotos` (safe-level photos only, without login)."""
        body = self._listing(parse.GET_PUBLIC_PHOTOS, nsid, page, per_page)
        return parse.photo_page(body, parse.GET_PUBLIC_PHOTOS)

    def photos_of(self, nsid: str, page: int = 1, per_page: int = MAX_PER_PAGE) -> PhotosOfPage:
        """One page of `flickr.people.getPhotosOf`: the public photos `nsid` is tagged in,
        whoever took them, with the listing extras (licence, owner, upload time); paged by
        `has_next_page`. `UserNotFound` when the NSID names no user."""
        body = self._listing(parse.GET_PHOTOS_OF, nsid, page, per_page)
        return parse.photos_of_page(body, nsid)

    def search_user_photos(
        self,
        nsid: str,
        page: int = 1,
        *,
        min_upload: int | None = None,
        max_upload: int | None = None,
        sort: str = "date-posted-asc",
        per_page: int = MAX_PER_PAGE,
    ) -> PhotoPage:
        """One page of `flickr.photos.search` over `nsid`'s photos uploaded between
        `min_upload` and `max_upload` (unix seconds, both inclusive). Flickr answers at most
        4,000 results per query: narrow the window when `total` exceeds that."""
        window: dict[str, int] = {}
        if min_upload is not None:
            window["min_upload_date"] = min_upload
        if max_upload is not None:
            window["max_upload_date"] = max_upload
        body = self._listing(parse.SEARCH, nsid, page, per_page, sort=sort, **window)
        return parse.photo_page(body, parse.SEARCH)

    def _listing(
        self, method: str, nsid: str, page: int, per_page: int, **more: str | int
    ) -> dict[str, Any]:
        """One page of a photo list about `nsid`, with the extras the auditor reads."""
        _check_page(page, per_page)
        return self.call(
            method, user_id=nsid, extras=LISTING_EXTRAS, page=page, per_page=per_page, **more
        )

    def licence_history(self, photo_id: str) -> list[LicenceChange]:
        """`flickr.photos.licenses.getLicenseHistory`, oldest first; `NotVisible` as getInfo."""
        return parse.licence_history(self.call(parse.LICENCE_HISTORY, photo_id=photo_id))

    def licences(self) -> list[FlickrLicence]:
        """`flickr.photos.licenses.getInfo`: Flickr's current licence table, by id."""
        return parse.licences(self.call(parse.LICENCES))

    def lookup_user(self, url: str) -> UserMatch:
        """`flickr.urls.lookupUser`: the owner of a profile or photostream URL (the way to
        resolve a path alias); `UserNotFound` when there is none."""
        return parse.user_match(self.call(parse.LOOKUP_USER, url=url), parse.LOOKUP_USER)

    def find_by_username(self, username: str) -> UserMatch:
        """`flickr.people.findByUsername`. A username is not a path alias: resolve URL slugs
        with `lookup_user`."""
        body = self.call(parse.FIND_BY_USERNAME, username=username)
        return parse.user_match(body, parse.FIND_BY_USERNAME)

    def person_info(self, nsid: str) -> Owner:
        """`flickr.people.getInfo`: the user's username and path alias; `UserNotFound` when the
        NSID names no user or a deleted one."""
        return parse.person(self.call(parse.PERSON_INFO, user_id=nsid))

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        logging.getLogger("urllib3.connectionpool").removeFilter(self._log_filter)
        if self._own_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- one attempt -------------------------------------------------------------------------

    def _wait(self, state: tenacity.RetryCallState) -> float:
        delay = float(self._jitter(state))
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay

    def _attempt(self, method: str, query: Mapping[str, str]) -> dict[str, Any]:
        self._limiter.acquire()
        with self._lock:
            self._calls[method] += 1
        failure: FlickrError
        try:
            # The key is only ever in this expression: no local variable (and so no
            # traceback's locals) holds a dict or URL containing it.
            response = self._session.get(
                self.api_url,
                params={
                    "method": method,
                    **query,
                    "format": "json",
                    "nojsoncallback": "1",
                    "api_key": self._key,
                },
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,  # only api_url is ever contacted
                stream=True,  # read within MAX_ANSWER_BYTES, however large the answer
            )
            with response:
                # Read and scrubbed in one step: no local here ever holds the raw body.
                received = self._receive(response)
        except requests.Timeout as exc:
            failure = TransientError(f"{method}: {self._describe(exc)}")
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            failure = TransientError(f"{method}: {self._describe(exc)}")
        except requests.RequestException as exc:
            failure = FlickrError(f"{method}: the request could not be sent: {self._describe(exc)}")
        except _TooLarge:
            failure = UnexpectedResponse(
                method, f"the answer is larger than {MAX_ANSWER_BYTES:,} bytes (not read further)"
            )
        except Exception as exc:
            # An odd answer can trip the HTTP stack's own parsing (a Location that is no URL
            # raises ValueError in requests): that answer is unreadable, which leaves its photo
            # unverified, not the audit crashed.
            detail = f"{type(exc).__name__}: {self._scrub(str(exc))[:200]}"
            failure = UnexpectedResponse(method, f"the answer could not be read ({detail})")
        else:
            return self._answer(method, received)
        # Raised here, after the handler, so the requests exception (whose text and traceback
        # hold the full URL with the key) is neither the cause nor the context.
        raise failure

    def _answer(self, method: str, received: _Received) -> dict[str, Any]:
        status = received.status
        if is_transient_status(status):
            retry_after = _retry_after(received.retry_after)
            if retry_after:
                self._limiter.hold_for(retry_after)  # every thread waits, not only this one
            reason = f" {received.reason}" if received.reason else ""
            raise TransientError(f"{method}: HTTP {status}{reason}", retry_after=retry_after)
        if status != 200:
            detail = f"HTTP {status}"
            if received.location and 300 <= status < 400:
                host = urllib.parse.urlsplit(received.location).hostname or received.location
                detail += f" redirecting to {host} (not followed)"
            raise UnexpectedResponse(method, detail)
        text = received.text
        if text.startswith("jsonFlickrApi(") and text.endswith(")"):
            text = text[len("jsonFlickrApi(") : -1]  # JSONP, should nojsoncallback be ignored
        body = _json_object(text)
        if body is None:
            snippet = " ".join(text[:80].split())
            raise TransientError(
                f"{method}: the answer is not a JSON object "
                f"({received.size} bytes, starting {snippet!r})"
            )
        if "\\" in text:
            # JSON escapes ("\u0061...") can spell the key, or a lone surrogate no file can
            # hold, where the raw text did not: the decoded answer is cleaned again.
            cleaned = self._clean_decoded(body)
            if cleaned is None:
                raise TransientError(f"{method}: the answer is JSON the client cannot re-encode")
            body = cleaned
        stat = body.get("stat")
        if stat == "ok":
            return body
        if stat != "fail":
            raise TransientError(f"{method}: the answer has no stat ok/fail ({str(stat)[:20]!r})")
        code = _code(body.get("code"))
        message = str(body.get("message") or "")
        if code == INVALID_KEY_CODE:
            raise InvalidKey(method, code, message)
        if code in TRANSIENT_CODES or TRANSIENT_MESSAGE in message.lower():
            raise TransientError(f"{method}: Flickr error {code}: {message}", code=code)
        raise _api_error(method, code, message)

    def _receive(self, response: requests.Response) -> _Received:
        """The only reading of `response`: every string in it that the client uses (reason
        phrase, headers, body) passes through `_scrub` here, so no message, stored error or
        report built from an answer can carry the key, whatever the server echoes."""
        content = _read_capped(response, MAX_ANSWER_BYTES)
        return _Received(
            status=response.status_code,
            reason=self._scrub(response.reason or ""),
            retry_after=response.headers.get("Retry-After"),
            location=self._scrub(response.headers.get("Location") or ""),
            text=self._scrub(content.decode("utf-8", errors="replace")).strip(),
            size=len(content),
        )

    def _scrub(self, text: str) -> str:
        """`text` without the key in any form, and without URL query strings (where a key
        would sit, in a form `redact` might not know)."""
        text = redact(text, self._key)
        return _QUERY.sub("?...", text) if "?" in text and "api_key" in text else text

    def _clean_decoded(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """`body` with the key scrubbed from every name and value, and lone surrogates (which
        no UTF-8 file or SQLite text can hold) replaced; None when it cannot be re-encoded."""
        try:
            dumped = json.dumps(body, ensure_ascii=False)
        except (RecursionError, ValueError):
            return None
        cleaned = self._scrub(_LONE_SURROGATE.sub("\ufffd", dumped))
        return body if cleaned == dumped else _json_object(cleaned)

    def _describe(self, exc: requests.RequestException) -> str:
        """The exception in one short line, without the key or the query string."""
        reason: object = exc.args[0] if exc.args else exc
        inner = getattr(reason, "reason", None)  # urllib3's MaxRetryError wraps the real cause
        if isinstance(inner, BaseException):
            reason = inner
        text = _QUERY.sub("?...", self._scrub(str(reason)))  # query strings add only noise
        return f"{type(exc).__name__}: {text[:300]}"


@dataclass(frozen=True)
class _Received:
    """What the client reads of one HTTP answer, already scrubbed of the key."""

    status: int
    reason: str
    retry_after: str | None  # parsed as a number or date only: never shown
    location: str
    text: str
    size: int  # bytes of the body as received


def _api_error(method: str, code: int, message: str) -> FlickrApiError:
    if method in _NOT_VISIBLE_METHODS and code in NOT_VISIBLE_CODES:
        return NotVisible(method, code, message)
    if code in _USER_NOT_FOUND.get(method, frozenset()):
        return UserNotFound(method, code, message)
    return FlickrApiError(method, code, message)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        return None
    return body if isinstance(body, dict) else None


def _code(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1  # a stat:fail without a readable code: permanent, as gallery-dl treats it


class _TooLarge(Exception):
    """An answer longer than the client reads."""


def _read_capped(response: requests.Response, limit: int) -> bytes:
    """The answer's body, decompressed, or `_TooLarge` past `limit` bytes (a gzip bomb
    included: decompression stops there)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delay-seconds or an HTTP date), within
    [0, MAX_RETRY_AFTER]; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _check_page(page: int, per_page: int) -> None:
    if page < 1:
        raise ValueError(f"page must be at least 1, not {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")


def _new_session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (tenacity, with the rate limit); urllib3's own would bypass the bucket.
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _RedactKey(logging.Filter):
    """Hides the key in urllib3's debug line `"GET /services/rest/?...&api_key=..." 200`."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self._key = key

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg, self._key)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(arg, self._key) if isinstance(arg, str) else arg for arg in record.args
            )
        return True

    def __repr__(self) -> str:
        return "_RedactKey()"
