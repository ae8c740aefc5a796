"""Microsoft's SARIF Multitool as the tests run it: `validate` a SARIF file under GitHub code
scanning's rules, offline.

The Multitool (npm `@microsoft/sarif-multitool`, a self-contained Linux binary: no .NET needed)
is found through $SARIF_MULTITOOL or in .ci-node/, where `.ci/run` installs it. Without it the
tests that need it are skipped, except on CI (`CI` set), where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tool_missing import tool_missing

ROOT = Path(__file__).resolve().parents[1]
MULTITOOL_DIR = ROOT / ".ci-node" / "node_modules" / "@microsoft" / "sarif-multitool-linux"
# The validator's rules as GitHub code scanning needs them (after the SARIF SDK's
# policies/github.config.xml), without SARIF2006, which fetches every URI in the file over the
# network (tests reach 127.0.0.1 only), and SARIF2016, which SARIF2007 makes redundant.
VALIDATOR_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key='SARIF2006.UrisShouldBeReachable.Options'>
    <Property Key='RuleEnabled' Value='Disabled' />
  </Properties>
  <Properties Key='SARIF2016.FileUrisShouldBeRelative.Options'>
    <Property Key='RuleEnabled' Value='Disabled' />
  </Properties>
  <Properties Key='SARIF2007.ExpressPathsRelativeToRepoRoot.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='SARIF2012.ProvideHelpUris.Options'>
    <Property Key='RuleEnabled' Value='Warning' />
  </Properties>
  <Properties Key='GH1001.ProvideRequiredLocationProperties.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='GH1002.InlineThreadFlowLocations.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='GH1003.ProvideRequiredRegionProperties.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='GH1004.ReviewArraysThatExceedConfigurableDefaults.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='GH1005.LocationsMustBeRelativeUrisOrFilePaths.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
  <Properties Key='GH1006.ProvideCheckoutPath.Options'>
    <Property Key='RuleEnabled' Value='Error' />
  </Properties>
</Properties>
"""
# Warnings the validator gives about every audit.sarif, and why they stay:
# SARIF2005: no `informationUri` (the project names no home page in pyproject's [project.urls]).
EXPECTED_WARNINGS = {"SARIF2005"}


def find_multitool() -> Path:
    """The validator's binary; skips the test (fails it on CI) when it is not installed."""
    configured = os.environ.get("SARIF_MULTITOOL")
    path = Path(configured) if configured else MULTITOOL_DIR / "Sarif.Multitool"
    if not path.is_file():
        tool_missing(
            f"the SARIF Multitool is not at {path}: `npm install --prefix .ci-node "
            "@microsoft/sarif-multitool` (as .ci/run does) or set SARIF_MULTITOOL"
        )
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o100)  # npm may skip its postinstall chmod
    return path


def validate(multitool: Path, sarif: Path, work: Path) -> list[dict[str, Any]]:
    """Run `Sarif.Multitool validate` on `sarif`; return its results (errors, warnings and
    notes) from the SARIF log it writes."""
    config = work / "validate.config.xml"
    config.write_text(VALIDATOR_CONFIG, encoding="utf-8")
    out = work / "validation.sarif"
    done = subprocess.run(
        [
            str(multitool),
            "validate",
            str(sarif),
            "--config",
            str(config),
            "--rule-kind",
            "Sarif;Gh",
            "--level",
            "Error;Warning;Note",
            "--output",
            str(out),
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    run = log["runs"][0]
    assert all(inv.get("executionSuccessful") for inv in run.get("invocations", []))
    results: list[dict[str, Any]] = run.get("results", [])
    for result in results:
        result.setdefault("level", "warning")
    return results


def assert_valid(results: list[dict[str, Any]]) -> None:
    errors = [r for r in results if r["level"] == "error"]
    assert not errors, json.dumps(errors, indent=1)[:4000]
    warnings = {r["ruleId"] for r in results if r["level"] == "warning"}
    assert warnings <= EXPECTED_WARNINGS, warnings
