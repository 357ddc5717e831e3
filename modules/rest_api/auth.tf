# Who may call the API (var.authorization), for both routes alike.
#
# Each route's method comes in two blocks, of which exactly one exists: the
# open one (NONE) and the guarded one (AWS_IAM or API_KEY). checkov reads the
# blocks without evaluating count, so its skip for an unauthenticated method
# sits on the open block alone: it cannot hide a method the deployer meant to
# guard.
#
# Changing the mode replaces the whole REST API (a new id, so a new URL),
# built before the old one is deleted, instead of changing methods in place:
# going to or from NONE swaps one method block for the other on the same
# route, and on AWS deleting a method deletes the integration beneath it, in
# no order Terraform could promise; and the local cloud stores an updated
# apiKeyRequired as the string "true" or "false", both truthy
# (docs/fidelity.md). A new API has neither problem.

resource "terraform_data" "authorization" {
  triggers_replace = var.authorization
}

locals {
  open = var.authorization == "NONE"

  method_authorization = {
    authorization    = var.authorization == "AWS_IAM" ? "AWS_IAM" : "NONE"
    api_key_required = var.authorization == "API_KEY"
  }

  inbox_post = one(concat(aws_api_gateway_method.inbox_post_open, aws_api_gateway_method.inbox_post))
  outbox_get = one(concat(aws_api_gateway_method.outbox_get_open, aws_api_gateway_method.outbox_get))

  # execute-api:Invoke resources: <execution ARN>/<stage>/<METHOD>/<path>.
  route_arns = [
    "${aws_api_gateway_rest_api.this.execution_arn}/${aws_api_gateway_stage.this.stage_name}/POST/${aws_api_gateway_resource.inbox.path_part}",
    "${aws_api_gateway_rest_api.this.execution_arn}/${aws_api_gateway_stage.this.stage_name}/GET/${aws_api_gateway_resource.outbox.path_part}",
  ]

  invoke_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "CallThePipeline"
      Effect   = "Allow"
      Action   = ["execute-api:Invoke"]
      Resource = local.route_arns
    }]
  })
}

# ---------------------------------------------------------------- POST /inbox

resource "aws_api_gateway_method" "inbox_post_open" {
  # checkov:skip=CKV_AWS_59:Exists only with authorization NONE, the sample's public inbox the deployer chose; AWS_IAM or API_KEY replaces it with the guarded method below.
  count = local.open ? 1 : 0

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.inbox.id
  http_method          = "POST"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = aws_api_gateway_model.inbox_message.name }
}

resource "aws_api_gateway_method" "inbox_post" {
  count = local.open ? 0 : 1

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.inbox.id
  http_method          = "POST"
  authorization        = local.method_authorization.authorization
  api_key_required     = local.method_authorization.api_key_required
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = aws_api_gateway_model.inbox_message.name }
}

# ---------------------------------------------------------------- GET /outbox

resource "aws_api_gateway_method" "outbox_get_open" {
  # checkov:skip=CKV_AWS_59:Exists only with authorization NONE, the sample's public outbox the deployer chose; AWS_IAM or API_KEY replaces it with the guarded method below.
  # checkov:skip=CKV2_AWS_53:GET /outbox has no body; its only input, the optional id query parameter, is checked by the function.
  count = local.open ? 1 : 0

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = aws_api_gateway_resource.outbox.id
  http_method        = "GET"
  authorization      = "NONE"
  request_parameters = { "method.request.querystring.id" = false }
}

resource "aws_api_gateway_method" "outbox_get" {
  # checkov:skip=CKV2_AWS_53:GET /outbox has no body; its only input, the optional id query parameter, is checked by the function.
  count = local.open ? 0 : 1

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = aws_api_gateway_resource.outbox.id
  http_method        = "GET"
  authorization      = local.method_authorization.authorization
  api_key_required   = local.method_authorization.api_key_required
  request_parameters = { "method.request.querystring.id" = false }
}

# ---------------------------------------------------------------- AWS_IAM

# What a caller needs: attach it to the callers' roles or users.
resource "aws_iam_policy" "invoke" {
  count = var.authorization == "AWS_IAM" ? 1 : 0

  name        = "${var.name}-invoke"
  description = "Lets a caller POST /inbox and GET /outbox on the ${var.name} API's ${var.stage_name} stage, and nothing else."
  policy      = local.invoke_policy
  tags        = var.tags
}

# ---------------------------------------------------------------- API_KEY

# AWS generates a key's value when none is given, but the provider then sends
# an empty one, which the local cloud refuses (docs/fidelity.md). So the value
# is drawn here, once: uuid() is 122 random bits from a CSPRNG, unknown until
# apply, and ignore_changes keeps the first draw.
resource "terraform_data" "api_key_value" {
  count = var.authorization == "API_KEY" ? 1 : 0

  input = sensitive(replace(uuid(), "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_api_gateway_api_key" "this" {
  count = var.authorization == "API_KEY" ? 1 : 0

  name        = "${var.name}-client"
  description = "Key of the ${var.name} API's clients (x-api-key); limited by its usage plan."
  value       = terraform_data.api_key_value[0].output
  tags        = var.tags
}

resource "aws_api_gateway_usage_plan" "this" {
  count = var.authorization == "API_KEY" ? 1 : 0

  name        = "${var.name}-clients"
  description = "Throttle and quota of the ${var.name} API's key, on its ${var.stage_name} stage."
  tags        = var.tags

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.api_key_rate_limit
    burst_limit = var.api_key_burst_limit
  }

  quota_settings {
    limit  = var.api_key_quota_limit
    period = var.api_key_quota_period
  }
}

resource "aws_api_gateway_usage_plan_key" "this" {
  count = var.authorization == "API_KEY" ? 1 : 0

  key_id        = aws_api_gateway_api_key.this[0].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[0].id
}
