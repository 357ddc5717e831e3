"""pytest --fidelity-report PATH: each contract behaviour and its outcome, as JSON for docs/fidelity.md.

The statement (docstring, local_differs mark) is read where tests are
collected, xdist workers included, and travels in the report's user
properties; outcomes are gathered where reports arrive, the controller.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.contract.statement import Statement

PROPERTY = "fidelity"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fidelity-report", metavar="PATH", default=None, help="write the contract behaviours and outcomes as JSON"
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--fidelity-report")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(FidelityReport(Path(path)), "fidelity-report")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("contract") is not None:
            item.user_properties.append((PROPERTY, json.dumps(declaration(item))))


def declaration(item: pytest.Item) -> dict[str, Any]:
    """What a contract test states, where it stands and which variant it is."""
    assert isinstance(item, pytest.Function)
    statement = Statement.of(item)
    callspec = getattr(item, "callspec", None)
    differs = item.get_closest_marker("local_differs") is not None
    module_doc = inspect.getdoc(item.module) or item.module.__name__
    return {
        "section": module_doc.splitlines()[0].rstrip("."),
        "behaviour": statement.behaviour,
        "variant": callspec.id if callspec is not None else None,
        "aws": statement.aws,
        "difference": statement.local if differs else None,
        "handling": statement.handling if differs else None,
        "location": [item.location[0], item.location[1]],
    }


def outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "differs"
    if report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
        return "now as AWS"
    return {"passed": "same", "skipped": "skipped"}.get(report.outcome, "failed")


class FidelityReport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        declared = dict(report.user_properties).get(PROPERTY)
        if declared is None:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.rows[report.nodeid] = dict(json.loads(declared), outcome=outcome(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        rows = sorted(self.rows.values(), key=lambda row: (row["location"], row["variant"] or ""))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"rows": rows}, indent=1) + "\n")
        print(f"\nfidelity report: {len(rows)} behaviours in {self.path}", file=sys.stderr)
