"""How long `make deploy` takes into a fresh local cloud, and again with nothing to change.

The cold time is split into the AWS provider's own fixed waits (about 25 s after
each CreateQueue, also on AWS; a queue with a DLQ chains two) and the rest,
which is ours to cut.
"""

from __future__ import annotations

import re
from collections import defaultdict

from tqdm import tqdm

from bench.stack import BenchCloud
from bench.stats import spread

QUEUE_CREATED = re.compile(r"^(module\.\w+)\.aws_sqs_queue\.(\w+): Creation complete after (\d+)s", re.MULTILINE)


def provider_queue_wait(apply_output: str) -> int:
    """Seconds of the longest DLQ -> queue creation chain, the provider's fixed waits."""
    chains: dict[str, int] = defaultdict(int)
    for module, _, seconds in QUEUE_CREATED.findall(apply_output):
        chains[module] += int(seconds)
    return max(chains.values(), default=0)


def measure(cloud: BenchCloud, runs: int) -> dict:
    cold, waits, warm, plans = [], [], [], []
    for _ in tqdm(range(runs), desc="deploy (cold + no-change)", unit="run"):
        cloud.make("down", check=False)
        cloud.forget_state()
        seconds, output = cloud.make("deploy")
        cold.append(seconds)
        waits.append(provider_queue_wait(output))
        seconds, output = cloud.make("deploy")
        if "Resources: 0 added, 0 changed, 0 destroyed" not in output:
            raise RuntimeError(f"the second deploy changed something:\n{output[-2000:]}")
        warm.append(seconds)
        seconds, _ = cloud.make("clean-plan")
        plans.append(seconds)
    ours = [total - wait for total, wait in zip(cold, waits, strict=True)]
    return {
        "cold_deploy_s": spread(cold),
        "provider_queue_waits_s": spread(waits),
        "cold_deploy_minus_provider_waits_s": spread(ours),
        "no_change_deploy_s": spread(warm),
        "plan_after_deploy_s": spread(plans),
    }
