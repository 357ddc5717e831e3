"""Shared test set-up: the repository root and AWS-shaped events on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# Fixtures for the suites against a deployed stack; lazy, so unit tests never touch them.
# The fidelity report's option must be known before any test folder is collected.
pytest_plugins = ["tests.live.fixtures", "tests.contract.report"]

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = REPO_ROOT / "tests" / "unit" / "events"


def load_event(name: str) -> dict:
    """A fresh copy of an AWS-shaped event kept as a JSON file."""
    return json.loads((EVENTS_DIR / name).read_text())


# Suites whose every test needs a deployed stack, like the integration suite.
LIVE_MARKERS = ("contract", "faults", "devloop")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Contract and fault tests need a deployed stack too, so `-m "not integration"` leaves out every live test.

    The tests that open an account settled at the end of the session (the
    books fixture, tests/live/accounting.py) go first: their redrive window
    then starts early and passes while the rest runs.
    """
    for item in items:
        if any(item.get_closest_marker(name) for name in LIVE_MARKERS):
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: "books" not in getattr(item, "fixturenames", ()))
