# The pipeline's REST API module once per guarded authorization mode, so the
# contract suite checks each mode's refusals and a permitted caller's round
# trip on every run (make test's pipeline runs the default, NONE). POST /inbox
# sends to a queue of the mode's own that nothing consumes, so a test sees
# exactly what got in; GET /outbox proxies to the probe.

locals {
  guarded_modes = {
    AWS_IAM = "iam"
    API_KEY = "key"
  }
}

resource "aws_sqs_queue" "guarded_inbox" {
  for_each = local.guarded_modes

  name                    = "${var.name_prefix}-contract-${each.value}-inbox"
  sqs_managed_sse_enabled = true
}

module "guarded_api" {
  source   = "../../../modules/rest_api"
  for_each = local.guarded_modes

  name                       = "${var.name_prefix}-contract-${each.value}"
  authorization              = each.key
  input_queue_arn            = aws_sqs_queue.guarded_inbox[each.key].arn
  outbox_function_name       = module.probe.function_name
  outbox_function_invoke_arn = module.probe.invoke_arn
  log_retention_days         = 1
  # Execution logs need the account's API Gateway role, which the pipeline's root manages.
  logging_level        = "OFF"
  xray_tracing_enabled = false
}
