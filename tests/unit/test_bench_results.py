"""bench/results.py: the committed summary keeps every figure and no raw sample; the samples file keeps all."""

from __future__ import annotations

import json
from pathlib import Path

from bench.results import Results, samples_path, summary

LATENCY = {"concurrency": 1, "latency_ms": {"n": 3, "p50": 2.0}, "samples_ms": [1.0, 2.0, 3.0]}
THROUGHPUT = {"end_to_end_msg_s": 600.0, "backlog_max": 7, "arrivals_s": [0.1, 0.2], "backlog": [[0.0, 7]]}


def test_the_summary_drops_raw_samples_at_any_depth_and_the_samples_file_keeps_everything(tmp_path: Path) -> None:
    # GIVEN a run recording a list of latency runs and a throughput run, both with raw samples
    results = Results(tmp_path / "results.json")

    # WHEN sections are recorded
    results.record("latency", [LATENCY])
    results.record("throughput", THROUGHPUT)

    # THEN the summary holds every figure but no sample, and the samples file beside it holds both
    assert json.loads((tmp_path / "results.json").read_text()) == {
        "latency": [{"concurrency": 1, "latency_ms": {"n": 3, "p50": 2.0}}],
        "throughput": {"end_to_end_msg_s": 600.0, "backlog_max": 7},
    }
    assert samples_path(tmp_path / "results.json") == tmp_path / "results.samples.json"
    assert json.loads((tmp_path / "results.samples.json").read_text()) == {
        "latency": [LATENCY],
        "throughput": THROUGHPUT,
    }


def test_the_committed_summary_holds_what_the_docs_quote_and_no_samples() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "results.json"
    results = json.loads(path.read_text())

    assert summary(results) == results, "raw samples belong in bench/results.samples.json, out of git"
    assert results["latency"][0]["latency_ms"]["p50"] > 0
    assert results["throughput"]["backlog_max"] < 150  # docs/benchmarks.md: "the backlog never passed 150"
