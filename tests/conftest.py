"""Shared test set-up: the repository root and AWS-shaped events on disk."""

from __future__ import annotations

import json
from pathlib import Path

# Fixtures for the suites against a deployed stack; lazy, so unit tests never touch them.
# The fidelity report's option must be known before any test folder is collected.
pytest_plugins = ["tests.live.fixtures", "tests.contract.report"]

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = REPO_ROOT / "tests" / "unit" / "events"


def load_event(name: str) -> dict:
    """A fresh copy of an AWS-shaped event kept as a JSON file."""
    return json.loads((EVENTS_DIR / name).read_text())
