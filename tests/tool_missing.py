"""What a test does when an external tool it drives (Chromium, the SARIF Multitool) is absent."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def on_ci() -> bool:
    """Whether `CI` is set to a true value, as CI sets it."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def tool_missing(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail on CI, where .ci/run installs every tool."""
    if on_ci():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)
