"""Policy files that cannot be used: each problem is one AuditorError naming `file:line:col`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.engine import PolicyError, load_policy
from auditor.errors import AuditorError

Write = Callable[[str, str | bytes], Path]

# A complete, valid standalone policy; the cases below break one thing in it.
VALID = """\
id: mine
description: My own policy
use:
  commercial: true
  adapts: false
  redistributes: false
  redistributes_adaptations: false
rules:
  - id: cc-nc
    severity: error
    summary: NC photos
    when:
      has: {column: effective_licence, facts: [nc]}
    message: "{effective_licence_name} forbids commercial use ({policy})"
"""


def _load_error(write: Write, text: str, name: str = "policy.yaml") -> tuple[Path, str]:
    path = write(name, text)
    with pytest.raises(AuditorError) as caught:
        load_policy(str(path))
    message = str(caught.value)
    assert "\n" not in message
    return path, message


def test_the_valid_policy_loads(write: Write) -> None:
    policy = load_policy(str(write("policy.yaml", VALID)))
    assert policy.id == "mine"
    assert [rule.id for rule in policy.rules] == ["cc-nc"]
    assert policy.use.commercial and not policy.use.adapts


BAD_INPUTS = [
    # (case, text, line, column, fragment of the message)
    ("yaml syntax", VALID.replace("  adapts: false", "  adapts: [false"), 6, 16, "YAML syntax"),
    ("tab indentation", VALID.replace("  adapts: false", "\tadapts: false"), 5, 1, "YAML syntax"),
    ("empty file", "", 1, 1, "is empty"),
    ("not a mapping", "- id: x\n", 1, 1, "the policy is a list"),
    (
        "unknown top-level key",
        VALID + "severity: error\n",
        15,
        1,
        (
            "unknown key 'severity' in the policy (did you mean 'severities'?); use only id, "
            "description, extends, use, rules, severities, licence_basis, opt_out_tags"
        ),
    ),
    ("duplicate key", VALID + "id: again\n", 15, 1, "key 'id' is given twice"),
    ("missing id", VALID.replace("id: mine\n", ""), 1, 1, "the policy has no 'id'"),
    (
        "description not one line",
        VALID.replace("description: My own policy", "description: [a, b]"),
        2,
        14,
        "`description` is a list; write `description` as text",
    ),
    (
        "bad policy id",
        VALID.replace("id: mine", "id: My Policy"),
        1,
        5,
        "policy id 'My Policy' is not lower-case words joined by '-'",
    ),
    (
        "unknown rule key",
        VALID.replace("    summary: NC photos", "    summary: NC photos\n    level: 3"),
        12,
        5,
        (
            "unknown key 'level' in a rule; use only id, severity, summary, when, message, "
            "requires_live, doc, reference"
        ),
    ),
    (
        "missing rule key",
        VALID.replace("    summary: NC photos\n", ""),
        9,
        5,
        "a rule has no 'summary'",
    ),
    (
        "unknown predicate",
        VALID.replace("      has: {column", "      hass: {column"),
        13,
        7,
        (
            "unknown predicate 'hass' (did you mean 'has'?); use one of all, any, not, equals, in, "
            "is_null, has, kind, changed, matches, tagged, duplicated, use"
        ),
    ),
    (
        "two predicates in one mapping",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      has: [nc]\n      use: commercial",
        ),
        13,
        7,
        "a predicate has exactly one key, this one has has, use",
    ),
    (
        "unknown predicate argument",
        VALID.replace("facts: [nc]}", "facts: [nc], op: and}"),
        13,
        53,
        "unknown key 'op' in `has`; use only column, facts",
    ),
    (
        "unknown licence fact",
        VALID.replace("facts: [nc]", "facts: [nc, pd]"),
        13,
        52,
        "unknown licence fact 'pd'",
    ),
    (
        "has on a column without licences",
        VALID.replace("column: effective_licence", "column: owner"),
        13,
        21,
        "`has` looks up licence facts, but 'owner' is not a licence column",
    ),
    (
        "unknown column",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}", "      is_null: recorded_license"
        ),
        13,
        16,
        (
            "unknown column 'recorded_license' (did you mean 'recorded_licence'?); use a column "
            "such as photo_id"
        ),
    ),
    (
        "wrong value type",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      equals: {column: photo_id, value: 123}",
        ),
        13,
        41,
        "`equals`'s value is an integer, but 'photo_id' holds text; quote it: '123'",
    ),
    (
        "wrong boolean",
        VALID.replace("  adapts: false", "  adapts: maybe"),
        5,
        11,
        "`use.adapts` is text; write `use.adapts`: true or false",
    ),
    (
        "unknown use fact",
        VALID.replace("  adapts: false", "  adapt: false"),
        5,
        3,
        "unknown key 'adapt' in `use` (did you mean 'adapts'?)",
    ),
    (
        "empty all",
        VALID.replace("      has: {column: effective_licence, facts: [nc]}", "      all: []"),
        13,
        12,
        "`all` has no predicates",
    ),
    (
        "bad severity",
        VALID.replace("severity: error", "severity: fatal"),
        10,
        15,
        "bad severity 'fatal'; use one of error, warning, note, off",
    ),
    (
        "rule id used twice",
        VALID + VALID[VALID.index("  - id: cc-nc") :],
        15,
        9,
        "rule id 'cc-nc' is used twice in this file (first on line 9)",
    ),
    (
        "unknown template field",
        VALID.replace("({policy})", "({polcy})"),
        14,
        14,
        "unknown field {polcy} in the message",
    ),
    (
        "malformed template",
        VALID.replace("({policy})", "({policy)"),
        14,
        14,
        "message template is malformed",
    ),
    (
        "bad regex",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      matches: {column: title, pattern: 'a(b'}",
        ),
        13,
        41,
        "bad regular expression: missing ), unterminated subpattern at position 1",
    ),
    (
        "pattern too long",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      matches: {column: title, pattern: '" + "a" * 201 + "'}",
        ),
        13,
        41,
        "pattern is 201 characters long, more than 200",
    ),
    (
        "matches on a number column",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      matches: {column: source_row, pattern: '1'}",
        ),
        13,
        25,
        "'source_row' holds integers",
    ),
    (
        "unknown licence basis",
        VALID + "licence_basis: most_permissive\n",
        15,
        16,
        (
            "unknown licence basis 'most_permissive' (did you mean 'most-permissive'?); use one "
            "of current, collection, most-permissive"
        ),
    ),
    (
        "licence basis not text",
        VALID + "licence_basis: [current]\n",
        15,
        16,
        "`licence_basis` is a list; write `licence_basis` as text",
    ),
    (
        "opt-out tags not a list",
        VALID + "opt_out_tags: nocv\n",
        15,
        15,
        "`opt_out_tags` is text; write `opt_out_tags` as a list",
    ),
    (
        "opt-out tag not text",
        VALID + "opt_out_tags: [nocv, 123]\n",
        15,
        22,
        "a tag of `opt_out_tags` is an integer; write a tag of `opt_out_tags` as text",
    ),
    (
        "opt-out tag without letters or digits",
        VALID + "opt_out_tags: [nocv, '__']\n",
        15,
        22,
        "tag '__' has no letter or digit, so it matches no Flickr tag",
    ),
    (
        "tagged with an unknown list name",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      tagged: {column: tags, any_of: my_tags}",
        ),
        13,
        38,
        "`tagged`'s any_of is 'my_tags'; write a list of tags, or opt_out_tags",
    ),
    (
        "tagged with no tags",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      tagged: {column: tags, any_of: []}",
        ),
        13,
        38,
        "`tagged`'s any_of lists no tags",
    ),
    (
        "tagged on a number column",
        VALID.replace(
            "      has: {column: effective_licence, facts: [nc]}",
            "      tagged: {column: source_row, any_of: [nocv]}",
        ),
        13,
        24,
        "'source_row' holds integers",
    ),
    (
        "missing use",
        VALID[: VALID.index("use:")] + VALID[VALID.index("rules:") :],
        1,
        1,
        (
            "missing `use`; state every use fact, e.g. use: {commercial: false, adapts: false, "
            "redistributes: false, redistributes_adaptations: false}, or extend a policy"
        ),
    ),
    (
        "partial use",
        VALID.replace("  redistributes: false\n", ""),
        4,
        3,
        "`use` lacks redistributes",
    ),
    ("no rules", VALID[: VALID.index("rules:")], 1, 1, "the policy has no `rules`"),
    (
        "self-referencing alias",
        VALID.replace(
            "    when:\n      has: {column: effective_licence, facts: [nc]}",
            "    when: &loop {not: *loop}",
        ),
        12,
        11,
        "a YAML alias refers to a node containing it",
    ),
    (
        "unknown parent",
        "id: mine\ndescription: x\nextends: comercial-training\n",
        3,
        10,
        (
            "`extends` names 'comercial-training', which is no shipped policy (did you mean "
            "'commercial-training'?); use one of commercial-release, commercial-training, "
            "dataset-release, research-training"
        ),
    ),
    (
        "missing parent file",
        "id: mine\ndescription: x\nextends: ../nowhere.yaml\n",
        3,
        10,
        "`extends` names '../nowhere.yaml', but there is no file",
    ),
    (
        "severity for an unknown rule",
        "id: mine\ndescription: x\nextends: research-training\nseverities:\n  non-comercial: off\n",
        5,
        3,
        (
            "`severities` names rule 'non-comercial', which this policy does not have "
            "(did you mean 'non-commercial'?)"
        ),
    ),
    (
        "bad severity override",
        "id: mine\ndescription: x\nextends: research-training\nseverities:\n  duplicate: yes\n",
        5,
        14,
        "severity of duplicate is a boolean; use one of error, warning, note, off",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_policy_names_file_line_and_column(
    write: Write, text: str, line: int, column: int, fragment: str
) -> None:
    path, message = _load_error(write, text)
    assert message.startswith(f"{path}:{line}:{column}: "), message
    assert fragment in message, message


def test_not_utf8(write: Write) -> None:
    path = write("policy.yaml", b"id: mine\ndescription: caf\xe9\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert str(caught.value) == f"{path}:2:17: not UTF-8 text; save the file as UTF-8"


def test_extends_loop_is_reported_where_it_closes(write: Write) -> None:
    write("a.yaml", "id: a\ndescription: x\nextends: b.yaml\n")
    b = write("b.yaml", "id: b\ndescription: x\nextends: ./a.yaml\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(str(b.parent / "a.yaml"))
    assert str(caught.value) == (
        f"{b}:3:10: `extends` makes a loop (a.yaml → b.yaml → a.yaml); remove one of the `extends`"
    )


def test_extends_itself(write: Write) -> None:
    path, message = _load_error(write, "id: a\ndescription: x\nextends: policy.yaml\n")
    assert message.startswith(f"{path}:3:10: `extends` makes a loop (policy.yaml → policy.yaml)")


def test_an_error_in_a_parent_names_the_parent(write: Write) -> None:
    parent = write("parent.yaml", VALID.replace("severity: error", "severity: high"))
    child = write("child.yaml", "id: child\ndescription: x\nextends: parent.yaml\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(str(child))
    assert str(caught.value).startswith(f"{parent}:10:15: bad severity 'high'")


def test_unknown_policy_name_lists_the_shipped_ones() -> None:
    with pytest.raises(AuditorError) as caught:
        load_policy("comercial-training")
    assert str(caught.value) == (
        "comercial-training: no shipped policy by that name and no such file; use one of "
        "commercial-release, commercial-training, dataset-release, research-training, or the "
        "path of a policy YAML file"
    )


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="no shipped policy by that name and no such file"):
        load_policy(str(tmp_path / "absent.yaml"))


def test_errors_are_auditor_errors_with_parts() -> None:
    error = PolicyError("p.yaml", 3, 7, "bad thing", "do this")
    assert isinstance(error, AuditorError)
    assert (error.path, error.line, error.column) == ("p.yaml", 3, 7)
    assert str(error) == "p.yaml:3:7: bad thing; do this"


def test_yaml_tags_are_never_constructed(write: Write) -> None:
    text = VALID.replace("description: My own policy", "description: !!python/object:os.system x")
    path, message = _load_error(write, text)
    assert message.startswith(f"{path}:2:14: `description` is a value tagged")
