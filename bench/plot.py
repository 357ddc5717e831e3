"""The benchmark's picture: latency distribution, throughput over time, SQS side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use(): the backend must be chosen first
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter


def draw(results: dict[str, Any], destination: Path) -> None:
    figure, (latency_ax, throughput_ax, sqs_ax) = plt.subplots(1, 3, figsize=(18, 6))

    series = [
        (run, f"concurrency {run['concurrency']}, result on the output queue", "-")
        for run in results.get("latency", [])
    ]
    if "latency_client_view" in results:
        run = results["latency_client_view"]
        series.append((run, f"concurrency {run['concurrency']}, client view: GET /outbox?id= answers 200", "--"))
    for run, name, style in series:
        samples = sorted(run["samples_ms"])
        fractions = [(i + 1) / len(samples) for i in range(len(samples))]
        latency_ax.plot(
            samples,
            fractions,
            style,
            label=f"{name} (p50 {run['latency_ms']['p50']} ms, p99 {run['latency_ms']['p99']} ms)",
        )
    latency_ax.set_xscale("log")
    latency_ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    latency_ax.xaxis.set_major_formatter(ScalarFormatter())
    latency_ax.xaxis.set_minor_formatter(NullFormatter())
    latency_ax.set_xlabel("POST /inbox accepted -> result (ms, log)")
    latency_ax.set_ylabel("fraction of messages")
    latency_ax.set_title("End-to-end latency")
    latency_ax.grid(True, which="both", alpha=0.3)
    # Below the axes: the curves cross every corner of them.
    latency_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8)

    run = results.get("throughput")
    if run:
        arrivals = run["arrivals_s"]
        seconds = int(arrivals[-1]) + 1
        per_second = [0] * seconds
        for arrival in arrivals:
            per_second[int(arrival)] += 1
        throughput_ax.bar(range(seconds), per_second, width=1.0, alpha=0.6, label="results sent per second")
        throughput_ax.set_xlabel("seconds since the first POST")
        throughput_ax.set_ylabel("results per second")
        throughput_ax.set_title(f"{run['messages']:,} messages: {run['end_to_end_msg_s']} msg/s end to end")
        backlog_ax = throughput_ax.twinx()
        backlog_ax.plot(
            [t for t, _ in run["backlog"]], [d for _, d in run["backlog"]], color="tab:red", label="input queue backlog"
        )
        backlog_ax.set_ylabel("messages waiting in the input queue")
        lines = throughput_ax.get_legend_handles_labels()
        more = backlog_ax.get_legend_handles_labels()
        throughput_ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right")

    layers = results.get("sqs_layer", {})
    depths = [100, 1_000, 10_000]
    width = 0.38
    for offset, (label, values) in zip((-width / 2, width / 2), layers.items(), strict=False):
        measured = [i for i, d in enumerate(depths) if f"receive_delete_ms_at_{d}" in values]
        medians = [values[f"receive_delete_ms_at_{depths[i]}"]["p50"] for i in measured]
        bars = sqs_ax.bar([i + offset for i in measured], medians, width, label=label)
        sqs_ax.bar_label(bars, fmt="%.1f")
        stopped = values.get("fill_stopped")
        if stopped:
            sqs_ax.annotate(
                f"{label}: {stopped}", (0.98, 0.62), xycoords="axes fraction", ha="right", va="top", fontsize=8
            )
    sqs_ax.set_xticks(range(len(depths)), [f"{d:,} deep" for d in depths])
    sqs_ax.set_yscale("log")
    sqs_ax.set_ylabel("ReceiveMessage(10) + DeleteMessageBatch, median ms (log)")
    sqs_ax.set_title("SQS layer: local cloud vs moto server")
    sqs_ax.legend()

    machine = results.get("machine", {})
    figure.suptitle(
        f"inbox-pipeline local loop - {machine.get('cores')} cores, MiniStack "
        f"{machine.get('ministack')}, Terraform {machine.get('terraform')}, {machine.get('date')}"
    )
    figure.tight_layout()
    figure.savefig(destination, dpi=110)
    plt.close(figure)
