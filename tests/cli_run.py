"""Run the CLI in-process, as the tests of every command do."""

from __future__ import annotations

import pytest

from auditor import cli


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `flickr-audit ARGS` in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err
