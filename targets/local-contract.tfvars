# The contract suite's probe stack (tests/contract/stack) on the local target:
# the equivalents of targets/local.tfvars for the variables it has. Passed with
# -var-file by make test-contract. Why each one: docs/fidelity.md.

# Where the local cloud answers: the form of the probe API's URL. make passes
# -var local_endpoint=... after this file when LOCALCLOUD_PORT is not 4566.
local_endpoint = "http://localhost:4566"

# Where the local cloud's Lambda runner answers: every probe function runs in it.
# make passes -var local_runner_url=... beside local_endpoint.
local_runner_url = "http://127.0.0.1:4567"

# MiniStack authorizes SQS batch calls by their own action names (docs/fidelity.md).
sqs_batch_action_aliases = true
