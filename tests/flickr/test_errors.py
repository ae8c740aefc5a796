"""The error policy: which failures are retried, which are findings, which stop the run; and
that the API key never survives into an error's text."""

from __future__ import annotations

import json
import pickle
import re

import pytest
import requests

from auditor.flickr import errors
from auditor.flickr.errors import (
    TRANSIENT_CODES,
    FetchFailed,
    FlickrApiError,
    FlickrError,
    InvalidKey,
    NotVisible,
    TransientError,
    UnexpectedResponse,
    UserNotFound,
    is_transient,
    redact,
)

KEY = "0123456789abcdef0123456789abcdef"


def http_error(status: int | None) -> requests.HTTPError:
    response = None
    if status is not None:
        response = requests.Response()
        response.status_code = status
    return requests.HTTPError(f"HTTP {status}", response=response)


CLASSIFICATION: list[tuple[str, BaseException, bool]] = [
    ("one failed attempt", TransientError("HTTP 503"), True),
    ("429 with Retry-After", TransientError("HTTP 429", retry_after=30.0), True),
    *[
        (f"stat:fail code {code}", FlickrApiError("flickr.photos.search", code, "x"), True)
        for code in sorted(TRANSIENT_CODES)
    ],
    (
        "'not currently available' under any code",
        FlickrApiError(
            "flickr.photos.getInfo", 7, "Sorry, the Flickr API service is not currently available."
        ),
        True,
    ),
    ("photo not found", NotVisible("flickr.photos.getInfo", 1, "Photo not found"), False),
    ("photo is private", NotVisible("flickr.photos.getInfo", 2, "Photo is private"), False),
    ("user not found", UserNotFound("flickr.urls.lookupUser", 1, "User not found"), False),
    ("user deleted", UserNotFound("flickr.people.getPublicPhotos", 5, "User deleted"), False),
    ("method not found", FlickrApiError("flickr.fakeMethod", 112, "Method not found"), False),
    ("SSL required", FlickrApiError("flickr.photos.getInfo", 95, "SSL is required"), False),
    ("invalid key", InvalidKey("flickr.photos.getInfo", 100, "Invalid API Key"), False),
    ("retries exhausted", FetchFailed("flickr.photos.getInfo", 5, "HTTP 503"), False),
    ("unexpected answer", UnexpectedResponse("flickr.photos.getInfo", "HTTP 404"), False),
    ("connection refused", requests.ConnectionError("refused"), True),
    ("connect timeout", requests.ConnectTimeout("slow"), True),
    ("read timeout", requests.ReadTimeout("slow"), True),
    ("truncated body", requests.exceptions.ChunkedEncodingError("cut"), True),
    ("HTTP 429", http_error(429), True),
    ("HTTP 408", http_error(408), True),
    ("HTTP 500", http_error(500), True),
    ("HTTP 503", http_error(503), True),
    ("HTTP 404", http_error(404), False),
    ("HTTP 403", http_error(403), False),
    ("HTTP error without response", http_error(None), False),
    ("invalid JSON", json.JSONDecodeError("Expecting value", "<html>", 0), True),
    ("a programming error", KeyError("photo"), False),
    ("any other ValueError", ValueError("x"), False),
]


@pytest.mark.parametrize(
    ("exc", "transient"),
    [case[1:] for case in CLASSIFICATION],
    ids=[case[0] for case in CLASSIFICATION],
)
def test_classification(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_transient_codes() -> None:
    assert frozenset({0, 10, 105, 106, 201}) == TRANSIENT_CODES


def test_the_module_docstring_states_the_policy() -> None:
    policy = errors.__doc__ or ""
    for code in sorted(TRANSIENT_CODES):
        assert re.search(rf"\b{code}\b", policy), code
    for phrase in (
        "InvalidKey",
        "NotVisible",
        "deleted or private",
        "unverified",
        "never as a pass",
    ):
        assert phrase in " ".join(policy.split()), phrase


def test_hierarchy() -> None:
    assert issubclass(NotVisible, FlickrApiError)
    assert issubclass(UserNotFound, FlickrApiError)
    for cls in (TransientError, FetchFailed, FlickrApiError, InvalidKey, UnexpectedResponse):
        assert issubclass(cls, FlickrError)
    # An invalid key is not a per-photo answer: catching FlickrApiError must not swallow it.
    assert not issubclass(InvalidKey, FlickrApiError)


def test_messages_and_attributes() -> None:
    api = NotVisible("flickr.photos.getInfo", 1, 'Photo "1" not found (invalid ID)')
    assert (api.method, api.code, api.message) == ("flickr.photos.getInfo", 1, api.message)
    assert str(api) == 'flickr.photos.getInfo: Flickr error 1: Photo "1" not found (invalid ID)'
    failed = FetchFailed("flickr.photos.search", 5, "HTTP 503 Service Unavailable")
    assert (failed.method, failed.attempts) == ("flickr.photos.search", 5)
    assert str(failed) == (
        "flickr.photos.search: no answer after 5 attempts; last: HTTP 503 Service Unavailable"
    )
    assert "1 attempt;" in str(FetchFailed("m", 1, "x"))
    key = InvalidKey("flickr.photos.getInfo", 100, "Invalid API Key (Key has expired)")
    assert "rejected the API key" in str(key) and "Key has expired" in str(key)
    transient = TransientError("flickr.photos.getInfo: HTTP 429", retry_after=2.5)
    assert (str(transient), transient.retry_after, transient.code) == (
        "flickr.photos.getInfo: HTTP 429",
        2.5,
        None,
    )
    assert str(UnexpectedResponse("m", "HTTP 404")) == "m: unexpected answer: HTTP 404"


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("x", retry_after=1.0, code=105),
        FetchFailed("m", 3, "x"),
        FlickrApiError("m", 112, "x"),
        NotVisible("m", 1, "x"),
        UserNotFound("m", 1, "x"),
        InvalidKey("m", 100, "x"),
        UnexpectedResponse("m", "x"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_errors_survive_pickling(exc: FlickrError) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc) and str(copy) == str(exc) and vars(copy) == vars(exc)


# -- redaction ------------------------------------------------------------------------------


def test_redact_plain_and_repeated() -> None:
    assert redact(f"api_key={KEY}&x={KEY}", KEY) == "api_key=***&x=***"


def test_redact_url_encoded_forms() -> None:
    key = "ab+c/d=e f"
    text = "a=ab%2Bc%2Fd%3De%20f b=ab%2Bc%2Fd%3De+f c=ab%2bc%2fd%3de%20f d=ab+c/d=e f"
    assert redact(text, key) == "a=*** b=*** c=*** d=***"


def test_redact_a_prepared_request_url() -> None:
    url = (
        requests.Request(
            "GET", "https://api.flickr.com/services/rest/", params={"api_key": "k&y=1 2"}
        )
        .prepare()
        .url
    )
    assert url is not None and "k&y=1 2" not in url
    assert redact(url, "k&y=1 2") == "https://api.flickr.com/services/rest/?api_key=***"


@pytest.mark.parametrize(
    "spelled",
    [
        KEY.upper(),  # a host name the tool lower-cases would read as the key again
        "".join(f"%{ord(c):02x}" for c in KEY),
        "".join(f"%{ord(c):02X}" for c in KEY),
        "".join(f"&#{ord(c)};" for c in KEY),  # a title the tool HTML-unescapes
        "".join(f"&#x{ord(c):x};" for c in KEY),
        "".join(f"\\u{ord(c):04x}" for c in KEY),  # JSON escapes
        KEY[:5] + "".join(f"%{ord(c):02x}" for c in KEY[5:9]) + KEY[9:],  # mixed
    ],
)
def test_redact_every_spelling_of_the_key(spelled: str) -> None:
    assert redact(f"<{spelled}>", KEY) == "<***>"


def test_redact_nothing_to_hide() -> None:
    assert redact("text", "") == "text"
    assert redact("text", KEY) == "text"
