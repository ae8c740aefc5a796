"""What can go wrong talking to Flickr, and what each failure means for an audit.

The error policy:

* **Transient** (worth retrying): HTTP 429 and 408, any HTTP 5xx, connection failures and
  timeouts, a body that is not JSON (Flickr's 429 page is HTML; truncated answers happen), and the
  `stat: "fail"` codes in `TRANSIENT_CODES` -- 105 "Service currently unavailable", 106 "Write
  operation failed", 10 "search API not currently available", and the undocumented 201 and 0
  ("not currently available"; matched on that message text too, as Flickr has used both codes).
  One failed attempt is a `TransientError`. The client retries it with exponential backoff and
  jitter, honouring `Retry-After`, for a bounded number of attempts; when they are used up it
  raises `FetchFailed`, whose message names the last cause.
* **Permanent** (never retried): every other `stat: "fail"` answer is a `FlickrApiError`. Codes
  below 95 mean different things per method, so two are given their own classes:
  `NotVisible` for codes 1 and 2 of `flickr.photos.getInfo` and `getLicenseHistory` -- the photo
  is not public: deleted or private, which an API key alone cannot tell apart (Flickr answered
  "Photo is private" with code 2 in 2024 and "not found" with code 1 for the same photo in
  2025) -- and `UserNotFound` for an unknown or deleted user (code 1 of the people and urls
  methods, 5 "User deleted", and codes 2/5 of `flickr.photos.search`). An HTTP status Flickr
  does not use for the API (a redirect, 404, ...) or a JSON body without the expected fields is
  an `UnexpectedResponse`.
* **Stop the run**: code 100 "Invalid API Key" (wrong, expired or switched off by Flickr) is an
  `InvalidKey`; it is raised at once, without retrying, and the caller must stop asking: every
  further call would fail the same way and keep spending a key Flickr may be watching.

A photo whose status still cannot be established (`FetchFailed`, `UnexpectedResponse`, any
`FlickrApiError` other than `NotVisible`) is stored with status "error" and reported as the
`unverified` finding -- never as a pass. `NotVisible` is a result, not a failure: the photo is
reported as not public.

No message, `repr` or chained cause of these errors contains the API key: the client builds them
from text passed through `redact`, and drops the `requests` exceptions that embed the full URL.
"""

from __future__ import annotations

import functools
import json
import re

import requests

# stat:fail codes that say "try again later" rather than "no".
TRANSIENT_CODES = frozenset({0, 10, 105, 106, 201})
TRANSIENT_MESSAGE = "not currently available"  # how Flickr words codes 0, 10 and 201

INVALID_KEY_CODE = 100
NOT_VISIBLE_CODES = frozenset({1, 2})
REDACTED = "***"


class FlickrError(Exception):
    """Base of everything the Flickr client raises. `str()` never contains the API key."""


class TransientError(FlickrError):
    """One failed attempt that may succeed if repeated (see the module docstring).

    `retry_after` is the server's `Retry-After` in seconds, when it sent one; `code` is the
    Flickr error code when the failure was a transient `stat: "fail"` answer.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, code: int | None = None
    ) -> None:
        super().__init__(message, retry_after, code)
        self.retry_after = retry_after
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0])


class FetchFailed(FlickrError):
    """`method` still failed after `attempts` attempts; the message says the last cause."""

    def __init__(self, method: str, attempts: int, last_cause: str) -> None:
        super().__init__(method, attempts, last_cause)
        self.method = method
        self.attempts = attempts
        self.last_cause = last_cause

    def __str__(self) -> str:
        tries = "attempt" if self.attempts == 1 else "attempts"
        return f"{self.method}: no answer after {self.attempts} {tries}; last: {self.last_cause}"


class UnexpectedResponse(FlickrError):
    """An answer that is not what the Flickr API gives (an HTTP status it does not use for
    errors, or a JSON body missing the fields the method returns). Not retried: asking again
    would most likely get the same answer."""

    def __init__(self, method: str, detail: str) -> None:
        super().__init__(method, detail)
        self.method = method
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.method}: unexpected answer: {self.detail}"


class FlickrApiError(FlickrError):
    """A permanent `stat: "fail"` answer: Flickr's `code` and `message` for `method`."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(method, code, message)
        self.method = method
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.method}: Flickr error {self.code}: {self.message}"


class NotVisible(FlickrApiError):
    """The photo is not public: deleted or private (codes 1 and 2 of getInfo and
    getLicenseHistory). An API key alone cannot tell which."""


class UserNotFound(FlickrApiError):
    """No such user, or a deleted one (people/urls methods code 1, code 5 "User deleted")."""


class InvalidKey(FlickrError):
    """Code 100: Flickr rejected the API key. The caller must stop the run at once."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(method, code, message)
        self.method = method
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return (
            f"{self.method}: Flickr rejected the API key (code {self.code}: {self.message}); "
            "check the key and try again"
        )


def is_transient(exc: BaseException) -> bool:
    """Whether a failed attempt ending in `exc` is worth repeating."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, FlickrApiError):
        return exc.code in TRANSIENT_CODES or TRANSIENT_MESSAGE in exc.message.lower()
    if isinstance(exc, FlickrError):
        return False  # InvalidKey, FetchFailed (already retried), UnexpectedResponse
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return status is not None and is_transient_status(status)
    if isinstance(
        exc,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    ):
        return True
    return isinstance(exc, json.JSONDecodeError)


def is_transient_status(status: int) -> bool:
    """HTTP statuses that mean "later": too many requests, request timeout, server trouble."""
    return status in (408, 429) or 500 <= status <= 599


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced by "***": in any case, and with any
    of its characters written as a percent-escape (`%41`), an HTML character reference
    (`&#65;`, `&#x41;`) or a JSON escape (`\\u0041`), as a hostile server could echo it, and as
    the tool itself could later turn such text back into the key (a host name lower-cased, a
    title HTML-unescaped)."""
    if not secret:
        return text
    return _secret_pattern(secret).sub(REDACTED, text)


@functools.lru_cache(maxsize=4)
def _secret_pattern(secret: str) -> re.Pattern[str]:
    def forms(char: str) -> str:
        alternatives = {re.escape(char.lower()), re.escape(char.upper())}
        for code in {ord(char.lower()), ord(char.upper())}:
            alternatives |= {
                f"%{code:02x}",  # percent-escape (IGNORECASE takes %4A and %4a)
                f"&#0*{code};",
                f"&#x0*{code:x};",
                f"\\\\u{code:04x}",
            }
            if char == " ":
                alternatives.add(r"\+")  # form encoding
        return "(?:" + "|".join(sorted(alternatives)) + ")"

    return re.compile("".join(forms(char) for char in secret), re.IGNORECASE)
