"""FlickrClient over real HTTP against the Flickr stand-in on 127.0.0.1: every method, retries
through every transient fault, Retry-After, timeouts, bounded attempts, an invalid key stopping
at once, not-visible photos, attempt counting, and the API key never showing in an error."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from flickr_standin import TRANSIENT_KINDS, VALID_KEY, Faults, FlickrStandIn, Owner, Photo, World

import auditor
from auditor.flickr import (
    LISTING_EXTRAS,
    FetchFailed,
    FlickrApiError,
    FlickrClient,
    FlickrError,
    InvalidKey,
    NotVisible,
    TokenBucket,
    TransientError,
    UnexpectedResponse,
    UserNotFound,
)
from auditor.flickr.client import MAX_ANSWER_BYTES
from auditor.flickr.parse import Owner as ParsedOwner

Standin = Callable[..., FlickrStandIn]
GET_INFO = "flickr.photos.getInfo"
T0 = 1_400_000_000

ALICE = Owner("1001@N01", "alice", alias="alice-photos")
BOB = Owner("2000@N02", "bob")  # no alias; an even NSID: the stand-in sends path_alias null
CAROL = Owner("3001@N03", "carol")  # no alias; odd: path_alias ""


def make_world() -> World:
    world = World()
    for owner in (ALICE, BOB, CAROL):
        world.add_owner(owner)
    world.add_photo(Photo("101", ALICE.nsid, 4, T0, tags=["Sea Side", "no_cv"], title="Shore"))
    world.add_photo(Photo("102", ALICE.nsid, 4, T0 + 10, public=False))  # private: code 2
    world.add_photo(Photo("103", ALICE.nsid, 4, T0 + 20, public=False))  # private: code 1
    world.add_photo(Photo("105", ALICE.nsid, 4, T0 + 30, deleted=True))
    world.add_photo(Photo("107", ALICE.nsid, 5, T0 + 40, safety_level=2))  # never listed
    world.add_photo(Photo("111", ALICE.nsid, 2, T0 + 50, history=[(T0 + 5000, 4, 2)]))
    world.add_photo(Photo("201", BOB.nsid, 11, T0 + 60))
    world.add_photo(Photo("301", CAROL.nsid, 0, T0 + 70))
    for i in range(12):
        world.add_photo(Photo(str(500 + i), CAROL.nsid, 4, T0 + 1000 + 100 * i))
    return world


class Sleeps:
    """An injected `sleep` that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)


class CountingBucket(TokenBucket):
    def __init__(self, per_hour: float, **kwargs: Any) -> None:
        super().__init__(per_hour, **kwargs)
        self.acquired = 0

    def acquire(self) -> float:
        self.acquired += 1
        return super().acquire()


def client_for(standin: FlickrStandIn, key: str = VALID_KEY, **kwargs: Any) -> FlickrClient:
    options: dict[str, Any] = {
        "limiter": TokenBucket(3_600_000),
        "backoff": (0.001, 0.01),
        "sleep": Sleeps(),
    }
    options.update(kwargs)
    return FlickrClient(key, api_url=standin.url, **options)


@pytest.fixture
def standin(flickr_standin: Standin) -> FlickrStandIn:
    return flickr_standin(make_world())


@pytest.fixture
def client(standin: FlickrStandIn) -> Iterator[FlickrClient]:
    with client_for(standin) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__]
    return seen


def assert_key_absent(exc: BaseException, key: str = VALID_KEY) -> None:
    """Not in the message, the repr, any chained exception, the printed traceback, nor the
    locals a traceback with `capture_locals` (pytest --showlocals, error trackers) would show."""
    for item in chain(exc):
        assert key not in str(item), item
        assert key not in repr(item), item
        assert key not in repr(item.args), item
    assert key not in "".join(traceback.format_exception(exc))
    for item in chain(exc):
        shown = traceback.TracebackException.from_exception(item, capture_locals=True)
        for frame in shown.stack:
            if frame.filename != __file__:  # the test itself holds the key, of course
                assert key not in repr(frame.locals), (frame.filename, frame.lineno)


# -- each method ---------------------------------------------------------------------------------


def test_photo_info(client: FlickrClient, standin: FlickrStandIn) -> None:
    status = client.photo_info("101")
    assert status.photo_id == "101"
    assert status.owner == ParsedOwner(ALICE.nsid, "alice", "alice-photos")
    assert status.licence_id == 4
    assert status.public is True
    assert status.tags == ("seaside", "nocv")  # Flickr's normalised forms
    assert status.uploaded_at == T0
    assert status.title == "Shore"
    assert status.method == GET_INFO
    assert status.raw["id"] == "101"
    (request,) = standin.requests
    assert request == {
        "method": GET_INFO,
        "photo_id": "101",
        "format": "json",
        "nojsoncallback": "1",
    }


def test_owner_without_alias(client: FlickrClient) -> None:
    assert client.photo_info("201").owner == ParsedOwner(BOB.nsid, "bob", None)  # null
    assert client.photo_info("301").owner == ParsedOwner(CAROL.nsid, "carol", None)  # ""


@pytest.mark.parametrize(
    ("photo_id", "code"),
    [("102", 2), ("103", 1), ("105", 1), ("999", 1)],
    ids=["private, code 2", "private, code 1", "deleted", "never existed"],
)
def test_not_visible(
    client: FlickrClient, standin: FlickrStandIn, photo_id: str, code: int
) -> None:
    with pytest.raises(NotVisible) as caught:
        client.photo_info(photo_id)
    assert (caught.value.method, caught.value.code) == (GET_INFO, code)
    assert standin.calls()[GET_INFO] == 1  # a finding, not a fault: never retried
    assert_key_absent(caught.value)


def test_public_photos(client: FlickrClient, standin: FlickrStandIn) -> None:
    page = client.public_photos(ALICE.nsid, per_page=2)
    # Public safe photos only: 101 and 111 (private, deleted and restricted are left out).
    assert (page.page, page.pages, page.per_page, page.total) == (1, 1, 2, 2)
    assert {p.photo_id for p in page.photos} == {"101", "111"}
    first = next(p for p in page.photos if p.photo_id == "101")
    assert first.owner == ParsedOwner(ALICE.nsid, "alice", "alice-photos")
    assert first.tags == ("seaside", "nocv")
    assert first.licence_id == 4
    assert first.uploaded_at == T0
    assert first.last_update == T0
    assert first.method == "flickr.people.getPublicPhotos"
    request = standin.requests[-1]
    assert request["extras"] == LISTING_EXTRAS
    assert (request["user_id"], request["page"], request["per_page"]) == (ALICE.nsid, "1", "2")


def test_public_photos_pages_and_unknown_user(client: FlickrClient) -> None:
    page = client.public_photos(CAROL.nsid, page=3, per_page=5)
    assert (page.page, page.pages, page.total, len(page.photos)) == (3, 3, 13, 3)
    with pytest.raises(UserNotFound) as caught:
        client.public_photos("9999@N09")
    assert caught.value.code == 1


def test_search_user_photos_window(client: FlickrClient, standin: FlickrStandIn) -> None:
    page = client.search_user_photos(
        CAROL.nsid, min_upload=T0 + 1100, max_upload=T0 + 1400, per_page=500
    )
    assert [p.photo_id for p in page.photos] == ["501", "502", "503", "504"]  # oldest first
    assert page.total == 4
    assert all(p.method == "flickr.photos.search" for p in page.photos)
    request = standin.requests[-1]
    assert request["sort"] == "date-posted-asc"
    assert request["extras"] == LISTING_EXTRAS
    assert (request["min_upload_date"], request["max_upload_date"]) == (
        str(T0 + 1100),
        str(T0 + 1400),
    )
    client.search_user_photos(CAROL.nsid, 2, sort="date-posted-desc", per_page=3)
    assert "min_upload_date" not in standin.requests[-1]
    assert standin.requests[-1]["page"] == "2"


def test_search_unknown_user(client: FlickrClient) -> None:
    with pytest.raises(UserNotFound) as caught:
        client.search_user_photos("9999@N09")
    assert caught.value.code == 2  # search's "Unknown user"


def test_licence_history(client: FlickrClient) -> None:
    (change,) = client.licence_history("111")
    assert change.changed_at == T0 + 5000
    assert (change.old_name, change.new_name) == (
        "Attribution License",
        "Attribution-NonCommercial License",
    )
    (never,) = client.licence_history("201")  # one never-changed entry, as a single object
    assert (never.changed_at, never.new_name) == (T0 + 60, "")
    with pytest.raises(NotVisible):
        client.licence_history("102")


def test_licences(client: FlickrClient) -> None:
    table = client.licences()
    assert [licence.id for licence in table] == list(range(17))
    assert table[0].name == "All Rights Reserved"


def test_lookup_user_and_find_by_username(client: FlickrClient) -> None:
    match = client.lookup_user("https://www.flickr.com/photos/alice-photos/")
    assert (match.nsid, match.username) == (ALICE.nsid, "alice")
    assert client.find_by_username("bob").nsid == BOB.nsid
    with pytest.raises(UserNotFound):
        client.lookup_user("https://www.flickr.com/photos/nobody-here/")
    with pytest.raises(UserNotFound):
        client.find_by_username("nobody")


def test_unknown_method_is_a_permanent_api_error(
    client: FlickrClient, standin: FlickrStandIn
) -> None:
    with pytest.raises(FlickrApiError) as caught:
        client.call("flickr.fakeMethod")
    assert type(caught.value) is FlickrApiError and caught.value.code == 112
    assert standin.calls()["flickr.fakeMethod"] == 1


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TRANSIENT_KINDS)
def test_retries_through_every_transient_fault(flickr_standin: Standin, kind: str) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=[kind, kind], retry_after=0))
    sleeps = Sleeps()
    limiter = CountingBucket(3_600_000)
    with client_for(standin, sleep=sleeps, limiter=limiter) as client:
        assert client.photo_info("101").photo_id == "101"
        assert client.calls_by_method() == {GET_INFO: 3}
    assert standin.calls()[GET_INFO] == 3
    assert limiter.acquired == 3  # every attempt spends a token
    assert len(sleeps.calls) == 2
    assert all(0 <= s <= 0.01 for s in sleeps.calls)  # backoff within (multiplier, max)


def test_attempts_are_bounded(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(rate=1.0, kinds=("http503",)))
    with client_for(standin, max_attempts=3) as client:
        with pytest.raises(FetchFailed) as caught:
            client.photo_info("101")
        assert client.calls_by_method() == {GET_INFO: 3}
    failed = caught.value
    assert (failed.method, failed.attempts) == (GET_INFO, 3)
    assert str(failed) == (
        "flickr.photos.getInfo: no answer after 3 attempts; last: HTTP 503 Service Unavailable"
    )
    assert isinstance(failed.__cause__, TransientError)
    assert standin.calls()[GET_INFO] == 3
    assert_key_absent(failed)


def test_retry_after_is_honoured_by_the_wait_and_the_bucket(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["html429"], retry_after=7))
    now = [100.0]
    bucket_sleeps: list[float] = []

    def bucket_sleep(seconds: float) -> None:
        bucket_sleeps.append(seconds)
        now[0] += seconds

    limiter = TokenBucket(3_600_000, clock=lambda: now[0], sleep=bucket_sleep)
    sleeps = Sleeps()
    with client_for(standin, limiter=limiter, sleep=sleeps) as client:
        client.photo_info("101")
    assert sleeps.calls == [7.0]  # the backoff (at most 0.01 s) gives way to Retry-After
    assert sum(bucket_sleeps) == pytest.approx(7.0)  # and every thread's next start waits too
    assert standin.calls()[GET_INFO] == 2


def test_retry_after_measured(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["html429"], retry_after=1))
    with client_for(standin, sleep=time.sleep) as client:
        began = time.monotonic()
        client.photo_info("101")
        assert time.monotonic() - began >= 1.0


def test_read_timeout_is_retried(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["slow"], slow_seconds=2.0))
    with client_for(standin, timeout=(1.0, 0.5)) as client:
        assert client.photo_info("101").photo_id == "101"
    assert standin.calls()[GET_INFO] == 2


def test_read_timeout_exhausted_hides_the_key(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["slow"], slow_seconds=2.0))
    client = client_for(standin, timeout=(1.0, 0.5), max_attempts=1)
    with client, pytest.raises(FetchFailed) as caught:
        client.photo_info("101")
    assert caught.value.attempts == 1
    assert "ReadTimeout" in str(caught.value) or "timed out" in str(caught.value)
    assert_key_absent(caught.value)


@pytest.mark.parametrize("kind", ["http500", "truncated", "code105"])
def test_exhausted_faults_hide_the_key(flickr_standin: Standin, kind: str) -> None:
    standin = flickr_standin(make_world(), faults=Faults(rate=1.0, kinds=(kind,)))
    with client_for(standin, max_attempts=2) as client, pytest.raises(FetchFailed) as caught:
        client.photo_info("101")
    assert_key_absent(caught.value)


def test_connection_refused_hides_the_key() -> None:
    key = "refused-secret-key-31415926535"
    url = f"http://127.0.0.1:{free_port()}/services/rest/"
    sleeps = Sleeps()
    with FlickrClient(
        key, api_url=url, limiter=TokenBucket(3_600_000), max_attempts=2, sleep=sleeps
    ) as client:
        with pytest.raises(FetchFailed) as caught:
            client.photo_info("101")
        assert client.calls_by_method() == {GET_INFO: 2}
    assert "ConnectionError" in str(caught.value)
    assert "api_key" not in str(caught.value)  # the query string is left out altogether
    assert len(sleeps.calls) == 1
    assert_key_absent(caught.value, key)


def test_invalid_key_stops_at_once(flickr_standin: Standin) -> None:
    key = "not-the-right-key-2718281828"
    standin = flickr_standin(make_world())
    with client_for(standin, key=key) as client, pytest.raises(InvalidKey) as caught:
        client.photo_info("101")
    assert caught.value.code == 100
    assert standin.calls()[GET_INFO] == 1
    assert not isinstance(caught.value, FlickrApiError)
    assert_key_absent(caught.value, key)


def test_code_100_mid_run_is_not_retried(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["code100"]))
    with client_for(standin) as client:
        with pytest.raises(InvalidKey):
            client.licences()
        assert client.calls_by_method() == {"flickr.photos.licenses.getInfo": 1}


def test_wrong_path_is_an_unexpected_answer(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world())
    with (
        FlickrClient(
            VALID_KEY, api_url=standin.url.replace("/rest/", "/nothing/"), sleep=Sleeps()
        ) as client,
        pytest.raises(UnexpectedResponse, match="HTTP 404"),
    ):
        client.licences()
    assert client.calls_by_method() == {"flickr.photos.licenses.getInfo": 1}  # not retried


# -- counting and threads -----------------------------------------------------------------------


def test_calls_by_method_counts_attempts_per_method(flickr_standin: Standin) -> None:
    standin = flickr_standin(
        make_world(),
        faults=Faults(script=["http500"], methods=frozenset({"flickr.urls.lookupUser"})),
    )
    with client_for(standin) as client:
        client.photo_info("101")
        client.photo_info("201")
        client.licences()
        client.lookup_user("https://www.flickr.com/photos/alice-photos/")
        assert client.calls_by_method() == {
            GET_INFO: 2,
            "flickr.photos.licenses.getInfo": 1,
            "flickr.urls.lookupUser": 2,
        }
    assert dict(standin.calls()) == client.calls_by_method()


def test_shared_by_threads(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(rate=0.3, seed=11, retry_after=0))
    ids = [str(500 + i) for i in range(12)] * 4
    with client_for(standin, max_attempts=20) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(client.photo_info, ids))
        counted = client.calls_by_method()
    assert [s.photo_id for s in statuses] == ids
    assert counted == {GET_INFO: standin.calls()[GET_INFO]}
    assert counted[GET_INFO] > len(ids)  # faults were met and retried


# -- what is sent, and to whom ------------------------------------------------------------------


def test_user_agent_and_shared_session(standin: FlickrStandIn) -> None:
    session = requests.Session()
    agents: list[str] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        agents.append(str(response.request.headers.get("User-Agent")))

    session.hooks["response"].append(record)
    with client_for(standin, session=session) as client:
        client.photo_info("101")
    assert agents == [
        (
            f"flickr-licence-auditor/{auditor.__version__} "
            "(licence-compliance audit of image datasets)"
        )
    ]
    assert session.adapters  # a session passed in is left open for its owner
    session.close()


class _Canned(BaseHTTPRequestHandler):
    """Answers each request with the next canned (status, headers, body)."""

    server: _CannedServer

    def do_GET(self) -> None:
        status, headers, body = self.server.answers.pop(0)
        self.server.paths.append(self.path)
        # A "X-Reason: echo" header asks for a reason phrase echoing the request line.
        reason = f"Busy {self.path}" if headers.get("X-Reason") == "echo" else None
        self.send_response(status, reason)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _CannedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), _Canned)
        self.answers = answers
        self.paths: list[str] = []


@pytest.fixture
def canned() -> Iterator[Callable[[list[tuple[int, dict[str, str], bytes]]], _CannedServer]]:
    servers: list[_CannedServer] = []

    def start(answers: list[tuple[int, dict[str, str], bytes]]) -> _CannedServer:
        server = _CannedServer(answers)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def url_of(server: _CannedServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/services/rest/"


OK_LICENCES = json.dumps(
    {"licenses": {"license": [{"id": 0, "name": "All Rights Reserved", "url": ""}]}, "stat": "ok"}
).encode()


def test_redirects_are_not_followed(canned: Callable[..., _CannedServer]) -> None:
    # 127.0.0.2 is outside pytest-socket's allowed hosts: following would fail loudly too.
    server = canned([(302, {"Location": "http://127.0.0.2:9/services/rest/"}, b"")])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps())
    with client, pytest.raises(UnexpectedResponse) as caught:
        client.licences()
    assert "HTTP 302 redirecting to 127.0.0.2 (not followed)" in str(caught.value)
    assert len(server.paths) == 1


def test_retry_after_as_an_http_date(canned: Callable[..., _CannedServer]) -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    server = canned([(503, {"Retry-After": when}, b"busy"), (200, {}, OK_LICENCES)])
    sleeps = Sleeps()
    now = [0.0]

    def advance(seconds: float) -> None:
        now[0] += seconds

    limiter = TokenBucket(3_600_000, clock=lambda: now[0], sleep=advance)
    with FlickrClient(VALID_KEY, api_url=url_of(server), limiter=limiter, sleep=sleeps) as client:
        assert [licence.id for licence in client.licences()] == [0]
    (waited,) = sleeps.calls
    assert 25 <= waited <= 31


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'{"photos": {}}', "no stat ok/fail"),
        (b"<html>busy</html>", "starting '<html>busy</html>'"),
    ],
)
def test_odd_bodies_are_transient(
    canned: Callable[..., _CannedServer], body: bytes, message: str
) -> None:
    server = canned([(200, {}, body), (200, {}, body)])
    with (
        FlickrClient(VALID_KEY, api_url=url_of(server), max_attempts=2, sleep=Sleeps()) as client,
        pytest.raises(FetchFailed, match="after 2 attempts") as caught,
    ):
        client.licences()
    assert message in str(caught.value)


def test_an_answer_echoing_the_key_is_redacted(canned: Callable[..., _CannedServer]) -> None:
    echo = {"stat": "fail", "code": 99, "message": f"Insufficient permissions for {VALID_KEY}"}
    server = canned([(200, {}, json.dumps(echo).encode())])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps())
    with client, pytest.raises(FlickrApiError) as caught:
        client.licences()
    assert caught.value.message == "Insufficient permissions for ***"
    assert_key_absent(caught.value)
    assert f"api_key={VALID_KEY}" in server.paths[0]  # sent, as Flickr needs it


def test_a_reason_phrase_echoing_the_key_is_redacted(
    canned: Callable[..., _CannedServer], caplog: pytest.LogCaptureFixture
) -> None:
    echo = (503, {"X-Reason": "echo"}, b"busy")
    server = canned([echo, echo])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), max_attempts=2, sleep=Sleeps())
    with caplog.at_level(logging.DEBUG), client, pytest.raises(FetchFailed) as caught:
        client.licences()
    assert "HTTP 503 Busy /services/rest/?..." in str(caught.value)
    assert_key_absent(caught.value)
    assert VALID_KEY not in caplog.text


def test_a_key_spelled_in_json_escapes_is_redacted(canned: Callable[..., _CannedServer]) -> None:
    # Redacting the raw text is not enough: "\u0073tandin..." decodes to the key.
    spelled = "".join(f"\\u{ord(char):04x}" for char in VALID_KEY)
    licence = '{"id": 0, "name": "' + spelled + '", "url": ""}'
    body = '{"stat": "ok", "licenses": {"license": [' + licence + "]}}"
    server = canned([(200, {}, body.encode())])
    with FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps()) as client:
        (licence,) = client.licences()
    assert licence.name == "***"


def test_a_key_spelled_in_a_member_name_is_redacted(canned: Callable[..., _CannedServer]) -> None:
    spelled = "".join(f"\\u{ord(char):04x}" for char in VALID_KEY)
    body = '{"stat": "fail", "code": 112, "message": {"' + spelled + '": 1}}'
    server = canned([(200, {}, body.encode())])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps())
    with client, pytest.raises(FlickrApiError) as caught:
        client.licences()
    assert "***" in caught.value.message
    assert_key_absent(caught.value)


def test_a_redirect_to_the_key_in_capitals_is_redacted(
    canned: Callable[..., _CannedServer],
) -> None:
    server = canned([(302, {"Location": f"http://{VALID_KEY.upper()}.example.net/"}, b"")])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps())
    with client, pytest.raises(UnexpectedResponse) as caught:
        client.licences()
    assert_key_absent(caught.value)
    assert VALID_KEY.upper() not in str(caught.value)


def test_lone_surrogates_become_replacement_characters(
    canned: Callable[..., _CannedServer],
) -> None:
    body = b'{"stat": "ok", "licenses": {"license": [{"id": 0, "name": "a\\ud800b", "url": ""}]}}'
    server = canned([(200, {}, body)])
    with FlickrClient(VALID_KEY, api_url=url_of(server), sleep=Sleeps()) as client:
        (licence,) = client.licences()
    assert licence.name == "a\ufffdb"
    licence.name.encode("utf-8")  # storable: no lone surrogate left


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        ((200, {}, b"[" * 100_000 + b"]" * 100_000), FetchFailed, "not a JSON object"),
        ((302, {"Location": "http://[::1/x"}, b""), UnexpectedResponse, "could not be read"),
        ((200, {}, b" " * (MAX_ANSWER_BYTES + 1)), UnexpectedResponse, "larger than"),
    ],
)
def test_answers_the_client_cannot_read_are_errors_not_crashes(
    canned: Callable[..., _CannedServer],
    answer: tuple[int, dict[str, str], bytes],
    error: type[Exception],
    message: str,
) -> None:
    server = canned([answer, answer])
    client = FlickrClient(VALID_KEY, api_url=url_of(server), max_attempts=2, sleep=Sleeps())
    with client, pytest.raises(error, match=message) as caught:
        client.licences()
    assert_key_absent(caught.value)


def test_debug_log_of_urllib3_is_redacted(
    client: FlickrClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        client.photo_info("101")
    assert "api_key=***" in caplog.text
    assert VALID_KEY not in caplog.text


def test_close_removes_the_log_filter(standin: FlickrStandIn) -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    before = list(logger.filters)
    client = client_for(standin)
    assert len(logger.filters) == len(before) + 1
    client.close()
    assert logger.filters == before


def test_repr_hides_the_key(client: FlickrClient) -> None:
    assert VALID_KEY not in repr(client)
    assert repr(client) == f"FlickrClient(api_url={client.api_url!r})"


# -- arguments ----------------------------------------------------------------------------------


def test_bad_arguments(standin: FlickrStandIn, client: FlickrClient) -> None:
    with pytest.raises(ValueError, match="empty"):
        FlickrClient("  ", api_url=standin.url)
    with pytest.raises(ValueError, match="http"):
        FlickrClient(VALID_KEY, api_url="ftp://example.org/")
    with pytest.raises(ValueError, match="max_attempts"):
        FlickrClient(VALID_KEY, api_url=standin.url, max_attempts=0)
    insecure = requests.Session()
    insecure.verify = False
    with pytest.raises(ValueError, match="TLS"):
        FlickrClient(VALID_KEY, api_url=standin.url, session=insecure)
    insecure.close()
    with pytest.raises(ValueError, match="per_page"):
        client.public_photos(ALICE.nsid, per_page=501)
    with pytest.raises(ValueError, match="page"):
        client.search_user_photos(ALICE.nsid, page=0)
    with pytest.raises(ValueError, match="api_key"):
        client.call(GET_INFO, api_key="other")
    assert client.calls_by_method() == {}


def test_errors_are_flickr_errors() -> None:
    for cls in (FetchFailed, InvalidKey, NotVisible, UserNotFound, UnexpectedResponse):
        assert issubclass(cls, FlickrError)
