"""The rule documentation stays true to the shipped rules: one page per rule in rules/docs/, with
the severities the policies give it and its reference URL; docs/rules.md covers the language."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.engine import RULE_IDS, load_policy, shipped_policies
from auditor.engine.columns import RULE_COLUMNS
from auditor.engine.policy import POLICY_KEYS, RULE_KEYS
from auditor.engine.predicates import PREDICATES, USE_FACTS
from auditor.resources import rules_dir

Write = Callable[[str, str | bytes], Path]
RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


@pytest.fixture(scope="module")
def rules_md() -> str:
    return RULES_MD.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_page(rule_id: str) -> None:
    rule = load_policy("commercial-training").rule(rule_id)
    page = (rules_dir() / rule.doc).read_text(encoding="utf-8")
    assert page.startswith(f"# `{rule_id}`\n")
    for heading in ("## Why it matters", "## How to fix", "## Reference"):
        assert f"\n{heading}\n" in page
    assert page.rstrip().endswith(rule.reference)
    assert ("**Live only.**" in page) == rule.requires_live
    # The severity table names every shipped policy with the severity it gives the rule.
    table = dict(re.findall(r"^\| ([a-z-]+) \| (error|warning|note|off)\b", page, re.MULTILINE))
    expected = {policy.id: policy.rule(rule_id).severity for policy in shipped_policies()}
    assert table == expected


def test_no_stray_rule_pages() -> None:
    pages = {path.stem for path in (rules_dir() / "docs").glob("*.md")}
    assert pages == set(RULE_IDS)


def test_rules_md_covers_the_language(rules_md: str) -> None:
    for name in (*PREDICATES, *USE_FACTS, *POLICY_KEYS, *RULE_KEYS, *RULE_COLUMNS):
        assert f"`{name}" in rules_md, name
    for rule_id in RULE_IDS:
        assert f"[`{rule_id}`](../rules/docs/{rule_id}.md)" in rules_md
    for policy in shipped_policies():
        assert f"| `{policy.id}` |" in rules_md


def test_rules_md_example_policy_loads(rules_md: str, write: Write) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", rules_md, flags=re.DOTALL)
    policies = [block for block in blocks if block.lstrip().startswith(("#", "id:"))]
    assert policies
    for number, block in enumerate(policies):
        policy = load_policy(str(write(f"example{number}.yaml", block)))
        assert policy.rules


def test_rules_md_template_example_is_exact(rules_md: str) -> None:
    template = load_policy("commercial-training").rule("non-commercial").message
    assert f'message: "{template}"' in rules_md
    assert "CC BY-NC 2.0 forbids commercial use; policy commercial-training is commercial" in (
        rules_md
    )
