"""Who a photographer is on Flickr, from what they type: an NSID, a path alias, a username, or a
profile / photostream URL.

Path aliases (the custom part of `flickr.com/photos/<alias>/`) and usernames (screen names) are
different namespaces: `britishlibrary` is one account's alias and another account's username.
A URL slug is resolved with `flickr.urls.lookupUser`, never `flickr.people.findByUsername`; a
bare word is tried as both, and when both match different accounts both are reported, so the
photographer can see which one is theirs. Offline there is no resolution: the word is matched
against the manifests' own owner fields.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from auditor.errors import AuditorError
from auditor.flickr.errors import FlickrError, UserNotFound
from auditor.flickr.parse import FIND_BY_USERNAME, LOOKUP_USER, PERSON_INFO, Owner, UserMatch
from auditor.manifests.flickr_ids import is_nsid, parse_owner
from auditor.state import StateStore, iso, now_utc

# A path alias is letters, digits, "_" and "-"; a username may hold almost anything (commas,
# apostrophes, colons, ampersands, spaces, letters of any script), so only control characters
# and absurd lengths are refused.
_ALIAS_RE = re.compile(r"[A-Za-z0-9_-]+")
_MAX_WORD = 200


class UserApi(Protocol):
    """What resolution needs from a Flickr client (`auditor.flickr.FlickrClient`)."""

    def lookup_user(self, url: str) -> UserMatch: ...
    def find_by_username(self, username: str) -> UserMatch: ...
    def person_info(self, nsid: str) -> Owner: ...


@dataclass(frozen=True)
class OwnerIdentity:
    """A Flickr account as far as it is known, and how WHO led to it."""

    nsid: str | None
    username: str | None
    path_alias: str | None
    resolved_by: str  # e.g. "path alias (flickr.urls.lookupUser)"
    realname: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "nsid": self.nsid,
            "username": self.username,
            "path_alias": self.path_alias,
            "realname": self.realname,
            "resolved_by": self.resolved_by,
        }


class OwnerLookupFailed(AuditorError):
    """Flickr could not be asked who WHO is (no answer after retries, an answer the API does not
    give, an error code other than "no such user"): nothing was found, so nothing can be written;
    the answers already kept in the state are reused by the next run."""


def lookup_failed(who: str, exc: FlickrError) -> OwnerLookupFailed:
    """The one line a user reads when looking WHO up on Flickr failed (not a bug, not bad input):
    what failed, and what to do."""
    return OwnerLookupFailed(
        f"{who!r}: could not be looked up on Flickr ({exc}); nothing was written. Try again "
        "later (with the same --state, answers already received are reused), give the NSID, "
        "or match the manifests' owner fields with --offline"
    )


class OwnerNotFound(AuditorError):
    """WHO names no Flickr account (or a deleted one)."""


@dataclass(frozen=True)
class Who:
    """WHO as typed, classified: `kind` is "nsid", "alias" (from a URL) or "word"."""

    text: str
    kind: str
    value: str


def _control(char: str) -> bool:
    # Control characters, line breaks and lone surrogates; private-use and format characters
    # appear in real usernames ("Steve\uf8ffRich", emoji joined by U+200D).
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs")


def parse_who(who: str) -> Who:
    """Classify WHO; raise `AuditorError` when it cannot name a Flickr user at all."""
    text = who.strip()
    if is_nsid(text.upper()):
        return Who(who, "nsid", text.upper())
    lowered = text.lower()
    # A URL has a scheme or names Flickr's host; a "/" or a "www." alone does not make one
    # (real usernames: "Michel Thomas / Craipeau", "www.ownwayphotography.com").
    if lowered.startswith(("http:", "https:", "flickr.com", "www.flickr.com", "m.flickr.com")) or (
        "flickr.com/" in lowered
    ):
        owner, kind = parse_owner(text)
        if owner is None:
            raise AuditorError(
                f"{who!r} is not a Flickr profile or photostream URL; give an NSID "
                "(12345678@N01), a path alias, a username or a URL like "
                "https://www.flickr.com/photos/<alias>/"
            )
        return Who(who, "nsid" if kind == "nsid" else "alias", owner)
    if not text or len(text) > _MAX_WORD or any(_control(ch) for ch in text):
        raise AuditorError(
            f"{who!r} cannot be a Flickr username or path alias (empty, too long or holding "
            "control characters); give an NSID, a path alias, a username or a profile URL"
        )
    return Who(who, "word", text)


def offline_identities(who: Who) -> list[OwnerIdentity]:
    """What can be said without asking Flickr: an NSID is itself; anything else is matched
    against the manifests' owner fields as typed."""
    if who.kind == "nsid":
        return [OwnerIdentity(who.value, None, None, "NSID as given (offline)")]
    if who.kind == "alias":
        return [OwnerIdentity(None, None, who.value, "path alias from the URL (offline)")]
    return [
        OwnerIdentity(
            None,
            who.value,
            who.value,
            "offline: matched as a path alias, username or realname in the manifests",
            realname=who.value,
        )
    ]


class KeptUserApi:
    """A `UserApi` whose answers (user not found included) are kept in the state store and
    reused while younger than `since`, so a re-run within --max-age asks Flickr nothing."""

    def __init__(self, api: UserApi, store: StateStore, since: str) -> None:
        self.api = api
        self.store = store
        self.since = since

    def _ask(self, question: str, ask: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        kept = self.store.load_answer(question, self.since)
        if kept is None:
            try:
                kept = ask()
            except UserNotFound as exc:
                kept = {"not_found": [exc.method, exc.code, exc.message]}
            self.store.save_answer(question, kept, iso(now_utc()))
        if "not_found" in kept:
            method, code, message = kept["not_found"]
            raise UserNotFound(str(method), int(code), str(message))
        return kept

    def lookup_user(self, url: str) -> UserMatch:
        answer = self._ask(f"{LOOKUP_USER} {url}", lambda: asdict(self.api.lookup_user(url)))
        return UserMatch(answer["nsid"], answer["username"])

    def find_by_username(self, username: str) -> UserMatch:
        answer = self._ask(
            f"{FIND_BY_USERNAME} {username}", lambda: asdict(self.api.find_by_username(username))
        )
        return UserMatch(answer["nsid"], answer["username"])

    def person_info(self, nsid: str) -> Owner:
        answer = self._ask(f"{PERSON_INFO} {nsid}", lambda: asdict(self.api.person_info(nsid)))
        return Owner(answer["nsid"], answer["username"], answer["alias"], answer.get("realname"))


def _complete(api: UserApi, nsid: str, resolved_by: str) -> OwnerIdentity:
    person = api.person_info(nsid)
    return OwnerIdentity(
        person.nsid, person.username, person.alias, resolved_by, realname=person.realname
    )


def resolve_identities(who: Who, api: UserApi) -> list[OwnerIdentity]:
    """The account(s) WHO names on Flickr; `OwnerNotFound` when none."""
    if who.kind == "nsid":
        try:
            return [_complete(api, who.value, "NSID as given (flickr.people.getInfo)")]
        except UserNotFound as exc:
            raise OwnerNotFound(
                f"{who.text!r}: Flickr has no user with NSID {who.value} ({exc.message}); "
                "check the NSID"
            ) from None
    url = f"https://www.flickr.com/photos/{who.value}/"
    by_alias = by_username = None
    if who.kind == "alias" or _ALIAS_RE.fullmatch(who.value):  # else it can only be a username
        with contextlib.suppress(UserNotFound):
            by_alias = api.lookup_user(url)
    if who.kind == "word":
        with contextlib.suppress(UserNotFound):
            by_username = api.find_by_username(who.value)
    if by_alias is None and by_username is None:
        what = "path alias" if who.kind == "alias" else "path alias or username"
        raise OwnerNotFound(
            f"{who.text!r}: no Flickr user has this {what} (or the account was deleted); "
            "check the spelling, or give the NSID or the photostream URL"
        )
    if by_alias is not None and by_username is not None and by_alias.nsid == by_username.nsid:
        return [_complete(api, by_alias.nsid, "path alias and username (both match)")]
    found = []
    if by_alias is not None:
        found.append(_complete(api, by_alias.nsid, "path alias (flickr.urls.lookupUser)"))
    if by_username is not None:
        found.append(_complete(api, by_username.nsid, "username (flickr.people.findByUsername)"))
    return found
