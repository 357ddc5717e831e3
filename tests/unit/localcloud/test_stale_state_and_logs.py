"""Lost-stack detection and the log viewer's filtering, without a running cloud."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from localcloud import logs, stale_state
from localcloud.settings import Settings

STATE = {
    "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "instances": [{"attributes": {"url": "http://x/0/q"}}]},
        {"mode": "managed", "type": "aws_lambda_function", "instances": [{"attributes": {"function_name": "f"}}]},
        {"mode": "data", "type": "aws_region", "instances": [{"attributes": {}}]},
    ]
}


def run_check(
    tmp_path: Path, missing: list[str], monkeypatch: pytest.MonkeyPatch, missing_functions: list[str] | None = None
) -> Path:
    state_file = tmp_path / "terraform.tfstate.d" / "local" / "terraform.tfstate"
    state_file.parent.mkdir(parents=True)
    state_file.write_text(json.dumps(STATE))
    monkeypatch.setattr(stale_state, "missing_queues", lambda urls, endpoint: missing)
    monkeypatch.setattr(stale_state, "missing_functions", lambda names, endpoint: missing_functions or [])
    stale_state.run(Settings(home=tmp_path / "home"), argparse.Namespace(state_file=state_file))
    return state_file


def test_state_naming_vanished_queues_is_moved_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = run_check(tmp_path, ["http://x/0/q"], monkeypatch)
    assert not state_file.exists()
    kept = list((tmp_path / "home" / "stale-state").iterdir())
    assert len(kept) == 1
    assert json.loads(kept[0].read_text()) == STATE
    assert "re-creating it" in capsys.readouterr().out


def test_state_whose_queues_exist_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_check(tmp_path, [], monkeypatch).exists()


def test_state_naming_vanished_functions_is_moved_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not run_check(tmp_path, [], monkeypatch, missing_functions=["f"]).exists()


def test_only_managed_queue_urls_and_function_names_are_checked() -> None:
    assert stale_state.queue_urls(STATE) == ["http://x/0/q"]
    assert stale_state.function_names(STATE) == ["f"]


def event(stream: str, ts: int, message: str) -> dict:
    return {"logStreamName": stream, "timestamp": ts, "message": message}


def test_ministack_wrapper_streams_are_skipped_but_runner_streams_kept() -> None:
    wrapper = [
        event("w", 5, "START RequestId: r1 Version: $LATEST"),
        event("w", 5, "END RequestId: r1"),
        event("w", 5, "REPORT RequestId: r1\tDuration: 3 ms"),
    ]
    runner = [
        event("r", 1, "START RequestId: r1 Version: $LATEST"),
        event("r", 2, "END RequestId: r1"),
        event("r", 3, "REPORT RequestId: r1\tDuration: 2.50 ms"),
    ]
    assert logs.without_wrappers(wrapper + runner) == runner


def test_a_wrapper_with_handler_output_is_a_real_stream() -> None:
    stream = [
        event("w", 5, "START RequestId: r1 Version: $LATEST"),
        event("w", 5, "hello"),
        event("w", 5, "END RequestId: r1"),
        event("w", 5, "REPORT RequestId: r1"),
    ]
    assert logs.without_wrappers(stream) == stream
