"""Using the auditor in other repositories: the pre-commit hook (`.pre-commit-hooks.yaml`) and the
GitHub Actions workflow (`docs/github-actions.md`) name only commands and options that exist."""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from cli_run import run_cli

from auditor.cli import cli
from auditor.errors import EXIT_FINDINGS
from auditor.resources import example_manifest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
WORKFLOW_DOC = ROOT / "docs" / "github-actions.md"


def audit_command() -> click.Command:
    assert isinstance(cli, click.Group)
    return cli.commands["audit"]


def audit_options() -> dict[str, click.Option]:
    return {
        flag: param
        for param in audit_command().params
        if isinstance(param, click.Option)
        for flag in param.opts
    }


def check_audit_args(args: list[str]) -> None:
    """Every `--option` in `args` is an audit option, and choices take a valid value."""
    options = audit_options()
    for position, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        flag, _, inline = arg.partition("=")
        assert flag in options, f"flickr-audit audit has no option {flag}"
        option = options[flag]
        if isinstance(option.type, click.Choice):
            value = inline or args[position + 1]
            assert value in option.type.choices, (flag, value)


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    (only,) = hooks
    assert isinstance(only, dict)
    return only


def test_hook_is_a_valid_pre_commit_hook(hook: dict[str, Any]) -> None:
    for key in ("id", "name", "entry", "language"):  # pre-commit's required keys
        assert isinstance(hook[key], str) and hook[key]
    assert hook["id"] == "flickr-audit"
    assert hook["language"] == "python"  # pre-commit pip-installs this repository
    assert hook["pass_filenames"] is True
    assert isinstance(hook.get("args", []), list)
    known = {
        "id", "name", "entry", "language", "files", "exclude", "types", "types_or",
        "exclude_types", "additional_dependencies", "args", "always_run", "fail_fast",
        "pass_filenames", "description", "language_version", "log_file",
        "require_serial", "stages", "verbose", "minimum_pre_commit_version",
    }  # fmt: skip
    assert set(hook) <= known


@pytest.mark.parametrize(
    ("name", "matches"),
    [
        ("data/manifest.csv", True),
        ("captions_val2017.json", True),
        ("yfcc100m_dataset.tsv", True),
        ("records.jsonl", True),
        ("photos.parquet", True),
        ("urls.txt", True),
        ("openimages.csv.gz", True),
        ("yfcc100m.tsv.bz2", True),
        ("train.py", False),
        ("README.md", False),
        ("image.jpg", False),
    ],
)
def test_hook_files_match_manifests(hook: dict[str, Any], name: str, matches: bool) -> None:
    # pre-commit matches `files` with Python's re.search on the path.
    assert bool(re.search(hook["files"], name)) is matches


def test_hook_entry_is_the_audit_command(hook: dict[str, Any]) -> None:
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["flickr-audit", "audit"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert "flickr-audit" in scripts
    check_audit_args([*entry[2:], *hook["args"]])


def test_audit_help_lists_the_options_used(
    hook: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["audit", "--help"], capsys)
    assert code == 0
    used = [arg for arg in [*shlex.split(hook["entry"]), *hook["args"]] if arg.startswith("--")]
    used += ["--format", "--fail-on", "--state", "--output-dir"]  # the workflow's
    for flag in used:
        assert flag in out


def test_hook_runs_on_a_manifest(
    hook: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What pre-commit runs: entry, args, then the staged file names (relative paths)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(example_manifest(), tmp_path / "manifest.csv")
    args = [*shlex.split(hook["entry"])[1:], *hook["args"], "manifest.csv"]
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_FINDINGS  # the example holds NonCommercial and NoDerivs photos
    assert "offline audit (--offline)" in err
    output_dir = tmp_path / hook["args"][hook["args"].index("--output-dir") + 1]
    assert (output_dir / "audit.json").stat().st_size > 0


@pytest.fixture(scope="module")
def workflow_doc() -> str:
    return WORKFLOW_DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workflow(workflow_doc: str) -> dict[str, Any]:
    (block,) = re.findall(r"```yaml\n(.*?)```", workflow_doc, flags=re.DOTALL)
    document = yaml.safe_load(block)
    assert isinstance(document, dict)
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def step_using(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    (step,) = [s for s in steps(workflow) if s.get("uses", "").startswith(action + "@")]
    return step


def audit_step(workflow: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    (step,) = [s for s in steps(workflow) if "flickr-audit audit" in s.get("run", "")]
    return step, shlex.split(step["run"])


def test_workflow_shape(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"]["security-events"] == "write"
    uses = [s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s]
    for action in (
        "actions/checkout",
        "actions/setup-python",
        "actions/cache",
        "github/codeql-action/upload-sarif",
    ):
        assert action in uses
    assert uses.index("actions/cache") < uses.index("github/codeql-action/upload-sarif")


def test_workflow_audit_step_uses_real_options(workflow: dict[str, Any]) -> None:
    step, argv = audit_step(workflow)
    assert argv[:2] == ["flickr-audit", "audit"]
    check_audit_args(argv[2:])
    formats = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--format"]
    assert {"sarif", "github"} <= set(formats)
    assert "--fail-on" in argv
    assert step["env"]["FLICKR_API_KEY"] == "${{ secrets.FLICKR_API_KEY }}"


def test_workflow_caches_the_state_file_and_uploads_the_sarif(workflow: dict[str, Any]) -> None:
    (job,) = workflow["jobs"].values()
    _, argv = audit_step(workflow)
    state = argv[argv.index("--state") + 1]
    assert state == "$STATE"
    cache = step_using(workflow, "actions/cache")
    assert cache["with"]["path"] == "${{ env.STATE }}"
    assert job["env"]["STATE"].endswith(".sqlite")
    assert "hashFiles(" in cache["with"]["key"]
    output_dir = argv[argv.index("--output-dir") + 1]
    assert output_dir == "$REPORTS"
    upload = step_using(workflow, "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == f"{job['env']['REPORTS']}/audit.sarif"
    assert "cancelled()" in upload["if"]  # runs after the audit fails on findings too


def test_every_option_the_doc_names_exists(workflow_doc: str) -> None:
    """`--baseline` and the like only once the CLI has them."""
    options = set(audit_options()) | {"--help"}
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", workflow_doc))
    assert named and named <= options, named - options


def test_readme_points_to_both() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it in other repositories", 1)[1].split("\n## ", 1)[0]
    assert ".pre-commit-hooks.yaml" in section and "docs/github-actions.md" in section
    assert "notebooks/README.md" in readme
