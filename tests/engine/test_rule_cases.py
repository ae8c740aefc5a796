"""Every rule's pass/fail cases, kept as YAML in tests/engine/cases/<rule-id>.yaml, run by one test.

Each case gives photo-table rows, a policy (and optionally overrides of its use facts, licence
basis and opt-out tags), whether the audit is live, and the rows the rule must fire on.
Live-only rules are also run offline, where they must never fire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from auditor.engine import RULE_IDS, evaluate, load_policy

PhotoTable = Callable[[list[dict[str, Any]]], pd.DataFrame]
CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    rows: list[dict[str, Any]]
    fires: list[int]
    policy: str = "commercial-training"
    use: dict[str, bool] | None = None
    licence_basis: str | None = None
    opt_out_tags: list[str] | None = None
    live: bool = False
    severity: str | None = None
    message: str | None = None


def _cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["rule"] == path.stem, f"{path.name} is about {data['rule']}"
        for entry in data["cases"]:
            cases.append(Case(rule=data["rule"], **entry))
    return cases


CASES = _cases()


def _fired_rows(
    case: Case, live: bool, photo_table: PhotoTable
) -> tuple[list[int], list[str], list[str]]:
    policy = load_policy(case.policy)
    if case.use is not None:
        policy = replace(policy, use=replace(policy.use, **case.use))
    if case.licence_basis is not None:
        policy = replace(policy, licence_basis=case.licence_basis)
    if case.opt_out_tags is not None:
        policy = replace(policy, opt_out_tags=tuple(case.opt_out_tags))
    photos = photo_table(case.rows)
    findings = evaluate(photos, policy, live=live)
    mine = findings[findings["rule"] == case.rule]
    where = {
        (file, row): number
        for number, (file, row) in enumerate(
            zip(photos["source_file"], photos["source_row"], strict=True), start=1
        )
    }
    numbers = [
        where[(file, row)]
        for file, row in zip(mine["source_file"], mine["source_row"], strict=True)
    ]
    return sorted(numbers), list(mine["severity"]), list(mine["message"])


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}: {c.name}" for c in CASES])
def test_rule_case(case: Case, make_photos: PhotoTable) -> None:
    fired, severities, messages = _fired_rows(case, case.live, make_photos)
    assert fired == sorted(case.fires)
    if case.severity is not None:
        assert fired, "a severity is expected, so the case must fire"
        assert set(severities) == {case.severity}
    if case.message is not None:
        assert fired, "a message is expected, so the case must fire"
        for message in messages:
            assert case.message in message


LIVE_CASES = [c for c in CASES if c.fires and load_policy(c.policy).rule(c.rule).requires_live]


@pytest.mark.parametrize("case", LIVE_CASES, ids=[f"{c.rule}: {c.name}" for c in LIVE_CASES])
def test_live_only_rules_do_not_fire_offline(case: Case, make_photos: PhotoTable) -> None:
    fired, _, _ = _fired_rows(case, False, make_photos)
    assert fired == []


@pytest.mark.parametrize("rule", RULE_IDS)
def test_every_rule_has_cases_that_fire_and_that_pass(rule: str) -> None:
    mine = [case for case in CASES if case.rule == rule]
    assert any(case.fires for case in mine), f"no case where {rule} fires"
    assert any(len(case.fires) < len(case.rows) for case in mine), (
        f"no case where {rule} passes a row"
    )


def test_every_live_only_rule_is_checked_offline() -> None:
    policy = load_policy("commercial-training")
    live_rules = {rule.id for rule in policy.rules if rule.requires_live}
    assert live_rules == {
        "not-public",
        "licence-changed",
        "licence-mismatch",
        "unverified",
    }
    assert {case.rule for case in LIVE_CASES} == live_rules
