"""The deployed stack, read once from `terraform output`.

python-terraform 0.10.1 only reads whole `output()` reliably on Terraform 1.x
(`output(name)`, `apply` and `destroy` are broken there), so it stays behind
this one function. The Makefile selects the workspace with TF_WORKSPACE.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import TypeVar

from python_terraform import Terraform

from tests.conftest import REPO_ROOT

T = TypeVar("T")


@dataclass(frozen=True)
class Stack:
    api_url: str
    inbox_url: str
    outbox_url: str
    input_queue_url: str
    input_dlq_url: str
    output_queue_url: str
    output_dlq_url: str
    process_function_name: str
    outbox_function_name: str
    region: str
    # Who may call the API (NONE, AWS_IAM or API_KEY) and, for API_KEY, the key: never shown in a repr.
    api_authorization: str
    api_key: str | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        """The local cloud's api_url is its execute-api path; AWS's is the stage URL."""
        return "/_aws/execute-api/" in self.api_url


def api_id_and_stage(api_url: str) -> tuple[str, str]:
    """From http://host/_aws/execute-api/<id>/<stage> (local) or https://<id>.execute-api.<region>.../<stage>."""
    if "/_aws/execute-api/" in api_url:
        api_id, stage = api_url.rstrip("/").split("/")[-2:]
        return api_id, stage
    host, stage = api_url.split("//", 1)[1].split("/", 1)
    return host.split(".", 1)[0], stage.strip("/")


def terraform_outputs(working_dir: Path = REPO_ROOT) -> dict[str, dict]:
    """Every output of the Terraform root in working_dir, as `terraform output -json` lists them; {} when none."""
    return Terraform(working_dir=str(working_dir)).output() or {}


def read_outputs(cls: type[T], working_dir: Path = REPO_ROOT) -> T | None:
    """The outputs of the Terraform root in working_dir as cls, or None when it is not deployed.

    Fields with a default are outputs that may be null (e.g. api_key unless the API wants one).
    """
    outputs = terraform_outputs(working_dir)
    values = {name: spec.get("value") for name, spec in outputs.items() if isinstance(spec, dict)}
    required = [f.name for f in fields(cls) if f.default is MISSING]
    if not all(values.get(name) for name in required):
        return None
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


def read_stack() -> Stack | None:
    """The outputs of the deployed stack, or None when nothing is deployed."""
    return read_outputs(Stack)


def sla_seconds() -> float:
    """How long a result may take end to end before a test gives up (PIPELINE_SLA_SECONDS)."""
    return float(os.environ.get("PIPELINE_SLA_SECONDS", "10"))
