"""Where a benchmark run's results go: the summary the docs quote, in git; the raw samples beside it, out of git.

bench/results.json holds every figure (percentiles, rates, the machine) and is
committed; bench/results.samples.json holds the same plus each raw sample
(thousands of latencies and arrival times, what bench/plot.py draws) and is
ignored by git.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Keys whose values are raw samples: kept in the samples file only.
RAW_KEYS = frozenset({"samples_ms", "arrivals_s", "backlog"})


def summary(value: Any) -> Any:
    """value without its raw samples, at any depth."""
    if isinstance(value, dict):
        return {key: summary(item) for key, item in value.items() if key not in RAW_KEYS}
    if isinstance(value, list):
        return [summary(item) for item in value]
    return value


def samples_path(path: Path) -> Path:
    """The raw samples' file beside the summary: results.json -> results.samples.json."""
    return path.with_name(f"{path.stem}.samples{path.suffix}")


class Results(dict):
    """The results so far, saved after every section so an interrupted run keeps what it measured."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def record(self, key: str, value: Any) -> None:
        self[key] = value
        self.path.write_text(json.dumps(summary(self), indent=1) + "\n")
        samples_path(self.path).write_text(json.dumps(self) + "\n")
