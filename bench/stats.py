"""Summaries of timing samples, in milliseconds or seconds as given."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: an actual sample, never an interpolation."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary(samples: list[float], digits: int = 1) -> dict[str, float | int]:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "min": round(min(samples), digits),
        "p50": round(percentile(samples, 50), digits),
        "p90": round(percentile(samples, 90), digits),
        "p99": round(percentile(samples, 99), digits),
        "max": round(max(samples), digits),
        "mean": round(statistics.fmean(samples), digits),
    }


def spread(samples: list[float], digits: int = 1) -> dict[str, float | int]:
    """min/median/max, for measurements repeated a few times."""
    return {
        "n": len(samples),
        "min": round(min(samples), digits),
        "median": round(statistics.median(samples), digits),
        "max": round(max(samples), digits),
    }
