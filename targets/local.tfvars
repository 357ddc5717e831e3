# Every setting in which the local target differs from AWS, in one place.
# make deploy/plan/destroy pass this file with -var-file; so does a plain
# `terraform plan/apply` after eval "$(make env)". Why each one: docs/fidelity.md.

# Where the local cloud answers. It decides the form of api_url (MiniStack's
# execute-api path instead of the stage's own host) and arms the guard that
# keeps the local workspace off AWS (guard.tf). make passes
# -var local_endpoint=... after this file when LOCALCLOUD_PORT is not 4566.
local_endpoint = "http://localhost:4566"

# Where the local cloud's Lambda runner answers (the local cloud's port + 1).
# Every function's environment then names it (MINISTACK_LAMBDA_PROXY_URL), so
# MiniStack hands each one to the runner, whatever its name; the runner hides
# the variable from the handler. make passes -var local_runner_url=... beside
# local_endpoint.
local_runner_url = "http://127.0.0.1:4567"

# MiniStack accepts PutMetricAlarm but cannot read an alarm back, so every plan
# would want to re-create the DLQ alarms (docs/fidelity.md).
dlq_alarms_enabled = false

# MiniStack authorizes SendMessageBatch and friends by their own action names;
# AWS by the single-message action. Without the aliases the local cloud
# denies batch calls AWS allows (docs/fidelity.md).
sqs_batch_action_aliases = true
