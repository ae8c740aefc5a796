"""Waivers: accepted exceptions to findings, kept as a reviewed YAML file.

A waiver file is a YAML list; each entry waives one rule for one photo or for all photos of one
owner::

    - rule: non-commercial
      photo_id: 7088065            # or `owner: 12345678@N01` (exactly one of the two)
      reason: written permission from the photographer, ticket LEGAL-42
      approved_by: jane@example.org
      expires: 2026-12-31          # an ISO date, or `never`

Every field is required. `expires` is required so that a permanent exemption is a decision someone
wrote down (`never`), not a forgotten field; a waiver is live up to and including its expiry day.
`photo_id` may be an id (a YAML number or a string) or a photo URL; `owner` an NSID, a path alias or
a profile URL; both are normalised the way the photo table normalises them.

`load_waivers` raises `AuditorError` only when the file as a whole is unusable (unreadable, not
YAML, not a list). Problems with single entries come back as `WaiverProblem`s and the entry is
left out, so it waives nothing: a malformed waiver fails closed. `apply_waivers` marks findings
and reports expired waivers and waivers that matched no finding (`WaiverBook` does the same for
findings that come in chunks). The two lists of problems never overlap, so a caller reports
both.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from auditor.errors import AuditorError
from auditor.manifests.flickr_ids import parse_flickr_ref, parse_owner
from auditor.yamlfile import compose_file

WAIVER_FIELDS: tuple[str, ...] = ("rule", "photo_id", "owner", "reason", "approved_by", "expires")
NEVER = "never"

_NULL_TAG = "tag:yaml.org,2002:null"
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TARGET_FIELDS = ("photo_id", "owner")


@dataclass(frozen=True)
class Waiver:
    """One well-formed waiver: `rule` waived for `photo_id` or for every photo of `owner`."""

    rule: str
    photo_id: str | None
    owner: str | None
    reason: str
    approved_by: str
    expires: date | None  # None: `expires: never`
    line: int  # 1-based line of the entry in the waiver file

    @property
    def target(self) -> str:
        """`photo 7088065` or `owner 12345678@N01`, for messages."""
        return f"photo {self.photo_id}" if self.photo_id is not None else f"owner {self.owner}"

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class WaiverProblem:
    """A waiver that was left out, has expired, or matched nothing. Reported; never fatal."""

    line: int | None  # 1-based line in the waiver file, when known
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class _EntryError(Exception):
    """One entry is malformed; carries the line of the offending field."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _compose(path: Path) -> Node | None:
    """The YAML node tree of the file (None when it is empty or only comments)."""

    def fail(line: int, column: int, problem: str, fix: str) -> AuditorError:
        return AuditorError(f"{path}:{line}:{column}: {problem}; {fix}")

    return compose_file(path, "waiver file", fail, "waiver_file")


def _scalar_text(node: Node, field: str) -> str | None:
    """The text of a scalar field exactly as written; None when null or blank.

    The written text, not the YAML value: YAML 1.1 would read `photo_id: 0123` as the octal
    number 83 and `reason: no` as False.
    """
    if not isinstance(node, ScalarNode):
        raise _EntryError(_line(node), f"`{field}` must be a single value, not a list or mapping")
    if node.tag == _NULL_TAG:
        return None
    text = str(node.value).strip()
    return text or None


def _expiry(node: Node) -> date | None:
    text = _scalar_text(node, "expires")
    if text is None:
        raise _EntryError(_line(node), "`expires` is empty; give an ISO date such as 2026-12-31")
    if text.lower() == NEVER:
        return None
    if _ISO_DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise _EntryError(
        _line(node), f"`expires` is {text!r}; give an ISO date such as 2026-12-31, or `never`"
    )


def _parse_entry(node: Node, known_rules: Collection[str]) -> Waiver:
    line = _line(node)
    if not isinstance(node, MappingNode):
        raise _EntryError(
            line, "expected a mapping with rule, photo_id or owner, reason, approved_by, expires"
        )
    fields: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key not in WAIVER_FIELDS:
            raise _EntryError(
                _line(key_node),
                f"unknown field {key!r}; the fields are {', '.join(WAIVER_FIELDS)}",
            )
        if key in fields:
            raise _EntryError(_line(key_node), f"`{key}` is given twice; keep one")
        fields[key] = value_node

    texts: dict[str, str | None] = {
        name: _scalar_text(value, name) for name, value in fields.items() if name != "expires"
    }
    for name in ("rule", "reason", "approved_by"):
        if texts.get(name) is None:
            raise _EntryError(
                line, f"missing `{name}`; every waiver needs {name.replace('_', ' ')}"
            )
    if "expires" not in fields:
        raise _EntryError(
            line, "missing `expires`; give an ISO date such as 2026-12-31, or `never`"
        )
    targets = [name for name in _TARGET_FIELDS if texts.get(name) is not None]
    if len(targets) != 1:
        problem = "both `photo_id` and `owner`" if targets else "neither `photo_id` nor `owner`"
        raise _EntryError(line, f"{problem}; a waiver names exactly one of them")

    rule = str(texts["rule"])
    if rule not in known_rules:
        raise _EntryError(
            _line(fields["rule"]),
            f"waiver for rule {rule!r} that does not exist; use one of the policy's rule ids"
            + (f" ({', '.join(sorted(known_rules))})" if 0 < len(known_rules) <= 20 else ""),
        )
    photo_id = owner = None
    if targets == ["photo_id"]:
        ref = parse_flickr_ref(texts["photo_id"])
        if ref.photo_id is None:
            raise _EntryError(
                _line(fields["photo_id"]),
                f"photo_id {texts['photo_id']!r}: {ref.problem}; give the photo's numeric id",
            )
        photo_id = ref.photo_id
    else:
        owner, _kind = parse_owner(texts["owner"])
        if owner is None:
            raise _EntryError(
                _line(fields["owner"]),
                f"owner {texts['owner']!r} is not a Flickr NSID or path alias; "
                "give the NSID (12345678@N01) or the alias in the owner's profile URL",
            )
    return Waiver(
        rule=rule,
        photo_id=photo_id,
        owner=owner,
        reason=str(texts["reason"]),
        approved_by=str(texts["approved_by"]),
        expires=_expiry(fields["expires"]),
        line=line,
    )


def load_waivers(
    path: Path, known_rules: Collection[str]
) -> tuple[list[Waiver], list[WaiverProblem]]:
    """The well-formed waivers in `path`, and a problem for every entry left out.

    Raises `AuditorError` (`path:line:col: problem; what to do`) when the file cannot be used at
    all. Expiry is not judged here (see `apply_waivers`): loading does not depend on the date.
    """
    path = Path(path)
    root = _compose(path)
    if root is None:  # an empty file, or every waiver commented out
        return [], []
    if not isinstance(root, yaml.SequenceNode):
        found = "a mapping" if isinstance(root, MappingNode) else "a single value"
        raise AuditorError(
            f"{path}:{_line(root)}:{int(root.start_mark.column) + 1}: expected a list of waivers "
            f"at the top level, found {found}; write each waiver as an item starting with `- rule:`"
        )
    waivers: list[Waiver] = []
    problems: list[WaiverProblem] = []
    seen: dict[tuple[str, str | None, str | None], int] = {}
    for item in root.value:
        try:
            waiver = _parse_entry(item, known_rules)
        except _EntryError as error:
            problems.append(WaiverProblem(error.line, error.message))
            continue
        key = (waiver.rule, waiver.photo_id, waiver.owner)
        if key in seen:
            # Kept (it does no harm), but two entries drift apart when one of them is renewed.
            problems.append(
                WaiverProblem(
                    waiver.line,
                    f"repeats the waiver at line {seen[key]} (rule {waiver.rule!r}, "
                    f"{waiver.target}); keep one",
                )
            )
        else:
            seen[key] = waiver.line
        waivers.append(waiver)
    return waivers, problems


def _matches(
    findings: pd.DataFrame, waivers: Sequence[Waiver], column: str
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], set[int]]:
    """Which findings (by position) the waivers on `column` (photo_id or owner) match, and the
    positions in `waivers` of the waivers that matched something."""
    matched = np.zeros(len(findings), dtype=bool)
    keyed = [(w.rule, getattr(w, column), i) for i, w in enumerate(waivers)]
    keyed = [row for row in keyed if row[1] is not None]
    if not keyed or findings.empty:
        return matched, set()
    table = pd.DataFrame(keyed, columns=["rule", column, "waiver"])
    table = table.astype({"rule": "str", column: "str"})
    left = pd.DataFrame(
        {
            "rule": findings["rule"].astype("str").reset_index(drop=True),
            column: findings[column].astype("str").reset_index(drop=True),
            "position": np.arange(len(findings)),
        }
    )
    # Null keys never match: a waiver always names a rule and a photo or an owner.
    left = left[left["rule"].notna() & left[column].notna()]
    joined = left.merge(table, on=["rule", column], how="inner")
    matched[joined["position"].to_numpy()] = True
    return matched, {int(i) for i in joined["waiver"].unique()}


class WaiverBook:
    """Waivers applied to findings that come in chunks; which were used is kept across chunks,
    so waivers that matched nothing are known (and reported) only at the end."""

    def __init__(self, waivers: Sequence[Waiver], today: date) -> None:
        self.waivers = list(waivers)
        self.today = today
        # Expired waivers take no part in matching, so an expired one is never applied and is
        # reported as expired rather than as unmatched.
        self._live_at = [i for i, waiver in enumerate(self.waivers) if not waiver.expired(today)]
        self._live = [self.waivers[i] for i in self._live_at]
        self._used: set[int] = set()

    def apply(self, findings: pd.DataFrame) -> pd.DataFrame:
        """A copy of `findings` with `waived` set where a live waiver matches the rule and the
        photo (or owner). Findings already marked waived stay waived."""
        out = findings.copy()
        already = out["waived"].fillna(False).astype(bool).to_numpy()
        if not self._live:
            out["waived"] = already
            return out
        by_photo, photo_used = _matches(findings, self._live, "photo_id")
        by_owner, owner_used = _matches(findings, self._live, "owner")
        out["waived"] = by_photo | by_owner | already
        self._used |= {self._live_at[i] for i in photo_used | owner_used}
        return out

    @property
    def used(self) -> frozenset[int]:
        """Positions (in `waivers`) of the waivers that matched a finding so far."""
        return frozenset(self._used)

    def add_used(self, used: Collection[int]) -> None:
        """Count waivers as used that another book of the same audit applied (a partition
        judged elsewhere)."""
        self._used |= set(used)

    def problems(self) -> list[WaiverProblem]:
        """A problem for every expired waiver and every live one that matched nothing so far."""
        problems: list[WaiverProblem] = []
        for position, waiver in enumerate(self.waivers):
            if waiver.expired(self.today):
                problems.append(
                    WaiverProblem(
                        waiver.line,
                        f"waiver for rule {waiver.rule!r}, {waiver.target} expired on "
                        f"{waiver.expires}; renew it with a later `expires` or remove it",
                    )
                )
            elif position not in self._used:
                problems.append(
                    WaiverProblem(
                        waiver.line,
                        f"waiver at line {waiver.line} matched no finding (rule "
                        f"{waiver.rule!r}, {waiver.target}); remove it if the finding is gone",
                    )
                )
        return problems


def apply_waivers(
    findings: pd.DataFrame, waivers: Sequence[Waiver], today: date
) -> tuple[pd.DataFrame, list[WaiverProblem]]:
    """A copy of `findings` with `waived` set where a live waiver matches the rule and the photo
    (or owner); and a problem for every expired waiver and every live one that matched nothing.

    Expired waivers are not applied. Findings already marked waived stay waived.
    """
    book = WaiverBook(waivers, today)
    out = book.apply(findings)
    return out, book.problems()
