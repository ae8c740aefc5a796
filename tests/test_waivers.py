"""Waiver files: loading (good, fatal and per-entry problems) and applying them to findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from auditor.errors import AuditorError
from auditor.waivers import Waiver, WaiverProblem, apply_waivers, load_waivers

Write = Callable[[str, str | bytes], Path]
RULES = frozenset({"non-commercial", "no-derivatives", "duplicate", "no-photo-id"})
TODAY = date(2025, 6, 1)

GOOD = """\
# Waivers reviewed by legal.
- rule: non-commercial
  photo_id: 7088065
  reason: written permission from the photographer, ticket LEGAL-42
  approved_by: jane@example.org
  expires: 2026-12-31

- rule: no-derivatives
  owner: 12345678@n01
  reason: "crops agreed with the owner: see contract"
  approved_by: Jane Doe
  expires: never
- {rule: duplicate, photo_id: "https://www.flickr.com/photos/alice/123/", reason: known,
   approved_by: bob, expires: "2025-06-01"}
"""


def _load(write: Write, text: str) -> tuple[list[Waiver], list[WaiverProblem]]:
    return load_waivers(write("waivers.yaml", text), RULES)


def _entry(**fields: Any) -> str:
    base: dict[str, Any] = {
        "rule": "non-commercial",
        "photo_id": "1",
        "reason": "ok",
        "approved_by": "jane",
        "expires": "2026-01-01",
    }
    base.update(fields)
    return "- " + "\n  ".join(f"{k}: {v}" for k, v in base.items() if v is not None) + "\n"


# --- loading ----------------------------------------------------------------------------------


def test_a_good_file(write: Write) -> None:
    waivers, problems = _load(write, GOOD)
    assert problems == []
    assert waivers == [
        Waiver(
            rule="non-commercial",
            photo_id="7088065",  # a YAML int, as text
            owner=None,
            reason="written permission from the photographer, ticket LEGAL-42",
            approved_by="jane@example.org",
            expires=date(2026, 12, 31),
            line=2,
        ),
        Waiver(
            rule="no-derivatives",
            photo_id=None,
            owner="12345678@N01",  # NSIDs in capitals, as in the photo table
            reason="crops agreed with the owner: see contract",
            approved_by="Jane Doe",
            expires=None,
            line=8,
        ),
        Waiver(
            rule="duplicate",
            photo_id="123",  # from the photo URL
            owner=None,
            reason="known",
            approved_by="bob",
            expires=date(2025, 6, 1),
            line=13,
        ),
    ]


@pytest.mark.parametrize("text", ["", "# all waivers withdrawn\n", "[]\n"])
def test_an_empty_file_waives_nothing(write: Write, text: str) -> None:
    assert _load(write, text) == ([], [])


def test_yaml_syntax_error_names_line_and_column(write: Write) -> None:
    path = write("waivers.yaml", "- rule: non-commercial\n  photo_id: [1, 2\n  reason: x\n")
    with pytest.raises(AuditorError) as caught:
        load_waivers(path, RULES)
    message = str(caught.value)
    assert message.startswith(f"{path}:3:")
    assert message.endswith("; fix the YAML there (check indentation, colons and quoting)")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "found"),
    [("rule: non-commercial\nphoto_id: 1\n", "a mapping"), ("just text\n", "a single value")],
)
def test_top_level_must_be_a_list(write: Write, text: str, found: str) -> None:
    path = write("waivers.yaml", text)
    with pytest.raises(AuditorError, match=f"^{path}:1:1: expected a list of waivers") as caught:
        load_waivers(path, RULES)
    assert found in str(caught.value) and "- rule:" in str(caught.value)


def test_unreadable_or_undecodable_file(write: Write, tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="cannot read the waiver file"):
        load_waivers(tmp_path / "missing.yaml", RULES)
    path = write("latin1.yaml", b"- rule: x\n  reason: caf\xe9\n")
    with pytest.raises(AuditorError, match=r":2:14: not UTF-8 text; save the file as UTF-8"):
        load_waivers(path, RULES)


def test_python_tags_are_never_constructed(write: Write, tmp_path: Path) -> None:
    marker = tmp_path / "hacked"
    text = _entry(reason=f"!!python/object/apply:os.system ['touch {marker}']")
    waivers, problems = _load(write, text)
    assert waivers == [] and "`reason` must be a single value" in problems[0].message
    waivers, problems = _load(write, _entry(reason="!!python/name:os.system x"))
    assert problems == [] and waivers[0].reason == "x"  # a tag is ignored: only text is read
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (_entry(reason=None), 1, "missing `reason`"),
        (_entry(approved_by=None), 1, "missing `approved_by`"),
        (_entry(rule=None), 1, "missing `rule`"),
        (_entry(reason='""'), 1, "missing `reason`"),
        (_entry(expires=None), 1, "missing `expires`; give an ISO date such as 2026-12-31, or"),
        (_entry(expires="soon"), 5, "`expires` is 'soon'; give an ISO date"),
        (_entry(expires="2025-02-30"), 5, "`expires` is '2025-02-30'"),
        (_entry(expires="2025-01-01T10:00:00"), 5, "`expires` is '2025-01-01T10:00:00'"),
        (_entry(expires="~"), 5, "`expires` is empty"),
        (_entry(owner="bob"), 1, "both `photo_id` and `owner`; a waiver names exactly one"),
        (_entry(photo_id=None), 1, "neither `photo_id` nor `owner`"),
        (_entry(photo_id="0123"), 2, "photo_id '0123': number with leading zeros"),
        (_entry(photo_id="[1, 2]"), 2, "`photo_id` must be a single value"),
        (
            _entry(photo_id=None, owner="'https://example.com/x'"),
            5,
            "owner 'https://example.com/x' is",
        ),
        (_entry(expiry="2026-01-01"), 6, "unknown field 'expiry'; the fields are rule, photo_id"),
        ("- rule: duplicate\n  rule: non-commercial\n", 2, "`rule` is given twice"),
        ("- just a string\n", 1, "expected a mapping with rule, photo_id or owner"),
        (_entry(rule="made-up"), 1, "waiver for rule 'made-up' that does not exist"),
    ],
)
def test_malformed_entries_are_reported_and_left_out(
    write: Write, text: str, line: int, message: str
) -> None:
    good = _entry(photo_id="99")
    waivers, problems = _load(write, text + good)
    assert len(problems) == 1, problems
    assert problems[0].line == line
    assert problems[0].message.startswith(message), problems[0].message
    assert [w.photo_id for w in waivers] == ["99"]  # the good entry after it still loads


def test_yaml_1_1_surprises_are_read_as_written(write: Write) -> None:
    text = _entry(reason="no", approved_by="2024", photo_id="12345")
    waivers, problems = _load(write, text)
    assert problems == []
    assert (waivers[0].reason, waivers[0].approved_by, waivers[0].photo_id) == (
        "no",
        "2024",
        "12345",
    )


def test_repeated_waivers_are_kept_but_reported(write: Write) -> None:
    waivers, problems = _load(write, _entry() + _entry(reason="again"))
    assert len(waivers) == 2
    assert problems == [
        WaiverProblem(6, "repeats the waiver at line 1 (rule 'non-commercial', photo 1); keep one")
    ]


def test_an_unknown_rule_lists_the_known_ones(write: Write) -> None:
    _, problems = _load(write, _entry(rule="non-comercial"))
    assert problems[0].message == (
        "waiver for rule 'non-comercial' that does not exist; use one of the policy's rule ids "
        "(duplicate, no-derivatives, no-photo-id, non-commercial)"
    )


def test_problem_str() -> None:
    assert str(WaiverProblem(3, "expired")) == "line 3: expired"
    assert str(WaiverProblem(None, "odd")) == "odd"


# --- applying ---------------------------------------------------------------------------------


def _findings(rows: list[tuple[str | None, str | None, str]]) -> pd.DataFrame:
    """(photo_id, owner, rule) rows as a findings table with the engine's dtypes."""
    frame = pd.DataFrame(
        {
            "photo_id": [r[0] for r in rows],
            "owner": [r[1] for r in rows],
            "owner_name": [None] * len(rows),
            "rule": [r[2] for r in rows],
            "severity": ["error"] * len(rows),
            "message": ["m"] * len(rows),
            "recorded_licence": ["cc-by-nc-2.0"] * len(rows),
            "current_licence": [None] * len(rows),
            "effective_licence": ["cc-by-nc-2.0"] * len(rows),
            "visibility": [None] * len(rows),
            "source_file": ["m.csv"] * len(rows),
            "source_row": list(range(2, len(rows) + 2)),
            "waived": [False] * len(rows),
        }
    )
    for name in frame.columns:
        if name not in ("source_row", "waived"):
            frame[name] = frame[name].astype("str")
    return frame.astype({"source_row": "int64", "waived": bool})


def _waiver(line: int, rule: str = "non-commercial", **target: Any) -> Waiver:
    return Waiver(
        rule=rule,
        photo_id=target.get("photo_id"),
        owner=target.get("owner"),
        reason="r",
        approved_by="a",
        expires=target.get("expires"),
        line=line,
    )


FINDINGS = [
    ("1", "ann", "non-commercial"),
    ("1", "ann", "duplicate"),
    ("2", "ann", "non-commercial"),
    ("3", "bob", "non-commercial"),
    ("4", "bob", "no-derivatives"),
    (None, None, "no-photo-id"),
    ("5", None, "non-commercial"),
]


def test_by_photo_matches_rule_and_photo_only() -> None:
    findings = _findings(FINDINGS)
    out, problems = apply_waivers(findings, [_waiver(1, photo_id="1")], TODAY)
    assert out["waived"].tolist() == [True, False, False, False, False, False, False]
    assert problems == []
    assert not findings["waived"].any()  # the input is left alone
    assert out["waived"].dtype == bool
    assert list(out.columns) == list(findings.columns) and out.index.equals(findings.index)


def test_by_owner_matches_every_photo_of_the_owner_for_that_rule() -> None:
    out, problems = apply_waivers(_findings(FINDINGS), [_waiver(1, owner="ann")], TODAY)
    assert out["waived"].tolist() == [True, False, True, False, False, False, False]
    assert problems == []


def test_expired_waivers_are_reported_not_applied() -> None:
    waivers = [
        _waiver(1, owner="bob", expires=date(2025, 5, 31)),  # expired yesterday
        _waiver(7, photo_id="1", expires=TODAY),  # live through its last day
    ]
    out, problems = apply_waivers(_findings(FINDINGS), waivers, TODAY)
    assert out["waived"].tolist() == [True, False, False, False, False, False, False]
    assert problems == [
        WaiverProblem(
            1,
            "waiver for rule 'non-commercial', owner bob expired on 2025-05-31; renew it with "
            "a later `expires` or remove it",
        )
    ]


def test_unmatched_waivers_are_reported() -> None:
    waivers = [
        _waiver(1, photo_id="42"),
        _waiver(6, rule="no-derivatives", owner="ann"),  # ann has no such finding
        _waiver(11, photo_id="2"),
    ]
    out, problems = apply_waivers(_findings(FINDINGS), waivers, TODAY)
    assert out["waived"].sum() == 1
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (1, "waiver at line 1 matched no finding"),
        (6, "waiver at line 6 matched no finding"),
    ]
    assert "rule 'no-derivatives', owner ann" in problems[1].message


def test_null_keys_never_match_and_already_waived_stay_waived() -> None:
    findings = _findings(FINDINGS)
    findings.loc[3, "waived"] = True
    out, _ = apply_waivers(findings, [_waiver(1, rule="no-photo-id", owner="ann")], TODAY)
    assert out["waived"].tolist() == [False, False, False, True, False, False, False]


def test_two_waivers_on_one_line_are_told_apart() -> None:
    # A flow-style list puts several entries on one line; matching must not go by line number.
    waivers = [_waiver(1, photo_id="1"), _waiver(1, photo_id="404")]
    _, problems = apply_waivers(_findings(FINDINGS), waivers, TODAY)
    assert len(problems) == 1 and "photo 404" in problems[0].message


def test_no_waivers_or_no_findings() -> None:
    out, problems = apply_waivers(_findings(FINDINGS), [], TODAY)
    assert not out["waived"].any() and problems == []
    out, problems = apply_waivers(_findings([]), [_waiver(3, photo_id="1")], TODAY)
    assert out.empty and [p.line for p in problems] == [3]


def test_non_default_index_and_object_columns() -> None:
    findings = _findings(FINDINGS).astype({"photo_id": object, "rule": object})
    findings.index = pd.Index([10, 20, 30, 40, 50, 60, 70])
    out, _ = apply_waivers(findings, [_waiver(1, photo_id="3")], TODAY)
    assert out.loc[40, "waived"] and int(out["waived"].sum()) == 1


def test_loaded_waivers_apply_end_to_end(write: Write) -> None:
    waivers, problems = _load(write, GOOD)
    findings = _findings(
        [
            ("7088065", "x", "non-commercial"),
            ("9", "12345678@N01", "no-derivatives"),
            ("123", "alice", "duplicate"),
        ]
    )
    out, applied = apply_waivers(findings, waivers, TODAY)
    assert problems == [] and applied == []
    assert out["waived"].all()
    _, later = apply_waivers(findings, waivers, date(2025, 6, 2))
    assert [p.line for p in later] == [13]  # the duplicate waiver expired on 2025-06-01
