"""The shipped policies, `extends` with severity overrides, and the policy listing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from auditor.engine import (
    RULE_IDS,
    SEVERITIES,
    UseFacts,
    load_policy,
    policies_table,
    rules_table,
    shipped_policies,
)
from auditor.engine.policy import RULE_SEVERITIES, policies_dir, shipped_policy_paths
from auditor.engine.predicates import USE_FACTS
from auditor.engine.tags import DEFAULT_OPT_OUT_TAGS
from auditor.resources import rules_dir

Write = Callable[[str, str | bytes], Path]
SHIPPED = ("commercial-release", "commercial-training", "dataset-release", "research-training")
# `opt-out` is checked offline too: its tag half reads live tags, its --opt-outs half does not.
LIVE_ONLY = {"not-public", "licence-changed", "licence-mismatch", "unverified"}


def test_the_four_policies_ship_sorted_by_id() -> None:
    policies = shipped_policies()
    assert [policy.id for policy in policies] == list(SHIPPED)
    for policy in policies:
        assert Path(policy.source) == policies_dir() / f"{policy.id}.yaml"
        assert policy.description and "\n" not in policy.description


def test_the_base_file_is_not_a_policy() -> None:
    assert (policies_dir() / "_base.yaml").is_file()
    assert "_base" not in shipped_policy_paths()
    with pytest.raises(Exception, match="no shipped policy by that name"):
        load_policy("_base")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_has_the_13_stable_rules_in_order(name: str) -> None:
    policy = load_policy(name)
    assert tuple(rule.id for rule in policy.rules) == RULE_IDS
    for rule in policy.rules:
        assert rule.severity in SEVERITIES  # none is switched off
        assert rule.requires_live == (rule.id in LIVE_ONLY)
        assert rule.doc == f"docs/{rule.id}.md"
        assert (rules_dir() / rule.doc).is_file()
        assert rule.reference.startswith("https://")
        assert rule.summary and "\n" not in rule.summary


def test_use_facts_match_the_rule_language() -> None:
    assert tuple(f.name for f in fields(UseFacts)) == USE_FACTS
    assert (*SEVERITIES, "off") == RULE_SEVERITIES


def test_use_facts_of_each_policy() -> None:
    uses = {policy.id: policy.use for policy in shipped_policies()}
    assert uses["commercial-training"] == UseFacts(True, True, False, False)
    assert uses["research-training"] == UseFacts(False, True, False, False)
    assert uses["dataset-release"] == UseFacts(False, True, True, True)
    assert uses["commercial-release"] == UseFacts(True, True, True, True)


def test_commercial_training_severities_required_by_the_issue() -> None:
    policy = load_policy("commercial-training")
    for rule_id in ("non-commercial", "no-derivatives", "all-rights-reserved", "unknown-licence"):
        assert policy.rule(rule_id).severity == "error"


def test_commercial_release_is_strict() -> None:
    policy = load_policy("commercial-release")
    # Only attribution (an obligation met by shipping credits), duplicates, licence changes and
    # mismatches (which the live issue makes warnings) are below error.
    below = {rule.id for rule in policy.rules if rule.severity != "error"}
    assert below == {"attribution", "duplicate", "licence-changed", "licence-mismatch"}


@pytest.mark.parametrize("name", SHIPPED)
def test_live_rule_severities_required_by_the_live_issue(name: str) -> None:
    policy = load_policy(name)
    assert policy.rule("not-public").severity == "error"
    assert policy.rule("licence-changed").severity == "warning"
    assert policy.rule("licence-mismatch").severity == "warning"
    assert policy.rule("opt-out").severity == "error"
    if policy.use.commercial:
        assert policy.rule("unverified").severity == "error"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policies_judge_the_current_licence_and_the_default_opt_out_tags(
    name: str,
) -> None:
    policy = load_policy(name)
    assert policy.licence_basis == "current"
    assert not policy.needs_licence_at_collection
    assert policy.opt_out_tags == DEFAULT_OPT_OUT_TAGS == (
        "no_cv", "noai", "noml", "no_ai", "notraining"
    )  # fmt: skip


def test_licence_basis_and_opt_out_tags_are_inherited_and_overridden(write: Write) -> None:
    write(
        "parent.yaml",
        "id: parent\ndescription: x\nextends: commercial-training\n"
        "licence_basis: most-permissive\nopt_out_tags: [no_cv, do-not-train]\n",
    )
    child = load_policy(
        str(write("child.yaml", "id: child\ndescription: x\nextends: parent.yaml\n"))
    )
    assert child.licence_basis == "most-permissive"
    assert child.needs_licence_at_collection
    assert child.opt_out_tags == ("no_cv", "do-not-train")
    override = load_policy(
        str(
            write(
                "override.yaml",
                "id: override\ndescription: x\nextends: parent.yaml\n"
                "licence_basis: collection\nopt_out_tags: []\n",
            )
        )
    )
    assert override.licence_basis == "collection"
    assert override.needs_licence_at_collection
    assert override.opt_out_tags == ()
    back = load_policy(
        str(
            write(
                "back.yaml",
                "id: back\ndescription: x\nextends: parent.yaml\nlicence_basis: current\n",
            )
        )
    )
    assert not back.needs_licence_at_collection


def test_a_standalone_policy_gets_the_defaults(write: Write) -> None:
    path = write(
        "alone.yaml",
        """\
id: alone
description: no parent
use: {commercial: true, adapts: true, redistributes: false, redistributes_adaptations: false}
rules:
  - id: opted-out
    severity: error
    summary: opted out
    when: {tagged: {column: tags, any_of: opt_out_tags}}
    message: "{opt_out_tag}"
""",
    )
    policy = load_policy(str(path))
    assert policy.licence_basis == "current"
    assert policy.opt_out_tags == DEFAULT_OPT_OUT_TAGS


def test_rule_lookup() -> None:
    policy = load_policy("research-training")
    assert policy.rule("duplicate").severity == "warning"
    with pytest.raises(KeyError):
        policy.rule("no-such-rule")


def test_a_user_policy_extends_a_shipped_one_and_overrides_severities(write: Write) -> None:
    path = write(
        "team/policy.yaml",
        """\
# Our lab trains on originals, unchanged, for a paid product.
id: lab-product
description: Train a paid product's model on unchanged images
extends: research-training
use:
  commercial: true   # only these two facts change; the others are inherited
  adapts: false
severities:
  duplicate: off
  no-photo-id: error
  licence-changed: warning
rules:
  - id: unknown-licence          # replaces the shipped rule, in place
    severity: warning
    summary: Unknown licences are reviewed by hand
    when: {kind: unknown}
    message: "photo {photo_id}: licence unknown, review it ({policy})"
  - id: hostile-title            # a new rule, appended
    severity: note
    summary: Titles that look like spreadsheet formulas
    when: {matches: {column: title, pattern: '^[=+@-]'}}
    message: "title of row {source_row} starts like a formula"
""",
    )
    policy = load_policy(str(path))
    assert policy.id == "lab-product"
    assert policy.source == str(path)
    assert policy.use == UseFacts(
        commercial=True, adapts=False, redistributes=False, redistributes_adaptations=False
    )
    assert tuple(rule.id for rule in policy.rules) == (*RULE_IDS, "hostile-title")
    severity = {rule.id: rule.severity for rule in policy.rules}
    assert severity["duplicate"] == "off"
    assert severity["no-photo-id"] == "error"
    assert severity["licence-changed"] == "warning"
    assert severity["no-derivatives"] == "error"  # inherited unchanged
    assert severity["unknown-licence"] == "warning"
    replaced = policy.rule("unknown-licence")
    assert replaced.summary == "Unknown licences are reviewed by hand"
    assert replaced.doc == "" and replaced.reference == ""


def test_extends_by_relative_path_chains(write: Write) -> None:
    write(
        "base.yaml",
        "id: base\ndescription: parent\nextends: commercial-training\n"
        "severities:\n  duplicate: note\n",
    )
    child = write(
        "sub/child.yaml",
        "id: child\ndescription: grandchild\nextends: ../base.yaml\n"
        "severities:\n  attribution: off\n",
    )
    policy = load_policy(str(child))
    assert policy.rule("duplicate").severity == "note"
    assert policy.rule("attribution").severity == "off"
    assert policy.use == load_policy("commercial-training").use


def test_load_policy_accepts_a_path_object(write: Write) -> None:
    path = write("p.yaml", "id: p\ndescription: d\nextends: dataset-release\n")
    assert load_policy(path).id == "p"


def test_policies_table_lists_one_line_each() -> None:
    table = policies_table()
    assert list(table["id"]) == list(SHIPPED)
    assert list(table.columns) == ["id", "description", *USE_FACTS, *SEVERITIES, "source"]
    row = table.set_index("id").loc["commercial-training"]
    assert row["commercial"] and row["adapts"] and not row["redistributes"]
    assert row[list(SEVERITIES)].sum() == len(RULE_IDS)


def test_rules_table() -> None:
    table = rules_table(load_policy("research-training"))
    assert list(table["id"]) == list(RULE_IDS)
    assert list(table.columns) == ["id", "severity", "requires_live", "summary", "doc", "reference"]


def test_which_rules_an_offline_audit_checks() -> None:
    """Offline, live-only rules and `opt-out` without --opt-outs (its tags are live) check
    nothing; with the lists, `opt-out` is checked; live, every rule is."""
    policy = load_policy("commercial-training")
    offline = {rule.id for rule in policy.rules if not rule.checked(live=False, opt_outs=False)}
    assert offline == LIVE_ONLY | {"opt-out"}
    with_lists = {rule.id for rule in policy.rules if not rule.checked(live=False, opt_outs=True)}
    assert with_lists == LIVE_ONLY
    assert all(rule.checked(live=True, opt_outs=False) for rule in policy.rules)
