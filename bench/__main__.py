"""python -m bench: measure the local loop; write bench/results.json (summary), raw samples, bench/results.png."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench import deploy, hot_reload, lambda_overhead, load, machine, plot, sqs_layer, test_times
from bench.results import Results, samples_path
from bench.stack import BenchCloud

HERE = Path(__file__).resolve().parent
NAME_PREFIX = "inbox-pipeline"
TARGETS = {
    "cold deploy within 5 s of the provider's own waits": lambda r: (
        r["deploy"]["cold_deploy_minus_provider_waits_s"]["median"] <= 5
    ),
    "no-change redeploy <= 5 s": lambda r: r["deploy"]["no_change_deploy_s"]["median"] <= 5,
    "p50 <= 25 ms at concurrency 1": lambda r: r["latency"][0]["latency_ms"]["p50"] <= 25,
    "p99 <= 100 ms at concurrency 1": lambda r: r["latency"][0]["latency_ms"]["p99"] <= 100,
    ">= 500 msg/s sustained end to end": lambda r: r["throughput"]["end_to_end_msg_s"] >= 500,
    "make test <= 120 s, second run in a clone (must: 180 s)": lambda r: r["make_test_s"] <= 120,
    "make test <= 300 s on a fresh clone": lambda r: r["tests"]["make_test_fresh_clone_s"] <= 300,
    "make test-unit <= 30 s": lambda r: r["tests"]["test_unit_s"] <= 30,
    "make test-integration-quick <= 30 s (default stack)": lambda r: r["tests"]["test_integration"]["quick_s"] <= 30,
    "make test-integration <= redrive window + 30 s (default stack)": lambda r: (
        r["tests"]["test_integration"]["whole_s"] <= r["tests"]["test_integration"]["redrive_window_s"] + 30
    ),
    "hot reload (save -> new code) <= 300 ms median": lambda r: r["hot_reload"]["save_to_new_code_ms"]["p50"] <= 300,
}


def run_all(args: argparse.Namespace, results: Results) -> None:
    probes = tuple(lambda_overhead.function_names(NAME_PREFIX))
    results.record("machine", machine.describe())
    cloud = BenchCloud(port=args.port, extra_functions=probes)
    try:
        if args.deploy_runs:
            results.record("deploy", deploy.measure(cloud, args.deploy_runs))
        else:
            cloud.make("deploy")
        stack = cloud.stack()
        load.warm_up(stack)
        results.record("latency", [load.latency(stack, args.latency_messages, c) for c in (1, 16)])
        if args.client_view_messages:
            results.record("latency_client_view", load.client_view_latency(stack, args.client_view_messages))
        results.record("throughput", load.throughput(stack, args.throughput_messages))
        results.record("lambda_invoke", {"runner": lambda_overhead.measure(NAME_PREFIX, "runner")})
        results.record("hot_reload", hot_reload.measure(cloud, NAME_PREFIX))
        endpoint = cloud.aws_env["AWS_ENDPOINT_URL"]
        results.record("sqs_layer", {"local cloud": sqs_layer.measure_endpoint(endpoint, "local")})
        if not args.skip_make_test:
            results.record("tests", {"test_integration": test_times.integration_on_default_stack(cloud)})
    finally:
        cloud.make("destroy", check=False)
        cloud.make("down", check=False)
    native = BenchCloud(port=args.port + 2, workspace="bench-native", env_overrides={"LOCALCLOUD_RUNNER": "false"})
    try:
        native.make("up")
        native.activate()
        results["lambda_invoke"]["ministack_workers"] = lambda_overhead.measure(NAME_PREFIX, "ministack")
        results.record("lambda_invoke", results["lambda_invoke"])
    finally:
        native.make("down", check=False)
    with sqs_layer.MotoServer(args.port + 4) as moto_endpoint:
        results["sqs_layer"]["moto server"] = sqs_layer.measure_endpoint(moto_endpoint, "moto")
        results.record("sqs_layer", results["sqs_layer"])
    if not args.skip_make_test:
        results["tests"]["test_unit_s"] = test_times.unit()
        runs = test_times.make_test(args.port + 6)
        results.record("make_test_s", runs["second"]["wall_s"])
        results.record("make_test_runs", runs)
        results["tests"]["make_test_fresh_clone_s"] = test_times.fresh_clone(args.port + 6)
        results.record("tests", results["tests"])


def report(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, met in TARGETS.items():
        try:
            verdict = "met" if met(results) else "MISSED"
        except KeyError:
            verdict = "not measured"
        lines.append(f"{verdict:>12}  {name}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4590, help="first of the ports the benchmark uses (7 in all)")
    parser.add_argument("--deploy-runs", type=int, default=3, help="0 deploys once, untimed")
    parser.add_argument("--latency-messages", type=int, default=1000)
    parser.add_argument(
        "--client-view-messages",
        type=int,
        default=1000,
        help="messages for the client-view latency (POST, then GET /outbox?id= until 200) at concurrency 1; 0 skips it",
    )
    parser.add_argument("--throughput-messages", type=int, default=10_000)
    parser.add_argument(
        "--skip-make-test",
        action="store_true",
        help="skip timing the test commands (make test warm and on a fresh clone, test-unit, test-integration)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    results = Results(args.output)
    try:
        run_all(args, results)
    except (RuntimeError, KeyboardInterrupt) as err:
        print(f"error: benchmark stopped: {err}; what it measured is in {args.output}", file=sys.stderr)
        return 1
    results.record("targets", report(results))
    plot.draw(results, args.output.with_suffix(".png"))
    print("\n".join(results["targets"]))
    picture = args.output.with_suffix(".png")
    print(f"wrote {args.output} (summary), {samples_path(args.output)} (raw samples) and {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
